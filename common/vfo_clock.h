/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_clock.h — CLOCK_MONOTONIC in ns, µs and ms: the one clock of the
 * failover timeline, the flow table's stamps, the control socket's
 * deadlines and vfmigrate's step times (so a script's time.monotonic()
 * compares with all of them).  Plain C (no DPDK).
 *
 * Thread-safety: none needed (clock_gettime is).
 */
#ifndef VFO_CLOCK_H
#define VFO_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Returns CLOCK_MONOTONIC in ns. */
static inline uint64_t
vfo_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/** Returns CLOCK_MONOTONIC in µs. */
static inline uint64_t
vfo_mono_us(void)
{
	return vfo_mono_ns() / 1000u;
}

/** Returns CLOCK_MONOTONIC in ms. */
static inline uint64_t
vfo_mono_ms(void)
{
	return vfo_mono_ns() / 1000000u;
}

#endif /* VFO_CLOCK_H */
