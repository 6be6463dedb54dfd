/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_uplink.c — uplink members, counters, the RCU-guarded active-member
 * switch and clean failure, on net_ring vdevs (a net_ring port receives what
 * it sends).  Runs EAL without hugepages.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vfo_pool.h"
#include "vfo_uplink.h"

#include "uplink_params.h"

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

/* Argument of switcher(): the uplink, a delay, a flag set when the switch returned. */
struct switch_arg {
	struct vfo_uplink *u;
	unsigned int delay_ms; /* wait this long before switching */
	int done;	       /* atomic */
};

/* Thread body: after delay_ms, switches the uplink to its backup. */
static void *
switcher(void *arg)
{
	struct switch_arg *s = arg;
	struct timespec ts = {s->delay_ms / 1000, (long)(s->delay_ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
	vfo_uplink_set_active(s->u, VFO_MEMBER_BACKUP);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
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
	assert_int_equal(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE), 0); /* we hold the old view */
	rte_rcu_qsbr_quiescent(qsbr, 0);
	pthread_join(t, NULL);
	assert_int_equal(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE), 1);
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
 * A view slot is never written while a worker may still read it: with the
 * worker (this thread) holding the view it read, a switch publishes the
 * other slot and reports that its grace period outlasted its bound; the
 * next switch, which would write the held slot, is refused and changes
 * nothing; once the worker is quiescent, switches go through again.
 */
static void
test_view_slot_not_reused_before_grace(void **state)
{
	struct vfo_uplink_params p;
	struct vfo_uplink_view held_copy;
	const struct vfo_uplink_view *held, *published;
	struct vfo_uplink *u;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_s", "net_ring_t");
	p.grace_timeout_us = 20000;
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	held = vfo_uplink_view(u);
	held_copy = *held;
	assert_int_equal(vfo_uplink_set_active(u, VFO_MEMBER_BACKUP), -ETIMEDOUT);
	published = vfo_uplink_view(u);
	assert_ptr_not_equal(published, held);
	assert_int_equal(vfo_uplink_active(u), VFO_MEMBER_BACKUP);
	assert_int_equal(vfo_uplink_set_active(u, VFO_MEMBER_VF), -EBUSY);
	assert_ptr_equal(vfo_uplink_view(u), published);
	assert_memory_equal(held, &held_copy, sizeof(held_copy));
	assert_int_equal(vfo_uplink_active(u), VFO_MEMBER_BACKUP);
	rte_rcu_qsbr_quiescent(qsbr, 0);
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	assert_int_equal(vfo_uplink_set_active(u, VFO_MEMBER_VF), 0);
	assert_ptr_equal(vfo_uplink_view(u), held); /* the slot is reused now */
	assert_int_equal(vfo_uplink_active(u), VFO_MEMBER_VF);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	vfo_uplink_destroy(u);
}

/* Returns true when member 'id' of 'u' is polled for RX in its view. */
static bool
in_rx_view(const struct vfo_uplink *u, enum vfo_member_id id)
{
	const struct vfo_uplink_view *v = vfo_uplink_view(u);
	uint8_t i;

	for (i = 0; i < v->nb_rx; i++)
		if (v->rx_member[i] == id)
			return true;
	return false;
}

/*
 * Release and return of the VF: the release says what its rings held and
 * that net_ring cannot tell what its peer took; the member returns as a
 * new incarnation (port events of the old one no longer match) and joins
 * the RX view once vfo_uplink_poll() sees its link up.
 */
static void
test_release_and_return(void **state)
{
	struct vfo_release rel, polled[VFO_MEMBER_COUNT];
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	uint32_t gen0;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_u", "net_ring_v");
	p.tx_drain_us = 1000;
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	gen0 = u->member[VFO_MEMBER_VF].gen;
	assert_int_not_equal(gen0, 0);
	assert_int_equal(vfo_uplink_port_gen(u->member[VFO_MEMBER_VF].port_id), gen0);
	assert_true(in_rx_view(u, VFO_MEMBER_VF));
	assert_int_equal(vfo_uplink_member_detach(u, VFO_MEMBER_VF, &rel), 0);
	assert_true(rel.done);
	assert_false(rel.exact);
	assert_non_null(strstr(rel.note, "net_ring"));
	assert_true(rel.tx_wait_us >= 1000);
	assert_false(vfo_member_present(u, VFO_MEMBER_VF));
	assert_false(in_rx_view(u, VFO_MEMBER_VF));
	assert_int_equal(vfo_uplink_active(u), -1);
	assert_int_equal(vfo_uplink_member_detach(u, VFO_MEMBER_VF, &rel), -ENOENT);
	assert_int_equal(vfo_uplink_member_attach(u, VFO_MEMBER_VF, NULL, err, sizeof(err)), 0);
	assert_true(vfo_member_present(u, VFO_MEMBER_VF));
	assert_int_not_equal(u->member[VFO_MEMBER_VF].gen, gen0);
	assert_int_equal(vfo_uplink_port_gen(u->member[VFO_MEMBER_VF].port_id),
			 u->member[VFO_MEMBER_VF].gen);
	assert_int_equal(vfo_uplink_member_attach(u, VFO_MEMBER_VF, NULL, err, sizeof(err)),
			 -EEXIST);
	/* net_ring's link is up at once: attach lets it into RX already;
	 * vfo_uplink_poll() reports no release (none pending). */
	assert_int_equal(vfo_uplink_poll(u, polled), 0);
	assert_true(in_rx_view(u, VFO_MEMBER_VF));
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

/* Fills the VF's TX ring of 'u' until it refuses; returns how many it holds. */
static unsigned int
fill_vf_ring(struct vfo_uplink *u)
{
	struct rte_mbuf *pkts[32];
	unsigned int queued = 0;
	uint16_t sent;

	do {
		alloc_pkts(pkts, 32);
		sent = vfo_uplink_tx_burst(u, 0, pkts, 32);
		queued += sent;
		rte_pktmbuf_free_bulk(pkts + sent, 32 - sent);
	} while (sent == 32);
	return queued;
}

/* Argument of ring_reader(): the port to read and how many packets to take. */
struct reader_arg {
	uint16_t port;
	unsigned int take;
};

/* Thread body: after 20 ms, takes reader_arg.take packets off the port's ring. */
static void *
ring_reader(void *arg)
{
	struct reader_arg *r = arg;
	struct timespec ts = {0, 20 * 1000 * 1000};
	struct rte_mbuf *pkts[32];
	unsigned int got = 0;

	nanosleep(&ts, NULL);
	while (got < r->take) {
		uint16_t n = rte_eth_rx_burst(r->port, 0, pkts, RTE_MIN(32u, r->take - got));

		rte_pktmbuf_free_bulk(pkts, n);
		got += n;
	}
	return NULL;
}

/*
 * --tx-retry-us: a full TX ring that frees room within the bound loses
 * nothing (the burst waits for it); one that stays full past the bound
 * has the burst freed and counted; a switch published during the wait sends
 * the rest on the new member.
 */
static void
test_tx_retry(void **state)
{
	struct rte_mempool *mp = vfo_pools_get(0, &pools);
	struct vfo_uplink_params p;
	struct vfo_uplink_stats st;
	struct vfo_txbuf b = {.len = 0, .size = 32};
	struct reader_arg r;
	struct switch_arg s = {0};
	struct rte_mbuf *pkts[32];
	struct vfo_uplink *u;
	unsigned int in_use, queued;
	pthread_t t;
	char err[512];

	(void)state;
	ring_params(&p, "net_ring_m", "net_ring_n");
	p.tx_retry_us = 5 * 1000 * 1000;
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	in_use = rte_mempool_in_use_count(mp);
	queued = fill_vf_ring(u);

	/* Room appears after 20 ms: the burst is sent, by the retry. */
	r = (struct reader_arg){.port = u->member[VFO_MEMBER_VF].port_id, .take = 64};
	assert_int_equal(pthread_create(&t, NULL, ring_reader, &r), 0);
	alloc_pkts(pkts, 32);
	vfo_txbuf_add(u, 0, &b, pkts, 32);
	pthread_join(t, NULL);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.tx_retried, 32);
	assert_int_equal(st.drop_tx_full, 0);
	queued += 32 - 64;

	/* No room within the bound: freed and counted. */
	queued += fill_vf_ring(u);
	u->tx_retry_tsc = rte_get_tsc_hz() / 1000; /* 1 ms */
	alloc_pkts(pkts, 32);
	vfo_txbuf_add(u, 0, &b, pkts, 32);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.tx_retried, 32);
	assert_int_equal(st.drop_tx_full, 32);

	/* A switch to the backup while the worker (us) waits on the full VF:
	 * the burst goes to the backup, then the switch completes.  The switch
	 * comes 100 ms into the 5 s wait (switching before the burst would
	 * send it to the backup without a retry). */
	u->tx_retry_tsc = rte_get_tsc_hz() * 5;
	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	s.u = u;
	s.delay_ms = 100;
	assert_int_equal(pthread_create(&t, NULL, switcher, &s), 0);
	alloc_pkts(pkts, 32);
	vfo_txbuf_add(u, 0, &b, pkts, 32);
	rte_rcu_qsbr_quiescent(qsbr, 0);
	pthread_join(t, NULL);
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	assert_int_equal(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE), 1);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.tx_retried, 64);
	assert_int_equal(st.member[VFO_MEMBER_BACKUP].tx_pkts, 32);
	assert_int_equal(st.drop_tx_full, 32);

	assert_int_equal(drain(u), queued + 32);
	assert_int_equal(rte_mempool_in_use_count(mp), in_use);
	vfo_uplink_destroy(u);
}

/*
 * A member whose PMD pauses its own queues (net_virtio announcing after a
 * migration) has a burst it refuses offered again for that long, with
 * --tx-retry-us 0: room within the pause loses nothing; a member that
 * does not pause still drops at once.
 */
static void
test_tx_pause_retry(void **state)
{
	struct vfo_uplink_params p;
	struct vfo_uplink_stats st;
	struct vfo_txbuf b = {.len = 0, .size = 32};
	struct reader_arg r;
	struct rte_mbuf *pkts[32];
	struct vfo_uplink *u;
	unsigned int queued;
	pthread_t t;
	char err[512];

	(void)state;
	assert_true(vfo_pmd_tx_pause_us("net_virtio") > 1000); /* its PMD waits 1 ms */
	assert_int_equal(vfo_pmd_tx_pause_us("net_ring"), 0);
	assert_int_equal(vfo_pmd_tx_pause_us("net_virtio_user"), 0); /* no LSC: never announces */
	ring_params(&p, "net_ring_pa", "net_ring_pb");
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	assert_int_equal(u->member[VFO_MEMBER_VF].tx_pause_tsc, 0); /* net_ring: from its PMD */

	/* Not a pausing PMD: a full ring drops at once. */
	queued = fill_vf_ring(u);
	alloc_pkts(pkts, 32);
	vfo_txbuf_add(u, 0, &b, pkts, 32);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.drop_tx_full, 32);

	/* Pausing (as net_virtio would be): the burst waits for the room. */
	u->member[VFO_MEMBER_VF].tx_pause_tsc = rte_get_tsc_hz() * 5;
	assert_int_equal(vfo_uplink_set_active(u, VFO_MEMBER_VF), 0);
	r = (struct reader_arg){.port = u->member[VFO_MEMBER_VF].port_id, .take = 64};
	assert_int_equal(pthread_create(&t, NULL, ring_reader, &r), 0);
	alloc_pkts(pkts, 32);
	vfo_txbuf_add(u, 0, &b, pkts, 32);
	pthread_join(t, NULL);
	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.tx_retried, 32);
	assert_int_equal(st.drop_tx_full, 32);
	assert_int_equal(drain(u), queued + 32 - 64);
	vfo_uplink_destroy(u);
}

/* Writes an ARP frame of opcode 'op' from 'sip' to 'tip' (host order) into 'm'. */
static void
put_arp(struct rte_mbuf *m, uint16_t op, uint32_t sip, uint32_t tip)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(eth, 0, sizeof(*eth) + sizeof(*arp));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(tip);
}

/*
 * Path liveness, data-plane half: a probe is one ARP request for the target
 * sent on the member it was meant for; the liveness RX consumes and counts
 * the target's ARP replies per member and passes everything else; the
 * ordinary RX passes them all.  A probe goes unicast to the MAC the target
 * answered from when the member's previous probe was answered, broadcast
 * otherwise.  An exhausted pool refuses a probe (-ENOMEM) and the next one
 * works once mbufs are back.
 */
static void
test_path_probe_and_replies(void **state)
{
	const uint32_t target = 0x0a000001, other = 0x0a000002;
	const struct rte_ether_addr peer = {{0x02, 0, 0, 0, 0, 0x0a}};
	struct rte_mempool *mp = vfo_pools_get(0, &pools);
	struct rte_mbuf *pkts[64], **all;
	const struct rte_arp_hdr *arp;
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	char err[512];
	unsigned int n, i;

	(void)state;
	ring_params(&p, "net_ring_k", "net_ring_l");
	p.arp_target = target;
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	/* A probe for the backup goes out (and loops back) on the backup only. */
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_BACKUP, target), 0);
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_BACKUP, target), -EBUSY);
	vfo_uplink_path_tx(u, 1); /* not queue 0: nothing sent */
	assert_non_null(u->probe_pkt[VFO_MEMBER_BACKUP]);
	vfo_uplink_path_tx(u, 0);
	assert_null(u->probe_pkt[VFO_MEMBER_BACKUP]);
	assert_int_equal(rte_eth_rx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 64), 0);
	assert_int_equal(rte_eth_rx_burst(u->member[VFO_MEMBER_BACKUP].port_id, 0, pkts, 64), 1);
	arp = rte_pktmbuf_mtod_offset(pkts[0], const struct rte_arp_hdr *,
				      sizeof(struct rte_ether_hdr));
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REQUEST);
	assert_int_equal(rte_be_to_cpu_32(arp->arp_data.arp_tip), target);
	rte_pktmbuf_free(pkts[0]);

	/* On the VF: 2 replies from the target, 1 from another host, 1 request
	 * from the target, 2 plain packets. */
	alloc_pkts(pkts, 6);
	put_arp(pkts[0], RTE_ARP_OP_REPLY, target, 0);
	put_arp(pkts[1], RTE_ARP_OP_REPLY, other, 0);
	put_arp(pkts[3], RTE_ARP_OP_REQUEST, target, 0);
	put_arp(pkts[4], RTE_ARP_OP_REPLY, target, 0);
	rte_ether_addr_copy(&peer, &rte_pktmbuf_mtod_offset(pkts[4], struct rte_arp_hdr *,
							    sizeof(struct rte_ether_hdr))
					    ->arp_data.arp_sha);
	assert_int_equal(rte_eth_tx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 6), 6);
	n = vfo_view_rx_burst_live(u, vfo_uplink_view(u), 0, pkts, 64);
	assert_int_equal(n, 4);
	assert_int_equal(vfo_uplink_member_path_replies(u, VFO_MEMBER_VF), 2);
	assert_int_equal(vfo_uplink_member_path_replies(u, VFO_MEMBER_BACKUP), 0);
	assert_int_equal(vfo_uplink_member_rx_pkts(u, VFO_MEMBER_VF), 4);
	rte_pktmbuf_free_bulk(pkts, n);
	/* The ordinary RX consumes nothing. */
	alloc_pkts(pkts, 1);
	put_arp(pkts[0], RTE_ARP_OP_REPLY, target, 0);
	assert_int_equal(rte_eth_tx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 1), 1);
	assert_int_equal(drain(u), 1);
	assert_int_equal(vfo_uplink_member_path_replies(u, VFO_MEMBER_VF), 2);

	/* Pool exhausted: the probe is refused, nothing is left allocated. */
	all = calloc(rte_mempool_avail_count(mp) + 1, sizeof(*all));
	assert_non_null(all);
	for (n = 0; (all[n] = rte_pktmbuf_alloc(mp)) != NULL; n++)
		;
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_VF, target), -ENOMEM);
	assert_null(u->probe_pkt[VFO_MEMBER_VF]);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(all[i]);
	free(all);
	/* The VF's target answered (from 'peer') since its last probe: the next
	 * goes unicast to it; unanswered, the one after is broadcast again. */
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_VF, target), 0);
	vfo_uplink_path_tx(u, 0);
	assert_int_equal(rte_eth_rx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 64), 1);
	assert_true(rte_is_same_ether_addr(
		&rte_pktmbuf_mtod(pkts[0], struct rte_ether_hdr *)->dst_addr, &peer));
	rte_pktmbuf_free(pkts[0]);
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_VF, target), 0);
	vfo_uplink_path_tx(u, 0);
	assert_int_equal(rte_eth_rx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 64), 1);
	assert_true(rte_is_broadcast_ether_addr(
		&rte_pktmbuf_mtod(pkts[0], struct rte_ether_hdr *)->dst_addr));
	rte_pktmbuf_free(pkts[0]);
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_VF, target), 0);
	/* A probe still waiting when the uplink goes is freed with it. */
	n = rte_mempool_in_use_count(mp);
	vfo_uplink_destroy(u);
	assert_int_equal(rte_mempool_in_use_count(mp), n - 1);
}

/*
 * Returns the ones' complement sum (folded to 16 bits) of the ICMPv6 part of
 * the IPv6 frame 'f' with its pseudo-header: 0xffff when the checksum in it
 * is right.  Written out here, independent of DPDK's rte_ipv6_udptcp_cksum.
 */
static uint16_t
icmp6_sum(const uint8_t *f)
{
	const uint8_t *ip = f + 14, *l4 = ip + 40;
	unsigned int len = (unsigned int)(ip[4] << 8 | ip[5]), i;
	uint32_t sum = len + ip[6]; /* pseudo-header: length, next header */

	for (i = 8; i < 40; i += 2) /* source and destination addresses */
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(l4[i] << 8 | l4[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Announcements after a switch, byte by byte: a RARP, a gratuitous ARP for
 * the IPv4 address and an unsolicited Neighbor Advertisement for the IPv6
 * one, in that order, on the active member.  The NA's bytes were worked out
 * by hand (RFC 4861 4.4: to ff02::1 / 33:33:00:00:00:01 from the address,
 * hop limit 255, override flag only, target = the address, Target
 * Link-Layer Address option = the uplink MAC; checksum 0xf92a computed
 * apart from DPDK).  Without addresses only the RARP goes.
 */
static void
test_announce(void **state)
{
	static const uint8_t na[86] = {
		0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* eth */
		0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff,		/* ip6 */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* src */
		0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* dst */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xf9, 0x2a, /* icmp */
		0x20, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* flags */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 0x02, 0x00, /* tgt */
		0x00, 0x00, 0x00, 0x01,							/* tlla */
	};
	static const uint8_t ll[16] = {0xfe, 0x80, [8] = 0x02, [14] = 0xbe, [15] = 0xef};
	struct rte_ether_addr mac = {{0x02, 0, 0, 0, 0, 0x01}};
	const struct rte_ether_hdr *eth;
	const struct rte_arp_hdr *arp;
	struct rte_mbuf *pkts[8];
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	char err[512];
	uint16_t vf;

	(void)state;
	ring_params(&p, "net_ring_o", "net_ring_p");
	p.has_mac = true;
	p.mac = mac;
	p.ipv4 = 0xc0000201;
	p.has_ipv6 = true;
	memcpy(p.ipv6, na + 22, 16);
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	vf = u->member[VFO_MEMBER_VF].port_id;
	assert_int_equal(vfo_uplink_announce(u), 3);
	assert_int_equal(vfo_uplink_announce(u), -EBUSY);
	vfo_uplink_ctl_tx(u, 0);
	assert_int_equal(rte_eth_rx_burst(vf, 0, pkts, 8), 3);
	eth = rte_pktmbuf_mtod(pkts[0], const struct rte_ether_hdr *);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), 0x8035);
	assert_memory_equal(&eth->src_addr, &mac, RTE_ETHER_ADDR_LEN);
	eth = rte_pktmbuf_mtod(pkts[1], const struct rte_ether_hdr *);
	arp = (const struct rte_arp_hdr *)(eth + 1);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_ARP);
	assert_true(rte_is_broadcast_ether_addr(&eth->dst_addr));
	assert_int_equal(rte_be_to_cpu_32(arp->arp_data.arp_sip), p.ipv4);
	assert_int_equal(rte_be_to_cpu_32(arp->arp_data.arp_tip), p.ipv4);
	assert_int_equal(rte_pktmbuf_pkt_len(pkts[2]), sizeof(na));
	assert_memory_equal(rte_pktmbuf_mtod(pkts[2], const uint8_t *), na, sizeof(na));
	assert_int_equal(icmp6_sum(rte_pktmbuf_mtod(pkts[2], const uint8_t *)), 0xffff);
	rte_pktmbuf_free_bulk(pkts, 3);
	vfo_uplink_destroy(u);

	/* A link-local address: another checksum, still right. */
	memcpy(p.ipv6, ll, 16);
	p.ipv4 = 0;
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	assert_int_equal(vfo_uplink_announce(u), 2);
	vfo_uplink_ctl_tx(u, 0);
	assert_int_equal(rte_eth_rx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 8), 2);
	assert_memory_equal(rte_pktmbuf_mtod_offset(pkts[1], const uint8_t *, 22), ll, 16);
	assert_memory_equal(rte_pktmbuf_mtod_offset(pkts[1], const uint8_t *, 62), ll, 16);
	assert_int_equal(icmp6_sum(rte_pktmbuf_mtod(pkts[1], const uint8_t *)), 0xffff);
	rte_pktmbuf_free_bulk(pkts, 2);
	vfo_uplink_destroy(u);

	/* No addresses: the RARP alone. */
	p.has_ipv6 = false;
	u = vfo_uplink_create(&p, err, sizeof(err));
	assert_non_null(u);
	assert_int_equal(vfo_uplink_announce(u), 1);
	vfo_uplink_ctl_tx(u, 0);
	assert_int_equal(rte_eth_rx_burst(u->member[VFO_MEMBER_VF].port_id, 0, pkts, 8), 1);
	rte_pktmbuf_free(pkts[0]);
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
		cmocka_unit_test(test_view_slot_not_reused_before_grace),
		cmocka_unit_test(test_release_and_return),
		cmocka_unit_test(test_rx_no_starvation),
		cmocka_unit_test(test_txbuf_drops_when_full),
		cmocka_unit_test(test_tx_retry),
		cmocka_unit_test(test_tx_pause_retry),
		cmocka_unit_test(test_bad_devargs),
		cmocka_unit_test(test_path_probe_and_replies),
		cmocka_unit_test(test_announce),
	};
	int ret;

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_uplink: EAL init failed\n");
		return 1;
	}
	qsbr = test_pools_qsbr(&pools, 2, 1, 512);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	vfo_pools_free(&pools);
	rte_free(qsbr);
	rte_eal_cleanup();
	return ret;
}
