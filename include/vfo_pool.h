/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_pool.h — mbuf pools, one per NUMA socket that has ports, created on
 * first use and sized from the queue and burst settings.
 *
 * Thread-safety: vfo_pools_get() and vfo_pools_free() are control-side and
 * not reentrant; the pools themselves are DPDK mempools (thread-safe).
 */
#ifndef VFO_POOL_H
#define VFO_POOL_H

#include <rte_mempool.h>

/** The pools of an application. */
struct vfo_pools {
	struct rte_mempool *mp[RTE_MAX_NUMA_NODES]; /**< per socket, NULL until used */
	unsigned int nb_mbufs;			    /**< mbufs in each pool */
	unsigned int cache;			    /**< per-lcore cache size */
};

/** How many ports, queues, descriptors and lcores a pool must feed. */
struct vfo_pool_need {
	unsigned int nb_ports;	/**< ports that draw from the pool */
	unsigned int nb_rxq;	/**< RX queues per port */
	unsigned int nb_rxd;	/**< descriptors per RX queue */
	unsigned int nb_txq;	/**< TX queues per port */
	unsigned int nb_txd;	/**< descriptors per TX queue */
	unsigned int nb_lcores; /**< lcores allocating and freeing */
	unsigned int burst;	/**< packets a lcore holds in flight per port */
};

/**
 * Sets the size of the pools 'pools' will create: every RX and TX ring full,
 * every lcore's cache full and a burst in flight per port and lcore, with a
 * margin, at least 8191.  Returns the number of mbufs per pool.
 */
unsigned int vfo_pools_init(struct vfo_pools *pools, const struct vfo_pool_need *need);

/**
 * Returns the pool of 'socket', creating it on that socket on first use;
 * NULL with rte_errno set when it cannot be created.  Matches the
 * pool_for_socket callback of struct vfo_uplink_params (arg = the pools).
 */
struct rte_mempool *vfo_pools_get(int socket, void *arg);

/** Logs (INFO) each pool's size and the DPDK heap in use on each socket. */
void vfo_pools_log_memory(const struct vfo_pools *pools);

/** Returns the mbufs taken out of every pool (in rings, caches and flight). */
unsigned int vfo_pools_in_use(const struct vfo_pools *pools);

/** Frees every pool. */
void vfo_pools_free(struct vfo_pools *pools);

#endif /* VFO_POOL_H */
