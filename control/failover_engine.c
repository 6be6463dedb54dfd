/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover_engine.c — the failover engine (vfo_fo_engine.h): one state
 * machine per uplink, fed by device/port events, a periodic tick and the
 * control commands prepare, attach (behind the attach policy) and prefer,
 * all on the failover thread; the commands' handlers (control thread)
 * queue them there and defer their replies; "timeline" is answered on the
 * control thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "vfo_clock.h"
#include "vfo_fo_engine.h"
#include "vfo_log.h"
#include "vfo_status.h"

/* How long "prepare" waits, between looks at a drain, when told to wait (µs). */
#define DRAIN_POLL_US 100
/* Longest tick period while a machine is between steady states (µs). */
#define ENGINE_BUSY_TICK_US 1000

/** A command for the failover thread, and then its result. */
struct fo_request {
	struct fo_request *next;	 /**< queue link (q_lock) */
	enum vfo_fo_event ev;		 /**< PREPARE, ATTACH, PREFER_VF or PREFER_BACKUP */
	unsigned int first, last;	 /**< uplinks [first, last) */
	bool wait;			 /**< prepare: until the drain is over */
	bool has_devargs;		 /**< attach: 'devargs' given */
	char devargs[VFO_DEVARGS_MAX];	 /**< attach: the VF's devargs */
	struct vfo_ctl_pending *pending; /**< the deferred reply */
	json_t *result;			 /**< the reply's fields (failover thread) */
	int rc;				 /**< 0, or -1 with "error" in 'result' */
};

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

/* Returns uplink i's failover state as a new JSON object; call with the lock. */
static json_t *
fo_json(struct vfo_fo_engine *e, unsigned int i) VFO_REQUIRES(e->lock)
{
	const struct vfo_failover *fo = &e->fo[i];
	json_t *o, *path;

	o = json_pack("{ss ss sI sI sb}", "uplink", e->uplink[i]->params.name, "state",
		      vfo_fo_state_name(fo->state), "switches", (json_int_t)fo->switches,
		      "last_switch_us", (json_int_t)fo->last_switch_us, "prefer_vf",
		      fo->conf.prefer_vf);
	/* What releases lost: counted where the PMD can tell, and how many
	 * releases could not tell (see struct vfo_release). */
	json_object_set_new(o, "lost_unplanned", json_integer((json_int_t)fo->lost_unplanned));
	json_object_set_new(o, "lost_unplanned_unknown",
			    json_integer((json_int_t)fo->lost_unplanned_unknown));
	json_object_set_new(o, "lost_planned", json_integer((json_int_t)fo->lost_planned));
	json_object_set_new(o, "planned_unconfirmed",
			    json_integer((json_int_t)fo->planned_unconfirmed));
	json_object_set_new(o, "timeouts", json_integer((json_int_t)fo->timeouts));
	/* A VF that does not come back: failed attaches in a row, and whether
	 * another is scheduled (false after the last one: send attach). */
	json_object_set_new(o, "attach_failures", json_integer(fo->retries));
	json_object_set_new(o, "attach_retry_pending", json_boolean(fo->retry_pending));
	path = vfo_fo_path_json(fo);
	if (path != NULL)
		json_object_set_new(o, "path", path);
	return o;
}

json_t *
vfo_fo_engine_json(struct vfo_fo_engine *e, unsigned int i)
{
	json_t *o;

	vfo_mutex_lock(&e->lock);
	o = fo_json(e, i);
	vfo_mutex_unlock(&e->lock);
	return o;
}

/*
 * Runs event 'ev' on uplink i's machine (see vfo_fo_handle) with the
 * engine's lock held (the port actions let go of it while they wait): the
 * only way the machines change.  Failover thread.
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
 * reply["uplinks"].  Returns 0, or -1 with the first refusal (or port
 * action that outlasted its bound, with the state it left) in 'reply'.
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
			vfo_mutex_lock(&e->lock);
			vfo_ctl_error(reply, "uplink %s: %s (state now %s)",
				      e->uplink[i]->params.name, why,
				      vfo_fo_state_name(e->fo[i].state));
			vfo_mutex_unlock(&e->lock);
			return -1;
		}
		json_array_append_new(ups, vfo_fo_engine_json(e, i));
	}
	json_object_set_new(reply, "uplinks", ups);
	return 0;
}

/*
 * Ticks the machines of [first, last) until none is draining (bounded by
 * their max_drain_us: the drain ends there).  Returns 0, or -1 with the
 * first error of a tick (a drain that timed out) in 'reply'.
 */
static int
wait_drained(struct vfo_fo_engine *e, unsigned int first, unsigned int last, json_t *reply)
{
	unsigned int i;
	bool draining = true;
	int rc = 0;
	char why[512];

	while (draining) {
		draining = false;
		for (i = first; i < last; i++) {
			if (e->fo[i].state != VFO_FO_DRAINING)
				continue;
			if (handle(e, i, VFO_EV_TICK, NULL, why, sizeof(why)) < 0 && rc == 0)
				rc = vfo_ctl_error(reply, "uplink %s: %s",
						   e->uplink[i]->params.name, why);
			draining |= e->fo[i].state == VFO_FO_DRAINING;
		}
		if (draining)
			sleep_us(DRAIN_POLL_US);
	}
	return rc;
}

/*
 * After a "prepare" whose drain reached its bound (the error already in
 * r->result): when every uplink of 'r' released its VF all the same, sets
 * the error's "detail" to {"released": true, "loss_known": false,
 * "uplinks": their states}, so that the host can tell "go on, but what the
 * VF's RX ring held is not known" from a VF still held.  Failover thread
 * (the only writer of the machines' states).
 */
static void
note_released(struct vfo_fo_engine *e, struct fo_request *r)
{
	json_t *ups;
	unsigned int i;

	for (i = r->first; i < r->last; i++)
		if (e->fo[i].state != VFO_FO_BACKUP_VF_GONE)
			return;
	ups = json_array();
	for (i = r->first; i < r->last; i++)
		json_array_append_new(ups, vfo_fo_engine_json(e, i));
	json_object_set_new(
		r->result, "detail",
		json_pack("{sb sb so}", "released", true, "loss_known", false, "uplinks", ups));
}

/* Runs command 'r' on the failover thread into r->result / r->rc. */
static void
run_request(struct vfo_fo_engine *e, struct fo_request *r)
{
	r->result = json_object();
	r->rc = run_event(e, r->ev, r->has_devargs ? r->devargs : NULL, r->first, r->last,
			  r->result);
	if (r->rc == 0 && r->ev == VFO_EV_PREPARE && r->wait) {
		r->rc = wait_drained(e, r->first, r->last, r->result);
		if (r->rc == 0) {
			json_object_clear(r->result);
			r->rc = run_event(e, VFO_EV_TICK, NULL, r->first, r->last, r->result);
		} else {
			note_released(e, r);
		}
	}
}

/* Wakes the thread polling eventfd 'fd'. */
static void
wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		VFO_LOG(DEBUG, "failover engine: eventfd write failed");
}

/* Clears eventfd 'fd'. */
static void
drain_fd(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		VFO_LOG(DEBUG, "failover engine: eventfd read failed");
}

/* Appends 'r' to queue '*q' (call with q_lock). */
static void
enqueue(struct fo_request **q, struct fo_request *r)
{
	r->next = NULL;
	while (*q != NULL)
		q = &(*q)->next;
	*q = r;
}

/* Takes the oldest request of queue '*q' (call with q_lock), or NULL. */
static struct fo_request *
dequeue(struct fo_request **q)
{
	struct fo_request *r = *q;

	if (r != NULL)
		*q = r->next;
	return r;
}

/*
 * Control thread: queues request 'r' for the failover thread and defers
 * its reply.  Returns the handler's return value: VFO_CTL_DEFERRED, or -1
 * with an error in 'reply' (memory short; 'r' freed).  Without a failover
 * thread and a peer to defer to, runs 'r' here and returns its result.
 */
static int
submit(struct vfo_fo_engine *e, struct fo_request *r, json_t *reply)
{
	int rc;

	r->pending = vfo_ctl_defer(e->ctl);
	if (r->pending == NULL && !e->running) {
		/* No peer to defer to (vfo_ctl_handle_line) and no failover
		 * thread (a harness drives the engine alone): answer at once. */
		run_request(e, r);
		json_object_update(reply, r->result);
		rc = r->rc;
		json_decref(r->result);
		free(r);
		return rc;
	}
	if (r->pending == NULL) {
		free(r);
		return vfo_ctl_error(reply, "out of memory in vfailover (or no peer to answer); "
					    "retry later");
	}
	vfo_mutex_lock(&e->q_lock);
	enqueue(&e->todo, r);
	vfo_mutex_unlock(&e->q_lock);
	wake(e->todo_fd);
	return VFO_CTL_DEFERRED;
}

/* Returns a new request of event 'ev' for uplinks [first, last), or NULL. */
static struct fo_request *
request_new(enum vfo_fo_event ev, unsigned int first, unsigned int last)
{
	struct fo_request *r = calloc(1, sizeof(*r));

	if (r != NULL) {
		r->ev = ev;
		r->first = first;
		r->last = last;
	}
	return r;
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
	struct fo_request *r;

	if (pick_uplinks(e, req, reply, &first, &last) < 0)
		return -1;
	if (wait != NULL && !json_is_boolean(wait))
		return vfo_ctl_error(reply, "\"wait\" must be true or false");
	r = request_new(VFO_EV_PREPARE, first, last);
	if (r == NULL)
		return vfo_ctl_error(reply, "out of memory in vfailover; retry later");
	r->wait = wait == NULL || json_is_true(wait);
	return submit(e, r, reply);
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
	struct fo_request *r;
	char why[512];

	if (pick_uplinks(e, req, reply, &first, &last) < 0)
		return -1;
	if (devargs != NULL && !json_is_string(devargs))
		return vfo_ctl_error(reply,
				     "\"devargs\" must be a string (DPDK devargs of the VF)");
	if (devargs != NULL && last - first > 1)
		return vfo_ctl_error(reply, "give \"uplink\" with \"devargs\" (%u uplinks)",
				     e->nb_uplinks);
	/* Before anything is probed or stored: a refused attach changes nothing. */
	if (devargs != NULL &&
	    vfo_attach_policy_check(&e->attach[first], json_string_value(devargs), why,
				    sizeof(why)) < 0) {
		VFO_LOG(WARNING, "uplink %s: attach refused: %s", e->uplink[first]->params.name,
			why);
		return vfo_ctl_error(reply, "uplink %s: attach refused: %s",
				     e->uplink[first]->params.name, why);
	}
	r = request_new(VFO_EV_ATTACH, first, last);
	if (r == NULL)
		return vfo_ctl_error(reply, "out of memory in vfailover; retry later");
	if (devargs != NULL) {
		r->has_devargs = true;
		snprintf(r->devargs, sizeof(r->devargs), "%s", json_string_value(devargs));
	}
	return submit(e, r, reply);
}

/* Command "prefer": {"member": "vf"|"backup"}, optionally {"uplink": NAME}. */
static int
cmd_prefer(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_fo_engine *e = arg;
	const char *m = json_string_value(json_object_get(req, "member"));
	unsigned int first, last;
	struct fo_request *r;

	if (pick_uplinks(e, req, reply, &first, &last) < 0)
		return -1;
	if (m == NULL || (strcmp(m, "vf") != 0 && strcmp(m, "backup") != 0))
		return vfo_ctl_error(reply, "give \"member\": \"vf\" or \"backup\"");
	r = request_new(strcmp(m, "vf") == 0 ? VFO_EV_PREFER_VF : VFO_EV_PREFER_BACKUP, first,
			last);
	if (r == NULL)
		return vfo_ctl_error(reply, "out of memory in vfailover; retry later");
	return submit(e, r, reply);
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
	vfo_mutex_lock(&e->lock);
	for (i = first; i < last; i++) {
		json_t *o = fo_json(e, i);

		json_object_set_new(o, "timeline", vfo_fo_timeline_json(&e->fo[i]));
		json_array_append_new(ups, o);
	}
	vfo_mutex_unlock(&e->lock);
	json_object_set_new(reply, "uplinks", ups);
	return 0;
}

/*
 * Matches raw event 'ev' to an uplink member and runs the machine's event.
 * A port event counts for the member only if it was raised on the member's
 * incarnation (ev->gen): after a release, the next member probed may get
 * the same port id, and an old event must not touch it.
 */
static void
dispatch(struct vfo_fo_engine *e, const struct vfo_raw_event *ev)
{
	unsigned int i;
	int id;

	for (i = 0; i < e->nb_uplinks; i++) {
		for (id = 0; id < VFO_MEMBER_COUNT; id++) {
			const struct vfo_member *m = &e->uplink[i]->member[id];
			bool present = vfo_member_present(e->uplink[i], id),
			     vf = id == VFO_MEMBER_VF;
			bool ours = present && m->port_id == ev->port && m->gen == ev->gen;
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
				if (!ours)
					continue;
				fe = vf ? VFO_EV_VF_GONE : VFO_EV_BACKUP_GONE;
				break;
			case VFO_RAW_KIF_LINK:
				if (!present || m->kif[0] == '\0' || strcmp(ev->name, m->kif) != 0)
					continue;
				fe = VFO_EV_LINK_CHANGE;
				break;
			default:
				if (!ours)
					continue;
				fe = VFO_EV_LINK_CHANGE;
				break;
			}
			handle(e, i, fe, NULL, NULL, 0);
		}
	}
}

/*
 * Returns the tick period now: e->tick_us, or at most ENGINE_BUSY_TICK_US
 * while a machine is between steady states (the VF draining or returning,
 * an attach retry pending), so that a long --link-poll-us never slows a
 * switch.  Failover thread.
 */
static uint64_t
tick_period_us(const struct vfo_fo_engine *e)
{
	unsigned int i;

	for (i = 0; i < e->nb_uplinks; i++) {
		const struct vfo_failover *fo = &e->fo[i];

		if (fo->state == VFO_FO_DRAINING || fo->state == VFO_FO_VF_RETURNING ||
		    fo->retry_pending)
			return RTE_MIN(e->tick_us, (uint64_t)ENGINE_BUSY_TICK_US);
	}
	return e->tick_us;
}

/* Handles the waiting events and, when due, ticks every machine. */
static void
run_events(struct vfo_fo_engine *e)
{
	struct vfo_raw_event ev;
	uint64_t now = vfo_mono_us();
	unsigned int i;

	while (e->events != NULL && vfo_events_pop(e->events, &ev))
		dispatch(e, &ev);
	if (now - e->last_tick_us < tick_period_us(e))
		return;
	e->last_tick_us = now;
	for (i = 0; i < e->nb_uplinks; i++)
		handle(e, i, VFO_EV_TICK, NULL, NULL, 0);
}

void
vfo_fo_engine_run_commands(struct vfo_fo_engine *e)
{
	struct fo_request *r;

	for (;;) {
		vfo_mutex_lock(&e->q_lock);
		r = dequeue(&e->todo);
		vfo_mutex_unlock(&e->q_lock);
		if (r == NULL)
			return;
		run_request(e, r);
		vfo_mutex_lock(&e->q_lock);
		enqueue(&e->done, r);
		vfo_mutex_unlock(&e->q_lock);
		wake(e->done_fd);
	}
}

/* The failover thread: events, ticks and commands until stopped. */
static void *
fo_thread_main(void *arg)
{
	struct vfo_fo_engine *e = arg;
	struct pollfd pfd[2] = {{.fd = e->todo_fd, .events = POLLIN},
				{.fd = vfo_events_fd(e->events), .events = POLLIN}};

	while (!__atomic_load_n(&e->stopping, __ATOMIC_ACQUIRE)) {
		uint64_t now = vfo_mono_us(), due = e->last_tick_us + tick_period_us(e);
		uint64_t left = due > now ? due - now : 0;
		struct timespec ts = {.tv_sec = (time_t)(left / 1000000),
				      .tv_nsec = (long)(left % 1000000) * 1000};

		if (ppoll(pfd, RTE_DIM(pfd), &ts, NULL) > 0 && (pfd[0].revents & POLLIN))
			drain_fd(e->todo_fd);
		vfo_fo_engine_run_commands(e);
		run_events(e);
	}
	return NULL;
}

/* Answers request 'r' (its result, or 'rc' -1 with 'why' if none) and frees it. */
static void
answer(struct vfo_fo_engine *e, struct fo_request *r, const char *why)
{
	if (r->result == NULL) {
		r->result = json_object();
		r->rc = vfo_ctl_error(r->result, "%s", why != NULL ? why : "no result");
	}
	vfo_ctl_complete(e->ctl, r->pending, r->result, r->rc);
	json_decref(r->result);
	free(r);
}

void
vfo_fo_engine_complete(struct vfo_fo_engine *e)
{
	struct fo_request *r;

	if (e->done_fd < 0)
		return;
	drain_fd(e->done_fd);
	for (;;) {
		vfo_mutex_lock(&e->q_lock);
		r = dequeue(&e->done);
		vfo_mutex_unlock(&e->q_lock);
		if (r == NULL)
			return;
		answer(e, r, NULL);
	}
}

int
vfo_fo_engine_init(struct vfo_fo_engine *e, struct vfo_uplink *const *uplinks,
		   unsigned int nb_uplinks, const struct vfo_fo_engine_conf *ec,
		   const struct vfo_fo_ops *ops, const char *const *vf_drivers, struct vfo_ctl *ctl,
		   char *err, size_t errlen)
{
	struct vfo_fo_conf conf = ec->fo;
	char why[512];
	unsigned int i;

	e->todo_fd = e->done_fd = -1;
	if (vfo_mutex_init(&e->lock) != 0 || vfo_mutex_init(&e->q_lock) != 0) {
		snprintf(err, errlen, "failover engine: cannot create its locks");
		return -1;
	}
	e->uplink = uplinks;
	e->nb_uplinks = nb_uplinks;
	e->tick_us = ec->tick_us;
	e->ctl = ctl;
	for (i = 0; i < e->nb_uplinks; i++) {
		const struct vfo_uplink_params *p = &e->uplink[i]->params;

		conf.path_target = ec->path_target[i];
		e->port[i] = (struct vfo_fo_uplink_ctx){.u = e->uplink[i], .lock = &e->lock};
		vfo_fo_init(&e->fo[i], p->name, &conf, ops, &e->port[i],
			    (const char(*)[VFO_DEVARGS_MAX])p->devargs, VFO_FO_VF_ACTIVE);
		if (vfo_attach_policy_init(&e->attach[i], p->devargs[VFO_MEMBER_VF],
					   vf_drivers != NULL ? vf_drivers[i] : NULL,
					   ec->attach_allow, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "uplink %s: %s", p->name, why);
			return -1;
		}
	}
	e->todo_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->todo_fd < 0 || e->done_fd < 0) {
		snprintf(err, errlen, "failover engine: cannot create its eventfds: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

void
vfo_fo_engine_register(struct vfo_fo_engine *e, struct vfo_ctl *ctl)
{
	vfo_ctl_register(ctl, "prepare", cmd_prepare, e,
			 "planned switch to the backup and release of the VF (before the host "
			 "detaches it); args: uplink, wait (default true)");
	vfo_ctl_register(ctl, "attach", cmd_attach, e,
			 "bring the VF back; args: uplink, devargs (default: the VF's own; "
			 "only its own bus and driver unless --attach-allow)");
	vfo_ctl_register(ctl, "prefer", cmd_prefer, e,
			 "which member carries TX when both are usable; args: member vf|backup, "
			 "uplink");
	vfo_ctl_register(ctl, "timeline", cmd_timeline, e,
			 "failover transitions with monotonic µs timestamps; args: uplink");
}

int
vfo_fo_engine_setup(struct vfo_fo_engine *e, struct vfo_uplink *const *uplinks,
		    unsigned int nb_uplinks, const struct vfo_fo_engine_conf *ec,
		    struct vfo_ctl *ctl, char *err, size_t errlen)
{
	const char *drivers[VFO_MAX_UPLINKS] = {NULL};
	struct rte_eth_dev_info info[VFO_MAX_UPLINKS];
	unsigned int i;

	/* The driver each VF was probed with: what attach may probe again. */
	for (i = 0; i < nb_uplinks; i++) {
		uint16_t port = uplinks[i]->member[VFO_MEMBER_VF].port_id;

		if (port != VFO_PORT_NONE && rte_eth_dev_info_get(port, &info[i]) == 0)
			drivers[i] = info[i].driver_name;
	}
	if (vfo_fo_engine_init(e, uplinks, nb_uplinks, ec, &vfo_fo_uplink_ops, drivers, ctl, err,
			       errlen) < 0)
		return -1;
	e->events = vfo_events_start();
	if (e->events == NULL) {
		snprintf(err, errlen, "cannot start the failover event queue: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	vfo_ctl_set_wake_fd(ctl, e->done_fd);
	vfo_fo_engine_register(e, ctl);
	return 0;
}

int
vfo_fo_engine_start(struct vfo_fo_engine *e)
{
	int ret = rte_ctrl_thread_create(&e->thread, "vfo-failover", NULL, fo_thread_main, e);

	e->running = ret == 0;
	return ret;
}

void
vfo_fo_engine_stop(struct vfo_fo_engine *e)
{
	struct fo_request *r;

	if (e->uplink == NULL)
		return;
	if (e->running) {
		__atomic_store_n(&e->stopping, true, __ATOMIC_RELEASE);
		wake(e->todo_fd);
		pthread_join(e->thread, NULL);
		e->running = false;
	}
	/* Commands it did not get to, and results not sent yet. */
	while ((r = dequeue(&e->done)) != NULL || (r = dequeue(&e->todo)) != NULL)
		answer(e, r, "vfailover is stopping; the command was not run");
	vfo_events_stop(e->events);
	e->events = NULL;
	if (e->todo_fd >= 0)
		close(e->todo_fd);
	if (e->done_fd >= 0)
		close(e->done_fd);
	e->todo_fd = e->done_fd = -1;
	vfo_mutex_destroy(&e->q_lock);
	vfo_mutex_destroy(&e->lock);
	e->uplink = NULL;
}
