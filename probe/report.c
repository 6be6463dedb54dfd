/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * report.c — human and JSON reports of an analyzer (see vfp_report.h).
 *
 * Thread-safety: read-only on the analyzer; no global state.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "vfp_report.h"

/* Returns a JSON integer of v (saturated at INT64_MAX). */
static json_t *
jint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Returns v - t0 (0 when v is before t0). */
static uint64_t
rel(uint64_t v, uint64_t t0)
{
	return v > t0 ? v - t0 : 0;
}

const char *
vfp_gap_kind(unsigned int flags, char *buf, size_t len)
{
	static const struct {
		unsigned int flag;
		const char *name;
	} names[] = {{VFP_GAP_SEQ, "seq"},
		     {VFP_GAP_SILENCE, "silence"},
		     {VFP_GAP_TAIL, "tail"},
		     {VFP_GAP_MERGED, "merged"}};
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].flag))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "+" : "", names[i].name);

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* Returns a JSON object of stream counters 's' (times relative to t0). */
static json_t *
stats_json(const struct vfp_stream_stats *s, uint64_t t0)
{
	json_t *o = json_object();

	json_object_set_new(o, "received", jint(s->received));
	json_object_set_new(o, "unique", jint(s->received - s->duplicates - s->late));
	json_object_set_new(o, "lost", jint(s->lost));
	json_object_set_new(o, "duplicates", jint(s->duplicates));
	json_object_set_new(o, "reordered", jint(s->reordered));
	json_object_set_new(o, "late", jint(s->late));
	json_object_set_new(o, "resets", jint(s->resets));
	json_object_set_new(o, "gaps", jint(s->gaps));
	json_object_set_new(o, "first_us", jint(rel(s->first_us, t0)));
	json_object_set_new(o, "last_us", jint(rel(s->last_us, t0)));
	if (s->lat_count != 0) {
		json_t *l = json_object();

		json_object_set_new(l, "count", jint(s->lat_count));
		json_object_set_new(l, "min_ns", jint(s->lat_min_ns));
		json_object_set_new(l, "avg_ns", json_real(s->lat_avg_ns));
		json_object_set_new(l, "max_ns", jint(s->lat_max_ns));
		json_object_set_new(o, "latency", l);
	}
	return o;
}

/* Returns the "latency" object: summary and non-empty histogram buckets. */
static json_t *
latency_json(const struct vfp_analyzer *a)
{
	struct vfp_latency l;
	json_t *o = json_object(), *h = json_array();

	vfp_analyzer_latency(a, &l);
	json_object_set_new(o, "count", jint(l.count));
	json_object_set_new(o, "negative", jint(l.negative));
	json_object_set_new(o, "min_ns", jint(l.min_ns));
	json_object_set_new(o, "avg_ns", json_real(l.avg_ns));
	json_object_set_new(o, "p50_ns", jint(l.p50_ns));
	json_object_set_new(o, "p99_ns", jint(l.p99_ns));
	json_object_set_new(o, "p999_ns", jint(l.p999_ns));
	json_object_set_new(o, "max_ns", jint(l.max_ns));
	for (unsigned int i = 0; i < VFP_LAT_BUCKETS; i++) {
		uint64_t lo, hi, n = vfp_analyzer_lat_bucket(a, i, &lo, &hi);

		if (n != 0)
			json_array_append_new(h, json_pack("{s:o,s:o,s:o}", "lo_ns", jint(lo),
							   "hi_ns", jint(hi), "count", jint(n)));
	}
	json_object_set_new(o, "histogram", h);
	return o;
}

/* Returns the "timeline" object: bin size, ports, one array of counts per port. */
static json_t *
timeline_json(const struct vfp_analyzer *a)
{
	const struct vfp_analyzer_conf *c = vfp_analyzer_get_conf(a);
	uint32_t nbins;
	uint64_t trunc;
	const uint32_t *tl = vfp_analyzer_timeline(a, &nbins, &trunc);
	json_t *o = json_object(), *ports = json_array(), *rx = json_array();

	for (uint32_t p = 0; p < c->nports; p++) {
		json_t *arr = json_array();

		for (uint32_t b = 0; b < nbins; b++)
			json_array_append_new(arr, json_integer(tl[(size_t)b * c->nports + p]));
		json_array_append_new(ports, json_integer(p));
		json_array_append_new(rx, arr);
	}
	json_object_set_new(o, "bin_ms", json_integer(1));
	json_object_set_new(o, "bins", json_integer(nbins));
	json_object_set_new(o, "max_bins", json_integer(c->timeline_ms));
	json_object_set_new(o, "truncated", json_boolean(trunc != 0));
	json_object_set_new(o, "not_in_timeline", jint(trunc));
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "rx_pkts", rx);
	return o;
}

json_t *
vfp_report_json(const struct vfp_analyzer *a, const struct vfp_report_info *info)
{
	const struct vfp_analyzer_conf *c = vfp_analyzer_get_conf(a);
	struct vfp_stream_stats tot, s;
	uint64_t last, t0 = vfp_analyzer_t0(a, &last), dropped;
	size_t ngaps, nev;
	const struct vfp_gap *gaps = vfp_analyzer_gaps(a, &ngaps, &dropped);
	const struct vfp_event *ev;
	json_t *root = json_object(), *conf = json_object(), *streams = json_array();
	json_t *jg = json_array(), *je = json_array(), *fo = json_object();
	char kind[64];

	if (root == NULL)
		return NULL;
	json_object_set_new(root, "version", json_integer(1));
	if (info && info->mode)
		json_object_set_new(root, "mode", json_string(info->mode));
	if (info && info->source)
		json_object_set_new(root, "source", json_string(info->source));
	json_object_set_new(conf, "window", jint(c->window));
	json_object_set_new(conf, "gap_us", jint(c->gap_us));
	json_object_set_new(conf, "nstreams", jint(c->nstreams));
	json_object_set_new(conf, "nports", jint(c->nports));
	json_object_set_new(conf, "tsc_hz", jint(c->tsc_hz));
	json_object_set_new(conf, "expect_seq0", json_boolean(c->expect_seq0));
	json_object_set_new(root, "config", conf);
	json_object_set_new(root, "finished", json_boolean(vfp_analyzer_finished(a)));
	json_object_set_new(root, "t0_us", jint(t0));
	json_object_set_new(root, "duration_us", jint(rel(last, t0)));

	vfp_analyzer_totals(a, &tot);
	json_object_set_new(root, "totals", stats_json(&tot, t0));
	for (uint32_t i = 0; i < c->nstreams; i++) {
		json_t *o;

		if (vfp_analyzer_stream_stats(a, i, &s) != 0 || !s.active)
			continue;
		o = stats_json(&s, t0);
		json_object_set_new(o, "stream", json_integer(i));
		json_object_set_new(o, "first_seq", jint(s.first_seq));
		json_object_set_new(o, "next_seq", jint(s.next_seq));
		json_object_set_new(o, "last_port", json_integer(s.last_port));
		json_array_append_new(streams, o);
	}
	json_object_set_new(root, "streams", streams);

	for (size_t i = 0; i < ngaps; i++) {
		const struct vfp_gap *g = &gaps[i];
		json_t *o = json_object();

		json_object_set_new(o, "stream", json_integer(g->stream));
		json_object_set_new(o, "port", json_integer(g->port));
		json_object_set_new(o, "kind",
				    json_string(vfp_gap_kind(g->flags, kind, sizeof(kind))));
		json_object_set_new(o, "first_seq", jint(g->first_seq));
		json_object_set_new(o, "last_seq", jint(g->last_seq));
		json_object_set_new(o, "missing", jint(g->missing));
		json_object_set_new(o, "start_us", jint(rel(g->start_us, t0)));
		json_object_set_new(o, "end_us", jint(rel(g->end_us, t0)));
		json_object_set_new(o, "duration_us", jint(rel(g->end_us, g->start_us)));
		json_array_append_new(jg, o);
	}
	json_object_set_new(root, "gaps", jg);
	json_object_set_new(root, "gaps_truncated", json_boolean(dropped != 0));
	json_object_set_new(root, "gaps_dropped", jint(dropped));
	json_object_set_new(root, "gaps_merged", jint(vfp_analyzer_gaps_merged(a)));

	json_object_set_new(root, "latency", latency_json(a));
	json_object_set_new(root, "timeline", timeline_json(a));

	ev = vfp_analyzer_events(a, &nev, &dropped);
	for (size_t i = 0; i < nev; i++)
		json_array_append_new(je, json_pack("{s:o,s:s}", "t_us", jint(rel(ev[i].t_us, t0)),
						    "text", ev[i].text));
	json_object_set_new(root, "events", je);
	json_object_set_new(root, "events_dropped", jint(dropped));

	json_object_set_new(fo, "total", jint(vfp_analyzer_foreign_count(a, VFP_FOREIGN_COUNT)));
	for (unsigned int r = 0; r < VFP_FOREIGN_COUNT; r++)
		json_object_set_new(fo, vfp_foreign_name((enum vfp_foreign)r),
				    jint(vfp_analyzer_foreign_count(a, (enum vfp_foreign)r)));
	json_object_set_new(root, "foreign", fo);
	return root;
}

int
vfp_report_dump(json_t *j, const char *path, char *err, size_t errlen)
{
	int rc;

	if (j == NULL) {
		snprintf(err, errlen, "JSON report: out of memory");
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		rc = json_dumpf(j, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		errno = 0;
		rc = json_dump_file(j, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	}
	json_decref(j);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write JSON report '%s': %s", path,
			 errno ? strerror(errno) : "write error");
		return -1;
	}
	return 0;
}

int
vfp_report_write_json(const struct vfp_analyzer *a, const struct vfp_report_info *info,
		      const char *path, char *err, size_t errlen)
{
	return vfp_report_dump(vfp_report_json(a, info), path, err, errlen);
}

/* Prints one line of counters 's' named 'name' to f. */
static void
text_stats(FILE *f, const char *name, const struct vfp_stream_stats *s)
{
	fprintf(f,
		"%-8s received %" PRIu64 " lost %" PRIu64 " dup %" PRIu64 " reordered %" PRIu64
		" late %" PRIu64 " resets %" PRIu64 " gaps %" PRIu64 "\n",
		name, s->received, s->lost, s->duplicates, s->reordered, s->late, s->resets,
		s->gaps);
}

void
vfp_report_text(const struct vfp_analyzer *a, FILE *f, size_t max_gaps)
{
	const struct vfp_analyzer_conf *c = vfp_analyzer_get_conf(a);
	struct vfp_stream_stats tot, s;
	struct vfp_latency l;
	uint64_t last, t0 = vfp_analyzer_t0(a, &last), dropped;
	size_t ngaps, nev;
	const struct vfp_gap *gaps = vfp_analyzer_gaps(a, &ngaps, &dropped);
	const struct vfp_event *ev = vfp_analyzer_events(a, &nev, NULL);
	char kind[64], name[24];

	vfp_analyzer_totals(a, &tot);
	fprintf(f, "vfprobe: %.6f s analyzed, window %u, silence threshold %" PRIu64 " us\n",
		(double)rel(last, t0) / 1e6, c->window, c->gap_us);
	text_stats(f, "total", &tot);
	for (uint32_t i = 0; i < c->nstreams; i++) {
		if (vfp_analyzer_stream_stats(a, i, &s) != 0 || !s.active)
			continue;
		snprintf(name, sizeof(name), "stream%u", i);
		text_stats(f, name, &s);
	}
	fprintf(f, "gaps: %zu recorded%s\n", ngaps,
		dropped ? " (list full: more not recorded)" : "");
	for (size_t i = 0; i < ngaps && (max_gaps == 0 || i < max_gaps); i++) {
		const struct vfp_gap *g = &gaps[i];

		fprintf(f,
			"  stream %u %-12s %10.3f ms .. %10.3f ms (%" PRIu64 " us) missing %" PRIu64
			" seq %" PRIu64 "..%" PRIu64 " ended on port %u\n",
			g->stream, vfp_gap_kind(g->flags, kind, sizeof(kind)),
			(double)rel(g->start_us, t0) / 1e3, (double)rel(g->end_us, t0) / 1e3,
			rel(g->end_us, g->start_us), g->missing, g->first_seq, g->last_seq,
			g->port);
	}
	if (max_gaps != 0 && ngaps > max_gaps)
		fprintf(f, "  ... %zu more in the JSON report\n", ngaps - max_gaps);
	vfp_analyzer_latency(a, &l);
	if (l.count != 0)
		fprintf(f,
			"latency ns: min %" PRIu64 " avg %.0f p50 %" PRIu64 " p99 %" PRIu64
			" p99.9 %" PRIu64 " max %" PRIu64 " (%" PRIu64 " packets)\n",
			l.min_ns, l.avg_ns, l.p50_ns, l.p99_ns, l.p999_ns, l.max_ns, l.count);
	fprintf(f, "foreign: %" PRIu64, vfp_analyzer_foreign_count(a, VFP_FOREIGN_COUNT));
	for (unsigned int r = 0; r < VFP_FOREIGN_COUNT; r++)
		fprintf(f, " %s %" PRIu64, vfp_foreign_name((enum vfp_foreign)r),
			vfp_analyzer_foreign_count(a, (enum vfp_foreign)r));
	fputc('\n', f);
	for (size_t i = 0; i < nev; i++)
		fprintf(f, "event %10.3f ms %s\n", (double)rel(ev[i].t_us, t0) / 1e3, ev[i].text);
}
