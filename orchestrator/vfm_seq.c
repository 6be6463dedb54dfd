/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_seq.c — the step sequencer of one domain's migration and its
 * rollback, over struct vfm_ops (so that tests can fail any step).
 *
 *   preflight, guest check, reserve     failure: nothing changed
 *   steer to backup, prepare, detach    failure: restore on the source
 *   migrate                             failure / timeout / Ctrl-C:
 *                                       restore on the source
 *   attach on the destination,          failure: the guest stays on its
 *   guest on the VF, steer to the VF    backup on the destination; reported
 *
 * The host steers to the backup before the guest releases the VF: in the
 * other order, what the host sends between the two is lost at the VF.
 * Restoring on the source = attach the VF again if it is gone, let the
 * guest take it, steer back to it (if steering had moved).  A run that
 * ends without the VF attached on the destination gives its reservation
 * up at once (before a rollback), so that another run can have the VF.
 *
 * Thread-safety: a struct vfm_run belongs to one thread.
 */
#include <stdio.h>
#include <string.h>

#include "vfm.h"

/** What the run has changed so far, hence what a rollback must undo. */
struct undo {
	bool prepared; /**< the guest was told to release the VF */
	bool steered;  /**< steering moved to the backup */
};

/* Gives up the run's reservation (before a rollback or at the end). */
static void
release(struct vfm_run *r)
{
	r->ops->release(r->ctx);
}

/* The names of the outcomes, as the report writes them. */
static const char *const outcome_names[VFM_OUTCOME_COUNT] = {
	[VFM_DONE] = "done",
	[VFM_NOT_STARTED] = "not_started",
	[VFM_ROLLED_BACK] = "rolled_back",
	[VFM_ON_BACKUP] = "on_backup",
	[VFM_ROLLBACK_FAILED] = "rollback_failed",
	[VFM_ON_BACKUP_NO_VF] = "on_backup_no_vf",
};

/* Returns the report's name of outcome 'o'. */
const char *
vfm_outcome_name(enum vfm_outcome o)
{
	return (unsigned int)o < VFM_OUTCOME_COUNT ? outcome_names[o] : "?";
}

/* Returns the exit status of outcome 'o'. */
int
vfm_outcome_exit(enum vfm_outcome o)
{
	static const int codes[VFM_OUTCOME_COUNT] = {
		[VFM_DONE] = 0,	     [VFM_NOT_STARTED] = 1,	[VFM_ROLLED_BACK] = 3,
		[VFM_ON_BACKUP] = 4, [VFM_ROLLBACK_FAILED] = 5, [VFM_ON_BACKUP_NO_VF] = 6,
	};

	return (unsigned int)o < VFM_OUTCOME_COUNT ? codes[o] : 5;
}

/* Returns true when Ctrl-C asked the run to stop. */
static bool
cancelled(const struct vfm_run *r)
{
	return r->cancel != NULL && *r->cancel;
}

/*
 * Records the first failure of run 'r' as its error ("STEP: ERR").
 * Later failures (of a rollback) are only in the timeline.
 */
static void
note_error(struct vfm_run *r, const char *step, const char *err)
{
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s: %s", step, err);
}

/*
 * Closes step 'step' called 'name' of run 'r' that ended with 'rc' (an
 * enum vfm_step_rc), 'detail' (stolen) and 'err'; a failure becomes the
 * run's error if it is the first.  Returns 'rc'.
 */
static int
finish(struct vfm_run *r, json_t *step, const char *name, int rc, json_t *detail, const char *err)
{
	const char *why = rc == VFM_STEP_CANCELLED && err[0] == '\0' ? "cancelled" : err;

	vfm_tl_end(r->tl, step, rc == VFM_STEP_OK, rc == VFM_STEP_OK ? NULL : why, detail);
	if (rc != VFM_STEP_OK)
		note_error(r, name, why);
	return rc;
}

/*
 * Runs op call CALL (which uses 'd', 'err' and 'sizeof(err)') as the step
 * NAME of run R (ROLLBACK: part of a rollback); evaluates to its rc.
 */
#define STEP(R, NAME, ROLLBACK, CALL)                                                              \
	__extension__({                                                                            \
		json_t *step_ = vfm_tl_begin((R)->tl, (NAME), (ROLLBACK));                         \
		json_t *d = json_object();                                                         \
		char err[512] = "";                                                                \
		int rc_ = (CALL);                                                                  \
		finish((R), step_, (NAME), rc_, d, err);                                           \
	})

/*
 * Restores the guest on the source after a failure: the reservation
 * given up, the VF attached again if it is gone, the guest on it,
 * steering back to it.  Returns VFM_ROLLED_BACK, or VFM_ROLLBACK_FAILED
 * when a step of it failed.
 */
static enum vfm_outcome
restore_source(struct vfm_run *r, const struct undo *u)
{
	const struct vfm_ops *ops = r->ops;
	bool ok = true;

	release(r);
	if (!ops->vf_on_source(r->ctx))
		ok = STEP(r, "attach_source", true,
			  ops->attach(r->ctx, VFM_SRC, d, err, sizeof(err))) == VFM_STEP_OK;
	if (ok && u->prepared && !r->no_guest)
		ok = STEP(r, "guest_vf_source", true,
			  ops->guest_vf(r->ctx, VFM_SRC, d, err, sizeof(err))) == VFM_STEP_OK;
	if (ok && u->steered)
		ok = STEP(r, "steer_vf_source", true,
			  ops->steer(r->ctx, VFM_STEER_VF, VFM_SRC, d, err, sizeof(err))) ==
		     VFM_STEP_OK;
	return ok ? VFM_ROLLED_BACK : VFM_ROLLBACK_FAILED;
}

/*
 * Step "reserve": a VF on the destination for this run.  Without a free
 * one the run stops there, or, with r->no_vf_backup, goes on to stay on
 * its backup (the step then succeeds, "reserved": false in its detail).
 * Returns 0 to go on, or -1: the run did not start.
 */
static int
reserve(struct vfm_run *r)
{
	json_t *step = vfm_tl_begin(r->tl, "reserve", false), *d = json_object();
	char err[512] = "";
	int rc = r->ops->reserve(r->ctx, d, err, sizeof(err));

	if (rc == VFM_STEP_NO_VF && r->no_vf_backup) {
		json_object_set_new(d, "reserved", json_false());
		json_object_set_new(d, "no_vf", json_string(err));
		rc = VFM_STEP_OK;
	}
	return finish(r, step, "reserve", rc, d, err) == VFM_STEP_OK ? 0 : -1;
}

/*
 * Runs the steps before the migration changes anything on the
 * destination: preflight, guest check, reserve, steer, prepare, detach,
 * migrate.  Returns VFM_DONE when the domain now runs on the destination,
 * or the run's outcome otherwise (rollback done).
 */
static enum vfm_outcome
to_destination(struct vfm_run *r)
{
	const struct vfm_ops *ops = r->ops;
	struct undo u = {0};

	if (STEP(r, "preflight", false, ops->preflight(r->ctx, d, err, sizeof(err))) != 0)
		return VFM_NOT_STARTED;
	if (!r->no_guest &&
	    STEP(r, "guest_check", false, ops->guest_check(r->ctx, d, err, sizeof(err))) != 0)
		return VFM_NOT_STARTED;
	if (cancelled(r)) {
		note_error(r, "start", "cancelled before anything changed");
		return VFM_NOT_STARTED;
	}
	if (reserve(r) != 0) {
		release(r);
		return VFM_NOT_STARTED;
	}
	u.steered = true; /* a failed hook may have half-steered */
	if (STEP(r, "steer_backup", false,
		 ops->steer(r->ctx, VFM_STEER_BACKUP, VFM_SRC, d, err, sizeof(err))) != 0)
		return restore_source(r, &u);
	if (!r->no_guest) {
		u.prepared = true; /* a failed prepare may have half-switched */
		if (STEP(r, "prepare", false, ops->guest_prepare(r->ctx, d, err, sizeof(err))) != 0)
			return restore_source(r, &u);
	}
	if (STEP(r, "detach", false, ops->detach(r->ctx, d, err, sizeof(err))) != 0)
		return restore_source(r, &u);
	if (cancelled(r)) {
		note_error(r, "migrate", "cancelled before the migration started");
		return restore_source(r, &u);
	}
	if (STEP(r, "migrate", false, ops->migrate(r->ctx, d, err, sizeof(err))) != 0)
		return restore_source(r, &u);
	return VFM_DONE;
}

/*
 * On the destination: attach a VF, the guest on it, steer to it.  There
 * is no going back: a failure leaves the guest on its backup.  Returns
 * the run's outcome.
 */
static enum vfm_outcome
on_destination(struct vfm_run *r)
{
	const struct vfm_ops *ops = r->ops;
	int rc = STEP(r, "attach", false, ops->attach(r->ctx, VFM_DST, d, err, sizeof(err)));

	if (rc != VFM_STEP_OK) {
		release(r);
		return rc == VFM_STEP_NO_VF ? VFM_ON_BACKUP_NO_VF : VFM_ON_BACKUP;
	}
	if ((!r->no_guest && STEP(r, "guest_vf", false,
				  ops->guest_vf(r->ctx, VFM_DST, d, err, sizeof(err))) != 0) ||
	    STEP(r, "steer_vf", false,
		 ops->steer(r->ctx, VFM_STEER_VF, VFM_DST, d, err, sizeof(err))) != 0)
		return VFM_ON_BACKUP;
	return VFM_DONE;
}

/* Runs the whole sequence of run 'r'; returns and sets r->outcome. */
enum vfm_outcome
vfm_seq_run(struct vfm_run *r)
{
	enum vfm_outcome o;

	r->error[0] = '\0';
	o = to_destination(r);
	/* On the destination now: Ctrl-C no longer applies, only forward. */
	if (o == VFM_DONE)
		o = on_destination(r);
	release(r);
	r->outcome = o;
	return o;
}
