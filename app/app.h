/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app.h — the vfailover application's state, shared by main.c (init,
 * launch, teardown) and app_ctl.c (control thread, status commands, stats).
 *
 * Threads: the main thread (start-up, then forwarding lcore 0 with the
 * other lcores, then teardown), the control thread (socket, stats lines),
 * the failover thread (the failover engine: events, ticks, the commands
 * that change the machines), the port worker (member bring-up and
 * tear-down) and DPDK's telemetry thread (status, stats).
 *
 * Who writes what:
 *   - cfg, uplink[], nb_uplinks, fwd, pools, qsbr, ctl: the main thread
 *     before the control thread and the lcores start; read-only afterwards.
 *   - quit: any thread or the signal handler (vfo_app_quit), read by the
 *     lcores and the control thread (vfo_app_quitting): atomic.
 *   - start_tsc: the main thread once forwarding begins, read by the
 *     control and telemetry threads: atomic.
 *   - fo: the failover thread (vfo_fo_engine.h says how others read it).
 *   - prev, prev_fwd, prev_tsc: the control thread only.
 *   - the uplinks: vfo_uplink.h's rules; the lcores' counters:
 *     vfo_fwd.h's.
 */
#ifndef VFO_APP_H
#define VFO_APP_H

#include <pthread.h>
#include <stdbool.h>

#include <rte_log.h>

#include "args.h"
#include "vfo_ctl.h"
#include "vfo_fo_engine.h"
#include "vfo_fwd.h"
#include "vfo_pool.h"
#include "vfo_uplink.h"

/** The application. */
struct vfo_app {
	struct vfo_app_config cfg;		    /**< what it was told */
	struct vfo_uplink *uplink[VFO_MAX_UPLINKS]; /**< created uplinks */
	unsigned int nb_uplinks;		    /**< entries in uplink[] */
	struct vfo_fwd fwd;			    /**< the forwarding engine */
	struct vfo_pools pools;			    /**< mbuf pools */
	struct rte_rcu_qsbr *qsbr;		    /**< RCU variable of the lcores */
	struct vfo_ctl *ctl;			    /**< control commands and socket */
	struct vfo_fo_engine fo;		    /**< failover machines (failover thread) */
	bool quit;	      /**< set to stop everything: vfo_app_quit(), vfo_app_quitting() */
	uint64_t start_tsc;   /**< TSC when forwarding began (atomic) */
	pthread_t ctl_thread; /**< the control thread */
	bool ctl_running;     /**< ctl_thread was created */
	/* Rate tracking for the periodic stats line (control thread only). */
	struct vfo_uplink_stats prev[VFO_MAX_UPLINKS]; /**< totals at the last line */
	struct vfo_fwd_lcore_stats prev_fwd;	       /**< lcore totals at the last line */
	uint64_t prev_tsc;			       /**< TSC of the last line */
};

/**
 * Asks every loop to stop: the lcores' forwarding loops and the control
 * thread.  Any thread, and a signal handler (a lock-free atomic store and
 * a write() per sleeping lcore's eventfd).
 */
static inline void
vfo_app_quit(struct vfo_app *a)
{
	__atomic_store_n(&a->quit, true, __ATOMIC_RELAXED);
	vfo_fwd_wake_all(&a->fwd); /* lcores asleep (--idle-yield) see it at once */
}

/** Returns true once vfo_app_quit() was called.  Any thread. */
static inline bool
vfo_app_quitting(const struct vfo_app *a)
{
	return __atomic_load_n(&a->quit, __ATOMIC_RELAXED);
}

/**
 * Creates the command table (status, stats, flows, quit), listens on cfg.ctl_path
 * and opens the serial port cfg.ctl_serial when set, and publishes
 * /vfailover/status and /vfailover/stats through rte_telemetry.  Returns 0,
 * or -1 with 'err' set (nothing left listening).
 */
int vfo_app_ctl_setup(struct vfo_app *a, char *err, size_t errlen);

/** Starts the control thread (rte_ctrl_thread_create). Returns 0 or -errno. */
int vfo_app_ctl_start(struct vfo_app *a);

/**
 * Joins the control thread and unpublishes the telemetry commands (their
 * functions read the uplinks and the machines: call before freeing them).
 * Idempotent.
 */
void vfo_app_ctl_stop(struct vfo_app *a);

/**
 * Checks that every forwarding lcore, every member's device and its mbuf
 * pool sit on one NUMA node (vfo_numa.h); calls warn(arg, line) per
 * mismatch.  Returns the number of warnings.
 */
unsigned int vfo_app_numa_check(struct vfo_app *a, void (*warn)(void *arg, const char *line),
				void *arg);

/** Closes the control socket (removing its file) and frees the command table. */
void vfo_app_ctl_close(struct vfo_app *a);

/** Logs per-uplink totals, drops and the lcores' cycles per packet (NOTICE). */
void vfo_app_log_totals(struct vfo_app *a);

/** The "vfailover.stats" rte_log type: periodic stats lines and exit totals. */
extern int vfo_stats_logtype;

/** Logs one line of statistics at rte_log level 'lvl' under "vfailover.stats". */
#define VFO_STATS_LOG(lvl, fmt, ...)                                                               \
	rte_log(RTE_LOG_##lvl, vfo_stats_logtype, fmt "\n", ##__VA_ARGS__)

/**
 * Points rte_log at the journal when stderr is systemd's journal stream
 * (JOURNAL_STREAM): each line once, at its own priority, instead of DPDK's
 * stderr-plus-syslog copy.  Otherwise leaves DPDK's default.  Call first in
 * main(), before anything logs.
 */
void vfo_app_log_init(void);

/**
 * Sends 'state' ("READY=1", "STOPPING=1", "STATUS=...", lines joined by
 * '\n') to systemd when it runs vfailover as a Type=notify service
 * (NOTIFY_SOCKET); does nothing otherwise.  A failure is logged, not fatal.
 */
void vfo_app_notify(const char *state);

#endif /* VFO_APP_H */
