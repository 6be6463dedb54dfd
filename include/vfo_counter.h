/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_counter.h — a 64-bit counter written by one thread (a forwarding
 * lcore, on its fast path) and read by others (stats, control socket,
 * telemetry) with __atomic_load_n(..., __ATOMIC_RELAXED).
 */
#ifndef VFO_COUNTER_H
#define VFO_COUNTER_H

#include <stdint.h>

#include <rte_common.h>

/**
 * Adds 'n' to counter '*c'.  Only one thread may call this for a given
 * counter.  A plain load and a relaxed atomic store: on x86 and arm64 the
 * same instructions as "+=" (no lock prefix, no barrier), and no reader can
 * see a torn value; unlike a plain "+=", it is not a data race in C11's
 * model, so ThreadSanitizer checks the counters as well.
 */
static __rte_always_inline void
vfo_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

#endif /* VFO_COUNTER_H */
