/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * announce.c — telling the network where the uplink MAC now lives after a
 * switch: a RARP frame (as QEMU sends after a migration), a gratuitous ARP
 * when the uplink has an IPv4 address and an unsolicited Neighbor
 * Advertisement (RFC 4861) when it has an IPv6 address, sent on the active
 * member so that switches update their tables and neighbours their caches.
 * Also builds the ARP requests of the path check (uplink_path.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "uplink_private.h"
#include "vfo_log.h"

/* EtherType of RARP. */
#define ETHER_TYPE_RARP 0x8035
/* ARP opcode of a RARP request ("reverse request"). */
#define RARP_OP_REQUEST 3
/* Every ARP-format frame is padded to the 60 B minimum. */
#define ANNOUNCE_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)
/* ICMPv6 type of a Neighbor Advertisement. */
#define ICMP6_NA 136
/* Override flag of a Neighbor Advertisement: replace the cached address. */
#define NA_FLAG_OVERRIDE 0x20000000u
/* Neighbor Discovery option: Target Link-Layer Address, 1 unit of 8 bytes. */
#define ND_OPT_TLLA	2
#define ND_OPT_TLLA_LEN 1
/* Hop limit of every Neighbor Discovery message (receivers drop others). */
#define ND_HOP_LIMIT 255

/* A Neighbor Advertisement (RFC 4861 4.4) with a Target Link-Layer Address
 * option: what follows the IPv6 header (packed: it starts 54 B into the
 * frame, like DPDK's own protocol headers). */
struct na_msg {
	uint8_t type;			     /* ICMP6_NA */
	uint8_t code;			     /* 0 */
	rte_be16_t cksum;		     /* ICMPv6 checksum (with the pseudo-header) */
	rte_be32_t flags;		     /* router, solicited, override flags */
	uint8_t target[16];		     /* the address advertised */
	uint8_t opt_type;		     /* ND_OPT_TLLA */
	uint8_t opt_len;		     /* ND_OPT_TLLA_LEN (units of 8 bytes) */
	uint8_t opt_mac[RTE_ETHER_ADDR_LEN]; /* the link-layer address of target */
} __rte_packed;

/* Length of a Neighbor Advertisement frame without FCS: 86 B. */
#define NA_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + sizeof(struct na_msg))

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

void
uplink__build_na(struct rte_mbuf *m, const struct rte_ether_addr *mac, const uint8_t addr[16])
{
	/* ff02::1, all nodes on the link, and its multicast MAC. */
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	static const struct rte_ether_addr all_nodes_mac = {{0x33, 0x33, 0, 0, 0, 0x01}};
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct na_msg *na = (struct na_msg *)(ip + 1);

	RTE_BUILD_BUG_ON(sizeof(struct na_msg) != 32);
	memset(eth, 0, NA_LEN);
	rte_ether_addr_copy(&all_nodes_mac, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(sizeof(*na));
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ND_HOP_LIMIT;
	memcpy(ip->src_addr, addr, sizeof(ip->src_addr));
	memcpy(ip->dst_addr, all_nodes, sizeof(ip->dst_addr));
	na->type = ICMP6_NA;
	na->flags = rte_cpu_to_be_32(NA_FLAG_OVERRIDE); /* unsolicited: S clear */
	memcpy(na->target, addr, sizeof(na->target));
	na->opt_type = ND_OPT_TLLA;
	na->opt_len = ND_OPT_TLLA_LEN;
	memcpy(na->opt_mac, mac->addr_bytes, sizeof(na->opt_mac));
	/* Over the pseudo-header (addresses, length, next header 58) and the
	 * message; a sum of 0 comes out as 0xffff, the same in ones' complement. */
	na->cksum = rte_ipv6_udptcp_cksum(ip, na);
	m->data_len = NA_LEN;
	m->pkt_len = NA_LEN;
}

int
vfo_uplink_announce(struct vfo_uplink *u)
{
	static const struct rte_ether_addr zero;
	struct rte_mempool *mp;
	uint16_t n = 1 + (u->params.ipv4 != 0) + u->params.has_ipv6, i = 1;
	int active = vfo_uplink_active(u);

	if (active < 0)
		return -ENODEV;
	if (__atomic_load_n(&u->ctl_n, __ATOMIC_ACQUIRE) != 0)
		return -EBUSY;
	mp = u->params.pool_for_socket(u->member[active].socket, u->params.pool_arg);
	if (mp == NULL || rte_pktmbuf_alloc_bulk(mp, u->ctl_pkts, n) != 0)
		return -ENOMEM;
	uplink__build_arp(u->ctl_pkts[0], ETHER_TYPE_RARP, RARP_OP_REQUEST, &u->mac, 0, 0, &u->mac);
	if (u->params.ipv4 != 0)
		uplink__build_arp(u->ctl_pkts[i++], RTE_ETHER_TYPE_ARP, RTE_ARP_OP_REQUEST, &u->mac,
				  u->params.ipv4, u->params.ipv4, &zero);
	if (u->params.has_ipv6)
		uplink__build_na(u->ctl_pkts[i], &u->mac, u->params.ipv6);
	__atomic_store_n(&u->ctl_n, n, __ATOMIC_SEQ_CST);
	uplink__wake_workers(u);
	return n;
}
