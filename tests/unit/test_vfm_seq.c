/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfm_seq.c — unit tests of vfmigrate's step sequencer over fake
 * ops: the order of the steps when all succeed (the host steers to the
 * backup before the guest releases the VF), and for every failure
 * (preflight, guest check, no free VF or a MAC in use at the reservation,
 * steering, prepare, detach timing out, migration failing, timing out or
 * cancelled, attach failing or finding no free VF, the guest not
 * answering) which steps ran, which rollback followed, when the
 * reservation was given up, the outcome, the exit status, the error and
 * the timeline; and the timeline itself (its JSON and its progress lines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vfm.h"

/** The fake: what each op returns, and the calls made, in order. */
struct fake {
	char log[512];	   /**< "op op:side ..." */
	const char *fail;  /**< the call that fails ("migrate", "attach:dst", ...) */
	const char *fail2; /**< a second call that fails (a rollback step) */
	int fail_rc;	   /**< its rc (VFM_STEP_FAIL or VFM_STEP_CANCELLED) */
	bool vf_gone;	   /**< vf_on_source answers false */
	volatile sig_atomic_t *cancel_on_detach; /**< set during the detach */
	bool reserved;				 /**< a reservation is held */
};

/* Logs call 'name' and returns its scripted rc, with an error when it fails. */
static int
call(struct fake *f, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s%s", n ? " " : "", name);
	if ((f->fail != NULL && strcmp(name, f->fail) == 0) ||
	    (f->fail2 != NULL && strcmp(name, f->fail2) == 0)) {
		if (f->fail_rc == VFM_STEP_NO_VF)
			snprintf(err, errlen, "%s: no free VF", name);
		else if (f->fail_rc != VFM_STEP_CANCELLED)
			snprintf(err, errlen, "%s broke", name);
		return f->fail_rc != 0 ? f->fail_rc : VFM_STEP_FAIL;
	}
	return VFM_STEP_OK;
}

/* Returns "name:src" / "name:dst" in a static buffer. */
static const char *
sided(const char *name, enum vfm_side side)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s:%s", name, side == VFM_SRC ? "src" : "dst");
	return buf;
}

/* Fake op "preflight": logged; adds a detail. */
static int
f_preflight(void *ctx, json_t *d, char *err, size_t errlen)
{
	json_object_set_new(d, "checked", json_true());
	return call(ctx, "preflight", err, errlen);
}

/* Fake op "guest_check": logged. */
static int
f_guest_check(void *ctx, json_t *d, char *err, size_t errlen)
{
	(void)d;
	return call(ctx, "guest_check", err, errlen);
}

/* Fake op "guest_prepare": logged. */
static int
f_prepare(void *ctx, json_t *d, char *err, size_t errlen)
{
	(void)d;
	return call(ctx, "prepare", err, errlen);
}

/* Fake op "guest_vf": logged with its side. */
static int
f_guest_vf(void *ctx, enum vfm_side side, json_t *d, char *err, size_t errlen)
{
	(void)d;
	return call(ctx, sided("guest_vf", side), err, errlen);
}

/* Fake op "steer": logged with its direction and side. */
static int
f_steer(void *ctx, enum vfm_steer to, enum vfm_side side, json_t *d, char *err, size_t errlen)
{
	(void)d;
	return call(ctx, sided(to == VFM_STEER_BACKUP ? "steer_backup" : "steer_vf", side), err,
		    errlen);
}

/* Fake op "detach": logged; may set the Ctrl-C flag meanwhile. */
static int
f_detach(void *ctx, json_t *d, char *err, size_t errlen)
{
	struct fake *f = ctx;

	(void)d;
	if (f->cancel_on_detach != NULL)
		*f->cancel_on_detach = 1;
	return call(ctx, "detach", err, errlen);
}

/* Fake op "vf_on_source": false when the script says the VF is gone. */
static bool
f_vf_on_source(void *ctx)
{
	return !((struct fake *)ctx)->vf_gone;
}

/* Fake op "migrate": logged; adds job statistics. */
static int
f_migrate(void *ctx, json_t *d, char *err, size_t errlen)
{
	json_object_set_new(d, "job_stats", json_pack("{sI}", "downtime", (json_int_t)42));
	return call(ctx, "migrate", err, errlen);
}

/* Fake op "attach": logged with its side; on the destination it ends the
 * reservation when it succeeds (the VF is attached). */
static int
f_attach(void *ctx, enum vfm_side side, json_t *d, char *err, size_t errlen)
{
	struct fake *f = ctx;
	int rc = call(ctx, sided("attach", side), err, errlen);

	(void)d;
	if (side == VFM_DST && rc == VFM_STEP_OK)
		f->reserved = false;
	return rc;
}

/* Fake op "reserve": logged; holds a reservation when it succeeds. */
static int
f_reserve(void *ctx, json_t *d, char *err, size_t errlen)
{
	struct fake *f = ctx;
	int rc = call(ctx, "reserve", err, errlen);

	json_object_set_new(d, "vf", json_string("pool:test"));
	f->reserved = rc == VFM_STEP_OK;
	return rc;
}

/* Fake op "release": logged when a reservation was held (the real one
 * does nothing otherwise). */
static void
f_release(void *ctx)
{
	struct fake *f = ctx;

	if (f->reserved) {
		f->reserved = false;
		call(ctx, "release", NULL, 0);
	}
}

static const struct vfm_ops fake_ops = {
	.preflight = f_preflight,
	.guest_check = f_guest_check,
	.guest_prepare = f_prepare,
	.guest_vf = f_guest_vf,
	.steer = f_steer,
	.detach = f_detach,
	.vf_on_source = f_vf_on_source,
	.migrate = f_migrate,
	.attach = f_attach,
	.reserve = f_reserve,
	.release = f_release,
};

/** One scenario's run. */
struct scenario {
	struct fake f;		      /**< the fake ops' script and log */
	struct vfm_timeline tl;	      /**< its timeline */
	struct vfm_run r;	      /**< the run */
	volatile sig_atomic_t cancel; /**< its Ctrl-C flag */
};

/* Runs the sequencer on 's' (no_guest as given); returns the outcome. */
static enum vfm_outcome
run(struct scenario *s, bool no_guest)
{
	bool no_vf_backup = s->r.no_vf_backup;

	assert_int_equal(vfm_tl_init(&s->tl, "vm", NULL, NULL), 0);
	s->r = (struct vfm_run){.ops = &fake_ops,
				.ctx = &s->f,
				.no_guest = no_guest,
				.no_vf_backup = no_vf_backup,
				.cancel = &s->cancel,
				.tl = &s->tl};
	return vfm_seq_run(&s->r);
}

/* Asserts the outcome, the exit status, the call log and the error of 's'. */
static void
expect(struct scenario *s, enum vfm_outcome o, int exit_status, const char *log, const char *error)
{
	assert_int_equal(s->r.outcome, o);
	assert_int_equal(vfm_outcome_exit(o), exit_status);
	assert_string_equal(s->f.log, log);
	assert_string_equal(s->r.error, error);
	vfm_tl_free(&s->tl);
}

/* Returns step 'i' of the timeline of 's'. */
static json_t *
step(struct scenario *s, size_t i)
{
	json_t *st = json_array_get(s->tl.steps, i);

	assert_non_null(st);
	return st;
}

#define FULL                                                                                       \
	"preflight guest_check reserve steer_backup:src prepare detach migrate attach:dst "        \
	"guest_vf:dst steer_vf:dst"

/* Returns the index of step 'name' in the timeline of 's', or -1. */
static int
step_index(struct scenario *s, const char *name)
{
	size_t i;

	for (i = 0; i < json_array_size(s->tl.steps); i++)
		if (strcmp(json_string_value(json_object_get(step(s, i), "step")), name) == 0)
			return (int)i;
	return -1;
}

static void
test_all_ok(void **state)
{
	struct scenario s = {0};
	size_t i;

	(void)state;
	assert_int_equal(run(&s, false), VFM_DONE);
	assert_int_equal(json_array_size(s.tl.steps), 10);
	for (i = 0; i < 10; i++) {
		json_t *st = step(&s, i);

		assert_true(json_is_true(json_object_get(st, "ok")));
		assert_null(json_object_get(st, "rollback"));
		assert_true(json_integer_value(json_object_get(st, "end_ms")) >=
			    json_integer_value(json_object_get(st, "start_ms")));
	}
	assert_string_equal(json_string_value(json_object_get(step(&s, 6), "step")), "migrate");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(step(&s, 6), "detail"), "job_stats"),
			"downtime")),
		42);
	/* An op that adds nothing leaves no "detail". */
	assert_null(json_object_get(step(&s, 1), "detail"));
	/* The attach took the reservation over: nothing to release. */
	assert_false(s.f.reserved);
	expect(&s, VFM_DONE, 0, FULL, "");
}

static void
test_steer_before_prepare(void **state)
{
	struct scenario s = {0};

	(void)state;
	run(&s, false);
	/* The host sends to the backup before the guest lets go of the VF, and
	 * the VF is reserved before anything changes. */
	assert_true(step_index(&s, "reserve") < step_index(&s, "steer_backup"));
	assert_true(step_index(&s, "steer_backup") < step_index(&s, "prepare"));
	assert_true(step_index(&s, "prepare") < step_index(&s, "detach"));
	assert_true(step_index(&s, "attach") < step_index(&s, "guest_vf"));
	assert_true(step_index(&s, "guest_vf") < step_index(&s, "steer_vf"));
	assert_true(json_integer_value(json_object_get(step(&s, 3), "end_ms")) <=
		    json_integer_value(json_object_get(step(&s, 4), "start_ms")));
	expect(&s, VFM_DONE, 0, FULL, "");
}

static void
test_no_guest(void **state)
{
	struct scenario s = {0};

	(void)state;
	run(&s, true);
	expect(&s, VFM_DONE, 0,
	       "preflight reserve steer_backup:src detach migrate attach:dst steer_vf:dst", "");
}

static void
test_preflight_fails(void **state)
{
	struct scenario s = {.f.fail = "preflight"};

	(void)state;
	run(&s, false);
	assert_true(json_is_false(json_object_get(step(&s, 0), "ok")));
	assert_string_equal(json_string_value(json_object_get(step(&s, 0), "error")),
			    "preflight broke");
	expect(&s, VFM_NOT_STARTED, 1, "preflight", "preflight: preflight broke");
}

static void
test_guest_silent_at_start(void **state)
{
	struct scenario s = {.f.fail = "guest_check"};

	(void)state;
	run(&s, false);
	expect(&s, VFM_NOT_STARTED, 1, "preflight guest_check", "guest_check: guest_check broke");
}

static void
test_cancel_before_start(void **state)
{
	struct scenario s = {.cancel = 1};

	(void)state;
	run(&s, false);
	expect(&s, VFM_NOT_STARTED, 1, "preflight guest_check",
	       "start: cancelled before anything changed");
}

static void
test_no_vf_abort(void **state)
{
	struct scenario s = {.f.fail = "reserve", .f.fail_rc = VFM_STEP_NO_VF};

	(void)state;
	run(&s, false);
	/* No free VF there: nothing changes (--no-vf abort, the default). */
	assert_true(json_is_false(json_object_get(step(&s, 2), "ok")));
	expect(&s, VFM_NOT_STARTED, 1, "preflight guest_check reserve",
	       "reserve: reserve: no free VF");
}

static void
test_no_vf_backup(void **state)
{
	struct scenario s = {.f.fail = "reserve",
			     .f.fail2 = "attach:dst",
			     .f.fail_rc = VFM_STEP_NO_VF,
			     .f.vf_gone = true,
			     .r.no_vf_backup = true};
	json_t *d;

	(void)state;
	run(&s, false);
	/* --no-vf backup: it migrates; the reserve step is no failure; still
	 * no VF at the attach: the guest stays on its backup, steered there. */
	d = json_object_get(step(&s, 2), "detail");
	assert_true(json_is_true(json_object_get(step(&s, 2), "ok")));
	assert_true(json_is_false(json_object_get(d, "reserved")));
	assert_string_equal(json_string_value(json_object_get(d, "no_vf")), "reserve: no free VF");
	assert_string_equal(vfm_outcome_name(s.r.outcome), "on_backup_no_vf");
	expect(&s, VFM_ON_BACKUP_NO_VF, 6,
	       "preflight guest_check reserve steer_backup:src prepare detach migrate attach:dst",
	       "attach: attach:dst: no free VF");
}

static void
test_no_vf_backup_freed_meanwhile(void **state)
{
	struct scenario s = {.f.fail = "reserve",
			     .f.fail_rc = VFM_STEP_NO_VF,
			     .f.vf_gone = true,
			     .r.no_vf_backup = true};

	(void)state;
	run(&s, false);
	/* A VF came free during the migration: the attach takes it. */
	expect(&s, VFM_DONE, 0, FULL, "");
}

static void
test_mac_in_use(void **state)
{
	struct scenario s = {.f.fail = "reserve", .r.no_vf_backup = true};

	(void)state;
	run(&s, false);
	/* Not a want of VFs (the MAC is taken there): it does not start. */
	expect(&s, VFM_NOT_STARTED, 1, "preflight guest_check reserve", "reserve: reserve broke");
}

static void
test_steer_fails(void **state)
{
	struct scenario s = {.f.fail = "steer_backup:src"};

	(void)state;
	run(&s, false);
	/* The guest was not told anything yet: steering is undone. */
	expect(&s, VFM_ROLLED_BACK, 3,
	       "preflight guest_check reserve steer_backup:src release steer_vf:src",
	       "steer_backup: steer_backup:src broke");
}

static void
test_prepare_fails(void **state)
{
	struct scenario s = {.f.fail = "prepare"};

	(void)state;
	run(&s, false);
	/* The VF never left: the guest is told to take it back, steering undone. */
	assert_true(json_is_true(json_object_get(step(&s, 5), "rollback")));
	expect(&s, VFM_ROLLED_BACK, 3,
	       "preflight guest_check reserve steer_backup:src prepare release guest_vf:src "
	       "steer_vf:src",
	       "prepare: prepare broke");
}

static void
test_detach_times_out(void **state)
{
	struct scenario s = {.f.fail = "detach"};

	(void)state;
	run(&s, false);
	/* Still attached: no re-attach, the guest takes it back, steering undone. */
	expect(&s, VFM_ROLLED_BACK, 3,
	       "preflight guest_check reserve steer_backup:src prepare detach release guest_vf:src "
	       "steer_vf:src",
	       "detach: detach broke");
}

static void
test_detach_fails_late(void **state)
{
	struct scenario s = {.f.fail = "detach", .f.vf_gone = true};

	(void)state;
	run(&s, false);
	/* Gone after all: attached again first. */
	expect(&s, VFM_ROLLED_BACK, 3,
	       "preflight guest_check reserve steer_backup:src prepare detach release attach:src "
	       "guest_vf:src steer_vf:src",
	       "detach: detach broke");
}

#define ROLLBACK_AFTER_MIGRATE                                                                     \
	"preflight guest_check reserve steer_backup:src prepare detach migrate release "           \
	"attach:src guest_vf:src steer_vf:src"

static void
test_migration_fails(void **state)
{
	struct scenario s = {.f.fail = "migrate", .f.vf_gone = true};
	size_t i;

	(void)state;
	run(&s, false);
	for (i = 7; i < 10; i++)
		assert_true(json_is_true(json_object_get(step(&s, i), "rollback")));
	assert_string_equal(json_string_value(json_object_get(step(&s, 7), "step")),
			    "attach_source");
	expect(&s, VFM_ROLLED_BACK, 3, ROLLBACK_AFTER_MIGRATE, "migrate: migrate broke");
}

/* Fake "migrate" that times out: what virt_migrate reports after --timeout
 * made it abort the job. */
static int
f_migrate_timeout(void *ctx, json_t *d, char *err, size_t errlen)
{
	struct fake *f = ctx;
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, " migrate");
	json_object_set_new(d, "timed_out", json_true());
	snprintf(err, errlen, "timed out: --timeout 100 ms passed, the job was aborted");
	return VFM_STEP_FAIL;
}

static void
test_migration_times_out(void **state)
{
	struct vfm_ops ops = fake_ops;
	struct scenario s = {.f.vf_gone = true};

	(void)state;
	ops.migrate = f_migrate_timeout;
	assert_int_equal(vfm_tl_init(&s.tl, "vm", NULL, NULL), 0);
	s.r = (struct vfm_run){.ops = &ops, .ctx = &s.f, .cancel = &s.cancel, .tl = &s.tl};
	vfm_seq_run(&s.r);
	/* Restored on the source: reservation given up, VF attached again, the
	 * guest on it, steering back; the step says why. */
	assert_true(
		json_is_true(json_object_get(json_object_get(step(&s, 6), "detail"), "timed_out")));
	assert_true(json_is_true(json_object_get(step(&s, 9), "rollback")));
	expect(&s, VFM_ROLLED_BACK, 3, ROLLBACK_AFTER_MIGRATE,
	       "migrate: timed out: --timeout 100 ms passed, the job was aborted");
}

static void
test_migration_cancelled(void **state)
{
	struct scenario s = {
		.f.fail = "migrate", .f.fail_rc = VFM_STEP_CANCELLED, .f.vf_gone = true};

	(void)state;
	run(&s, false);
	assert_string_equal(json_string_value(json_object_get(step(&s, 6), "error")), "cancelled");
	expect(&s, VFM_ROLLED_BACK, 3, ROLLBACK_AFTER_MIGRATE, "migrate: cancelled");
}

static void
test_cancel_during_detach(void **state)
{
	struct scenario s = {.f.vf_gone = true};

	(void)state;
	s.f.cancel_on_detach = &s.cancel;
	run(&s, false);
	/* No migration is started; the VF goes back. */
	expect(&s, VFM_ROLLED_BACK, 3,
	       "preflight guest_check reserve steer_backup:src prepare detach release attach:src "
	       "guest_vf:src steer_vf:src",
	       "migrate: cancelled before the migration started");
}

static void
test_attach_fails(void **state)
{
	struct scenario s = {.f.fail = "attach:dst", .f.vf_gone = true};

	(void)state;
	run(&s, false);
	/* Migrated: no going back; the guest stays on its backup. */
	expect(&s, VFM_ON_BACKUP, 4,
	       "preflight guest_check reserve steer_backup:src prepare detach migrate attach:dst "
	       "release",
	       "attach: attach:dst broke");
}

static void
test_no_vf_after_migration(void **state)
{
	struct scenario s = {
		.f.fail = "attach:dst", .f.fail_rc = VFM_STEP_NO_VF, .f.vf_gone = true};

	(void)state;
	run(&s, false);
	/* The VF was gone by the attach (taken by someone who did not reserve):
	 * the guest stays on its backup, with its own outcome and exit status. */
	assert_string_equal(json_string_value(json_object_get(step(&s, 7), "error")),
			    "attach:dst: no free VF");
	expect(&s, VFM_ON_BACKUP_NO_VF, 6,
	       "preflight guest_check reserve steer_backup:src prepare detach migrate attach:dst "
	       "release",
	       "attach: attach:dst: no free VF");
}

static void
test_guest_silent_after(void **state)
{
	struct scenario s = {.f.fail = "guest_vf:dst", .f.vf_gone = true};

	(void)state;
	run(&s, false);
	/* Traffic stays steered to the backup: the VF is not in use. */
	expect(&s, VFM_ON_BACKUP, 4,
	       "preflight guest_check reserve steer_backup:src prepare detach migrate attach:dst "
	       "guest_vf:dst",
	       "guest_vf: guest_vf:dst broke");
}

static void
test_steer_back_fails(void **state)
{
	struct scenario s = {.f.fail = "steer_vf:dst", .f.vf_gone = true};

	(void)state;
	run(&s, false);
	expect(&s, VFM_ON_BACKUP, 4, FULL, "steer_vf: steer_vf:dst broke");
}

static void
test_rollback_fails(void **state)
{
	struct scenario s = {.f.fail = "migrate", .f.fail2 = "attach:src", .f.vf_gone = true};

	(void)state;
	run(&s, false);
	/* The first failure is the run's error; the rollback's is in the timeline. */
	assert_string_equal(json_string_value(json_object_get(step(&s, 7), "error")),
			    "attach:src broke");
	expect(&s, VFM_ROLLBACK_FAILED, 5,
	       "preflight guest_check reserve steer_backup:src prepare detach migrate release "
	       "attach:src",
	       "migrate: migrate broke");
}

static void
test_timeline(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec pause = {.tv_nsec = 20 * 1000000L};
	struct vfm_timeline tl;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *a, *b;

	(void)state;
	assert_int_equal(vfm_tl_init(&tl, "vm7", f, &lock), 0);
	a = vfm_tl_begin(&tl, "detach", false);
	nanosleep(&pause, NULL);
	vfm_tl_end(&tl, a, true, NULL, json_pack("{sI}", "event_ms", (json_int_t)5));
	b = vfm_tl_begin(&tl, "attach_source", true);
	vfm_tl_end(&tl, b, false, "refused", json_object());
	vfm_tl_note(&tl, "migrate: %d %%", 50);
	fclose(f);
	/* Steps in order, times from the start, the detail kept, the empty dropped. */
	assert_int_equal(json_array_size(tl.steps), 2);
	assert_true(json_integer_value(json_object_get(a, "ms")) >= 20);
	assert_int_equal(json_integer_value(json_object_get(a, "end_ms")) -
				 json_integer_value(json_object_get(a, "start_ms")),
			 json_integer_value(json_object_get(a, "ms")));
	assert_true(json_integer_value(json_object_get(b, "start_ms")) >=
		    json_integer_value(json_object_get(a, "end_ms")));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(a, "detail"), "event_ms")), 5);
	assert_null(json_object_get(a, "error"));
	assert_null(json_object_get(a, "rollback"));
	assert_true(json_is_true(json_object_get(b, "rollback")));
	assert_true(json_is_false(json_object_get(b, "ok")));
	assert_string_equal(json_string_value(json_object_get(b, "error")), "refused");
	assert_null(json_object_get(b, "detail"));
	/* One progress line per event, prefixed by the domain and the elapsed ms. */
	assert_non_null(strstr(buf, "[vm7] +"));
	/* Only when a step ends: one line per step. */
	assert_null(strstr(buf, "detach ..."));
	assert_non_null(strstr(buf, " ms  detach ok ("));
	assert_non_null(strstr(buf, " ms  attach_source FAILED ("));
	assert_non_null(strstr(buf, " ms): refused\n"));
	assert_non_null(strstr(buf, " ms  migrate: 50 %\n"));
	free(buf);
	vfm_tl_free(&tl);
	assert_null(tl.steps);
}

static void
test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(vfm_outcome_name(VFM_DONE), "done");
	assert_string_equal(vfm_outcome_name(VFM_ROLLBACK_FAILED), "rollback_failed");
	assert_string_equal(vfm_outcome_name(VFM_ON_BACKUP_NO_VF), "on_backup_no_vf");
	assert_int_equal(vfm_outcome_exit(VFM_ON_BACKUP_NO_VF), 6);
	assert_string_equal(vfm_outcome_name(VFM_OUTCOME_COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ok),
		cmocka_unit_test(test_steer_before_prepare),
		cmocka_unit_test(test_no_guest),
		cmocka_unit_test(test_preflight_fails),
		cmocka_unit_test(test_guest_silent_at_start),
		cmocka_unit_test(test_cancel_before_start),
		cmocka_unit_test(test_no_vf_abort),
		cmocka_unit_test(test_no_vf_backup),
		cmocka_unit_test(test_no_vf_backup_freed_meanwhile),
		cmocka_unit_test(test_mac_in_use),
		cmocka_unit_test(test_steer_fails),
		cmocka_unit_test(test_prepare_fails),
		cmocka_unit_test(test_detach_times_out),
		cmocka_unit_test(test_detach_fails_late),
		cmocka_unit_test(test_migration_fails),
		cmocka_unit_test(test_migration_times_out),
		cmocka_unit_test(test_migration_cancelled),
		cmocka_unit_test(test_cancel_during_detach),
		cmocka_unit_test(test_attach_fails),
		cmocka_unit_test(test_no_vf_after_migration),
		cmocka_unit_test(test_guest_silent_after),
		cmocka_unit_test(test_steer_back_fails),
		cmocka_unit_test(test_rollback_fails),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_outcome_names),
	};

	return cmocka_run_group_tests_name("vfm_seq", tests, NULL, NULL);
}
