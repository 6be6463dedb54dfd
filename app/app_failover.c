/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_failover.c — the application's failover engine: one state machine per
 * uplink, fed by device/port events and a periodic tick on the control
 * thread, and the control commands prepare, attach, prefer and timeline.
 * Everything here runs on the control thread.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "vfo_events.h"
#include "vfo_flow.h"
#include "vfo_log.h"

/* How long "prepare" waits, between looks at a drain, when told to wait (µs). */
#define DRAIN_POLL_US 100

/* Returns the index of the uplink called 'name', or -1. */
static int
find_uplink(const struct vfo_app *a, const char *name)
{
	unsigned int i;

	for (i = 0; i < a->nb_uplinks; i++)
		if (strcmp(a->uplink[i]->params.name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Reads the optional "uplink" of 'req' into [*first, *last).  Returns 0, or
 * -1 with an error in 'reply' naming the unknown uplink.
 */
static int
pick_uplinks(const struct vfo_app *a, const json_t *req, json_t *reply, unsigned int *first,
	     unsigned int *last)
{
	const json_t *name = json_object_get(req, "uplink");
	int i;

	*first = 0;
	*last = a->nb_uplinks;
	if (name == NULL)
		return 0;
	if (!json_is_string(name))
		return vfo_ctl_error(reply, "\"uplink\" must be a string (an uplink name)");
	i = find_uplink(a, json_string_value(name));
	if (i < 0)
		return vfo_ctl_error(reply, "no uplink named '%s'; see {\"cmd\":\"status\"}",
				     json_string_value(name));
	*first = (unsigned int)i;
	*last = (unsigned int)i + 1;
	return 0;
}

/* Returns uplink i's failover state as a new JSON object. */
json_t *
vfo_app_failover_json(const struct vfo_app *a, unsigned int i)
{
	const struct vfo_failover *fo = &a->fo[i];

	json_t *o = json_pack("{ss ss sI sI sI sb}", "uplink", a->uplink[i]->params.name, "state",
			      vfo_fo_state_name(fo->state), "switches", (json_int_t)fo->switches,
			      "last_switch_us", (json_int_t)fo->last_switch_us, "lost_unplanned",
			      (json_int_t)fo->lost_unplanned, "prefer_vf", fo->conf.prefer_vf);
	json_t *path = vfo_fo_path_json(fo);

	/* A VF that does not come back: failed attaches in a row, and whether
	 * another is scheduled (false after the last one: send attach). */
	json_object_set_new(o, "attach_failures", json_integer(fo->retries));
	json_object_set_new(o, "attach_retry_pending", json_boolean(fo->retry_pending));
	if (path != NULL)
		json_object_set_new(o, "path", path);
	return o;
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
run_event(struct vfo_app *a, enum vfo_fo_event ev, const char *devargs, unsigned int first,
	  unsigned int last, json_t *reply)
{
	json_t *ups = json_array();
	char why[512];
	unsigned int i;

	for (i = first; i < last; i++) {
		int ret = vfo_fo_handle(&a->fo[i], ev, devargs, why, sizeof(why));

		if (ret < 0) {
			json_decref(ups);
			return vfo_ctl_error(reply, "uplink %s: %s", a->uplink[i]->params.name,
					     why);
		}
		json_array_append_new(ups, vfo_app_failover_json(a, i));
	}
	json_object_set_new(reply, "uplinks", ups);
	return 0;
}

/* Ticks the machines of [first, last) until none is draining (bounded). */
static void
wait_drained(struct vfo_app *a, unsigned int first, unsigned int last)
{
	unsigned int i;
	bool draining = true;
	long waited = 0, limit = 0;

	for (i = first; i < last; i++)
		limit = RTE_MAX(limit, (long)a->fo[i].conf.max_drain_us);
	while (draining && waited <= limit + 10000) {
		draining = false;
		for (i = first; i < last; i++) {
			vfo_fo_handle(&a->fo[i], VFO_EV_TICK, NULL, NULL, 0);
			draining |= a->fo[i].state == VFO_FO_DRAINING;
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
	struct vfo_app *a = arg;
	unsigned int first, last;
	const json_t *wait = json_object_get(req, "wait");

	if (pick_uplinks(a, req, reply, &first, &last) < 0)
		return -1;
	if (wait != NULL && !json_is_boolean(wait))
		return vfo_ctl_error(reply, "\"wait\" must be true or false");
	if (run_event(a, VFO_EV_PREPARE, NULL, first, last, reply) < 0)
		return -1;
	if (wait == NULL || json_is_true(wait)) {
		wait_drained(a, first, last);
		return run_event(a, VFO_EV_TICK, NULL, first, last, reply);
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
	struct vfo_app *a = arg;
	const json_t *devargs = json_object_get(req, "devargs");
	unsigned int first, last;

	if (pick_uplinks(a, req, reply, &first, &last) < 0)
		return -1;
	if (devargs != NULL && !json_is_string(devargs))
		return vfo_ctl_error(reply,
				     "\"devargs\" must be a string (DPDK devargs of the VF)");
	if (devargs != NULL && last - first > 1)
		return vfo_ctl_error(reply, "give \"uplink\" with \"devargs\" (%u uplinks)",
				     a->nb_uplinks);
	return run_event(a, VFO_EV_ATTACH, devargs ? json_string_value(devargs) : NULL, first, last,
			 reply);
}

/* Command "prefer": {"member": "vf"|"backup"}, optionally {"uplink": NAME}. */
static int
cmd_prefer(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_app *a = arg;
	const char *m = json_string_value(json_object_get(req, "member"));
	unsigned int first, last;

	if (pick_uplinks(a, req, reply, &first, &last) < 0)
		return -1;
	if (m == NULL || (strcmp(m, "vf") != 0 && strcmp(m, "backup") != 0))
		return vfo_ctl_error(reply, "give \"member\": \"vf\" or \"backup\"");
	return run_event(a, strcmp(m, "vf") == 0 ? VFO_EV_PREFER_VF : VFO_EV_PREFER_BACKUP, NULL,
			 first, last, reply);
}

/* Command "timeline": every transition with its µs timestamp, per uplink. */
static int
cmd_timeline(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_app *a = arg;
	json_t *ups = json_array();
	unsigned int first, last, i;

	if (pick_uplinks(a, req, reply, &first, &last) < 0) {
		json_decref(ups);
		return -1;
	}
	for (i = first; i < last; i++) {
		json_t *o = vfo_app_failover_json(a, i);

		json_object_set_new(o, "timeline", vfo_fo_timeline_json(&a->fo[i]));
		json_array_append_new(ups, o);
	}
	json_object_set_new(reply, "uplinks", ups);
	return 0;
}

/*
 * Command "flows": the top flows of each uplink's flow table (--fwd flow),
 * counters kept across switches.  Args: uplink, top (default 10, max 1000),
 * by ("packets" or "bytes"), reset (true: empty the tables after the reply
 * was taken, so a full or flooded table starts afresh).
 */
static int
cmd_flows(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_app *a = arg;
	const json_t *top = json_object_get(req, "top");
	const json_t *by_j = json_object_get(req, "by");
	const json_t *reset = json_object_get(req, "reset");
	const char *by = json_string_value(by_j);
	json_int_t n = top == NULL ? 10 : json_is_integer(top) ? json_integer_value(top) : -1;
	json_t *ups;
	unsigned int first, last, i;

	if (pick_uplinks(a, req, reply, &first, &last) < 0)
		return -1;
	if (n < 1 || n > 1000)
		return vfo_ctl_error(reply, "\"top\" must be a number of flows, 1..1000");
	if (by_j != NULL &&
	    (by == NULL || (strcmp(by, "packets") != 0 && strcmp(by, "bytes") != 0)))
		return vfo_ctl_error(reply, "\"by\" must be \"packets\" or \"bytes\"");
	if (reset != NULL && !json_is_boolean(reset))
		return vfo_ctl_error(reply, "\"reset\" must be true or false");
	if (a->uplink[first]->flows == NULL)
		return vfo_ctl_error(reply, "no flow table: start vfailover with --fwd flow");
	ups = json_array();
	for (i = first; i < last; i++) {
		json_t *o = vfo_flow_top_json_by(a->uplink[i]->flows, (unsigned int)n,
						 by != NULL && strcmp(by, "bytes") == 0
							 ? VFO_FLOW_BY_BYTES
							 : VFO_FLOW_BY_PACKETS);

		if (o == NULL) {
			json_decref(ups);
			return vfo_ctl_error(reply, "out of memory reading the flow table");
		}
		json_object_set_new(o, "uplink", json_string(a->uplink[i]->params.name));
		json_array_append_new(ups, o);
	}
	for (i = first; json_is_true(reset) && i < last; i++)
		vfo_flow_reset(a->uplink[i]->flows);
	json_object_set_new(reply, "uplinks", ups);
	json_object_set_new(reply, "reset", json_boolean(json_is_true(reset)));
	return 0;
}

/* Matches raw event 'ev' to an uplink member and runs the machine's event. */
static void
dispatch(struct vfo_app *a, const struct vfo_raw_event *ev)
{
	unsigned int i;
	int id;

	for (i = 0; i < a->nb_uplinks; i++) {
		for (id = 0; id < VFO_MEMBER_COUNT; id++) {
			const struct vfo_member *m = &a->uplink[i]->member[id];
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
			vfo_fo_handle(&a->fo[i], fe, NULL, NULL, 0);
		}
	}
}

void
vfo_app_failover_run(struct vfo_app *a)
{
	struct vfo_raw_event ev;
	uint64_t now = vfo_fo_uplink_ops.now_us(NULL);
	unsigned int i;

	while (a->events != NULL && vfo_events_pop(a->events, &ev))
		dispatch(a, &ev);
	if (now - a->last_tick_us < a->cfg.link_poll_us)
		return;
	a->last_tick_us = now;
	for (i = 0; i < a->nb_uplinks; i++)
		vfo_fo_handle(&a->fo[i], VFO_EV_TICK, NULL, NULL, 0);
}

int
vfo_app_failover_setup(struct vfo_app *a, char *err, size_t errlen)
{
	struct vfo_fo_conf conf;
	unsigned int i;

	vfo_fo_conf_defaults(&conf);
	conf.announce = a->cfg.announce;
	conf.path_interval_us = (uint64_t)a->cfg.arp_interval_ms * 1000;
	conf.path_missed = a->cfg.arp_missed;
	conf.reprobe_down_us = (uint64_t)a->cfg.reprobe_down_ms * 1000;
	for (i = 0; i < a->nb_uplinks; i++) {
		conf.path_target = a->cfg.uplink[i].arp_target;
		vfo_fo_init(&a->fo[i], a->uplink[i]->params.name, &conf, &vfo_fo_uplink_ops,
			    a->uplink[i],
			    (const char(*)[VFO_DEVARGS_MAX])a->uplink[i]->params.devargs,
			    VFO_FO_VF_ACTIVE);
	}
	a->events = vfo_events_start();
	if (a->events == NULL) {
		snprintf(err, errlen, "cannot start the failover event queue: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	vfo_ctl_set_wake_fd(a->ctl, vfo_events_fd(a->events));
	vfo_ctl_register(a->ctl, "prepare", cmd_prepare, a,
			 "planned switch to the backup and release of the VF (before the host "
			 "detaches it); args: uplink, wait (default true)");
	vfo_ctl_register(a->ctl, "attach", cmd_attach, a,
			 "bring the VF back; args: uplink, devargs (default: the VF's own)");
	vfo_ctl_register(a->ctl, "prefer", cmd_prefer, a,
			 "which member carries TX when both are usable; args: member vf|backup, "
			 "uplink");
	vfo_ctl_register(a->ctl, "flows", cmd_flows, a,
			 "top flows per uplink (--fwd flow); args: uplink, top (10), by "
			 "packets|bytes, reset (true: empty the table after this reply)");
	vfo_ctl_register(a->ctl, "timeline", cmd_timeline, a,
			 "failover transitions with monotonic µs timestamps; args: uplink");
	return 0;
}

void
vfo_app_failover_stop(struct vfo_app *a)
{
	vfo_events_stop(a->events);
	a->events = NULL;
}
