/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow.c — the flow table: exact counters over bursts, a flow seen by
 * two lcore indexes summed, top-N order, unclassified frames, a full table,
 * lazy reset, JSON, a concurrent reader, 10,000 random flows checked
 * against a reference, the keyed hash (SipHash vectors, a key per table),
 * and aging (expiry, reuse of freed entries against a reference model,
 * readers during reuse).  Runs EAL without hugepages.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "flow_hash.h"
#include "vfo_clock.h"
#include "vfo_flow.h"

/* Mbufs in the test pool. */
#define POOL_SIZE 1023
/* Most packets one test burst holds. */
#define MAX_BURST 160

static struct rte_mempool *pool;

/* Returns the host-order IPv4 address a.b.c.d. */
#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* A flow in host order, as the tests describe it. */
struct tflow {
	uint32_t src, dst;     /* addresses */
	uint8_t proto;	       /* IPv4 protocol */
	uint16_t sport, dport; /* ports */
};

/* Returns the vfo_flow_key the table should report for 'f'. */
static struct vfo_flow_key
key_of(const struct tflow *f)
{
	struct vfo_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src_ip = rte_cpu_to_be_32(f->src);
	k.dst_ip = rte_cpu_to_be_32(f->dst);
	k.proto = f->proto;
	k.src_port = rte_cpu_to_be_16(f->sport);
	k.dst_port = rte_cpu_to_be_16(f->dport);
	return k;
}

/*
 * Rewrites 'm' as an Ethernet/IPv4 frame of 'len' bytes (at least 60) of
 * flow 'f', with 'vlans' 802.1Q tags and IPv4 fragment field 'frag' (host
 * order); the 8 bytes after the IPv4 header hold the ports.
 */
static void
build_ip(struct rte_mbuf *m, const struct tflow *f, uint16_t len, unsigned int vlans, uint16_t frag)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *l4;
	rte_be16_t type_val;
	uint8_t *p, *type; /* where the next EtherType goes */
	unsigned int v;

	rte_pktmbuf_reset(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memset(p, 0, len);
	eth = (struct rte_ether_hdr *)p;
	type = (uint8_t *)&eth->ether_type;
	p += sizeof(*eth);
	for (v = 0; v < vlans; v++) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)p;

		type_val = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		memcpy(type, &type_val, sizeof(type_val));
		vh->vlan_tci = rte_cpu_to_be_16(100 + v);
		type = p + offsetof(struct rte_vlan_hdr, eth_proto);
		p += sizeof(*vh);
	}
	type_val = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memcpy(type, &type_val, sizeof(type_val));
	ip = (struct rte_ipv4_hdr *)p;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len - (uint16_t)(p - rte_pktmbuf_mtod(m, uint8_t *)));
	ip->time_to_live = 64;
	ip->next_proto_id = f->proto;
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->src_addr = rte_cpu_to_be_32(f->src);
	ip->dst_addr = rte_cpu_to_be_32(f->dst);
	l4 = (struct rte_udp_hdr *)(ip + 1);
	l4->src_port = rte_cpu_to_be_16(f->sport);
	l4->dst_port = rte_cpu_to_be_16(f->dport);
}

/* build_ip() for a plain untagged, unfragmented frame. */
static void
build(struct rte_mbuf *m, const struct tflow *f, uint16_t len)
{
	build_ip(m, f, len, 0, 0);
}

/* Rewrites 'm' as a frame of 'len' bytes with EtherType 'type' and zero payload. */
static void
build_other(struct rte_mbuf *m, uint16_t type, uint16_t len)
{
	struct rte_ether_hdr *eth;

	rte_pktmbuf_reset(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	assert_non_null(eth);
	memset(eth, 0, len);
	eth->ether_type = rte_cpu_to_be_16(type);
}

/* Allocates pkts[0..n). */
static void
alloc_burst(struct rte_mbuf **pkts, unsigned int n)
{
	assert_int_equal(rte_pktmbuf_alloc_bulk(pool, pkts, n), 0);
}

/* Asserts that 'got' is flow 'f' with these counters. */
static void
check_flow(const struct vfo_flow_info *got, const struct tflow *f, uint64_t packets, uint64_t bytes,
	   uint64_t first, uint64_t last)
{
	struct vfo_flow_key k = key_of(f);

	assert_memory_equal(&got->key, &k, sizeof(k));
	assert_int_equal(got->packets, packets);
	assert_int_equal(got->bytes, bytes);
	assert_int_equal(got->first_tsc, first);
	assert_int_equal(got->last_tsc, last);
}

static const struct tflow fa = {IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), IPPROTO_UDP, 1024, 53};
static const struct tflow fb = {IP4(10, 0, 0, 3), IP4(10, 0, 0, 4), IPPROTO_UDP, 5000, 6000};
static const struct tflow fc = {IP4(10, 0, 0, 5), IP4(10, 0, 0, 6), IPPROTO_TCP, 40000, 443};

/* Bad arguments are refused with EINVAL. */
static void
test_create_bad(void **state)
{
	(void)state;
	assert_null(vfo_flow_create("x", 16, 0, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(vfo_flow_create("x", 16, VFO_FLOW_MAX_LCORES + 1, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(vfo_flow_create("x", VFO_FLOW_MAX_FLOWS + 1, 1, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(vfo_flow_create(NULL, 16, 1, SOCKET_ID_ANY));
	vfo_flow_destroy(NULL);
}

/* Counters are exact over several bursts; packets are left untouched. */
static void
test_exact_counters(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("exact", 1024, 1, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[8];
	struct vfo_flow_info top[4];
	struct vfo_flow_stats st;
	uint8_t before[100];
	unsigned int i;

	(void)state;
	assert_non_null(t);
	assert_int_equal(vfo_flow_max_flows(t), 1024);
	alloc_burst(pkts, 8);
	/* Burst 1 at TSC 1000: A x5 (100 B), B x3 (200 B), interleaved. */
	for (i = 0; i < 8; i++)
		build(pkts[i], i % 2 == 0 || i == 7 ? &fa : &fb, i % 2 == 0 || i == 7 ? 100 : 200);
	memcpy(before, rte_pktmbuf_mtod(pkts[0], void *), sizeof(before));
	vfo_flow_update_burst(t, 0, pkts, 8, 1000);
	assert_memory_equal(before, rte_pktmbuf_mtod(pkts[0], void *), sizeof(before));
	assert_int_equal(rte_pktmbuf_pkt_len(pkts[0]), 100);
	/* Burst 2 at TSC 2000: A x2 (60 B), C x1 (1000 B). */
	build(pkts[0], &fa, 60);
	build(pkts[1], &fc, 1000);
	build(pkts[2], &fa, 60);
	vfo_flow_update_burst(t, 0, pkts, 3, 2000);
	/* Burst 3 at TSC 3000: B x4 (200 B). */
	for (i = 0; i < 4; i++)
		build(pkts[i], &fb, 200);
	vfo_flow_update_burst(t, 0, pkts, 4, 3000);
	/* An empty burst changes nothing. */
	vfo_flow_update_burst(t, 0, pkts, 0, 4000);

	assert_int_equal(vfo_flow_count(t), 3);
	assert_int_equal(vfo_flow_top(t, 4, VFO_FLOW_BY_PACKETS, top), 3);
	/* A and B both have 7 packets: B has more bytes and ranks first. */
	check_flow(&top[0], &fb, 7, 1400, 1000, 3000);
	check_flow(&top[1], &fa, 7, 5 * 100 + 2 * 60, 1000, 2000);
	check_flow(&top[2], &fc, 1, 1000, 2000, 2000);
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows, 3);
	assert_int_equal(st.unclassified_pkts, 0);
	assert_int_equal(st.table_full, 0);
	rte_pktmbuf_free_bulk(pkts, 8);
	vfo_flow_destroy(t);
}

/* The same flow seen by two lcore indexes is one flow with summed counters. */
static void
test_two_lcores_summed(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("two", 64, 2, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[4];
	struct vfo_flow_info top[4];
	unsigned int i;

	(void)state;
	assert_non_null(t);
	alloc_burst(pkts, 4);
	for (i = 0; i < 4; i++)
		build(pkts[i], &fa, 100);
	vfo_flow_update_burst(t, 0, pkts, 3, 500); /* lcore 0: 3 at 500 */
	vfo_flow_update_burst(t, 1, pkts, 2, 100); /* lcore 1: 2 at 100 ... */
	vfo_flow_update_burst(t, 1, pkts, 2, 900); /* ... and 2 at 900 */
	assert_int_equal(vfo_flow_count(t), 1);
	assert_int_equal(vfo_flow_top(t, 4, VFO_FLOW_BY_PACKETS, top), 1);
	check_flow(&top[0], &fa, 7, 700, 100, 900);
	/* Another flow on lcore 1 only. */
	build(pkts[0], &fb, 80);
	vfo_flow_update_burst(t, 1, pkts, 1, 1000);
	assert_int_equal(vfo_flow_count(t), 2);
	assert_int_equal(vfo_flow_top(t, 4, VFO_FLOW_BY_BYTES, top), 2);
	check_flow(&top[0], &fa, 7, 700, 100, 900);
	check_flow(&top[1], &fb, 1, 80, 1000, 1000);
	rte_pktmbuf_free_bulk(pkts, 4);
	vfo_flow_destroy(t);
}

/* Top N: most packets (or bytes) first, at most N, ties broken by bytes then key. */
static void
test_top_order(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("top", 64, 1, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[MAX_BURST];
	struct vfo_flow_info top[16];
	struct tflow f[10];
	unsigned int i, j, n = 0;

	(void)state;
	assert_non_null(t);
	alloc_burst(pkts, 55);
	/* Flow i: i + 1 packets of 1500 - 100 * i bytes: the packet order is the
	 * reverse of the byte order (flow i has (i + 1) * (1500 - 100 i) bytes). */
	for (i = 0; i < 10; i++) {
		f[i] = (struct tflow){IP4(10, 1, 0, i), IP4(10, 2, 0, 1), IPPROTO_UDP, 7, 9};
		for (j = 0; j <= i; j++)
			build(pkts[n++], &f[i], (uint16_t)(1500 - 100 * i));
	}
	vfo_flow_update_burst(t, 0, pkts, (uint16_t)n, 42);
	assert_int_equal(vfo_flow_top(t, 0, VFO_FLOW_BY_PACKETS, top), 0);
	assert_int_equal(vfo_flow_top(t, 3, VFO_FLOW_BY_PACKETS, top), 3);
	for (i = 0; i < 3; i++)
		check_flow(&top[i], &f[9 - i], 10 - i, (10 - i) * (1500 - 100 * (9 - i)), 42, 42);
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(top[i].packets, 10 - i);
	/* Bytes: (i + 1) * (1500 - 100 i) = 1500, 2800, 3900, 4800, 5500, 6000,
	 * 6300, 6400, 6300, 6000: flow 7 first, then 6 and 8 tie at 6300
	 * (8 has more packets), then 5 and 9 at 6000 (9 has more packets). */
	assert_int_equal(vfo_flow_top(t, 5, VFO_FLOW_BY_BYTES, top), 5);
	check_flow(&top[0], &f[7], 8, 6400, 42, 42);
	check_flow(&top[1], &f[8], 9, 6300, 42, 42);
	check_flow(&top[2], &f[6], 7, 6300, 42, 42);
	check_flow(&top[3], &f[9], 10, 6000, 42, 42);
	check_flow(&top[4], &f[5], 6, 6000, 42, 42);
	/* Same counters: the smaller key first. */
	build(pkts[0], &fa, 100);
	build(pkts[1], &fb, 100);
	vfo_flow_update_burst(t, 0, pkts + 1, 1, 50);
	vfo_flow_update_burst(t, 0, pkts, 1, 51);
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 12);
	check_flow(&top[10], &fa, 1, 100, 51, 51);
	check_flow(&top[11], &fb, 1, 100, 50, 50);
	rte_pktmbuf_free_bulk(pkts, 55);
	vfo_flow_destroy(t);
}

/*
 * Non-IPv4 and malformed frames are unclassified; other IPv4 protocols and
 * non-first fragments are flows with ports 0; VLAN tags are skipped.
 */
static void
test_unclassified(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("uncl", 64, 1, SOCKET_ID_ANY);
	const struct tflow icmp = {IP4(10, 9, 0, 1), IP4(10, 9, 0, 2), IPPROTO_ICMP, 0x0800, 7};
	const struct tflow icmp0 = {IP4(10, 9, 0, 1), IP4(10, 9, 0, 2), IPPROTO_ICMP, 0, 0};
	const struct tflow frag0 = {fa.src, fa.dst, IPPROTO_UDP, 0, 0};
	struct rte_mbuf *pkts[10];
	struct vfo_flow_info top[8];
	struct vfo_flow_stats st;
	json_t *j;

	(void)state;
	assert_non_null(t);
	alloc_burst(pkts, 10);
	build_other(pkts[0], RTE_ETHER_TYPE_ARP, 60);	/* ARP */
	build_other(pkts[1], RTE_ETHER_TYPE_IPV6, 100); /* IPv6 */
	build(pkts[2], &fa, 60);
	rte_pktmbuf_trim(pkts[2], 60 - 30);		     /* IPv4 header cut short */
	build(pkts[3], &icmp, 70);			     /* ICMP: a flow, ports 0 */
	build_ip(pkts[4], &fa, 90, 1, 0);		     /* one VLAN tag: flow A */
	build_ip(pkts[5], &fa, 94, 2, 0);		     /* two tags: flow A */
	build_ip(pkts[6], &fa, 80, 0, 185);		     /* a non-first fragment: ports 0 */
	build_ip(pkts[7], &fa, 80, 0, RTE_IPV4_HDR_MF_FLAG); /* first fragment: ports */
	build(pkts[8], &fa, 60);
	rte_pktmbuf_mtod_offset(pkts[8], struct rte_ipv4_hdr *, 14)->version_ihl =
		0x44;				       /* IHL 16 B */
	build_other(pkts[9], RTE_ETHER_TYPE_IPV4, 20); /* too short for any IPv4 header */
	vfo_flow_update_burst(t, 0, pkts, 10, 7);

	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.unclassified_pkts, 5);
	assert_int_equal(st.unclassified_bytes, 60 + 100 + 30 + 60 + 20);
	assert_int_equal(st.flows, 3);
	assert_int_equal(vfo_flow_top(t, 8, VFO_FLOW_BY_PACKETS, top), 3);
	check_flow(&top[0], &fa, 3, 90 + 94 + 80, 7, 7);
	check_flow(&top[1], &frag0, 1, 80, 7, 7);
	check_flow(&top[2], &icmp0, 1, 70, 7, 7);
	j = vfo_flow_top_json(t, 8);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "unclassified")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "total_flows")), 3);
	json_decref(j);
	rte_pktmbuf_free_bulk(pkts, 10);
	vfo_flow_destroy(t);
}

/*
 * A full table refuses new flows (counted in table_full), keeps counting the
 * flows it has, and never drops or alters a packet.
 */
static void
test_table_full(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("full", 8, 1, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[12];
	struct vfo_flow_info top[16];
	struct vfo_flow_stats st;
	struct tflow f[12];
	unsigned int i;
	json_t *j;

	(void)state;
	assert_non_null(t);
	alloc_burst(pkts, 12);
	for (i = 0; i < 12; i++) {
		f[i] = (struct tflow){IP4(10, 3, 0, i), IP4(10, 4, 0, 1), IPPROTO_UDP, 1, 2};
		build(pkts[i], &f[i], 100);
	}
	vfo_flow_update_burst(t, 0, pkts, 12, 10);
	vfo_flow_update_burst(t, 0, pkts, 12, 20);
	for (i = 0; i < 12; i++) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *, 14);

		/* Each packet is still there, as it was. */
		assert_int_equal(rte_pktmbuf_pkt_len(pkts[i]), 100);
		assert_int_equal(rte_be_to_cpu_32(ip->src_addr), f[i].src);
	}
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows, 8);
	assert_int_equal(st.table_full, 8); /* 4 refused per burst */
	assert_int_equal(vfo_flow_count(t), 8);
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 8);
	for (i = 0; i < 8; i++)
		check_flow(&top[i], &f[i], 2, 200, 10, 20); /* the first 8 were taken */
	j = vfo_flow_top_json(t, 16);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "table_full")), 8);
	assert_int_equal(json_integer_value(json_object_get(j, "max_flows")), 8);
	json_decref(j);
	rte_pktmbuf_free_bulk(pkts, 12);
	vfo_flow_destroy(t);
}

/* Reset empties the table at once; lcores start afresh on their next burst. */
static void
test_reset(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("reset", 8, 2, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[12];
	struct vfo_flow_info top[16];
	struct vfo_flow_stats st;
	unsigned int i;

	(void)state;
	assert_non_null(t);
	alloc_burst(pkts, 12);
	for (i = 0; i < 12; i++) {
		struct tflow f = {IP4(10, 5, 0, i), IP4(10, 6, 0, 1), IPPROTO_UDP, 1, 2};

		build(pkts[i], &f, 100);
	}
	build_other(pkts[11], RTE_ETHER_TYPE_ARP, 60);
	vfo_flow_update_burst(t, 0, pkts, 12, 10); /* 8 flows, 3 full, 1 ARP */
	vfo_flow_update_burst(t, 1, pkts, 2, 10);
	vfo_flow_reset(t);
	assert_int_equal(vfo_flow_count(t), 0);
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 0);
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows + st.unclassified_pkts + st.table_full, 0);
	/* Lcore 0 comes back with flow A only; lcore 1 stays idle (and stale). */
	build(pkts[0], &fa, 64);
	vfo_flow_update_burst(t, 0, pkts, 1, 99);
	assert_int_equal(vfo_flow_count(t), 1);
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 1);
	check_flow(&top[0], &fa, 1, 64, 99, 99);
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.unclassified_pkts + st.table_full, 0);
	/* The table is empty again: 8 new flows fit on lcore 0. */
	for (i = 0; i < 8; i++) {
		struct tflow f = {IP4(10, 7, 0, i), IP4(10, 6, 0, 1), IPPROTO_UDP, 1, 2};

		build(pkts[i], &f, 100);
	}
	vfo_flow_update_burst(t, 0, pkts, 7, 100);
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows, 8);
	assert_int_equal(st.table_full, 0);
	rte_pktmbuf_free_bulk(pkts, 12);
	vfo_flow_destroy(t);
}

/* The JSON reply has the documented shape and values. */
static void
test_json(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("json", 64, 1, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[3];
	uint64_t now_us;
	json_t *j, *fl, *f0;

	(void)state;
	assert_non_null(t);
	alloc_burst(pkts, 3);
	build(pkts[0], &fc, 300);
	build(pkts[1], &fc, 300);
	build(pkts[2], &fa, 1000);
	vfo_flow_update_burst(t, 0, pkts, 3, rte_rdtsc());
	now_us = vfo_mono_us();

	j = vfo_flow_top_json(t, 1);
	assert_non_null(j);
	fl = json_object_get(j, "flows");
	assert_true(json_is_array(fl));
	assert_int_equal(json_array_size(fl), 1);
	f0 = json_array_get(fl, 0);
	assert_string_equal(json_string_value(json_object_get(f0, "src")), "10.0.0.5");
	assert_string_equal(json_string_value(json_object_get(f0, "dst")), "10.0.0.6");
	assert_int_equal(json_integer_value(json_object_get(f0, "proto")), 6);
	assert_int_equal(json_integer_value(json_object_get(f0, "sport")), 40000);
	assert_int_equal(json_integer_value(json_object_get(f0, "dport")), 443);
	assert_int_equal(json_integer_value(json_object_get(f0, "packets")), 2);
	assert_int_equal(json_integer_value(json_object_get(f0, "bytes")), 600);
	/* Seen just now, on the CLOCK_MONOTONIC µs scale. */
	assert_true((uint64_t)json_integer_value(json_object_get(f0, "first_seen_us")) <=
		    now_us + 1000);
	assert_true((uint64_t)json_integer_value(json_object_get(f0, "first_seen_us")) + 2000000 >
		    now_us);
	assert_int_equal(json_integer_value(json_object_get(f0, "last_seen_us")),
			 json_integer_value(json_object_get(f0, "first_seen_us")));
	assert_int_equal(json_integer_value(json_object_get(j, "total_flows")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "unclassified")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "table_full")), 0);
	assert_null(json_object_get(j, "order"));
	json_decref(j);

	j = vfo_flow_top_json_by(t, 10, VFO_FLOW_BY_BYTES);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "order")), "bytes");
	fl = json_object_get(j, "flows");
	assert_int_equal(json_array_size(fl), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 0), "src")),
			    "10.0.0.1");
	json_decref(j);
	rte_pktmbuf_free_bulk(pkts, 3);
	vfo_flow_destroy(t);
}

/* Flows of the random run. */
#define RND_FLOWS 10000
/* Packets of the random run. */
#define RND_PKTS 300000
/* Lcore indexes of the random run. */
#define RND_LCORES 3

/* Host-order flow number i of the random run (src address encodes i). */
static struct tflow
rnd_flow(unsigned int i)
{
	return (struct tflow){IP4(10, 128, 0, 0) + i, IP4(192, 168, 1, 1 + i % 7),
			      i % 3 == 0 ? IPPROTO_TCP : IPPROTO_UDP, (uint16_t)(1024 + i),
			      (uint16_t)(i % 5 == 0 ? 53 : 80)};
}

/* Per-flow reference counters of the random run. */
struct ref {
	uint64_t packets, bytes, first, last; /* as the table should report them */
};

/*
 * 10,000 flows, random packets (flow, length, lcore index, burst size up to
 * MAX_BURST so bursts span several bulk lookups, repeats within a burst):
 * every flow's counters match a reference computed here.
 */
static void
test_random_10k(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("rnd", 16384, RND_LCORES, SOCKET_ID_ANY);
	struct ref *ref = calloc(RND_FLOWS, sizeof(*ref));
	struct vfo_flow_info *top = calloc(RND_FLOWS + 1, sizeof(*top));
	struct rte_mbuf *pkts[MAX_BURST];
	struct vfo_flow_stats st;
	unsigned int sent = 0, i, seen = 0;
	uint64_t tsc = 1000;

	(void)state;
	assert_non_null(t);
	assert_non_null(ref);
	assert_non_null(top);
	srand(12345);
	alloc_burst(pkts, MAX_BURST);
	while (sent < RND_PKTS) {
		unsigned int n = 1 + (unsigned int)rand() % MAX_BURST;
		unsigned int lc = (unsigned int)rand() % RND_LCORES;

		n = RTE_MIN(n, RND_PKTS - sent);
		tsc += 1 + (unsigned int)rand() % 1000;
		for (i = 0; i < n; i++) {
			/* Half the packets from a hot set of 64 flows: repeats in bursts. */
			unsigned int fi = (unsigned int)rand() % (rand() % 2 ? 64 : RND_FLOWS);
			uint16_t len = (uint16_t)(60 + rand() % 1455);
			struct tflow f = rnd_flow(fi);

			build(pkts[i], &f, len);
			if (ref[fi].packets == 0)
				ref[fi].first = tsc;
			ref[fi].packets++;
			ref[fi].bytes += len;
			ref[fi].last = tsc;
		}
		vfo_flow_update_burst(t, lc, pkts, (uint16_t)n, tsc);
		sent += n;
	}
	for (i = 0; i < RND_FLOWS; i++)
		seen += ref[i].packets != 0;
	assert_int_equal(vfo_flow_count(t), seen);
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.table_full, 0);
	assert_int_equal(st.unclassified_pkts, 0);
	assert_int_equal(vfo_flow_top(t, RND_FLOWS + 1, VFO_FLOW_BY_PACKETS, top), seen);
	for (i = 0; i < seen; i++) {
		unsigned int fi = rte_be_to_cpu_32(top[i].key.src_ip) - IP4(10, 128, 0, 0);
		struct tflow f;

		assert_true(fi < RND_FLOWS);
		f = rnd_flow(fi);
		check_flow(&top[i], &f, ref[fi].packets, ref[fi].bytes, ref[fi].first,
			   ref[fi].last);
		ref[fi].packets = 0; /* each flow reported once */
		if (i > 0)
			assert_true(top[i - 1].packets >= top[i].packets);
	}
	rte_pktmbuf_free_bulk(pkts, MAX_BURST);
	free(top);
	free(ref);
	vfo_flow_destroy(t);
}

/*
 * The SipHash code against the reference vectors of SipHash-2-4 (key
 * 00 01 .. 0f): the empty message and the paper's 15-byte message 00 .. 0e.
 */
static void
test_siphash_vectors(void **state)
{
	struct vfo_siphash_key k;
	uint8_t key[16], msg[15];
	unsigned int i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	memcpy(&k.k0, key, 8);
	memcpy(&k.k1, key + 8, 8);
	k.k0 = rte_le_to_cpu_64(k.k0);
	k.k1 = rte_le_to_cpu_64(k.k1);
	assert_true(vfo_siphash(&k, msg, 15, 2, 4) == UINT64_C(0xa129ca6149be45e5));
	assert_true(vfo_siphash(&k, msg, 0, 2, 4) == UINT64_C(0x726fdb47dd0e0e31));
}

/* Each table draws its own hash key: the same flow hashes differently. */
static void
test_hash_key_per_table(void **state)
{
	struct vfo_flow_table *t1 = vfo_flow_create("k1", 64, 1, SOCKET_ID_ANY);
	struct vfo_flow_table *t2 = vfo_flow_create("k2", 64, 1, SOCKET_ID_ANY);
	struct vfo_flow_key ka = key_of(&fa), kb = key_of(&fb);

	(void)state;
	assert_non_null(t1);
	assert_non_null(t2);
	assert_true(vfo_flow_key_hash(t1, &ka) != vfo_flow_key_hash(t2, &ka));
	assert_true(vfo_flow_key_hash(t1, &ka) != vfo_flow_key_hash(t1, &kb));
	assert_true(vfo_flow_key_hash(t1, &ka) == vfo_flow_key_hash(t1, &ka));
	vfo_flow_destroy(t1);
	vfo_flow_destroy(t2);
}

/* Returns 'ms' milliseconds in TSC cycles. */
static uint64_t
ms_tsc(uint64_t ms)
{
	return rte_get_tsc_hz() / 1000 * ms;
}

/*
 * Aging: idle flows are removed by the owner's next burst and their entries
 * serve new flows, so a full table recovers; flows idle past the timeout are
 * hidden from readers at once; reset still empties everything.
 */
static void
test_aging(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("age", 8, 1, SOCKET_ID_ANY);
	struct rte_mbuf *pkts[12];
	struct vfo_flow_info top[16];
	struct vfo_flow_stats st;
	struct tflow f[12];
	uint64_t t0 = rte_rdtsc() + ms_tsc(3600 * 1000); /* later than any read */
	unsigned int i;
	json_t *j;

	(void)state;
	assert_non_null(t);
	assert_int_equal(vfo_flow_idle_timeout(t), 0);
	vfo_flow_set_idle_timeout(t, 100000); /* 100 ms */
	assert_int_equal(vfo_flow_idle_timeout(t), 100000);
	alloc_burst(pkts, 12);
	for (i = 0; i < 12; i++) {
		f[i] = (struct tflow){IP4(10, 30, 0, i), IP4(10, 31, 0, 1), IPPROTO_UDP, 1, 2};
		build(pkts[i], &f[i], 100);
	}
	/* A flood: 12 flows, 8 fit, 4 refused. */
	vfo_flow_update_burst(t, 0, pkts, 12, t0);
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows, 8);
	assert_int_equal(st.table_full, 4);
	/* Flow 0 stays busy at +50 ms; flows 1..7 go quiet. */
	vfo_flow_update_burst(t, 0, pkts, 1, t0 + ms_tsc(50));
	/* At +120 ms flows 1..7 are idle 120 ms > 100: the burst's sweep frees
	 * them and flows 8..11 (refused before) now fit. */
	vfo_flow_update_burst(t, 0, pkts + 8, 4, t0 + ms_tsc(120));
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.aged_out, 7);
	assert_int_equal(st.flows, 5);
	assert_int_equal(st.table_full, 4); /* counted before, kept */
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 5);
	check_flow(&top[0], &f[0], 2, 200, t0, t0 + ms_tsc(50));
	for (i = 1; i < 5; i++)
		check_flow(&top[i], &f[7 + i], 1, 100, t0 + ms_tsc(120), t0 + ms_tsc(120));
	/* 3 entries are free again: 3 of flows 1..7 come back as new flows. */
	vfo_flow_update_burst(t, 0, pkts + 1, 7, t0 + ms_tsc(121));
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows, 8);
	assert_int_equal(st.table_full, 8);
	j = vfo_flow_top_json(t, 1);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "aged_out")), 7);
	assert_int_equal(json_integer_value(json_object_get(j, "idle_timeout_ms")), 100);
	json_decref(j);
	/* Reset empties the table, free stack included. */
	vfo_flow_reset(t);
	for (i = 0; i < 8; i++)
		build(pkts[i], &f[4 + i], 100);
	vfo_flow_update_burst(t, 0, pkts, 8, t0 + ms_tsc(122));
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.flows, 8);
	assert_int_equal(st.table_full + st.aged_out, 0);
	vfo_flow_destroy(t);

	/* Readers hide flows idle past the timeout before any sweep. */
	t = vfo_flow_create("age2", 8, 1, SOCKET_ID_ANY);
	assert_non_null(t);
	vfo_flow_set_idle_timeout(t, 100000);
	vfo_flow_update_burst(t, 0, pkts, 2, rte_rdtsc() - ms_tsc(300));
	assert_int_equal(vfo_flow_count(t), 0);
	assert_int_equal(vfo_flow_top(t, 16, VFO_FLOW_BY_PACKETS, top), 0);
	/* Off again: they show. */
	vfo_flow_set_idle_timeout(t, 0);
	assert_int_equal(vfo_flow_count(t), 2);
	rte_pktmbuf_free_bulk(pkts, 12);
	vfo_flow_destroy(t);
}

/* Flows, lcores, table size and idle timeout of the aging reference run. */
#define AGE_FLOWS   300
#define AGE_LCORES  2
#define AGE_MAX	    64
#define AGE_IDLE_MS 5

/* One (lcore, flow) entry of the aging reference model. */
struct age_ref {
	bool live;			      /* in the lcore's table */
	uint64_t packets, bytes, first, last; /* its counters */
};

/*
 * Aging against a reference model: random bursts of 300 flows on two lcore
 * indexes of 64 entries each, time advancing 0..2 ms per burst with a 5 ms
 * timeout.  With 64 entries every sweep looks at all of them, so the model
 * is exact: at each burst at least 1 ms after the lcore's last sweep, flows
 * idle more than 5 ms go; then new flows take free entries until full.
 * Every counter, table_full and aged_out must match.
 */
static void
test_aging_reference(void **state)
{
	struct vfo_flow_table *t = vfo_flow_create("ageref", AGE_MAX, AGE_LCORES, SOCKET_ID_ANY);
	static struct age_ref ref[AGE_LCORES][AGE_FLOWS];
	struct vfo_flow_info *top = calloc(AGE_FLOWS + 1, sizeof(*top));
	uint64_t full = 0, aged = 0, sweep[AGE_LCORES] = {0}, idle = ms_tsc(AGE_IDLE_MS);
	uint64_t now = rte_rdtsc() + ms_tsc(3600 * 1000), period = rte_get_tsc_hz() / 1000;
	unsigned int live[AGE_LCORES] = {0}, b, i, l, n_expect = 0, fi;
	struct rte_mbuf *pkts[48];
	struct vfo_flow_stats st;
	int n;

	(void)state;
	assert_non_null(t);
	assert_non_null(top);
	memset(ref, 0, sizeof(ref));
	vfo_flow_set_idle_timeout(t, AGE_IDLE_MS * 1000);
	srand(777);
	alloc_burst(pkts, 48);
	for (b = 0; b < 20000; b++) {
		unsigned int cnt = 1 + (unsigned int)rand() % 48;

		l = (unsigned int)rand() % AGE_LCORES;
		now += (uint64_t)(rand() % 2001) * rte_get_tsc_hz() / 1000000;
		if (now - sweep[l] >= period) {
			sweep[l] = now;
			for (fi = 0; fi < AGE_FLOWS; fi++) {
				struct age_ref *r = &ref[l][fi];

				if (r->live && (int64_t)(now - r->last) > (int64_t)idle) {
					r->live = false;
					live[l]--;
					aged++;
				}
			}
		}
		for (i = 0; i < cnt; i++) {
			/* A hot set of 20 flows and a long tail. */
			uint16_t len = (uint16_t)(60 + rand() % 100);
			struct tflow f;
			struct age_ref *r;

			fi = (unsigned int)rand() % (rand() % 2 ? 20 : AGE_FLOWS);
			f = rnd_flow(fi);
			build(pkts[i], &f, len);
			r = &ref[l][fi];
			if (!r->live) {
				if (live[l] == AGE_MAX) {
					full++;
					continue;
				}
				*r = (struct age_ref){.live = true, .first = now};
				live[l]++;
			}
			r->packets++;
			r->bytes += len;
			r->last = now;
		}
		vfo_flow_update_burst(t, l, pkts, (uint16_t)cnt, now);
	}
	assert_int_equal(vfo_flow_stats_get(t, &st), 0);
	assert_int_equal(st.table_full, full);
	assert_int_equal(st.aged_out, aged);
	assert_true(aged > 1000 && full > 100); /* the run did exercise both */
	for (fi = 0; fi < AGE_FLOWS; fi++)
		n_expect += ref[0][fi].live || ref[1][fi].live;
	assert_int_equal(st.flows, n_expect);
	n = vfo_flow_top(t, AGE_FLOWS + 1, VFO_FLOW_BY_PACKETS, top);
	assert_int_equal(n, (int)n_expect);
	for (i = 0; i < (unsigned int)n; i++) {
		struct age_ref sum = {.first = UINT64_MAX};
		struct tflow f;

		fi = rte_be_to_cpu_32(top[i].key.src_ip) - IP4(10, 128, 0, 0);
		assert_true(fi < AGE_FLOWS);
		for (l = 0; l < AGE_LCORES; l++) {
			const struct age_ref *r = &ref[l][fi];

			if (!r->live)
				continue;
			sum.packets += r->packets;
			sum.bytes += r->bytes;
			sum.first = RTE_MIN(sum.first, r->first);
			sum.last = RTE_MAX(sum.last, r->last);
		}
		f = rnd_flow(fi);
		check_flow(&top[i], &f, sum.packets, sum.bytes, sum.first, sum.last);
	}
	print_message("aging reference: %" PRIu64 " aged out, %" PRIu64 " refused, %u left\n", aged,
		      full, n_expect);
	rte_pktmbuf_free_bulk(pkts, 48);
	free(top);
	vfo_flow_destroy(t);
}

/* Bursts the concurrent writer sends. */
#define CONC_BURSTS 20000
/* Flows it cycles through. */
#define CONC_FLOWS 200

/* What the writer thread of the concurrency tests works on. */
struct conc {
	struct vfo_flow_table *t;  /* the table */
	struct rte_mbuf *pkts[32]; /* one burst, rewritten each time */
	uint64_t base;		   /* TSC of burst 0 (0: bursts at TSC 1, 2, 3 ...) */
	uint64_t step;		   /* TSC between bursts, with 'base' */
	int done;		   /* set by the writer when finished (atomic) */
};

/* Writer thread: CONC_BURSTS bursts of 32 flows on lcore index 1, cycling
 * through CONC_FLOWS flows. */
static void *
conc_writer(void *arg)
{
	struct conc *c = arg;
	unsigned int b, i;

	for (b = 0; b < CONC_BURSTS; b++) {
		for (i = 0; i < 32; i++) {
			unsigned int fi = (b * 32 + i) % CONC_FLOWS;
			struct tflow f = {IP4(10, 20, 0, 0) + fi, IP4(10, 21, 0, 1), IPPROTO_UDP, 9,
					  9};
			struct rte_ipv4_hdr *ip =
				rte_pktmbuf_mtod_offset(c->pkts[i], struct rte_ipv4_hdr *, 14);

			ip->src_addr = rte_cpu_to_be_32(f.src);
		}
		vfo_flow_update_burst(c->t, 1, c->pkts, 32,
				      c->base != 0 ? c->base + b * c->step : b + 1);
	}
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Readers run while a writer updates: every read is a plausible snapshot
 * (never more packets than sent, never more flows than exist) and the final
 * counters are exact.
 */
static void
test_concurrent_reader(void **state)
{
	struct vfo_flow_info *top = calloc(CONC_FLOWS + 1, sizeof(*top));
	struct conc c = {.t = vfo_flow_create("conc", 1024, 2, SOCKET_ID_ANY)};
	struct tflow f0 = {IP4(10, 20, 0, 0), IP4(10, 21, 0, 1), IPPROTO_UDP, 9, 9};
	unsigned int reads = 0, i;
	uint64_t total;
	pthread_t th;
	int n;

	(void)state;
	assert_non_null(c.t);
	assert_non_null(top);
	alloc_burst(c.pkts, 32);
	for (i = 0; i < 32; i++)
		build(c.pkts[i], &f0, 64);
	assert_int_equal(pthread_create(&th, NULL, conc_writer, &c), 0);
	while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) || reads == 0) {
		int64_t cnt = vfo_flow_count(c.t);
		json_t *j = vfo_flow_top_json(c.t, 5);

		assert_non_null(j);
		json_decref(j);
		assert_true(cnt >= 0 && cnt <= CONC_FLOWS);
		n = vfo_flow_top(c.t, CONC_FLOWS + 1, VFO_FLOW_BY_PACKETS, top);
		assert_true(n >= 0 && n <= CONC_FLOWS);
		for (total = 0, i = 0; i < (unsigned int)n; i++) {
			/* (packets and bytes are loaded apart: no relation checked) */
			assert_true(top[i].first_tsc <= top[i].last_tsc);
			total += top[i].packets;
		}
		assert_true(total <= (uint64_t)CONC_BURSTS * 32);
		reads++;
	}
	pthread_join(th, NULL);
	n = vfo_flow_top(c.t, CONC_FLOWS + 1, VFO_FLOW_BY_PACKETS, top);
	assert_int_equal(n, CONC_FLOWS);
	for (i = 0; i < CONC_FLOWS; i++) {
		assert_int_equal(top[i].packets, (uint64_t)CONC_BURSTS * 32 / CONC_FLOWS);
		assert_int_equal(top[i].bytes, (uint64_t)CONC_BURSTS * 32 / CONC_FLOWS * 64);
	}
	print_message("concurrent reader: %u reads during the writer's run\n", reads);
	rte_pktmbuf_free_bulk(c.pkts, 32);
	free(top);
	vfo_flow_destroy(c.t);
}

/*
 * Resets while a writer updates: reads stay within bounds, the writer never
 * sees its hash change under it, and after the writer stops a reset and one
 * burst leave exactly that burst in the table.
 */
static void
test_concurrent_reset(void **state)
{
	struct vfo_flow_info *top = calloc(CONC_FLOWS + 1, sizeof(*top));
	struct conc c = {.t = vfo_flow_create("creset", 1024, 2, SOCKET_ID_ANY)};
	struct tflow f0 = {IP4(10, 20, 0, 0), IP4(10, 21, 0, 1), IPPROTO_UDP, 9, 9};
	unsigned int resets = 0, i;
	struct vfo_flow_stats st;
	pthread_t th;
	int n;

	(void)state;
	assert_non_null(c.t);
	assert_non_null(top);
	alloc_burst(c.pkts, 32);
	for (i = 0; i < 32; i++)
		build(c.pkts[i], &f0, 64);
	assert_int_equal(pthread_create(&th, NULL, conc_writer, &c), 0);
	while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) || resets == 0) {
		vfo_flow_reset(c.t);
		resets++;
		n = vfo_flow_top(c.t, CONC_FLOWS + 1, VFO_FLOW_BY_PACKETS, top);
		assert_true(n >= 0 && n <= CONC_FLOWS);
		for (i = 0; i < (unsigned int)n; i++)
			assert_true(top[i].packets <= (uint64_t)CONC_BURSTS * 32 / CONC_FLOWS);
		assert_int_equal(vfo_flow_stats_get(c.t, &st), 0);
		assert_true(st.flows <= CONC_FLOWS && st.table_full == 0);
	}
	pthread_join(th, NULL);
	vfo_flow_reset(c.t);
	vfo_flow_update_burst(c.t, 1, c.pkts, 32, 7); /* 32 packets of the last flows */
	assert_int_equal(vfo_flow_count(c.t), 32);
	assert_int_equal(vfo_flow_top(c.t, CONC_FLOWS + 1, VFO_FLOW_BY_PACKETS, top), 32);
	for (i = 0; i < 32; i++)
		assert_true(top[i].packets == 1 && top[i].bytes == 64 && top[i].first_tsc == 7);
	print_message("concurrent reset: %u resets during the writer's run\n", resets);
	rte_pktmbuf_free_bulk(c.pkts, 32);
	free(top);
	vfo_flow_destroy(c.t);
}

/*
 * Readers while aging frees and reuses entries under them: a flow's key
 * and counters always come from one flow (its first TSC names the burst
 * that created it, which must have held that key), and each flow instance
 * has exactly its one packet (with a 1 ms timeout a flow goes two bursts
 * after its own, and comes back only six bursts later).
 */
static void
test_concurrent_aging(void **state)
{
	struct vfo_flow_info top[65];
	struct conc ca = {.t = vfo_flow_create("cage", 64, 2, SOCKET_ID_ANY)};
	struct tflow f0 = {IP4(10, 20, 0, 0), IP4(10, 21, 0, 1), IPPROTO_UDP, 9, 9};
	unsigned int reads = 0, i, seen = 0;
	struct vfo_flow_stats st;
	pthread_t th;
	int n;

	(void)state;
	assert_non_null(ca.t);
	vfo_flow_set_idle_timeout(ca.t, 1000);
	ca.step = ms_tsc(1);
	ca.base = rte_rdtsc() + ms_tsc(3600 * 1000);
	alloc_burst(ca.pkts, 32);
	for (i = 0; i < 32; i++)
		build(ca.pkts[i], &f0, 64);
	assert_int_equal(pthread_create(&th, NULL, conc_writer, &ca), 0);
	while (!__atomic_load_n(&ca.done, __ATOMIC_ACQUIRE) || reads == 0) {
		n = vfo_flow_top(ca.t, 65, VFO_FLOW_BY_PACKETS, top);
		assert_true(n >= 0 && n <= 64);
		for (i = 0; i < (unsigned int)n; i++) {
			unsigned int fi = rte_be_to_cpu_32(top[i].key.src_ip) - IP4(10, 20, 0, 0);
			uint64_t b = (top[i].first_tsc - ca.base) / ca.step;

			assert_true(fi < CONC_FLOWS && b < CONC_BURSTS);
			assert_int_equal(
				(fi + CONC_FLOWS - (b * 32) % CONC_FLOWS) % CONC_FLOWS < 32, 1);
			assert_int_equal(top[i].packets, 1);
			assert_int_equal(top[i].bytes, 64);
			assert_true(top[i].first_tsc == top[i].last_tsc);
		}
		seen += (unsigned int)n;
		reads++;
	}
	pthread_join(th, NULL);
	assert_int_equal(vfo_flow_stats_get(ca.t, &st), 0);
	/* Each burst from the third on freed the 32 flows of two bursts before,
	 * which made room for its own 32: none refused. */
	assert_int_equal(st.aged_out, (uint64_t)(CONC_BURSTS - 2) * 32);
	assert_int_equal(st.table_full, 0);
	print_message("concurrent aging: %u reads saw %u flows while %" PRIu64 " aged out\n", reads,
		      seen, st.aged_out);
	rte_pktmbuf_free_bulk(ca.pkts, 32);
	vfo_flow_destroy(ca.t);
}

int
main(void)
{
	char *eal[] = {"test_flow", "--no-huge",   "-m",
		       "512",	    "--no-shconf", "--no-pci",
		       "-l",	    "0",	   "--log-level=lib.eal:error",
		       NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad),
		cmocka_unit_test(test_exact_counters),
		cmocka_unit_test(test_two_lcores_summed),
		cmocka_unit_test(test_top_order),
		cmocka_unit_test(test_unclassified),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_random_10k),
		cmocka_unit_test(test_concurrent_reader),
		cmocka_unit_test(test_concurrent_reset),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_hash_key_per_table),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_aging_reference),
		cmocka_unit_test(test_concurrent_aging),
	};
	int ret;

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_flow: EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_flow", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "test_flow: no mbuf pool\n");
		rte_eal_cleanup();
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
