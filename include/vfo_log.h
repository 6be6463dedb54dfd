/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_log.h — logging through rte_log under the "vfailover" log type, so
 * EAL's --log-level=vfailover:debug controls it.
 */
#ifndef VFO_LOG_H
#define VFO_LOG_H

#include <rte_log.h>

/** The "vfailover" rte_log type (registered at load time). */
extern int vfo_logtype;

/** Logs one line at rte_log level 'lvl' (ERR, WARNING, NOTICE, INFO, DEBUG). */
#define VFO_LOG(lvl, fmt, ...)                                                                     \
	rte_log(RTE_LOG_##lvl, vfo_logtype, "vfailover: " fmt "\n", ##__VA_ARGS__)

#endif /* VFO_LOG_H */
