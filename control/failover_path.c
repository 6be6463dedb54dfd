/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover_path.c — path liveness of an uplink's members, like the bonding
 * driver's ARP monitor: every path_interval_us an ARP request for the
 * configured target goes out on each present member, the workers count the
 * replies per member (vfo_uplink.h, the liveness loop), and a member whose
 * replies stop for path_missed intervals has a failed path.  Link up is not
 * enough: a VF can have link and no path (a kernel-backed stand-in such as
 * net_af_packet always has link).
 *
 * Thread-safety: part of the failover machine, driven by its one thread.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_common.h>

#include "vfo_failover.h"

void
vfo_fo_path_reset(struct vfo_failover *fo, int id)
{
	struct vfo_fo_path *p = &fo->path[id];

	if (fo->conf.path_target == 0)
		return;
	p->up = false;
	p->last_probe_us = 0;
	p->last_reply_us = 0;
	p->unanswered = 0;
	p->replies_seen = fo->ops->path_replies(fo->ctx, id);
}

void
vfo_fo_path_start(struct vfo_failover *fo, uint64_t now_us)
{
	int id;

	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		vfo_fo_path_reset(fo, id);
		fo->path[id].up = true;
		fo->path[id].last_reply_us = now_us;
	}
}

/*
 * Looks at member 'id''s replies and hands it a probe when one is due.
 * Returns true when its path went up or down.  A path fails when its last
 * path_missed probes are unanswered and path_missed intervals have passed
 * since its last reply: counting probes as well as time keeps a control
 * thread that was busy (a long attach) from failing paths it did not probe.
 */
static bool
member_tick(struct vfo_failover *fo, int id, uint64_t now)
{
	struct vfo_fo_path *p = &fo->path[id];
	const uint64_t silent_max = (uint64_t)fo->conf.path_missed * fo->conf.path_interval_us;
	uint64_t r = fo->ops->path_replies(fo->ctx, id);
	bool was = p->up;

	if (r != p->replies_seen) {
		p->replies += r > p->replies_seen ? r - p->replies_seen : 1;
		p->replies_seen = r;
		p->last_reply_us = now;
		p->unanswered = 0;
		p->up = true;
	} else if (p->up && p->unanswered >= fo->conf.path_missed &&
		   now - p->last_reply_us > silent_max) {
		p->up = false;
		p->failures++;
	}
	if ((p->last_probe_us == 0 || now - p->last_probe_us >= fo->conf.path_interval_us) &&
	    fo->ops->probe(fo->ctx, id, fo->conf.path_target) == 0) {
		p->last_probe_us = now;
		p->probes++;
		p->unanswered++;
	}
	return p->up != was;
}

unsigned int
vfo_fo_path_tick(struct vfo_failover *fo, uint64_t now_us)
{
	unsigned int changed = 0;
	int id;

	if (fo->conf.path_target == 0)
		return 0;
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		if (fo->ops->present(fo->ctx, id) && member_tick(fo, id, now_us))
			changed |= 1u << id;
	return changed;
}

bool
vfo_fo_path_up(const struct vfo_failover *fo, int id)
{
	return fo->conf.path_target == 0 || fo->path[id].up;
}

json_t *
vfo_fo_path_json(const struct vfo_failover *fo)
{
	json_t *o;
	char ip[16];
	uint32_t t = fo->conf.path_target;
	int id;

	if (t == 0)
		return NULL;
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", t >> 24, (t >> 16) & 0xff, (t >> 8) & 0xff,
		 t & 0xff);
	o = json_pack("{ss sI sI}", "target", ip, "interval_us",
		      (json_int_t)fo->conf.path_interval_us, "missed",
		      (json_int_t)fo->conf.path_missed);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		const struct vfo_fo_path *p = &fo->path[id];

		json_object_set_new(o, vfo_member_name(id),
				    json_pack("{sb sI sI sI}", "up", p->up, "probes",
					      (json_int_t)p->probes, "replies",
					      (json_int_t)p->replies, "failures",
					      (json_int_t)p->failures));
	}
	return o;
}
