/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_unmap_guard.h — keeps a PMD from unmapping memory that a polling
 * lcore may still be reading.
 *
 * DPDK 22.11's memif PMD (and its later versions, as of this writing)
 * tears a connection down on EAL's interrupt thread when the peer goes away
 * or refuses it (memif_disconnect): it clears the port's "connected" flag
 * and then munmap()s the shared regions at once, with nothing that waits
 * for the lcores polling the port.  An lcore that was already inside
 * rte_eth_rx_burst() / rte_eth_tx_burst() on that port (past the flag
 * check) then reads or writes unmapped memory: SIGSEGV.  That is the crash
 * seen at the highest rate over memif (issue 12; docs/robustness.md).
 *
 * The guard interposes munmap() in the executable that links it (the
 * dynamic linker binds the PMD's munmap to it): on EAL's interrupt thread,
 * while armed, an munmap first waits for a grace period of the armed RCU
 * variable's readers — every forwarding lcore passes a quiescent state, so
 * every burst that may have seen the port connected has returned, and
 * later bursts see the flag cleared — and only then unmaps.  Everywhere
 * else (other threads, guard disarmed) munmap() is the plain system call.
 * The wait is bounded: after 'timeout_us' without a grace period (an lcore
 * stalled), the unmap goes ahead and the timeout is counted and logged.
 *
 * Thread-safety: vfo_unmap_guard_arm() from any thread; munmap() from any
 * thread; the counters are atomic.
 */
#ifndef VFO_UNMAP_GUARD_H
#define VFO_UNMAP_GUARD_H

#include <stdint.h>

#include <rte_rcu_qsbr.h>

/** Default longest wait for the lcores per unmap (µs). */
#define VFO_UNMAP_GUARD_TIMEOUT_US 1000000

/**
 * Arms the guard with the readers of 'v' (every lcore that calls rx/tx
 * bursts must report quiescent states on it), waiting at most 'timeout_us'
 * per unmap; NULL disarms it (call before freeing 'v').
 */
void vfo_unmap_guard_arm(struct rte_rcu_qsbr *v, uint64_t timeout_us);

/** Counts of the guard: unmaps that waited for a grace period, and waits that timed out. */
struct vfo_unmap_guard_stats {
	uint64_t waits;	   /**< interrupt-thread unmaps that waited for the lcores */
	uint64_t timeouts; /**< of those, waits that ended at the timeout */
};

/** Fills 'st' with the guard's counters. */
void vfo_unmap_guard_stats_get(struct vfo_unmap_guard_stats *st);

#endif /* VFO_UNMAP_GUARD_H */
