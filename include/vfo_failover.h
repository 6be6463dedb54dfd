/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_failover.h — the failover state machine of one uplink.
 *
 * States and transitions ("B" = the backup is usable, see below):
 *
 *                  prepare / remove request (B)          settle: VF RX quiet
 *   +-----------+ ---------------------------> +----------+ -----------------> +--------------+
 *   | VF_ACTIVE |                              | DRAINING |   (VF released)    | BACKUP_VF_   |
 *   |           | <--+                         +----------+                    | GONE         |
 *   +-----------+    |                                                         +--------------+
 *     |   ^   |      | link up (+ path answers)                                  |   ^
 *     |   |   |      |                          VF added / attach: probe,        |   | remove
 *     |   |   |   +--------------+   <-------- configure, start                  |   | request
 *     |   |   |   | VF_RETURNING | --------------------------------------------->+   |
 *     |   |   |   +--------------+   remove request / attach failed (retry)          |
 *     |   |   |                                                                      |
 *     |   |   +-- link down/path silent/gone/prefer backup -->       +---------------+-----+
 *     |   +------------ link up + prefer vf ----------------------  | BACKUP_VF_PRESENT   |
 *     |                                                              +---------------------+
 *     +-- no member with link --> NO_MEMBER --(a member has link)--> VF_ACTIVE / BACKUP_*
 *
 * | state              | TX on   | VF             | leaves on                                   |
 * |--------------------|---------|----------------|---------------------------------------------|
 * | VF_ACTIVE          | VF      | present, up    | prepare, remove request, link down, gone,   |
 * |                    |         |                | path silent, prefer backup                  |
 * | DRAINING           | backup  | polled for RX  | VF RX quiet for settle time, the workers    |
 * |                    |         |                | having polled since (or max drain),         |
 * |                    |         |                | VF gone                                     |
 * | BACKUP_VF_GONE     | backup  | absent         | VF added (uevent) or attach command         |
 * | VF_RETURNING       | backup  | started        | VF link up (and path answers), remove req., |
 * |                    |         |                | link still down after reprobe_down_us       |
 * | BACKUP_VF_PRESENT  | backup  | present        | VF usable and preferred, remove request,    |
 * |                    |         |                | link still down after reprobe_down_us       |
 * | NO_MEMBER          | none    | absent or down | a member gets link (usable or last resort)  |
 *
 * VFO_FO_TRANSITIONS below lists what every event does in every state,
 * and the unit tests hold the machine to it row by row.
 *
 * "Usable" means present, link up and, with path liveness on
 * (conf.path_target != 0), a path that answers: every path_interval_us the
 * machine has an ARP request for the target sent on each present member, and
 * a member whose last path_missed probes went unanswered, path_missed
 * intervals after its last reply, is as good as down (an unplanned switch
 * when it carries TX).  A member probed again (a returning VF) counts as
 * silent until its first reply, so VF_RETURNING only ends in VF_ACTIVE once
 * the VF's path has answered (failover_path.c).  With no usable member, a
 * member whose link is up still carries TX (the last resort: the one on TX
 * first, then the VF); NO_MEMBER means that no member has link.
 *
 * The machine decides; what it does to ports goes through struct vfo_fo_ops,
 * so the unit tests drive it with injected events and fake ports.  Every
 * transition is logged with a monotonic µs timestamp into a bounded timeline.
 *
 * Thread-safety: one struct vfo_failover is driven by one thread (the
 * control thread); vfo_fo_timeline_json() may be called from that thread
 * only.  Other threads read a machine through vfo_fo_engine_json(), under
 * the engine's lock (vfo_fo_engine.h).
 */
#ifndef VFO_FAILOVER_H
#define VFO_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vfo_uplink.h"

/** States of an uplink's failover machine. */
enum vfo_fo_state {
	VFO_FO_VF_ACTIVE = 0,	  /**< TX on the VF */
	VFO_FO_DRAINING,	  /**< TX on backup, VF still polled until quiet */
	VFO_FO_BACKUP_VF_GONE,	  /**< TX on backup, VF released or removed */
	VFO_FO_VF_RETURNING,	  /**< VF started again, waiting for link (and verify) */
	VFO_FO_BACKUP_VF_PRESENT, /**< TX on backup, VF present but down or not preferred */
	VFO_FO_NO_MEMBER,	  /**< no member has link: traffic is dropped and counted */
	VFO_FO_STATE_COUNT,
};

/** Events the machine reacts to. */
enum vfo_fo_event {
	VFO_EV_TICK = 0,       /**< periodic: link polling, drain settle, retries */
	VFO_EV_PREPARE,	       /**< planned: host is about to detach the VF */
	VFO_EV_REMOVE_REQUEST, /**< the VF's device is asked to go (vfio request, RMV) */
	VFO_EV_VF_GONE,	       /**< the VF vanished without warning or returned errors */
	VFO_EV_VF_ADDED,       /**< a device matching the VF appeared (devargs given) */
	VFO_EV_ATTACH,	       /**< attach command with devargs */
	VFO_EV_LINK_CHANGE,    /**< a member's link changed (LSC interrupt or poll) */
	VFO_EV_BACKUP_GONE,    /**< the backup's device went away */
	VFO_EV_BACKUP_ADDED,   /**< a device matching the backup appeared again */
	VFO_EV_PREFER_VF,      /**< prefer command: vf */
	VFO_EV_PREFER_BACKUP,  /**< prefer command: backup */
	VFO_EV_COUNT,
};

/*
 * The transition table: every (state, event) pair has at least one row, and
 * test_failover.c runs every row on fake ports and checks the state the
 * machine leaves on, what the event returns and where TX is.  A row reads
 *
 *   X(FROM, EVENT, VF, BACKUP, WHEN, TO, ERR)
 *
 * in state VFO_FO_<FROM>, event VFO_EV_<EVENT> arrives while the VF and the
 * backup are UP (present, link up), DOWN (present, link down) or ABSENT;
 * WHEN is NOW, LATER (every timer has run out: the drain settled, a VF down
 * since the last look is due for a re-probe), FAILS (probing the VF fails
 * with -EIO) or PREFER_BACKUP (prefer backup was set).  The machine leaves
 * on VFO_FO_<TO>; ERR is 0 or the errno the event is refused with (the
 * state then stays).  The first row of each state is its usual world.
 *
 * TX is on the VF in VF_ACTIVE, on none in NO_MEMBER, and on the backup
 * otherwise (VF_RETURNING: on none when the VF returns with no backup).
 */
#define VFO_FO_TRANSITIONS(X)                                                                      \
	X(VF_ACTIVE, TICK, UP, UP, NOW, VF_ACTIVE, 0)                                              \
	X(VF_ACTIVE, TICK, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                                    \
	X(VF_ACTIVE, TICK, DOWN, DOWN, NOW, NO_MEMBER, 0)                                          \
	X(VF_ACTIVE, PREPARE, UP, UP, NOW, DRAINING, 0)                                            \
	X(VF_ACTIVE, PREPARE, UP, DOWN, NOW, VF_ACTIVE, EAGAIN)                                    \
	X(VF_ACTIVE, REMOVE_REQUEST, UP, UP, NOW, DRAINING, 0)                                     \
	X(VF_ACTIVE, REMOVE_REQUEST, UP, DOWN, NOW, NO_MEMBER, 0)                                  \
	X(VF_ACTIVE, VF_GONE, UP, UP, NOW, BACKUP_VF_GONE, 0)                                      \
	X(VF_ACTIVE, VF_GONE, UP, DOWN, NOW, NO_MEMBER, 0)                                         \
	X(VF_ACTIVE, VF_ADDED, UP, UP, NOW, VF_ACTIVE, EEXIST)                                     \
	X(VF_ACTIVE, ATTACH, UP, UP, NOW, VF_ACTIVE, EEXIST)                                       \
	X(VF_ACTIVE, LINK_CHANGE, UP, UP, NOW, VF_ACTIVE, 0)                                       \
	X(VF_ACTIVE, LINK_CHANGE, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                             \
	X(VF_ACTIVE, LINK_CHANGE, DOWN, DOWN, NOW, NO_MEMBER, 0)                                   \
	X(VF_ACTIVE, BACKUP_GONE, UP, UP, NOW, VF_ACTIVE, 0)                                       \
	X(VF_ACTIVE, BACKUP_ADDED, UP, UP, NOW, VF_ACTIVE, 0)                                      \
	X(VF_ACTIVE, PREFER_VF, UP, UP, NOW, VF_ACTIVE, 0)                                         \
	X(VF_ACTIVE, PREFER_BACKUP, UP, UP, NOW, BACKUP_VF_PRESENT, 0)                             \
	X(VF_ACTIVE, PREFER_BACKUP, UP, DOWN, NOW, VF_ACTIVE, 0)                                   \
	X(DRAINING, TICK, UP, UP, NOW, DRAINING, 0)                                                \
	X(DRAINING, TICK, UP, UP, LATER, BACKUP_VF_GONE, 0)                                        \
	X(DRAINING, TICK, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                                        \
	X(DRAINING, TICK, UP, DOWN, LATER, NO_MEMBER, 0)                                           \
	X(DRAINING, PREPARE, UP, UP, NOW, DRAINING, 0)                                             \
	X(DRAINING, REMOVE_REQUEST, UP, UP, NOW, DRAINING, 0)                                      \
	X(DRAINING, VF_GONE, UP, UP, NOW, BACKUP_VF_GONE, 0)                                       \
	X(DRAINING, VF_GONE, UP, DOWN, NOW, NO_MEMBER, 0)                                          \
	X(DRAINING, VF_ADDED, UP, UP, NOW, DRAINING, EBUSY)                                        \
	X(DRAINING, ATTACH, UP, UP, NOW, DRAINING, EBUSY)                                          \
	X(DRAINING, LINK_CHANGE, UP, UP, NOW, DRAINING, 0)                                         \
	X(DRAINING, LINK_CHANGE, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                                 \
	X(DRAINING, BACKUP_GONE, UP, UP, NOW, DRAINING, 0)                                         \
	X(DRAINING, BACKUP_ADDED, UP, UP, NOW, DRAINING, 0)                                        \
	X(DRAINING, PREFER_VF, UP, UP, NOW, DRAINING, 0)                                           \
	X(DRAINING, PREFER_BACKUP, UP, UP, NOW, DRAINING, 0)                                       \
	X(BACKUP_VF_GONE, TICK, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                                \
	X(BACKUP_VF_GONE, TICK, ABSENT, DOWN, NOW, NO_MEMBER, 0)                                   \
	X(BACKUP_VF_GONE, PREPARE, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                             \
	X(BACKUP_VF_GONE, REMOVE_REQUEST, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                      \
	X(BACKUP_VF_GONE, VF_GONE, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                             \
	X(BACKUP_VF_GONE, VF_ADDED, ABSENT, UP, NOW, VF_RETURNING, 0)                              \
	X(BACKUP_VF_GONE, VF_ADDED, ABSENT, UP, FAILS, BACKUP_VF_GONE, EIO)                        \
	X(BACKUP_VF_GONE, ATTACH, ABSENT, UP, NOW, VF_RETURNING, 0)                                \
	X(BACKUP_VF_GONE, ATTACH, ABSENT, UP, FAILS, BACKUP_VF_GONE, EIO)                          \
	X(BACKUP_VF_GONE, LINK_CHANGE, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                         \
	X(BACKUP_VF_GONE, LINK_CHANGE, ABSENT, DOWN, NOW, NO_MEMBER, 0)                            \
	X(BACKUP_VF_GONE, BACKUP_GONE, ABSENT, UP, NOW, NO_MEMBER, 0)                              \
	X(BACKUP_VF_GONE, BACKUP_ADDED, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                        \
	X(BACKUP_VF_GONE, PREFER_VF, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                           \
	X(BACKUP_VF_GONE, PREFER_BACKUP, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                       \
	X(VF_RETURNING, TICK, DOWN, UP, NOW, VF_RETURNING, 0)                                      \
	X(VF_RETURNING, TICK, UP, UP, NOW, VF_ACTIVE, 0)                                           \
	X(VF_RETURNING, TICK, UP, UP, PREFER_BACKUP, BACKUP_VF_PRESENT, 0)                         \
	X(VF_RETURNING, TICK, DOWN, DOWN, NOW, NO_MEMBER, 0)                                       \
	X(VF_RETURNING, PREPARE, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                                 \
	X(VF_RETURNING, REMOVE_REQUEST, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                          \
	X(VF_RETURNING, VF_GONE, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                                 \
	X(VF_RETURNING, VF_ADDED, DOWN, UP, NOW, VF_RETURNING, EEXIST)                             \
	X(VF_RETURNING, ATTACH, DOWN, UP, NOW, VF_RETURNING, EEXIST)                               \
	X(VF_RETURNING, LINK_CHANGE, DOWN, UP, NOW, VF_RETURNING, 0)                               \
	X(VF_RETURNING, LINK_CHANGE, UP, UP, NOW, VF_ACTIVE, 0)                                    \
	X(VF_RETURNING, BACKUP_GONE, DOWN, UP, NOW, VF_RETURNING, 0)                               \
	X(VF_RETURNING, BACKUP_ADDED, DOWN, UP, NOW, VF_RETURNING, 0)                              \
	X(VF_RETURNING, PREFER_VF, DOWN, UP, NOW, VF_RETURNING, 0)                                 \
	X(VF_RETURNING, PREFER_BACKUP, DOWN, UP, NOW, VF_RETURNING, 0)                             \
	X(BACKUP_VF_PRESENT, TICK, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                            \
	X(BACKUP_VF_PRESENT, TICK, DOWN, UP, LATER, BACKUP_VF_GONE, 0)                             \
	X(BACKUP_VF_PRESENT, TICK, UP, UP, NOW, VF_ACTIVE, 0)                                      \
	X(BACKUP_VF_PRESENT, TICK, UP, UP, PREFER_BACKUP, BACKUP_VF_PRESENT, 0)                    \
	X(BACKUP_VF_PRESENT, TICK, DOWN, DOWN, NOW, NO_MEMBER, 0)                                  \
	X(BACKUP_VF_PRESENT, PREPARE, DOWN, UP, NOW, DRAINING, 0)                                  \
	X(BACKUP_VF_PRESENT, REMOVE_REQUEST, DOWN, UP, NOW, DRAINING, 0)                           \
	X(BACKUP_VF_PRESENT, VF_GONE, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                            \
	X(BACKUP_VF_PRESENT, VF_ADDED, DOWN, UP, NOW, BACKUP_VF_PRESENT, EEXIST)                   \
	X(BACKUP_VF_PRESENT, ATTACH, DOWN, UP, NOW, BACKUP_VF_PRESENT, EEXIST)                     \
	X(BACKUP_VF_PRESENT, LINK_CHANGE, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                     \
	X(BACKUP_VF_PRESENT, LINK_CHANGE, UP, UP, NOW, VF_ACTIVE, 0)                               \
	X(BACKUP_VF_PRESENT, BACKUP_GONE, DOWN, UP, NOW, NO_MEMBER, 0)                             \
	X(BACKUP_VF_PRESENT, BACKUP_GONE, UP, UP, NOW, VF_ACTIVE, 0)                               \
	X(BACKUP_VF_PRESENT, BACKUP_ADDED, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                    \
	X(BACKUP_VF_PRESENT, PREFER_VF, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                       \
	X(BACKUP_VF_PRESENT, PREFER_VF, UP, UP, PREFER_BACKUP, VF_ACTIVE, 0)                       \
	X(BACKUP_VF_PRESENT, PREFER_BACKUP, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                   \
	X(NO_MEMBER, TICK, DOWN, DOWN, NOW, NO_MEMBER, 0)                                          \
	X(NO_MEMBER, TICK, UP, DOWN, NOW, VF_ACTIVE, 0)                                            \
	X(NO_MEMBER, TICK, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                                    \
	X(NO_MEMBER, TICK, ABSENT, UP, NOW, BACKUP_VF_GONE, 0)                                     \
	X(NO_MEMBER, PREPARE, DOWN, DOWN, NOW, NO_MEMBER, 0)                                       \
	X(NO_MEMBER, REMOVE_REQUEST, DOWN, DOWN, NOW, NO_MEMBER, 0)                                \
	X(NO_MEMBER, REMOVE_REQUEST, DOWN, UP, NOW, BACKUP_VF_GONE, 0)                             \
	X(NO_MEMBER, VF_GONE, DOWN, DOWN, NOW, NO_MEMBER, 0)                                       \
	X(NO_MEMBER, VF_ADDED, DOWN, DOWN, NOW, NO_MEMBER, EEXIST)                                 \
	X(NO_MEMBER, VF_ADDED, ABSENT, DOWN, NOW, VF_RETURNING, 0)                                 \
	X(NO_MEMBER, ATTACH, DOWN, DOWN, NOW, NO_MEMBER, EEXIST)                                   \
	X(NO_MEMBER, ATTACH, ABSENT, DOWN, NOW, VF_RETURNING, 0)                                   \
	X(NO_MEMBER, ATTACH, ABSENT, DOWN, FAILS, NO_MEMBER, EIO)                                  \
	X(NO_MEMBER, LINK_CHANGE, DOWN, DOWN, NOW, NO_MEMBER, 0)                                   \
	X(NO_MEMBER, LINK_CHANGE, UP, DOWN, NOW, VF_ACTIVE, 0)                                     \
	X(NO_MEMBER, LINK_CHANGE, DOWN, UP, NOW, BACKUP_VF_PRESENT, 0)                             \
	X(NO_MEMBER, BACKUP_GONE, DOWN, DOWN, NOW, NO_MEMBER, 0)                                   \
	X(NO_MEMBER, BACKUP_ADDED, DOWN, DOWN, NOW, NO_MEMBER, 0)                                  \
	X(NO_MEMBER, BACKUP_ADDED, DOWN, ABSENT, NOW, BACKUP_VF_PRESENT, 0)                        \
	X(NO_MEMBER, PREFER_VF, DOWN, DOWN, NOW, NO_MEMBER, 0)                                     \
	X(NO_MEMBER, PREFER_BACKUP, DOWN, DOWN, NOW, NO_MEMBER, 0)

/** What the machine does to ports; the real ones drive an uplink. */
struct vfo_fo_ops {
	/** TX on member 'id' (-1: none); returns after the RCU grace period.
	 * Returns 0; -EBUSY: nothing changed (the previous switch's grace
	 * period is not over); -ETIMEDOUT: TX moved, but its grace period
	 * outlasted its bound (a stalled worker may still send on the previous
	 * member); another negative errno: nothing changed. */
	int (*set_active)(void *ctx, int id);
	/** Probes, configures (replaying the uplink's settings) and starts member
	 * 'id' from 'devargs'.  Returns 0 or a negative errno (-ETIMEDOUT: its
	 * PMD did not return in time; -EBUSY: an earlier one still runs). */
	int (*attach)(void *ctx, int id, const char *devargs);
	/** Stops polling member 'id', waits for the grace period, completes its
	 * TX, stops, closes and removes it; fills 'rel' (what its rings held).
	 * Returns 0; -EINPROGRESS: a step outlasted its bound, the member is
	 * gone for present() and poll() reports the release once it is over. */
	int (*detach)(void *ctx, int id, struct vfo_release *rel);
	/** Finishes what detach left pending: returns a bit per member (1 << id)
	 * whose release ended, 'rel[id]' filled.  May be NULL (never pending). */
	unsigned int (*poll)(void *ctx, struct vfo_release rel[VFO_MEMBER_COUNT]);
	/** Returns true when member 'id' is present. */
	bool (*present)(void *ctx, int id);
	/** Returns true when member 'id' has link (and its path answers). */
	bool (*link_up)(void *ctx, int id);
	/** Returns the packets received so far on member 'id' (all queues). */
	uint64_t (*rx_count)(void *ctx, int id);
	/** Returns a mark of the forwarding workers' progress now (for polled_since). */
	uint64_t (*poll_mark)(void *ctx);
	/** Returns true when every forwarding worker has polled its queues
	 * again since 'mark' (passed a quiescent state). */
	bool (*polled_since)(void *ctx, uint64_t mark);
	/** Returns true when member 'id''s PMD tells when a packet it took for
	 * TX has left; false when its peer reads a ring when it runs (memif,
	 * virtio): a drain then waits for its answers longer (on_draining). */
	bool (*tx_done_known)(void *ctx, int id);
	/** Announces the uplink MAC (RARP, gratuitous ARP) on member 'id'. */
	void (*announce)(void *ctx, int id);
	/** Returns the monotonic time in µs. */
	uint64_t (*now_us)(void *ctx);
	/** Path liveness (used only when conf.path_target != 0): hands one ARP
	 * request for 'target' (host order) to member 'id''s TX.  Returns 0 or
	 * a negative errno (-EBUSY: the previous one is still waiting). */
	int (*probe)(void *ctx, int id, uint32_t target);
	/** Returns the ARP replies from the target received on member 'id' so
	 * far (a counter that only grows while the member stays present). */
	uint64_t (*path_replies)(void *ctx, int id);
};

/** Tunables of the machine. */
struct vfo_fo_conf {
	uint64_t settle_us;	   /**< VF RX quiet this long ends a drain (default 2000; at
				    * least min_drain_us when its TX completion is unknown) */
	uint64_t max_drain_us;	   /**< a drain never takes longer (default 200000) */
	uint64_t min_drain_us;	   /**< nor shorter (default 0): the VF's peer gets this long to
				    * take what TX left in the VF's ring and to answer it
				    * (vfailover: --tx-drain-ms) */
	uint64_t retry_min_us;	   /**< first attach retry after (default 100000) */
	uint64_t retry_max_us;	   /**< retries back off up to (default 5000000) */
	uint64_t reprobe_down_us;  /**< a present VF down this long is released and probed
				    * again (default 1000000; 0: never) */
	bool announce;		   /**< send RARP/GARP after every switch (default true) */
	bool prefer_vf;		   /**< go back to the VF when it is usable (default true) */
	uint32_t path_target;	   /**< IPv4 (host order) the path check asks, 0: off (default) */
	uint64_t path_interval_us; /**< one probe per member this often (default 100000) */
	uint32_t path_missed;	   /**< intervals without a reply = path failed (default 3) */
};

/** Path liveness of one member (see failover_path.c). */
struct vfo_fo_path {
	bool up;		/**< its path answers (or has not yet missed, at start) */
	uint64_t last_probe_us; /**< when the last probe was handed over, 0: never */
	uint64_t last_reply_us; /**< when a new reply was last seen, 0: none since attach */
	uint64_t replies_seen;	/**< path_replies() at the last look */
	uint32_t unanswered;	/**< probes handed over since the last reply */
	uint64_t probes;	/**< probes handed over (all incarnations) */
	uint64_t replies;	/**< replies seen (all incarnations) */
	uint64_t failures;	/**< times the path went from answering to silent */
};

/** One timeline entry. */
struct vfo_fo_record {
	uint64_t t_us;	  /**< monotonic µs */
	uint8_t from;	  /**< enum vfo_fo_state before */
	uint8_t to;	  /**< enum vfo_fo_state after (== from: a note) */
	uint8_t event;	  /**< enum vfo_fo_event that caused it */
	char detail[221]; /**< what was done, numbers (a 256-byte record) */
};

/** Entries the timeline keeps (the oldest are overwritten). */
#define VFO_FO_TIMELINE 256

/** The machine of one uplink. */
struct vfo_failover {
	enum vfo_fo_state state;			 /**< current state */
	int tx;						 /**< member TX is on (-1: none) */
	struct vfo_fo_conf conf;			 /**< tunables */
	const struct vfo_fo_ops *ops;			 /**< port actions */
	void *ctx;					 /**< argument of the ops */
	const char *name;				 /**< uplink name, for the log */
	char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX]; /**< how to probe each member again
							  * (changed only by a successful attach) */
	bool released_by_prepare;			 /**< the last VF removal was planned */
	/* Drain bookkeeping (DRAINING). */
	uint64_t drain_start_us;       /**< when TX moved to the backup */
	uint64_t drain_last_rx;	       /**< VF rx count last seen */
	uint64_t drain_quiet_since_us; /**< since when that count has not moved */
	uint64_t drain_quiet_us;       /**< how long it must not move (set at start) */
	uint64_t drain_mark;	       /**< poll_mark() once quiet for settle_us */
	bool drain_marked;	       /**< drain_mark is set for this quiet spell */
	/* Attach retries (BACKUP_VF_GONE with devargs known). */
	bool retry_pending;		     /**< an attach failed and will be retried */
	uint64_t retry_at_us;		     /**< when */
	uint64_t retry_delay_us;	     /**< current backoff */
	uint32_t retries;		     /**< attach attempts that failed in a row */
	char retry_devargs[VFO_DEVARGS_MAX]; /**< devargs of a failed attach that gave its
					      * own, which its retries probe; "": devargs[VF] */
	uint64_t vf_down_since_us;	     /**< when a present VF was first seen down, 0: up */
	bool on_last_resort; /**< TX is on a member whose path is silent, for want of a
			      * usable one (settle(); noted once in the timeline) */
	uint64_t vf_rx_mark; /**< poll_mark() when TX was first about to move onto the VF */
	bool vf_rx_marked;   /**< vf_rx_mark is set: TX waits for the workers to poll the
			      * VF's RX (vf_rx_polled(); cleared once TX is on the VF, the
			      * VF lost link or a VF was attached) */
	/* Counters. */
	uint64_t switches;	 /**< changes of the TX member */
	uint64_t last_switch_us; /**< duration of the last switch (event to TX moved) */
	/** Packets counted in the rings of members lost without warning (gone,
	 * removed, down too long); releases that could not count them (the PMD
	 * cannot tell, see struct vfo_release) are in lost_unplanned_unknown. */
	uint64_t lost_unplanned;
	uint64_t lost_unplanned_unknown; /**< unplanned releases whose loss is unknown */
	/** Packets counted in the rings of members released on purpose (prepare,
	 * removal request); planned_unconfirmed counts those releases whose TX
	 * completion could not be confirmed. */
	uint64_t lost_planned;
	uint64_t planned_unconfirmed; /**< planned releases whose TX completion is unknown */
	uint64_t timeouts;	      /**< port actions that outlasted their bound */
	/** A release that outlasted its bound: was it planned (per member). */
	bool release_planned[VFO_MEMBER_COUNT];
	/* The event being handled (vfo_fo_handle): its first port action that
	 * failed or outlasted its bound, returned to the caller. */
	uint8_t op_event; /**< enum vfo_fo_event being handled */
	int op_err;	  /**< negative errno, 0: none */
	char op_why[128]; /**< what happened */
	/* Path liveness (conf.path_target != 0). */
	struct vfo_fo_path path[VFO_MEMBER_COUNT]; /**< per member */
	/* Timeline ring. */
	struct vfo_fo_record tl[VFO_FO_TIMELINE]; /**< entries */
	uint32_t tl_next;			  /**< total entries ever written */
};

/** Fills 'c' with the defaults. */
void vfo_fo_conf_defaults(struct vfo_fo_conf *c);

/**
 * Sets up 'fo' in 'initial' state for the uplink called 'name', whose
 * members were probed from devargs[VFO_MEMBER_VF] and devargs[VFO_MEMBER_BACKUP].
 * 'ops' and 'ctx' stay in use.
 */
void vfo_fo_init(struct vfo_failover *fo, const char *name, const struct vfo_fo_conf *conf,
		 const struct vfo_fo_ops *ops, void *ctx,
		 const char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX], enum vfo_fo_state initial);

/**
 * Runs event 'ev' ('devargs' for VFO_EV_VF_ADDED / VFO_EV_ATTACH, else
 * NULL: then the devargs of a failed attach being retried, or those the VF
 * was last probed from, are used).  Devargs are stored for later attaches
 * only once they probed and started.  Returns 0, or a negative errno
 * when the event cannot be obeyed in this state (e.g. prepare with no usable backup: -EAGAIN), with
 * nothing changed; 'why' (may be NULL) then says why, in words.  A port action that outlasted its
 * bound (a grace period, a probe, a release; -ETIMEDOUT or -EINPROGRESS) or failed is returned
 * the same way even where the event went on (the state then changed as far as it could: 'why'
 * says what happened); it is also in the timeline.  A TICK first counts and notes the releases
 * that ended in the background (ops->poll).
 */
int vfo_fo_handle(struct vfo_failover *fo, enum vfo_fo_event ev, const char *devargs, char *why,
		  size_t whylen);

/**
 * Path liveness, once per tick: hands each present member a probe when one
 * is due and looks at its replies.  Returns a bit per member (1 << id) whose
 * path went up or down.  No-op (0) when off.
 */
unsigned int vfo_fo_path_tick(struct vfo_failover *fo, uint64_t now_us);

/**
 * Member 'id' was just attached or released: its path counts as silent
 * until its next reply, and a probe is due at once.
 */
void vfo_fo_path_reset(struct vfo_failover *fo, int id);

/**
 * Start-up: both members count as answering until they miss path_missed
 * intervals from 'now_us' (the machine starts on the VF).
 */
void vfo_fo_path_start(struct vfo_failover *fo, uint64_t now_us);

/** Returns true when member 'id''s path answers, or path liveness is off. */
bool vfo_fo_path_up(const struct vfo_failover *fo, int id);

/** Returns the path liveness state as a JSON object, or NULL when it is off. */
json_t *vfo_fo_path_json(const struct vfo_failover *fo);

/** Returns the state's name ("vf_active", ...). */
const char *vfo_fo_state_name(enum vfo_fo_state s);

/** Returns the event's name ("prepare", ...). */
const char *vfo_fo_event_name(enum vfo_fo_event e);

/**
 * Context of the port actions on a real uplink: the uplink, and the lock
 * the machine's caller holds (NULL: none), which the actions that wait (a
 * switch's grace period, an attach, a release, the background work) let go
 * of meanwhile, so that other threads can read the machine.
 */
struct vfo_fo_uplink_ctx {
	struct vfo_uplink *u;	/**< the uplink */
	struct vfo_mutex *lock; /**< held around vfo_fo_handle, or NULL */
};

/** Port actions on a real uplink: ctx is a struct vfo_fo_uplink_ctx *. */
extern const struct vfo_fo_ops vfo_fo_uplink_ops;

/** Returns the timeline, oldest first, as a JSON array (new reference). */
json_t *vfo_fo_timeline_json(const struct vfo_failover *fo);

#endif /* VFO_FAILOVER_H */
