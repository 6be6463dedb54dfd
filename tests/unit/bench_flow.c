/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_flow.c — cost of the flow table (a benchmark, not a test):
 * TSC cycles per packet of vfo_flow_update_burst() for several working sets
 * of flows (first sight = insertion, then steady state = hits on random
 * flows of the set), and the control-side cost of vfo_flow_top() and
 * vfo_flow_count() on the resulting table.
 *
 *   build/tests/unit/bench_flow [EAL options]
 *
 * Without options EAL runs on lcore 0 without hugepages (4 KiB pages: TLB
 * misses inflate the large working sets); pass e.g. "-l 1 --in-memory
 * --no-pci" to use hugepages.  Packet headers are rewritten (untimed) before
 * each timed round, so they are cache-warm, as DDIO leaves received frames.
 * With VFO_BENCH_FLOW_IDLE_MS=N in the environment the table ages flows
 * after N ms (vfailover's default is 60000), so the cost of the amortised
 * aging sweep is in the figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "vfo_flow.h"

/* Packets (mbufs) per round; rounds go through them in bursts of BURST. */
#define ROUND_PKTS 65536u
/* Packets per vfo_flow_update_burst() call, as the forwarder's default burst. */
#define BURST 32u
/* Steady-state rounds per working set. */
#define ROUNDS 16u
/* Frame length of the test packets. */
#define PKT_LEN 64u

/* One working set to measure. */
struct scenario {
	uint32_t flows;		/* distinct flows in the working set */
	unsigned int nb_lcores; /* lcore indexes the bursts alternate between */
};

static struct rte_mbuf *mbufs[ROUND_PKTS];
static uint64_t rng_state = 88172645463325252ull;

/* Returns a pseudo-random 64-bit number (xorshift64). */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Writes an Ethernet/IPv4/UDP frame of flow number 'i' into 'm' (untimed). */
static void
set_flow(struct rte_mbuf *m, uint32_t i)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	ip->src_addr = rte_cpu_to_be_32((10u << 24) + (i >> 4));
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (i & 15)));
}

/* Fills every mbuf with a UDP frame template. */
static int
init_mbufs(struct rte_mempool *mp)
{
	unsigned int k;

	if (rte_pktmbuf_alloc_bulk(mp, mbufs, ROUND_PKTS) != 0)
		return -1;
	for (k = 0; k < ROUND_PKTS; k++) {
		struct rte_ether_hdr *eth =
			(struct rte_ether_hdr *)rte_pktmbuf_append(mbufs[k], PKT_LEN);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		memset(eth, 0, PKT_LEN);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->next_proto_id = IPPROTO_UDP;
		ip->dst_addr = rte_cpu_to_be_32((192u << 24) | 1u);
		udp->dst_port = rte_cpu_to_be_16(80);
	}
	return 0;
}

/* Runs one round over every mbuf; returns the TSC cycles it took. */
static uint64_t
timed_round(struct vfo_flow_table *t, unsigned int nb_lcores)
{
	uint64_t now = rte_rdtsc(), start, end;
	unsigned int b;

	start = rte_rdtsc_precise();
	for (b = 0; b < ROUND_PKTS / BURST; b++)
		vfo_flow_update_burst(t, b % nb_lcores, mbufs + b * BURST, BURST, now);
	end = rte_rdtsc_precise();
	return end - start;
}

/* Measures one scenario and prints a line of results. */
static int
run(const struct scenario *s)
{
	uint32_t cap = 64, done = 0, k;
	uint64_t ins_cycles = 0, hit_cycles = 0, t0, top_cyc, cnt_cyc, hz = rte_get_tsc_hz();
	struct vfo_flow_info top[10];
	struct rte_malloc_socket_stats ms;
	struct vfo_flow_stats st;
	struct vfo_flow_table *t;
	size_t mem0, mem;
	unsigned int r;
	int64_t count;

	while (cap < s->flows)
		cap <<= 1;
	rte_malloc_get_socket_stats((int)rte_socket_id(), &ms);
	mem0 = ms.heap_allocsz_bytes;
	t = vfo_flow_create("bench", cap, s->nb_lcores, (int)rte_socket_id());
	if (t == NULL) {
		fprintf(stderr, "bench_flow: no table of %" PRIu32 " flows\n", cap);
		return -1;
	}
	if (getenv("VFO_BENCH_FLOW_IDLE_MS") != NULL)
		vfo_flow_set_idle_timeout(t, strtoull(getenv("VFO_BENCH_FLOW_IDLE_MS"), NULL, 10) *
						     1000);
	rte_malloc_get_socket_stats((int)rte_socket_id(), &ms);
	mem = ms.heap_allocsz_bytes - mem0;
	/* First sight: every flow inserted once, in order. */
	while (done < s->flows) {
		uint32_t n = RTE_MIN(ROUND_PKTS, s->flows - done);

		n -= n % BURST;
		if (n == 0)
			n = BURST; /* tiny sets: the last round repeats flows */
		for (k = 0; k < n; k++)
			set_flow(mbufs[k], (done + k) % s->flows);
		t0 = rte_rdtsc_precise();
		for (k = 0; k < n; k += BURST)
			vfo_flow_update_burst(t, (k / BURST) % s->nb_lcores, mbufs + k, BURST, t0);
		ins_cycles += rte_rdtsc_precise() - t0;
		done += n;
	}
	/* Steady state: random flows of the set. */
	for (r = 0; r < ROUNDS; r++) {
		for (k = 0; k < ROUND_PKTS; k++)
			set_flow(mbufs[k], (uint32_t)(rnd() % s->flows));
		hit_cycles += timed_round(t, s->nb_lcores);
	}
	t0 = rte_rdtsc_precise();
	if (vfo_flow_top(t, 10, VFO_FLOW_BY_PACKETS, top) < 0)
		return -1;
	top_cyc = rte_rdtsc_precise() - t0;
	t0 = rte_rdtsc_precise();
	count = vfo_flow_count(t);
	cnt_cyc = rte_rdtsc_precise() - t0;
	vfo_flow_stats_get(t, &st);
	printf("%9" PRIu32 " flows %u lcore idx: insert %6.1f cyc/pkt, steady %6.1f cyc/pkt; "
	       "top10 %8.1f us, count %8.1f us (%" PRId64 " flows, full %" PRIu64
	       "), table %.1f MiB = %.0f B/flow/lcore\n",
	       s->flows, s->nb_lcores, (double)ins_cycles / done,
	       (double)hit_cycles / ((double)ROUNDS * ROUND_PKTS), (double)top_cyc * 1e6 / hz,
	       (double)cnt_cyc * 1e6 / hz, count, st.table_full, (double)mem / (1 << 20),
	       (double)mem / ((double)cap * s->nb_lcores));
	vfo_flow_destroy(t);
	return 0;
}

int
main(int argc, char **argv)
{
	char *def[] = {argv[0], "--no-huge",   "-m",
		       "2048",	"--no-shconf", "--no-pci",
		       "-l",	"0",	       "--log-level=lib.eal:error",
		       NULL};
	static const struct scenario sc[] = {
		{1, 1}, {1000, 1}, {65536, 1}, {1000000, 1}, {65536, 2},
	};
	struct rte_mempool *mp;
	unsigned int i;
	int ret = 0;

	if (argc > 1 ? rte_eal_init(argc, argv) < 0 : rte_eal_init(RTE_DIM(def) - 1, def) < 0) {
		fprintf(stderr, "bench_flow: EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bench_flow", ROUND_PKTS + 1023, 0, 0,
				     RTE_PKTMBUF_HEADROOM + 128, (int)rte_socket_id());
	if (mp == NULL || init_mbufs(mp) != 0) {
		fprintf(stderr, "bench_flow: no mbufs\n");
		return 1;
	}
	printf("TSC %" PRIu64 " Hz, bursts of %u, %u-byte UDP frames\n", rte_get_tsc_hz(), BURST,
	       PKT_LEN);
	for (i = 0; i < RTE_DIM(sc) && ret == 0; i++)
		ret = run(&sc[i]);
	rte_pktmbuf_free_bulk(mbufs, ROUND_PKTS);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
