/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd_marks.c — the forwarding lcores' marks (stalls, RX resuming after a
 * quiet spell): written out of line by the lcore that noticed them, read as
 * JSON by the control thread.  See vfo_fwd_marks.h.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "vfo_fwd_marks.h"

uint64_t
vfo_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Returns the calling thread's CPU time in µs. */
static uint64_t
thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Returns 'now_us' moved back by the TSC cycles from 'tsc' to 'now_tsc'. */
static uint64_t
back_us(uint64_t now_us, uint64_t now_tsc, uint64_t tsc)
{
	uint64_t d = (now_tsc - tsc) * 1000000u / rte_get_tsc_hz();

	return d < now_us ? now_us - d : 0;
}

/* Appends one mark; the TSC values are turned into CLOCK_MONOTONIC µs by one
 * clock read now, paired with the TSC read right after it (EAL's TSC rate
 * may be 0.2 % off: µs over a stall).  The pair, not 'now_tsc', anchors the
 * conversion: the lcore may lose its CPU between reading 'now_tsc' and
 * getting here (seen right after a migration on TCG: 4.5 ms), which would
 * otherwise shift the whole mark that much later. */
static void
put(struct vfo_fwd_marks *m, enum vfo_fwd_mark_kind kind, uint64_t from_tsc, uint64_t batch_tsc,
    uint64_t now_tsc, uint64_t pkts)
{
	uint32_t seq = m->next;
	struct vfo_fwd_mark *e = &m->ring[seq % VFO_FWD_MARKS];
	uint64_t mono_us = vfo_mono_us();
	uint64_t mono_tsc = rte_rdtsc();

	e->from_us = back_us(mono_us, mono_tsc, from_tsc);
	e->batch_us = back_us(mono_us, mono_tsc, batch_tsc);
	e->to_us = back_us(mono_us, mono_tsc, now_tsc);
	e->cpu_us = thread_cpu_us();
	e->pkts = pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)pkts;
	e->kind = kind;
	__atomic_store_n(&m->next, seq + 1, __ATOMIC_RELEASE);
}

void
vfo_fwd_mark_stall(struct vfo_fwd_marks *m, uint64_t from_tsc, uint64_t now_tsc, uint64_t pkts)
{
	if (m != NULL)
		put(m, VFO_FWD_MARK_STALL, from_tsc, from_tsc, now_tsc, pkts);
}

void
vfo_fwd_mark_rx(struct vfo_fwd_marks *m, uint64_t last_tsc, uint64_t batch_tsc, uint64_t now_tsc,
		uint64_t pkts)
{
	if (m != NULL)
		put(m, VFO_FWD_MARK_RX_RESUMED, last_tsc, batch_tsc, now_tsc, pkts);
}

/* Returns the marks of one lcore's ring as a JSON array, oldest first. */
static json_t *
ring_json(const struct vfo_fwd_marks *m, uint32_t *total)
{
	struct vfo_fwd_mark copy[VFO_FWD_MARKS];
	uint32_t end = __atomic_load_n(&m->next, __ATOMIC_ACQUIRE), first, after, i;
	json_t *a = json_array();

	first = end > VFO_FWD_MARKS ? end - VFO_FWD_MARKS : 0;
	for (i = first; i < end; i++)
		copy[i % VFO_FWD_MARKS] = m->ring[i % VFO_FWD_MARKS];
	/* Entries the writer reached while they were copied are torn: drop them. */
	after = __atomic_load_n(&m->next, __ATOMIC_ACQUIRE);
	if (after > VFO_FWD_MARKS && after - VFO_FWD_MARKS > first)
		first = RTE_MIN(after - VFO_FWD_MARKS, end);
	for (i = first; i < end; i++) {
		const struct vfo_fwd_mark *e = &copy[i % VFO_FWD_MARKS];

		json_array_append_new(
			a, json_pack("{ss sI sI sI sI sI}", "kind",
				     e->kind == VFO_FWD_MARK_STALL ? "stall" : "rx_resumed",
				     "from_us", (json_int_t)e->from_us, "batch_us",
				     (json_int_t)e->batch_us, "to_us", (json_int_t)e->to_us,
				     "cpu_us", (json_int_t)e->cpu_us, "pkts", (json_int_t)e->pkts));
	}
	*total = end;
	return a;
}

json_t *
vfo_fwd_marks_json(const struct vfo_fwd_marks *m, unsigned int n)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; m != NULL && i < n; i++) {
		uint32_t total;
		json_t *marks = ring_json(&m[i], &total);

		json_array_append_new(a, json_pack("{sI sI so}", "lcore_index", (json_int_t)i,
						   "total", (json_int_t)total, "marks", marks));
	}
	return a;
}
