/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_analyzer.h — vfprobe's sequence analyzer: loss, duplicates, reorder,
 * late packets, gaps, latency, per-port per-millisecond rate timeline and an
 * events list.
 *
 * Built for a receiver lcore calling vfp_analyzer_rx() per packet at line
 * rate: all memory is allocated by vfp_analyzer_create() (nothing per
 * packet), each packet costs O(1) amortized and touches one stream's state,
 * one bitmap word, one timeline counter and one histogram bucket.
 *
 * Sequence model (per stream).  'head' is the highest sequence number seen
 * + 1.  A bitmap remembers which of the last W (conf.window) sequence
 * numbers below head arrived.  A packet with
 *   - seq >= head: advances head; the numbers it skipped are missing
 *     (provisionally: a *pending gap* records them with the time of the
 *     previous arrival on the stream and this arrival's time and port);
 *   - head - W <= seq < head, not seen yet: *reordered*; it fills its pending
 *     gap;
 *   - head - W <= seq < head, already seen: *duplicate*;
 *   - seq < head - W: *late* (it was already declared lost; lost is not
 *     decremented: lost counts numbers missing when they left the window),
 *     unless seq < W while head >= 2 W: then the sender is taken to have
 *     *restarted* (counted in 'resets'): the window is closed (pending
 *     numbers are lost) and the stream starts over at seq.
 * A number is final-lost when it leaves the window (head passes seq + W)
 * unseen, or at vfp_analyzer_finish().  A pending gap becomes final when all
 * its numbers have left the window; it is reported only if some of them are
 * still missing (missing = its final-lost count) or it was also a silence.
 * The 64-bit sequence number itself never wraps in practice (2^64 packets).
 *
 * Silence: a probe packet arriving on a stream more than conf.gap_us after
 * the previous one on that stream makes a gap from the previous arrival to
 * this one (flag VFP_GAP_SILENCE), merged with the sequence gap the same
 * packet ends, if any.
 *
 * Invariant after vfp_analyzer_finish(): for each stream,
 *   received - duplicates - late == (expected - first_seq) - lost
 * where expected is 'sent' when the caller gave it, else head; and the sum of
 * the 'missing' of its gaps == lost (unless gaps were dropped, see below).
 *
 * Times are in µs on any clock (the caller's: TSC-derived, or pcap
 * timestamps); t0 is the first time the analyzer saw (or vfp_analyzer_start).
 *
 * Latency: when conf.tsc_hz != 0 and the caller passes rx_tsc != 0, the
 * latency of a packet is (rx_tsc - payload tsc) / tsc_hz (sender and receiver
 * must share the TSC: same process or same host).  Kept per stream
 * (min/avg/max) and globally in an HDR-style histogram (log2 buckets split in
 * 32 linear sub-buckets: percentiles within 3.2 %).
 *
 * Thread-safety: one analyzer is used by one thread at a time (the receiver
 * lcore, then the thread that reports); nothing is shared between analyzers.
 */
#ifndef VFP_ANALYZER_H
#define VFP_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfp.h"

/** Most receive ports tracked by the timeline. */
#define VFP_MAX_PORTS 16
/** Default reorder window (sequence numbers). */
#define VFP_DEFAULT_WINDOW 65536
/** Default silence threshold, µs. */
#define VFP_DEFAULT_GAP_US 1000
/** Bytes of an event's text, NUL included. */
#define VFP_EVENT_TEXT 64
/** Latency histogram buckets (see vfp_analyzer_lat_bucket()). */
#define VFP_LAT_BUCKETS (64 * 32)

/** Creation parameters; zero fields take the defaults. */
struct vfp_analyzer_conf {
	uint32_t window;      /**< reorder window W: power of two, 64..2^24 (default 65536) */
	uint64_t gap_us;      /**< silence threshold, µs (default 1000); UINT64_MAX: off */
	uint32_t nstreams;    /**< streams tracked, ids 0..nstreams-1 (default VFP_MAX_STREAMS) */
	uint32_t nports;      /**< receive ports in the timeline, 1..VFP_MAX_PORTS (default 1) */
	uint32_t timeline_ms; /**< timeline length, ms (default 60000); later arrivals: truncated */
	uint64_t tsc_hz;      /**< TSC frequency for latency; 0 = no latency */
	uint32_t max_gaps;    /**< gap records kept (default 65536); more are counted only */
	uint32_t max_pending; /**< pending gaps, all streams (default 65536); see gaps_merged */
	uint32_t max_events;  /**< events kept (default 1024) */
	bool expect_seq0; /**< streams start at seq 0: numbers below a stream's first are lost */
};

/** Gap flags. */
#define VFP_GAP_SEQ	0x1 /**< missing sequence numbers */
#define VFP_GAP_SILENCE 0x2 /**< no packet on the stream for more than gap_us */
#define VFP_GAP_TAIL	0x4 /**< numbers missing at the end (finish() with 'sent') */
#define VFP_GAP_MERGED	0x8 /**< pending-gap pool was full: merged with the next gap */

/** One gap of one stream. */
struct vfp_gap {
	uint64_t start_us;  /**< last arrival on the stream before the gap */
	uint64_t end_us;    /**< arrival that ended it (finish time for a tail gap) */
	uint64_t first_seq; /**< first number of the run (head at the time for a silence) */
	uint64_t last_seq;  /**< last number of the run (first_seq - 1 if none missing) */
	uint64_t missing;   /**< numbers of the run finally lost */
	uint16_t stream;    /**< stream id */
	uint16_t port;	    /**< port of the arrival that ended it */
	uint8_t flags;	    /**< VFP_GAP_* */
};

/** Counters and latency of one stream (or the sum of all). */
struct vfp_stream_stats {
	uint64_t received;   /**< probe packets received (duplicates and late included) */
	uint64_t lost;	     /**< numbers missing when they left the window or at finish */
	uint64_t duplicates; /**< numbers seen again inside the window */
	uint64_t reordered;  /**< arrived below head, inside the window, first time */
	uint64_t late;	     /**< arrived below the window (already counted lost) */
	uint64_t resets;     /**< sender restarts detected */
	uint64_t gaps;	     /**< gaps (recorded or not) */
	uint64_t first_seq;  /**< first number tracked (of the current epoch) */
	uint64_t next_seq;   /**< head: highest number seen + 1 (0: none) */
	uint64_t first_us;   /**< first arrival */
	uint64_t last_us;    /**< last arrival */
	uint64_t lat_count;  /**< packets with a latency */
	uint64_t lat_min_ns; /**< smallest latency (0 if none) */
	uint64_t lat_max_ns; /**< largest latency */
	double lat_avg_ns;   /**< mean latency */
	uint16_t last_port;  /**< port of the last arrival */
	bool active;	     /**< at least one packet, or an expected count at finish */
};

/** Latency summary over all streams. */
struct vfp_latency {
	uint64_t count;	   /**< packets with a latency */
	uint64_t negative; /**< packets whose rx_tsc was below their tx tsc (ignored) */
	uint64_t min_ns;   /**< smallest */
	uint64_t max_ns;   /**< largest */
	double avg_ns;	   /**< mean */
	uint64_t p50_ns;   /**< median (bucket midpoint, clamped to min..max) */
	uint64_t p99_ns;   /**< 99th percentile */
	uint64_t p999_ns;  /**< 99.9th percentile */
};

/** One entry of the events list. */
struct vfp_event {
	uint64_t t_us;		   /**< when */
	char text[VFP_EVENT_TEXT]; /**< what, NUL-terminated */
};

/** vfp_analyzer_rx() result bits. */
#define VFP_RX_GAP     0x1  /**< this packet ended a gap (sequence jump or silence) */
#define VFP_RX_DUP     0x2  /**< duplicate */
#define VFP_RX_REORDER 0x4  /**< reordered */
#define VFP_RX_LATE    0x8  /**< late */
#define VFP_RX_RESET   0x10 /**< sender restart */
#define VFP_RX_FOREIGN 0x20 /**< not a probe packet of a tracked stream (vfp_analyzer_frame) */

struct vfp_analyzer;

/**
 * Checks 'conf' (NULL: all defaults) and allocates an analyzer.  Returns it,
 * or NULL with a message naming the bad field in err[0..errlen) (or the
 * allocation that failed).
 */
struct vfp_analyzer *vfp_analyzer_create(const struct vfp_analyzer_conf *conf, char *err,
					 size_t errlen);

/** Frees 'a' (NULL is fine). */
void vfp_analyzer_destroy(struct vfp_analyzer *a);

/** Returns the effective configuration (defaults filled in). */
const struct vfp_analyzer_conf *vfp_analyzer_get_conf(const struct vfp_analyzer *a);

/**
 * Sets t0 (start of the timeline and of relative times) to now_us if no
 * packet or event was seen yet.  Returns nothing.
 */
void vfp_analyzer_start(struct vfp_analyzer *a, uint64_t now_us);

/**
 * Accounts one probe packet received on 'port' at now_us (rx_tsc: receive
 * TSC for latency, 0 = none).  A stream id >= conf.nstreams is counted as
 * foreign (VFP_FOREIGN_PORT), and so is sequence number 2^64 - 1
 * (VFP_FOREIGN_SEQ: head could not hold it).  Returns VFP_RX_* bits.  O(1) amortized; a
 * sequence jump of d costs O(min(d, W) / 64).
 */
unsigned int vfp_analyzer_rx(struct vfp_analyzer *a, uint16_t port, uint64_t now_us,
			     uint64_t rx_tsc, const struct vfp_parsed *p);

/** Counts one foreign frame (reason) received on 'port'.  Returns nothing. */
void vfp_analyzer_foreign(struct vfp_analyzer *a, uint16_t port, enum vfp_foreign reason);

/**
 * Parses frame[0..caplen) (wire length wirelen) and accounts it as a probe
 * packet or a foreign frame.  Returns VFP_RX_* bits (VFP_RX_FOREIGN for a
 * foreign frame).
 */
unsigned int vfp_analyzer_frame(struct vfp_analyzer *a, uint16_t port, uint64_t now_us,
				uint64_t rx_tsc, const uint8_t *frame, size_t caplen,
				size_t wirelen);

/**
 * Appends an event (text truncated to VFP_EVENT_TEXT - 1 bytes).  Returns 0,
 * or -1 when the list is full (counted in events_dropped).
 */
int vfp_analyzer_event(struct vfp_analyzer *a, uint64_t now_us, const char *text);

/**
 * Closes every window at now_us: numbers not seen up to each stream's head,
 * or up to sent[stream] when 'sent' (nstreams entries: packets the sender
 * sent, i.e. its next sequence number) is given and larger, are lost; a
 * missing tail is a gap ending at now_us (VFP_GAP_TAIL).  Finalizes all
 * pending gaps and sorts the gap list by start time.  Call once; afterwards
 * the analyzer is only read.  Returns nothing.
 */
void vfp_analyzer_finish(struct vfp_analyzer *a, uint64_t now_us, const uint64_t *sent);

/** Fills 'out' with stream s's counters.  Returns 0, or -1 if s >= nstreams. */
int vfp_analyzer_stream_stats(const struct vfp_analyzer *a, uint32_t s,
			      struct vfp_stream_stats *out);

/** Fills 'out' with the sum over all streams (min/max/avg latency overall). */
void vfp_analyzer_totals(const struct vfp_analyzer *a, struct vfp_stream_stats *out);

/**
 * Returns the recorded gaps (sorted by start after finish) and their number
 * in *n; *dropped (if not NULL): gaps not recorded because max_gaps was
 * reached.
 */
const struct vfp_gap *vfp_analyzer_gaps(const struct vfp_analyzer *a, size_t *n, uint64_t *dropped);

/** Returns how many pending gaps were merged because the pending pool was full. */
uint64_t vfp_analyzer_gaps_merged(const struct vfp_analyzer *a);

/** Fills 'out' with the latency summary over all streams. */
void vfp_analyzer_latency(const struct vfp_analyzer *a, struct vfp_latency *out);

/** Returns the latency at quantile q (0..1) in ns, 0 if none (bucket midpoint). */
uint64_t vfp_analyzer_lat_quantile(const struct vfp_analyzer *a, double q);

/**
 * Returns the count of histogram bucket i (< VFP_LAT_BUCKETS) and its range
 * [*lo_ns, *hi_ns] (inclusive).
 */
uint64_t vfp_analyzer_lat_bucket(const struct vfp_analyzer *a, unsigned int i, uint64_t *lo_ns,
				 uint64_t *hi_ns);

/**
 * Returns the timeline: counts[ms * nports + port] = probe packets received
 * on port during millisecond ms after t0, ms < *nbins (the last used
 * millisecond + 1); *truncated (if not NULL): packets not in it (arrived
 * timeline_ms or more after t0, or on a port >= nports).
 */
const uint32_t *vfp_analyzer_timeline(const struct vfp_analyzer *a, uint32_t *nbins,
				      uint64_t *truncated);

/** Returns the events and their number in *n; *dropped (if not NULL): events not kept. */
const struct vfp_event *vfp_analyzer_events(const struct vfp_analyzer *a, size_t *n,
					    uint64_t *dropped);

/** Returns the number of foreign frames for 'reason' (VFP_FOREIGN_COUNT: all). */
uint64_t vfp_analyzer_foreign_count(const struct vfp_analyzer *a, enum vfp_foreign reason);

/** Returns t0 (µs) and, in *last_us if not NULL, the latest time seen. */
uint64_t vfp_analyzer_t0(const struct vfp_analyzer *a, uint64_t *last_us);

/** Returns whether vfp_analyzer_finish() was called. */
bool vfp_analyzer_finished(const struct vfp_analyzer *a);

#endif /* VFP_ANALYZER_H */
