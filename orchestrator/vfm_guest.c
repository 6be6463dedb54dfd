/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_guest.c — vfmigrate's side of the guest's control protocol, over the
 * host end of the domain's virtio-serial channel (the guest runs
 * vfailover --ctl-serial /dev/virtio-ports/NAME): check that the guest
 * answers and its backup is up, "prepare", and "attach" then "status"
 * until TX is on the VF again.
 *
 * The connection follows the domain: on the source until the migration,
 * then on the destination's channel (from --channel-dst or its XML).
 *
 * Thread-safety: each struct vfm_domain has its own connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vfm_virt.h"

/** How often "status" is asked while waiting for the VF (ms). */
#define VF_POLL_MS 10

/** How long one try of a request waits before it is sent again (ms). */
#define GUEST_TRY_MS 1000

/*
 * Finds the host end of the guest channel on 'side' (for the destination:
 * --channel-dst, else its live XML, else the source's path).  Returns 0,
 * or -1 with 'err' set.
 */
static int
channel_of(struct vfm_domain *d, enum vfm_side side, char *err, size_t errlen)
{
	char *xml, *path = NULL;

	if (d->channel[side][0] != '\0')
		return 0;
	if (side == VFM_DST && d->o->channel_dst != NULL) {
		path = strdup(d->o->channel_dst);
	} else if (side == VFM_DST && d->dst != NULL &&
		   (xml = virDomainGetXMLDesc(d->dst, 0)) != NULL) {
		path = vfm_xml_channel_path(xml, d->o->channel_name);
		free(xml);
	}
	if (path == NULL && side == VFM_DST)
		path = strdup(d->channel[VFM_SRC]);
	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(d->channel[side])) {
		snprintf(err, errlen, "no guest channel on the %s; give --channel%s PATH",
			 side == VFM_SRC ? "source" : "destination", side == VFM_SRC ? "" : "-dst");
		free(path);
		return -1;
	}
	strcpy(d->channel[side], path);
	free(path);
	return 0;
}

/*
 * Connects to the guest channel on 'side' unless already connected there.
 * Returns 0, or -1 with 'err' set.
 */
static int
connect_side(struct vfm_domain *d, enum vfm_side side, char *err, size_t errlen)
{
	if (d->guest != NULL && d->guest_side == side)
		return 0;
	vfo_ctl_conn_close(d->guest);
	d->guest = NULL;
	if (channel_of(d, side, err, errlen) != 0)
		return -1;
	d->guest = vfo_ctl_conn_open(d->channel[side], err, errlen);
	d->guest_side = side;
	return d->guest != NULL ? 0 : -1;
}

/*
 * Sends request 'req' (stolen) to the guest through its channel on 'side'
 * and returns the reply when it is ok (new reference), or NULL with 'err'
 * set (what the guest said, or that it did not answer within
 * --guest-timeout).  A refusal whose "detail" says "released" (a
 * prepare whose drain reached its bound) is returned too, with the
 * detail's "uplinks", its error in detail["warning"].  A try that gets
 * no answer within GUEST_TRY_MS is sent again on a new connection
 * (QEMU's virtio-serial chardev can hold a reply back until the next
 * connection); the retries are counted in detail["retries"].
 */
static json_t *
ask(struct vfm_domain *d, enum vfm_side side, json_t *req, json_t *detail, char *err, size_t errlen)
{
	uint64_t deadline = vfo_mono_ms() + d->o->guest_timeout_ms;
	char why[512] = "";
	json_t *r = NULL;
	int tries = 0;

	if (d->o->uplink != NULL)
		json_object_set_new(req, "uplink", json_string(d->o->uplink));
	while (r == NULL && vfo_mono_ms() < deadline) {
		uint64_t left = deadline - vfo_mono_ms();

		if (tries++ > 0)
			json_object_set_new(detail, "retries",
					    json_integer(json_integer_value(json_object_get(
								 detail, "retries")) +
							 1));
		if (connect_side(d, side, why, sizeof(why)) != 0)
			break;
		r = vfo_ctl_conn_request(d->guest, req,
					 (int)(left < GUEST_TRY_MS ? left : GUEST_TRY_MS), why,
					 sizeof(why));
		if (r == NULL) {
			/* A late reply must not answer the next request. */
			vfo_ctl_conn_close(d->guest);
			d->guest = NULL;
		}
	}
	if (r == NULL)
		snprintf(err, errlen,
			 "%s; is vfailover running in the guest with --ctl-serial "
			 "/dev/virtio-ports/%s?",
			 why[0] ? why : "no time left", d->o->channel_name);
	else if (!json_is_true(json_object_get(r, "ok")) &&
		 json_is_true(json_object_get(json_object_get(r, "detail"), "released"))) {
		/* A prepare whose drain reached its bound: the VF is released
		 * all the same; go on, with the guest's warning recorded. */
		json_object_set(detail, "warning", json_object_get(r, "error"));
		json_object_set(r, "uplinks",
				json_object_get(json_object_get(r, "detail"), "uplinks"));
	} else if (!json_is_true(json_object_get(r, "ok"))) {
		snprintf(err, errlen, "the guest refused '%s': %s",
			 json_string_value(json_object_get(req, "cmd")),
			 json_string_value(json_object_get(r, "error")));
		json_decref(r);
		r = NULL;
	}
	json_decref(req);
	return r;
}

/*
 * Returns a new JSON array summarizing the uplinks of guest reply 'r'
 * ("status" or "prepare") for the timeline: uplink, active, state,
 * backup_link_up.  'only' (not NULL) keeps just the uplink of that name.
 */
static json_t *
uplinks_brief(const json_t *r, const char *only)
{
	json_t *out = json_array(), *u;
	size_t i;

	json_array_foreach(json_object_get(r, "uplinks"), i, u)
	{
		json_t *fo = json_object_get(u, "failover");
		json_t *name = json_object_get(u, json_object_get(u, "name") ? "name" : "uplink");
		json_t *backup = json_object_get(json_object_get(u, "members"), "backup");

		if (only != NULL &&
		    (!json_is_string(name) || strcmp(json_string_value(name), only)))
			continue;
		json_array_append_new(out, json_pack("{sO* sO* sO* sO*}", "uplink", name, "active",
						     json_object_get(u, "active"), "state",
						     json_object_get(fo != NULL ? fo : u, "state"),
						     "backup_link_up",
						     json_object_get(backup, "link_up")));
	}
	return out;
}

/* Returns a new request object {"cmd": cmd}. */
static json_t *
request(const char *cmd)
{
	return json_pack("{ss}", "cmd", cmd);
}

/* Op "guest_check": the guest answers "status" and every uplink has its backup up. */
int
vfm_guest_check(void *ctx, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	json_t *r = ask(d, VFM_SRC, request("status"), detail, err, errlen), *ups, *u;
	size_t i;
	int rc = VFM_STEP_OK;

	if (r == NULL)
		return VFM_STEP_FAIL;
	ups = uplinks_brief(r, d->o->uplink);
	json_object_set_new(detail, "uplinks", ups);
	json_array_foreach(ups, i, u)
	{
		const char *name = json_string_value(json_object_get(u, "uplink"));

		if (!json_is_true(json_object_get(u, "backup_link_up"))) {
			snprintf(err, errlen,
				 "guest uplink %s: its backup member is down, so the guest would "
				 "lose traffic while the VF is away; fix the virtio backup first",
				 name != NULL ? name : "?");
			rc = VFM_STEP_FAIL;
			break;
		}
	}
	if (rc == VFM_STEP_OK && json_array_size(ups) == 0) {
		snprintf(err, errlen, "the guest has no uplink%s%s",
			 d->o->uplink != NULL ? " named " : "",
			 d->o->uplink != NULL ? d->o->uplink : "");
		rc = VFM_STEP_FAIL;
	}
	json_decref(r);
	return rc;
}

/*
 * Returns the first uplink in array 'ups' (uplinks_brief) whose 'key' is
 * not 'want', or NULL when all are.
 */
static json_t *
first_not(json_t *ups, const char *key, const char *want)
{
	json_t *u;
	size_t i;

	json_array_foreach(ups, i, u)
	{
		const char *v = json_string_value(json_object_get(u, key));

		if (v == NULL || strcmp(v, want) != 0)
			return u;
	}
	return NULL;
}

/* Op "guest_prepare": "prepare"; every uplink must end in backup_vf_gone. */
int
vfm_guest_prepare(void *ctx, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	json_t *r = ask(d, VFM_SRC, request("prepare"), detail, err, errlen), *ups, *bad;

	if (r == NULL)
		return VFM_STEP_FAIL;
	ups = uplinks_brief(r, d->o->uplink);
	json_object_set_new(detail, "uplinks", ups);
	bad = first_not(ups, "state", "backup_vf_gone");
	json_decref(r);
	if (bad == NULL)
		return VFM_STEP_OK;
	snprintf(err, errlen, "guest uplink %s is in state %s after prepare, not backup_vf_gone",
		 json_string_value(json_object_get(bad, "uplink")),
		 json_string_value(json_object_get(bad, "state")));
	return VFM_STEP_FAIL;
}

/* Op "guest_vf": "attach" (a refusal is fine), then "status" until TX is on the VF. */
int
vfm_guest_vf(void *ctx, enum vfm_side side, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	uint64_t t0 = vfo_mono_ms(), deadline = t0 + d->o->guest_timeout_ms;
	struct timespec ts = {.tv_nsec = VF_POLL_MS * 1000000L};
	json_t *r, *ups = NULL, *bad = NULL;
	char why[512] = "";
	unsigned int polls = 0;

	/* The guest may already be on its way back (device add event): a refusal is fine. */
	r = ask(d, side, request("attach"), detail, why, sizeof(why));
	json_object_set_new(detail, "attach", json_string(r != NULL ? "ok" : why));
	json_decref(r);
	do {
		if (polls++ > 0)
			nanosleep(&ts, NULL);
		r = ask(d, side, request("status"), detail, err, errlen);
		if (r == NULL)
			return VFM_STEP_FAIL;
		json_decref(ups);
		ups = uplinks_brief(r, d->o->uplink);
		json_decref(r);
		bad = first_not(ups, "active", "vf");
		/* Not cut short by Ctrl-C: a rollback waits here too. */
	} while (bad != NULL && vfo_mono_ms() < deadline);
	json_object_set_new(detail, "polls", json_integer(polls));
	json_object_set_new(detail, "vf_active_ms", json_integer((json_int_t)(vfo_mono_ms() - t0)));
	if (bad != NULL)
		snprintf(err, errlen, "guest uplink %s still on %s (state %s) after %u ms",
			 json_string_value(json_object_get(bad, "uplink")),
			 json_string_value(json_object_get(bad, "active")),
			 json_string_value(json_object_get(bad, "state")),
			 (unsigned int)(vfo_mono_ms() - t0));
	json_object_set_new(detail, "uplinks", ups);
	return bad == NULL ? VFM_STEP_OK : VFM_STEP_FAIL;
}
