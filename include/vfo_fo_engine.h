/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_fo_engine.h — the failover machines of an application's uplinks and
 * what drives them: raw device/port events mapped to each machine's events
 * (a VF's removal request becomes VFO_EV_REMOVE_REQUEST of its uplink), a
 * periodic tick, and the control commands prepare, attach, prefer and
 * timeline (control/failover_engine.c).
 *
 * Threads.  The machines run on a thread of their own, the failover thread
 * (vfo_fo_engine_start), which handles the events, the ticks and the
 * commands prepare, attach and prefer: those wait for port actions (a grace
 * period, a probe, a release, each bounded), and the control thread must
 * go on answering meanwhile.  A command's handler, on the control thread,
 * checks its arguments, queues it for the failover thread and defers its
 * reply (vfo_ctl_defer); the failover thread runs it and queues the result,
 * which the control thread sends (vfo_fo_engine_complete, woken through
 * the control socket's wake fd).  The failover thread is the only one that
 * changes a machine and the uplinks' members; it does so with the engine's
 * lock held, and lets go of it while a port action waits (struct
 * vfo_fo_uplink_ctx), so that vfo_fo_engine_json(), which takes it, answers
 * on any thread (the control thread, rte_telemetry's) meanwhile.
 * "timeline" runs on the control thread, with the lock held.
 */
#ifndef VFO_FO_ENGINE_H
#define VFO_FO_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vfo_attach_policy.h"
#include "vfo_ctl.h"
#include "vfo_tsa.h"
#include "vfo_events.h"
#include "vfo_failover.h"
#include "vfo_uplink.h"

/** What the engine is set up with. */
struct vfo_fo_engine_conf {
	struct vfo_fo_conf fo;		       /**< every machine's tunables (path_target below) */
	uint32_t path_target[VFO_MAX_UPLINKS]; /**< per uplink: ARP target, 0: no path check */
	uint64_t tick_us;		       /**< machines tick this often (link poll), faster
						* while one is between steady states */
	char attach_allow[VFO_ATTACH_ALLOW_LEN]; /**< --attach-allow list ("": none) */
};

struct fo_request;

/** The machines, their event source and their thread (see Threads above). */
struct vfo_fo_engine {
	struct vfo_uplink *const *uplink; /**< the uplinks (the application's array) */
	unsigned int nb_uplinks;	  /**< entries in uplink[] and fo[] */
	struct vfo_mutex lock;		  /**< held by the failover thread while it changes fo[] */
	/** Failover machine per uplink: written by the failover thread with
	 * 'lock' held, read by it without; other threads read with 'lock' held. */
	struct vfo_failover fo[VFO_MAX_UPLINKS];
	/** Port actions' context per uplink (lets go of 'lock' while they wait). */
	struct vfo_fo_uplink_ctx port[VFO_MAX_UPLINKS];
	struct vfo_events *events; /**< device and port events, NULL: stopped */
	uint64_t tick_us;	   /**< tick period (µs) */
	uint64_t last_tick_us;	   /**< when the machines last ticked (failover thread) */
	struct vfo_attach_policy attach[VFO_MAX_UPLINKS]; /**< what attach may probe, per uplink */
	/* Commands between the control thread and the failover thread. */
	struct vfo_mutex q_lock; /**< guards the two queues below */
	struct fo_request *todo; /**< queued for the failover thread, oldest first */
	struct fo_request *done; /**< results for the control thread, oldest first */
	int todo_fd;		 /**< eventfd: wakes the failover thread */
	int done_fd;		 /**< eventfd: wakes the control thread (ctl's wake fd) */
	struct vfo_ctl *ctl;	 /**< the control socket the commands came from */
	pthread_t thread;	 /**< the failover thread */
	bool running;		 /**< the thread was started */
	bool stopping;		 /**< ends the thread (atomic) */
};

/**
 * Sets up a machine per uplink of uplinks[0..nb_uplinks) on the VF, driven
 * through 'ops' (each machine's context: &e->port[i]), and each uplink's
 * attach policy (its VF's devargs, the driver vf_drivers[i] probed it with,
 * NULL or "" if unknown, and conf->attach_allow); commands come from 'ctl'.
 * Starts no event source and no thread and registers no command: the fuzz
 * harness of the control protocol drives the commands this way with fake
 * ops (vfo_fo_engine_run_commands).  Returns 0, or -1 with 'err' set.
 */
int vfo_fo_engine_init(struct vfo_fo_engine *e, struct vfo_uplink *const *uplinks,
		       unsigned int nb_uplinks, const struct vfo_fo_engine_conf *conf,
		       const struct vfo_fo_ops *ops, const char *const *vf_drivers,
		       struct vfo_ctl *ctl, char *err, size_t errlen);

/** Registers the commands prepare, attach, prefer and timeline of 'e' on 'ctl'. */
void vfo_fo_engine_register(struct vfo_fo_engine *e, struct vfo_ctl *ctl);

/**
 * Runs the commands queued for the failover thread and queues their
 * results for vfo_fo_engine_complete().  The failover thread's work; an
 * engine without that thread (a harness) calls it on its only thread.
 */
void vfo_fo_engine_run_commands(struct vfo_fo_engine *e);

/**
 * vfo_fo_engine_init() on the uplinks' ports (vfo_fo_uplink_ops, the VFs'
 * drivers as probed), then starts the event sources, makes vfo_ctl_poll()
 * of 'ctl' wake when a command's result waits (vfo_fo_engine_complete) and
 * registers the commands prepare, attach, prefer and timeline on 'ctl'.
 * Returns 0, or -1 with 'err' set.
 */
int vfo_fo_engine_setup(struct vfo_fo_engine *e, struct vfo_uplink *const *uplinks,
			unsigned int nb_uplinks, const struct vfo_fo_engine_conf *conf,
			struct vfo_ctl *ctl, char *err, size_t errlen);

/** Starts the failover thread.  Returns 0 or a negative errno. */
int vfo_fo_engine_start(struct vfo_fo_engine *e);

/**
 * On the control thread (the thread of the engine's ctl): sends the
 * replies of the commands the failover thread finished.  Call it after
 * every vfo_ctl_poll().
 */
void vfo_fo_engine_complete(struct vfo_fo_engine *e);

/**
 * Stops the failover thread (a port action in progress ends at its bound)
 * and the event sources; commands still queued or finished are answered
 * with an error.  Call on the control thread's side of the ctl, after the
 * control thread has ended.  Safe on an engine never set up (zeroed).
 */
void vfo_fo_engine_stop(struct vfo_fo_engine *e);

/** Returns uplink i's failover state as a new JSON object.  Any thread. */
json_t *vfo_fo_engine_json(struct vfo_fo_engine *e, unsigned int i) VFO_EXCLUDES(e->lock);

#endif /* VFO_FO_ENGINE_H */
