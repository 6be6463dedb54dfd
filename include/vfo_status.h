/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_status.h — an uplink's state and counters as JSON objects, the one
 * source for the control socket and rte_telemetry.
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
json_t *vfo_uplink_status_json(struct vfo_uplink *u);

/**
 * Returns a new JSON object with the counters of 'u': per member packets
 * and bytes each way and the PMD's drop counters, and the uplink's totals
 * and drops by cause.
 */
json_t *vfo_uplink_stats_json(struct vfo_uplink *u);

#endif /* VFO_STATUS_H */
