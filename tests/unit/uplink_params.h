/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_params.h — the uplink settings the forwarder's tests and
 * benchmarks share: one queue of 1024 descriptors, promiscuous, mbufs from
 * 'pools', workers reporting to 'qsbr'; the pools and RCU variable they use.
 */
#ifndef VFO_TEST_UPLINK_PARAMS_H
#define VFO_TEST_UPLINK_PARAMS_H

#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "vfo_pool.h"
#include "vfo_uplink.h"

/* Fills 'p' for an uplink 'name' of members 'vf' and 'backup' (devargs). */
static inline void
test_uplink_params(struct vfo_uplink_params *p, const char *name, const char *vf,
		   const char *backup, struct vfo_pools *pools, struct rte_rcu_qsbr *qsbr)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->devargs[VFO_MEMBER_VF], VFO_DEVARGS_MAX, "%s", vf);
	snprintf(p->devargs[VFO_MEMBER_BACKUP], VFO_DEVARGS_MAX, "%s", backup);
	p->nb_rxq = p->nb_txq = 1;
	p->nb_rxd = p->nb_txd = 1024;
	p->promisc = true;
	p->qsbr = qsbr;
	p->pool_for_socket = vfo_pools_get;
	p->pool_arg = pools;
}

/*
 * Sizes 'pools' for 'nb_ports' ports of one RX and one TX queue of 'nb_desc'
 * descriptors served by 'nb_lcores' lcores (bursts of 32), and returns an
 * RCU variable for RTE_MAX_LCORE threads (rte_free() it), NULL if out of
 * memory.
 */
static inline struct rte_rcu_qsbr *
test_pools_qsbr(struct vfo_pools *pools, unsigned int nb_ports, unsigned int nb_lcores,
		unsigned int nb_desc)
{
	const struct vfo_pool_need need = {.nb_ports = nb_ports,
					   .nb_rxq = 1,
					   .nb_rxd = nb_desc,
					   .nb_txq = 1,
					   .nb_txd = nb_desc,
					   .nb_lcores = nb_lcores,
					   .burst = 32};
	struct rte_rcu_qsbr *qsbr;

	vfo_pools_init(pools, &need);
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE), RTE_CACHE_LINE_SIZE);
	if (qsbr != NULL)
		rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE);
	return qsbr;
}

#endif /* VFO_TEST_UPLINK_PARAMS_H */
