/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_telemetry.h — the control socket's data through rte_telemetry, so
 * dpdk-telemetry.py shows what {"cmd":"status"} shows (control/telemetry.c).
 *
 * Thread-safety: vfo_telemetry_register() may be called from any thread;
 * the functions it publishes run on DPDK's telemetry thread and must take
 * whatever locks their data needs.
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
 * Fills the fresh telemetry data 'd' with 'v', mapped as control/telemetry.c
 * describes.  Returns 0 or a negative errno.  Exposed for the unit tests;
 * needs no EAL.
 */
int vfo_telemetry_from_json(struct rte_tel_data *d, const json_t *v);

#endif /* VFO_TELEMETRY_H */
