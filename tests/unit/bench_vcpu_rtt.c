/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_vcpu_rtt.c — how far apart the hypervisor has put two of our CPUs
 * right now (a benchmark helper, not a test): a thread pinned to CPU A and
 * one pinned to CPU B bounce a cache line; the round trip tells whether the
 * two vCPUs share a physical core (tens of ns), a last-level cache (about
 * 100-150 ns on an EPYC) or neither (several hundred ns).  A closed loop
 * through shared memory between two processes on those CPUs (memif,
 * vhost-user) moves every packet across that distance, so its rate follows
 * it: scripts/bench-forwarding runs this before and after every measured
 * slot and keeps the result with the slot.
 *
 *   build/tests/unit/bench_vcpu_rtt [CPU_A CPU_B [CHUNKS [ROUND_TRIPS]]]
 *
 * Defaults: CPUs 0 and 1, 5 chunks of 500 round trips.  Prints the mean
 * round trip of the fastest chunk and of all chunks, in ns:
 *
 *   rtt_min_ns 131 rtt_mean_ns 135
 *
 * (the fastest chunk is the one least disturbed by preemption).  Takes
 * about 1 ms on a quiet machine.  Exit status 1 if a CPU cannot be used.
 * (_GNU_SOURCE, for the affinity calls, comes from the build.)
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The bounced line: 'ping' written by CPU B's thread, 'pong' by CPU A's;
 * each on its own cache line so that only the hand-over moves lines. */
static struct {
	_Alignas(64) uint64_t ping; /* round trip number sent */
	_Alignas(64) uint64_t pong; /* round trip number echoed */
	_Alignas(64) int quit;	    /* the echo thread stops */
} line;

/* Returns CLOCK_MONOTONIC in ns. */
static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Pins the calling thread to 'cpu'; returns 0 or an errno. */
static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The echo side (created on CPU A): copies every new 'ping' into 'pong'. */
static void *
echo(void *arg)
{
	uint64_t seen = 0;

	(void)arg;
	while (!__atomic_load_n(&line.quit, __ATOMIC_RELAXED)) {
		uint64_t v = __atomic_load_n(&line.ping, __ATOMIC_ACQUIRE);

		if (v != seen) {
			seen = v;
			__atomic_store_n(&line.pong, v, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int cpu_a = argc > 1 ? atoi(argv[1]) : 0, cpu_b = argc > 2 ? atoi(argv[2]) : 1;
	int chunks = argc > 3 ? atoi(argv[3]) : 5, per = argc > 4 ? atoi(argv[4]) : 500;
	double best = 0, sum = 0;
	uint64_t seq = 0;
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t t;
	int c, i;

	if (chunks < 1 || per < 1) {
		fprintf(stderr, "bench_vcpu_rtt: CHUNKS and ROUND_TRIPS must be at least 1\n");
		return 2;
	}
	if (pin(cpu_b) != 0) {
		fprintf(stderr, "bench_vcpu_rtt: cannot run on CPU %d\n", cpu_b);
		return 1;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu_a, &set);
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setaffinity_np(&attr, sizeof(set), &set) != 0 ||
	    pthread_create(&t, &attr, echo, NULL) != 0) {
		fprintf(stderr, "bench_vcpu_rtt: cannot run on CPU %d\n", cpu_a);
		return 1;
	}
	pthread_attr_destroy(&attr);
	for (c = 0; c < chunks; c++) {
		uint64_t t0 = now_ns();
		double d;

		for (i = 0; i < per; i++) {
			__atomic_store_n(&line.ping, ++seq, __ATOMIC_RELEASE);
			while (__atomic_load_n(&line.pong, __ATOMIC_ACQUIRE) != seq)
				;
		}
		d = (double)(now_ns() - t0) / per;
		sum += d;
		if (c == 0 || d < best)
			best = d;
	}
	__atomic_store_n(&line.quit, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	printf("rtt_min_ns %.0f rtt_mean_ns %.0f\n", best, sum / chunks);
	return 0;
}
