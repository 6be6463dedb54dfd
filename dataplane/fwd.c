/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd.c — the forwarding lcore loop: RX bursts from every member of every
 * uplink, the mode's header rewrite with prefetch, buffered TX to the
 * destination uplink's active member, a TSC-timed drain, and the lcore's
 * own cycle accounting and marks (stalls, RX resuming; vfo_fwd_marks.h),
 * checked once per batch where the TSC is read.  No locks, no per-packet
 * branch on control state.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "fwd_sleep.h"
#include "vfo_counter.h"
#include "vfo_flow.h"
#include "vfo_fwd.h"
#include "vfo_log.h"
#include "vfo_names.h"
#include "vfo_tsan.h"
#include "vfo_tsc.h"

/* How many packets ahead to prefetch headers in the rewriting modes. */
#define PREFETCH_OFFSET 3
/* Loop turns between two reads of the TSC (time accounting, TX drain, RCU):
 * a batch.  Also in vfo_fwd.h as VFO_FWD_TURNS_PER_BATCH. */
#define TURNS_PER_TSC_READ VFO_FWD_TURNS_PER_BATCH
/* Addresses of --tx-first frames: 198.18.0.1 -> 198.19.0.1 (RFC 2544 test range). */
#define TX_FIRST_SRC_IP ((198u << 24) | (18u << 16) | 1u)
#define TX_FIRST_DST_IP ((198u << 24) | (19u << 16) | 1u)
/* Default size of a --tx-first frame, without FCS: the 64 B minimum on the wire. */
#define TX_FIRST_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)
/* How long --tx-first waits for the active member's link (ms). */
#define TX_FIRST_LINK_WAIT_MS 3000u

/* Names of enum vfo_fwd_mode, indexed by mode. */
static const char *const mode_names[] = {
	[VFO_FWD_IO] = "io",
	[VFO_FWD_MAC] = "mac",
	[VFO_FWD_MACSWAP] = "macswap",
	[VFO_FWD_FLOW] = "flow",
};

const char *
vfo_fwd_mode_name(enum vfo_fwd_mode m)
{
	return vfo_name_of(mode_names, RTE_DIM(mode_names), (unsigned int)m);
}

int
vfo_fwd_mode_parse(const char *s, enum vfo_fwd_mode *m)
{
	int i = vfo_name_find(mode_names, RTE_DIM(mode_names), s);

	if (i < 0)
		return -1;
	*m = (enum vfo_fwd_mode)i;
	return 0;
}

/* Sets dst to the peer MAC and src to the out uplink's MAC (--fwd mac). */
static void
rewrite_mac(const struct vfo_fwd *f, unsigned int out, struct rte_mbuf **pkts, uint16_t n)
{
	const struct rte_ether_addr *src = &f->uplink[out]->mac, *dst = &f->peer_mac[out];
	uint16_t j;

	for (j = 0; j < n && j < PREFETCH_OFFSET; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j < n; j++) {
		struct rte_ether_hdr *eth;

		if (j + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[j + PREFETCH_OFFSET], void *));
		eth = rte_pktmbuf_mtod(pkts[j], struct rte_ether_hdr *);
		rte_ether_addr_copy(dst, &eth->dst_addr);
		rte_ether_addr_copy(src, &eth->src_addr);
	}
}

/* Swaps the source and destination MACs (--fwd macswap). */
static void
rewrite_macswap(struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t j;

	for (j = 0; j < n && j < PREFETCH_OFFSET; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j < n; j++) {
		struct rte_ether_hdr *eth;
		struct rte_ether_addr tmp;

		if (j + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[j + PREFETCH_OFFSET], void *));
		eth = rte_pktmbuf_mtod(pkts[j], struct rte_ether_hdr *);
		rte_ether_addr_copy(&eth->dst_addr, &tmp);
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
		rte_ether_addr_copy(&tmp, &eth->src_addr);
	}
}

/*
 * Writes a UDP/IPv4 frame (RFC 2544's 198.18.0.0/15 test range) of 'len'
 * bytes without FCS (at least TX_FIRST_LEN; the UDP payload is zero padding)
 * from the uplink's MAC to 'dst' into 'm'.
 */
static void
build_frame(struct rte_mbuf *m, const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
	    uint16_t len)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t l3len = len - sizeof(*eth);

	memset(eth, 0, len);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(l3len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(TX_FIRST_SRC_IP);
	ip->dst_addr = rte_cpu_to_be_32(TX_FIRST_DST_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(l3len - sizeof(*ip));
	m->data_len = len;
	m->pkt_len = len;
}

/*
 * Waits up to TX_FIRST_LINK_WAIT_MS for the active member of 'u' to report
 * link up, so that the first burst is not sent into a port that drops it.
 * Returns true when the link is up.
 */
static bool
wait_link_up(const struct vfo_uplink *u)
{
	int active = vfo_uplink_active(u);
	struct rte_eth_link link;
	unsigned int ms;

	if (active < 0)
		return false;
	for (ms = 0; ms < TX_FIRST_LINK_WAIT_MS; ms += 10) {
		if (rte_eth_link_get_nowait(u->member[active].port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return true;
		rte_delay_ms(10);
	}
	return false;
}

/* What one lcore works with: its queue, a TX buffer per uplink, and per
 * uplink what it knows of the non-active members' recent deliveries. */
struct fwd_ctx {
	/* --tx-first frames a ring refused, retried by first_retry() */
	struct rte_mbuf *first[VFO_MAX_UPLINKS][VFO_TXBUF_MAX];
	uint16_t first_n[VFO_MAX_UPLINKS];     /* frames in first[i] */
	bool first_pending;		       /* some first_n[i] != 0 */
	uint64_t first_until;		       /* TSC when the retries give up */
	struct vfo_fwd *f;		       /* the forwarder */
	struct vfo_fwd_lcore_stats *st;	       /* this lcore's counters */
	unsigned int idx;		       /* the lcore's index */
	uint16_t q;			       /* the lcore's queue */
	bool yield;			       /* it may sleep while idle (f->yield) */
	uint64_t busy_at;		       /* TSC of its last batch that moved packets */
	unsigned int idle_mask;		       /* f->idle_every - 1 (0: every turn) */
	uint64_t now;			       /* TSC at the start of this batch of turns */
	struct vfo_txbuf txb[VFO_MAX_UPLINKS]; /* TX buffer per out uplink */
	uint32_t seen_gen[VFO_MAX_UPLINKS];    /* view generation seen last batch */
	/* TSC of the last batch in which the uplink's non-active members
	 * delivered, or its view changed (a switch, a member coming or going) */
	uint64_t others_busy_at[VFO_MAX_UPLINKS];
};

/*
 * Per batch: how often the non-active members of uplink 'i' (view 'v') are
 * polled during its turns, as a mask of the turn number: 0, every turn;
 * f->idle_every - 1, one turn in f->idle_every, when the view allows it
 * (the VF transmits) and they delivered nothing, and the view did not
 * change, for the last f->idle_after_tsc cycles.
 */
static __rte_always_inline unsigned int
others_mask(struct fwd_ctx *c, unsigned int i, const struct vfo_uplink_view *v)
{
	const struct vfo_fwd *f = c->f;

	if (unlikely(v->gen != c->seen_gen[i])) {
		c->seen_gen[i] = v->gen;
		c->others_busy_at[i] = c->now;
		if (c->yield)
			fwd__sleep_sync(c->f, c->idx, i, v, c->q);
	}
	if (!v->others_idle_ok || c->idle_mask == 0 ||
	    c->now - c->others_busy_at[i] < f->idle_after_tsc)
		return 0;
	vfo_counter_add(&c->st->idle_batches, 1);
	return c->idle_mask;
}

/*
 * Runs TURNS_PER_TSC_READ loop turns: each polls every uplink, rewrites what
 * arrived as 'mode' says and buffers it for the out uplink.  The active
 * member is polled every turn, the others after it while the burst has room
 * on the turns others_mask() allows, and first on turn 0 (so a saturated
 * active member cannot starve them); a delivery from them brings back
 * polling every turn at once.  With 'live' (path liveness), ARP replies of
 * the path check are consumed on RX.  Returns the packets moved.  Inlined once per mode,
 * uplink count and 'live', so that no turn tests them.
 */
static __rte_always_inline uint64_t
run_turns(struct fwd_ctx *c, enum vfo_fwd_mode mode, const unsigned int nb_uplinks, const bool live)
{
	struct vfo_fwd *f = c->f;
	struct rte_mbuf *pkts[VFO_TXBUF_MAX];
	const uint16_t burst = f->burst, q = c->q;
	struct vfo_uplink *u[VFO_MAX_UPLINKS];
	const struct vfo_uplink_view *v[VFO_MAX_UPLINKS];
	unsigned int mask[VFO_MAX_UPLINKS];
	uint16_t others_rx[VFO_MAX_UPLINKS] = {0};
	uint64_t moved = 0;
	unsigned int turn, i;

	/* The views stay valid until this lcore's next quiescent state. */
	for (i = 0; i < nb_uplinks; i++) {
		u[i] = f->uplink[i];
		v[i] = vfo_uplink_view(u[i]);
		mask[i] = others_mask(c, i, v[i]);
	}
	for (turn = 0; turn < TURNS_PER_TSC_READ; turn++) {
		for (i = 0; i < nb_uplinks; i++) {
			/* One uplink reflects, two forward to each other. */
			const unsigned int out = nb_uplinks == 2 ? 1 - i : i;
			uint16_t n = 0, o = 0;

			if (unlikely(v[i]->nb_rx == 0))
				continue;
			if (unlikely(turn == 0))
				o = vfo_view_rx_others(u[i], v[i], q, pkts, burst, live);
			n = vfo_view_rx_first(u[i], v[i], q, pkts + o, burst - o, live) + o;
			if (turn != 0 && (turn & mask[i]) == 0 && n < burst) {
				o = vfo_view_rx_others(u[i], v[i], q, pkts + n, burst - n, live);
				n += o;
			}
			if (unlikely(o != 0)) {
				/* The others deliver: every turn from now on. */
				mask[i] = 0;
				others_rx[i] = 1;
			}
			if (n == 0)
				continue;
			moved += n;
			if (mode == VFO_FWD_MAC)
				rewrite_mac(f, out, pkts, n);
			else if (mode == VFO_FWD_MACSWAP)
				rewrite_macswap(pkts, n);
			else if (mode == VFO_FWD_FLOW)
				vfo_flow_update_burst(u[i]->flows, q, pkts, n, c->now);
			vfo_view_txbuf_add(u[out], v[out], q, &c->txb[out], pkts, n);
		}
		/* What a turn received goes out in that turn, as testpmd's io
		 * mode sends each burst it receives: holding a partial burst
		 * for the next turns (or the drain timer) delays it, and in a
		 * closed loop with a peer that packet is one less in flight.
		 * Saturated input fills whole bursts, which go out as they fill. */
		for (i = 0; i < nb_uplinks; i++)
			if (c->txb[i].len != 0)
				vfo_view_txbuf_flush(u[i], v[i], q, &c->txb[i]);
	}
	for (i = 0; i < nb_uplinks; i++)
		if (others_rx[i])
			c->others_busy_at[i] = c->now;
	return moved;
}

/* Defines run_turns_<mode>_<n>() and run_turns_<mode>_<n>_live(): run_turns()
 * for one mode and uplink count, without and with path liveness. */
#define TURNS_FN(name, mode, n)                                                                    \
	static uint64_t run_turns_##name##_##n(struct fwd_ctx *c)                                  \
	{                                                                                          \
		return run_turns(c, mode, n, false);                                               \
	}                                                                                          \
	static uint64_t run_turns_##name##_##n##_live(struct fwd_ctx *c)                           \
	{                                                                                          \
		return run_turns(c, mode, n, true);                                                \
	}
TURNS_FN(io, VFO_FWD_IO, 1)
TURNS_FN(io, VFO_FWD_IO, 2)
TURNS_FN(mac, VFO_FWD_MAC, 1)
TURNS_FN(mac, VFO_FWD_MAC, 2)
TURNS_FN(macswap, VFO_FWD_MACSWAP, 1)
TURNS_FN(macswap, VFO_FWD_MACSWAP, 2)
TURNS_FN(flow, VFO_FWD_FLOW, 1)
TURNS_FN(flow, VFO_FWD_FLOW, 2)

/* run_turns() variants by [path liveness][mode][uplinks - 1]. */
static uint64_t (*const turns_of[2][VFO_FWD_FLOW + 1][VFO_MAX_UPLINKS])(struct fwd_ctx *) = {
	{
		[VFO_FWD_IO] = {run_turns_io_1, run_turns_io_2},
		[VFO_FWD_MAC] = {run_turns_mac_1, run_turns_mac_2},
		[VFO_FWD_MACSWAP] = {run_turns_macswap_1, run_turns_macswap_2},
		[VFO_FWD_FLOW] = {run_turns_flow_1, run_turns_flow_2},
	},
	{
		[VFO_FWD_IO] = {run_turns_io_1_live, run_turns_io_2_live},
		[VFO_FWD_MAC] = {run_turns_mac_1_live, run_turns_mac_2_live},
		[VFO_FWD_MACSWAP] = {run_turns_macswap_1_live, run_turns_macswap_2_live},
		[VFO_FWD_FLOW] = {run_turns_flow_1_live, run_turns_flow_2_live},
	},
};

/*
 * Test hook: spins f->stall_ms ms without a quiescent state (holding the
 * views read by the last turns), as an lcore preempted for that long
 * would, then clears it; f->stalling says it is spinning.  Out of line:
 * the loop only tests the flag.
 */
static void __rte_noinline
stall(struct vfo_fwd *f)
{
	__atomic_store_n(&f->stalling, true, __ATOMIC_RELEASE);
	rte_delay_us_block(__atomic_load_n(&f->stall_ms, __ATOMIC_RELAXED) * 1000u);
	__atomic_store_n(&f->stall_ms, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->stalling, false, __ATOMIC_RELEASE);
}

/*
 * Path liveness, once per batch: sends the waiting probes (queue 0 only)
 * and returns true while any uplink's reply window is open.
 */
static bool
path_window(struct fwd_ctx *c)
{
	bool open = false;
	unsigned int i;

	for (i = 0; i < c->f->nb_uplinks; i++) {
		vfo_uplink_path_tx(c->f->uplink[i], c->q);
		open |= vfo_uplink_path_window_open(c->f->uplink[i], c->now);
	}
	return open;
}

/* Builds one burst of test frames per uplink (--tx-first) into c->first[],
 * sent by first_retry(). */
static void
tx_first(struct fwd_ctx *c)
{
	struct vfo_fwd *f = c->f;
	const uint16_t len = RTE_MAX(f->tx_first_len, (uint16_t)TX_FIRST_LEN);
	unsigned int i;
	uint16_t j;

	for (i = 0; i < f->nb_uplinks; i++) {
		struct vfo_uplink *u = f->uplink[i];
		struct rte_mempool *mp = u->params.pool_for_socket(u->member[VFO_MEMBER_VF].socket,
								   u->params.pool_arg);

		if (!wait_link_up(u))
			VFO_LOG(WARNING,
				"lcore %u: uplink %s: link still down after %u ms; "
				"--tx-first sends anyway",
				rte_lcore_id(), u->params.name, TX_FIRST_LINK_WAIT_MS);
		if (mp == NULL || rte_pktmbuf_alloc_bulk(mp, c->first[i], f->burst) != 0) {
			VFO_LOG(WARNING, "lcore %u: no mbufs for --tx-first on uplink %s",
				rte_lcore_id(), u->params.name);
			continue;
		}
		for (j = 0; j < f->burst; j++)
			build_frame(c->first[i][j], &u->mac, &f->peer_mac[i], len);
		c->first_n[i] = f->burst;
	}
	c->first_until = rte_rdtsc() + vfo_us_to_tsc(TX_FIRST_LINK_WAIT_MS * 1000u);
}

/*
 * Offers the --tx-first frames still waiting again, from the loop: a ring
 * may refuse them until the loop has run (a memif server's ring fills only
 * once its client, maybe this very lcore, polls), so a closed loop does not
 * start with fewer packets.  Past c->first_until what is left goes to the
 * TX buffer's refusal path (freed and counted).
 */
static void
first_retry(struct fwd_ctx *c, uint64_t now)
{
	unsigned int i;

	c->first_pending = false;
	for (i = 0; i < c->f->nb_uplinks; i++) {
		struct vfo_uplink *u = c->f->uplink[i];
		uint16_t sent;

		if (c->first_n[i] == 0)
			continue;
		sent = vfo_uplink_tx_burst(u, c->q, c->first[i], c->first_n[i]);
		c->first_n[i] = (uint16_t)(c->first_n[i] - sent);
		memmove(c->first[i], c->first[i] + sent, c->first_n[i] * sizeof(c->first[i][0]));
		if (c->first_n[i] != 0 && (int64_t)(now - c->first_until) > 0) {
			vfo__tx_refused(u, vfo_uplink_view(u), c->q, c->first[i], c->first_n[i]);
			c->first_n[i] = 0;
		}
		c->first_pending |= c->first_n[i] != 0;
	}
}

/* Sends what every TX buffer of 'c' holds. */
static void
flush_all(struct fwd_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->f->nb_uplinks; i++)
		vfo_txbuf_flush(c->f->uplink[i], c->q, &c->txb[i]);
}

/*
 * Idle yielding, after a batch that moved 'moved' packets at 'now': once
 * every queue has been empty for f->yield_after_tsc and the lcore may sleep,
 * arms the RX interrupts; if the next batch still finds nothing, sleeps
 * (fwd__sleep_wait); any packet disarms them.  Returns the TSC to go on from.
 */
static __rte_noinline uint64_t
idle_yield(struct fwd_ctx *c, uint64_t moved, uint64_t now)
{
	struct vfo_fwd *f = c->f;
	bool armed = f->sleeper[c->idx].armed;

	if (unlikely(f->sleeper[c->idx].woke != 0))
		fwd__sleep_judge(f, c->idx, c->q, c->st);
	if (moved != 0) {
		if (now - c->busy_at >= f->yield_after_tsc)
			fwd__sleep_busy(f, c->idx); /* the first packets after idling */
		c->busy_at = now;
		if (armed)
			fwd__sleep_arm(f, c->idx, c->q, false);
		return now;
	}
	if (now - c->busy_at < f->yield_after_tsc)
		return now;
	if (!armed) {
		if (fwd__sleep_allowed(f, c->idx))
			fwd__sleep_arm(f, c->idx, c->q, true);
		return now;
	}
	/* Armed, and a whole batch since found nothing: sleep.  busy_at stays:
	 * a wake that brings no packet (a timeout, a kick) sleeps again after
	 * two batches, not after another f->yield_after_tsc. */
	flush_all(c);
	now = fwd__sleep_wait(f, c->idx, c->q, c->st);
	fwd__sleep_arm(f, c->idx, c->q, false);
	return now;
}

int
vfo_fwd_lcore_main(void *arg)
{
	/* Launched through DPDK: what the launcher set up before its
	 * vfo_tsan_release(f) happens before this (vfo_tsan.h). */
	struct vfo_fwd *f = (vfo_tsan_acquire(arg), (struct vfo_fwd *)arg);
	const unsigned int idx = (unsigned int)rte_lcore_index(rte_lcore_id());
	struct vfo_fwd_lcore_stats *st = &f->lcore[idx];
	uint64_t (*const turns)(struct fwd_ctx *) = turns_of[0][f->mode][f->nb_uplinks - 1];
	uint64_t (*const turns_live)(struct fwd_ctx *) = turns_of[1][f->mode][f->nb_uplinks - 1];
	struct fwd_ctx c = {.f = f,
			    .st = st,
			    .idx = idx,
			    .q = (uint16_t)idx,
			    .yield = vfo_yield_uses_intr(f->yield) && f->yield_ready};
	struct vfo_fwd_marks *marks = f->marks != NULL ? &f->marks[idx] : NULL;
	const uint64_t stall_tsc = f->stall_tsc != 0 ? f->stall_tsc : UINT64_MAX;
	const uint64_t quiet_tsc = f->quiet_tsc != 0 ? f->quiet_tsc : UINT64_MAX;
	uint64_t now, prev, prev_drain, last_rx;
	unsigned int i;

	c.idle_mask = f->idle_every > 1 ? f->idle_every - 1 : 0;
	for (i = 0; i < f->nb_uplinks; i++) {
		c.txb[i].len = 0;
		c.txb[i].size = f->burst;
		/* Unseen: the first batch takes it as a change (registers
		 * the members' RX interrupts when yielding). */
		c.seen_gen[i] = vfo_uplink_view(f->uplink[i])->gen - 1;
	}
	rte_rcu_qsbr_thread_register(f->qsbr, idx);
	rte_rcu_qsbr_thread_online(f->qsbr, idx);
	if (c.yield)
		fwd__sleep_start(f, idx);
	VFO_LOG(INFO, "lcore %u forwards queue %u of %u uplink(s), mode %s", rte_lcore_id(), c.q,
		f->nb_uplinks, vfo_fwd_mode_name(f->mode));
	if (f->tx_first) {
		tx_first(&c);
		first_retry(&c, rte_rdtsc());
	}

	prev = prev_drain = last_rx = c.busy_at = rte_rdtsc();
	for (i = 0; i < f->nb_uplinks; i++)
		c.others_busy_at[i] = prev;
	while (!__atomic_load_n(f->quit, __ATOMIC_RELAXED)) {
		uint64_t moved;

		c.now = prev;
		/* Path liveness: the loop that consumes the check's ARP replies
		 * only while a probe's replies may arrive, per batch. */
		moved = (f->path_liveness && path_window(&c) ? turns_live : turns)(&c);
		if (unlikely(__atomic_load_n(&f->stall_ms, __ATOMIC_RELAXED) != 0) && idx == 0)
			stall(f);

		vfo_tsan_release(f->qsbr); /* DPDK's RCU, for TSan (vfo_tsan.h) */
		rte_rcu_qsbr_quiescent(f->qsbr, idx);
		/* Time is read once per TURNS_PER_TSC_READ turns: rdtsc costs about as
		 * much as moving a few packets. */
		now = rte_rdtsc();
		if (unlikely(now - prev > stall_tsc))
			vfo_fwd_mark_stall(marks, prev, now, moved);
		vfo_counter_add(&st->total_cycles, now - prev);
		vfo_counter_add(&st->batches, 1);
		if (moved != 0) {
			vfo_counter_add(&st->busy_cycles, now - prev);
			vfo_counter_add(&st->pkts, moved);
			if (unlikely(prev - last_rx > quiet_tsc))
				vfo_fwd_mark_rx(marks, last_rx, prev, now, moved);
			last_rx = now;
		}
		prev = now;
		if (unlikely(now - prev_drain > f->drain_tsc)) {
			if (unlikely(c.first_pending))
				first_retry(&c, now);
			prev_drain = now;
		}
		for (i = 0; i < f->nb_uplinks; i++)
			vfo_uplink_ctl_tx(f->uplink[i], c.q);
		if (unlikely(c.yield))
			prev = idle_yield(&c, moved, now);
	}
	flush_all(&c);
	for (i = 0; i < f->nb_uplinks; i++)
		rte_pktmbuf_free_bulk(c.first[i], c.first_n[i]);
	if (c.yield)
		fwd__sleep_stop(f, idx, c.q);
	vfo_tsan_release(f->qsbr);
	rte_rcu_qsbr_thread_offline(f->qsbr, idx);
	rte_rcu_qsbr_thread_unregister(f->qsbr, idx);
	vfo_tsan_release(f); /* for whoever waits for this lcore (vfo_tsan.h) */
	return 0;
}

void
vfo_fwd_stats_sum(const struct vfo_fwd *f, struct vfo_fwd_lcore_stats *sum)
{
	unsigned int lc;

	memset(sum, 0, sizeof(*sum));
	RTE_LCORE_FOREACH(lc)
	{
		const struct vfo_fwd_lcore_stats *s = &f->lcore[rte_lcore_index((int)lc)];

		sum->pkts += __atomic_load_n(&s->pkts, __ATOMIC_RELAXED);
		sum->busy_cycles += __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);
		sum->total_cycles += __atomic_load_n(&s->total_cycles, __ATOMIC_RELAXED);
		sum->idle_batches += __atomic_load_n(&s->idle_batches, __ATOMIC_RELAXED);
		sum->batches += __atomic_load_n(&s->batches, __ATOMIC_RELAXED);
		sum->sleeps += __atomic_load_n(&s->sleeps, __ATOMIC_RELAXED);
		sum->wake_rx += __atomic_load_n(&s->wake_rx, __ATOMIC_RELAXED);
		sum->wake_kick += __atomic_load_n(&s->wake_kick, __ATOMIC_RELAXED);
		sum->wake_timeout += __atomic_load_n(&s->wake_timeout, __ATOMIC_RELAXED);
		sum->sleep_cycles += __atomic_load_n(&s->sleep_cycles, __ATOMIC_RELAXED);
		sum->wake_missed += __atomic_load_n(&s->wake_missed, __ATOMIC_RELAXED);
	}
}
