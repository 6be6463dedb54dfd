/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_run_report.h — reports of a live vfprobe run (see live_report.c).
 *
 * Thread-safety: main thread, after the run (the lcores are idle).
 */
#ifndef VFP_RUN_REPORT_H
#define VFP_RUN_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "vfp_live.h"

/** Returns the packets per second the run sent (0 if it sent nothing). */
double vfp_live_tx_pps(const struct vfp_live *l);

/**
 * Returns a new JSON object: the analyzer's report (vfp_report_json, mode
 * "live") plus "tx" (generator settings and counters), "ports" and
 * "stopped"; NULL when out of memory.
 */
json_t *vfp_live_json(const struct vfp_live *l);

/** Prints the human summary of the run to 'f'. */
void vfp_live_summary(const struct vfp_live *l, FILE *f);

#endif /* VFP_RUN_REPORT_H */
