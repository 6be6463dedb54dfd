/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fwd_marks.c — the forwarding lcores' marks (vfo_fwd_marks.h): a mark
 * is placed on CLOCK_MONOTONIC at the TSC values it was given, however late
 * the lcore records it (it may lose its CPU between reading the TSC and
 * writing the mark), and its parts keep their TSC distances.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "vfo_fwd_marks.h"

/* How late the lcore records the mark, and the spans it reports (ms). */
#define LATE_MS	 50
#define STALL_MS 20
#define BATCH_MS 3
/* Slack for this test's own time between its TSC and clock reads (µs). */
#define SLACK_US 5000

/* Returns 'ms' in TSC cycles. */
static uint64_t
ms_tsc(uint64_t ms)
{
	return ms * rte_get_tsc_hz() / 1000u;
}

/* Returns field 'key' (µs) of the only lcore's mark 'i'. */
static uint64_t
field(const struct vfo_fwd_marks *m, size_t i, const char *key)
{
	json_t *all = vfo_fwd_marks_json(m, 1);
	json_t *mark = json_array_get(json_object_get(json_array_get(all, 0), "marks"), i);
	uint64_t v;

	assert_non_null(mark);
	v = (uint64_t)json_integer_value(json_object_get(mark, key));
	json_decref(all);
	return v;
}

/* A stall and an RX mark recorded LATE_MS after their batch ended sit at
 * the batch's end on the monotonic clock, not at the recording. */
static void
test_mark_placed_at_its_tsc(void **state)
{
	static struct vfo_fwd_marks m;
	uint64_t mono0, end_tsc, want;

	(void)state;
	end_tsc = rte_rdtsc() - ms_tsc(LATE_MS);
	mono0 = vfo_mono_us();
	want = mono0 - LATE_MS * 1000u; /* at most this: mono0 was read after the TSC */
	vfo_fwd_mark_stall(&m, end_tsc - ms_tsc(STALL_MS), end_tsc, 3);
	vfo_fwd_mark_rx(&m, end_tsc - ms_tsc(STALL_MS), end_tsc - ms_tsc(BATCH_MS), end_tsc, 3);

	assert_in_range(field(&m, 0, "to_us"), want - SLACK_US, want + 1000);
	assert_in_range(field(&m, 0, "to_us") - field(&m, 0, "from_us"), STALL_MS * 1000u - 1,
			STALL_MS * 1000u + 1);
	assert_in_range(field(&m, 1, "to_us"), want - SLACK_US, want + 1000);
	assert_in_range(field(&m, 1, "to_us") - field(&m, 1, "batch_us"), BATCH_MS * 1000u - 1,
			BATCH_MS * 1000u + 1);
	assert_in_range(field(&m, 1, "to_us") - field(&m, 1, "from_us"), STALL_MS * 1000u - 1,
			STALL_MS * 1000u + 1);
}

int
main(void)
{
	char *eal[] = {"test_fwd_marks",
		       "--no-huge",
		       "-m",
		       "64",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0",
		       "--log-level=lib.eal:error",
		       NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_placed_at_its_tsc),
	};

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_fwd_marks: EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL) | rte_eal_cleanup();
}
