/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_fo_engine.h — the failover machines of an application's uplinks and
 * what drives them: raw device/port events mapped to each machine's events
 * (a VF's removal request becomes VFO_EV_REMOVE_REQUEST of its uplink), a
 * periodic tick, and the control commands prepare, attach, prefer and
 * timeline (control/failover_engine.c).
 *
 * Thread-safety: setup, run, the commands (vfo_ctl_poll calls them) and
 * stop run on the control thread, the only one that changes a machine; it
 * does so with the engine's lock held, and reads the machines without it.
 * vfo_fo_engine_json() takes the lock, so any thread may call it (the
 * rte_telemetry thread does, through the status command).
 */
#ifndef VFO_FO_ENGINE_H
#define VFO_FO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vfo_ctl.h"
#include "vfo_tsa.h"
#include "vfo_events.h"
#include "vfo_failover.h"
#include "vfo_uplink.h"

/** What the engine is set up with. */
struct vfo_fo_engine_conf {
	struct vfo_fo_conf fo;		       /**< every machine's tunables (path_target below) */
	uint32_t path_target[VFO_MAX_UPLINKS]; /**< per uplink: ARP target, 0: no path check */
	uint64_t tick_us;		       /**< every machine ticks this often (link poll) */
};

/** The machines and their event source (see Thread-safety above). */
struct vfo_fo_engine {
	struct vfo_uplink *const *uplink; /**< the uplinks (the application's array) */
	unsigned int nb_uplinks;	  /**< entries in uplink[] and fo[] */
	struct vfo_mutex lock;		  /**< held by the control thread while it changes fo[] */
	/** Failover machine per uplink: written by the control thread with 'lock'
	 * held, read by it without; other threads read with 'lock' held. */
	struct vfo_failover fo[VFO_MAX_UPLINKS];
	struct vfo_events *events; /**< device and port events, NULL: stopped */
	uint64_t tick_us;	   /**< tick period (µs) */
	uint64_t last_tick_us;	   /**< when the machines last ticked */
};

/**
 * Sets up a machine per uplink of uplinks[0..nb_uplinks) on the VF, starts
 * the event sources, makes vfo_ctl_poll() of 'ctl' wake on events and
 * registers the commands prepare, attach, prefer and timeline on 'ctl'.
 * Returns 0, or -1 with 'err' set.
 */
int vfo_fo_engine_setup(struct vfo_fo_engine *e, struct vfo_uplink *const *uplinks,
			unsigned int nb_uplinks, const struct vfo_fo_engine_conf *conf,
			struct vfo_ctl *ctl, char *err, size_t errlen);

/** Handles the waiting events and, when due, ticks every machine. */
void vfo_fo_engine_run(struct vfo_fo_engine *e);

/** Stops the event sources.  Safe on an engine never set up (zeroed). */
void vfo_fo_engine_stop(struct vfo_fo_engine *e);

/** Returns uplink i's failover state as a new JSON object.  Any thread. */
json_t *vfo_fo_engine_json(struct vfo_fo_engine *e, unsigned int i) VFO_EXCLUDES(e->lock);

#endif /* VFO_FO_ENGINE_H */
