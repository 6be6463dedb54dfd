/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_params.h — the uplink settings the forwarder's tests and
 * benchmarks share: one queue of 1024 descriptors, promiscuous, mbufs from
 * 'pools', workers reporting to 'qsbr'.
 */
#ifndef VFO_TEST_UPLINK_PARAMS_H
#define VFO_TEST_UPLINK_PARAMS_H

#include <stdio.h>
#include <string.h>

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

#endif /* VFO_TEST_UPLINK_PARAMS_H */
