/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_hash.h — the flow table's keyed hash: SipHash-c-d (Aumasson and
 * Bernstein, 2012) with a secret 128-bit key drawn at every start.
 *
 * Why not CRC32 with a random seed: CRC is affine in its input, so two keys
 * of the same length that collide under one seed collide under every seed; a
 * sender who can choose 5-tuples (any host on the wire) can compute a million
 * colliding flows offline and turn every lookup into a walk of one overflow
 * chain.  SipHash is a keyed pseudo-random function: without the key,
 * collisions cannot be computed.  The table uses SipHash-1-3 (one
 * compression round per 8-byte word, three finalisation rounds), as Linux's
 * hsiphash does on 64-bit machines for its network hash tables; the unit
 * tests check this code against the published SipHash-2-4 vectors.
 *
 * Everything is inline: with a constant 'len' (the 16-byte flow key) the
 * compiler unrolls it into straight-line code.  Reentrant; no state.
 */
#ifndef VFO_FLOW_HASH_H
#define VFO_FLOW_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

/** A SipHash key: two little-endian 64-bit words of the 16 key bytes. */
struct vfo_siphash_key {
	uint64_t k0; /**< key bytes 0..7 */
	uint64_t k1; /**< key bytes 8..15 */
};

/** Rotates 'x' left by 'b' bits. */
static __rte_always_inline uint64_t
vfo_sip_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

/** One SipRound over the state v[0..3]. */
static __rte_always_inline void
vfo_sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = vfo_sip_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = vfo_sip_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = vfo_sip_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = vfo_sip_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = vfo_sip_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = vfo_sip_rotl(v[2], 32);
}

/** Absorbs the 64-bit message word 'm' with 'c' rounds. */
static __rte_always_inline void
vfo_sip_absorb(uint64_t v[4], uint64_t m, unsigned int c)
{
	unsigned int i;

	v[3] ^= m;
	for (i = 0; i < c; i++)
		vfo_sip_round(v);
	v[0] ^= m;
}

/**
 * Returns SipHash-c-d of msg[0..len) under key 'k' (the 64-bit output of
 * the reference implementation).  'c' and 'd' are the compression and
 * finalisation rounds (2, 4 for SipHash-2-4; 1, 3 for SipHash-1-3).
 */
static __rte_always_inline uint64_t
vfo_siphash(const struct vfo_siphash_key *k, const void *msg, size_t len, unsigned int c,
	    unsigned int d)
{
	const uint8_t *p = msg;
	uint64_t v[4] = {
		k->k0 ^ UINT64_C(0x736f6d6570736575),
		k->k1 ^ UINT64_C(0x646f72616e646f6d),
		k->k0 ^ UINT64_C(0x6c7967656e657261),
		k->k1 ^ UINT64_C(0x7465646279746573),
	};
	uint64_t m, last = (uint64_t)len << 56;
	size_t i, tail = len & 7;
	unsigned int r;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, sizeof(m));
		vfo_sip_absorb(v, rte_le_to_cpu_64(m), c);
	}
	for (r = 0; r < tail; r++)
		last |= (uint64_t)p[i + r] << (8 * r);
	vfo_sip_absorb(v, last, c);
	v[2] ^= 0xff;
	for (r = 0; r < d; r++)
		vfo_sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

#endif /* VFO_FLOW_HASH_H */
