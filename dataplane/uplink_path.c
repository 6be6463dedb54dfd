/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_path.c — the data-plane half of path liveness: the control
 * thread's ARP requests handed to the thread owning queue 0 and sent on a
 * given member, and the ARP replies from the target consumed and counted per
 * member by the liveness loop (vfo_view_rx_burst_live).  The decisions are
 * in control/failover_path.c.
 */
#include <errno.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "uplink_private.h"

/* Packs a MAC into the low 48 bits of a path_peer word (known bit set). */
static inline uint64_t
peer_pack(const struct rte_ether_addr *a)
{
	uint64_t v = VFO_PATH_PEER_KNOWN;
	unsigned int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v |= (uint64_t)a->addr_bytes[i] << (8 * i);
	return v;
}

/* Unpacks a path_peer word into 'a'. */
static inline void
peer_unpack(uint64_t v, struct rte_ether_addr *a)
{
	unsigned int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		a->addr_bytes[i] = (uint8_t)(v >> (8 * i));
}

int
vfo_uplink_probe(struct vfo_uplink *u, enum vfo_member_id id, uint32_t target)
{
	static const struct rte_ether_addr zero;
	const uint64_t replies = vfo_uplink_member_path_replies(u, id);
	const uint64_t peer = __atomic_load_n(&u->path_peer[id], __ATOMIC_RELAXED);
	struct rte_ether_addr dst;
	struct rte_mempool *mp;
	struct rte_mbuf *m;

	if (__atomic_load_n(&u->probe_pkt[id], __ATOMIC_ACQUIRE) != NULL)
		return -EBUSY;
	mp = u->params.pool_for_socket(u->member[id].socket, u->params.pool_arg);
	m = mp != NULL ? rte_pktmbuf_alloc(mp) : NULL;
	if (m == NULL)
		return -ENOMEM;
	uplink__build_arp(m, RTE_ETHER_TYPE_ARP, RTE_ARP_OP_REQUEST, &u->mac, u->params.ipv4,
			  target, &zero);
	if ((peer & VFO_PATH_PEER_KNOWN) && replies != u->probe_replies_at[id]) {
		peer_unpack(peer, &dst);
		rte_ether_addr_copy(&dst, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
	}
	u->probe_replies_at[id] = replies;
	__atomic_store_n(&u->probe_pkt[id], m, __ATOMIC_SEQ_CST);
	uplink__wake_workers(u);
	return 0;
}

void
vfo__path_tx(struct vfo_uplink *u)
{
	const struct vfo_uplink_view *v = vfo_uplink_view(u);
	uint8_t id, i;

	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		struct rte_mbuf *m = __atomic_load_n(&u->probe_pkt[id], __ATOMIC_ACQUIRE);
		uint16_t sent = 0;

		if (m == NULL)
			continue;
		/* The member's port, if the view polls it (so it is started). */
		for (i = 0; i < v->nb_rx; i++)
			if (v->rx_member[i] == id)
				sent = (vfo_tsan_release(m),
					rte_eth_tx_burst(v->rx_port[i], 0, &m, 1));
		if (sent == 0) {
			rte_pktmbuf_free(m);
			__atomic_fetch_add(&u->probe_unsent, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_store_n(&u->path_until_tsc, rte_rdtsc() + u->path_window_tsc,
					 __ATOMIC_RELAXED);
		}
		__atomic_store_n(&u->probe_pkt[id], NULL, __ATOMIC_RELEASE);
	}
}

uint16_t
vfo__path_filter(struct vfo_uplink *u, uint16_t q, uint8_t member, struct rte_mbuf **pkts,
		 uint16_t n)
{
	const rte_be32_t target = rte_cpu_to_be_32(u->params.arp_target);
	const rte_be16_t arp_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	const rte_be16_t reply = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	uint16_t i, kept = 0, hits = 0;

	/* The EtherType is the only packet data io forwarding ever reads:
	 * fetch every header of the burst before looking at the first. */
	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

		if (unlikely(eth->ether_type == arp_type) &&
		    rte_pktmbuf_data_len(m) >= sizeof(*eth) + sizeof(*arp) &&
		    arp->arp_opcode == reply && arp->arp_data.arp_sip == target) {
			__atomic_store_n(&u->path_peer[member], peer_pack(&arp->arp_data.arp_sha),
					 __ATOMIC_RELAXED);
			rte_pktmbuf_free(m);
			hits++;
			continue;
		}
		pkts[kept++] = m;
	}
	vfo_counter_add(&u->qstats[q].path_replies[member], hits);
	return kept;
}

uint64_t
vfo_uplink_member_path_replies(const struct vfo_uplink *u, enum vfo_member_id id)
{
	uint64_t n = 0;
	uint16_t q;

	for (q = 0; q < u->nb_queues; q++)
		n += __atomic_load_n(&u->qstats[q].path_replies[id], __ATOMIC_RELAXED);
	return n;
}
