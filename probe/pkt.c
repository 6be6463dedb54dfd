/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkt.c — probe frame parser and builder (see vfp.h).
 *
 * Byte access goes through small load/store helpers on byte pointers, so
 * that nothing depends on alignment or host byte order.  Thread-safety: all
 * functions are reentrant.
 */
#include <endian.h>
#include <string.h>

#include "vfp.h"

#define ETH_HLEN       14u
#define VLAN_HLEN      4u
#define ETYPE_IPV4     0x0800
#define ETYPE_VLAN     0x8100
#define ETYPE_QINQ     0x88a8
#define IP4_HLEN       20u
#define UDP_HLEN       8u
#define IPPROTO_UDP_   17
#define IP4_OFF_MF     0x3fff /* MF flag + fragment offset */
#define PAYLOAD_OFF(v) ((v) ? VFP_HDR_LEN_VLAN : VFP_HDR_LEN)

/* Returns the big-endian 16-bit word at p. */
static inline uint16_t
ld_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Writes v big-endian at p. */
static inline void
st_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Returns the little-endian 16-bit word at p. */
static inline uint16_t
ld_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Returns the little-endian 64-bit word at p (any alignment). */
static inline uint64_t
ld_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* Writes v little-endian at p (8 bytes, any alignment). */
static inline void
st_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* Returns the ones' complement sum (unfolded, 32-bit) of the big-endian
 * words of p[0..len), a trailing odd byte padded with zero; adds 'sum'. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += ld_be16(p + i);
		if (sum & 0x80000000u)
			sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Returns the folded 16-bit ones' complement of 'sum'. */
static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
vfp_parse_cap(const uint8_t *frame, size_t caplen, size_t wirelen, struct vfp_parsed *out)
{
	size_t l3 = ETH_HLEN, ihl, iplen, udplen;
	uint16_t etype, dport;
	const uint8_t *ip, *udp, *pl;

	if (wirelen < caplen)
		wirelen = caplen;
	if (frame == NULL || caplen < ETH_HLEN)
		return VFP_FOREIGN_TRUNCATED + 1;
	etype = ld_be16(frame + 12);
	if (etype == ETYPE_VLAN || etype == ETYPE_QINQ) {
		if (caplen < ETH_HLEN + VLAN_HLEN)
			return VFP_FOREIGN_TRUNCATED + 1;
		etype = ld_be16(frame + 16);
		l3 += VLAN_HLEN;
	}
	if (etype != ETYPE_IPV4)
		return VFP_FOREIGN_NOT_UDP4 + 1;
	if (caplen < l3 + IP4_HLEN)
		return VFP_FOREIGN_TRUNCATED + 1;
	ip = frame + l3;
	if ((ip[0] >> 4) != 4)
		return VFP_FOREIGN_NOT_UDP4 + 1;
	if (ip[9] != IPPROTO_UDP_ || (ld_be16(ip + 6) & IP4_OFF_MF) != 0)
		return VFP_FOREIGN_NOT_UDP4 + 1;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < IP4_HLEN)
		return VFP_FOREIGN_LENGTH + 1;
	iplen = ld_be16(ip + 2);
	/* The IP datagram must hold its header, UDP and our payload, and fit
	 * the frame (which may be longer: Ethernet padding). */
	if (iplen < ihl + UDP_HLEN + VFP_PAYLOAD_LEN || l3 + iplen > wirelen)
		return VFP_FOREIGN_LENGTH + 1;
	if (caplen < l3 + ihl + UDP_HLEN + VFP_PAYLOAD_LEN)
		return VFP_FOREIGN_TRUNCATED + 1;
	udp = ip + ihl;
	udplen = ld_be16(udp + 4);
	if (udplen != iplen - ihl)
		return VFP_FOREIGN_LENGTH + 1;
	dport = ld_be16(udp + 2);
	if (dport < VFP_UDP_PORT_BASE || dport >= VFP_UDP_PORT_BASE + VFP_MAX_STREAMS)
		return VFP_FOREIGN_PORT + 1;
	pl = udp + UDP_HLEN;
	if (ld_le16(pl) != VFP_MAGIC)
		return VFP_FOREIGN_MAGIC + 1;
	out->stream = (uint16_t)(dport - VFP_UDP_PORT_BASE);
	out->flow = ld_be16(udp);
	out->seq = ld_le64(pl + 2);
	out->tsc = ld_le64(pl + 10);
	return 0;
}

int
vfp_parse(const uint8_t *frame, size_t len, struct vfp_parsed *out)
{
	return vfp_parse_cap(frame, len, len, out);
}

int
vfp_build(uint8_t *buf, size_t cap, size_t frame_len, const struct vfp_hdr_params *p, uint64_t seq,
	  uint64_t tsc)
{
	size_t l3 = p->vlan ? ETH_HLEN + VLAN_HLEN : ETH_HLEN;
	size_t iplen = frame_len - l3, udplen = iplen - IP4_HLEN;
	uint8_t *ip = buf + l3, *udp = ip + IP4_HLEN, *pl = udp + UDP_HLEN;
	uint32_t sum;

	if (frame_len < PAYLOAD_OFF(p->vlan) + VFP_PAYLOAD_LEN || frame_len > VFP_FRAME_MAX ||
	    frame_len > cap || buf == NULL)
		return -1;
	memcpy(buf, p->dst_mac, 6);
	memcpy(buf + 6, p->src_mac, 6);
	if (p->vlan) {
		st_be16(buf + 12, ETYPE_VLAN);
		st_be16(buf + 14, p->vlan_tci);
		st_be16(buf + 16, ETYPE_IPV4);
	} else {
		st_be16(buf + 12, ETYPE_IPV4);
	}
	ip[0] = 0x45;
	ip[1] = 0;
	st_be16(ip + 2, (uint16_t)iplen);
	st_be16(ip + 4, 0);	 /* identification */
	st_be16(ip + 6, 0x4000); /* DF */
	ip[8] = p->ttl ? p->ttl : 64;
	ip[9] = IPPROTO_UDP_;
	st_be16(ip + 10, 0);
	st_be16(ip + 12, (uint16_t)(p->src_ip >> 16));
	st_be16(ip + 14, (uint16_t)p->src_ip);
	st_be16(ip + 16, (uint16_t)(p->dst_ip >> 16));
	st_be16(ip + 18, (uint16_t)p->dst_ip);
	st_be16(ip + 10, csum_fold(csum_add(0, ip, IP4_HLEN)));

	st_be16(udp, p->flow);
	st_be16(udp + 2, (uint16_t)(VFP_UDP_PORT_BASE + p->stream));
	st_be16(udp + 4, (uint16_t)udplen);
	st_be16(udp + 6, 0);
	pl[0] = (uint8_t)VFP_MAGIC;
	pl[1] = (uint8_t)(VFP_MAGIC >> 8);
	st_le64(pl + 2, seq);
	st_le64(pl + 10, tsc);
	memset(pl + VFP_PAYLOAD_LEN, 0, udplen - UDP_HLEN - VFP_PAYLOAD_LEN);
	if (p->udp_csum) {
		uint16_t c;

		/* Pseudo-header: addresses, protocol, UDP length. */
		sum = csum_add(0, ip + 12, 8);
		sum += IPPROTO_UDP_ + (uint32_t)udplen;
		sum = csum_add(sum, udp, udplen);
		c = csum_fold(sum);
		st_be16(udp + 6, c ? c : 0xffff);
	}
	return (int)frame_len;
}

void
vfp_stamp(uint8_t *frame, bool vlan, uint64_t seq, uint64_t tsc)
{
	uint8_t *pl = frame + PAYLOAD_OFF(vlan);
	uint8_t *csum = pl - 2; /* UDP checksum field */
	uint8_t old[16];
	uint32_t sum;
	uint16_t c = ld_be16(csum);

	if (c == 0) { /* no checksum: just write */
		st_le64(pl + 2, seq);
		st_le64(pl + 10, tsc);
		return;
	}
	memcpy(old, pl + 2, sizeof(old));
	st_le64(pl + 2, seq);
	st_le64(pl + 10, tsc);
	/* RFC 1624: HC' = ~(~HC + ~m + m'); seq/tsc start at an even offset of
	 * the UDP header, so their 16-bit words are checksum words. */
	sum = (uint16_t)~c;
	for (int i = 0; i < 16; i += 2)
		sum += (uint16_t)~ld_be16(old + i) + (uint32_t)ld_be16(pl + 2 + i);
	c = csum_fold(sum);
	st_be16(csum, c ? c : 0xffff);
}

const char *
vfp_foreign_name(enum vfp_foreign reason)
{
	static const char *const names[VFP_FOREIGN_COUNT] = {
		[VFP_FOREIGN_TRUNCATED] = "truncated", [VFP_FOREIGN_NOT_UDP4] = "not_udp4",
		[VFP_FOREIGN_PORT] = "port",	       [VFP_FOREIGN_MAGIC] = "magic",
		[VFP_FOREIGN_LENGTH] = "length",       [VFP_FOREIGN_SEQ] = "seq",
	};

	return (unsigned int)reason < VFP_FOREIGN_COUNT ? names[reason] : "unknown";
}
