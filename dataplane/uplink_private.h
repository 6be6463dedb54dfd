/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_private.h — what uplink.c and uplink_member.c share: member bring-up
 * and release, view publishing.  Control side; call with the uplink lock held
 * where noted.
 */
#ifndef VFO_UPLINK_PRIVATE_H
#define VFO_UPLINK_PRIVATE_H

#include "vfo_errf.h"
#include "vfo_uplink.h"

/**
 * Probes member 'id' from u->member[id].devargs (unless EAL already did) and
 * finds its one ethdev port.  Returns 0, or -1 with 'err' set.
 */
int uplink__member_probe(struct vfo_uplink *u, enum vfo_member_id id, char *err, size_t errlen)
	VFO_REQUIRES(u->lock);

/**
 * Configures member 'id' with the uplink's settings (queues, RSS,
 * descriptors, MTU, VLAN filters, promiscuous and all-multicast modes) and
 * starts it; a setting the PMD refuses is logged, not fatal (the member
 * comes back as it was first brought up).  Returns 0, or -1 with 'err' naming the port.
 */
int uplink__member_start(struct vfo_uplink *u, enum vfo_member_id id, char *err, size_t errlen)
	VFO_REQUIRES(u->lock);

/** Programs the uplink MAC on member 'id'; a refusal is logged, not fatal. */
void uplink__member_set_mac(struct vfo_uplink *u, enum vfo_member_id id) VFO_REQUIRES(u->lock);

/** Stops, closes and removes member 'id' if present, keeping its PMD counters. */
void uplink__member_release(struct vfo_uplink *u, enum vfo_member_id id) VFO_REQUIRES(u->lock);

/**
 * Publishes a view in which every started member is polled (active first)
 * and 'active' (-1: none) transmits.  Call with the lock held; the caller
 * waits for the grace period before touching a member left out.
 */
void uplink__publish_view(struct vfo_uplink *u, int active) VFO_REQUIRES(u->lock);

/** Sums member 'id''s packet counters over every queue into *rx and *tx. */
void uplink__member_pkts(const struct vfo_uplink *u, enum vfo_member_id id, uint64_t *rx,
			 uint64_t *tx);

/** Waits until no registered worker can still hold the previous view. */
void uplink__wait_grace(struct vfo_uplink *u);

/**
 * Writes into 'm' a broadcast ARP-format frame (60 B) of EtherType 'type'
 * and opcode 'op' from 'mac', with sender / target protocol addresses 'sip'
 * / 'tip' (host order) and target hardware address 'tha'.
 */
void uplink__build_arp(struct rte_mbuf *m, uint16_t type, uint16_t op,
		       const struct rte_ether_addr *mac, uint32_t sip, uint32_t tip,
		       const struct rte_ether_addr *tha);

/**
 * Writes into 'm' an unsolicited Neighbor Advertisement (86 B) from 'mac'
 * for the IPv6 address 'addr' (network order): to ff02::1 from 'addr', hop
 * limit 255, override flag set, target 'addr', Target Link-Layer Address
 * option 'mac', ICMPv6 checksum filled in.
 */
void uplink__build_na(struct rte_mbuf *m, const struct rte_ether_addr *mac, const uint8_t addr[16]);

#endif /* VFO_UPLINK_PRIVATE_H */
