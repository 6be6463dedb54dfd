/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_evac.c — host evacuation's reckoning, no libvirt: how busy a host's
 * CPUs were between two samples, and the summary of a run from its domain
 * reports (vfm.h).
 */
#include <string.h>

#include "vfm.h"

double
vfm_cpu_busy_pct(const struct vfm_cpu_sample *a, const struct vfm_cpu_sample *b)
{
	if (b->total <= a->total || b->busy < a->busy)
		return 0.0;
	return 100.0 * (double)(b->busy - a->busy) / (double)(b->total - a->total);
}

/* Returns the step named 'name' of a domain report's timeline (not a
 * rollback step), or NULL. */
static const json_t *
find_step(const json_t *dom, const char *name)
{
	const json_t *tl = json_object_get(dom, "timeline"), *s;
	size_t i;

	json_array_foreach(tl, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "step")) ?: "", name) == 0 &&
		    !json_is_true(json_object_get(s, "rollback")))
			return s;
	}
	return NULL;
}

/* Returns the integer at 'key' of 'o' when it is one, else -1. */
static json_int_t
int_or(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Returns one domain's line of the summary (a new object). */
static json_t *
domain_summary(const json_t *dom)
{
	const json_t *mig = find_step(dom, "migrate"), *prep = find_step(dom, "prepare"),
		     *back = find_step(dom, "guest_vf");
	const json_t *job =
		mig != NULL ? json_object_get(json_object_get(mig, "detail"), "job_stats") : NULL;
	json_t *o = json_object();

	json_object_set(o, "domain", json_object_get(dom, "domain"));
	json_object_set(o, "outcome", json_object_get(dom, "outcome"));
	json_object_set_new(o, "total_ms", json_integer(int_or(dom, "total_ms")));
	json_object_set_new(o, "downtime_ms", json_integer(int_or(job, "downtime")));
	json_object_set_new(o, "migration_ms", json_integer(int_or(job, "time_elapsed")));
	json_object_set_new(o, "vf_gap_ms",
			    json_integer(prep != NULL && back != NULL &&
							 json_is_true(json_object_get(back, "ok"))
						 ? int_or(back, "end_ms") - int_or(prep, "end_ms")
						 : -1));
	if (json_string_length(json_object_get(dom, "error")) != 0)
		json_object_set(o, "error", json_object_get(dom, "error"));
	return o;
}

json_t *
vfm_evac_summary(const json_t *domains, uint64_t total_ms)
{
	json_t *sum = json_object(), *per = json_array(), *counts = json_object(), *d;
	json_int_t max_down = -1, max_gap = -1;
	size_t i;

	json_array_foreach(domains, i, d)
	{
		json_t *s = domain_summary(d);
		const char *out = json_string_value(json_object_get(s, "outcome")) ?: "?";

		json_object_set_new(
			counts, out,
			json_integer(int_or(counts, out) < 0 ? 1 : int_or(counts, out) + 1));
		if (int_or(s, "downtime_ms") > max_down)
			max_down = int_or(s, "downtime_ms");
		if (int_or(s, "vf_gap_ms") > max_gap)
			max_gap = int_or(s, "vf_gap_ms");
		json_array_append_new(per, s);
	}
	json_object_set_new(sum, "domains", json_integer((json_int_t)json_array_size(domains)));
	json_object_set_new(sum, "outcomes", counts);
	json_object_set_new(sum, "total_ms", json_integer((json_int_t)total_ms));
	json_object_set_new(sum, "max_downtime_ms", json_integer(max_down));
	json_object_set_new(sum, "max_vf_gap_ms", json_integer(max_gap));
	json_object_set_new(sum, "per_domain", per);
	return sum;
}

void
vfm_evac_print(FILE *f, const json_t *sum, const char *src, const char *dst)
{
	const json_t *per = json_object_get(sum, "per_domain"), *counts, *d, *v;
	const char *k;
	size_t i;

	fprintf(f, "vfmigrate: evacuation of %lld domain(s) from %s to %s in %lld ms:",
		(long long)int_or(sum, "domains"), src != NULL ? src : "(default)", dst,
		(long long)int_or(sum, "total_ms"));
	counts = json_object_get(sum, "outcomes");
	json_object_foreach((json_t *)counts, k, v)
		fprintf(f, " %lld %s", (long long)json_integer_value(v), k);
	fputc('\n', f);
	json_array_foreach(per, i, d)
	{
		fprintf(f,
			"vfmigrate:   %-20s %-16s downtime %5lld ms  migration %6lld ms  VF gap "
			"%6lld "
			"ms  total %6lld ms\n",
			json_string_value(json_object_get(d, "domain")),
			json_string_value(json_object_get(d, "outcome")),
			(long long)int_or(d, "downtime_ms"), (long long)int_or(d, "migration_ms"),
			(long long)int_or(d, "vf_gap_ms"), (long long)int_or(d, "total_ms"));
	}
}
