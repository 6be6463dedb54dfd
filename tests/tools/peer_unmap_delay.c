/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * peer_unmap_delay.c — an LD_PRELOAD library for dpdk-testpmd when it is
 * the memif peer of the traffic soak (scripts/soak-traffic): testpmd has
 * DPDK 22.11's memif race (its interrupt thread unmaps a connection's rings
 * while its forwarding lcore may be inside a burst on that port; see
 * docs/robustness.md), and every planned cycle of the soak disconnects one
 * of its memif ports under traffic.  vfailover and vfprobe close that race
 * with an RCU grace period of their own lcores (dataplane/unmap_guard.c);
 * testpmd's lcores report no quiescent state, so this library can only
 * delay: an munmap() on EAL's interrupt thread ("eal-intr-thread") first
 * sleeps PEER_UNMAP_DELAY_MS (default 20 ms), long enough for a burst that
 * was running to return unless the lcore was preempted that long.  Other
 * threads' calls are the plain system call.  Test tooling for a peer we
 * did not write; nothing of vfailover uses it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The interposed munmap(2). */
int
munmap(void *addr, size_t len)
{
	char name[16] = "";
	const char *env;
	long ms = 20;

	if (prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp(name, "eal-intr-thread") == 0) {
		env = getenv("PEER_UNMAP_DELAY_MS");
		if (env != NULL)
			ms = strtol(env, NULL, 10);
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	return (int)syscall(SYS_munmap, addr, len);
}
