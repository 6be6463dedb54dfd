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

#include "vfo_fwd_marks.h"
#include "vfo_uplink.h"

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
} __rte_cache_aligned;

/** A forwarder: filled by the application, then run on every lcore. */
struct vfo_fwd {
	struct vfo_uplink *uplink[VFO_MAX_UPLINKS]; /**< the uplinks */
	unsigned int nb_uplinks;		    /**< 1 or 2 */
	enum vfo_fwd_mode mode;			    /**< what to do to a packet */
	uint16_t burst;				    /**< RX burst and TX buffer size */
	uint64_t drain_tsc; /**< flush TX buffers at least this often (TSC cycles) */
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
};

/**
 * The lcore loop (for rte_eal_mp_remote_launch with a struct vfo_fwd *).
 * Returns 0 when *quit is set, after flushing its TX buffers and going
 * offline in the RCU variable.
 */
int vfo_fwd_lcore_main(void *arg);

/** Sums the counters of every lcore into 'sum'. */
void vfo_fwd_stats_sum(const struct vfo_fwd *f, struct vfo_fwd_lcore_stats *sum);

/** Returns "io", "mac", "macswap" or "flow" ("?" for a value out of range). */
const char *vfo_fwd_mode_name(enum vfo_fwd_mode m);

/** Sets *m to the mode named 's'.  Returns 0, or -1 for an unknown name. */
int vfo_fwd_mode_parse(const char *s, enum vfo_fwd_mode *m);

#endif /* VFO_FWD_H */
