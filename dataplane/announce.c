/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * announce.c — telling the network where the uplink MAC now lives after a
 * switch: a RARP frame (as QEMU sends after a migration) and, when the
 * uplink has an IPv4 address, a gratuitous ARP, broadcast on the active
 * member so that switches update their tables.  Also builds the ARP
 * requests of the path check (uplink_path.c).
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "uplink_private.h"
#include "vfo_log.h"

/* EtherType of RARP. */
#define ETHER_TYPE_RARP 0x8035
/* ARP opcode of a RARP request ("reverse request"). */
#define RARP_OP_REQUEST 3
/* Every ARP-format frame is padded to the 60 B minimum. */
#define ANNOUNCE_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)

void
uplink__build_arp(struct rte_mbuf *m, uint16_t type, uint16_t op, const struct rte_ether_addr *mac,
		  uint32_t sip, uint32_t tip, const struct rte_ether_addr *tha)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(eth, 0, ANNOUNCE_LEN);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(type);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	m->data_len = ANNOUNCE_LEN;
	m->pkt_len = ANNOUNCE_LEN;
}

int
vfo_uplink_announce(struct vfo_uplink *u)
{
	static const struct rte_ether_addr zero;
	struct rte_mempool *mp;
	uint16_t n = u->params.ipv4 != 0 ? 2 : 1;
	int active = vfo_uplink_active(u);

	if (active < 0)
		return -ENODEV;
	if (__atomic_load_n(&u->ctl_n, __ATOMIC_ACQUIRE) != 0)
		return -EBUSY;
	mp = u->params.pool_for_socket(u->member[active].socket, u->params.pool_arg);
	if (mp == NULL || rte_pktmbuf_alloc_bulk(mp, u->ctl_pkts, n) != 0)
		return -ENOMEM;
	uplink__build_arp(u->ctl_pkts[0], ETHER_TYPE_RARP, RARP_OP_REQUEST, &u->mac, 0, 0, &u->mac);
	if (n == 2)
		uplink__build_arp(u->ctl_pkts[1], RTE_ETHER_TYPE_ARP, RTE_ARP_OP_REQUEST, &u->mac,
				  u->params.ipv4, u->params.ipv4, &zero);
	__atomic_store_n(&u->ctl_n, n, __ATOMIC_SEQ_CST);
	uplink__wake_workers(u);
	return n;
}
