/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_fwd.h — the forwarding engine of the vfailover application: every
 * lcore polls its queue of every uplink and forwards what it receives, one
 * uplink back out of itself, two uplinks to each other.
 *
 * Lcore k (its rte_lcore_index) serves queue k of every member.  Each lcore
 * registers as RCU thread k with the uplinks' rte_rcu_qsbr and reports a
 * quiescent state once per loop, so the control thread can switch members.
 */
#ifndef VFO_FWD_H
#define VFO_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include <rte_epoll.h>

#include "vfo_fwd_marks.h"
#include "vfo_uplink.h"
#include "vfo_yield.h"

/** Loop turns per batch: the view is read, the time taken and an RCU
 * quiescent state reported once per batch. */
#define VFO_FWD_TURNS_PER_BATCH 32
/** Most loop turns between two polls of an idle non-active member (the
 * turns per batch: the others are polled first once per batch anyway). */
#define VFO_FWD_IDLE_EVERY_MAX VFO_FWD_TURNS_PER_BATCH
/** Default of vfo_fwd.idle_every (see README: chosen by measurement). */
#define VFO_FWD_IDLE_EVERY_DEF 8
/** How long (µs) a non-active member must stay silent to count as idle. */
#define VFO_FWD_IDLE_AFTER_US 1000

/** Forwarding modes, with testpmd's meanings. */
enum vfo_fwd_mode {
	VFO_FWD_IO = 0,	 /**< forward untouched */
	VFO_FWD_MAC,	 /**< src MAC = out uplink's MAC, dst MAC = its peer MAC */
	VFO_FWD_MACSWAP, /**< swap src and dst MAC */
	VFO_FWD_FLOW,	 /**< io, and every packet counted in its uplink's flow table */
};

/** Counters of one forwarding lcore, written by it alone. */
struct vfo_fwd_lcore_stats {
	uint64_t pkts;	       /**< packets received and handed to TX */
	uint64_t busy_cycles;  /**< TSC cycles of the spans of turns that received packets */
	uint64_t total_cycles; /**< TSC cycles spent in the loop */
	uint64_t batches;      /**< batches of loop turns run (a turn polls every uplink once) */
	/** batches of turns (per uplink) in which the non-active members were
	 * polled one turn in idle_every, being idle */
	uint64_t idle_batches;
	uint64_t sleeps;       /**< times it slept until an interrupt (idle yield) */
	uint64_t wake_rx;      /**< sleeps an RX interrupt ended */
	uint64_t wake_kick;    /**< sleeps the control side ended (a new view, frames to
				* send, quit) */
	uint64_t wake_timeout; /**< sleeps that their timeout ended */
	uint64_t sleep_cycles; /**< TSC cycles spent asleep (not in total_cycles) */
	uint64_t wake_missed;  /**< sleeps the timeout ended with packets waiting */
} __rte_cache_aligned;

/** One RX interrupt registration of a sleeping lcore (lcore only). */
struct vfo_fwd_intr_reg {
	uint16_t port;	  /**< the member's port */
	uint8_t wake;	  /**< its VFO_VIEW_WAKE_* flags when registered */
	bool on;	  /**< registered in the lcore's epoll instance */
	bool armed;	  /**< its interrupt is enabled (rte_eth_dev_rx_intr_enable) */
	uint8_t missed;	  /**< sleeps in a row that the timeout ended with packets
			   * waiting on this member (its interrupt did not come) */
	bool distrusted;  /**< missed VFO_FWD_WAKE_MISSES times: it keeps the lcore awake */
	uint64_t rx_woke; /**< its rx_pkts on this queue when the last sleep ended */
};

/** Sleeps in a row that may end by the timeout with packets waiting on a
 * member before that member's RX interrupts are no longer trusted. */
#define VFO_FWD_WAKE_MISSES 3

/**
 * What one lcore needs to sleep while idle (idle yield).  The control side
 * reads 'seq', 'synced' and 'running' and writes 'kick_fd'; everything else
 * is the lcore's.
 */
struct vfo_fwd_sleeper {
	int epfd;			  /**< its epoll instance, -1: none */
	int kick_fd;			  /**< eventfd the control side writes to wake it */
	struct rte_epoll_event kick_ev;	  /**< kick_fd's registration in epfd */
	uint32_t seq;			  /**< odd while it sleeps or is about to (atomic) */
	uint32_t synced[VFO_MAX_UPLINKS]; /**< per uplink: the view generation its RX
					   * interrupt registrations match (atomic) */
	bool running;			  /**< in the loop, registering (atomic) */
	bool armed;			  /**< its registered interrupts are enabled */
	uint8_t woke;			  /**< how the last sleep ended, 0: judged already */
	unsigned int sleep_ms; /**< timeout of the next sleep (see VFO_YIELD_MIN_SLEEP_MS) */
	/** per uplink: a bit (1 << member id) per member distrusted (atomic) */
	uint32_t distrust_mask[VFO_MAX_UPLINKS];
	struct vfo_fwd_intr_reg reg[VFO_MAX_UPLINKS][VFO_MEMBER_COUNT]; /**< per member */
} __rte_cache_aligned;

/** A forwarder: filled by the application, then run on every lcore. */
struct vfo_fwd {
	struct vfo_uplink *uplink[VFO_MAX_UPLINKS]; /**< the uplinks */
	unsigned int nb_uplinks;		    /**< 1 or 2 */
	enum vfo_fwd_mode mode;			    /**< what to do to a packet */
	uint16_t burst;				    /**< RX burst and TX buffer size */
	uint64_t drain_tsc; /**< offer refused --tx-first frames again this often (TSC cycles) */
	struct rte_ether_addr peer_mac[VFO_MAX_UPLINKS]; /**< dst MAC per out uplink */
	struct rte_rcu_qsbr *qsbr; /**< RCU variable of the uplinks (thread id = lcore index) */
	bool tx_first;		   /**< send one burst per uplink before forwarding */
	uint16_t tx_first_len;	   /**< size of those frames without FCS (0: 60) */
	bool path_liveness;	   /**< run the loop that consumes path-check ARP replies
				    * and sends path probes (an uplink has arp_target) */
	/** Poll an idle non-active member one loop turn in this many (a power
	 * of 2, 1..VFO_FWD_IDLE_EVERY_MAX; 0 or 1: every turn); see --idle-poll. */
	unsigned int idle_every;
	/** A non-active member is idle when it delivered nothing, and its
	 * uplink's view did not change, for this many TSC cycles. */
	uint64_t idle_after_tsc;
	/** What an lcore does when its queues stay empty (--idle-yield); the
	 * uplinks' members must have been set up with the same mode. */
	enum vfo_yield_mode yield;
	/** How long every queue of an lcore must stay empty before it sleeps
	 * (TSC cycles, --idle-yield-us). */
	uint64_t yield_after_tsc;
	bool yield_ready;   /**< vfo_fwd_yield_setup() done */
	const bool *quit;   /**< the loop ends when this becomes true (atomic) */
	uint32_t stall_ms;  /**< test hook (vfailover's test_stall command): the
			     * lcore of index 0 spins this long holding its
			     * views, then stores 0 (atomic) */
	bool stalling;	    /**< test hook: true while that lcore spins (atomic;
			     * written by the lcore, read by test_stall) */
	uint64_t stall_tsc; /**< a mark when two batches' TSC reads are further apart
			     * (0: never) */
	uint64_t quiet_tsc; /**< a mark when packets come after this long without (0: never) */
	struct vfo_fwd_marks *marks; /**< marks per lcore index (NULL: none kept) */
	struct vfo_fwd_lcore_stats lcore[RTE_MAX_LCORE]; /**< per lcore index */
	struct vfo_fwd_sleeper sleeper[RTE_MAX_LCORE];	 /**< per lcore index (idle yield) */
};

/**
 * The lcore loop (for rte_eal_mp_remote_launch with a struct vfo_fwd *).
 * Returns 0 when *quit is set, after flushing its TX buffers and going
 * offline in the RCU variable.
 */
int vfo_fwd_lcore_main(void *arg);

/**
 * Gets the forwarder ready for its lcores to sleep while idle (f->yield
 * interrupt or auto): an epoll instance and a kick eventfd per lcore.  Call before the
 * lcores are launched.  Returns 0, or -1 with 'err' set.
 */
int vfo_fwd_yield_setup(struct vfo_fwd *f, char *err, size_t errlen);

/** Closes what vfo_fwd_yield_setup() opened (lcores stopped). */
void vfo_fwd_yield_teardown(struct vfo_fwd *f);

/**
 * The hooks an uplink calls for the forwarder's sleeping lcores (struct
 * vfo_uplink_sleepers, arg = the forwarder): wake every sleeping lcore;
 * wait until every lcore's RX interrupt registrations match view
 * generation 'gen' of 'u' (kicking those asleep).  Control side.
 */
void vfo_fwd_wake(void *fwd);
void vfo_fwd_sync(void *fwd, const struct vfo_uplink *u, uint32_t gen);

/** Wakes every lcore (async-signal-safe: a write per eventfd), e.g. on quit. */
void vfo_fwd_wake_all(const struct vfo_fwd *f);

/** Sums the counters of every lcore into 'sum'. */
void vfo_fwd_stats_sum(const struct vfo_fwd *f, struct vfo_fwd_lcore_stats *sum);

/** Returns "io", "mac", "macswap" or "flow" ("?" for a value out of range). */
const char *vfo_fwd_mode_name(enum vfo_fwd_mode m);

/** Sets *m to the mode named 's'.  Returns 0, or -1 for an unknown name. */
int vfo_fwd_mode_parse(const char *s, enum vfo_fwd_mode *m);

#endif /* VFO_FWD_H */
