/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_timeline.c — a domain's timeline: each step with its start and end
 * (CLOCK_MONOTONIC ms since the run began), its result and the details
 * its action reported (libvirt's job statistics for the migration), and
 * one progress line per step.
 *
 * Thread-safety: a timeline belongs to one worker thread; progress lines
 * of all workers go through the shared out_lock so they never interleave.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vfm.h"

/* Returns ms since the timeline started. */
static json_int_t
rel_ms(const struct vfm_timeline *tl)
{
	return (json_int_t)(vfo_mono_ms() - tl->t0_ms);
}

/* Starts timeline 'tl' now; returns 0, or -1 when memory is short. */
int
vfm_tl_init(struct vfm_timeline *tl, const char *domain, FILE *progress, pthread_mutex_t *out_lock)
{
	tl->domain = domain;
	tl->t0_ms = vfo_mono_ms();
	tl->progress = progress;
	tl->out_lock = out_lock;
	tl->steps = json_array();
	return tl->steps != NULL ? 0 : -1;
}

/* Opens step 'name' in 'tl'; returns the step (borrowed). */
json_t *
vfm_tl_begin(struct vfm_timeline *tl, const char *name, bool rollback)
{
	json_t *step = json_pack("{ss sI}", "step", name, "start_ms", rel_ms(tl));

	if (step != NULL && rollback)
		json_object_set_new(step, "rollback", json_true());
	if (step != NULL)
		json_array_append_new(tl->steps, step);
	return step;
}

/* Prints "[DOMAIN] +ELAPSED ms TEXT" under the output lock. */
static void
vprogress(struct vfm_timeline *tl, const char *fmt, va_list ap)
{
	if (tl->progress == NULL)
		return;
	if (tl->out_lock != NULL)
		pthread_mutex_lock(tl->out_lock);
	fprintf(tl->progress, "[%s] +%6lld ms  ", tl->domain, (long long)rel_ms(tl));
	vfprintf(tl->progress, fmt, ap);
	fputc('\n', tl->progress);
	fflush(tl->progress);
	if (tl->out_lock != NULL)
		pthread_mutex_unlock(tl->out_lock);
}

/* Prints a progress line (printf-style) for 'tl'. */
void
vfm_tl_note(struct vfm_timeline *tl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprogress(tl, fmt, ap);
	va_end(ap);
}

/* Closes 'step' with its result and detail (stolen) and prints its line
 * (with detail["warning"] when there is one). */
void
vfm_tl_end(struct vfm_timeline *tl, json_t *step, bool ok, const char *error, json_t *detail)
{
	json_int_t end = rel_ms(tl), start;
	const char *name, *warning;

	if (step == NULL) {
		json_decref(detail);
		return;
	}
	start = json_integer_value(json_object_get(step, "start_ms"));
	name = json_string_value(json_object_get(step, "step"));
	json_object_set_new(step, "end_ms", json_integer(end));
	json_object_set_new(step, "ms", json_integer(end - start));
	json_object_set_new(step, "ok", json_boolean(ok));
	if (error != NULL)
		json_object_set_new(step, "error", json_string(error));
	warning = json_string_value(json_object_get(detail, "warning"));
	if (ok && warning != NULL)
		vfm_tl_note(tl, "%s ok (%lld ms), with a warning: %s", name,
			    (long long)(end - start), warning);
	else if (ok)
		vfm_tl_note(tl, "%s ok (%lld ms)", name, (long long)(end - start));
	else
		vfm_tl_note(tl, "%s FAILED (%lld ms): %s", name, (long long)(end - start),
			    error != NULL ? error : "?");
	/* Last: 'warning' points into 'detail'. */
	if (detail != NULL && json_object_size(detail) > 0)
		json_object_set_new(step, "detail", detail);
	else
		json_decref(detail);
}

/* Frees the steps of 'tl'. */
void
vfm_tl_free(struct vfm_timeline *tl)
{
	json_decref(tl->steps);
	tl->steps = NULL;
}
