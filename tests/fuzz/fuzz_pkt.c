/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pkt.c — libFuzzer harness of vfprobe's frame parser and builder
 * (probe/pkt.c).
 *
 * Input: [wire extra: 2 bytes] [udp checksum flag: 1 byte] [frame...].  The
 * frame (an exact-size heap copy: ASan sees any read past it) is parsed
 * with a wire length of its size plus the extra.  Checks:
 *   - the result is 0 or a foreign reason + 1;
 *   - a frame parsed as a probe packet, built again from what was parsed
 *     (same stream, flow, seq, tsc, tag or not), parses to the same fields;
 *   - re-stamping that frame with other seq/tsc (taken from the input) keeps
 *     its UDP checksum valid (RFC 1624 update), checked from scratch.
 */
#include "fuzz.h"
#include "vfp.h"

/* Returns the ones' complement sum of the big-endian words of p[0..len). */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Returns true when the UDP checksum of probe frame f (len bytes) verifies. */
static bool
udp_csum_ok(const uint8_t *f, size_t len, bool vlan)
{
	const uint8_t *ip = f + (vlan ? 18 : 14), *udp = ip + 20;
	size_t ulen = (size_t)(udp[4] << 8 | udp[5]);
	uint32_t sum;

	if (udp[6] == 0 && udp[7] == 0)
		return true; /* none */
	FUZZ_CHECK((size_t)(udp - f) + ulen <= len);
	sum = sum16(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	sum = sum16(sum, udp, ulen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {.p = data, .left = size};
	uint16_t extra = fuzz_u16(&in);
	bool csum = fuzz_u8(&in) & 1;
	struct vfp_parsed p, q;
	size_t len;
	uint8_t *frame = fuzz_bytes(&in, in.left, &len);
	int r = vfp_parse_cap(frame, len, len + extra, &p);

	FUZZ_CHECK(r >= 0 && r <= VFP_FOREIGN_COUNT);
	FUZZ_CHECK(vfp_foreign_name((enum vfp_foreign)(r ? r - 1 : 0)) != NULL);
	if (r == 0) {
		unsigned int etype = (unsigned int)(frame[12] << 8 | frame[13]);
		bool vlan = etype == 0x8100 || etype == 0x88a8;
		struct vfp_hdr_params hp = {
			.src_ip = 0x0a000001,
			.dst_ip = 0x0a000002,
			.flow = p.flow,
			.stream = p.stream,
			.vlan = vlan,
			.vlan_tci = 100,
			.udp_csum = csum,
		};
		size_t flen =
			(vlan ? VFP_HDR_LEN_VLAN : VFP_HDR_LEN) + VFP_PAYLOAD_LEN + (extra & 63);
		uint8_t buf[VFP_FRAME_MAX];

		FUZZ_CHECK(p.stream < VFP_MAX_STREAMS);
		FUZZ_CHECK(vfp_build(buf, sizeof(buf), flen, &hp, p.seq, p.tsc) == (int)flen);
		FUZZ_CHECK(vfp_parse(buf, flen, &q) == 0);
		FUZZ_CHECK(q.stream == p.stream && q.flow == p.flow && q.seq == p.seq &&
			   q.tsc == p.tsc);
		FUZZ_CHECK(udp_csum_ok(buf, flen, vlan));
		/* Stamp with numbers made from the input's own, swapped about. */
		vfp_stamp(buf, vlan, p.tsc ^ ((uint64_t)extra << 48), ~p.seq);
		FUZZ_CHECK(vfp_parse(buf, flen, &q) == 0);
		FUZZ_CHECK(q.seq == (p.tsc ^ ((uint64_t)extra << 48)) && q.tsc == ~p.seq);
		FUZZ_CHECK(udp_csum_ok(buf, flen, vlan));
	}
	free(frame);
	return 0;
}
