/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offline_main.c — vfprobe-offline: the probe's loss/gap/timeline report of
 * a pcap file (e.g. tcpdump on a tap or bridge).
 *
 *   vfprobe-offline FILE [--json OUT] [--gap-us N] [--window N]
 *                   [--timeline-ms N] [--streams N] [--expect-seq0]
 *                   [--gap-pcap OUT [--gap-frames K]] [--max-gaps-print N]
 *
 * Exit status: 0 report printed, 1 the file could not be read or the report
 * not written, 2 bad options.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfo_num.h"
#include "vfp_analyzer.h"
#include "vfp_gapcap.h"
#include "vfp_offline.h"
#include "vfp_report.h"

/* Prints the usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vfprobe-offline FILE [options]\n"
		"  Analyzes the vfprobe packets of pcap FILE (Ethernet): loss, duplicates,\n"
		"  reorder, late packets, gaps, per-millisecond timeline.\n"
		"  --json OUT           write the JSON report to OUT ('-': stdout)\n"
		"  --gap-us N           silence threshold, us (default %u)\n"
		"  --window N           reorder window, a power of two 64..16777216 (default %u)\n"
		"  --timeline-ms N      timeline length, ms (default 60000)\n"
		"  --streams N          streams tracked, 1..%u (default %u)\n"
		"  --expect-seq0        streams start at 0: numbers before the first seen are "
		"lost\n"
		"  --gap-pcap OUT       write the frames around each gap to pcap OUT\n"
		"  --gap-frames K       frames before and after each gap (default 16)\n"
		"  --max-gaps-print N   gaps listed in the summary (default 20, 0: all)\n"
		"  --help               this text\n",
		VFP_DEFAULT_GAP_US, VFP_DEFAULT_WINDOW, VFP_MAX_STREAMS, VFP_MAX_STREAMS);
}

/* Parses decimal s for option 'opt' into *out within [min, max].  Returns 0,
 * or -1 after printing an error naming the option. */
static int
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (vfo_parse_u64(s, min, max, out) == 0)
		return 0;
	fprintf(stderr,
		"vfprobe-offline: %s '%s': expected an integer in %" PRIu64 "..%" PRIu64 "\n", opt,
		s, min, max);
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", required_argument, NULL, 'j'},
		{"gap-us", required_argument, NULL, 'g'},
		{"window", required_argument, NULL, 'w'},
		{"timeline-ms", required_argument, NULL, 't'},
		{"streams", required_argument, NULL, 's'},
		{"expect-seq0", no_argument, NULL, '0'},
		{"gap-pcap", required_argument, NULL, 'p'},
		{"gap-frames", required_argument, NULL, 'k'},
		{"max-gaps-print", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vfp_analyzer_conf conf = {0};
	const char *json = NULL, *gap_pcap = NULL, *file;
	uint64_t v, gap_frames = 16, max_print = 20, gframes, ggaps;
	struct vfp_offline_result res;
	struct vfp_report_info info = {.mode = "offline"};
	struct vfp_gapcap *gc = NULL;
	struct vfp_analyzer *a;
	FILE *out;
	char err[512];
	int c, rc = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = optarg;
			break;
		case 'g':
			if (parse_u64("--gap-us", optarg, 1, UINT64_MAX - 1, &v) != 0)
				return 2;
			conf.gap_us = v;
			break;
		case 'w':
			if (parse_u64("--window", optarg, 64, 1u << 24, &v) != 0)
				return 2;
			if ((v & (v - 1)) != 0) {
				fprintf(stderr,
					"vfprobe-offline: --window '%s': must be a power of two\n",
					optarg);
				return 2;
			}
			conf.window = (uint32_t)v;
			break;
		case 't':
			if (parse_u64("--timeline-ms", optarg, 1, 24u * 3600 * 1000, &v) != 0)
				return 2;
			conf.timeline_ms = (uint32_t)v;
			break;
		case 's':
			if (parse_u64("--streams", optarg, 1, VFP_MAX_STREAMS, &v) != 0)
				return 2;
			conf.nstreams = (uint32_t)v;
			break;
		case '0':
			conf.expect_seq0 = true;
			break;
		case 'p':
			gap_pcap = optarg;
			break;
		case 'k':
			if (parse_u64("--gap-frames", optarg, 1, 65536, &gap_frames) != 0)
				return 2;
			break;
		case 'm':
			if (parse_u64("--max-gaps-print", optarg, 0, UINT32_MAX, &max_print) != 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"vfprobe-offline: option '%s' unknown or missing its value; see "
				"--help\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vfprobe-offline: %s; see --help\n",
			optind >= argc ? "missing the pcap FILE"
				       : "exactly one pcap FILE expected");
		return 2;
	}
	file = argv[optind];
	info.source = file;

	a = vfp_analyzer_create(&conf, err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "vfprobe-offline: %s\n", err);
		return 2;
	}
	if (gap_pcap != NULL) {
		gc = vfp_gapcap_open(gap_pcap, (unsigned int)gap_frames, 256, err, sizeof(err));
		if (gc == NULL) {
			fprintf(stderr, "vfprobe-offline: %s\n", err);
			vfp_analyzer_destroy(a);
			return 1;
		}
	}
	if (vfp_offline_run(file, a, gc, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfprobe-offline: %s\n", err);
		vfp_gapcap_close(gc, NULL, NULL, err, sizeof(err));
		vfp_analyzer_destroy(a);
		return 1;
	}
	vfp_analyzer_finish(a, res.last_us, NULL);
	/* The summary goes to stderr when the JSON report goes to stdout. */
	out = json != NULL && strcmp(json, "-") == 0 ? stderr : stdout;
	fprintf(out, "%s: %" PRIu64 " frames, %" PRIu64 " probe packets%s\n", file, res.frames,
		res.probes, res.snapped ? " (some frames truncated by the capture)" : "");
	vfp_report_text(a, out, (size_t)max_print);
	if (gc != NULL) {
		if (vfp_gapcap_close(gc, &gframes, &ggaps, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfprobe-offline: %s\n", err);
			rc = 1;
		} else {
			fprintf(out, "gap pcap %s: %" PRIu64 " frames around %" PRIu64 " gaps\n",
				gap_pcap, gframes, ggaps);
		}
	}
	if (json != NULL && vfp_report_write_json(a, &info, json, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfprobe-offline: %s\n", err);
		rc = 1;
	}
	vfp_analyzer_destroy(a);
	return rc;
}
