/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * numa_check.c — the NUMA placement check (vfo_numa.h): the pure comparison
 * and the gathering of the real topology (libnuma, DPDK).
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <numa.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include "vfo_numa.h"
#include "vfo_uplink.h"

/* Formats a node for messages. */
static const char *
node_str(int node, char *buf, size_t len)
{
	if (node == VFO_NUMA_SPANS)
		snprintf(buf, len, "several nodes");
	else
		snprintf(buf, len, "node %d", node);
	return buf;
}

unsigned int
vfo_numa_check(const struct vfo_numa_lcore *lcores, unsigned int nb_lcores,
	       const struct vfo_numa_port *ports, unsigned int nb_ports,
	       void (*warn)(void *arg, const char *line), void *arg)
{
	char line[384], a[32], b[32];
	unsigned int i, j, n = 0;

	for (j = 0; j < nb_ports; j++) {
		const struct vfo_numa_port *p = &ports[j];

		if (p->node < 0 || p->pool_node < 0 || p->node == p->pool_node)
			continue;
		snprintf(line, sizeof(line),
			 "NUMA: %s (port %u) is on node %d but its mbuf pool is on node %d: "
			 "every packet crosses nodes; give EAL memory on node %d "
			 "(--socket-mem)",
			 p->what, p->port, p->node, p->pool_node, p->node);
		warn(arg, line);
		n++;
	}
	for (i = 0; i < nb_lcores; i++) {
		const struct vfo_numa_lcore *l = &lcores[i];

		if (l->node == VFO_NUMA_SPANS) {
			snprintf(line, sizeof(line),
				 "NUMA: lcore %u may run on CPUs of several nodes (CPU %u is "
				 "one): pin it to CPUs of the node of its ports (-l / --lcores)",
				 l->lcore, l->cpu);
			warn(arg, line);
			n++;
			continue;
		}
		if (l->node < 0)
			continue;
		for (j = 0; j < nb_ports; j++) {
			const struct vfo_numa_port *p = &ports[j];

			if (p->node < 0 || p->node == l->node)
				continue;
			snprintf(line, sizeof(line),
				 "NUMA: lcore %u (CPU %u, %s) polls %s (port %u, %s): every "
				 "packet crosses nodes; run the forwarding lcores on CPUs of "
				 "node %d (-l / --lcores)",
				 l->lcore, l->cpu, node_str(l->node, a, sizeof(a)), p->what,
				 p->port, node_str(p->node, b, sizeof(b)), p->node);
			warn(arg, line);
			n++;
		}
	}
	return n;
}

unsigned int
vfo_numa_gather_lcores(struct vfo_numa_lcore *out, unsigned int max)
{
	const bool have_numa = numa_available() >= 0;
	unsigned int lc, n = 0;

	RTE_LCORE_FOREACH(lc)
	{
		rte_cpuset_t set = rte_lcore_cpuset(lc);
		struct vfo_numa_lcore *l;
		int cpu;

		if (n == max)
			break;
		l = &out[n++];
		l->lcore = lc;
		l->node = VFO_NUMA_UNKNOWN;
		l->cpu = 0;
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			int node;

			if (!CPU_ISSET(cpu, &set))
				continue;
			node = have_numa ? numa_node_of_cpu(cpu) : -1;
			if (l->node == VFO_NUMA_UNKNOWN) {
				l->cpu = (unsigned int)cpu;
				l->node = node < 0 ? VFO_NUMA_UNKNOWN : node;
			} else if (node >= 0 && node != l->node) {
				l->node = VFO_NUMA_SPANS;
				break;
			}
		}
	}
	return n;
}

void
vfo_numa_gather_port(struct vfo_numa_port *p, const char *what, uint16_t port,
		     const struct rte_mempool *mp)
{
	const struct rte_mempool_memhdr *hdr = mp != NULL ? STAILQ_FIRST(&mp->mem_list) : NULL;
	const struct rte_memseg_list *msl =
		hdr != NULL ? rte_mem_virt2memseg_list(hdr->addr) : NULL;
	int node = rte_eth_dev_socket_id(port);

	snprintf(p->what, sizeof(p->what), "%s", what);
	p->port = port;
	p->node = node < 0 ? VFO_NUMA_UNKNOWN : node;
	p->pool_node = msl != NULL ? msl->socket_id : VFO_NUMA_UNKNOWN;
	if (p->pool_node < 0 && mp != NULL && mp->socket_id >= 0)
		p->pool_node = mp->socket_id;
}

unsigned int
vfo_numa_gather_uplink(struct vfo_uplink *u, struct vfo_numa_port *out, unsigned int max)
{
	unsigned int n = 0;
	int id;

	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT && n < max; id++) {
		const struct vfo_member *m = &u->member[id];
		char what[48];

		if (!m->started)
			continue;
		snprintf(what, sizeof(what), "uplink %s %s", u->params.name, vfo_member_name(id));
		vfo_numa_gather_port(&out[n++], what, m->port_id,
				     u->params.pool_for_socket(m->socket, u->params.pool_arg));
	}
	vfo_uplink_unlock(u);
	return n;
}
