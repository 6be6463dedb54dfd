/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_tsc.h — microseconds to TSC cycles, for the periods the fast path
 * times with rte_rdtsc() (TX drain, TX retry).
 */
#ifndef VFO_TSC_H
#define VFO_TSC_H

#include <stdint.h>

#include <rte_cycles.h>

/** Returns 'us' microseconds in TSC cycles (rounded up per µs, never 0 for us > 0). */
static inline uint64_t
vfo_us_to_tsc(uint64_t us)
{
	return (rte_get_tsc_hz() + 999999) / 1000000 * us;
}

#endif /* VFO_TSC_H */
