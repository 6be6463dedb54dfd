/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_ndr.c — RFC 2544-style throughput search (see vfp_ndr.h).
 *
 * Each trial sends on its own stream id (--stream + trial number), so that
 * stragglers of an earlier trial never count in a later one, and gets its
 * own analyzer; the best passing trial's analyzer and counters are kept
 * for the report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vfp_ndr.h"
#include "vfp_report.h"
#include "vfp_run_report.h"

/* What is kept of a trial for the report. */
struct kept {
	struct vfp_analyzer *an; /* its analyzer (owned) */
	struct vfp_tx_stats tx;	 /* its TX counters */
	struct vfp_rx_stats rx;	 /* its RX counters */
	struct vfp_trial trial;	 /* its parameters */
	uint64_t tx_done_tsc;	 /* its end of sending */
};

/* Search state. */
struct ndr {
	struct vfp_live *l; /* shared state */
	json_t *trials;	    /* "trials" array */
	struct kept best;   /* best passing trial (an NULL: none yet) */
	struct kept last;   /* latest failing trial (an NULL: none) */
	unsigned int n;	    /* trials run */
};

/* Saves the run just finished into k (taking its analyzer), freeing what k held. */
static void
keep(struct kept *k, struct vfp_live *l)
{
	vfp_analyzer_destroy(k->an);
	*k = (struct kept){.an = l->an,
			   .tx = l->tx,
			   .rx = l->rx,
			   .trial = l->trial,
			   .tx_done_tsc = l->tx_done_tsc};
	l->an = NULL;
}

/* Puts kept trial k back into l for reporting (l->an takes the analyzer). */
static void
restore(struct vfp_live *l, struct kept *k)
{
	vfp_analyzer_destroy(l->an);
	l->an = k->an;
	l->tx = k->tx;
	l->rx = k->rx;
	l->trial = k->trial;
	l->tx_done_tsc = k->tx_done_tsc;
	k->an = NULL;
}

/* Runs one trial at pps (0: max).  Returns 1 passed, 0 failed (loss above
 * --loss-pct, or a generator that sent below pps by more than
 * --ndr-res-pct), -1 error; *achieved: the rate sent. */
static int
trial(struct ndr *s, double pps, double *achieved)
{
	struct vfp_live *l = s->l;
	const struct vfp_opts *o = l->o;
	struct vfp_analyzer_conf c = {.window = o->window,
				      .gap_us = o->gap_us,
				      .nports = o->nports,
				      .tsc_hz = l->tsc_hz,
				      .expect_seq0 = true,
				      .timeline_ms = o->timeline_ms};
	struct vfp_stream_stats st;
	uint16_t stream = (uint16_t)((o->stream + s->n) % VFP_MAX_STREAMS);
	char err[256];
	bool pass, short_tx;

	l->an = vfp_analyzer_create(&c, err, sizeof(err));
	if (l->an == NULL) {
		fprintf(stderr, "vfprobe: analyzer: %s\n", err);
		return -1;
	}
	vfp_ports_templates(l, stream);
	l->trial = (struct vfp_trial){.pps = pps, .duration_s = o->trial_s, .stream = stream};
	vfp_run_trial(l);
	vfp_analyzer_stream_stats(l->an, stream, &st);
	*achieved = vfp_live_tx_pps(l);
	/* A trial the generator could not send at its rate (a busy machine
	 * stretches it) offered less than it claims: it cannot pass. */
	short_tx = pps > 0 && *achieved < pps * (1.0 - o->ndr_res_pct / 100.0);
	pass = !short_tx && vfp_ndr_pass(l->tx.sent, st.lost, o->loss_pct);
	printf("ndr trial %u: rate %s%.0f pps, sent %" PRIu64 " (%.0f pps), lost %" PRIu64
	       " (%.6f%%): %s%s\n",
	       s->n + 1, pps > 0 ? "" : "max ", pps, l->tx.sent, *achieved, st.lost,
	       l->tx.sent ? 100.0 * (double)st.lost / (double)l->tx.sent : 0.0,
	       pass ? "pass" : "fail", short_tx ? " (the generator fell short of the rate)" : "");
	fflush(stdout);
	json_array_append_new(s->trials,
			      json_pack("{s:f,s:I,s:f,s:I,s:I,s:b,s:b}", "rate_pps", pps, "sent",
					(json_int_t)l->tx.sent, "achieved_pps", *achieved, "lost",
					(json_int_t)st.lost, "received", (json_int_t)st.received,
					"short", short_tx, "pass", pass));
	s->n++;
	keep(pass ? &s->best : &s->last, l);
	return pass;
}

int
vfp_ndr_run(struct vfp_live *l)
{
	const struct vfp_opts *o = l->o;
	struct ndr s = {.l = l, .trials = json_array()};
	double hi = vfp_rate_pps(&o->rate, o->size), lo = 0, got, res, ndr_pps = 0;
	json_t *j, *nj;
	char err[512];
	int r, rc = 0;

	r = trial(&s, hi, &got);
	if (hi == 0)
		hi = got; /* the rate the generator reaches */
	if (r == 1)
		ndr_pps = lo = hi;
	res = hi * o->ndr_res_pct / 100.0;
	while (r == 0 && s.n < o->ndr_trials && hi - lo > res &&
	       !__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		double mid = (lo + hi) / 2;

		r = trial(&s, mid, &got);
		if (r < 0)
			break;
		if (r == 1) {
			lo = mid;
			ndr_pps = mid;
		} else {
			hi = mid;
		}
		r = 0;
	}
	printf("ndr: %.0f pps (%.3f%% of 10GbE at %u B) with loss <= %g%%, %u trials of %g s\n",
	       ndr_pps, 100.0 * ndr_pps / vfp_line_pps(o->size), o->size, o->loss_pct, s.n,
	       o->trial_s);
	restore(l, s.best.an != NULL ? &s.best : &s.last);
	vfp_analyzer_destroy(s.last.an);
	if (l->an != NULL)
		vfp_live_summary(l, stdout);
	nj = json_pack("{s:f,s:f,s:f,s:f,s:i,s:o}", "rate_pps", ndr_pps, "line_rate_pct",
		       100.0 * ndr_pps / vfp_line_pps(o->size), "loss_pct_allowed", o->loss_pct,
		       "trial_s", o->trial_s, "size", (int)o->size, "trials", s.trials);
	if (o->json != NULL && l->an != NULL) {
		j = vfp_live_json(l);
		if (j != NULL)
			json_object_set_new(j, "ndr", nj);
		else
			json_decref(nj);
		if (vfp_report_dump(j, o->json, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfprobe: %s\n", err);
			rc = 1;
		}
	} else {
		json_decref(nj);
	}
	return rc;
}
