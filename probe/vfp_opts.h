/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_opts.h — vfprobe's command line (after EAL's "--"), checked into a
 * struct vfp_opts; README "Probe" has the table of options.
 *
 * Plain C (no DPDK) so the unit tests parse command lines without EAL.
 * Thread-safety: vfp_opts_parse() uses getopt (global state): call it once,
 * from the main thread.
 */
#ifndef VFP_OPTS_H
#define VFP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfp_analyzer.h"

/** Most ports (--port). */
#define VFP_OPTS_MAX_PORTS VFP_MAX_PORTS
/** Longest devargs string, NUL included. */
#define VFP_DEVARGS_MAX 256
/** Largest TX burst. */
#define VFP_MAX_BURST 512
/** First UDP source port; flow f uses VFP_FLOW_PORT_BASE + f. */
#define VFP_FLOW_PORT_BASE 1024
/** 10GbE: bits per second. */
#define VFP_LINE_BPS 10e9

/** How the rate was given. */
enum vfp_rate_kind {
	VFP_RATE_MAX = 0, /**< as fast as the port takes packets */
	VFP_RATE_PPS,	  /**< packets per second */
	VFP_RATE_PCT,	  /**< percent of 10GbE line rate at the frame size */
};

/** A rate as given on the command line. */
struct vfp_rate {
	enum vfp_rate_kind kind; /**< max, pps or percent */
	double value;		 /**< pps or percent (unused for max) */
};

/** Everything the command line says. */
struct vfp_opts {
	char ports[VFP_OPTS_MAX_PORTS][VFP_DEVARGS_MAX]; /**< --port devargs, in order */
	unsigned int nports;				 /**< how many */
	uint16_t tx[VFP_OPTS_MAX_PORTS];		 /**< --tx: port numbers, first sends */
	unsigned int ntx;				 /**< how many (0: --tx none) */
	uint16_t rx[VFP_OPTS_MAX_PORTS];		 /**< --rx: port numbers analyzed */
	unsigned int nrx;				 /**< how many (0: --rx none) */
	bool rx_given;					 /**< --rx was given (else all ports) */
	unsigned int size;	     /**< --size: frame size with FCS, 64..9000 */
	struct vfp_rate rate;	     /**< --rate */
	unsigned int burst;	     /**< --burst, 1..VFP_MAX_BURST */
	unsigned int flows;	     /**< --flows, 1..65536-VFP_FLOW_PORT_BASE */
	double duration_s;	     /**< --duration, 0: none */
	uint64_t count;		     /**< --count, 0: none */
	unsigned int linger_ms;	     /**< --linger-ms */
	uint8_t src_mac[6];	     /**< --src-mac */
	bool src_mac_given;	     /**< else each port's own MAC */
	uint8_t dst_mac[6];	     /**< --dst-mac (default broadcast) */
	uint32_t src_ip;	     /**< --src-ip, host order */
	uint32_t dst_ip;	     /**< --dst-ip, host order */
	uint16_t stream;	     /**< --stream: stream id of our packets */
	uint64_t gap_us;	     /**< --gap-us */
	uint32_t window;	     /**< --window (0: analyzer default) */
	uint32_t timeline_ms;	     /**< --timeline-ms (0: from duration) */
	const char *json;	     /**< --json FILE or NULL */
	const char *pcap_gaps;	     /**< --pcap-gaps FILE or NULL */
	unsigned int gap_frames;     /**< --gap-frames: frames around a gap */
	const char *pcap;	     /**< --pcap FILE: every received frame */
	const char *ctl;	     /**< --ctl PATH or NULL */
	bool ndr;		     /**< --ndr */
	double trial_s;		     /**< --trial-s */
	double loss_pct;	     /**< --loss-pct */
	double ndr_res_pct;	     /**< --ndr-res-pct: search resolution */
	unsigned int ndr_trials;     /**< --ndr-max-trials */
	unsigned int link_wait_ms;   /**< --link-wait-ms */
	unsigned int max_gaps_print; /**< --max-gaps-print (0: all) */
	unsigned int idle_sleep_us;  /**< --idle-sleep-us: sleep on an idle turn, 0: never */
};

/**
 * Parses argv[0..argc) (argv[0] is the program name) into 'o' with the
 * defaults for what is not given.  Returns 0, 1 when --help was printed to
 * stdout, or -1 with a one-line message naming the option and the fix in
 * err[0..errlen).
 */
int vfp_opts_parse(int argc, char **argv, struct vfp_opts *o, char *err, size_t errlen);

/**
 * Parses a rate ("N" pps, "Nk", "NM", "P%", "max") into 'r'.  Returns 0, or
 * -1 when it is not one of those or not positive (P above 100).
 */
int vfp_rate_parse(const char *s, struct vfp_rate *r);

/** Returns 10GbE line rate in packets/s for frames of 'size' bytes (with FCS). */
double vfp_line_pps(unsigned int size);

/** Returns the rate 'r' in pps at 'size' bytes, 0 for max. */
double vfp_rate_pps(const struct vfp_rate *r, unsigned int size);

/** Parses a MAC "xx:xx:xx:xx:xx:xx" into mac[6].  Returns 0 or -1. */
int vfp_mac_parse(const char *s, uint8_t mac[6]);

#endif /* VFP_OPTS_H */
