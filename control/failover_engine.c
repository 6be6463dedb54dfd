/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover_engine.c — the failover engine (vfo_fo_engine.h): one state
 * machine per uplink, fed by device/port events and a periodic tick on the
 * control thread, and the control commands prepare, attach, prefer and
 * timeline.  Everything here runs on the control thread.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "vfo_fo_engine.h"
#include "vfo_status.h"

/* How long "prepare" waits, between looks at a drain, when told to wait (µs). */
#define DRAIN_POLL_US 100

/*
 * Reads the optional "uplink" of 'req' into [*first, *last).  Returns 0, or
 * -1 with an error in 'reply' naming the unknown uplink.
 */
static int
pick_uplinks(const struct vfo_fo_engine *e, const json_t *req, json_t *reply, unsigned int *first,
	     unsigned int *last)
{
	return vfo_uplink_pick(e->uplink, e->nb_uplinks, req, reply, first, last);
}

/* Returns uplink i's failover state as a new JSON object. */
json_t *
vfo_fo_engine_json(struct vfo_fo_engine *e, unsigned int i)
{
	const struct vfo_failover *fo = &e->fo[i];
	json_t *o, *path;

	vfo_mutex_lock(&e->lock);
	o = json_pack("{ss ss sI sI sI sb}", "uplink", e->uplink[i]->params.name, "state",
		      vfo_fo_state_name(fo->state), "switches", (json_int_t)fo->switches,
		      "last_switch_us", (json_int_t)fo->last_switch_us, "lost_unplanned",
		      (json_int_t)fo->lost_unplanned, "prefer_vf", fo->conf.prefer_vf);
	path = vfo_fo_path_json(fo);

	/* A VF that does not come back: failed attaches in a row, and whether
	 * another is scheduled (false after the last one: send attach). */
	json_object_set_new(o, "attach_failures", json_integer(fo->retries));
	json_object_set_new(o, "attach_retry_pending", json_boolean(fo->retry_pending));
	vfo_mutex_unlock(&e->lock);
	if (path != NULL)
		json_object_set_new(o, "path", path);
	return o;
}

/*
 * Runs event 'ev' on uplink i's machine (see vfo_fo_handle) with the
 * engine's lock held: the only way the machines change.
 */
static int
handle(struct vfo_fo_engine *e, unsigned int i, enum vfo_fo_event ev, const char *devargs,
       char *why, size_t whylen) VFO_EXCLUDES(e->lock)
{
	int ret;

	vfo_mutex_lock(&e->lock);
	ret = vfo_fo_handle(&e->fo[i], ev, devargs, why, whylen);
	vfo_mutex_unlock(&e->lock);
	return ret;
}

/* Sleeps 'us' microseconds. */
static void
sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

/*
 * Runs 'ev' on uplinks [first, last) and adds each one's resulting state to
 * reply["uplinks"].  Returns 0, or -1 with the first refusal in 'reply'.
 */
static int
run_event(struct vfo_fo_engine *e, enum vfo_fo_event ev, const char *devargs, unsigned int first,
	  unsigned int last, json_t *reply)
{
	json_t *ups = json_array();
	char why[512];
	unsigned int i;

	for (i = first; i < last; i++) {
		int ret = handle(e, i, ev, devargs, why, sizeof(why));

		if (ret < 0) {
			json_decref(ups);
			return vfo_ctl_error(reply, "uplink %s: %s", e->uplink[i]->params.name,
					     why);
		}
		json_array_append_new(ups, vfo_fo_engine_json(e, i));
	}
	json_object_set_new(reply, "uplinks", ups);
	return 0;
}

/* Ticks the machines of [first, last) until none is draining (bounded). */
static void
wait_drained(struct vfo_fo_engine *e, unsigned int first, unsigned int last)
{
	unsigned int i;
	bool draining = true;
	long waited = 0, limit = 0;

	for (i = first; i < last; i++)
		limit = RTE_MAX(limit, (long)e->fo[i].conf.max_drain_us);
	while (draining && waited <= limit + 10000) {
		draining = false;
		for (i = first; i < last; i++) {
			handle(e, i, VFO_EV_TICK, NULL, NULL, 0);
			draining |= e->fo[i].state == VFO_FO_DRAINING;
		}
		if (draining) {
			sleep_us(DRAIN_POLL_US);
			waited += DRAIN_POLL_US;
		}
	}
}

/*
 * Command "prepare": planned switch of TX to the backup and release of the
 * VF, for the host to call before it detaches the VF.  {"uplink": NAME}
 * (default: every uplink), {"wait": false} to return while still draining.
 */
static int
cmd_prepare(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_fo_engine *e = arg;
	unsigned int first, last;
	const json_t *wait = json_object_get(req, "wait");

	if (pick_uplinks(e, req, reply, &first, &last) < 0)
		return -1;
	if (wait != NULL && !json_is_boolean(wait))
		return vfo_ctl_error(reply, "\"wait\" must be true or false");
	if (run_event(e, VFO_EV_PREPARE, NULL, first, last, reply) < 0)
		return -1;
	if (wait == NULL || json_is_true(wait)) {
		wait_drained(e, first, last);
		return run_event(e, VFO_EV_TICK, NULL, first, last, reply);
	}
	return 0;
}

/*
 * Command "attach": bring the VF back, from {"devargs": ...} or the devargs
 * it had.  {"uplink": NAME} is needed when there are two uplinks.
 */
static int
cmd_attach(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_fo_engine *e = arg;
	const json_t *devargs = json_object_get(req, "devargs");
	unsigned int first, last;

	if (pick_uplinks(e, req, reply, &first, &last) < 0)
		return -1;
	if (devargs != NULL && !json_is_string(devargs))
		return vfo_ctl_error(reply,
				     "\"devargs\" must be a string (DPDK devargs of the VF)");
	if (devargs != NULL && last - first > 1)
		return vfo_ctl_error(reply, "give \"uplink\" with \"devargs\" (%u uplinks)",
				     e->nb_uplinks);
	return run_event(e, VFO_EV_ATTACH, devargs ? json_string_value(devargs) : NULL, first, last,
			 reply);
}

/* Command "prefer": {"member": "vf"|"backup"}, optionally {"uplink": NAME}. */
static int
cmd_prefer(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_fo_engine *e = arg;
	const char *m = json_string_value(json_object_get(req, "member"));
	unsigned int first, last;

	if (pick_uplinks(e, req, reply, &first, &last) < 0)
		return -1;
	if (m == NULL || (strcmp(m, "vf") != 0 && strcmp(m, "backup") != 0))
		return vfo_ctl_error(reply, "give \"member\": \"vf\" or \"backup\"");
	return run_event(e, strcmp(m, "vf") == 0 ? VFO_EV_PREFER_VF : VFO_EV_PREFER_BACKUP, NULL,
			 first, last, reply);
}

/* Command "timeline": every transition with its µs timestamp, per uplink. */
static int
cmd_timeline(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_fo_engine *e = arg;
	json_t *ups = json_array();
	unsigned int first, last, i;

	if (pick_uplinks(e, req, reply, &first, &last) < 0) {
		json_decref(ups);
		return -1;
	}
	for (i = first; i < last; i++) {
		json_t *o = vfo_fo_engine_json(e, i);

		json_object_set_new(o, "timeline", vfo_fo_timeline_json(&e->fo[i]));
		json_array_append_new(ups, o);
	}
	json_object_set_new(reply, "uplinks", ups);
	return 0;
}

/* Matches raw event 'ev' to an uplink member and runs the machine's event. */
static void
dispatch(struct vfo_fo_engine *e, const struct vfo_raw_event *ev)
{
	unsigned int i;
	int id;

	for (i = 0; i < e->nb_uplinks; i++) {
		for (id = 0; id < VFO_MEMBER_COUNT; id++) {
			const struct vfo_member *m = &e->uplink[i]->member[id];
			bool present = m->port_id != VFO_PORT_NONE, vf = id == VFO_MEMBER_VF;
			enum vfo_fo_event fe;

			switch (ev->kind) {
			case VFO_RAW_DEV_REMOVE:
				if (!present || strcmp(ev->name, m->dev_name) != 0)
					continue;
				fe = vf ? VFO_EV_REMOVE_REQUEST : VFO_EV_BACKUP_GONE;
				break;
			case VFO_RAW_DEV_ADD:
				if (present || strcmp(ev->name, m->dev_name) != 0)
					continue;
				fe = vf ? VFO_EV_VF_ADDED : VFO_EV_BACKUP_ADDED;
				break;
			case VFO_RAW_PORT_RMV:
				if (!present || m->port_id != ev->port)
					continue;
				fe = vf ? VFO_EV_VF_GONE : VFO_EV_BACKUP_GONE;
				break;
			case VFO_RAW_KIF_LINK:
				if (!present || m->kif[0] == '\0' || strcmp(ev->name, m->kif) != 0)
					continue;
				fe = VFO_EV_LINK_CHANGE;
				break;
			default:
				if (!present || m->port_id != ev->port)
					continue;
				fe = VFO_EV_LINK_CHANGE;
				break;
			}
			handle(e, i, fe, NULL, NULL, 0);
		}
	}
}

void
vfo_fo_engine_run(struct vfo_fo_engine *e)
{
	struct vfo_raw_event ev;
	uint64_t now = vfo_fo_uplink_ops.now_us(NULL);
	unsigned int i;

	while (e->events != NULL && vfo_events_pop(e->events, &ev))
		dispatch(e, &ev);
	if (now - e->last_tick_us < e->tick_us)
		return;
	e->last_tick_us = now;
	for (i = 0; i < e->nb_uplinks; i++)
		handle(e, i, VFO_EV_TICK, NULL, NULL, 0);
}

int
vfo_fo_engine_setup(struct vfo_fo_engine *e, struct vfo_uplink *const *uplinks,
		    unsigned int nb_uplinks, const struct vfo_fo_engine_conf *ec,
		    struct vfo_ctl *ctl, char *err, size_t errlen)
{
	struct vfo_fo_conf conf = ec->fo;
	unsigned int i;

	if (vfo_mutex_init(&e->lock) != 0) {
		snprintf(err, errlen, "failover engine: cannot create its lock");
		return -1;
	}
	e->uplink = uplinks;
	e->nb_uplinks = nb_uplinks;
	e->tick_us = ec->tick_us;
	for (i = 0; i < e->nb_uplinks; i++) {
		conf.path_target = ec->path_target[i];
		vfo_fo_init(&e->fo[i], e->uplink[i]->params.name, &conf, &vfo_fo_uplink_ops,
			    e->uplink[i],
			    (const char(*)[VFO_DEVARGS_MAX])e->uplink[i]->params.devargs,
			    VFO_FO_VF_ACTIVE);
	}
	e->events = vfo_events_start();
	if (e->events == NULL) {
		snprintf(err, errlen, "cannot start the failover event queue: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	vfo_ctl_set_wake_fd(ctl, vfo_events_fd(e->events));
	vfo_ctl_register(ctl, "prepare", cmd_prepare, e,
			 "planned switch to the backup and release of the VF (before the host "
			 "detaches it); args: uplink, wait (default true)");
	vfo_ctl_register(ctl, "attach", cmd_attach, e,
			 "bring the VF back; args: uplink, devargs (default: the VF's own)");
	vfo_ctl_register(ctl, "prefer", cmd_prefer, e,
			 "which member carries TX when both are usable; args: member vf|backup, "
			 "uplink");
	vfo_ctl_register(ctl, "timeline", cmd_timeline, e,
			 "failover transitions with monotonic µs timestamps; args: uplink");
	return 0;
}

void
vfo_fo_engine_stop(struct vfo_fo_engine *e)
{
	vfo_events_stop(e->events);
	e->events = NULL;
	if (e->uplink != NULL)
		vfo_mutex_destroy(&e->lock);
	e->uplink = NULL;
}
