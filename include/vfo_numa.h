/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_numa.h — NUMA placement check: every forwarding lcore polls a queue of
 * every member, so each lcore's CPUs, each member's device and the mbuf pool
 * its RX queues take buffers from should sit on one NUMA node.  A packet
 * that crosses nodes costs an interconnect hop per access; nothing breaks,
 * so a mismatch is a warning naming the lcore and the port, not an error.
 *
 *   n = vfo_numa_check(lcores, nb_lcores, ports, nb_ports, warn, arg);
 *
 * vfo_numa_check() is pure (the topology comes in as data, so tests inject
 * any layout); vfo_numa_gather_*() read the real one: libnuma for CPUs,
 * DPDK for devices and pool memory.
 */
#ifndef VFO_NUMA_H
#define VFO_NUMA_H

#include <stdint.h>

#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Node number meaning "unknown" (a virtual device, no libnuma). */
#define VFO_NUMA_UNKNOWN (-1)
/** Node number meaning "the lcore may run on CPUs of several nodes". */
#define VFO_NUMA_SPANS (-2)

/** Where one forwarding lcore runs. */
struct vfo_numa_lcore {
	unsigned int lcore; /**< lcore id */
	int node;	    /**< node of all its CPUs, VFO_NUMA_SPANS or VFO_NUMA_UNKNOWN */
	unsigned int cpu;   /**< one of its CPUs (for messages) */
};

/** Where one member's device and its RX buffers are. */
struct vfo_numa_port {
	char what[48]; /**< who it is, e.g. "uplink u0 vf" */
	uint16_t port; /**< ethdev port */
	int node;      /**< the device's node (rte_eth_dev_socket_id), or VFO_NUMA_UNKNOWN */
	int pool_node; /**< node of its mbuf pool's memory, or VFO_NUMA_UNKNOWN */
};

/**
 * Compares every lcore with every port and every port with its pool; calls
 * warn(arg, line) once per mismatch with a line naming the lcore, the port
 * and the fix.  Unknown nodes are not compared; an lcore that spans nodes
 * is warned about once.  Returns the number of warnings.
 */
unsigned int vfo_numa_check(const struct vfo_numa_lcore *lcores, unsigned int nb_lcores,
			    const struct vfo_numa_port *ports, unsigned int nb_ports,
			    void (*warn)(void *arg, const char *line), void *arg);

/**
 * Fills 'out' with the EAL lcores (at most 'max'), their nodes from libnuma
 * (VFO_NUMA_UNKNOWN everywhere when the kernel has no NUMA support).
 * Returns how many.
 */
unsigned int vfo_numa_gather_lcores(struct vfo_numa_lcore *out, unsigned int max);

/**
 * Fills 'p' for port 'port' named 'what', whose RX queues take buffers
 * from 'mp' (NULL: unknown).
 */
void vfo_numa_gather_port(struct vfo_numa_port *p, const char *what, uint16_t port,
			  const struct rte_mempool *mp);

struct vfo_uplink;

/**
 * Fills 'out' (at most 'max') with the started members of 'u', each with
 * the pool of its socket.  Takes the uplink lock.  Returns how many.
 */
unsigned int vfo_numa_gather_uplink(struct vfo_uplink *u, struct vfo_numa_port *out,
				    unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* VFO_NUMA_H */
