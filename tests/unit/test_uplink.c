/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_uplink.c — uplink members, counters, the RCU-guarded active-member
 * switch and clean failure, on net_ring vdevs (a net_ring port receives what
 * it sends).  Runs EAL without hugepages.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vfo_pool.h"
#include "vfo_uplink.h"

#define PKT_LEN 100

static struct vfo_pools pools;
static struct rte_rcu_qsbr *qsbr;

/* Fills 'p' for an uplink of two net_ring ports named after 'tag'. */
static void
ring_params(struct vfo_uplink_params *p, const char *vf, const char *backup)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "t0");
	snprintf(p->devargs[VFO_MEMBER_VF], VFO_DEVARGS_MAX, "%s", vf);
	snprintf(p->devargs[VFO_MEMBER_BACKUP], VFO_DEVARGS_MAX, "%s", backup);
	p->nb_rxq = p->nb_txq = 1;
	p->nb_rxd = p->nb_txd = 512;
	p->promisc = true;
	p->qsbr = qsbr;
	p->pool_for_socket = vfo_pools_get;
	p->pool_arg = &pools;
}

/* Allocates 'n' packets of PKT_LEN bytes. */
static void
alloc_pkts(struct rte_mbuf **pkts, unsigned int n)
{
	struct rte_mempool *mp = vfo_pools_get(0, &pools);
	unsigned int i;

	assert_non_null(mp);
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, pkts, n), 0);
	for (i = 0; i < n; i++)
		assert_non_null(rte_pktmbuf_append(pkts[i], PKT_LEN));
}

/* Pulls everything waiting on the uplink and frees it; returns the count. */
static unsigned int
drain(struct vfo_uplink *u)
{
	struct rte_mbuf *pkts[32];
	unsigned int total = 0;
	uint16_t n;

	while ((n = vfo_uplink_rx_burst(u, 0, pkts, 32)) > 0) {
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

/* The uplink comes up with both members, the VF active, the backup's MAC. */
static void
test_create(void **state)
{
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	char err[512] = "";
	uint16_t before = rte_eth_dev_count_avail();

	(void)state;
	ring_params(&p, "net_ring_a", "net_ring_b");
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	assert_true(vfo_member_present(u, VFO_MEMBER_VF));
	assert_true(vfo_member_present(u, VFO_MEMBER_BACKUP));
	assert_int_equal(vfo_uplink_active(u), VFO_MEMBER_VF);
	assert_int_equal(rte_eth_dev_count_avail(), before + 2);
	assert_memory_equal(&u->mac, &u->member[VFO_MEMBER_BACKUP].port_mac, RTE_ETHER_ADDR_LEN);
	vfo_uplink_destroy(u);
	assert_int_equal(rte_eth_dev_count_avail(), before);
}

/* Counters count exactly what went each way on which member. */
static void
test_counters(void **state)
{
	struct vfo_uplink_params p;
	struct vfo_uplink_stats st;
	struct rte_mbuf *pkts[64];
	struct vfo_uplink *u;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_c", "net_ring_d");
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	alloc_pkts(pkts, 40);
	assert_int_equal(vfo_uplink_tx_burst(u, 0, pkts, 40), 40);
	assert_int_equal(drain(u), 40);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.member[VFO_MEMBER_VF].tx_pkts, 40);
	assert_int_equal(st.member[VFO_MEMBER_VF].rx_pkts, 40);
	assert_int_equal(st.member[VFO_MEMBER_BACKUP].tx_pkts, 0);
	assert_int_equal(st.member[VFO_MEMBER_BACKUP].rx_pkts, 0);
	vfo_uplink_stats_reset(u);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.member[VFO_MEMBER_VF].tx_pkts, 0);
	vfo_uplink_destroy(u);
}

/* Argument of switcher(): the uplink and a flag set when the switch returned. */
struct switch_arg {
	struct vfo_uplink *u;
	volatile int done;
};

/* Thread body: switches the uplink to its backup. */
static void *
switcher(void *arg)
{
	struct switch_arg *s = arg;

	vfo_uplink_set_active(s->u, VFO_MEMBER_BACKUP);
	s->done = 1;
	return NULL;
}

/*
 * The switch does not return while a registered worker has not reported a
 * quiescent state; afterwards TX goes to the backup, and RX still polls both.
 */
static void
test_switch_waits_for_workers(void **state)
{
	struct vfo_uplink_params p;
	struct vfo_uplink_stats st;
	struct rte_mbuf *pkts[8];
	struct switch_arg s = {0};
	struct timespec ts = {0, 50 * 1000 * 1000};
	struct vfo_uplink *u;
	pthread_t t;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_e", "net_ring_f");
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	/* A packet left on the VF's ring before the switch. */
	alloc_pkts(pkts, 1);
	assert_int_equal(vfo_uplink_tx_burst(u, 0, pkts, 1), 1);

	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	s.u = u;
	assert_int_equal(pthread_create(&t, NULL, switcher, &s), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(s.done, 0); /* the worker (us) still holds the old view */
	rte_rcu_qsbr_quiescent(qsbr, 0);
	pthread_join(t, NULL);
	assert_int_equal(s.done, 1);
	assert_int_equal(vfo_uplink_active(u), VFO_MEMBER_BACKUP);

	alloc_pkts(pkts, 8);
	assert_int_equal(vfo_uplink_tx_burst(u, 0, pkts, 8), 8);
	assert_int_equal(drain(u), 9); /* the straggler on the VF and the 8 */
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.member[VFO_MEMBER_BACKUP].tx_pkts, 8);
	assert_int_equal(st.member[VFO_MEMBER_BACKUP].rx_pkts, 8);
	assert_int_equal(st.member[VFO_MEMBER_VF].rx_pkts, 1);
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	vfo_uplink_destroy(u);
}

/*
 * A saturated active member does not starve the other: with the VF's ring
 * kept full, a packet waiting on the backup is received within
 * VFO_RX_OTHERS_FIRST_EVERY calls.
 */
static void
test_rx_no_starvation(void **state)
{
	struct vfo_uplink_params p;
	struct vfo_uplink_stats st;
	struct rte_mbuf *pkts[32];
	struct vfo_uplink *u;
	unsigned int call;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_k", "net_ring_l");
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	/* 512 packets looping on the VF (its ring receives what it sends). */
	for (call = 0; call < 16; call++) {
		alloc_pkts(pkts, 32);
		assert_int_equal(vfo_uplink_tx_burst(u, 0, pkts, 32), 32);
	}
	/* One packet straight onto the backup's ring. */
	alloc_pkts(pkts, 1);
	assert_int_equal(rte_eth_tx_burst(u->member[VFO_MEMBER_BACKUP].port_id, 0, pkts, 1), 1);
	for (call = 0; call < VFO_RX_OTHERS_FIRST_EVERY; call++) {
		uint16_t n = vfo_uplink_rx_burst(u, 0, pkts, 32);

		vfo_uplink_stats_get(u, &st);
		if (st.member[VFO_MEMBER_BACKUP].rx_pkts == 1)
			break;
		assert_int_equal(n, 32); /* the VF stays saturated */
		assert_int_equal(vfo_uplink_tx_burst(u, 0, pkts, n), n);
	}
	assert_true(call < VFO_RX_OTHERS_FIRST_EVERY);
	assert_int_equal(st.member[VFO_MEMBER_BACKUP].rx_pkts, 1);
	drain(u);
	vfo_uplink_destroy(u);
}

/* A full TX ring: what does not fit is freed and counted, nothing leaks. */
static void
test_txbuf_drops_when_full(void **state)
{
	struct rte_mempool *mp = vfo_pools_get(0, &pools);
	struct vfo_uplink_params p;
	struct vfo_uplink_stats st;
	struct vfo_txbuf b = {.len = 0, .size = 32};
	struct rte_mbuf *pkts[32];
	struct vfo_uplink *u;
	unsigned int in_use, i, queued;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_g", "net_ring_h");
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	in_use = rte_mempool_in_use_count(mp);
	/* net_ring's ring holds 1023 packets; send 40 bursts of 32 = 1280. */
	for (i = 0; i < 40; i++) {
		alloc_pkts(pkts, 32);
		vfo_txbuf_add(u, 0, &b, pkts, 32);
	}
	vfo_txbuf_flush(u, 0, &b);
	vfo_uplink_stats_get(u, &st);
	queued = (unsigned int)st.member[VFO_MEMBER_VF].tx_pkts;
	assert_true(queued < 1280);
	assert_int_equal(st.drop_tx_full, 1280 - queued);
	assert_int_equal(drain(u), queued);
	assert_int_equal(rte_mempool_in_use_count(mp), in_use);
	vfo_uplink_destroy(u);
}

/* Bad devargs: a clear error naming it, and no port left behind. */
static void
test_bad_devargs(void **state)
{
	struct vfo_uplink_params p;
	uint16_t before = rte_eth_dev_count_avail();
	char err[512] = "";

	(void)state;
	ring_params(&p, "net_nosuchdriver0", "net_ring_i");
	assert_null(vfo_uplink_create(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "net_nosuchdriver0"));
	assert_non_null(strstr(err, "vf"));
	assert_int_equal(rte_eth_dev_count_avail(), before);

	/* The VF comes up, the backup fails: the VF must be released again. */
	ring_params(&p, "net_ring_j", "net_nosuchdriver1");
	assert_null(vfo_uplink_create(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "backup"));
	assert_int_equal(rte_eth_dev_count_avail(), before);
}

int
main(void)
{
	char *eal[] = {"test_uplink", "--no-huge",   "-m",
		       "512",	      "--no-shconf", "--no-pci",
		       "-l",	      "0",	     "--log-level=lib.eal:error",
		       NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_switch_waits_for_workers),
		cmocka_unit_test(test_rx_no_starvation),
		cmocka_unit_test(test_txbuf_drops_when_full),
		cmocka_unit_test(test_bad_devargs),
	};
	struct vfo_pool_need need = {.nb_ports = 2,
				     .nb_rxq = 1,
				     .nb_rxd = 512,
				     .nb_txq = 1,
				     .nb_txd = 512,
				     .nb_lcores = 1,
				     .burst = 32};
	int ret;

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_uplink: EAL init failed\n");
		return 1;
	}
	vfo_pools_init(&pools, &need);
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(qsbr, 1);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	vfo_pools_free(&pools);
	rte_free(qsbr);
	rte_eal_cleanup();
	return ret;
}
