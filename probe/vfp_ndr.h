/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_ndr.h — RFC 2544-style throughput search: the highest rate whose
 * trial loses at most --loss-pct of its packets (0: no drop rate, NDR).
 *
 * Thread-safety: main thread; it runs the trials on the lcores.
 */
#ifndef VFP_NDR_H
#define VFP_NDR_H

#include <stdbool.h>

#include "vfp_live.h"

/**
 * Binary search between 0 and --rate (max: the rate a first trial at full
 * speed achieves), trials of --trial-s, until the interval is below
 * --ndr-res-pct of the start rate or --ndr-max-trials ran.  Prints a line
 * per trial and the result; writes --json: the report of the best passing
 * trial (else of the last) with an "ndr" object.  Returns the exit status
 * (0 even when no rate passed: that is a result).
 */
int vfp_ndr_run(struct vfp_live *l);

/**
 * Returns whether a trial that sent 'sent' packets and lost 'lost' passes
 * with 'loss_pct' percent allowed (a trial that sent nothing fails).
 */
bool vfp_ndr_pass(uint64_t sent, uint64_t lost, double loss_pct);

#endif /* VFP_NDR_H */
