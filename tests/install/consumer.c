/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * consumer.c — an application outside the project built against an
 * installed vfailover (pkg-config vfailover): one uplink of two net_ring
 * ports (a net_ring port receives what it sends), a burst out through the
 * active member and back, a switch to the backup and a burst there.
 * Exits 0 when every count is right; check_install.py compiles and runs it.
 */
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include <vfo_pool.h>
#include <vfo_uplink.h>

#define BURST 32

static struct vfo_pools pools;

/* Sends BURST packets on 'u' and receives them back; returns the count. */
static unsigned int
round_trip(struct vfo_uplink *u)
{
	struct rte_mempool *mp = vfo_pools_get(0, &pools);
	struct rte_mbuf *pkts[BURST];
	unsigned int got = 0, i, n;

	if (mp == NULL || rte_pktmbuf_alloc_bulk(mp, pkts, BURST) != 0)
		return 0;
	for (i = 0; i < BURST; i++)
		rte_pktmbuf_append(pkts[i], 64);
	n = vfo_uplink_tx_burst(u, 0, pkts, BURST);
	if (n < BURST)
		rte_pktmbuf_free_bulk(pkts + n, BURST - n);
	for (i = 0; i < 100 && got < n; i++) {
		uint16_t k = vfo_uplink_rx_burst(u, 0, pkts, BURST);

		rte_pktmbuf_free_bulk(pkts, k);
		got += k;
	}
	return got;
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0], "--no-huge",   "-m",
		       "256",	"--no-shconf", "--no-pci",
		       "-l",	"0",	       "--log-level=lib.eal:error"};
	struct vfo_pool_need need = {.nb_ports = 2,
				     .nb_rxq = 1,
				     .nb_rxd = 512,
				     .nb_txq = 1,
				     .nb_txd = 512,
				     .nb_lcores = 1,
				     .burst = BURST};
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	unsigned int a, b;
	char err[512];

	(void)argc;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "consumer: EAL init failed\n");
		return 1;
	}
	vfo_pools_init(&pools, &need);
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "c0");
	snprintf(p.devargs[VFO_MEMBER_VF], VFO_DEVARGS_MAX, "net_ring_cvf");
	snprintf(p.devargs[VFO_MEMBER_BACKUP], VFO_DEVARGS_MAX, "net_ring_cbk");
	p.nb_rxq = p.nb_txq = 1;
	p.nb_rxd = p.nb_txd = 512;
	p.qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (p.qsbr == NULL || rte_rcu_qsbr_init(p.qsbr, 1) != 0)
		return 1;
	p.pool_for_socket = vfo_pools_get;
	p.pool_arg = &pools;
	u = vfo_uplink_create(&p, err, sizeof(err));
	if (u == NULL) {
		fprintf(stderr, "consumer: %s\n", err);
		return 1;
	}
	a = round_trip(u);
	if (vfo_uplink_set_active(u, VFO_MEMBER_BACKUP) != 0)
		return 1;
	b = round_trip(u);
	printf("consumer: %u back on the vf, %u on the backup (active: %d)\n", a, b,
	       vfo_uplink_active(u));
	vfo_uplink_destroy(u);
	vfo_pools_free(&pools);
	rte_eal_cleanup();
	return a == BURST && b == BURST ? 0 : 1;
}
