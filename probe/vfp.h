/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp.h — vfprobe's packet format: building and parsing probe frames.
 *
 * A probe packet is Ethernet (optionally one 802.1Q tag) / IPv4 / UDP.  The
 * stream id travels in the UDP destination port (VFP_UDP_PORT_BASE + stream),
 * flows vary the UDP source port, and the first VFP_PAYLOAD_LEN bytes of the
 * UDP payload are a struct vfp_payload (little-endian).  At 64 B on the wire
 * (60 B without FCS) that is exactly what fits after the 42 B of Ethernet,
 * IPv4 and UDP headers.  Larger frames are padded with zeros.
 *
 * Everything here is plain C (no DPDK), so that the live generator/receiver,
 * the offline pcap reader and the unit tests share it.
 *
 * Thread-safety: every function is reentrant (no global state).
 */
#ifndef VFP_H
#define VFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** First UDP destination port; stream s uses VFP_UDP_PORT_BASE + s. */
#define VFP_UDP_PORT_BASE 49152
/** Most streams (stream ids are 0..VFP_MAX_STREAMS-1). */
#define VFP_MAX_STREAMS 256
/** The payload's magic: "VF" read as a little-endian 16-bit word. */
#define VFP_MAGIC 0x5646

/** The probe payload, little-endian, packed: 18 bytes. */
struct vfp_payload {
	uint16_t magic; /**< VFP_MAGIC */
	uint64_t seq;	/**< per-stream sequence number, from 0 */
	uint64_t tsc;	/**< sender's TSC when the packet was stamped */
} __attribute__((packed));

#define VFP_PAYLOAD_LEN ((unsigned int)sizeof(struct vfp_payload))
/** Ethernet + IPv4 (no options) + UDP header bytes, untagged. */
#define VFP_HDR_LEN 42u
/** Same with one 802.1Q tag. */
#define VFP_HDR_LEN_VLAN 46u
/** Smallest probe frame without FCS, untagged: 60 B (64 B on the wire). */
#define VFP_FRAME_MIN (VFP_HDR_LEN + VFP_PAYLOAD_LEN)
/** Largest frame vfp_build() writes (without FCS): a 9000 B IP MTU + headers. */
#define VFP_FRAME_MAX 9018u
/** Frame length without FCS for a size on the wire (with its 4 B FCS). */
#define VFP_FRAME_LEN(wire_size) ((wire_size)-4u)

/** Why a received frame is not a probe packet. */
enum vfp_foreign {
	VFP_FOREIGN_TRUNCATED = 0, /**< shorter than the headers + payload it announces */
	VFP_FOREIGN_NOT_UDP4,	   /**< not IPv4/UDP, or an IPv4 fragment (one VLAN tag is looked
				      through) */
	VFP_FOREIGN_PORT,	   /**< UDP destination port outside the stream range */
	VFP_FOREIGN_MAGIC,	   /**< wrong magic */
	VFP_FOREIGN_LENGTH,	   /**< IPv4/UDP lengths disagree with each other or the frame */
	VFP_FOREIGN_SEQ,	   /**< sequence number 2^64 - 1: no sender gets there, and the
				      analyzer's head (highest + 1) could not hold it */
	VFP_FOREIGN_COUNT,	   /**< number of reasons */
};

/** A probe packet's fields, as parsed from a frame. */
struct vfp_parsed {
	uint16_t stream; /**< stream id (UDP destination port - VFP_UDP_PORT_BASE) */
	uint16_t flow;	 /**< UDP source port */
	uint64_t seq;	 /**< sequence number */
	uint64_t tsc;	 /**< sender's TSC */
};

/** What vfp_build() writes: addresses, ports, optional VLAN tag. */
struct vfp_hdr_params {
	uint8_t dst_mac[6]; /**< Ethernet destination */
	uint8_t src_mac[6]; /**< Ethernet source */
	uint32_t src_ip;    /**< IPv4 source, host byte order */
	uint32_t dst_ip;    /**< IPv4 destination, host byte order */
	uint16_t flow;	    /**< UDP source port */
	uint16_t stream;    /**< stream id; UDP destination port is VFP_UDP_PORT_BASE + stream */
	bool vlan;	    /**< insert one 802.1Q tag */
	uint16_t vlan_tci;  /**< its TCI (PCP/DEI/VID), when 'vlan' */
	uint8_t ttl;	    /**< IPv4 TTL; 0 means 64 */
	bool udp_csum;	    /**< compute the UDP checksum (else 0, "none", legal in IPv4) */
};

/**
 * Parses the Ethernet frame frame[0..caplen) whose length on the wire
 * (without FCS) was wirelen >= caplen (a capture may keep only the first
 * caplen bytes: a probe packet is still recognised when its headers and
 * payload were kept; lengths are checked against wirelen).  Looks through
 * one 802.1Q/802.1ad tag.  Returns 0 with 'out' filled, or the enum
 * vfp_foreign reason + 1 when it is not a probe packet ('out' then
 * unspecified).  Never reads past caplen.  Changes nothing else.
 */
int vfp_parse_cap(const uint8_t *frame, size_t caplen, size_t wirelen, struct vfp_parsed *out);

/**
 * Parses the complete frame frame[0..len): vfp_parse_cap(frame, len, len,
 * out).  Returns 0 or the enum vfp_foreign reason + 1.
 */
int vfp_parse(const uint8_t *frame, size_t len, struct vfp_parsed *out);

/**
 * Writes a complete probe frame of frame_len bytes (without FCS: 60 for a
 * 64 B frame on the wire, 64 with a VLAN tag) into buf[0..cap): headers from
 * 'p', IPv4 header checksum, payload (magic, seq, tsc), zero padding and the
 * UDP checksum when p->udp_csum.  Returns frame_len, or -1 when frame_len is
 * below the minimum for the tag setting, above VFP_FRAME_MAX, or larger than
 * cap (buf then untouched).
 */
int vfp_build(uint8_t *buf, size_t cap, size_t frame_len, const struct vfp_hdr_params *p,
	      uint64_t seq, uint64_t tsc);

/**
 * Rewrites seq and tsc of a frame vfp_build() wrote (vlan: whether it was
 * built with a tag), updating the UDP checksum incrementally (RFC 1624) when
 * it is not 0; the generator builds a template once and stamps each copy.
 * Returns nothing; changes 16 payload bytes and the checksum.
 */
void vfp_stamp(uint8_t *frame, bool vlan, uint64_t seq, uint64_t tsc);

/** Returns a short name of a foreign reason ("truncated", "not_udp4", ...). */
const char *vfp_foreign_name(enum vfp_foreign reason);

#endif /* VFP_H */
