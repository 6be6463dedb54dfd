/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_ports.c — vfprobe's ports: probe from devargs (the project's shared
 * vfo_port_probe), one RX and one TX queue each, one mbuf pool, frame
 * templates, link wait.  Main thread only.
 */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "vfo_port.h"
#include "vfp_live.h"

/* Descriptors per queue asked (the PMD may adjust). */
#define NB_DESC 1024
/* Per-lcore mempool cache. */
#define POOL_CACHE 256

/* Creates the mbuf pool (data room for one --size frame: never chained):
 * every port's rings full, bursts in flight, caches.
 * Returns 0 or -1 with err. */
static int
pool_create(struct vfp_live *l, char *err, size_t errlen)
{
	const struct vfp_opts *o = l->o;
	unsigned int n = o->nports * (2 * NB_DESC + 2 * VFP_MAX_BURST) +
			 rte_lcore_count() * POOL_CACHE + 4096;
	uint16_t room = (uint16_t)RTE_MAX((unsigned int)RTE_MBUF_DEFAULT_BUF_SIZE,
					  RTE_PKTMBUF_HEADROOM + o->size + 64u);

	n = rte_align32pow2(n + 1) - 1;
	l->mp = rte_pktmbuf_pool_create("vfp_mbuf", n, POOL_CACHE, 0, room, (int)rte_socket_id());
	if (l->mp == NULL)
		return snprintf(err, errlen,
				"cannot create a pool of %u mbufs of %u B: %s; reserve more "
				"hugepages (scripts/setup) or lower --size",
				n, room, rte_strerror(rte_errno)),
		       -1;
	return 0;
}

/* Configures and starts port number 'i'.  Returns 0 or -1 with err. */
static int
port_start(struct vfp_live *l, unsigned int i, char *err, size_t errlen)
{
	const struct vfp_opts *o = l->o;
	struct vfp_port *p = &l->ports[i];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = NB_DESC, txd = NB_DESC;
	int ret;

	if (vfo_port_probe(o->ports[i], &p->id, err, errlen) != 0)
		return -1;
	ret = rte_eth_dev_info_get(p->id, &info);
	if (ret != 0)
		return snprintf(err, errlen, "port %u ('%s'): no device info: %s", i, o->ports[i],
				rte_strerror(-ret)),
		       -1;
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	memset(&conf, 0, sizeof(conf));
	if (o->size > RTE_ETHER_MAX_LEN) {
		conf.rxmode.mtu = o->size - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
		if (info.max_mtu < conf.rxmode.mtu)
			return snprintf(err, errlen,
					"port %u ('%s', %s): --size %u needs MTU %u but the port "
					"takes at most %u",
					i, o->ports[i], p->driver, o->size, conf.rxmode.mtu,
					info.max_mtu),
			       -1;
	}
	ret = rte_eth_dev_configure(p->id, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &rxd, &txd);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(
			p->id, 0, rxd, (unsigned int)rte_eth_dev_socket_id(p->id), NULL, l->mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(p->id, 0, txd,
					     (unsigned int)rte_eth_dev_socket_id(p->id), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(p->id);
	if (ret != 0)
		return snprintf(err, errlen, "port %u ('%s', %s): set-up failed: %s", i,
				o->ports[i], p->driver, rte_strerror(-ret)),
		       -1;
	rte_eth_promiscuous_enable(p->id); /* best effort: not every PMD can */
	rte_eth_macaddr_get(p->id, &p->mac);
	return 0;
}

void
vfp_ports_templates(struct vfp_live *l, uint16_t stream)
{
	const struct vfp_opts *o = l->o;
	struct vfp_hdr_params h = {
		.src_ip = o->src_ip,
		.dst_ip = o->dst_ip,
		.flow = VFP_FLOW_PORT_BASE,
		.stream = stream,
	};

	memcpy(h.dst_mac, o->dst_mac, 6);
	for (unsigned int i = 0; i < l->nports_up; i++) {
		memcpy(h.src_mac, o->src_mac_given ? o->src_mac : l->ports[i].mac.addr_bytes, 6);
		vfp_build(l->ports[i].tmpl, sizeof(l->ports[i].tmpl), VFP_FRAME_LEN(o->size), &h, 0,
			  0);
	}
}

/* Waits up to --link-wait-ms for every port's link; warns about those down. */
static void
wait_links(struct vfp_live *l)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * l->o->link_wait_ms / 1000;
	struct rte_eth_link link;
	unsigned int i, up;

	do {
		for (i = 0, up = 0; i < l->o->nports; i++)
			if (rte_eth_link_get_nowait(l->ports[i].id, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP)
				up++;
		if (up == l->o->nports)
			return;
		rte_delay_ms(10);
	} while (rte_get_timer_cycles() < end);
	for (i = 0; i < l->o->nports; i++)
		if (rte_eth_link_get_nowait(l->ports[i].id, &link) != 0 ||
		    link.link_status != RTE_ETH_LINK_UP)
			fprintf(stderr,
				"vfprobe: warning: port %u ('%s') link still down after %u ms\n", i,
				l->o->ports[i], l->o->link_wait_ms);
}

/*
 * Finds the RX timestamp mbuf field and flag (registered by PMDs that stamp
 * packets) and marks the ports whose stamps are the kernel's receive time
 * on CLOCK_REALTIME in µs: net_pcap's (libpcap's header time).  Other PMDs'
 * stamps count in their device's clock and are not used.  A stamp taken
 * when the frame arrived does not move when the RX lcore is late to poll
 * (a CPU shared with busy VMs), so gaps and arrival times stay exact.
 */
static void
find_kernel_stamps(struct vfp_live *l)
{
	int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);

	l->stamp_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	l->stamp_flag = bit >= 0 ? RTE_BIT64(bit) : 0;
	for (unsigned int i = 0; i < l->nports_up; i++)
		l->ports[i].kstamp = l->stamp_off >= 0 && l->stamp_flag != 0 &&
				     strcmp(l->ports[i].driver, "net_pcap") == 0;
}

int
vfp_ports_start(struct vfp_live *l, char *err, size_t errlen)
{
	if (pool_create(l, err, errlen) != 0)
		return -1;
	for (unsigned int i = 0; i < l->o->nports; i++) {
		if (port_start(l, i, err, errlen) != 0)
			return -1;
		l->nports_up = i + 1;
	}
	find_kernel_stamps(l);
	vfp_ports_templates(l, l->o->stream);
	wait_links(l);
	return 0;
}

void
vfp_ports_stop(struct vfp_live *l)
{
	for (unsigned int i = 0; i < l->nports_up; i++) {
		rte_eth_dev_stop(l->ports[i].id);
		rte_eth_dev_close(l->ports[i].id);
	}
	rte_mempool_free(l->mp);
	l->mp = NULL;
}
