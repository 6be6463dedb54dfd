/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * analyzer.c — the sequence analyzer (see vfp_analyzer.h for the model).
 *
 * Memory, all allocated at creation: per stream a small state and a bitmap
 * of W bits (slot of seq = seq mod W); a pool of pending gaps shared by the
 * streams (each stream keeps its own doubly linked FIFO, oldest first: gaps
 * are created in sequence order and leave the window in that order); the
 * gap records; the timeline (timeline_ms x nports counters); the latency
 * histogram; the events.
 *
 * Thread-safety: an analyzer is used by one thread at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfp_analyzer.h"

#define NONE UINT32_MAX

/* A gap that is still being filled by reordered packets. */
struct pgap {
	struct vfp_gap g; /* the record; g.missing = numbers of the run still missing */
	uint32_t prev;	  /* older pending gap of the same stream, or NONE (free list: unused) */
	uint32_t next;	  /* newer pending gap of the same stream, or NONE (free list: next free) */
};

/* One stream's state; the fields an in-order packet touches come first
 * (one cache line). */
struct stream {
	uint64_t head;	    /* highest number seen + 1 */
	uint64_t lo;	    /* first number tracked in this epoch */
	uint64_t last_us;   /* latest arrival */
	uint64_t received;  /* see struct vfp_stream_stats */
	uint64_t lost;	    /* idem */
	uint32_t pend_old;  /* oldest pending gap (pool index) or NONE */
	uint32_t pend_new;  /* newest pending gap or NONE */
	uint16_t last_port; /* port of the latest arrival */
	bool active;	    /* seen at least one packet */
	uint64_t lat_count; /* packets with a latency */
	uint64_t lat_sum;   /* sum of their latencies, ns */
	uint64_t lat_min;   /* smallest, ns */
	uint64_t lat_max;   /* largest, ns */
	uint64_t dups;	    /* see struct vfp_stream_stats */
	uint64_t reordered; /* idem */
	uint64_t late;	    /* idem */
	uint64_t resets;    /* idem */
	uint64_t gaps;	    /* idem */
	uint64_t first_us;  /* first arrival */
} __attribute__((aligned(64)));

struct vfp_analyzer {
	struct vfp_analyzer_conf conf;	     /* effective configuration */
	uint64_t wmask;			     /* window - 1 */
	uint32_t wwords;		     /* bitmap words per stream */
	uint64_t lat_mult;		     /* ns per TSC tick, 32.32 fixed point */
	struct stream *streams;		     /* conf.nstreams states */
	uint64_t *bits;			     /* conf.nstreams bitmaps of wwords words */
	struct pgap *pool;		     /* conf.max_pending pending gaps */
	uint32_t pool_free;		     /* first free pool entry or NONE */
	uint64_t merged;		     /* jumps merged into a pending gap: pool full */
	struct vfp_gap *gaps;		     /* recorded gaps */
	size_t ngaps;			     /* how many */
	uint64_t gaps_dropped;		     /* not recorded: max_gaps reached */
	uint32_t *timeline;		     /* timeline_ms x nports counters */
	uint32_t tl_bins;		     /* last used millisecond + 1 */
	uint64_t tl_truncated;		     /* packets outside the timeline */
	uint64_t hist[VFP_LAT_BUCKETS];	     /* latency histogram */
	uint64_t lat_negative;		     /* rx_tsc below tx tsc */
	struct vfp_event *events;	     /* conf.max_events events */
	size_t nevents;			     /* how many */
	uint64_t events_dropped;	     /* not kept: list full */
	uint64_t foreign[VFP_FOREIGN_COUNT]; /* foreign frames by reason */
	uint64_t t0_us;			     /* start of relative times */
	uint64_t last_us;		     /* latest time seen */
	bool t0_set;			     /* t0 is set */
	bool finished;			     /* vfp_analyzer_finish() was called */
};

/* Sets t0 to now if unset and tracks the latest time.  Changes a->t0_us,
 * a->last_us. */
static inline void
note_time(struct vfp_analyzer *a, uint64_t now_us)
{
	if (__builtin_expect(!a->t0_set, 0)) {
		a->t0_us = now_us;
		a->last_us = now_us;
		a->t0_set = true;
	}
	if (now_us > a->last_us)
		a->last_us = now_us;
}

struct vfp_analyzer *
vfp_analyzer_create(const struct vfp_analyzer_conf *conf, char *err, size_t errlen)
{
	struct vfp_analyzer_conf c = conf ? *conf : (struct vfp_analyzer_conf){0};
	struct vfp_analyzer *a;

	if (c.window == 0)
		c.window = VFP_DEFAULT_WINDOW;
	if (c.gap_us == 0)
		c.gap_us = VFP_DEFAULT_GAP_US;
	if (c.nstreams == 0)
		c.nstreams = VFP_MAX_STREAMS;
	if (c.nports == 0)
		c.nports = 1;
	if (c.timeline_ms == 0)
		c.timeline_ms = 60000;
	if (c.max_gaps == 0)
		c.max_gaps = 65536;
	if (c.max_pending == 0)
		c.max_pending = 65536;
	if (c.max_events == 0)
		c.max_events = 1024;
	if (c.window < 64 || c.window > (1u << 24) || (c.window & (c.window - 1)) != 0) {
		snprintf(err, errlen, "window %u: must be a power of two in 64..16777216",
			 c.window);
		return NULL;
	}
	if (c.nstreams > VFP_MAX_STREAMS) {
		snprintf(err, errlen, "nstreams %u: at most %u", c.nstreams, VFP_MAX_STREAMS);
		return NULL;
	}
	if (c.nports > VFP_MAX_PORTS) {
		snprintf(err, errlen, "nports %u: at most %u", c.nports, VFP_MAX_PORTS);
		return NULL;
	}
	if (c.timeline_ms > 24u * 3600 * 1000) {
		snprintf(err, errlen, "timeline_ms %u: at most 24 h", c.timeline_ms);
		return NULL;
	}
	if (c.max_pending >= NONE) {
		snprintf(err, errlen, "max_pending %u: too large", c.max_pending);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "out of memory (analyzer)");
		return NULL;
	}
	a->conf = c;
	a->wmask = c.window - 1;
	a->wwords = c.window / 64;
	if (c.tsc_hz != 0)
		a->lat_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / c.tsc_hz);
	a->streams = aligned_alloc(64, c.nstreams * sizeof(*a->streams));
	if (a->streams != NULL)
		memset(a->streams, 0, c.nstreams * sizeof(*a->streams));
	a->bits = calloc((size_t)c.nstreams * a->wwords, sizeof(uint64_t));
	a->pool = calloc(c.max_pending, sizeof(*a->pool));
	a->gaps = calloc(c.max_gaps, sizeof(*a->gaps));
	a->timeline = calloc((size_t)c.timeline_ms * c.nports, sizeof(uint32_t));
	a->events = calloc(c.max_events, sizeof(*a->events));
	if (!a->streams || !a->bits || !a->pool || !a->gaps || !a->timeline || !a->events) {
		snprintf(err, errlen,
			 "out of memory (window %u x %u streams, timeline %u ms x %u ports, "
			 "%u gaps)",
			 c.window, c.nstreams, c.timeline_ms, c.nports, c.max_gaps);
		vfp_analyzer_destroy(a);
		return NULL;
	}
	for (uint32_t i = 0; i < c.nstreams; i++)
		a->streams[i].pend_old = a->streams[i].pend_new = NONE;
	for (uint32_t i = 0; i < c.max_pending; i++)
		a->pool[i].next = i + 1 < c.max_pending ? i + 1 : NONE;
	a->pool_free = 0;
	return a;
}

void
vfp_analyzer_destroy(struct vfp_analyzer *a)
{
	if (a == NULL)
		return;
	free(a->streams);
	free(a->bits);
	free(a->pool);
	free(a->gaps);
	free(a->timeline);
	free(a->events);
	free(a);
}

const struct vfp_analyzer_conf *
vfp_analyzer_get_conf(const struct vfp_analyzer *a)
{
	return &a->conf;
}

void
vfp_analyzer_start(struct vfp_analyzer *a, uint64_t now_us)
{
	note_time(a, now_us);
}

/* Appends a final gap record of stream 'st' (counted in st->gaps even when
 * the list is full).  Changes a->gaps/ngaps/gaps_dropped. */
static void
record_gap(struct vfp_analyzer *a, struct stream *st, const struct vfp_gap *g)
{
	st->gaps++;
	if (a->ngaps < a->conf.max_gaps)
		a->gaps[a->ngaps++] = *g;
	else
		a->gaps_dropped++;
}

/* Removes the oldest pending gap of 'st', records it when numbers of it are
 * lost or it was a silence, and returns its node to the pool. */
static void
finalize_oldest(struct vfp_analyzer *a, struct stream *st)
{
	uint32_t i = st->pend_old;
	struct pgap *p = &a->pool[i];

	st->pend_old = p->next;
	if (p->next != NONE)
		a->pool[p->next].prev = NONE;
	else
		st->pend_new = NONE;
	if (p->g.missing != 0 || (p->g.flags & VFP_GAP_SILENCE))
		record_gap(a, st, &p->g);
	p->next = a->pool_free;
	a->pool_free = i;
}

/* Returns how many of the numbers [from, to) (to - from <= W) are unseen in
 * bitmap 'bm' and clears their bits. */
static uint64_t
evict(const struct vfp_analyzer *a, uint64_t *bm, uint64_t from, uint64_t to)
{
	uint64_t n = to - from, seen = 0;
	uint32_t i = (uint32_t)(from & a->wmask);
	const uint64_t total = n;

	while (n != 0) {
		uint32_t bit = i & 63, k = 64 - bit;
		uint64_t m;

		if (k > n)
			k = (uint32_t)n;
		m = (k == 64 ? ~0ull : ((1ull << k) - 1)) << bit;
		seen += (uint64_t)__builtin_popcountll(bm[i >> 6] & m);
		bm[i >> 6] &= ~m;
		n -= k;
		i = (uint32_t)((i + k) & a->wmask);
	}
	return total - seen;
}

/* Returns the first number of stream st's window (numbers below it are out).
 * Distances from lo, never lo + W: an epoch may start near UINT64_MAX. */
static inline uint64_t
win_lo(const struct vfp_analyzer *a, const struct stream *st)
{
	uint64_t w = a->conf.window;

	return st->head - st->lo > w ? st->head - w : st->lo;
}

/* Moves stream st's head to nh > head: numbers leaving the window unseen are
 * lost, pending gaps wholly out of it are finalized. */
static void
advance(struct vfp_analyzer *a, struct stream *st, uint64_t *bm, uint64_t nh)
{
	uint64_t w = a->conf.window, olo = win_lo(a, st);
	uint64_t nlo = nh - st->lo > w ? nh - w : st->lo;
	uint64_t e1 = nlo < st->head ? nlo : st->head;

	if (e1 > olo)
		st->lost += evict(a, bm, olo, e1);
	if (nlo > st->head) /* skipped numbers that never entered the window */
		st->lost += nlo - st->head;
	st->head = nh;
	while (st->pend_old != NONE && a->pool[st->pend_old].g.last_seq < nlo)
		finalize_oldest(a, st);
}

/* Records numbers [st->head, seq) of stream 'sid' as a pending gap that
 * started at start_us and ended now on 'port'; flags: VFP_GAP_*. */
static void
open_gap(struct vfp_analyzer *a, struct stream *st, uint16_t sid, uint64_t seq, uint64_t start_us,
	 uint64_t now_us, uint16_t port, uint8_t flags)
{
	uint32_t i = a->pool_free;
	struct pgap *p;

	if (i == NONE) {
		if (st->pend_new != NONE) { /* pool full: extend the newest one */
			p = &a->pool[st->pend_new];
			p->g.last_seq = seq - 1;
			p->g.missing += seq - st->head;
			p->g.end_us = now_us;
			p->g.port = port;
			p->g.flags |= flags | VFP_GAP_MERGED;
		} else { /* nothing to extend: record it now, reorders will not count */
			struct vfp_gap g = {.start_us = start_us,
					    .end_us = now_us,
					    .first_seq = st->head,
					    .last_seq = seq - 1,
					    .missing = seq - st->head,
					    .stream = sid,
					    .port = port,
					    .flags = (uint8_t)(flags | VFP_GAP_MERGED)};
			record_gap(a, st, &g);
		}
		a->merged++;
		return;
	}
	p = &a->pool[i];
	a->pool_free = p->next;
	p->g = (struct vfp_gap){.start_us = start_us,
				.end_us = now_us,
				.first_seq = st->head,
				.last_seq = seq - 1,
				.missing = seq - st->head,
				.stream = sid,
				.port = port,
				.flags = flags};
	p->next = NONE;
	p->prev = st->pend_new;
	if (st->pend_new != NONE)
		a->pool[st->pend_new].next = i;
	else
		st->pend_old = i;
	st->pend_new = i;
}

/* A reordered number arrived: decrements the missing count of the pending
 * gap holding it (searched from the newest: reorders are usually recent). */
static void
fill_gap(struct vfp_analyzer *a, struct stream *st, uint64_t seq)
{
	for (uint32_t i = st->pend_new; i != NONE; i = a->pool[i].prev) {
		struct vfp_gap *g = &a->pool[i].g;

		if (seq >= g->first_seq) {
			if (seq <= g->last_seq && g->missing != 0)
				g->missing--;
			return;
		}
	}
}

/* Closes stream st's window: unseen numbers in it are lost, all pending gaps
 * are finalized, the bitmap is cleared. */
static void
close_window(struct vfp_analyzer *a, struct stream *st, uint64_t *bm)
{
	uint64_t lo = win_lo(a, st);

	if (st->head > lo)
		st->lost += evict(a, bm, lo, st->head);
	while (st->pend_old != NONE)
		finalize_oldest(a, st);
}

/* Starts a new epoch of stream st at seq (first packet, or after a reset). */
static void
start_epoch(struct vfp_analyzer *a, struct stream *st, uint16_t sid, uint64_t *bm, uint64_t seq,
	    uint64_t now_us, uint16_t port, bool first)
{
	if (first && a->conf.expect_seq0 && seq != 0) {
		/* Numbers 0..seq-1 should have come first: a gap since t0. */
		st->lo = 0;
		st->head = 0;
		open_gap(a, st, sid, seq, a->t0_us, now_us, port, VFP_GAP_SEQ);
		advance(a, st, bm, seq + 1);
	} else {
		st->lo = seq;
		st->head = seq + 1;
	}
	bm[(seq & a->wmask) >> 6] |= 1ull << (seq & 63);
}

/* Returns the histogram bucket of v ns. */
static inline unsigned int
lat_bucket(uint64_t v)
{
	unsigned int msb;

	if (v < 32)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	return (msb - 4) * 32 + (unsigned int)((v >> (msb - 5)) & 31);
}

/* Accounts latency of a packet stamped tx_tsc received at rx_tsc. */
static inline void
account_latency(struct vfp_analyzer *a, struct stream *st, uint64_t rx_tsc, uint64_t tx_tsc)
{
	uint64_t ns;

	if (rx_tsc < tx_tsc) {
		a->lat_negative++;
		return;
	}
	ns = (uint64_t)(((unsigned __int128)(rx_tsc - tx_tsc) * a->lat_mult) >> 32);
	if (st->lat_count == 0 || ns < st->lat_min)
		st->lat_min = ns;
	if (ns > st->lat_max)
		st->lat_max = ns;
	st->lat_count++;
	st->lat_sum += ns;
	a->hist[lat_bucket(ns)]++;
}

unsigned int
vfp_analyzer_rx(struct vfp_analyzer *a, uint16_t port, uint64_t now_us, uint64_t rx_tsc,
		const struct vfp_parsed *p)
{
	struct stream *st;
	uint64_t *bm, seq = p->seq, ms, head;
	unsigned int ret = 0;
	bool silence;

	if (__builtin_expect(p->stream >= a->conf.nstreams, 0)) {
		a->foreign[VFP_FOREIGN_PORT]++;
		return VFP_RX_FOREIGN;
	}
	/* head = seq + 1 must not wrap: a forged or corrupt number, not ours. */
	if (__builtin_expect(seq == UINT64_MAX, 0)) {
		a->foreign[VFP_FOREIGN_SEQ]++;
		return VFP_RX_FOREIGN;
	}
	note_time(a, now_us);
	st = &a->streams[p->stream];
	bm = a->bits + (size_t)p->stream * a->wwords;

	/* Timeline. */
	ms = now_us > a->t0_us ? (now_us - a->t0_us) / 1000 : 0;
	if (__builtin_expect(ms < a->conf.timeline_ms && port < a->conf.nports, 1)) {
		a->timeline[ms * a->conf.nports + port]++;
		if (ms >= a->tl_bins)
			a->tl_bins = (uint32_t)ms + 1;
	} else {
		a->tl_truncated++;
	}
	if (a->lat_mult != 0 && rx_tsc != 0)
		account_latency(a, st, rx_tsc, p->tsc);

	st->received++;
	if (__builtin_expect(!st->active, 0)) {
		st->active = true;
		st->first_us = st->last_us = now_us;
		st->last_port = port;
		start_epoch(a, st, p->stream, bm, seq, now_us, port, true);
		return st->head != seq + 1 || st->lo != seq ? VFP_RX_GAP : 0;
	}
	silence = now_us > st->last_us && now_us - st->last_us > a->conf.gap_us;
	head = st->head;

	if (__builtin_expect(seq == st->head, 1)) { /* in order: the common case */
		uint64_t *w = &bm[(seq & a->wmask) >> 6], b = 1ull << (seq & 63);

		/* The slot held seq - W (if tracked): it leaves the window. */
		if (seq - st->lo >= a->conf.window) {
			st->lost += !(*w & b);
			while (st->pend_old != NONE &&
			       a->pool[st->pend_old].g.last_seq <= seq - a->conf.window)
				finalize_oldest(a, st);
		}
		*w |= b;
		st->head = seq + 1;
	} else if (seq > st->head) { /* jump: numbers head..seq-1 are missing */
		open_gap(a, st, p->stream, seq, st->last_us, now_us, port,
			 (uint8_t)(VFP_GAP_SEQ | (silence ? VFP_GAP_SILENCE : 0)));
		advance(a, st, bm, seq + 1);
		bm[(seq & a->wmask) >> 6] |= 1ull << (seq & 63);
		ret |= VFP_RX_GAP;
		silence = false;
	} else if (seq >= win_lo(a, st)) { /* inside the window */
		uint64_t *w = &bm[(seq & a->wmask) >> 6], b = 1ull << (seq & 63);

		if (*w & b) {
			st->dups++;
			ret |= VFP_RX_DUP;
		} else {
			*w |= b;
			st->reordered++;
			fill_gap(a, st, seq);
			ret |= VFP_RX_REORDER;
		}
	} else if (seq < a->conf.window && st->head >= 2ull * a->conf.window) {
		/* Far below the window and near 0: the sender restarted. */
		close_window(a, st, bm);
		st->resets++;
		start_epoch(a, st, p->stream, bm, seq, now_us, port, false);
		ret |= VFP_RX_RESET;
	} else {
		st->late++;
		ret |= VFP_RX_LATE;
	}
	if (silence) {
		struct vfp_gap g = {.start_us = st->last_us,
				    .end_us = now_us,
				    .first_seq = head,
				    .last_seq = head - 1,
				    .missing = 0,
				    .stream = p->stream,
				    .port = port,
				    .flags = VFP_GAP_SILENCE};

		record_gap(a, st, &g);
		ret |= VFP_RX_GAP;
	}
	if (now_us > st->last_us)
		st->last_us = now_us;
	st->last_port = port;
	return ret;
}

void
vfp_analyzer_foreign(struct vfp_analyzer *a, uint16_t port, enum vfp_foreign reason)
{
	(void)port;
	if ((unsigned int)reason < VFP_FOREIGN_COUNT)
		a->foreign[reason]++;
}

unsigned int
vfp_analyzer_frame(struct vfp_analyzer *a, uint16_t port, uint64_t now_us, uint64_t rx_tsc,
		   const uint8_t *frame, size_t caplen, size_t wirelen)
{
	struct vfp_parsed p;
	int r = vfp_parse_cap(frame, caplen, wirelen, &p);

	if (r != 0) {
		note_time(a, now_us);
		vfp_analyzer_foreign(a, port, (enum vfp_foreign)(r - 1));
		return VFP_RX_FOREIGN;
	}
	return vfp_analyzer_rx(a, port, now_us, rx_tsc, &p);
}

int
vfp_analyzer_event(struct vfp_analyzer *a, uint64_t now_us, const char *text)
{
	struct vfp_event *e;

	note_time(a, now_us);
	if (a->nevents >= a->conf.max_events) {
		a->events_dropped++;
		return -1;
	}
	e = &a->events[a->nevents++];
	e->t_us = now_us;
	snprintf(e->text, sizeof(e->text), "%s", text ? text : "");
	return 0;
}

/* qsort order of gaps: start time, then stream, then first number. */
static int
gap_cmp(const void *x, const void *y)
{
	const struct vfp_gap *g = x, *h = y;

	if (g->start_us != h->start_us)
		return g->start_us < h->start_us ? -1 : 1;
	if (g->stream != h->stream)
		return g->stream < h->stream ? -1 : 1;
	if (g->first_seq != h->first_seq)
		return g->first_seq < h->first_seq ? -1 : 1;
	return 0;
}

void
vfp_analyzer_finish(struct vfp_analyzer *a, uint64_t now_us, const uint64_t *sent)
{
	if (a->finished)
		return;
	note_time(a, now_us);
	for (uint32_t s = 0; s < a->conf.nstreams; s++) {
		struct stream *st = &a->streams[s];
		uint64_t *bm = a->bits + (size_t)s * a->wwords;
		uint64_t expected = sent ? sent[s] : 0;

		if (!st->active) {
			if (expected != 0) { /* nothing of it arrived */
				struct vfp_gap g = {.start_us = a->t0_us,
						    .end_us = now_us,
						    .first_seq = 0,
						    .last_seq = expected - 1,
						    .missing = expected,
						    .stream = (uint16_t)s,
						    .flags = VFP_GAP_SEQ | VFP_GAP_TAIL};

				st->active = true;
				st->first_us = st->last_us = a->t0_us;
				st->lost = expected;
				record_gap(a, st, &g);
			}
			continue;
		}
		close_window(a, st, bm);
		if (expected > st->head) {
			struct vfp_gap g = {.start_us = st->last_us,
					    .end_us = now_us,
					    .first_seq = st->head,
					    .last_seq = expected - 1,
					    .missing = expected - st->head,
					    .stream = (uint16_t)s,
					    .port = st->last_port,
					    .flags = VFP_GAP_SEQ | VFP_GAP_TAIL};

			st->lost += expected - st->head;
			record_gap(a, st, &g);
		}
	}
	qsort(a->gaps, a->ngaps, sizeof(*a->gaps), gap_cmp);
	a->finished = true;
}

/* Fills 'o' from stream state 'st'. */
static void
fill_stats(const struct stream *st, struct vfp_stream_stats *o)
{
	*o = (struct vfp_stream_stats){
		.received = st->received,
		.lost = st->lost,
		.duplicates = st->dups,
		.reordered = st->reordered,
		.late = st->late,
		.resets = st->resets,
		.gaps = st->gaps,
		.first_seq = st->lo,
		.next_seq = st->head,
		.first_us = st->first_us,
		.last_us = st->last_us,
		.lat_count = st->lat_count,
		.lat_min_ns = st->lat_min,
		.lat_max_ns = st->lat_max,
		.lat_avg_ns = st->lat_count ? (double)st->lat_sum / (double)st->lat_count : 0,
		.last_port = st->last_port,
		.active = st->active,
	};
}

int
vfp_analyzer_stream_stats(const struct vfp_analyzer *a, uint32_t s, struct vfp_stream_stats *out)
{
	if (s >= a->conf.nstreams)
		return -1;
	fill_stats(&a->streams[s], out);
	return 0;
}

void
vfp_analyzer_totals(const struct vfp_analyzer *a, struct vfp_stream_stats *out)
{
	double lat_sum = 0;

	memset(out, 0, sizeof(*out));
	for (uint32_t s = 0; s < a->conf.nstreams; s++) {
		const struct stream *st = &a->streams[s];

		if (!st->active)
			continue;
		out->received += st->received;
		out->lost += st->lost;
		out->duplicates += st->dups;
		out->reordered += st->reordered;
		out->late += st->late;
		out->resets += st->resets;
		out->gaps += st->gaps;
		if (!out->active || st->first_us < out->first_us)
			out->first_us = st->first_us;
		if (st->last_us > out->last_us)
			out->last_us = st->last_us;
		if (st->lat_count != 0) {
			if (out->lat_count == 0 || st->lat_min < out->lat_min_ns)
				out->lat_min_ns = st->lat_min;
			if (st->lat_max > out->lat_max_ns)
				out->lat_max_ns = st->lat_max;
			out->lat_count += st->lat_count;
			lat_sum += (double)st->lat_sum;
		}
		out->active = true;
	}
	out->lat_avg_ns = out->lat_count ? lat_sum / (double)out->lat_count : 0;
}

const struct vfp_gap *
vfp_analyzer_gaps(const struct vfp_analyzer *a, size_t *n, uint64_t *dropped)
{
	*n = a->ngaps;
	if (dropped)
		*dropped = a->gaps_dropped;
	return a->gaps;
}

uint64_t
vfp_analyzer_gaps_merged(const struct vfp_analyzer *a)
{
	return a->merged;
}

uint64_t
vfp_analyzer_lat_bucket(const struct vfp_analyzer *a, unsigned int i, uint64_t *lo_ns,
			uint64_t *hi_ns)
{
	if (i >= VFP_LAT_BUCKETS) {
		*lo_ns = *hi_ns = 0;
		return 0;
	}
	if (i < 32) {
		*lo_ns = *hi_ns = i;
	} else {
		unsigned int msb = i / 32 + 4, shift = msb - 5;

		*lo_ns = (uint64_t)(32 + i % 32) << shift;
		*hi_ns = *lo_ns + ((1ull << shift) - 1);
	}
	return a->hist[i];
}

uint64_t
vfp_analyzer_lat_quantile(const struct vfp_analyzer *a, double q)
{
	struct vfp_stream_stats t;
	uint64_t rank, cum = 0, lo, hi, v;

	vfp_analyzer_totals(a, &t);
	if (t.lat_count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)(q * (double)t.lat_count + 0.999999);
	if (rank <= 1)
		return t.lat_min_ns;
	if (rank >= t.lat_count)
		return t.lat_max_ns;
	for (unsigned int i = 0; i < VFP_LAT_BUCKETS; i++) {
		cum += vfp_analyzer_lat_bucket(a, i, &lo, &hi);
		if (cum >= rank) {
			v = lo + (hi - lo) / 2;
			if (v < t.lat_min_ns)
				v = t.lat_min_ns;
			if (v > t.lat_max_ns)
				v = t.lat_max_ns;
			return v;
		}
	}
	return t.lat_max_ns;
}

void
vfp_analyzer_latency(const struct vfp_analyzer *a, struct vfp_latency *out)
{
	struct vfp_stream_stats t;

	vfp_analyzer_totals(a, &t);
	*out = (struct vfp_latency){
		.count = t.lat_count,
		.negative = a->lat_negative,
		.min_ns = t.lat_min_ns,
		.max_ns = t.lat_max_ns,
		.avg_ns = t.lat_avg_ns,
		.p50_ns = vfp_analyzer_lat_quantile(a, 0.5),
		.p99_ns = vfp_analyzer_lat_quantile(a, 0.99),
		.p999_ns = vfp_analyzer_lat_quantile(a, 0.999),
	};
}

const uint32_t *
vfp_analyzer_timeline(const struct vfp_analyzer *a, uint32_t *nbins, uint64_t *truncated)
{
	*nbins = a->tl_bins;
	if (truncated)
		*truncated = a->tl_truncated;
	return a->timeline;
}

const struct vfp_event *
vfp_analyzer_events(const struct vfp_analyzer *a, size_t *n, uint64_t *dropped)
{
	*n = a->nevents;
	if (dropped)
		*dropped = a->events_dropped;
	return a->events;
}

uint64_t
vfp_analyzer_foreign_count(const struct vfp_analyzer *a, enum vfp_foreign reason)
{
	uint64_t sum = 0;

	if ((unsigned int)reason < VFP_FOREIGN_COUNT)
		return a->foreign[reason];
	for (unsigned int i = 0; i < VFP_FOREIGN_COUNT; i++)
		sum += a->foreign[i];
	return sum;
}

uint64_t
vfp_analyzer_t0(const struct vfp_analyzer *a, uint64_t *last_us)
{
	if (last_us)
		*last_us = a->last_us;
	return a->t0_us;
}

bool
vfp_analyzer_finished(const struct vfp_analyzer *a)
{
	return a->finished;
}
