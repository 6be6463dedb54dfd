/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_port.h — an ethdev port from DPDK devargs: the naming convention of
 * every binary of the project (vfailover's --vf/--backup, vfprobe's --port):
 * "net_memif0,role=server,socket=/tmp/x.sock", "net_ring0", "net_tap0,iface=t0",
 * a PCI address...
 *
 * Thread-safety: control side only (rte_dev_probe is not reentrant).
 */
#ifndef VFO_PORT_H
#define VFO_PORT_H

#include <stddef.h>
#include <stdint.h>

/**
 * Probes the device named by 'devargs' (unless EAL already did, e.g. with
 * --vdev) and finds its one ethdev port.  Returns 0 with *port set, or -1
 * with a message in err[0..errlen) that names 'devargs' and says what to
 * check (it does not probe, or it gives no or several ports).
 */
int vfo_port_probe(const char *devargs, uint16_t *port, char *err, size_t errlen);

#endif /* VFO_PORT_H */
