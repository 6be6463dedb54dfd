/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_report.h — vfprobe's reports from an analyzer: a human summary and a
 * JSON document (jansson) with streams, gaps, latency and its histogram, the
 * per-port per-millisecond timeline, events and foreign frame counts.
 *
 * JSON times are µs relative to t0 (the analyzer's first time), except
 * "t0_us" itself (absolute, on the caller's clock).
 *
 * Thread-safety: the functions only read the analyzer; call them from the
 * thread that owns it (or after it is no longer written).
 */
#ifndef VFP_REPORT_H
#define VFP_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "vfp_analyzer.h"

/** Where the numbers come from, copied into the report. */
struct vfp_report_info {
	const char *mode;   /**< "offline", "live", ... (NULL: omitted) */
	const char *source; /**< pcap file or port list (NULL: omitted) */
};

/**
 * Returns a new JSON object (the caller owns the reference) describing 'a'
 * (normally finished), or NULL when out of memory.
 */
json_t *vfp_report_json(const struct vfp_analyzer *a, const struct vfp_report_info *info);

/**
 * Writes the JSON report of 'a' to 'path' ("-": stdout), indented.  Returns
 * 0, or -1 with a message naming the file in err[0..errlen).
 */
int vfp_report_write_json(const struct vfp_analyzer *a, const struct vfp_report_info *info,
			  const char *path, char *err, size_t errlen);

/**
 * Writes JSON document 'j' (may be NULL: out of memory) to 'path' ("-":
 * stdout), indented, and drops the reference.  Returns 0, or -1 with a
 * message naming the file in err[0..errlen).
 */
int vfp_report_dump(json_t *j, const char *path, char *err, size_t errlen);

/**
 * Prints the human summary of 'a' to 'f': totals, per stream counters, the
 * first max_gaps gaps (0: all), latency, foreign frames, events.  Returns
 * nothing.
 */
void vfp_report_text(const struct vfp_analyzer *a, FILE *f, size_t max_gaps);

/** Returns the gap flags as text: "seq", "silence", "seq+silence", "seq+tail"... */
const char *vfp_gap_kind(unsigned int flags, char *buf, size_t len);

#endif /* VFP_REPORT_H */
