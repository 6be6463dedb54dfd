/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_flow.c — libFuzzer harness of the flow table's packet parser and
 * table (dataplane/flow.c): random frames in random bursts on two lcore
 * indexes of a 16-flow table, with or without aging, then every reader.
 *
 * Input: a settings byte (bit 0: aging on; bits 1-3: timeout), then bursts:
 *   [lcore:1 bit | count-1:7 bits] [time step] then count frames [len] [bytes]
 * Each frame is an mbuf header pointing at an exact-size heap copy of its
 * bytes, so ASan catches any read past the frame.  Time runs from one hour
 * ahead of now (readers hide nothing that is not idle in input time).
 *
 * Checks: the table never holds more than its capacity, readers agree with
 * each other, and without aging every packet is accounted for exactly once:
 * in a flow, as unclassified, or as refused by a full table.
 */
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "fuzz_eal.h"
#include "vfo_flow.h"

/* Capacity of each lcore's table: small, so that short inputs fill it. */
#define MAX_FLOWS 16
/* Lcore indexes the bursts go to. */
#define LCORES 2
/* Most frames in a burst: 128 spans two bulk lookups of the hash (64 each). */
#define MAX_BURST 128

static struct vfo_flow_table *table;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init("fuzz_flow");
	table = vfo_flow_create("fuzz", MAX_FLOWS, LCORES, SOCKET_ID_ANY);
	FUZZ_CHECK(table != NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rte_mbuf mb[MAX_BURST];
	struct rte_mbuf *pkts[MAX_BURST];
	struct fuzz_in in = {.p = data, .left = size};
	struct vfo_flow_info top[LCORES * MAX_FLOWS + 1];
	struct vfo_flow_stats st;
	uint64_t now = rte_rdtsc() + rte_get_tsc_hz() * 3600, sent = 0, counted = 0;
	uint8_t set = fuzz_u8(&in);
	bool aging = set & 1;
	int64_t count;
	json_t *j;
	int n, i;

	vfo_flow_reset(table);
	/* 1 .. 8 ms: time steps below reach past it. */
	vfo_flow_set_idle_timeout(table, aging ? 1000u * (1 + ((set >> 1) & 7)) : 0);
	while (in.left > 0) {
		uint8_t h = fuzz_u8(&in);
		unsigned int lc = h >> 7, cnt = 1 + (h & 0x7f);

		now += (uint64_t)fuzz_u8(&in) * rte_get_tsc_hz() / 10000; /* 0..25.5 ms */
		for (i = 0; i < (int)cnt && in.left > 0; i++) {
			size_t len;
			uint8_t *b = fuzz_bytes(&in, fuzz_u8(&in), &len);

			memset(&mb[i], 0, sizeof(mb[i]));
			mb[i].buf_addr = b;
			mb[i].data_off = 0;
			mb[i].data_len = (uint16_t)len;
			mb[i].pkt_len = (uint32_t)len;
			mb[i].nb_segs = 1;
			pkts[i] = &mb[i];
		}
		vfo_flow_update_burst(table, lc, pkts, (uint16_t)i, now);
		sent += (uint64_t)i;
		while (i-- > 0)
			free(mb[i].buf_addr);
	}
	FUZZ_CHECK(vfo_flow_stats_get(table, &st) == 0);
	count = vfo_flow_count(table);
	FUZZ_CHECK(count >= 0 && (uint64_t)count == st.flows);
	FUZZ_CHECK(st.flows <= LCORES * MAX_FLOWS);
	n = vfo_flow_top(table, LCORES * MAX_FLOWS + 1, VFO_FLOW_BY_PACKETS, top);
	FUZZ_CHECK(n >= 0 && (uint64_t)n == st.flows);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(top[i].packets >= 1 && top[i].first_tsc <= top[i].last_tsc);
		FUZZ_CHECK(i == 0 || top[i - 1].packets >= top[i].packets);
		counted += top[i].packets;
	}
	if (!aging)
		FUZZ_CHECK(counted + st.unclassified_pkts + st.table_full == sent);
	else
		FUZZ_CHECK(counted + st.unclassified_pkts + st.table_full <= sent);
	j = vfo_flow_top_json_by(table, 4, VFO_FLOW_BY_BYTES);
	FUZZ_CHECK(j != NULL);
	free(json_dumps(j, JSON_COMPACT));
	json_decref(j);
	return 0;
}
