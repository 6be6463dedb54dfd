/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_fwd_marks.h — what a forwarding lcore noticed about its own loop, for
 * explaining outages: the loop stalled (two TSC reads of consecutive batches
 * further apart than a threshold: the lcore did not run, e.g. the VM was
 * paused, the vCPU was taken or the kernel preempted it), and RX resumed (a
 * batch moved packets after a quiet spell longer than a threshold: the
 * first packets forwarded after an outage, and the last ones before it).
 *
 * The lcore checks both where it already reads the TSC once per batch of
 * turns, so the fast path gains two compares per batch and nothing per
 * packet; a mark is written out of line (vfo_fwd_mark_*), stamped with
 * CLOCK_MONOTONIC (the clock of the failover timeline) read there.
 *
 * Thread-safety: each lcore writes its own ring (single writer, index
 * published with release order); vfo_fwd_marks_json() may run on any thread
 * and drops entries the writer overwrote while it copied them.
 */
#ifndef VFO_FWD_MARKS_H
#define VFO_FWD_MARKS_H

#include <stdint.h>

#include <jansson.h>
#include <rte_common.h>

/** Marks kept per lcore (the oldest are overwritten). */
#define VFO_FWD_MARKS 512

/** Kinds of marks. */
enum vfo_fwd_mark_kind {
	VFO_FWD_MARK_STALL = 0,	 /**< no TSC read for longer than the stall threshold */
	VFO_FWD_MARK_RX_RESUMED, /**< packets again after a quiet spell */
};

/** One mark; times are CLOCK_MONOTONIC µs. */
struct vfo_fwd_mark {
	uint64_t from_us;  /**< stall: the TSC read before; rx: end of the last batch that moved */
	uint64_t batch_us; /**< rx: start of the batch that moved again (stall: = from_us) */
	uint64_t to_us;	   /**< the TSC read that noticed it (end of that batch) */
	uint64_t cpu_us;   /**< the lcore thread's CPU time at to_us (CLOCK_THREAD_CPUTIME_ID):
			    * against the previous mark's, whether the lcore ran or waited */
	uint32_t pkts;	   /**< packets the batch that ended at to_us moved */
	uint32_t kind;	   /**< enum vfo_fwd_mark_kind */
};

/** The marks of one lcore. */
struct vfo_fwd_marks {
	struct vfo_fwd_mark ring[VFO_FWD_MARKS]; /**< entries, by sequence % VFO_FWD_MARKS */
	uint32_t next;				 /**< marks ever written (release store) */
} __rte_cache_aligned;

/**
 * Records a stall: the lcore's TSC reads at 'from_tsc' and 'now_tsc' are
 * further apart than its threshold; the batch between them moved 'pkts'.
 * 'm' NULL: nothing.  Lcore only.
 */
void vfo_fwd_mark_stall(struct vfo_fwd_marks *m, uint64_t from_tsc, uint64_t now_tsc,
			uint64_t pkts);

/**
 * Records RX resuming: the last batch that moved packets ended at
 * 'last_tsc', the one from 'batch_tsc' to 'now_tsc' moved 'pkts'.  'm'
 * NULL: nothing.  Lcore only.
 */
void vfo_fwd_mark_rx(struct vfo_fwd_marks *m, uint64_t last_tsc, uint64_t batch_tsc,
		     uint64_t now_tsc, uint64_t pkts);

/**
 * Returns the marks of 'n' lcores (array 'm', by lcore index) as a JSON
 * array, one object per lcore: {"lcore_index", "total" (ever written),
 * "marks": [{"kind", "from_us", "batch_us", "to_us", "cpu_us", "pkts"}, ...] oldest
 * first}.  New reference.
 */
json_t *vfo_fwd_marks_json(const struct vfo_fwd_marks *m, unsigned int n);

/** Returns CLOCK_MONOTONIC in µs (the marks' and the failover timeline's clock). */
uint64_t vfo_mono_us(void);

#endif /* VFO_FWD_MARKS_H */
