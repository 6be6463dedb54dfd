/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_run.c — one vfprobe run on the lcores: the generator's TX step
 * (TSC-paced bursts of stamped copies of the port's template), the
 * receiver's RX step (bursts into the analyzer and the pcap writers) and
 * the loops that run them, on one lcore or two (see vfp_live.h).
 *
 * Like l2fwd: bursts, no lock, counters written by their lcore only and
 * read by the control thread with relaxed atomics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memcpy.h>
#include <rte_pause.h>

#include "vfo_tsan.h"
#include "vfp_live.h"

/* Frames per RX burst. */
#define RX_BURST 64
/* After the end, how long the RX rings are drained at most (ms). */
#define RX_DRAIN_MS 100
/* After sending stops, how long packets refused by a full TX ring are retried (ms). */
#define TX_FLUSH_MS 500
/* rte_pause() calls after a burst the port did not wholly take. */
#define TX_FULL_PAUSES 16
/* Offset of the UDP source port in an untagged probe frame. */
#define UDP_SPORT_OFF 34

/* Relaxed store of a counter read by other threads. */
#define PUBLISH(dst, v) __atomic_store_n(&(dst), (v), __ATOMIC_RELAXED)

/* The TX lcore's private state during a run. */
struct tx_ctx {
	struct vfp_live *l;		      /* shared state */
	struct rte_mbuf *pend[VFP_MAX_BURST]; /* built, not yet taken by the port */
	unsigned int pos;		      /* first pending in 'pend' */
	unsigned int npend;		      /* pending count */
	uint64_t seq;			      /* next sequence number to build */
	uint64_t port_tx[VFP_MAX_PORTS];      /* taken per port */
	uint64_t start_tsc;		      /* first step */
	uint64_t end_tsc;		      /* stop building at (0: no limit) */
	uint64_t limit;			      /* stop building after this many */
	uint64_t flush_end;		      /* give up pending packets at (0: not stopping) */
	double pkts_per_tick;		      /* pacing, 0: max */
	unsigned int flow;		      /* next flow */
	uint16_t cur;			      /* --tx index in use */
	uint16_t port;			      /* its port number */
	bool done;			      /* finished */
};

/* The RX side's private state during a run. */
struct rx_ctx {
	struct vfp_live *l;	   /* shared state */
	uint64_t end_tsc;	   /* stop at (valid once the TX side is done) */
	uint64_t drain_end;	   /* past the end: stop draining at (0: not yet) */
	bool done;		   /* finished */
	uint64_t stamps[RX_BURST]; /* receive times (µs) of the burst being analyzed */
};

/* Builds n packets (stamped with tsc) into t->pend.  Returns how many
 * (0: pool empty). */
static unsigned int
tx_build(struct tx_ctx *t, unsigned int n, uint64_t tsc)
{
	const struct vfp_opts *o = t->l->o;
	const uint8_t *tmpl = t->l->ports[t->port].tmpl;
	uint32_t len = VFP_FRAME_LEN(o->size);

	if (unlikely(rte_pktmbuf_alloc_bulk(t->l->mp, t->pend, n) != 0)) {
		PUBLISH(t->l->tx.nombuf, t->l->tx.nombuf + 1);
		return 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = t->pend[i];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t sport = (uint16_t)(VFP_FLOW_PORT_BASE + t->flow);

		rte_memcpy(d, tmpl, len);
		d[UDP_SPORT_OFF] = (uint8_t)(sport >> 8);
		d[UDP_SPORT_OFF + 1] = (uint8_t)sport;
		vfp_stamp(d, false, t->seq++, tsc);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		if (++t->flow == o->flows)
			t->flow = 0;
	}
	t->pos = 0;
	t->npend = n;
	return n;
}

/* Applies a switch request: later bursts go to the requested --tx port; the
 * event is recorded with the first sequence number it will send. */
static void
tx_switch(struct tx_ctx *t, uint16_t req, uint64_t tsc)
{
	struct vfp_live *l = t->l;
	uint16_t to = l->o->tx[req];

	if (l->nev < VFP_TX_EVENTS) {
		l->ev[l->nev] = (struct vfp_tx_event){
			.tsc = tsc, .from = t->port, .to = to, .seq = t->seq - t->npend};
		__atomic_store_n(&l->nev, l->nev + 1, __ATOMIC_RELEASE);
	}
	t->cur = req;
	t->port = to;
	__atomic_store_n(&l->tx.cur, req, __ATOMIC_RELEASE);
}

/* Ends sending: packets still pending (the highest numbers) are freed and
 * not counted as sent.  Publishes tx_done. */
static void
tx_finish(struct tx_ctx *t, uint64_t tsc)
{
	struct vfp_live *l = t->l;

	if (t->npend != 0) {
		rte_pktmbuf_free_bulk(t->pend + t->pos, t->npend);
		t->seq -= t->npend;
		t->npend = 0;
	}
	PUBLISH(l->tx.sent, t->seq);
	l->tx_done_tsc = tsc;
	__atomic_store_n(&l->tx_done, true, __ATOMIC_RELEASE);
	t->done = true;
}

/* Returns whether sending must stop building packets at tsc. */
static inline bool
tx_over(const struct tx_ctx *t, uint64_t tsc)
{
	return t->seq >= t->limit || (t->end_tsc != 0 && tsc >= t->end_tsc) ||
	       __atomic_load_n(&t->l->stop, __ATOMIC_RELAXED);
}

/* One TX step at tsc: builds the packets due (up to a burst) when none is
 * pending, and hands the pending ones to the sending port. */
static void
tx_step(struct tx_ctx *t, uint64_t tsc)
{
	struct vfp_live *l = t->l;
	uint16_t req = __atomic_load_n(&l->tx_req, __ATOMIC_RELAXED), n;

	if (unlikely(req != t->cur))
		tx_switch(t, req, tsc);
	if (t->npend == 0) {
		uint64_t want = l->o->burst;

		if (unlikely(tx_over(t, tsc))) {
			tx_finish(t, tsc);
			return;
		}
		if (t->pkts_per_tick != 0) {
			uint64_t due =
				(uint64_t)((double)(tsc - t->start_tsc) * t->pkts_per_tick) + 1;

			if (due <= t->seq)
				return;
			want = RTE_MIN(want, due - t->seq);
		}
		want = RTE_MIN(want, t->limit - t->seq);
		if (tx_build(t, (unsigned int)want, tsc) == 0)
			return;
	} else if (unlikely(t->flush_end != 0 || tx_over(t, tsc))) {
		if (t->flush_end == 0)
			t->flush_end = tsc + l->tsc_hz * TX_FLUSH_MS / 1000;
		else if (tsc >= t->flush_end) {
			tx_finish(t, tsc);
			return;
		}
	}
	vfo_tsan_release_n((void *const *)(t->pend + t->pos), t->npend);
	n = rte_eth_tx_burst(l->ports[t->port].id, 0, t->pend + t->pos, (uint16_t)t->npend);
	t->pos += n;
	t->npend -= n;
	t->port_tx[t->port] += n;
	PUBLISH(l->tx.port_tx[t->port], t->port_tx[t->port]);
	PUBLISH(l->tx.sent, t->seq - t->npend);
	PUBLISH(l->tx.last_tsc, tsc);
	if (t->npend != 0) {
		PUBLISH(l->tx.refused, l->tx.refused + 1);
		/* The ring is full: give its consumer the cache lines for a
		 * moment instead of polling them back at once. */
		for (unsigned int i = 0; i < TX_FULL_PAUSES; i++)
			rte_pause();
	}
}

/* Prepares the TX side of trial l->trial starting at tsc. */
static void
tx_init(struct tx_ctx *t, struct vfp_live *l, uint64_t tsc)
{
	const struct vfp_trial *tr = &l->trial;

	memset(t, 0, sizeof(*t));
	t->l = l;
	t->start_tsc = tsc;
	t->limit = tr->count ? tr->count : UINT64_MAX;
	t->pkts_per_tick = tr->pps > 0 ? tr->pps / (double)l->tsc_hz : 0;
	if (tr->duration_s > 0 && tr->pps > 0) {
		/* Paced: the schedule ends the run, so a late lcore still sends
		 * exactly rate x duration packets. */
		uint64_t n = (uint64_t)(tr->pps * tr->duration_s + 0.5);

		t->limit = RTE_MIN(t->limit, RTE_MAX(n, 1ull));
	} else if (tr->duration_s > 0) {
		t->end_tsc = tsc + (uint64_t)(tr->duration_s * (double)l->tsc_hz);
	}
	t->cur = __atomic_load_n(&l->tx_req, __ATOMIC_RELAXED);
	t->port = l->o->tx[t->cur];
	__atomic_store_n(&l->tx.cur, t->cur, __ATOMIC_RELEASE);
	PUBLISH(l->tx.start_tsc, tsc);
	t->done = l->o->ntx == 0;
}

/* Fills r->stamps[0..n) with each frame's kernel receive time (µs), or
 * 'poll_us' for a frame without one. */
static void
kernel_stamps(struct rx_ctx *r, struct rte_mbuf **pkts, uint16_t n, uint64_t poll_us)
{
	const struct vfp_live *l = r->l;

	for (uint16_t j = 0; j < n; j++)
		r->stamps[j] =
			pkts[j]->ol_flags & l->stamp_flag
				? *RTE_MBUF_DYNFIELD(pkts[j], l->stamp_off, rte_mbuf_timestamp_t *)
				: poll_us;
}

/* One RX step: one burst from each --rx port into the analyzer and the
 * pcap writers.  Returns the frames received. */
static unsigned int
rx_step(struct rx_ctx *r)
{
	struct vfp_live *l = r->l;
	const struct vfp_opts *o = l->o;
	struct rte_mbuf *pkts[RX_BURST];
	unsigned int got = 0;

	for (unsigned int i = 0; i < o->nrx; i++) {
		uint16_t pn = o->rx[i];
		uint16_t n = rte_eth_rx_burst(l->ports[pn].id, 0, pkts, RX_BURST);
		uint64_t tsc, us, probes = 0, gaps = 0;

		if (n == 0)
			continue;
		vfo_tsan_acquire_n((void *const *)pkts, n);
		got += n;
		tsc = rte_rdtsc();
		us = vfp_live_us(l, tsc);
		if (l->ports[pn].kstamp)
			kernel_stamps(r, pkts, n, us);
		for (uint16_t j = 0; j < n; j++) {
			const uint8_t *d = rte_pktmbuf_mtod(pkts[j], const uint8_t *);
			size_t cap = pkts[j]->data_len, wire = pkts[j]->pkt_len;
			unsigned int res = vfp_analyzer_frame(
				l->an, pn, l->ports[pn].kstamp ? r->stamps[j] : us, tsc, d, cap,
				wire);

			probes += !(res & VFP_RX_FOREIGN);
			gaps += (res & VFP_RX_GAP) != 0;
			if (unlikely(l->gapcap != NULL))
				vfp_gapcap_frame(l->gapcap, us, d, cap, wire,
						 (res & VFP_RX_GAP) != 0);
			if (unlikely(l->allcap != NULL))
				vfp_gapcap_frame(l->allcap, us, d, cap, wire, false);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		PUBLISH(l->rx.port_rx[pn], l->rx.port_rx[pn] + n);
		PUBLISH(l->rx.port_probes[pn], l->rx.port_probes[pn] + probes);
		PUBLISH(l->rx.probes, l->rx.probes + probes);
		PUBLISH(l->rx.gaps, l->rx.gaps + gaps);
	}
	return got;
}

/* Returns whether the RX side is finished at tsc: sending ended --linger-ms
 * ago (or, receiving only, the user stopped the run). */
static inline bool
rx_over(struct rx_ctx *r, uint64_t tsc)
{
	struct vfp_live *l = r->l;

	if (r->end_tsc == 0 && __atomic_load_n(&l->tx_done, __ATOMIC_ACQUIRE))
		r->end_tsc = l->tx_done_tsc + l->tsc_hz * l->o->linger_ms / 1000 + 1;
	if (r->end_tsc != 0)
		return tsc >= r->end_tsc;
	return l->o->ntx == 0 && __atomic_load_n(&l->stop, __ATOMIC_RELAXED);
}

/* --idle-sleep-us: sleeps that long when a loop turn did nothing (nothing
 * received, nothing built or pending to send). */
static inline void
idle_nap(const struct vfp_live *l, bool idle)
{
	if (unlikely(l->o->idle_sleep_us != 0) && idle)
		rte_delay_us_sleep(l->o->idle_sleep_us);
}

/* Puts the calling lcore online in l->qsbr (if any); returns its thread id. */
static unsigned int
lcore_online(struct vfp_live *l)
{
	unsigned int id = (unsigned int)rte_lcore_index(rte_lcore_id());

	if (l->qsbr != NULL) {
		rte_rcu_qsbr_thread_register(l->qsbr, id);
		rte_rcu_qsbr_thread_online(l->qsbr, id);
	}
	return id;
}

/* Takes lcore thread 'id' offline in l->qsbr (if any). */
static void
lcore_offline(struct vfp_live *l, unsigned int id)
{
	if (l->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(l->qsbr, id);
		rte_rcu_qsbr_thread_unregister(l->qsbr, id);
	}
}

/* lcore function: the TX loop.  Returns 0. */
static int
tx_loop(void *arg)
{
	struct tx_ctx *t = (vfo_tsan_acquire(arg), arg); /* set up before the launch */
	const unsigned int id = lcore_online(t->l);

	while (!t->done) {
		uint64_t seq = t->seq;

		tx_step(t, rte_rdtsc());
		if (t->l->qsbr != NULL)
			rte_rcu_qsbr_quiescent(t->l->qsbr, id);
		idle_nap(t->l, t->seq == seq && t->npend == 0);
	}
	lcore_offline(t->l, id);
	vfo_tsan_release(t); /* read after rte_eal_wait_lcore() */
	return 0;
}

/* Runs the RX loop (rx only) or both steps in one loop (t not NULL) until
 * both sides are done. */
static void
rx_loop(struct rx_ctx *r, struct tx_ctx *t)
{
	const unsigned int id = lcore_online(r->l);

	while (!r->done || (t != NULL && !t->done)) {
		uint64_t tsc = rte_rdtsc(), seq = t != NULL ? t->seq : 0;
		unsigned int got = 0;

		if (r->l->qsbr != NULL)
			rte_rcu_qsbr_quiescent(r->l->qsbr, id);

		if (t != NULL && !t->done)
			tx_step(t, tsc);
		/* Past the end, the rings are still drained (for at most
		 * RX_DRAIN_MS): a late lcore must not leave what arrived in
		 * time unread. */
		if (!r->done) {
			got = rx_step(r);
			if (rx_over(r, tsc)) {
				if (r->drain_end == 0)
					r->drain_end = tsc + r->l->tsc_hz * RX_DRAIN_MS / 1000;
				r->done = got == 0 || tsc >= r->drain_end;
			}
		}
		idle_nap(r->l, got == 0 && (t == NULL || (t->seq == seq && t->npend == 0)));
	}
	lcore_offline(r->l, id);
}

/* An event of the run before it goes to the analyzer. */
struct run_event {
	uint64_t tsc;		   /* when */
	char text[VFP_EVENT_TEXT]; /* what */
};

/* qsort order of run events: time. */
static int
run_event_cmp(const void *x, const void *y)
{
	const struct run_event *a = x, *b = y;

	return a->tsc < b->tsc ? -1 : a->tsc > b->tsc;
}

/* Zeroes the run's TX and RX counters of 'l' with atomic stores: the
 * control thread may be reading them ("stats"). */
static void
stats_zero(struct vfp_live *l)
{
	unsigned int i;

	for (i = 0; i < VFP_MAX_PORTS; i++) {
		PUBLISH(l->tx.port_tx[i], 0);
		PUBLISH(l->rx.port_rx[i], 0);
	}
	PUBLISH(l->tx.sent, 0);
	PUBLISH(l->tx.refused, 0);
	PUBLISH(l->tx.nombuf, 0);
	PUBLISH(l->tx.start_tsc, 0);
	PUBLISH(l->tx.last_tsc, 0);
	__atomic_store_n(&l->tx.cur, 0, __ATOMIC_RELAXED);
	PUBLISH(l->rx.probes, 0);
	PUBLISH(l->rx.gaps, 0);
}

/* Adds the run's marks, TX start, switches and end to the analyzer's
 * events, in time order. */
static void
add_events(struct vfp_live *l)
{
	static struct run_event ev[VFP_MARKS + VFP_TX_EVENTS + 2];
	unsigned int n = 0;

	for (unsigned int i = 0; i < l->nmarks; i++) {
		ev[n].tsc = l->marks[i].tsc;
		snprintf(ev[n++].text, VFP_EVENT_TEXT, "mark: %s", l->marks[i].text);
	}
	if (l->o->ntx != 0) {
		ev[n].tsc = l->tx.start_tsc;
		snprintf(ev[n++].text, VFP_EVENT_TEXT, "tx start on port %u", l->o->tx[0]);
		for (unsigned int i = 0; i < l->nev; i++) {
			ev[n].tsc = l->ev[i].tsc;
			snprintf(ev[n++].text, VFP_EVENT_TEXT,
				 "switch tx port %u -> %u at seq %" PRIu64, l->ev[i].from,
				 l->ev[i].to, l->ev[i].seq);
		}
		ev[n].tsc = l->tx_done_tsc;
		snprintf(ev[n++].text, VFP_EVENT_TEXT, "tx end: %" PRIu64 " packets", l->tx.sent);
	}
	qsort(ev, n, sizeof(ev[0]), run_event_cmp);
	for (unsigned int i = 0; i < n; i++)
		vfp_analyzer_event(l->an, vfp_live_us(l, ev[i].tsc), ev[i].text);
}

void
vfp_run_trial(struct vfp_live *l)
{
	const struct vfp_opts *o = l->o;
	static uint64_t sent[VFP_MAX_STREAMS];
	struct tx_ctx t;
	struct rx_ctx r = {.l = l, .done = o->nrx == 0};
	uint64_t tsc;
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);

	/* The control thread reads the counters at any time: zeroed atomically. */
	stats_zero(l);
	__atomic_store_n(&l->nev, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->tx_done, false, __ATOMIC_RELAXED);
	tsc = rte_rdtsc();
	pthread_mutex_lock(&l->run_lock);
	l->nmarks = 0;
	l->run_tsc = tsc;
	pthread_mutex_unlock(&l->run_lock);
	vfp_analyzer_start(l->an, vfp_live_us(l, tsc));
	tx_init(&t, l, tsc);
	if (o->ntx == 0) { /* receive only: --duration, or until stopped */
		l->tx_done_tsc = tsc + (uint64_t)(l->trial.duration_s * (double)l->tsc_hz);
		__atomic_store_n(&l->tx_done, l->trial.duration_s > 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&l->running, true, __ATOMIC_RELEASE);
	if (!t.done && !r.done && worker < RTE_MAX_LCORE) {
		vfo_tsan_release(&t); /* DPDK's launch, for TSan (vfo_tsan.h) */
		rte_eal_remote_launch(tx_loop, &t, worker);
		rx_loop(&r, NULL);
		rte_eal_wait_lcore(worker);
		vfo_tsan_acquire(&t);
	} else {
		rx_loop(&r, &t);
	}
	pthread_mutex_lock(&l->run_lock); /* no mark is being added now */
	__atomic_store_n(&l->running, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&l->run_lock);
	add_events(l);
	memset(sent, 0, sizeof(sent));
	sent[l->trial.stream] = l->tx.sent;
	vfp_analyzer_finish(l->an, vfp_live_us(l, rte_rdtsc()), o->ntx ? sent : NULL);
}
