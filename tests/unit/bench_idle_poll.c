/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_idle_poll.c — what an idle backup costs the forwarding loop (a
 * benchmark, not a test): two uplinks whose VFs are a memif pair and whose
 * backups are a memif pair or a vhost-user / virtio_user pair, all in this
 * process and connected, no traffic.  For each --idle-poll value N the
 * forwarder runs on a worker lcore for a while; the result is the worker
 * thread's CPU time (its schedstat, so preemption by other work does not
 * count) per loop turn.  A turn polls both VFs and, one turn in N, both
 * backups, so the difference between N = 1 and N = 32 is the backups' cost.
 *
 *   build/tests/unit/bench_idle_poll [EAL options]
 *
 * Without options: -l 0,1 --main-lcore 1 --in-memory --single-file-segments
 * --no-pci: the forwarder on lcore 0 (index 0, queue 0).  Prints one line per backup kind and N.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vfo_fwd.h"
#include "vfo_pool.h"
#include "vfo_tsc.h"
#include "vfo_uplink.h"

#include "uplink_params.h"

/* How long each N runs (ms), after a warm-up of WARM_MS, and how many
 * times (the values of N alternating): the median is printed. */
#define RUN_MS	300u
#define WARM_MS 50u
#define REPS	7u
/* How long to wait for every link (ms). */
#define LINK_MS 5000u

static struct vfo_pools pools;
static struct rte_rcu_qsbr *qsbr;
static bool quit; /* the forwarder's quit flag (atomic) */
static volatile int worker_tid;

/* Records the worker's thread id (for its schedstat). */
static int
get_tid(void *arg)
{
	(void)arg;
	worker_tid = rte_sys_gettid();
	return 0;
}

/* Returns the CPU time (ns) thread 'tid' has run. */
static uint64_t
thread_cpu_ns(int tid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/* Creates an uplink of members 'vf' and 'backup'; exits on failure. */
static struct vfo_uplink *
make_uplink(const char *name, const char *vf, const char *backup)
{
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	char err[512];

	test_uplink_params(&p, name, vf, backup, &pools, qsbr);
	u = vfo_uplink_create(&p, err, sizeof(err));
	if (u == NULL) {
		fprintf(stderr, "bench_idle_poll: %s\n", err);
		exit(1);
	}
	return u;
}

/* Waits until every member of u[0..1] has link. */
static void
wait_links(struct vfo_uplink **u)
{
	unsigned int ms, i, id, up;

	for (ms = 0; ms < LINK_MS; ms += 10) {
		for (up = 0, i = 0; i < 2; i++)
			for (id = 0; id < VFO_MEMBER_COUNT; id++)
				up += vfo_uplink_member_link_up(u[i], id);
		if (up == 2 * VFO_MEMBER_COUNT)
			return;
		rte_delay_ms(10);
	}
	fprintf(stderr, "bench_idle_poll: links still down after %u ms\n", LINK_MS);
	exit(1);
}

/* Runs the forwarder on 'lcore' with --idle-poll 'every'; returns the CPU
 * time (ns) per loop turn, or -1 when the worker got no CPU at all. */
static double
run(struct vfo_uplink **u, unsigned int lcore, unsigned int every)
{
	static struct vfo_fwd f;
	struct vfo_fwd_lcore_stats s0, s1;
	uint64_t ns0, ns1, turns;

	memset(&f, 0, sizeof(f));
	f.uplink[0] = u[0];
	f.uplink[1] = u[1];
	f.nb_uplinks = 2;
	f.mode = VFO_FWD_IO;
	f.burst = 32;
	f.drain_tsc = vfo_us_to_tsc(100);
	f.qsbr = qsbr;
	f.idle_every = every;
	f.idle_after_tsc = vfo_us_to_tsc(VFO_FWD_IDLE_AFTER_US);
	f.quit = &quit;
	__atomic_store_n(&quit, false, __ATOMIC_RELAXED);
	rte_eal_remote_launch(vfo_fwd_lcore_main, &f, lcore);
	rte_delay_ms(WARM_MS);
	vfo_fwd_stats_sum(&f, &s0);
	ns0 = thread_cpu_ns(worker_tid);
	rte_delay_ms(RUN_MS);
	vfo_fwd_stats_sum(&f, &s1);
	ns1 = thread_cpu_ns(worker_tid);
	__atomic_store_n(&quit, true, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(lcore);
	turns = (s1.batches - s0.batches) * VFO_FWD_TURNS_PER_BATCH;
	return turns != 0 ? (double)(ns1 - ns0) / (double)turns : -1.0;
}

static int
cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Runs every N of 'every' REPS times, alternating, and prints the medians. */
static void
measure(const char *kind, struct vfo_uplink **u, unsigned int lcore, const unsigned int *every,
	unsigned int nb)
{
	double v[8][REPS];
	unsigned int r, i, n[8] = {0};

	for (r = 0; r < REPS; r++)
		for (i = 0; i < nb; i++) {
			unsigned int k = (i + r) % nb; /* rotate the order */
			double ns = run(u, lcore, every[k]);

			if (ns >= 0)
				v[k][n[k]++] = ns;
		}
	for (i = 0; i < nb; i++) {
		qsort(v[i], n[i], sizeof(v[i][0]), cmp_double);
		printf("%-12s --idle-poll %2u: %6.1f ns CPU per loop turn (median of %u runs of "
		       "%u ms; min %.1f, max %.1f)\n",
		       kind, every[i], n[i] ? v[i][n[i] / 2] : 0.0, n[i], RUN_MS,
		       n[i] ? v[i][0] : 0.0, n[i] ? v[i][n[i] - 1] : 0.0);
	}
}

int
main(int argc, char **argv)
{
	char *def[] = {argv[0],
		       "-l",
		       "0,1",
		       "--in-memory",
		       "--single-file-segments",
		       "--no-pci",
		       "--file-prefix",
		       "bench-idle",
		       "--main-lcore",
		       "1",
		       NULL};
	static const unsigned int every[] = {1, 2, 4, 8, 16, 32};
	char s[4][128];
	struct vfo_uplink *u[2];
	unsigned int lcore, k, i;
	int ret;

	ret = argc > 1 ? rte_eal_init(argc, argv) : rte_eal_init(RTE_DIM(def) - 1, def);
	if (ret < 0) {
		fprintf(stderr, "bench_idle_poll: EAL init failed\n");
		return 1;
	}
	/* The forwarder serves the queue of its lcore index: the worker must be
	 * the first lcore (index 0), the main lcore another. */
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE || rte_lcore_index((int)lcore) != 0) {
		fprintf(stderr, "bench_idle_poll: give two lcores, the main one last "
				"(-l 0,1 --main-lcore 1)\n");
		return 1;
	}
	qsbr = test_pools_qsbr(&pools, 8, 2, 1024);
	rte_eal_remote_launch(get_tid, NULL, lcore);
	rte_eal_wait_lcore(lcore);
	for (k = 0; k < 2; k++) {
		const char *kind = k == 0 ? "memif" : "vhost+virtio";
		const pid_t pid = getpid();

		for (i = 0; i < 4; i++)
			snprintf(s[i], sizeof(s[i]), "/tmp/bench-idle-%d-%u-%u.sock", (int)pid, k,
				 i);
		/* VFs: a memif pair; backups: a memif pair or vhost + virtio_user. */
		char vf0[256], vf1[256], bk0[256], bk1[256];

		snprintf(vf0, sizeof(vf0), "net_memif%u0,role=server,socket=%s,id=0", k, s[0]);
		snprintf(vf1, sizeof(vf1), "net_memif%u1,role=client,socket=%s,id=0", k, s[0]);
		if (k == 0) {
			snprintf(bk0, sizeof(bk0), "net_memif%u2,role=server,socket=%s,id=0", k,
				 s[1]);
			snprintf(bk1, sizeof(bk1), "net_memif%u3,role=client,socket=%s,id=0", k,
				 s[1]);
		} else {
			snprintf(bk0, sizeof(bk0), "net_vhost%u,iface=%s,queues=1", k, s[2]);
			snprintf(bk1, sizeof(bk1), "virtio_user%u,path=%s,queues=1", k, s[2]);
		}
		u[0] = make_uplink("b0", vf0, bk0);
		u[1] = make_uplink("b1", vf1, bk1);
		wait_links(u);
		measure(kind, u, lcore, every, RTE_DIM(every));
		vfo_uplink_destroy(u[1]);
		vfo_uplink_destroy(u[0]);
		for (i = 0; i < 4; i++)
			unlink(s[i]);
	}
	vfo_pools_free(&pools);
	rte_free(qsbr);
	rte_eal_cleanup();
	return 0;
}
