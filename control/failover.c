/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover.c — the failover state machine of one uplink (see the diagram and
 * table in vfo_failover.h).  It decides; struct vfo_fo_ops acts on ports.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vfo_failover.h"
#include "vfo_log.h"

/* Attach attempts after which a VF that never comes back is given up on. */
#define MAX_RETRIES 30

/* Names of the states, indexed by enum vfo_fo_state. */
static const char *const state_names[VFO_FO_STATE_COUNT] = {
	[VFO_FO_VF_ACTIVE] = "vf_active",
	[VFO_FO_DRAINING] = "draining",
	[VFO_FO_BACKUP_VF_GONE] = "backup_vf_gone",
	[VFO_FO_VF_RETURNING] = "vf_returning",
	[VFO_FO_BACKUP_VF_PRESENT] = "backup_vf_present",
	[VFO_FO_NO_MEMBER] = "no_member",
};

/* Names of the events, indexed by enum vfo_fo_event. */
static const char *const event_names[VFO_EV_COUNT] = {
	[VFO_EV_TICK] = "tick",
	[VFO_EV_PREPARE] = "prepare",
	[VFO_EV_REMOVE_REQUEST] = "remove_request",
	[VFO_EV_VF_GONE] = "vf_gone",
	[VFO_EV_VF_ADDED] = "vf_added",
	[VFO_EV_ATTACH] = "attach",
	[VFO_EV_LINK_CHANGE] = "link_change",
	[VFO_EV_BACKUP_GONE] = "backup_gone",
	[VFO_EV_BACKUP_ADDED] = "backup_added",
	[VFO_EV_PREFER_VF] = "prefer_vf",
	[VFO_EV_PREFER_BACKUP] = "prefer_backup",
};

const char *
vfo_fo_state_name(enum vfo_fo_state s)
{
	return (unsigned int)s < VFO_FO_STATE_COUNT ? state_names[s] : "?";
}

const char *
vfo_fo_event_name(enum vfo_fo_event e)
{
	return (unsigned int)e < VFO_EV_COUNT ? event_names[e] : "?";
}

void
vfo_fo_conf_defaults(struct vfo_fo_conf *c)
{
	c->settle_us = 2000;
	c->max_drain_us = 200000;
	c->min_drain_us = 0;
	c->retry_min_us = 100000;
	c->retry_max_us = 5000000;
	c->reprobe_down_us = 1000000;
	c->announce = true;
	c->prefer_vf = true;
	c->path_target = 0;
	c->path_interval_us = 100000;
	c->path_missed = 3;
}

void
vfo_fo_init(struct vfo_failover *fo, const char *name, const struct vfo_fo_conf *conf,
	    const struct vfo_fo_ops *ops, void *ctx,
	    const char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX], enum vfo_fo_state initial)
{
	int id;

	memset(fo, 0, sizeof(*fo));
	fo->state = initial;
	fo->tx = initial == VFO_FO_VF_ACTIVE   ? VFO_MEMBER_VF
		 : initial == VFO_FO_NO_MEMBER ? -1
					       : VFO_MEMBER_BACKUP;
	fo->conf = *conf;
	fo->ops = ops;
	fo->ctx = ctx;
	fo->name = name;
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		snprintf(fo->devargs[id], sizeof(fo->devargs[id]), "%s", devargs[id]);
	vfo_fo_path_start(fo, ops->now_us(ctx));
}

/* Appends a timeline entry (and logs it): 'from' -> 'to' caused by 'ev'. */
static void __attribute__((format(printf, 5, 6)))
record(struct vfo_failover *fo, enum vfo_fo_state from, enum vfo_fo_state to, enum vfo_fo_event ev,
       const char *fmt, ...)
{
	struct vfo_fo_record *r = &fo->tl[fo->tl_next % VFO_FO_TIMELINE];
	va_list ap;

	r->t_us = fo->ops->now_us(fo->ctx);
	r->from = (uint8_t)from;
	r->to = (uint8_t)to;
	r->event = (uint8_t)ev;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	fo->tl_next++;
	VFO_LOG(NOTICE, "uplink %s: %s -> %s on %s: %s (t=%" PRIu64 " us)", fo->name,
		vfo_fo_state_name(from), vfo_fo_state_name(to), vfo_fo_event_name(ev), r->detail,
		r->t_us);
}

/* Moves to state 'to', recording why. */
#define GO(fo, to, ev, ...)                                                                        \
	do {                                                                                       \
		enum vfo_fo_state from_ = (fo)->state;                                             \
		(fo)->state = (to);                                                                \
		record((fo), from_, (to), (ev), __VA_ARGS__);                                      \
	} while (0)

/* Returns true when member 'id' is present with link up and its path answers. */
static bool
usable(const struct vfo_failover *fo, int id)
{
	return fo->ops->present(fo->ctx, id) && fo->ops->link_up(fo->ctx, id) &&
	       vfo_fo_path_up(fo, id);
}

/* Returns true when member 'id' is present with link up (its path may be silent). */
static bool
has_link(const struct vfo_failover *fo, int id)
{
	return fo->ops->present(fo->ctx, id) && fo->ops->link_up(fo->ctx, id);
}

/*
 * With no usable member, returns the member that carries TX for want of a
 * usable one: present with link up, its path silent (the member on TX
 * first, then the VF); -1 when no member has link.  Dropping delivers
 * nothing, and a path check can misjudge (a guest stalled after a migration
 * misses the replies), so a member with link is never given up for none.
 */
static int
last_resort(const struct vfo_failover *fo)
{
	if (fo->tx >= 0 && has_link(fo, fo->tx))
		return fo->tx;
	if (has_link(fo, VFO_MEMBER_VF))
		return VFO_MEMBER_VF;
	return has_link(fo, VFO_MEMBER_BACKUP) ? VFO_MEMBER_BACKUP : -1;
}

/*
 * Returns true unless the VF is returning (attached again) and the forwarding
 * workers have not polled its RX since TX was first about to move onto it
 * (marked then).  A member that receives
 * through a ring its peer writes (memif) gives that peer room only when it
 * is polled: TX moved onto it before then had the peer drop its answers
 * (the soak: 32 packets the peer counted as TX-dropped at an attach, 4
 * times in 10,000 cycles).  The mark lives while TX waits to move.
 */
static bool
vf_rx_polled(struct vfo_failover *fo)
{
	if (fo->state != VFO_FO_VF_RETURNING)
		return true;
	if (!fo->vf_rx_marked) {
		fo->vf_rx_mark = fo->ops->poll_mark(fo->ctx);
		fo->vf_rx_marked = true;
	}
	return fo->ops->polled_since(fo->ctx, fo->vf_rx_mark);
}

/* Says why a present member that is not usable is not: "down" or "path silent". */
static const char *
unusable_why(const struct vfo_failover *fo, int id)
{
	return fo->ops->link_up(fo->ctx, id) ? "path silent" : "down";
}

/* Returns "vf", "backup" or "none" for member 'id' (-1: none). */
static const char *
tx_name(int id)
{
	return id < 0 ? "none" : vfo_member_name(id);
}

/*
 * A port action of the event being handled failed or outlasted its bound:
 * notes it in the timeline and keeps the first one for the caller
 * (vfo_fo_handle returns it).
 */
static void __attribute__((format(printf, 3, 4)))
op_failed(struct vfo_failover *fo, int err, const char *fmt, ...)
{
	char text[sizeof(fo->op_why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (err == -ETIMEDOUT || err == -EINPROGRESS)
		fo->timeouts++;
	record(fo, fo->state, fo->state, fo->op_event, "%s", text);
	if (fo->op_err == 0) {
		fo->op_err = err;
		snprintf(fo->op_why, sizeof(fo->op_why), "%s", text);
	}
}

/*
 * Puts TX on member 'id' (-1: none), announces it, counts the switch.
 * Returns 0 when TX moved (maybe with its grace period outlasting its
 * bound: noted), or the negative errno of a switch that did not happen.
 */
static int
switch_tx(struct vfo_failover *fo, int id)
{
	uint64_t t0 = fo->ops->now_us(fo->ctx);
	int prev = fo->tx, ret = fo->ops->set_active(fo->ctx, id);

	if (ret != 0 && ret != -ETIMEDOUT) {
		op_failed(fo, ret == -EBUSY ? -ETIMEDOUT : ret, "TX not moved to %s: %s",
			  tx_name(id),
			  ret == -EBUSY ? "a forwarding lcore still holds the previous view"
					: strerror(-ret));
		return ret;
	}
	fo->tx = id;
	fo->on_last_resort = false;
	fo->vf_rx_marked = fo->vf_rx_marked && id != VFO_MEMBER_VF;
	fo->last_switch_us = fo->ops->now_us(fo->ctx) - t0;
	fo->switches++;
	if (ret == -ETIMEDOUT)
		op_failed(fo, ret, "TX on %s, but a forwarding lcore has not let go of %s yet",
			  tx_name(id), tx_name(prev));
	if (id >= 0 && fo->conf.announce)
		fo->ops->announce(fo->ctx, id);
	return 0;
}

/* Adds what release 'rel' found to the planned or unplanned loss counters. */
static void
count_release(struct vfo_failover *fo, const struct vfo_release *rel, bool planned)
{
	if (planned) {
		fo->lost_planned += rel->lost;
		fo->planned_unconfirmed += !rel->exact;
	} else {
		fo->lost_unplanned += rel->lost;
		fo->lost_unplanned_unknown += !rel->exact;
	}
}

/* Writes what release 'rel' found, for the timeline, into 'buf'. */
static const char *
release_text(const struct vfo_release *rel, char *buf, size_t size)
{
	if (!rel->done)
		snprintf(buf, size, "release pending");
	else if (rel->exact)
		snprintf(buf, size, "%" PRIu64 " lost in its rings", rel->lost);
	else
		snprintf(buf, size, "%" PRIu64 " seen lost, the rest unknown", rel->lost);
	return buf;
}

/*
 * Releases member 'id' if present ('planned': on purpose, not because it
 * failed) into 'rel'.  A release that outlasts a bound goes on in the
 * background (noted; vfo_fo_handle's TICK counts it when it ends).
 */
static void
release(struct vfo_failover *fo, int id, bool planned, struct vfo_release *rel)
{
	memset(rel, 0, sizeof(*rel));
	rel->done = true;
	rel->exact = true;
	if (!fo->ops->present(fo->ctx, id))
		return;
	if (fo->ops->detach(fo->ctx, id, rel) == -EINPROGRESS) {
		fo->release_planned[id] = planned;
		op_failed(fo, -EINPROGRESS, "%s release pending: %s", vfo_member_name(id),
			  rel->why);
	} else {
		count_release(fo, rel, planned);
	}
	vfo_fo_path_reset(fo, id);
}

/* Counts and notes the releases that ended in the background. */
static void
poll_releases(struct vfo_failover *fo)
{
	struct vfo_release rel[VFO_MEMBER_COUNT];
	unsigned int done = fo->ops->poll != NULL ? fo->ops->poll(fo->ctx, rel) : 0;
	char text[64];
	int id;

	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		if (!(done & (1u << id)))
			continue;
		count_release(fo, &rel[id], fo->release_planned[id]);
		record(fo, fo->state, fo->state, VFO_EV_TICK, "%s release finished: %s",
		       vfo_member_name(id), release_text(&rel[id], text, sizeof(text)));
	}
}

/* Writes a reason into why/whylen and returns 'err'. */
static int __attribute__((format(printf, 4, 5)))
refuse(int err, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * Returns how long the VF's RX must be quiet to end a drain: settle_us, or
 * min_drain_us if longer when the VF's PMD cannot tell when its peer took
 * what TX left in the ring (that peer is given min_drain_us).
 */
static uint64_t
drain_quiet_us(const struct vfo_failover *fo)
{
	if (fo->ops->tx_done_known(fo->ctx, VFO_MEMBER_VF) ||
	    fo->conf.min_drain_us < fo->conf.settle_us)
		return fo->conf.settle_us;
	return fo->conf.min_drain_us;
}

/*
 * Starts a planned drain: TX to the backup, VF polled until quiet.  Returns
 * 0, or the negative errno of a switch that did not happen (nothing changed).
 */
static int
start_drain(struct vfo_failover *fo, enum vfo_fo_event ev)
{
	uint64_t now;

	if (fo->tx != VFO_MEMBER_BACKUP && switch_tx(fo, VFO_MEMBER_BACKUP) != 0)
		return fo->op_err;
	now = fo->ops->now_us(fo->ctx);
	fo->drain_start_us = now;
	fo->drain_quiet_since_us = now;
	fo->drain_quiet_us = drain_quiet_us(fo);
	fo->drain_marked = false;
	fo->drain_last_rx = fo->ops->rx_count(fo->ctx, VFO_MEMBER_VF);
	fo->released_by_prepare = true;
	GO(fo, VFO_FO_DRAINING, ev, "TX on backup in %" PRIu64 " us; draining VF RX",
	   fo->last_switch_us);
	return 0;
}

/*
 * Settles which member should carry TX once nothing special is going on.
 * A switch that cannot happen now (noted by switch_tx) leaves the state as
 * it is: the next tick settles again.  With no usable member, TX goes to
 * (or stays on) the last resort, noted once; NO_MEMBER only when no member
 * has link.
 */
static void
settle(struct vfo_failover *fo, enum vfo_fo_event ev)
{
	bool vf = usable(fo, VFO_MEMBER_VF), bk = usable(fo, VFO_MEMBER_BACKUP);
	bool vf_here = fo->ops->present(fo->ctx, VFO_MEMBER_VF);
	int lr = vf || bk ? -1 : last_resort(fo), was = fo->tx;

	if (vf)
		fo->vf_down_since_us = 0;
	if (lr >= 0) {
		if (was == lr && fo->on_last_resort)
			return;
		if (was != lr && lr == VFO_MEMBER_VF && !vf_rx_polled(fo))
			return; /* a returning VF: the next tick settles again */
		if (was != lr && switch_tx(fo, lr) != 0)
			return;
		fo->on_last_resort = true;
		GO(fo,
		   lr == VFO_MEMBER_VF		      ? VFO_FO_VF_ACTIVE
		   : fo->state == VFO_FO_VF_RETURNING ? VFO_FO_VF_RETURNING
		   : vf_here			      ? VFO_FO_BACKUP_VF_PRESENT
						      : VFO_FO_BACKUP_VF_GONE,
		   ev, "no usable member: TX %s %s, whose link is up (path silent)",
		   was == lr ? "stays on" : "moved to", vfo_member_name(lr));
		return;
	}
	fo->on_last_resort = false;

	if (vf && (fo->conf.prefer_vf || !bk)) {
		if (fo->tx != VFO_MEMBER_VF && !vf_rx_polled(fo))
			return; /* a returning VF: the next tick settles again */
		if (fo->tx != VFO_MEMBER_VF && switch_tx(fo, VFO_MEMBER_VF) != 0)
			return;
		GO(fo, VFO_FO_VF_ACTIVE, ev, "TX on VF (switch took %" PRIu64 " us)",
		   fo->last_switch_us);
	} else if (bk) {
		if (fo->tx != VFO_MEMBER_BACKUP && switch_tx(fo, VFO_MEMBER_BACKUP) != 0)
			return;
		GO(fo, vf_here ? VFO_FO_BACKUP_VF_PRESENT : VFO_FO_BACKUP_VF_GONE, ev,
		   "TX on backup (switch took %" PRIu64 " us; VF %s)", fo->last_switch_us,
		   vf_here ? (vf ? "standby" : unusable_why(fo, VFO_MEMBER_VF)) : "absent");
	} else {
		if (fo->tx != -1 && switch_tx(fo, -1) != 0)
			return;
		GO(fo, VFO_FO_NO_MEMBER, ev, "no member has link: traffic dropped and counted");
	}
}

/*
 * Attaches the VF from 'devargs' (NULL or "": those of the failed attach
 * being retried, else the VF's own).  Stores them as the VF's devargs once
 * it started; on failure schedules a retry of the same devargs.
 */
static int
attach_vf(struct vfo_failover *fo, enum vfo_fo_event ev, const char *devargs, char *why,
	  size_t whylen)
{
	char d[VFO_DEVARGS_MAX];
	uint64_t now;
	int ret;

	if (devargs != NULL && devargs[0] != '\0')
		snprintf(d, sizeof(d), "%s", devargs);
	else
		snprintf(d, sizeof(d), "%s",
			 fo->retry_pending && fo->retry_devargs[0] != '\0'
				 ? fo->retry_devargs
				 : fo->devargs[VFO_MEMBER_VF]);
	ret = fo->ops->attach(fo->ctx, VFO_MEMBER_VF, d);
	now = fo->ops->now_us(fo->ctx);
	if (ret == 0) {
		snprintf(fo->devargs[VFO_MEMBER_VF], VFO_DEVARGS_MAX, "%s", d);
		fo->retry_devargs[0] = '\0';
		fo->retry_pending = false;
		fo->retries = 0;
		vfo_fo_path_reset(fo, VFO_MEMBER_VF);
		fo->vf_rx_marked = false;
		GO(fo, VFO_FO_VF_RETURNING, ev, "VF probed and started; waiting for link%s",
		   fo->conf.path_target != 0 ? " and path" : "");
		return 0;
	}
	fo->retries++;
	if (strcmp(d, fo->devargs[VFO_MEMBER_VF]) != 0)
		snprintf(fo->retry_devargs, sizeof(fo->retry_devargs), "%s", d);
	if (fo->retries >= MAX_RETRIES) {
		fo->retry_pending = false;
		record(fo, fo->state, fo->state, ev,
		       "attach failed %u times (%s); giving up, send attach to retry", fo->retries,
		       strerror(-ret));
	} else {
		fo->retry_delay_us =
			fo->retries == 1 ? fo->conf.retry_min_us
					 : RTE_MIN(2 * fo->retry_delay_us, fo->conf.retry_max_us);
		fo->retry_pending = true;
		fo->retry_at_us = now + fo->retry_delay_us;
		record(fo, fo->state, fo->state, ev,
		       "attach failed (%s); retry %u in %" PRIu64 " ms", strerror(-ret),
		       fo->retries, fo->retry_delay_us / 1000);
	}
	if (ret == -ETIMEDOUT) {
		fo->timeouts++;
		return refuse(ret, why, whylen,
			      "VF probe and start from '%s' did not finish within their bound; "
			      "the VF is released once its PMD returns",
			      d);
	}
	if (ret == -EBUSY)
		return refuse(ret, why, whylen,
			      "VF attach refused: its release or an earlier bring-up is still "
			      "running in its PMD; attach again later (see the timeline)");
	return refuse(ret, why, whylen, "VF attach from '%s' failed: %s", d, strerror(-ret));
}

/*
 * A present VF whose link stays down for reprobe_down_us is released and
 * probed again at once (then with the attach backoff): some stand-ins only
 * reconnect when restarted, and a VF that never recovers ends in
 * BACKUP_VF_GONE with bounded retries.  Returns true when it did so.
 */
static bool
maybe_reprobe(struct vfo_failover *fo, enum vfo_fo_event ev)
{
	uint64_t now = fo->ops->now_us(fo->ctx);
	struct vfo_release rel;
	char text[64];

	if (!fo->ops->present(fo->ctx, VFO_MEMBER_VF) || fo->ops->link_up(fo->ctx, VFO_MEMBER_VF)) {
		fo->vf_down_since_us = 0;
		return false;
	}
	if (fo->vf_down_since_us == 0)
		fo->vf_down_since_us = now;
	if (fo->conf.reprobe_down_us == 0 || now - fo->vf_down_since_us < fo->conf.reprobe_down_us)
		return false;
	fo->vf_down_since_us = 0;
	release(fo, VFO_MEMBER_VF, false, &rel);
	fo->retry_pending = true;
	fo->retry_at_us = now;
	GO(fo, VFO_FO_BACKUP_VF_GONE, ev,
	   "VF link down for %" PRIu64 " ms: released (%s), probing again",
	   fo->conf.reprobe_down_us / 1000, release_text(&rel, text, sizeof(text)));
	return true;
}

/* Events every state treats alike; returns 1 when 'ev' was one of them. */
static int
common_event(struct vfo_failover *fo, enum vfo_fo_event ev)
{
	struct vfo_release rel;
	char text[64];

	switch (ev) {
	case VFO_EV_PREFER_VF:
	case VFO_EV_PREFER_BACKUP:
		fo->conf.prefer_vf = ev == VFO_EV_PREFER_VF;
		return 0;
	case VFO_EV_BACKUP_GONE:
		release(fo, VFO_MEMBER_BACKUP, false, &rel);
		record(fo, fo->state, fo->state, ev, "backup released (%s)",
		       release_text(&rel, text, sizeof(text)));
		return 0;
	case VFO_EV_BACKUP_ADDED:
		if (!fo->ops->present(fo->ctx, VFO_MEMBER_BACKUP) &&
		    fo->ops->attach(fo->ctx, VFO_MEMBER_BACKUP, fo->devargs[VFO_MEMBER_BACKUP]) ==
			    0) {
			vfo_fo_path_reset(fo, VFO_MEMBER_BACKUP);
			record(fo, fo->state, fo->state, ev, "backup probed and started");
		}
		return 0;
	default:
		return 1;
	}
}

/* VF_ACTIVE. */
static int
on_vf_active(struct vfo_failover *fo, enum vfo_fo_event ev, char *why, size_t whylen)
{
	struct vfo_release rel;
	char text[64];

	switch (ev) {
	case VFO_EV_PREPARE:
	case VFO_EV_REMOVE_REQUEST:
		if (usable(fo, VFO_MEMBER_BACKUP))
			return start_drain(fo, ev);
		if (ev == VFO_EV_PREPARE)
			return refuse(
				-EAGAIN, why, whylen,
				"backup is not usable (absent or link down); nothing changed");
		if (switch_tx(fo, -1) != 0)
			return fo->op_err;
		release(fo, VFO_MEMBER_VF, true, &rel);
		record(fo, fo->state, fo->state, ev, "VF released with no usable backup; %s",
		       release_text(&rel, text, sizeof(text)));
		settle(fo, ev);
		return 0;
	case VFO_EV_VF_GONE:
		release(fo, VFO_MEMBER_VF, false, &rel);
		settle(fo, ev);
		record(fo, fo->state, fo->state, ev, "VF gone: %s",
		       release_text(&rel, text, sizeof(text)));
		return 0;
	case VFO_EV_TICK:
	case VFO_EV_LINK_CHANGE:
	case VFO_EV_PREFER_BACKUP:
		if (ev == VFO_EV_PREFER_BACKUP)
			fo->conf.prefer_vf = false;
		if (fo->vf_down_since_us == 0 && !usable(fo, VFO_MEMBER_VF))
			fo->vf_down_since_us = fo->ops->now_us(fo->ctx);
		if (!usable(fo, VFO_MEMBER_VF) ||
		    (!fo->conf.prefer_vf && usable(fo, VFO_MEMBER_BACKUP)))
			settle(fo, ev);
		return 0;
	case VFO_EV_VF_ADDED:
	case VFO_EV_ATTACH:
		return refuse(-EEXIST, why, whylen, "the VF is present and active");
	default:
		common_event(fo, ev);
		if (!usable(fo, VFO_MEMBER_VF))
			settle(fo, ev);
		return 0;
	}
}

/* DRAINING. */
static int
on_draining(struct vfo_failover *fo, enum vfo_fo_event ev, char *why, size_t whylen)
{
	uint64_t now = fo->ops->now_us(fo->ctx), rx;
	struct vfo_release rel;
	bool still, quiet, up, marked;
	char text[64];

	switch (ev) {
	case VFO_EV_TICK:
	case VFO_EV_LINK_CHANGE:
		rx = fo->ops->rx_count(fo->ctx, VFO_MEMBER_VF);
		if (rx != fo->drain_last_rx) {
			fo->drain_last_rx = rx;
			fo->drain_quiet_since_us = now;
			fo->drain_marked = false;
		}
		/* Quiet for settle_us, and the workers have polled since then: a
		 * worker that was not running cannot make the VF look quiet.  A
		 * VF whose PMD cannot tell when its peer took what TX left in
		 * the ring (memif, virtio) must be quiet for min_drain_us, the
		 * time that peer is given: a peer that took a burst and was not
		 * scheduled before answering it answers within that. */
		still = now - fo->drain_quiet_since_us >= fo->drain_quiet_us;
		marked = fo->drain_marked;
		quiet = still;
		if (quiet && !fo->drain_marked) {
			fo->drain_mark = fo->ops->poll_mark(fo->ctx);
			fo->drain_marked = true;
			quiet = false;
		} else if (quiet) {
			quiet = fo->ops->polled_since(fo->ctx, fo->drain_mark);
		}
		up = fo->ops->link_up(fo->ctx, VFO_MEMBER_VF);
		/* Not before min_drain_us: packets TX left in the VF's ring
		 * before the switch may still come back (a peer that had not
		 * run yet takes them and answers on the VF). */
		if ((!quiet || now - fo->drain_start_us < fo->conf.min_drain_us) && up &&
		    now - fo->drain_start_us < fo->conf.max_drain_us)
			return 0;
		/* Quiet, too long, or the VF lost link: release it.  Too long
		 * with RX still but the workers not having polled since an
		 * earlier look marked it is a timeout too: what the VF's RX
		 * ring holds is not known. */
		if (!quiet && up && !still)
			op_failed(fo, -ETIMEDOUT,
				  "VF RX not quiet after %" PRIu64 " ms of drain: released anyway",
				  fo->conf.max_drain_us / 1000);
		else if (!quiet && up && marked)
			op_failed(fo, -ETIMEDOUT,
				  "VF RX still, but the lcores did not poll it again within "
				  "%" PRIu64 " ms of drain: released anyway",
				  fo->conf.max_drain_us / 1000);
		__attribute__((fallthrough));
	case VFO_EV_VF_GONE:
		release(fo, VFO_MEMBER_VF, ev != VFO_EV_VF_GONE, &rel);
		GO(fo, VFO_FO_BACKUP_VF_GONE, ev, "VF released %" PRIu64 " us after the switch; %s",
		   now - fo->drain_start_us, release_text(&rel, text, sizeof(text)));
		if (!usable(fo, VFO_MEMBER_BACKUP))
			settle(fo, ev);
		return 0;
	case VFO_EV_PREPARE:
	case VFO_EV_REMOVE_REQUEST:
		return 0; /* already on its way out */
	case VFO_EV_VF_ADDED:
	case VFO_EV_ATTACH:
		return refuse(-EBUSY, why, whylen, "the VF is being released; attach after that");
	default:
		common_event(fo, ev);
		return 0;
	}
}

/* BACKUP_VF_GONE. */
static int
on_backup_vf_gone(struct vfo_failover *fo, enum vfo_fo_event ev, const char *devargs, char *why,
		  size_t whylen)
{
	switch (ev) {
	case VFO_EV_VF_ADDED:
	case VFO_EV_ATTACH:
		fo->retries = 0;
		return attach_vf(fo, ev, devargs, why, whylen);
	case VFO_EV_TICK:
	case VFO_EV_LINK_CHANGE:
		if (fo->retry_pending && fo->ops->now_us(fo->ctx) >= fo->retry_at_us)
			attach_vf(fo, ev, NULL, NULL, 0);
		else if (!usable(fo, VFO_MEMBER_BACKUP))
			settle(fo, ev);
		return 0;
	case VFO_EV_PREPARE:
	case VFO_EV_REMOVE_REQUEST:
	case VFO_EV_VF_GONE:
		return 0; /* already released */
	default:
		common_event(fo, ev);
		if (!usable(fo, VFO_MEMBER_BACKUP))
			settle(fo, ev);
		return 0;
	}
}

/* VF_RETURNING. */
static int
on_vf_returning(struct vfo_failover *fo, enum vfo_fo_event ev, char *why, size_t whylen)
{
	struct vfo_release rel;
	char text[64];

	switch (ev) {
	case VFO_EV_TICK:
	case VFO_EV_LINK_CHANGE:
		if (usable(fo, VFO_MEMBER_VF) || !usable(fo, VFO_MEMBER_BACKUP))
			settle(fo, ev);
		else
			maybe_reprobe(fo, ev);
		return 0;
	case VFO_EV_PREPARE:
	case VFO_EV_REMOVE_REQUEST:
	case VFO_EV_VF_GONE:
		release(fo, VFO_MEMBER_VF, ev != VFO_EV_VF_GONE, &rel);
		GO(fo, VFO_FO_BACKUP_VF_GONE, ev, "returning VF released; %s",
		   release_text(&rel, text, sizeof(text)));
		return 0;
	case VFO_EV_VF_ADDED:
	case VFO_EV_ATTACH:
		return refuse(-EEXIST, why, whylen, "the VF is already attached, waiting for link");
	default:
		common_event(fo, ev);
		return 0;
	}
}

/* BACKUP_VF_PRESENT and NO_MEMBER: settle on what is usable. */
static int
on_backup_or_none(struct vfo_failover *fo, enum vfo_fo_event ev, const char *devargs, char *why,
		  size_t whylen)
{
	struct vfo_release rel;
	char text[64];

	switch (ev) {
	case VFO_EV_PREPARE:
	case VFO_EV_REMOVE_REQUEST:
		if (fo->state == VFO_FO_BACKUP_VF_PRESENT)
			return start_drain(fo, ev);
		/* No traffic to drain. */
		__attribute__((fallthrough));
	case VFO_EV_VF_GONE:
		release(fo, VFO_MEMBER_VF, ev != VFO_EV_VF_GONE, &rel);
		record(fo, fo->state, fo->state, ev, "VF released; %s",
		       release_text(&rel, text, sizeof(text)));
		settle(fo, ev);
		return 0;
	case VFO_EV_VF_ADDED:
	case VFO_EV_ATTACH:
		if (fo->ops->present(fo->ctx, VFO_MEMBER_VF))
			return refuse(-EEXIST, why, whylen, "the VF is already attached");
		return attach_vf(fo, ev, devargs, why, whylen);
	default:
		common_event(fo, ev);
		if (fo->state == VFO_FO_BACKUP_VF_PRESENT && usable(fo, VFO_MEMBER_BACKUP) &&
		    maybe_reprobe(fo, ev))
			return 0;
		/* Stay unless the best member changed. */
		if (fo->state == VFO_FO_NO_MEMBER
			    ? (usable(fo, VFO_MEMBER_VF) || usable(fo, VFO_MEMBER_BACKUP) ||
			       last_resort(fo) >= 0)
			    : (!usable(fo, VFO_MEMBER_BACKUP) ||
			       (fo->conf.prefer_vf && usable(fo, VFO_MEMBER_VF))))
			settle(fo, ev);
		return 0;
	}
}

/* Runs the path check of a tick and notes every member whose path changed. */
static void
path_tick(struct vfo_failover *fo)
{
	unsigned int changed = vfo_fo_path_tick(fo, fo->ops->now_us(fo->ctx));
	int id;

	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		if (!(changed & (1u << id)))
			continue;
		if (fo->path[id].up)
			record(fo, fo->state, fo->state, VFO_EV_TICK, "%s path answers",
			       vfo_member_name(id));
		else
			record(fo, fo->state, fo->state, VFO_EV_TICK,
			       "%s path failed: no ARP reply for %u intervals of %" PRIu64 " ms",
			       vfo_member_name(id), fo->conf.path_missed,
			       fo->conf.path_interval_us / 1000);
	}
}

int
vfo_fo_handle(struct vfo_failover *fo, enum vfo_fo_event ev, const char *devargs, char *why,
	      size_t whylen)
{
	int ret;

	fo->op_err = 0;
	fo->op_why[0] = '\0';
	fo->op_event = ev;
	if (ev == VFO_EV_TICK) {
		poll_releases(fo);
		path_tick(fo);
	}
	if (fo->vf_rx_marked && !has_link(fo, VFO_MEMBER_VF))
		fo->vf_rx_marked = false;
	if (devargs != NULL && devargs[0] != '\0' &&
	    (ev == VFO_EV_VF_ADDED || ev == VFO_EV_ATTACH) && strlen(devargs) >= VFO_DEVARGS_MAX)
		return refuse(-ENAMETOOLONG, why, whylen, "devargs longer than %d bytes",
			      VFO_DEVARGS_MAX - 1);
	if (ev != VFO_EV_VF_ADDED && ev != VFO_EV_ATTACH)
		devargs = NULL;
	switch (fo->state) {
	case VFO_FO_VF_ACTIVE:
		ret = on_vf_active(fo, ev, why, whylen);
		break;
	case VFO_FO_DRAINING:
		ret = on_draining(fo, ev, why, whylen);
		break;
	case VFO_FO_BACKUP_VF_GONE:
		ret = on_backup_vf_gone(fo, ev, devargs, why, whylen);
		break;
	case VFO_FO_VF_RETURNING:
		ret = on_vf_returning(fo, ev, why, whylen);
		break;
	default:
		ret = on_backup_or_none(fo, ev, devargs, why, whylen);
		break;
	}
	/* A port action that failed or outlasted its bound, even where the
	 * event went through: the caller is told (with what was done). */
	if (fo->op_err != 0 && (ret == 0 || ret == fo->op_err))
		ret = refuse(fo->op_err, why, whylen, "%s", fo->op_why);
	return ret;
}

json_t *
vfo_fo_timeline_json(const struct vfo_failover *fo)
{
	json_t *a = json_array();
	uint32_t first = fo->tl_next > VFO_FO_TIMELINE ? fo->tl_next - VFO_FO_TIMELINE : 0, i;

	for (i = first; i < fo->tl_next; i++) {
		const struct vfo_fo_record *r = &fo->tl[i % VFO_FO_TIMELINE];

		json_array_append_new(
			a, json_pack("{sI ss ss ss ss}", "t_us", (json_int_t)r->t_us, "from",
				     vfo_fo_state_name(r->from), "to", vfo_fo_state_name(r->to),
				     "event", vfo_fo_event_name(r->event), "detail", r->detail));
	}
	return a;
}
