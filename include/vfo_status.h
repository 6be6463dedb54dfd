/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_status.h — an uplink's state and counters as JSON objects, the one
 * source for the control socket and rte_telemetry, and the "uplink"
 * argument the control commands share.
 */
#ifndef VFO_STATUS_H
#define VFO_STATUS_H

#include <jansson.h>

#include "vfo_uplink.h"

/**
 * Returns a new JSON object describing 'u': name, MAC, active member, and
 * per member its devargs, port, driver, link state and MAC.  Takes the
 * uplink lock.
 */
json_t *vfo_uplink_status_json(struct vfo_uplink *u) VFO_EXCLUDES(u->lock);

/**
 * Returns a new JSON object with the counters of 'u': per member packets
 * and bytes each way and the PMD's drop counters, and the uplink's totals
 * and drops by cause.
 */
json_t *vfo_uplink_stats_json(struct vfo_uplink *u);

/**
 * Reads the optional "uplink" (a name) of control request 'req' among
 * uplinks[0..n): [*first, *last) is the uplink named, or all of them when
 * 'req' names none.  Returns 0, or -1 with an error in 'reply' naming the
 * unknown uplink.
 */
int vfo_uplink_pick(struct vfo_uplink *const *uplinks, unsigned int n, const json_t *req,
		    json_t *reply, unsigned int *first, unsigned int *last);

#endif /* VFO_STATUS_H */
