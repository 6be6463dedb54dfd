/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool.c — per-socket mbuf pools sized from the queue and burst settings.
 */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vfo_log.h"
#include "vfo_pool.h"

/* A mempool cache size: DPDK's recommended maximum. */
#define POOL_CACHE 256

unsigned int
vfo_pools_init(struct vfo_pools *pools, const struct vfo_pool_need *n)
{
	unsigned int need;

	memset(pools, 0, sizeof(*pools));
	need = n->nb_ports * (n->nb_rxq * n->nb_rxd + n->nb_txq * n->nb_txd) +
	       n->nb_lcores * (POOL_CACHE + n->burst * (n->nb_ports + 2));
	need += need / 4; /* margin: tx buffers, packets in flight between rings */
	if (need < 8191)
		need = 8191;
	/* A power of two minus one is the best size for the ring behind a pool. */
	pools->nb_mbufs = rte_align32pow2(need + 1) - 1;
	pools->cache = POOL_CACHE;
	return pools->nb_mbufs;
}

struct rte_mempool *
vfo_pools_get(int socket, void *arg)
{
	struct vfo_pools *pools = arg;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (pools->mp[socket] != NULL)
		return pools->mp[socket];
	snprintf(name, sizeof(name), "vfo_mbuf_s%d", socket);
	pools->mp[socket] = rte_pktmbuf_pool_create(name, pools->nb_mbufs, pools->cache, 0,
						    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	return pools->mp[socket];
}

void
vfo_pools_log_memory(const struct vfo_pools *pools)
{
	struct rte_malloc_socket_stats ms;
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		const struct rte_mempool *mp = pools->mp[s];
		size_t obj;

		if (mp == NULL)
			continue;
		obj = mp->header_size + mp->elt_size + mp->trailer_size;
		rte_log(RTE_LOG_INFO, vfo_logtype,
			"memory: pool %s on socket %d: %u mbufs x %zu B = %.1f MiB\n", mp->name, s,
			mp->size, obj, (double)mp->size * (double)obj / (1024.0 * 1024.0));
		if (rte_malloc_get_socket_stats(s, &ms) == 0)
			rte_log(RTE_LOG_INFO, vfo_logtype,
				"memory: DPDK heap on socket %d: %.1f MiB in use of %.1f MiB\n", s,
				(double)ms.heap_allocsz_bytes / (1024.0 * 1024.0),
				(double)ms.heap_totalsz_bytes / (1024.0 * 1024.0));
	}
}

unsigned int
vfo_pools_in_use(const struct vfo_pools *pools)
{
	unsigned int n = 0;
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (pools->mp[s] != NULL)
			n += rte_mempool_in_use_count(pools->mp[s]);
	return n;
}

void
vfo_pools_free(struct vfo_pools *pools)
{
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(pools->mp[s]);
		pools->mp[s] = NULL;
	}
}
