/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pcap.c — libFuzzer harness of vfprobe's offline mode (probe/offline.c
 * over libpcap, the analyzer, the gap pcap and both reports): the input
 * after its first byte is a pcap file; the first byte picks the analyzer's
 * settings (small windows and pools, so that inputs reach their limits) and
 * whether a gap pcap is written.
 *
 * Checks: frames read >= probe packets and truncated frames; after finish,
 * for every stream that saw no sender restart, the analyzer's invariant
 *   received - duplicates - late == (head - first_seq) - lost
 * and, when no gap was dropped or merged, the gaps' missing numbers sum to
 * the lost ones; the JSON report is built and the text report written.
 */
#include "fuzz.h"
#include "vfp_analyzer.h"
#include "vfp_gapcap.h"
#include "vfp_offline.h"
#include "vfp_report.h"

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(devnull != NULL);
	return 0;
}

/* Checks the finished analyzer 'a' against its documented invariants. */
static void
check_analyzer(const struct vfp_analyzer *a)
{
	const struct vfp_analyzer_conf *conf = vfp_analyzer_get_conf(a);
	uint64_t missing = 0, dropped;
	const struct vfp_gap *g;
	size_t n, i;
	uint32_t s;

	g = vfp_analyzer_gaps(a, &n, &dropped);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(g[i].stream < conf->nstreams);
		FUZZ_CHECK(i == 0 || g[i - 1].start_us <= g[i].start_us);
		missing += g[i].missing;
	}
	for (s = 0; s < conf->nstreams; s++) {
		struct vfp_stream_stats st;

		FUZZ_CHECK(vfp_analyzer_stream_stats(a, s, &st) == 0);
		if (!st.active || st.resets != 0)
			continue;
		FUZZ_CHECK(st.received >= st.duplicates + st.late);
		FUZZ_CHECK(st.next_seq >= st.first_seq);
		FUZZ_CHECK(st.received - st.duplicates - st.late ==
			   (st.next_seq - st.first_seq) - st.lost);
	}
	if (dropped == 0 && vfp_analyzer_gaps_merged(a) == 0) {
		struct vfp_stream_stats tot;

		vfp_analyzer_totals(a, &tot);
		if (tot.resets == 0)
			FUZZ_CHECK(missing == tot.lost);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfp_report_info info = {.mode = "offline", .source = "fuzz"};
	struct vfp_analyzer_conf conf = {0};
	struct vfp_offline_result res;
	static struct fuzz_file file, gfile;
	struct vfp_gapcap *gc = NULL;
	struct vfp_analyzer *a;
	const char *path;
	char err[512];
	uint8_t set;
	json_t *j;

	if (size == 0)
		return 0;
	set = data[0];
	conf.window = 64u << (set & 3);
	conf.nstreams = 1 + ((set >> 2) & 3);
	conf.expect_seq0 = (set >> 4) & 1;
	conf.gap_us = 1 + ((set >> 5) & 3) * 1000u;
	conf.timeline_ms = 1000;
	conf.max_gaps = 16;
	conf.max_pending = 16;
	conf.max_events = 4;
	a = vfp_analyzer_create(&conf, err, sizeof(err));
	FUZZ_CHECK(a != NULL);
	path = fuzz_file_fill(&file, data + 1, size - 1);
	if (set & 0x80) {
		gc = vfp_gapcap_open(fuzz_file_fill(&gfile, NULL, 0), 2, 128, err, sizeof(err));
		FUZZ_CHECK(gc != NULL);
	}
	if (vfp_offline_run(path, a, gc, &res, err, sizeof(err)) == 0) {
		FUZZ_CHECK(res.probes <= res.frames && res.snapped <= res.frames);
		FUZZ_CHECK(res.frames == 0 || res.first_us <= res.last_us);
		vfp_analyzer_finish(a, res.last_us, NULL);
		check_analyzer(a);
		j = vfp_report_json(a, &info);
		FUZZ_CHECK(j != NULL);
		free(json_dumps(j, JSON_COMPACT));
		json_decref(j);
		vfp_report_text(a, devnull, 4);
	} else {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	}
	if (gc != NULL)
		vfp_gapcap_close(gc, NULL, NULL, err, sizeof(err));
	vfp_analyzer_destroy(a);
	return 0;
}
