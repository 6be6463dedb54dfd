/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfprobe_main.c — vfprobe: sequence-numbered traffic generator and
 * loss/gap/latency analyzer on DPDK ports.
 *
 *   vfprobe [EAL options] -- --port DEVARGS [--port DEVARGS ...] [options]
 *
 * Parses the options (before EAL, so bad options exit 2 without touching
 * hugepages), starts EAL and the ports, runs one trial (or the NDR search),
 * prints the summary and writes the reports.  Exit status: 0 run completed,
 * 2 bad options, 1 start-up failure (or a report that could not be written).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vfo_unmap_guard.h"
#include "vfp_live.h"
#include "vfp_ndr.h"
#include "vfp_report.h"
#include "vfp_run_report.h"

#define EXIT_USAGE 2

/* The one instance (the signal handlers reach it). */
static struct vfp_live live;
static struct vfp_opts opts;

/* SIGINT/SIGTERM: stop the run (the report is still written). */
static void
on_stop(int sig)
{
	(void)sig;
	__atomic_store_n(&live.stopped, true, __ATOMIC_RELAXED);
	__atomic_store_n(&live.stop, true, __ATOMIC_RELAXED);
}

/* SIGUSR1: send on the next --tx port. */
static void
on_usr1(int sig)
{
	uint16_t cur = __atomic_load_n(&live.tx_req, __ATOMIC_RELAXED);

	(void)sig;
	if (opts.ntx > 1)
		vfp_live_request_switch(&live, (uint16_t)((cur + 1) % opts.ntx));
}

/*
 * Gives the lcores an RCU variable and arms the unmap guard with it, so that
 * a memif peer going away cannot unmap a ring under a polling lcore (see
 * vfo_unmap_guard.h).  Returns 0, or -1 with a message in err.
 */
static int
guard_start(struct vfp_live *l, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(rte_lcore_count());

	l->qsbr = rte_zmalloc("vfp_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (l->qsbr == NULL || rte_rcu_qsbr_init(l->qsbr, rte_lcore_count()) != 0) {
		snprintf(err, errlen, "cannot allocate the lcores' RCU variable: %s",
			 rte_strerror(rte_errno));
		rte_free(l->qsbr);
		l->qsbr = NULL;
		return -1;
	}
	vfo_unmap_guard_arm(l->qsbr, VFO_UNMAP_GUARD_TIMEOUT_US);
	return 0;
}

/* Disarms the unmap guard and frees the lcores' RCU variable. */
static void
guard_stop(struct vfp_live *l)
{
	vfo_unmap_guard_arm(NULL, 0);
	rte_free(l->qsbr);
	l->qsbr = NULL;
}

/* Returns the index of the "--" ending the EAL options, or 0 if none. */
static int
find_separator(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return 0;
}

/* How long the TSC is measured against the system clock at start (ms):
 * the reads' jitter (< 1 µs) then weighs < 10 ppm. */
#define CLOCK_CAL_MS 100
/* Reads per clock/TSC pair; the tightest bracket is kept. */
#define CLOCK_PAIR_TRIES 8

/* Returns CLOCK_MONOTONIC (ns) and sets *tsc to the TSC in the middle of
 * that read, from the tightest of CLOCK_PAIR_TRIES rdtsc brackets. */
static uint64_t
clock_pair(clockid_t id, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX, ns = 0;

	for (int i = 0; i < CLOCK_PAIR_TRIES; i++) {
		struct timespec ts;
		uint64_t t0 = rte_rdtsc_precise(), t1;

		clock_gettime(id, &ts);
		t1 = rte_rdtsc_precise();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	}
	return ns;
}

/*
 * Sets the clocks of 'l': the TSC frequency, measured against
 * CLOCK_MONOTONIC over CLOCK_CAL_MS (EAL's rte_get_tsc_hz() is rounded to
 * 10 MHz where the CPU does not state it: 0.2 % off, 15 ms after 8 s, on an
 * AMD host), and the TSC/wall-clock pair the reports' CLOCK_REALTIME times
 * count from.
 */
static void
init_clock(struct vfp_live *l)
{
	uint64_t tsc0, tsc1, ns0, ns1;

	ns0 = clock_pair(CLOCK_MONOTONIC, &tsc0);
	rte_delay_us_sleep(CLOCK_CAL_MS * 1000u);
	ns1 = clock_pair(CLOCK_MONOTONIC, &tsc1);
	l->tsc_hz = ns1 > ns0 && tsc1 > tsc0
			    ? (uint64_t)((double)(tsc1 - tsc0) * 1e9 / (double)(ns1 - ns0) + 0.5)
			    : rte_get_tsc_hz();
	l->wall0_us = clock_pair(CLOCK_REALTIME, &l->tsc0) / 1000u;
	l->us_mult = (uint64_t)(((unsigned __int128)1000000u << 32) / l->tsc_hz);
}

/* Opens the --pcap-gaps and --pcap writers.  Returns 0 or -1 with err. */
static int
open_pcaps(struct vfp_live *l, char *err, size_t errlen)
{
	if (l->o->pcap_gaps != NULL) {
		l->gapcap = vfp_gapcap_open(l->o->pcap_gaps, l->o->gap_frames, 256, err, errlen);
		if (l->gapcap == NULL)
			return -1;
	}
	if (l->o->pcap != NULL) {
		l->allcap = vfp_gapcap_open(l->o->pcap, 0, 128, err, errlen);
		if (l->allcap == NULL)
			return -1;
	}
	return 0;
}

/* Closes the pcap writers, printing what they wrote.  Returns 0 or -1. */
static int
close_pcaps(struct vfp_live *l)
{
	uint64_t frames, gaps;
	char err[256];
	int rc = 0;

	if (l->gapcap != NULL) {
		if (vfp_gapcap_close(l->gapcap, &frames, &gaps, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfprobe: %s\n", err);
			rc = -1;
		} else {
			printf("gap pcap %s: %" PRIu64 " frames around %" PRIu64 " gaps\n",
			       l->o->pcap_gaps, frames, gaps);
		}
	}
	if (l->allcap != NULL) {
		if (vfp_gapcap_close(l->allcap, &frames, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfprobe: %s\n", err);
			rc = -1;
		} else {
			printf("pcap %s: %" PRIu64 " frames\n", l->o->pcap, frames);
		}
	}
	l->gapcap = l->allcap = NULL;
	return rc;
}

/* Returns the analyzer configuration of a run of 'l' lasting about run_s. */
static struct vfp_analyzer_conf
analyzer_conf(const struct vfp_live *l, double run_s)
{
	const struct vfp_opts *o = l->o;
	struct vfp_analyzer_conf c = {
		.window = o->window,
		.gap_us = o->gap_us,
		.nports = o->nports,
		.tsc_hz = l->tsc_hz,
		.expect_seq0 = true,
		.timeline_ms = o->timeline_ms,
	};
	double ms = run_s * 1000 + o->linger_ms + 1000;

	if (c.timeline_ms == 0)
		c.timeline_ms = ms > 60000 ? (ms < 86400000.0 ? (uint32_t)ms : 86400000u) : 60000;
	return c;
}

/* Runs the single trial the options describe and writes its reports.
 * Returns the exit status. */
static int
run_once(struct vfp_live *l)
{
	const struct vfp_opts *o = l->o;
	struct vfp_analyzer_conf c = analyzer_conf(l, o->duration_s);
	char err[512];
	int rc = 0;

	l->an = vfp_analyzer_create(&c, err, sizeof(err));
	if (l->an == NULL) {
		fprintf(stderr, "vfprobe: analyzer: %s\n", err);
		return 1;
	}
	if (open_pcaps(l, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfprobe: %s\n", err);
		close_pcaps(l);
		return 1;
	}
	l->trial = (struct vfp_trial){.pps = vfp_rate_pps(&o->rate, o->size),
				      .count = o->count,
				      .duration_s = o->duration_s,
				      .stream = o->stream};
	vfp_run_trial(l);
	/* The summary goes to stderr when the JSON report goes to stdout. */
	vfp_live_summary(l, o->json && strcmp(o->json, "-") == 0 ? stderr : stdout);
	if (close_pcaps(l) != 0)
		rc = 1;
	if (o->json != NULL && vfp_report_dump(vfp_live_json(l), o->json, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfprobe: %s\n", err);
		rc = 1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	int sep = find_separator(argc, argv), app_argc = sep ? argc - sep : argc;
	char **app_argv = sep ? argv + sep : argv;
	char err[512];
	int ret, rc;

	/* Application options first: argv[sep] ("--") plays the program name. */
	ret = vfp_opts_parse(app_argc, app_argv, &opts, err, sizeof(err));
	if (ret == 1)
		return 0;
	if (ret != 0) {
		fprintf(stderr, "vfprobe: %s\n", err);
		return EXIT_USAGE;
	}
	ret = rte_eal_init(sep ? sep : 1, argv);
	if (ret < 0) {
		fprintf(stderr,
			"vfprobe: EAL initialisation failed: %s; check the EAL options "
			"and hugepages (scripts/setup)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	live.o = &opts;
	pthread_mutex_init(&live.run_lock, NULL);
	init_clock(&live);
	if (guard_start(&live, err, sizeof(err)) != 0 ||
	    vfp_ports_start(&live, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfprobe: %s\n", err);
		vfp_ports_stop(&live);
		guard_stop(&live);
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGUSR1, on_usr1);
	if (opts.ctl != NULL && vfp_ctl_start(&live, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfprobe: %s\n", err);
		vfp_ports_stop(&live);
		guard_stop(&live);
		rte_eal_cleanup();
		return 1;
	}
	printf("vfprobe: running on %u lcore(s)\n", rte_lcore_count());
	fflush(stdout);
	rc = opts.ndr ? vfp_ndr_run(&live) : run_once(&live);
	vfp_ctl_stop(&live);
	vfp_analyzer_destroy(live.an);
	vfp_ports_stop(&live);
	guard_stop(&live);
	rte_eal_cleanup();
	return rc;
}
