/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd_sleep.h — the lcore side of idle yielding (vfo_yield.h), shared by
 * fwd.c (the loop) and fwd_sleep.c: an lcore whose every polled member has
 * RX interrupts registers them in its own epoll instance, arms them once
 * its queues have stayed empty for f->yield_after_tsc, and, if one more
 * batch of turns still finds nothing, sleeps in epoll.
 *
 * The rules that keep it safe (see docs/many-guests.md):
 *   - it registers and deregisters a member's interrupt only while online in
 *     the RCU variable and holding a view that has the member, and publishes
 *     per uplink the view generation its registrations match (synced[]);
 *     the control side stops a member only once every lcore has synced past
 *     the view that left it out (vfo_fwd_sync), so no port is stopped under
 *     a registration;
 *   - it goes offline in the RCU variable for the sleep, so a switch's grace
 *     period never waits for it, and reads the views afresh when it is back;
 *   - seq is odd from before its last look at the views until it is awake
 *     again: a publisher that stores a view, then sees seq odd, kicks it
 *     (and the lcore, having set seq first, sees the new view or the kick).
 * Every function here runs on the lcore of index 'idx' only.
 */
#ifndef VFO_FWD_SLEEP_H
#define VFO_FWD_SLEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "vfo_fwd.h"

/** The lcore enters its loop: it may register interrupts from now on. */
void fwd__sleep_start(struct vfo_fwd *f, unsigned int idx);

/**
 * Makes the lcore's interrupt registrations for uplink 'i' match view 'v'
 * (just read, generation new to the lcore) on queue 'q', and publishes
 * v->gen as synced.
 */
void fwd__sleep_sync(struct vfo_fwd *f, unsigned int idx, unsigned int i,
		     const struct vfo_uplink_view *v, uint16_t q);

/**
 * Returns true when the lcore may sleep: every polled member of every
 * uplink's current view wakes it and is registered.
 */
bool fwd__sleep_allowed(struct vfo_fwd *f, unsigned int idx);

/** Enables ('on') or disables the RX interrupts the lcore registered, on queue 'q'. */
void fwd__sleep_arm(struct vfo_fwd *f, unsigned int idx, uint16_t q, bool on);

/**
 * Sleeps until an RX interrupt, a kick or its timeout (sleeper.sleep_ms), offline in
 * the RCU variable, unless a view changed or the control side left frames
 * for queue 'q' meanwhile.  Counts in 'st'.  Returns the TSC when it is back.
 */
uint64_t fwd__sleep_wait(struct vfo_fwd *f, unsigned int idx, uint16_t q,
			 struct vfo_fwd_lcore_stats *st);

/**
 * After the batch that followed a sleep on queue 'q': a sleep that the
 * timeout ended although packets were waiting on a member is a miss of that
 * member's interrupt; VFO_FWD_WAKE_MISSES in a row and the member is no
 * longer trusted to wake the lcore (logged; it then keeps it awake).  A
 * member that delivered after an RX interrupt woke the lcore is cleared.
 */
void fwd__sleep_judge(struct vfo_fwd *f, unsigned int idx, uint16_t q,
		      struct vfo_fwd_lcore_stats *st);

/** Packets moved: the next sleep's timeout is VFO_YIELD_MIN_SLEEP_MS again. */
void fwd__sleep_busy(struct vfo_fwd *f, unsigned int idx);

/** The lcore leaves its loop: deregisters everything (online, ports alive). */
void fwd__sleep_stop(struct vfo_fwd *f, unsigned int idx, uint16_t q);

#endif /* VFO_FWD_SLEEP_H */
