/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_telemetry.h — the control socket's data through rte_telemetry, so
 * dpdk-telemetry.py shows what {"cmd":"status"} shows (control/telemetry.c).
 *
 * Thread-safety: vfo_telemetry_register() and vfo_telemetry_unregister()
 * may be called from any thread; the functions published run on DPDK's
 * telemetry thread, one at a time, and must take whatever locks their data
 * needs.
 */
#ifndef VFO_TELEMETRY_H
#define VFO_TELEMETRY_H

#include <jansson.h>

struct rte_tel_data;

/**
 * Publishes a JSON-producing function as rte_telemetry command 'path' (e.g.
 * "/vfailover/status").  'fn' returns a new reference to a JSON object.
 * Returns 0 or a negative errno.
 */
int vfo_telemetry_register(const char *path, json_t *(*fn)(void *arg), void *arg, const char *help);

/**
 * Unpublishes telemetry command 'path': it answers null from then on (DPDK
 * 22.11 cannot remove a command; vfo_telemetry_register() may publish the
 * path again).  Returns once no call of its function is running, so that
 * the data it reads may be freed.  Any thread but the telemetry one.
 */
void vfo_telemetry_unregister(const char *path);

/**
 * Fills the fresh telemetry data 'd' with 'v', mapped as control/telemetry.c
 * describes.  Returns 0 or a negative errno.  Exposed for the unit tests;
 * needs no EAL.
 */
int vfo_telemetry_from_json(struct rte_tel_data *d, const json_t *v);

#endif /* VFO_TELEMETRY_H */
