/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_analyzer.c — unit tests of vfprobe's core: probe frames (vfp_build,
 * vfp_stamp, vfp_parse on foreign, truncated and malformed frames, each in a
 * buffer of exactly its length so that ASan catches any over-read), the
 * sequence analyzer (loss, duplicates, reorder, late, reset, gaps by
 * sequence and by silence with their times, finish, timeline, events,
 * latency percentiles, 1,000,000 packets with random drops against a
 * reference), the JSON report, and the offline pcap reader with the gap
 * pcap (pcap written with libpcap, read back, numbers compared exactly).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <pcap/pcap.h>

#include "vfp.h"
#include "vfp_analyzer.h"
#include "vfp_gapcap.h"
#include "vfp_offline.h"
#include "vfp_report.h"

/* ---------------------------------------------------------------- helpers */

/* Returns a new analyzer with window w and silence threshold gap_us (other
 * fields default, 4 streams, 2 ports); fails the test if creation fails. */
static struct vfp_analyzer *
mk(uint32_t w, uint64_t gap_us)
{
	struct vfp_analyzer_conf c = {.window = w, .gap_us = gap_us, .nstreams = 4, .nports = 2};
	char err[256];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));

	if (a == NULL)
		fail_msg("create: %s", err);
	return a;
}

/* Feeds one packet (stream s, number seq) at time t on port; returns the
 * VFP_RX_* bits. */
static unsigned int
rx(struct vfp_analyzer *a, uint16_t s, uint64_t seq, uint64_t t, uint16_t port)
{
	struct vfp_parsed p = {.stream = s, .seq = seq};

	return vfp_analyzer_rx(a, port, t, 0, &p);
}

/* Returns stream s's counters. */
static struct vfp_stream_stats
st(const struct vfp_analyzer *a, uint32_t s)
{
	struct vfp_stream_stats o;

	assert_int_equal(vfp_analyzer_stream_stats(a, s, &o), 0);
	return o;
}

/* Returns a copy of frame[0..len) in a heap buffer of exactly len bytes (so
 * that ASan flags a read past it); len 0 gives a 1-byte allocation. */
static uint8_t *
exact(const uint8_t *frame, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	memcpy(b, frame, len);
	return b;
}

/* Parses a copy of frame[0..len) of exactly len bytes; returns vfp_parse(). */
static int
parse_exact(const uint8_t *frame, size_t len, struct vfp_parsed *p)
{
	uint8_t *b = exact(frame, len);
	int r = vfp_parse(b, len, p);

	free(b);
	return r;
}

/* Returns the ones' complement sum of the big-endian words of p[0..n) + s. */
static uint32_t
sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Asserts the IPv4 header checksum and the UDP checksum (pseudo-header
 * included) of the probe frame f of len bytes with l3 offset l3. */
static void
check_csums(const uint8_t *f, size_t l3)
{
	const uint8_t *ip = f + l3, *udp = ip + 20;
	size_t ulen = (size_t)(udp[4] << 8 | udp[5]);
	uint32_t s;

	assert_int_equal(sum16(0, ip, 20), 0xffff);
	s = sum16(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	assert_int_equal(sum16(s, udp, ulen), 0xffff);
}

/* A default header for the tests. */
static const struct vfp_hdr_params hp = {
	.dst_mac = {0x02, 0, 0, 0, 0, 2},
	.src_mac = {0x02, 0, 0, 0, 0, 1},
	.src_ip = 0xc0a80001,
	.dst_ip = 0xc0a80002,
	.flow = 1024,
	.stream = 3,
	.udp_csum = true,
};

/* ------------------------------------------------------------ packet format */

/* vfp_build writes a frame vfp_parse reads back, checksums right, with and
 * without VLAN, at 60 and 1514 B; vfp_stamp keeps the UDP checksum right. */
static void
test_build_parse(void **state)
{
	uint8_t f[VFP_FRAME_MAX], g[VFP_FRAME_MAX];
	struct vfp_hdr_params v = hp;
	struct vfp_parsed p;

	(void)state;
	assert_int_equal(VFP_PAYLOAD_LEN, 18);
	assert_int_equal(VFP_FRAME_MIN, 60);
	assert_int_equal(vfp_build(f, sizeof(f), 60, &hp, 77, 123456789), 60);
	assert_int_equal(parse_exact(f, 60, &p), 0);
	assert_int_equal(p.stream, 3);
	assert_int_equal(p.flow, 1024);
	assert_int_equal(p.seq, 77);
	assert_int_equal(p.tsc, 123456789);
	check_csums(f, 14);
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x00);

	/* Stamping = rebuilding. */
	vfp_stamp(f, false, 0xfedcba9876543210ull, 42);
	assert_int_equal(vfp_build(g, sizeof(g), 60, &hp, 0xfedcba9876543210ull, 42), 60);
	assert_memory_equal(f, g, 60);
	check_csums(f, 14);

	/* Jumbo, VLAN. */
	v.vlan = true;
	v.vlan_tci = 100;
	assert_int_equal(vfp_build(f, sizeof(f), 9018, &v, 5, 6), 9018);
	assert_int_equal(parse_exact(f, 9018, &p), 0);
	assert_int_equal(p.seq, 5);
	check_csums(f, 18);
	for (uint64_t s = 0; s < 1000; s++) {
		vfp_stamp(f, true, s * 0x9e3779b97f4a7c15ull, ~s);
		check_csums(f, 18);
	}
	/* Without UDP checksum: 0 stays 0. */
	v.udp_csum = false;
	assert_int_equal(vfp_build(f, sizeof(f), 64, &v, 1, 1), 64);
	vfp_stamp(f, true, 2, 2);
	assert_int_equal(f[18 + 26], 0);
	assert_int_equal(f[18 + 27], 0);
	assert_int_equal(parse_exact(f, 64, &p), 0);
	assert_int_equal(p.seq, 2);

	/* Bad sizes. */
	assert_int_equal(vfp_build(f, sizeof(f), 59, &hp, 0, 0), -1);
	assert_int_equal(vfp_build(f, sizeof(f), 63, &v, 0, 0), -1);
	assert_int_equal(vfp_build(f, sizeof(f), VFP_FRAME_MAX + 1, &hp, 0, 0), -1);
	assert_int_equal(vfp_build(f, 100, 101, &hp, 0, 0), -1);
}

/* Every truncation of a probe frame is foreign, never read past its end;
 * captured-short frames are "truncated", complete ones with lying lengths
 * "length". */
static void
test_parse_truncated(void **state)
{
	uint8_t f[128];
	struct vfp_parsed p;
	struct vfp_hdr_params v = hp;

	(void)state;
	for (int vlan = 0; vlan < 2; vlan++) {
		size_t full = vlan ? 64 : 60;

		v.vlan = vlan;
		assert_int_equal(vfp_build(f, sizeof(f), full, &v, 1, 2), (int)full);
		for (size_t len = 0; len < full; len++) {
			uint8_t *b = exact(f, len);
			int r = vfp_parse(b, len, &p);

			/* The IP total length no longer fits once it is readable. */
			assert_true(r == VFP_FOREIGN_TRUNCATED + 1 || r == VFP_FOREIGN_LENGTH + 1);
			if (len < full - VFP_PAYLOAD_LEN - 28)
				assert_int_equal(r, VFP_FOREIGN_TRUNCATED + 1);
			/* Captured short of a frame that was complete on the wire. */
			assert_int_equal(vfp_parse_cap(b, len, full, &p),
					 VFP_FOREIGN_TRUNCATED + 1);
			free(b);
		}
		/* A capture that kept the headers and payload of a longer frame. */
		assert_int_equal(vfp_build(f, sizeof(f), 128, &v, 9, 2), 128);
		{
			uint8_t *b = exact(f, full);

			assert_int_equal(vfp_parse_cap(b, full, 128, &p), 0);
			assert_int_equal(p.seq, 9);
			free(b);
		}
	}
	assert_int_equal(vfp_parse(NULL, 0, &p), VFP_FOREIGN_TRUNCATED + 1);
}

/* Frames that are not ours get the right reason. */
static void
test_parse_foreign(void **state)
{
	uint8_t f[128], g[128];
	struct vfp_parsed p;

	(void)state;
	assert_int_equal(vfp_build(f, sizeof(f), 60, &hp, 1, 2), 60);
#define MUT(stmt, reason)                                                                          \
	do {                                                                                       \
		memcpy(g, f, sizeof(g));                                                           \
		stmt;                                                                              \
		assert_int_equal(parse_exact(g, 60, &p), (reason) + 1);                            \
	} while (0)
	MUT(g[12] = 0x08; g[13] = 0x06, VFP_FOREIGN_NOT_UDP4); /* ARP */
	MUT(g[12] = 0x86; g[13] = 0xdd, VFP_FOREIGN_NOT_UDP4); /* IPv6 */
	MUT(g[14] = 0x65, VFP_FOREIGN_NOT_UDP4);	       /* version 6 */
	MUT(g[23] = 6, VFP_FOREIGN_NOT_UDP4);		       /* TCP */
	MUT(g[20] = 0x20, VFP_FOREIGN_NOT_UDP4);	       /* MF fragment */
	MUT(g[21] = 0x10, VFP_FOREIGN_NOT_UDP4);	       /* offset != 0 */
	MUT(g[14] = 0x44, VFP_FOREIGN_LENGTH);		       /* IHL 4 */
	MUT(g[14] = 0x4f, VFP_FOREIGN_LENGTH);		       /* IHL 15: > total */
	MUT(g[16] = 0; g[17] = 47, VFP_FOREIGN_LENGTH);	       /* IP total > frame */
	MUT(g[16] = 0; g[17] = 45, VFP_FOREIGN_LENGTH);	       /* too short for us */
	MUT(g[38] = 0; g[39] = 25, VFP_FOREIGN_LENGTH);	       /* UDP len != IP */
	MUT(g[36] = 0xbf; g[37] = 0xff, VFP_FOREIGN_PORT);     /* 49151 */
	MUT(g[36] = 0xc1; g[37] = 0x00, VFP_FOREIGN_PORT);     /* 49152 + 256 */
	MUT(g[36] = 0; g[37] = 53, VFP_FOREIGN_PORT);	       /* DNS */
	MUT(g[42] ^= 1, VFP_FOREIGN_MAGIC);
	MUT(g[12] = 0x81; g[13] = 0x00, VFP_FOREIGN_NOT_UDP4); /* tag, then 0x4500 */
#undef MUT
	/* Ethernet padding after the datagram is fine. */
	assert_int_equal(vfp_build(f, sizeof(f), 60, &hp, 4, 2), 60);
	memset(f + 60, 0xee, 20);
	assert_int_equal(parse_exact(f, 80, &p), 0);
	assert_int_equal(p.seq, 4);
	assert_string_equal(vfp_foreign_name(VFP_FOREIGN_MAGIC), "magic");
	assert_string_equal(vfp_foreign_name(VFP_FOREIGN_COUNT), "unknown");
}

/* Returns the next value of xorshift64 state *s. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 200,000 random mutations and lengths of probe frames: no crash, no
 * over-read (ASan), a parsed frame has a valid stream. */
static void
test_parse_fuzz(void **state)
{
	uint8_t f[128];
	struct vfp_parsed p;
	uint64_t r = 12345;
	unsigned int ok = 0;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		size_t len;
		uint8_t *b;
		int res;

		struct vfp_hdr_params v = hp;

		v.vlan = (i & 1);
		vfp_build(f, sizeof(f), 64 + (rnd(&r) % 64), &v, i, i);
		for (int m = (int)(rnd(&r) % 4); m > 0; m--)
			f[rnd(&r) % 64] = (uint8_t)rnd(&r);
		len = rnd(&r) % 129;
		b = exact(f, len);
		res = vfp_parse_cap(b, len, len + rnd(&r) % 3, &p);
		assert_true(res >= 0 && res <= VFP_FOREIGN_COUNT);
		if (res == 0) {
			assert_true(p.stream < VFP_MAX_STREAMS);
			ok++;
		}
		free(b);
	}
	assert_true(ok > 1000); /* some still parse */
}

/* -------------------------------------------------------------- analyzer */

/* Loss: runs of missing numbers are lost and become gaps with the times of
 * the arrivals around them and the port the gap ended on. */
static void
test_loss_and_gap_times(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000000);
	const struct vfp_gap *g;
	size_t n;
	uint64_t dropped;
	unsigned int bits = 0;

	(void)state;
	for (uint64_t s = 0; s < 300; s++) {
		if (s == 10 || (s >= 50 && s < 60))
			continue;
		bits |= rx(a, 0, s, 1000 + 10 * s, s >= 60 ? 1 : 0);
	}
	assert_true(bits & VFP_RX_GAP);
	/* The gaps left the 64-wide window: already final before finish. */
	assert_int_equal(st(a, 0).lost, 11);
	vfp_analyzer_finish(a, 5000, NULL);
	assert_int_equal(st(a, 0).lost, 11);
	assert_int_equal(st(a, 0).received, 289);
	assert_int_equal(st(a, 0).gaps, 2);
	g = vfp_analyzer_gaps(a, &n, &dropped);
	assert_int_equal(n, 2);
	assert_int_equal(dropped, 0);
	assert_int_equal(g[0].first_seq, 10);
	assert_int_equal(g[0].last_seq, 10);
	assert_int_equal(g[0].missing, 1);
	assert_int_equal(g[0].start_us, 1090);
	assert_int_equal(g[0].end_us, 1110);
	assert_int_equal(g[0].port, 0);
	assert_int_equal(g[0].flags, VFP_GAP_SEQ);
	assert_int_equal(g[1].first_seq, 50);
	assert_int_equal(g[1].last_seq, 59);
	assert_int_equal(g[1].missing, 10);
	assert_int_equal(g[1].start_us, 1490);
	assert_int_equal(g[1].end_us, 1600);
	assert_int_equal(g[1].port, 1);
	assert_int_equal(g[1].stream, 0);
	vfp_analyzer_destroy(a);
}

/* Duplicates inside the window are counted, not received twice as new. */
static void
test_duplicates(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000000);
	struct vfp_stream_stats s;

	(void)state;
	for (uint64_t i = 0; i < 100; i++)
		rx(a, 1, i, i, 0);
	assert_int_equal(rx(a, 1, 99, 100, 0), VFP_RX_DUP);
	assert_int_equal(rx(a, 1, 40, 101, 0), VFP_RX_DUP);
	assert_int_equal(rx(a, 1, 36, 102, 0), VFP_RX_DUP); /* oldest in window */
	vfp_analyzer_finish(a, 200, NULL);
	s = st(a, 1);
	assert_int_equal(s.received, 103);
	assert_int_equal(s.duplicates, 3);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.late, 0);
	assert_int_equal(s.gaps, 0);
	vfp_analyzer_destroy(a);
}

/* Reorder within the window fills the provisional gap: no loss, no gap. */
static void
test_reorder_within_window(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000000);
	struct vfp_stream_stats s;
	size_t n;

	(void)state;
	for (uint64_t i = 0; i < 10; i++)
		rx(a, 0, i, i, 0);
	assert_int_equal(rx(a, 0, 11, 11, 0), VFP_RX_GAP); /* provisional */
	assert_int_equal(rx(a, 0, 10, 12, 0), VFP_RX_REORDER);
	/* 20..29 arrive before 12..19, and 30..99 in order */
	for (uint64_t i = 20; i < 30; i++)
		rx(a, 0, i, 13 + i, 0);
	for (uint64_t i = 12; i < 20; i++)
		assert_int_equal(rx(a, 0, i, 50 + i, 0), VFP_RX_REORDER);
	for (uint64_t i = 30; i < 100; i++)
		rx(a, 0, i, 100 + i, 0);
	/* Both provisional gaps are out of the window and were filled. */
	vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 0);
	vfp_analyzer_finish(a, 300, NULL);
	s = st(a, 0);
	assert_int_equal(s.reordered, 9);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.gaps, 0);
	assert_int_equal(s.received, 100);
	vfp_analyzer_destroy(a);
}

/* A packet beyond the window is late: lost stays (it was declared lost
 * when it left the window); its gap stays recorded. */
static void
test_late_beyond_window(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000000);
	struct vfp_stream_stats s;
	const struct vfp_gap *g;
	size_t n;

	(void)state;
	for (uint64_t i = 0; i < 200; i++)
		if (i != 70)
			rx(a, 0, i, i, 0);
	assert_int_equal(st(a, 0).lost, 1);
	/* (a number < W here would be a sender restart, see test_reset) */
	assert_int_equal(rx(a, 0, 70, 300, 0), VFP_RX_LATE);
	/* head 200, W 64: 136 is the lowest in the window, 135 is late. */
	assert_int_equal(rx(a, 0, 135, 301, 0), VFP_RX_LATE);
	assert_int_equal(rx(a, 0, 136, 302, 0), VFP_RX_DUP);
	vfp_analyzer_finish(a, 400, NULL);
	s = st(a, 0);
	assert_int_equal(s.late, 2);
	assert_int_equal(s.lost, 1);
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.received - s.duplicates - s.late, 200 - s.lost);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].missing, 1);
	vfp_analyzer_destroy(a);
}

/* A stream whose first number is near UINT64_MAX (a forged or corrupt
 * probe header: found by fuzz_pcap) counts like any other: the window's
 * bounds are distances from its first number, so lo + W may not wrap into
 * "everything below head is out" (it counted W - 1 lost for one packet). */
static void
test_first_seq_near_max(void **state)
{
	const uint64_t first = UINT64_MAX - 9;
	struct vfp_analyzer *a = mk(64, 1000000);
	struct vfp_stream_stats s;

	(void)state;
	assert_int_equal(rx(a, 0, first, 0, 0), 0);
	vfp_analyzer_finish(a, 10, NULL);
	s = st(a, 0);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.received - s.duplicates - s.late, (s.next_seq - s.first_seq) - s.lost);
	vfp_analyzer_destroy(a);

	/* In order up to UINT64_MAX - 1 (the last number a stream can have),
	 * one missing, one reordered inside the window. */
	a = mk(64, 1000000);
	for (uint64_t q = first; q < UINT64_MAX; q++)
		if (q != first + 3)
			assert_int_equal(rx(a, 0, q, q - first, 0) & VFP_RX_LATE, 0);
	assert_int_equal(rx(a, 0, first + 3, 20, 0), VFP_RX_REORDER);
	vfp_analyzer_finish(a, 30, NULL);
	s = st(a, 0);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(s.received, 9);
	assert_int_equal(s.next_seq - s.first_seq, 9);
	vfp_analyzer_destroy(a);
}

/* A number far below the window and near 0 after >= 2 W packets is a sender
 * restart; near 0 but before 2 W it is late. */
static void
test_reset(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000000);
	struct vfp_stream_stats s;

	(void)state;
	for (uint64_t i = 0; i < 100; i++)
		rx(a, 0, i, i, 0);
	assert_int_equal(rx(a, 0, 0, 100, 0), VFP_RX_LATE); /* head 100 < 2 W */
	for (uint64_t i = 100; i < 500; i++)
		if (i != 495)
			rx(a, 0, i, i + 1, 0);
	assert_int_equal(rx(a, 0, 0, 600, 0), VFP_RX_RESET);
	for (uint64_t i = 1; i < 100; i++)
		assert_int_equal(rx(a, 0, i, 600 + i, 0), 0);
	vfp_analyzer_finish(a, 800, NULL);
	s = st(a, 0);
	assert_int_equal(s.resets, 1);
	assert_int_equal(s.lost, 1); /* 495, counted when the window closed */
	assert_int_equal(s.late, 1);
	assert_int_equal(s.first_seq, 0);
	assert_int_equal(s.next_seq, 100);
	assert_int_equal(s.received, 100 + 1 + 399 + 100);
	vfp_analyzer_destroy(a);
}

/* Silence: a pause over gap_us without loss is a silence gap (missing 0);
 * with loss it is one gap flagged seq+silence. */
static void
test_silence_gap(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000);
	const struct vfp_gap *g;
	size_t n;

	(void)state;
	for (uint64_t i = 0; i < 100; i++)
		rx(a, 2, i, 10 * i, 0);
	/* last at 990; pause to 2990, no loss */
	assert_int_equal(rx(a, 2, 100, 2990, 1), VFP_RX_GAP);
	for (uint64_t i = 101; i < 200; i++)
		rx(a, 2, i, 2990 + 10 * (i - 100), 1);
	/* last 199 at 3980; 200..299 lost; 300 at 9000 on port 0 */
	assert_int_equal(rx(a, 2, 300, 9000, 0), VFP_RX_GAP);
	for (uint64_t i = 301; i < 400; i++)
		rx(a, 2, i, 9000 + 10 * (i - 300), 0);
	/* a pause of exactly gap_us is not a silence */
	assert_int_equal(rx(a, 2, 400, 9990 + 1000, 0), 0);
	vfp_analyzer_finish(a, 20000, NULL);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].flags, VFP_GAP_SILENCE);
	assert_int_equal(g[0].start_us, 990);
	assert_int_equal(g[0].end_us, 2990);
	assert_int_equal(g[0].missing, 0);
	assert_int_equal(g[0].port, 1);
	assert_int_equal(g[0].first_seq, 100);
	assert_int_equal(g[1].flags, VFP_GAP_SEQ | VFP_GAP_SILENCE);
	assert_int_equal(g[1].start_us, 3980);
	assert_int_equal(g[1].end_us, 9000);
	assert_int_equal(g[1].missing, 100);
	assert_int_equal(g[1].first_seq, 200);
	assert_int_equal(g[1].last_seq, 299);
	assert_int_equal(g[1].port, 0);
	assert_int_equal(st(a, 2).lost, 100);
	assert_int_equal(st(a, 2).gaps, 2);
	vfp_analyzer_destroy(a);
}

/* finish(): unseen numbers in the window, a tail up to 'sent', and a stream
 * that never arrived are lost; pending gaps are finalized. */
static void
test_finish_sent(void **state)
{
	struct vfp_analyzer *a = mk(65536, 1000000);
	uint64_t sent[4] = {1000, 0, 0, 50};
	const struct vfp_gap *g;
	struct vfp_stream_stats t;
	size_t n;

	(void)state;
	vfp_analyzer_start(a, 100);
	for (uint64_t i = 0; i < 900; i++)
		if (i != 500)
			rx(a, 0, i, 200 + i, 1);
	assert_int_equal(st(a, 0).lost, 0); /* 500 is still in the window */
	vfp_analyzer_finish(a, 5000, sent);
	assert_int_equal(st(a, 0).lost, 101);
	assert_int_equal(st(a, 3).lost, 50);
	assert_true(st(a, 3).active);
	vfp_analyzer_totals(a, &t);
	assert_int_equal(t.lost, 151);
	assert_int_equal(t.received, 899);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 3);
	/* sorted by start: stream 3 (t0 = 100), 500 (699), tail (1099) */
	assert_int_equal(g[0].stream, 3);
	assert_int_equal(g[0].start_us, 100);
	assert_int_equal(g[0].missing, 50);
	assert_int_equal(g[0].flags, VFP_GAP_SEQ | VFP_GAP_TAIL);
	assert_int_equal(g[1].first_seq, 500);
	assert_int_equal(g[1].start_us, 699);
	assert_int_equal(g[1].end_us, 701);
	assert_int_equal(g[2].first_seq, 900);
	assert_int_equal(g[2].last_seq, 999);
	assert_int_equal(g[2].missing, 100);
	assert_int_equal(g[2].start_us, 1099);
	assert_int_equal(g[2].end_us, 5000);
	assert_int_equal(g[2].port, 1);
	assert_int_equal(g[2].flags, VFP_GAP_SEQ | VFP_GAP_TAIL);
	assert_true(vfp_analyzer_finished(a));
	vfp_analyzer_destroy(a);
}

/* expect_seq0: numbers before a stream's first arrival are lost. */
static void
test_expect_seq0(void **state)
{
	struct vfp_analyzer_conf c = {.window = 64, .nstreams = 1, .expect_seq0 = true};
	char err[128];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));
	const struct vfp_gap *g;
	size_t n;

	(void)state;
	assert_non_null(a);
	vfp_analyzer_start(a, 10);
	assert_int_equal(rx(a, 0, 5, 20, 0), VFP_RX_GAP);
	assert_int_equal(rx(a, 0, 2, 21, 0), VFP_RX_REORDER);
	rx(a, 0, 6, 22, 0);
	vfp_analyzer_finish(a, 30, NULL);
	assert_int_equal(st(a, 0).lost, 4);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].first_seq, 0);
	assert_int_equal(g[0].last_seq, 4);
	assert_int_equal(g[0].missing, 4);
	assert_int_equal(g[0].start_us, 10);
	assert_int_equal(g[0].end_us, 20);
	vfp_analyzer_destroy(a);
}

/* 1,000,000 packets over 3 streams with seeded random drops (single and in
 * bursts of up to 40): loss matches exactly, gaps match the runs of the
 * reference one by one (count, numbers, times). */
static void
test_million_random_drops(void **state)
{
	struct vfp_analyzer_conf c = {.nstreams = 3, .max_gaps = 1u << 20, .gap_us = UINT64_MAX};
	struct {
		uint64_t first, last, start, end;
		uint16_t stream;
	} *ref = calloc(1u << 20, sizeof(*ref));
	uint64_t seq[3] = {0}, last_t[3] = {0}, lost[3] = {0}, rng = 0x1234567887654321ull;
	int64_t open[3] = {-1, -1, -1}; /* index of the run being built per stream */
	size_t nref = 0, n;
	struct vfp_stream_stats t;
	const struct vfp_gap *g;
	char err[128];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));

	(void)state;
	assert_non_null(a);
	assert_non_null(ref);
	for (uint64_t i = 0; i < 1000000; i++) {
		uint16_t s = (uint16_t)(rnd(&rng) % 3);
		uint64_t r = rnd(&rng), t = 1000 + i;
		unsigned int burst =
			r % 200 == 0 ? 1 + (unsigned int)((r >> 20) % 40) : r % 97 == 0;

		/* drop 'burst' numbers of stream s, then deliver one */
		for (unsigned int b = 0; b < burst; b++) {
			if (open[s] < 0) {
				open[s] = (int64_t)nref;
				ref[nref++] = (typeof(*ref)){
					.first = seq[s], .start = last_t[s], .stream = s};
			}
			ref[open[s]].last = seq[s]++;
			lost[s]++;
		}
		if (open[s] >= 0) {
			ref[open[s]].end = t;
			open[s] = -1;
		}
		rx(a, s, seq[s]++, t, 0);
		last_t[s] = t;
	}
	vfp_analyzer_finish(a, 2000000, NULL);
	vfp_analyzer_totals(a, &t);
	for (uint16_t s = 0; s < 3; s++)
		assert_int_equal(st(a, s).lost, lost[s]);
	assert_int_equal(t.lost, lost[0] + lost[1] + lost[2]);
	assert_true(t.lost > 10000);
	assert_int_equal(t.received, 1000000);
	assert_int_equal(t.gaps, nref);
	assert_int_equal(vfp_analyzer_gaps_merged(a), 0);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, nref);
	/* Both lists sorted by start then stream (runs of one stream don't
	 * share a start: a delivery separates them). */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		/* the reference is in creation order: find the same run */
		if (ref[j].stream != g[i].stream || ref[j].first != g[i].first_seq)
			for (j = 0; j < nref; j++)
				if (ref[j].stream == g[i].stream && ref[j].first == g[i].first_seq)
					break;
		assert_true(j < nref);
		assert_int_equal(g[i].last_seq, ref[j].last);
		assert_int_equal(g[i].missing, ref[j].last - ref[j].first + 1);
		assert_int_equal(g[i].start_us, ref[j].start);
		assert_int_equal(g[i].end_us, ref[j].end);
	}
	free(ref);
	vfp_analyzer_destroy(a);
}

/* Random drops plus reorder (adjacent swaps) and duplicates: exact loss,
 * exact reorder and duplicate counts, sum of gap missing == lost. */
static void
test_random_reorder_dups(void **state)
{
	struct vfp_analyzer_conf c = {.window = 1024, .nstreams = 1, .gap_us = UINT64_MAX};
	uint64_t rng = 99, lost = 0, swaps = 0, dups = 0, sum = 0, prev = UINT64_MAX, seq = 0;
	struct vfp_stream_stats s;
	const struct vfp_gap *g;
	size_t n;
	char err[128];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));

	(void)state;
	assert_non_null(a);
	for (uint64_t i = 0; i < 300000; i++) {
		uint64_t r = rnd(&rng);

		if (r % 50 == 0) { /* drop */
			seq++;
			lost++;
			continue;
		}
		if (r % 50 == 1 && prev == UINT64_MAX) { /* hold back for a swap */
			prev = seq++;
			continue;
		}
		rx(a, 0, seq, i, 0);
		if (r % 50 == 2) {
			rx(a, 0, seq, i, 0);
			dups++;
		}
		seq++;
		if (prev != UINT64_MAX) {
			rx(a, 0, prev, i, 0);
			prev = UINT64_MAX;
			swaps++;
		}
	}
	if (prev != UINT64_MAX) {
		rx(a, 0, prev, 400000, 0);
		swaps++;
	}
	vfp_analyzer_finish(a, 500000, NULL);
	s = st(a, 0);
	assert_int_equal(s.lost, lost);
	assert_int_equal(s.reordered, swaps);
	assert_int_equal(s.duplicates, dups);
	assert_int_equal(s.late, 0);
	g = vfp_analyzer_gaps(a, &n, NULL);
	for (size_t i = 0; i < n; i++)
		sum += g[i].missing;
	assert_int_equal(sum, lost);
	assert_int_equal(s.received - s.duplicates, seq - lost);
	vfp_analyzer_destroy(a);
}

/* Pending pool exhausted: gaps merge, loss stays exact. */
static void
test_pending_pool_full(void **state)
{
	struct vfp_analyzer_conf c = {.window = 1024, .nstreams = 1, .max_pending = 2};
	char err[128];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));
	const struct vfp_gap *g;
	size_t n;
	uint64_t sum = 0;

	(void)state;
	assert_non_null(a);
	for (uint64_t i = 0; i < 100; i++)
		if (i % 10 != 5)
			rx(a, 0, i, i, 0);
	assert_int_equal(vfp_analyzer_gaps_merged(a), 8);
	vfp_analyzer_finish(a, 200, NULL);
	assert_int_equal(st(a, 0).lost, 10);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		sum += g[i].missing;
	assert_int_equal(sum, 10);
	assert_true(g[1].flags & VFP_GAP_MERGED);
	vfp_analyzer_destroy(a);
}

/* Latency: exact min/max/avg, percentiles within the histogram's
 * resolution on a uniform distribution 1..100000 ns; TSC conversion. */
static void
test_latency(void **state)
{
	struct vfp_analyzer_conf c = {.nstreams = 1, .tsc_hz = 1000000000ull};
	struct vfp_latency l;
	struct vfp_parsed p = {.stream = 0};
	uint64_t rng = 7, lo, hi, total = 0;
	uint64_t *v = malloc(100000 * sizeof(*v));
	char err[128];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));

	(void)state;
	assert_non_null(a);
	for (uint64_t i = 0; i < 100000; i++)
		v[i] = i + 1;
	for (uint64_t i = 99999; i > 0; i--) { /* shuffle */
		uint64_t j = rnd(&rng) % (i + 1), x = v[i];

		v[i] = v[j];
		v[j] = x;
	}
	for (uint64_t i = 0; i < 100000; i++) {
		p.seq = i;
		p.tsc = 1000000 + i;
		vfp_analyzer_rx(a, 0, i, 1000000 + i + v[i], &p);
	}
	p.seq = 100000;
	p.tsc = 5000;
	vfp_analyzer_rx(a, 0, 100000, 4000, &p); /* clocks disagree: ignored */
	vfp_analyzer_finish(a, 200000, NULL);
	vfp_analyzer_latency(a, &l);
	assert_int_equal(l.count, 100000);
	assert_int_equal(l.negative, 1);
	assert_int_equal(l.min_ns, 1);
	assert_int_equal(l.max_ns, 100000);
	assert_true(l.avg_ns > 50000.49 && l.avg_ns < 50000.51);
	assert_true(l.p50_ns >= 50000 * 0.98 && l.p50_ns <= 50000 * 1.02);
	assert_true(l.p99_ns >= 99000 * 0.98 && l.p99_ns <= 99000 * 1.02);
	assert_true(l.p999_ns >= 99900 * 0.98 && l.p999_ns <= 100000);
	assert_int_equal(vfp_analyzer_lat_quantile(a, 0), 1);
	assert_int_equal(vfp_analyzer_lat_quantile(a, 1), 100000);
	/* Histogram: small values exact, buckets contiguous, total = count. */
	for (unsigned int i = 0; i < VFP_LAT_BUCKETS; i++) {
		uint64_t cnt = vfp_analyzer_lat_bucket(a, i, &lo, &hi);

		if (i < 64)
			assert_int_equal(lo, hi);
		if (i > 0) {
			uint64_t plo, phi;

			vfp_analyzer_lat_bucket(a, i - 1, &plo, &phi);
			assert_int_equal(lo, phi + 1);
		}
		if (lo >= 1 && hi <= 100000)
			assert_int_equal(cnt, hi - lo + 1); /* uniform: one per value */
		total += cnt;
	}
	assert_int_equal(total, 100000);
	vfp_analyzer_destroy(a);
	free(v);

	/* 2 GHz TSC: 2000 ticks = 1000 ns. */
	c.tsc_hz = 2000000000ull;
	a = vfp_analyzer_create(&c, err, sizeof(err));
	assert_non_null(a);
	p.seq = 0;
	p.tsc = 1ull << 40;
	vfp_analyzer_rx(a, 0, 1, (1ull << 40) + 2000, &p);
	vfp_analyzer_latency(a, &l);
	assert_int_equal(l.min_ns, 1000);
	assert_int_equal(l.p50_ns, 1000);
	vfp_analyzer_destroy(a);
}

/* Timeline per port per ms, truncation; events; foreign counting; stream
 * ids beyond nstreams are foreign. */
static void
test_timeline_events_foreign(void **state)
{
	struct vfp_analyzer_conf c = {.nstreams = 2, .nports = 2, .timeline_ms = 3};
	char err[128];
	struct vfp_analyzer *a = vfp_analyzer_create(&c, err, sizeof(err));
	const uint32_t *tl;
	const struct vfp_event *ev;
	uint32_t nb;
	uint64_t trunc, dropped;
	size_t n;
	uint8_t f[60];
	char longtext[200];

	(void)state;
	assert_non_null(a);
	vfp_analyzer_start(a, 1000);
	rx(a, 0, 0, 1000, 0);
	rx(a, 0, 1, 1999, 0);
	rx(a, 0, 2, 2000, 1);
	rx(a, 1, 0, 2500, 1);
	rx(a, 0, 3, 3999, 1);
	rx(a, 0, 4, 4000, 1); /* ms 3: beyond */
	rx(a, 0, 5, 3000, 5); /* port beyond */
	assert_int_equal(vfp_analyzer_event(a, 2200, "switch to port 1"), 0);
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(vfp_analyzer_event(a, 2300, longtext), 0);
	tl = vfp_analyzer_timeline(a, &nb, &trunc);
	assert_int_equal(nb, 3);
	assert_int_equal(trunc, 2);
	assert_int_equal(tl[0 * 2 + 0], 2);
	assert_int_equal(tl[0 * 2 + 1], 0);
	assert_int_equal(tl[1 * 2 + 1], 2);
	assert_int_equal(tl[2 * 2 + 1], 1);
	ev = vfp_analyzer_events(a, &n, &dropped);
	assert_int_equal(n, 2);
	assert_int_equal(dropped, 0);
	assert_int_equal(ev[0].t_us, 2200);
	assert_string_equal(ev[0].text, "switch to port 1");
	assert_int_equal(strlen(ev[1].text), VFP_EVENT_TEXT - 1);

	/* foreign */
	assert_int_equal(rx(a, 2, 0, 3000, 0), VFP_RX_FOREIGN); /* stream 2 >= nstreams */
	memset(f, 0, sizeof(f));
	assert_int_equal(vfp_analyzer_frame(a, 0, 3000, 0, f, 60, 60), VFP_RX_FOREIGN);
	assert_int_equal(vfp_analyzer_frame(a, 0, 3000, 0, f, 10, 60), VFP_RX_FOREIGN);
	vfp_build(f, sizeof(f), 60, &hp, 0, 0); /* stream 3 */
	assert_int_equal(vfp_analyzer_frame(a, 0, 3000, 0, f, 60, 60), VFP_RX_FOREIGN);
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_PORT), 2);
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_NOT_UDP4), 1);
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_TRUNCATED), 1);
	/* 2^64 - 1 would wrap the stream's head (found by fuzz_pcap). */
	assert_int_equal(rx(a, 0, UINT64_MAX, 3000, 0), VFP_RX_FOREIGN);
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_SEQ), 1);
	assert_string_equal(vfp_foreign_name(VFP_FOREIGN_SEQ), "seq");
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_COUNT), 5);
	vfp_analyzer_destroy(a);
}

/* Bad configurations are refused with a message naming the field. */
static void
test_bad_conf(void **state)
{
	struct vfp_analyzer_conf c = {.window = 1000};
	char err[256];

	(void)state;
	assert_null(vfp_analyzer_create(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "window 1000"));
	c = (struct vfp_analyzer_conf){.window = 32};
	assert_null(vfp_analyzer_create(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "window"));
	c = (struct vfp_analyzer_conf){.nports = 17};
	assert_null(vfp_analyzer_create(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "nports"));
	c = (struct vfp_analyzer_conf){.nstreams = 257};
	assert_null(vfp_analyzer_create(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "nstreams"));
	vfp_analyzer_destroy(NULL);
}

/* The JSON report holds the numbers of the analyzer; the text one runs. */
static void
test_report_json(void **state)
{
	struct vfp_analyzer *a = mk(64, 1000);
	struct vfp_report_info info = {.mode = "test", .source = "unit"};
	json_t *j, *gaps, *tl;
	char err[256], path[] = "/tmp/vfp_report_XXXXXX";
	FILE *devnull = fopen("/dev/null", "w");
	int fd;

	(void)state;
	vfp_analyzer_start(a, 1000000);
	for (uint64_t i = 0; i < 100; i++)
		if (i < 40 || i >= 45)
			rx(a, 0, i, 1000000 + 100 * i, i < 50 ? 0 : 1);
	vfp_analyzer_event(a, 1004000, "switch");
	vfp_analyzer_foreign(a, 0, VFP_FOREIGN_MAGIC);
	vfp_analyzer_finish(a, 1020000, NULL);
	j = vfp_report_json(a, &info);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "test");
	assert_int_equal(json_integer_value(json_object_get(j, "t0_us")), 1000000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "lost")),
			 5);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "totals"), "unique")), 95);
	gaps = json_object_get(j, "gaps");
	assert_int_equal(json_array_size(gaps), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gaps, 0), "start_us")),
			 3900);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gaps, 0), "end_us")),
			 4500);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gaps, 0), "missing")),
			 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(gaps, 0), "kind")),
			    "seq");
	tl = json_object_get(j, "timeline");
	assert_int_equal(json_integer_value(json_object_get(tl, "bins")), 10);
	assert_int_equal(json_array_size(json_object_get(tl, "rx_pkts")), 2);
	assert_int_equal(json_integer_value(json_array_get(
				 json_array_get(json_object_get(tl, "rx_pkts"), 0), 0)),
			 10);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "foreign"), "magic")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(j, "events"), 0), "t_us")),
			 4000);
	json_decref(j);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vfp_report_write_json(a, &info, path, err, sizeof(err)), 0);
	j = json_load_file(path, 0, NULL);
	assert_non_null(j);
	json_decref(j);
	unlink(path);
	assert_int_equal(
		vfp_report_write_json(a, &info, "/nonexistent/dir/r.json", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/dir/r.json"));
	vfp_report_text(a, devnull, 0);
	fclose(devnull);
	vfp_analyzer_destroy(a);
}

/* ---------------------------------------------------------------- offline */

/* Writes one frame of len bytes at ts_us to dumper d. */
static void
dump(pcap_dumper_t *d, uint64_t ts_us, const uint8_t *f, size_t caplen, size_t len)
{
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)caplen, .len = (bpf_u_int32)len};

	h.ts.tv_sec = (time_t)(ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	pcap_dump((u_char *)d, &h, f);
}

/* Returns the number of frames in pcap file 'path'. */
static uint64_t
count_frames(const char *path)
{
	char e[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, e);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;

	assert_non_null(p);
	while (pcap_next_ex(p, &h, &d) == 1)
		n++;
	pcap_close(p);
	return n;
}

/* A pcap with two streams, drops, a reorder, a duplicate, a silence, a
 * foreign and a truncated frame, read back by the offline reader: exact
 * numbers; the gap pcap holds the frames around the gaps. */
static void
test_offline(void **state)
{
	char path[] = "/tmp/vfp_off_XXXXXX", gpath[] = "/tmp/vfp_gap_XXXXXX", err[512];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	struct vfp_hdr_params v = hp;
	struct vfp_analyzer_conf c = {.nstreams = 2, .gap_us = 500};
	struct vfp_analyzer *a;
	struct vfp_offline_result res;
	struct vfp_gapcap *gc;
	const struct vfp_gap *g;
	uint64_t t = 1700000000000000ull, gf, gg;
	uint8_t f[256];
	size_t n;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(gpath);
	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	/* stream 0: 0..199 every 10 us, 50..52 dropped, 100/101 swapped, 150
	 * twice; stream 1: 0..99 with 60..69 dropped and a 2 ms pause before
	 * 70; 128 B frames captured in full. */
	for (uint64_t i = 0; i < 200; i++) {
		uint64_t s0 = i == 100 ? 101 : i == 101 ? 100 : i;

		t += 10;
		v.stream = 0;
		v.vlan = (i % 2) == 0;
		if (!(s0 >= 50 && s0 <= 52)) {
			vfp_build(f, sizeof(f), 128, &v, s0, 0);
			dump(d, t, f, 128, 128);
			if (s0 == 150)
				dump(d, t + 1, f, 128, 128);
		}
		if (i < 100 && !(i >= 60 && i < 70)) {
			v.stream = 1;
			v.vlan = false;
			if (i == 70)
				t += 2000;
			vfp_build(f, sizeof(f), 60, &v, i, 0);
			dump(d, t + 5, f, 60, 60);
		}
		if (i == 20) { /* foreign: ARP-like; truncated probe capture */
			memset(f, 0, sizeof(f));
			f[12] = 0x08;
			f[13] = 0x06;
			dump(d, t + 6, f, 60, 60);
			vfp_build(f, sizeof(f), 60, &v, 1000, 0);
			dump(d, t + 7, f, 30, 60);
		}
	}
	pcap_dump_close(d);

	a = vfp_analyzer_create(&c, err, sizeof(err));
	assert_non_null(a);
	gc = vfp_gapcap_open(gpath, 2, 128, err, sizeof(err));
	assert_non_null(gc);
	assert_int_equal(vfp_offline_run(path, a, gc, &res, err, sizeof(err)), 0);
	assert_int_equal(res.frames, 197 + 1 + 90 + 2);
	assert_int_equal(res.probes, 197 + 1 + 90);
	assert_int_equal(res.snapped, 1);
	assert_int_equal(res.first_us, 1700000000000000ull + 10);
	vfp_analyzer_finish(a, res.last_us, NULL);
	assert_int_equal(st(a, 0).lost, 3);
	assert_int_equal(st(a, 0).reordered, 1);
	assert_int_equal(st(a, 0).duplicates, 1);
	assert_int_equal(st(a, 0).received, 198);
	assert_int_equal(st(a, 1).lost, 10);
	assert_int_equal(st(a, 1).received, 90);
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_NOT_UDP4), 1);
	assert_int_equal(vfp_analyzer_foreign_count(a, VFP_FOREIGN_TRUNCATED), 1);
	g = vfp_analyzer_gaps(a, &n, NULL);
	assert_int_equal(n, 3); /* s0 50..52, s1 60..69 + silence, s0 silence at 70 */
	assert_int_equal(g[0].stream, 0);
	assert_int_equal(g[0].first_seq, 50);
	assert_int_equal(g[0].missing, 3);
	assert_int_equal(g[0].start_us, 1700000000000000ull + 500);
	assert_int_equal(g[0].end_us, 1700000000000000ull + 540);
	assert_int_equal(g[1].stream, 1);
	assert_int_equal(g[1].flags, VFP_GAP_SEQ | VFP_GAP_SILENCE);
	assert_int_equal(g[1].missing, 10);
	assert_int_equal(g[1].first_seq, 60);
	assert_int_equal(g[1].last_seq, 69);
	assert_int_equal(g[1].start_us, 1700000000000000ull + 605);
	assert_int_equal(g[1].end_us, 1700000000000000ull + 2000 + 715);
	assert_int_equal(g[2].stream, 0);
	assert_int_equal(g[2].flags, VFP_GAP_SILENCE);
	assert_int_equal(g[2].first_seq, 71);
	assert_int_equal(g[2].missing, 0);
	assert_int_equal(g[2].start_us, 1700000000000000ull + 710);
	assert_int_equal(g[2].end_us, 1700000000000000ull + 2000 + 720);
	/* Gap pcap: the 2 frames before + the gap-ending one + 2 after, per
	 * gap: s0 jump to 53 (5 frames); s1 jump to 70 at 2715 (2 + 1) whose
	 * "after" frame is s0's silence end at 2720 (1 + 2 after); the
	 * provisional gap of the swap 101/100 (5). */
	assert_int_equal(vfp_gapcap_close(gc, &gf, &gg, err, sizeof(err)), 0);
	assert_int_equal(gg, 4);
	assert_int_equal(count_frames(gpath), gf);
	assert_int_equal(gf, 5 + 6 + 5);
	vfp_analyzer_destroy(a);

	/* Errors: unreadable, not pcap, not Ethernet. */
	a = vfp_analyzer_create(&c, err, sizeof(err));
	assert_int_equal(vfp_offline_run("/nonexistent.pcap", a, NULL, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent.pcap"));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, this is not a pcap file", 30), 30);
	close(fd);
	assert_int_equal(vfp_offline_run(path, a, NULL, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	pcap_close(dead);
	dead = pcap_open_dead(DLT_RAW, 65535);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	pcap_dump_close(d);
	assert_int_equal(vfp_offline_run(path, a, NULL, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not Ethernet"));
	assert_null(vfp_gapcap_open("/nonexistent/dir/x.pcap", 4, 128, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/x.pcap"));
	assert_null(vfp_gapcap_open(gpath, 65537, 128, err, sizeof(err)));
	pcap_close(dead);
	vfp_analyzer_destroy(a);
	unlink(path);
	unlink(gpath);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_foreign),
		cmocka_unit_test(test_parse_fuzz),
		cmocka_unit_test(test_loss_and_gap_times),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_reorder_within_window),
		cmocka_unit_test(test_late_beyond_window),
		cmocka_unit_test(test_first_seq_near_max),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_silence_gap),
		cmocka_unit_test(test_finish_sent),
		cmocka_unit_test(test_expect_seq0),
		cmocka_unit_test(test_million_random_drops),
		cmocka_unit_test(test_random_reorder_dups),
		cmocka_unit_test(test_pending_pool_full),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_timeline_events_foreign),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_offline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
