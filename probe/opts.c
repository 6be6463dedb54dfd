/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * opts.c — vfprobe's command line (see vfp_opts.h).
 *
 * Thread-safety: getopt's global state; one call from the main thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfp_opts.h"
#include "vfo_errf.h"
#include "vfo_num.h"

/* Ethernet preamble + start delimiter + inter-frame gap, bytes. */
#define WIRE_OVERHEAD 20

/* Long-only options' ids. */
enum {
	OPT_PORT = 256,
	OPT_TX,
	OPT_RX,
	OPT_SIZE,
	OPT_RATE,
	OPT_BURST,
	OPT_FLOWS,
	OPT_DURATION,
	OPT_COUNT,
	OPT_LINGER,
	OPT_SRC_MAC,
	OPT_DST_MAC,
	OPT_SRC_IP,
	OPT_DST_IP,
	OPT_STREAM,
	OPT_GAP_US,
	OPT_WINDOW,
	OPT_TIMELINE,
	OPT_JSON,
	OPT_PCAP_GAPS,
	OPT_GAP_FRAMES,
	OPT_PCAP,
	OPT_CTL,
	OPT_NDR,
	OPT_TRIAL_S,
	OPT_LOSS_PCT,
	OPT_NDR_RES,
	OPT_NDR_TRIALS,
	OPT_LINK_WAIT,
	OPT_MAX_GAPS_PRINT,
	OPT_IDLE_SLEEP,
	OPT_HELP,
};

/* Prints the usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vfprobe [EAL options] -- --port DEVARGS [--port DEVARGS ...] [options]\n"
		"  Sends sequence-numbered UDP/IPv4 probe packets and analyzes what comes back:\n"
		"  loss, duplicates, reorder, gaps, latency, per-port per-ms timeline.\n"
		"  --port DEVARGS     a port (net_memif0,role=server,socket=S / net_ring0 /\n"
		"                     net_tap0,iface=T / a PCI address); numbered 0,1,.. in order\n"
		"  --tx LIST|none     ports that may send (default 0); the first sends\n"
		"  --rx LIST|none     ports analyzed (default all)\n"
		"  --size B           frame size with FCS, 64..9000 (default 64)\n"
		"  --rate R           N pps, Nk, NM, P%% of 10GbE line rate, or max (default)\n"
		"  --burst N          TX burst, 1..%d (default 32)\n"
		"  --flows N          flows (UDP source ports from %d) (default 1)\n"
		"  --duration S       stop sending after S seconds\n"
		"  --count N          stop sending after N packets\n"
		"  --linger-ms N      keep receiving N ms after sending stops (default 100)\n"
		"  --src-mac M        source MAC (default: the sending port's)\n"
		"  --dst-mac M        destination MAC (default ff:ff:ff:ff:ff:ff)\n"
		"  --src-ip A         source IPv4 (default 198.18.0.1)\n"
		"  --dst-ip A         destination IPv4 (default 198.19.0.1)\n"
		"  --stream N         stream id of the packets, 0..%d (default 0)\n"
		"  --gap-us N         silence longer than N us is a gap (default %d)\n"
		"  --window N         reorder window, power of two 64..16777216 (default %d)\n"
		"  --timeline-ms N    timeline length (default: run length + 1 s, >= 60 s)\n"
		"  --json FILE        JSON report ('-': stdout)\n"
		"  --pcap-gaps FILE   pcap of the frames around each gap\n"
		"  --gap-frames K     frames before and after each gap (default 16)\n"
		"  --pcap FILE        pcap of every received frame (first 128 B)\n"
		"  --ctl PATH         control socket (JSON lines: switch, stats, stop)\n"
		"  --ndr              RFC 2544 binary search for the highest rate within loss\n"
		"  --trial-s S        NDR trial length (default 2)\n"
		"  --loss-pct P       NDR: loss allowed, percent (default 0)\n"
		"  --ndr-res-pct P    NDR: stop when the interval is below P%% of the start "
		"rate (default 1)\n"
		"  --ndr-max-trials N NDR: at most N trials (default 20)\n"
		"  --link-wait-ms N   wait up to N ms for links up before sending (default 5000)\n"
		"  --max-gaps-print N gaps listed in the summary (default 20, 0: all)\n"
		"  --idle-sleep-us N  one lcore: sleep N us when a loop turn neither received\n"
		"                     nor was due to send (0..10000, default 0: busy poll;\n"
		"                     for many low-rate probes on few CPUs)\n"
		"  --help             this text\n"
		"  SIGUSR1 moves sending to the next --tx port; SIGINT/SIGTERM stop the run.\n"
		"  Exit: 0 run completed (loss is reported, not an error), 2 bad options,\n"
		"  1 start-up failure.\n",
		VFP_MAX_BURST, VFP_FLOW_PORT_BASE, VFP_MAX_STREAMS - 1, VFP_DEFAULT_GAP_US,
		VFP_DEFAULT_WINDOW);
}

/* Parses a finite decimal number 's' into *out within [min, max].  Returns 0 or -1. */
static int
parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
vfp_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (s[i * 3] == ' ' || s[i * 3] == '+' || s[i * 3] == '-')
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int
vfp_rate_parse(const char *s, struct vfp_rate *r)
{
	char buf[64];
	size_t n = strlen(s);
	double mult = 1, v;

	if (strcmp(s, "max") == 0) {
		*r = (struct vfp_rate){.kind = VFP_RATE_MAX};
		return 0;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%') {
		buf[n - 1] = '\0';
		if (parse_double(buf, 0, 100, &v) != 0 || v <= 0)
			return -1;
		*r = (struct vfp_rate){.kind = VFP_RATE_PCT, .value = v};
		return 0;
	}
	if (buf[n - 1] == 'k' || buf[n - 1] == 'K')
		mult = 1e3;
	else if (buf[n - 1] == 'M' || buf[n - 1] == 'm')
		mult = 1e6;
	if (mult != 1)
		buf[n - 1] = '\0';
	if (parse_double(buf, 0, 1e12, &v) != 0 || v * mult < 1)
		return -1;
	*r = (struct vfp_rate){.kind = VFP_RATE_PPS, .value = v * mult};
	return 0;
}

double
vfp_line_pps(unsigned int size)
{
	return VFP_LINE_BPS / ((double)(size + WIRE_OVERHEAD) * 8.0);
}

double
vfp_rate_pps(const struct vfp_rate *r, unsigned int size)
{
	switch (r->kind) {
	case VFP_RATE_PPS:
		return r->value;
	case VFP_RATE_PCT:
		return vfp_line_pps(size) * r->value / 100.0;
	default:
		return 0;
	}
}

/* Parses the port list 's' ("none" or "0,1,...", each < nports, no
 * repeats) into list/n.  Returns 0, or -1 with err naming 'opt'. */
static int
parse_list(const char *opt, const char *s, unsigned int nports, uint16_t *list, unsigned int *n,
	   char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok;
	uint64_t v;

	*n = 0;
	if (strcmp(s, "none") == 0)
		return 0;
	if (strlen(s) >= sizeof(buf) || s[0] == '\0')
		return vfo_errf(err, errlen,
				"%s '%s': expected a comma list of port numbers or none", opt, s);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (vfo_parse_u64(tok, 0, VFP_OPTS_MAX_PORTS - 1, &v) != 0)
			return vfo_errf(
				err, errlen,
				"%s '%s': '%s' is not a port number; ports are numbered 0,1,.. "
				"in --port order",
				opt, s, tok);
		if (v >= nports)
			return vfo_errf(err, errlen,
					"%s '%s': port %s does not exist: only %u --port given",
					opt, s, tok, nports);
		for (unsigned int i = 0; i < *n; i++)
			if (list[i] == v)
				return vfo_errf(err, errlen, "%s '%s': port %s given twice", opt, s,
						tok);
		list[(*n)++] = (uint16_t)v;
	}
	if (*n == 0)
		return vfo_errf(err, errlen, "%s '%s': no port number in it", opt, s);
	return 0;
}

/* Fills 'o' with the defaults. */
static void
set_defaults(struct vfp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->rate.kind = VFP_RATE_MAX;
	o->burst = 32;
	o->flows = 1;
	o->linger_ms = 100;
	memset(o->dst_mac, 0xff, sizeof(o->dst_mac));
	o->src_ip = 0xc6120001; /* 198.18.0.1: RFC 2544 benchmark range */
	o->dst_ip = 0xc6130001; /* 198.19.0.1 */
	o->gap_us = VFP_DEFAULT_GAP_US;
	o->gap_frames = 16;
	o->trial_s = 2;
	o->ndr_res_pct = 1;
	o->ndr_trials = 20;
	o->link_wait_ms = 5000;
	o->max_gaps_print = 20;
}

/* Parses IPv4 's' for 'opt' into *ip (host order).  Returns 0 or -1 with err. */
static int
parse_ip(const char *opt, const char *s, uint32_t *ip, char *err, size_t errlen)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return vfo_errf(err, errlen, "%s '%s': expected an IPv4 address like 198.18.0.1",
				opt, s);
	*ip = ntohl(a.s_addr);
	return 0;
}

/* Handles one option 'c' with argument 'arg' (lists are parsed later, once
 * every --port is known; tx_s/rx_s keep them).  Returns 0 or -1 with err. */
static int
one_opt(int c, const char *arg, struct vfp_opts *o, const char **tx_s, const char **rx_s, char *err,
	size_t errlen)
{
	uint64_t v;
	double d;

	switch (c) {
	case OPT_PORT:
		if (o->nports == VFP_OPTS_MAX_PORTS)
			return vfo_errf(err, errlen, "--port '%s': at most %d ports", arg,
					VFP_OPTS_MAX_PORTS);
		if (arg[0] == '\0' || strlen(arg) >= VFP_DEVARGS_MAX)
			return vfo_errf(err, errlen,
					"--port: devargs must be 1..%d characters (e.g. net_ring0)",
					VFP_DEVARGS_MAX - 1);
		snprintf(o->ports[o->nports++], VFP_DEVARGS_MAX, "%s", arg);
		return 0;
	case OPT_TX:
		*tx_s = arg;
		return 0;
	case OPT_RX:
		*rx_s = arg;
		return 0;
	case OPT_SIZE:
		if (vfo_parse_u64(arg, 64, 9000, &v) != 0)
			return vfo_errf(
				err, errlen,
				"--size '%s': frame size must be an integer in 64..9000 (bytes "
				"with FCS)",
				arg);
		o->size = (unsigned int)v;
		return 0;
	case OPT_RATE:
		if (vfp_rate_parse(arg, &o->rate) != 0)
			return vfo_errf(
				err, errlen,
				"--rate '%s': expected N pps, Nk, NM, P%% (0 < P <= 100 of 10GbE "
				"line rate) or max",
				arg);
		return 0;
	case OPT_BURST:
		if (vfo_parse_u64(arg, 1, VFP_MAX_BURST, &v) != 0)
			return vfo_errf(err, errlen, "--burst '%s': expected an integer in 1..%d",
					arg, VFP_MAX_BURST);
		o->burst = (unsigned int)v;
		return 0;
	case OPT_FLOWS:
		if (vfo_parse_u64(arg, 1, 65536 - VFP_FLOW_PORT_BASE, &v) != 0)
			return vfo_errf(err, errlen, "--flows '%s': expected an integer in 1..%d",
					arg, 65536 - VFP_FLOW_PORT_BASE);
		o->flows = (unsigned int)v;
		return 0;
	case OPT_DURATION:
		if (parse_double(arg, 0, 86400, &d) != 0 || d <= 0)
			return vfo_errf(err, errlen,
					"--duration '%s': expected seconds, above 0, at most 86400",
					arg);
		o->duration_s = d;
		return 0;
	case OPT_COUNT:
		if (vfo_parse_u64(arg, 1, UINT64_MAX / 2, &o->count) != 0)
			return vfo_errf(err, errlen, "--count '%s': expected a packet count >= 1",
					arg);
		return 0;
	case OPT_LINGER:
		if (vfo_parse_u64(arg, 0, 3600000, &v) != 0)
			return vfo_errf(err, errlen, "--linger-ms '%s': expected ms in 0..3600000",
					arg);
		o->linger_ms = (unsigned int)v;
		return 0;
	case OPT_SRC_MAC:
	case OPT_DST_MAC:
		if (vfp_mac_parse(arg, c == OPT_SRC_MAC ? o->src_mac : o->dst_mac) != 0)
			return vfo_errf(err, errlen,
					"%s '%s': expected a MAC like 02:00:00:00:00:01",
					c == OPT_SRC_MAC ? "--src-mac" : "--dst-mac", arg);
		if (c == OPT_SRC_MAC)
			o->src_mac_given = true;
		return 0;
	case OPT_SRC_IP:
		return parse_ip("--src-ip", arg, &o->src_ip, err, errlen);
	case OPT_DST_IP:
		return parse_ip("--dst-ip", arg, &o->dst_ip, err, errlen);
	case OPT_STREAM:
		if (vfo_parse_u64(arg, 0, VFP_MAX_STREAMS - 1, &v) != 0)
			return vfo_errf(err, errlen, "--stream '%s': expected an integer in 0..%d",
					arg, VFP_MAX_STREAMS - 1);
		o->stream = (uint16_t)v;
		return 0;
	case OPT_GAP_US:
		if (vfo_parse_u64(arg, 1, UINT64_MAX - 1, &o->gap_us) != 0)
			return vfo_errf(err, errlen, "--gap-us '%s': expected microseconds >= 1",
					arg);
		return 0;
	case OPT_WINDOW:
		if (vfo_parse_u64(arg, 64, 1u << 24, &v) != 0 || (v & (v - 1)) != 0)
			return vfo_errf(err, errlen,
					"--window '%s': expected a power of two in 64..16777216",
					arg);
		o->window = (uint32_t)v;
		return 0;
	case OPT_TIMELINE:
		if (vfo_parse_u64(arg, 1, 24u * 3600 * 1000, &v) != 0)
			return vfo_errf(err, errlen,
					"--timeline-ms '%s': expected ms in 1..86400000", arg);
		o->timeline_ms = (uint32_t)v;
		return 0;
	case OPT_JSON:
		o->json = arg;
		return 0;
	case OPT_PCAP_GAPS:
		o->pcap_gaps = arg;
		return 0;
	case OPT_GAP_FRAMES:
		if (vfo_parse_u64(arg, 1, 65536, &v) != 0)
			return vfo_errf(err, errlen,
					"--gap-frames '%s': expected an integer in 1..65536", arg);
		o->gap_frames = (unsigned int)v;
		return 0;
	case OPT_PCAP:
		o->pcap = arg;
		return 0;
	case OPT_CTL:
		if (arg[0] == '\0' || strlen(arg) > 107)
			return vfo_errf(err, errlen,
					"--ctl '%s': a socket path of 1..107 characters", arg);
		o->ctl = arg;
		return 0;
	case OPT_NDR:
		o->ndr = true;
		return 0;
	case OPT_TRIAL_S:
		if (parse_double(arg, 0.01, 3600, &o->trial_s) != 0)
			return vfo_errf(err, errlen,
					"--trial-s '%s': expected seconds in 0.01..3600", arg);
		return 0;
	case OPT_LOSS_PCT:
		if (parse_double(arg, 0, 100, &o->loss_pct) != 0)
			return vfo_errf(err, errlen,
					"--loss-pct '%s': expected a percentage in 0..100", arg);
		return 0;
	case OPT_NDR_RES:
		if (parse_double(arg, 0.001, 50, &o->ndr_res_pct) != 0)
			return vfo_errf(err, errlen,
					"--ndr-res-pct '%s': expected a percentage in 0.001..50",
					arg);
		return 0;
	case OPT_NDR_TRIALS:
		if (vfo_parse_u64(arg, 1, 1000, &v) != 0)
			return vfo_errf(err, errlen, "--ndr-max-trials '%s': expected 1..1000",
					arg);
		o->ndr_trials = (unsigned int)v;
		return 0;
	case OPT_LINK_WAIT:
		if (vfo_parse_u64(arg, 0, 600000, &v) != 0)
			return vfo_errf(err, errlen,
					"--link-wait-ms '%s': expected ms in 0..600000", arg);
		o->link_wait_ms = (unsigned int)v;
		return 0;
	case OPT_IDLE_SLEEP:
		if (vfo_parse_u64(arg, 0, 10000, &v) != 0)
			return vfo_errf(err, errlen,
					"--idle-sleep-us '%s': expected us in 0..10000", arg);
		o->idle_sleep_us = (unsigned int)v;
		return 0;
	case OPT_MAX_GAPS_PRINT:
		if (vfo_parse_u64(arg, 0, UINT32_MAX, &v) != 0)
			return vfo_errf(err, errlen,
					"--max-gaps-print '%s': expected an integer >= 0", arg);
		o->max_gaps_print = (unsigned int)v;
		return 0;
	default:
		return vfo_errf(err, errlen, "unknown option");
	}
}

/* Checks what only the whole command line tells.  Returns 0 or -1 with err. */
static int
check_all(struct vfp_opts *o, const char *tx_s, const char *rx_s, char *err, size_t errlen)
{
	if (o->nports == 0)
		return vfo_errf(err, errlen,
				"no --port given: name at least one port by its devargs, e.g. "
				"--port net_ring0");
	if (parse_list("--tx", tx_s ? tx_s : "0", o->nports, o->tx, &o->ntx, err, errlen) != 0)
		return -1;
	if (rx_s != NULL) {
		o->rx_given = true;
		if (parse_list("--rx", rx_s, o->nports, o->rx, &o->nrx, err, errlen) != 0)
			return -1;
	} else {
		o->nrx = o->nports;
		for (unsigned int i = 0; i < o->nports; i++)
			o->rx[i] = (uint16_t)i;
	}
	if (o->ntx == 0 && o->nrx == 0)
		return vfo_errf(err, errlen, "--tx none and --rx none: nothing to do");
	if (o->ndr && (o->ntx == 0 || o->nrx == 0))
		return vfo_errf(err, errlen, "--ndr needs a --tx port and an --rx port");
	if (o->ndr && (o->duration_s != 0 || o->count != 0))
		return vfo_errf(err, errlen,
				"--ndr runs trials of --trial-s seconds: drop --duration/--count");
	if (o->ndr && o->ctl != NULL)
		return vfo_errf(err, errlen,
				"--ndr does not take --ctl (switching would spoil trials)");
	if (o->rate.kind != VFP_RATE_MAX && vfp_rate_pps(&o->rate, o->size) < 1)
		return vfo_errf(err, errlen, "--rate: below 1 packet per second at %u B", o->size);
	return 0;
}

int
vfp_opts_parse(int argc, char **argv, struct vfp_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, OPT_PORT},
		{"tx", required_argument, NULL, OPT_TX},
		{"rx", required_argument, NULL, OPT_RX},
		{"size", required_argument, NULL, OPT_SIZE},
		{"rate", required_argument, NULL, OPT_RATE},
		{"burst", required_argument, NULL, OPT_BURST},
		{"flows", required_argument, NULL, OPT_FLOWS},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"count", required_argument, NULL, OPT_COUNT},
		{"linger-ms", required_argument, NULL, OPT_LINGER},
		{"src-mac", required_argument, NULL, OPT_SRC_MAC},
		{"dst-mac", required_argument, NULL, OPT_DST_MAC},
		{"src-ip", required_argument, NULL, OPT_SRC_IP},
		{"dst-ip", required_argument, NULL, OPT_DST_IP},
		{"stream", required_argument, NULL, OPT_STREAM},
		{"gap-us", required_argument, NULL, OPT_GAP_US},
		{"window", required_argument, NULL, OPT_WINDOW},
		{"timeline-ms", required_argument, NULL, OPT_TIMELINE},
		{"json", required_argument, NULL, OPT_JSON},
		{"pcap-gaps", required_argument, NULL, OPT_PCAP_GAPS},
		{"gap-frames", required_argument, NULL, OPT_GAP_FRAMES},
		{"pcap", required_argument, NULL, OPT_PCAP},
		{"ctl", required_argument, NULL, OPT_CTL},
		{"ndr", no_argument, NULL, OPT_NDR},
		{"trial-s", required_argument, NULL, OPT_TRIAL_S},
		{"loss-pct", required_argument, NULL, OPT_LOSS_PCT},
		{"ndr-res-pct", required_argument, NULL, OPT_NDR_RES},
		{"ndr-max-trials", required_argument, NULL, OPT_NDR_TRIALS},
		{"link-wait-ms", required_argument, NULL, OPT_LINK_WAIT},
		{"max-gaps-print", required_argument, NULL, OPT_MAX_GAPS_PRINT},
		{"idle-sleep-us", required_argument, NULL, OPT_IDLE_SLEEP},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *tx_s = NULL, *rx_s = NULL;
	int c;

	set_defaults(o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == '?' || c == ':')
			return vfo_errf(err, errlen,
					"option '%s' unknown or missing its value; see --help",
					argv[optind - 1]);
		if (one_opt(c, optarg, o, &tx_s, &rx_s, err, errlen) != 0)
			return -1;
	}
	if (optind < argc)
		return vfo_errf(err, errlen, "unexpected argument '%s'; see --help", argv[optind]);
	return check_all(o, tx_s, rx_s, err, errlen);
}
