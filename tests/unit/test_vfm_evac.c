/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfm_evac.c — host evacuation's reckoning without libvirt: the CPU
 * busy percentage between two samples, and the summary of a run built from
 * domain reports as vfmigrate writes them (done, rolled back, skipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vfm.h"

static void
test_busy_pct(void **state)
{
	struct vfm_cpu_sample a = {.busy = 1000, .total = 4000}, b = {.busy = 1600, .total = 5000};

	(void)state;
	assert_true(vfm_cpu_busy_pct(&a, &b) > 59.99 && vfm_cpu_busy_pct(&a, &b) < 60.01);
	assert_true(vfm_cpu_busy_pct(&a, &a) == 0.0); /* no time passed */
	assert_true(vfm_cpu_busy_pct(&b, &a) == 0.0); /* counters went back (host rebooted) */
}

/* A domain report: steps prepare (ends at 'prep_end'), migrate (job
 * statistics) and guest_vf (ends at 'back_end', ok 'back_ok'). */
static json_t *
dom(const char *name, const char *outcome, int total, int prep_end, int downtime, int elapsed,
    int back_end, bool back_ok)
{
	return json_pack("{ss ss si ss si s[{ss si sb} {ss si sb s{s{si si}}} {ss si sb}]}",
			 "domain", name, "outcome", outcome, "exit", 0, "error", "", "total_ms",
			 total, "timeline", "step", "prepare", "end_ms", prep_end, "ok", 1, "step",
			 "migrate", "end_ms", prep_end + elapsed, "ok", 1, "detail", "job_stats",
			 "downtime", downtime, "time_elapsed", elapsed, "step", "guest_vf",
			 "end_ms", back_end, "ok", back_ok);
}

static void
test_summary(void **state)
{
	json_t *doms = json_array(), *s, *per;

	(void)state;
	json_array_append_new(doms, dom("g0", "done", 4000, 500, 80, 1200, 2900, true));
	json_array_append_new(doms, dom("g1", "done", 5000, 600, 120, 1500, 3600, true));
	json_array_append_new(doms, dom("g2", "on_backup", 6000, 700, 90, 1400, 5000, false));
	json_array_append_new(doms, json_pack("{ss ss si ss si s[]}", "domain", "g3", "outcome",
					      "skipped", "exit", 1, "error", "not started",
					      "total_ms", 0, "timeline"));
	s = vfm_evac_summary(doms, 12345);
	assert_int_equal(json_integer_value(json_object_get(s, "domains")), 4);
	assert_int_equal(json_integer_value(json_object_get(s, "total_ms")), 12345);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(s, "outcomes"), "done")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(s, "outcomes"), "skipped")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "max_downtime_ms")), 120);
	assert_int_equal(json_integer_value(json_object_get(s, "max_vf_gap_ms")), 3000);
	per = json_object_get(s, "per_domain");
	assert_int_equal(json_array_size(per), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(per, 0), "vf_gap_ms")),
			 2400);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(per, 1), "migration_ms")), 1500);
	/* the guest never got a VF back: no gap figure */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(per, 2), "vf_gap_ms")),
			 -1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(per, 3), "downtime_ms")),
			 -1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(per, 3), "error")),
			    "not started");
	json_decref(s);
	json_decref(doms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_pct),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
