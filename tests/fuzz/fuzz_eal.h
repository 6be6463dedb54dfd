/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_eal.h — DPDK's EAL for the harnesses that need it (flow tables,
 * the control protocol's application): no hugepages, no shared files,
 * quiet logs, and the process left free to run on every CPU.
 */
#ifndef VFO_FUZZ_EAL_H
#define VFO_FUZZ_EAL_H

#include <sched.h>

#include <rte_eal.h>

#include "fuzz.h"

/**
 * Initialises the EAL for harness 'prog', then gives the calling thread
 * back the CPUs it could run on before: the EAL pins its main lcore to one
 * CPU, and on a shared machine that CPU may be held by a busy-polling DPDK
 * process (a niced harness pinned there waited seconds per input: libFuzzer
 * timeouts).  Aborts on failure.  Call once, before any other thread.
 */
static inline void
fuzz_eal_init(const char *prog)
{
	char *eal[] = {(char *)prog,	     "--no-huge", "-m", "256",
		       "--no-shconf",	     "--no-pci",  "-l", "0",
		       "--log-level=*:crit", NULL};
	cpu_set_t cpus;

	FUZZ_CHECK(sched_getaffinity(0, sizeof(cpus), &cpus) == 0);
	FUZZ_CHECK(rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) >= 0);
	FUZZ_CHECK(sched_setaffinity(0, sizeof(cpus), &cpus) == 0);
}

#endif /* VFO_FUZZ_EAL_H */
