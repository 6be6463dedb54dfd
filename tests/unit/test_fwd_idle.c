/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fwd_idle.c — the forwarding loop's idle-member polling, on net_ring
 * vdevs (a net_ring port receives what it sends, so a forwarded packet keeps
 * circulating and every packet stays countable).  The forwarder runs on
 * worker lcore 0 (queue 0); the test drives it from the main lcore.
 *
 *   - packets sent only to the backup while the VF is active and busy are
 *     all forwarded, singly (each arriving on an idle backup) and as one
 *     burst of half the ring, and none is lost or duplicated (exact counts);
 *   - the idle backup is in fact polled less (the loop counts its idle
 *     batches), and not while the backup transmits;
 *   - path liveness: the path check's ARP replies are consumed only while a
 *     probe's reply window is open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vfo_fwd.h"
#include "vfo_pool.h"
#include "vfo_tsan.h"
#include "vfo_tsc.h"
#include "vfo_uplink.h"

#include "uplink_params.h"

#define PKT_LEN	  60
#define FWD_LCORE 0 /* the worker lcore (index 0: queue 0) */
#define BUSY_PKTS 256
#define SINGLES	  20
#define BIG_BURST 512 /* half of a net_ring's 1024 slots */
/* Longest wait for the worker to go idle (1 ms naps): only a failing run
 * waits it out; a TSan build on a loaded machine needed more than 2 s. */
#define WAIT_MS	   20000
#define IDLE_EVERY 8

static struct vfo_pools pools;
static struct rte_rcu_qsbr *qsbr;
static bool quit; /* the forwarder's quit flag (atomic) */

/* Creates an uplink named 'name' of two net_ring ports named after it, with
 * path liveness towards 'arp_target' (0: none). */
static struct vfo_uplink *
ring_uplink(const char *name, uint32_t arp_target)
{
	struct vfo_uplink_params p;
	struct vfo_uplink *u;
	char err[512], vf[64], backup[64];

	snprintf(vf, sizeof(vf), "net_ring_%s_vf", name);
	snprintf(backup, sizeof(backup), "net_ring_%s_bk", name);
	test_uplink_params(&p, name, vf, backup, &pools, qsbr);
	p.arp_target = arp_target;
	u = vfo_uplink_create(&p, err, sizeof(err));
	if (u == NULL)
		fail_msg("uplink %s: %s", name, err);
	return u;
}

/* Sends 'n' fresh packets straight onto the ring of member 'id' of 'u'
 * (bypassing the uplink: what a peer would send to that member). */
static void
inject(struct vfo_uplink *u, enum vfo_member_id id, unsigned int n)
{
	struct rte_mempool *mp = vfo_pools_get(0, &pools);
	struct rte_mbuf *pkts[BIG_BURST];
	unsigned int i;

	assert_true(n <= BIG_BURST);
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, pkts, n), 0);
	for (i = 0; i < n; i++)
		assert_non_null(rte_pktmbuf_append(pkts[i], PKT_LEN));
	vfo_tsan_release_n((void *const *)pkts, n);
	assert_int_equal(rte_eth_tx_burst(u->member[id].port_id, 0, pkts, (uint16_t)n), n);
}

/* Receives and frees what waits on every member's ring; returns the count. */
static unsigned int
drain(struct vfo_uplink *u)
{
	struct rte_mbuf *pkts[64];
	unsigned int total = 0, id;
	uint16_t n;

	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		while ((n = rte_eth_rx_burst(u->member[id].port_id, 0, pkts, 64)) > 0) {
			rte_pktmbuf_free_bulk(pkts, n);
			total += n;
		}
	return total;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits up to WAIT_MS until member 'id' of 'u' has received 'want' packets;
 * returns what it has received. */
static uint64_t
wait_rx(struct vfo_uplink *u, enum vfo_member_id id, uint64_t want)
{
	uint64_t got = 0;
	unsigned int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		got = vfo_uplink_member_rx_pkts(u, id);
		if (got >= want)
			break;
		sleep_ms(1);
	}
	return got;
}

/* Returns the forwarder's idle batches so far. */
static uint64_t
idle_batches(const struct vfo_fwd *f)
{
	struct vfo_fwd_lcore_stats sum;

	vfo_fwd_stats_sum(f, &sum);
	return sum.idle_batches;
}

/* Waits (up to WAIT_MS) until the forwarder has begun 'n' more batches of
 * turns (one more may still be running). */
static void
wait_batches(const struct vfo_fwd *f, uint64_t n)
{
	struct vfo_fwd_lcore_stats sum;
	uint64_t start;
	unsigned int ms;

	vfo_fwd_stats_sum(f, &sum);
	start = sum.batches;
	for (ms = 0; ms < WAIT_MS; ms++) {
		vfo_fwd_stats_sum(f, &sum);
		if (sum.batches >= start + n)
			return;
		sleep_ms(1);
	}
	fail_msg("the forwarder ran no batch in %u ms", WAIT_MS);
}

/* Waits up to WAIT_MS until the forwarder polls an idle member less; returns
 * true when it does. */
static bool
wait_idle(const struct vfo_fwd *f)
{
	uint64_t before = idle_batches(f);
	unsigned int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		sleep_ms(1);
		if (idle_batches(f) > before + 10)
			return true;
	}
	return false;
}

/* The forwarder fwd_start() launched last (its lcore hands it back at exit). */
static struct vfo_fwd *launched;

/* Fills 'f' for uplinks u[0..n) (with path liveness when 'live') and
 * starts it on FWD_LCORE. */
static void
fwd_start(struct vfo_fwd *f, struct vfo_uplink **u, unsigned int n, bool live)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++)
		f->uplink[i] = u[i];
	f->nb_uplinks = n;
	f->mode = VFO_FWD_IO;
	f->burst = 32;
	f->drain_tsc = vfo_us_to_tsc(100);
	f->qsbr = qsbr;
	f->idle_every = IDLE_EVERY;
	f->idle_after_tsc = vfo_us_to_tsc(VFO_FWD_IDLE_AFTER_US);
	f->path_liveness = live;
	f->quit = &quit;
	__atomic_store_n(&quit, false, __ATOMIC_RELAXED);
	launched = f;
	vfo_tsan_release(f); /* DPDK's launch, for TSan (vfo_tsan.h) */
	assert_int_equal(rte_eal_remote_launch(vfo_fwd_lcore_main, f, FWD_LCORE), 0);
}

static void
fwd_stop(void)
{
	__atomic_store_n(&quit, true, __ATOMIC_RELAXED);
	assert_int_equal(rte_eal_wait_lcore(FWD_LCORE), 0);
	vfo_tsan_acquire(launched);
}

/* Teardown of every test: stops the forwarder if a failed check left it
 * running (its uplinks are then leaked, not freed under it). */
static int
fwd_teardown(void **state)
{
	(void)state;
	__atomic_store_n(&quit, true, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(FWD_LCORE);
	if (launched != NULL)
		vfo_tsan_acquire(launched);
	return 0;
}

/* Checks that nothing was dropped on 'u'. */
static void
assert_no_drops(struct vfo_uplink *u)
{
	struct vfo_uplink_stats st;

	vfo_uplink_stats_get(u, &st);
	assert_int_equal(st.drop_tx_full, 0);
	assert_int_equal(st.drop_no_member, 0);
}

/*
 * Two uplinks forwarding to each other, BUSY_PKTS circulating through their
 * VFs; packets arrive on u0's backup only: one at a time on an idle backup
 * (each after it went idle again), then BIG_BURST at once.  Every one is
 * received on the backup and forwarded (to u1's VF, from where it keeps
 * circulating): at the end the rings hold exactly what was put in.
 */
static void
test_backup_only_delivery(void **state)
{
	struct vfo_uplink *u[2];
	struct vfo_fwd f;
	uint64_t want = 0, idle0;
	unsigned int k, left;

	(void)state;
	u[0] = ring_uplink("ba", 0);
	u[1] = ring_uplink("bb", 0);
	inject(u[0], VFO_MEMBER_VF, BUSY_PKTS);
	fwd_start(&f, u, 2, false);
	assert_true(wait_idle(&f));
	idle0 = idle_batches(&f);
	for (k = 0; k < SINGLES; k++) {
		/* Past VFO_FWD_IDLE_AFTER_US of silence: the backup is idle. */
		sleep_ms(VFO_FWD_IDLE_AFTER_US / 1000 + 2);
		inject(u[0], VFO_MEMBER_BACKUP, 1);
		want++;
		assert_int_equal(wait_rx(u[0], VFO_MEMBER_BACKUP, want), want);
	}
	assert_true(idle_batches(&f) > idle0); /* it did go idle in between */
	assert_true(wait_idle(&f));
	inject(u[0], VFO_MEMBER_BACKUP, BIG_BURST);
	want += BIG_BURST;
	assert_int_equal(wait_rx(u[0], VFO_MEMBER_BACKUP, want), want);
	sleep_ms(5);
	fwd_stop();

	assert_int_equal(vfo_uplink_member_rx_pkts(u[0], VFO_MEMBER_BACKUP), want);
	assert_int_equal(vfo_uplink_member_rx_pkts(u[1], VFO_MEMBER_BACKUP), 0);
	assert_true(vfo_uplink_member_rx_pkts(u[0], VFO_MEMBER_VF) > BUSY_PKTS);
	assert_no_drops(u[0]);
	assert_no_drops(u[1]);
	/* Nothing lost, nothing duplicated: every packet is in a ring. */
	left = drain(u[0]) + drain(u[1]);
	assert_int_equal(left, BUSY_PKTS + want);
	vfo_uplink_destroy(u[0]);
	vfo_uplink_destroy(u[1]);
}

/*
 * While the backup transmits (a switch), the VF is polled every turn: no
 * idle batch; back on the VF, the backup goes idle again once silent.
 */
static void
test_no_idle_while_backup_active(void **state)
{
	struct vfo_uplink *u;
	struct vfo_fwd f;
	uint64_t before;

	(void)state;
	u = ring_uplink("bc", 0);
	inject(u, VFO_MEMBER_VF, BUSY_PKTS);
	fwd_start(&f, &u, 1, false);
	assert_true(wait_idle(&f));
	assert_int_equal(vfo_uplink_set_active(u, VFO_MEMBER_BACKUP), 0);
	sleep_ms(2); /* batches that began before the switch */
	before = idle_batches(&f);
	sleep_ms(50);
	assert_int_equal(idle_batches(&f), before);
	assert_int_equal(vfo_uplink_set_active(u, VFO_MEMBER_VF), 0);
	assert_true(wait_idle(&f));
	fwd_stop();
	assert_no_drops(u);
	assert_int_equal(drain(u), BUSY_PKTS);
	vfo_uplink_destroy(u);
}

/* Writes an ARP reply from 'sip' into 'm'. */
static void
put_arp_reply(struct rte_mbuf *m, uint32_t sip)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(eth, 0, sizeof(*eth) + sizeof(*arp));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_sip = rte_cpu_to_be_32(sip);
}

/* Sends one ARP reply from 'sip' straight onto the backup's ring of 'u' (the
 * forwarder never transmits there while the VF is active: a net_ring has a
 * single producer). */
static void
inject_reply(struct vfo_uplink *u, uint32_t sip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vfo_pools_get(0, &pools));

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, PKT_LEN));
	put_arp_reply(m, sip);
	vfo_tsan_release(m);
	assert_int_equal(rte_eth_tx_burst(u->member[VFO_MEMBER_BACKUP].port_id, 0, &m, 1), 1);
}

/*
 * Path liveness: the forwarder consumes the target's ARP replies only while
 * a probe's reply window is open, and forwards them (as any packet) when it
 * is closed: the per-packet check runs only after a probe.
 */
static void
test_path_reply_window(void **state)
{
	const uint32_t target = 0x0a000001;
	struct vfo_uplink *u;
	struct vfo_fwd f;
	unsigned int ms;

	(void)state;
	u = ring_uplink("pw", target);
	/* A long window, so that a slow test thread cannot miss it. */
	u->path_window_tsc = vfo_us_to_tsc(5 * 1000 * 1000);
	fwd_start(&f, &u, 1, true);
	assert_int_equal(vfo_uplink_probe(u, VFO_MEMBER_VF, target), 0);
	for (ms = 0; ms < WAIT_MS &&
		     __atomic_load_n(&u->probe_pkt[VFO_MEMBER_VF], __ATOMIC_ACQUIRE) != NULL;
	     ms++)
		sleep_ms(1);
	assert_null(u->probe_pkt[VFO_MEMBER_VF]); /* sent: the window is open */
	inject_reply(u, target);
	for (ms = 0; ms < WAIT_MS && vfo_uplink_member_path_replies(u, VFO_MEMBER_BACKUP) == 0;
	     ms++)
		sleep_ms(1);
	assert_int_equal(vfo_uplink_member_path_replies(u, VFO_MEMBER_BACKUP), 1);
	/* Window closed: the next reply is forwarded (it keeps circulating),
	 * once a batch that began after the close has run (the lcore may be
	 * preempted in the middle of one on a busy machine). */
	__atomic_store_n(&u->path_until_tsc, 0, __ATOMIC_RELAXED);
	wait_batches(&f, 2);
	inject_reply(u, target);
	sleep_ms(20);
	fwd_stop();
	assert_int_equal(vfo_uplink_member_path_replies(u, VFO_MEMBER_BACKUP), 1);
	assert_int_equal(vfo_uplink_member_rx_pkts(u, VFO_MEMBER_BACKUP), 1);
	assert_no_drops(u);
	/* The probe (a request, looping back on the VF) and the second reply
	 * (received on the backup, forwarded out of the VF). */
	assert_int_equal(drain(u), 2);
	vfo_uplink_destroy(u);
}

int
main(void)
{
	char *eal[] = {"test_fwd_idle",
		       "--no-huge",
		       "-m",
		       "512",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0,1",
		       "--main-lcore",
		       "1",
		       "--log-level=lib.eal:error",
		       NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_backup_only_delivery, fwd_teardown),
		cmocka_unit_test_teardown(test_no_idle_while_backup_active, fwd_teardown),
		cmocka_unit_test_teardown(test_path_reply_window, fwd_teardown),
	};
	int ret;

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_fwd_idle: EAL init failed\n");
		return 1;
	}
	qsbr = test_pools_qsbr(&pools, 4, 2, 1024);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	vfo_pools_free(&pools);
	rte_free(qsbr);
	rte_eal_cleanup();
	return ret;
}
