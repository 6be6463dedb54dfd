/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover_ops.c — the failover machine's port actions on a real uplink
 * (struct vfo_fo_ops with ctx = struct vfo_fo_uplink_ctx *).  The actions
 * that wait (bounded) let go of the caller's lock meanwhile.
 */
#include <errno.h>

#include "vfo_clock.h"
#include "vfo_failover.h"
#include "vfo_log.h"

/* The uplink of context 'ctx'. */
static struct vfo_uplink *
up(void *ctx)
{
	return ((struct vfo_fo_uplink_ctx *)ctx)->u;
}

/* Lets go of the caller's lock (if any) before an action that waits. */
static void
lock_off(void *ctx) VFO_NO_TSA
{
	struct vfo_mutex *l = ((struct vfo_fo_uplink_ctx *)ctx)->lock;

	if (l != NULL)
		vfo_mutex_unlock(l);
}

/* Takes the caller's lock (if any) back after an action that waited. */
static void
lock_on(void *ctx) VFO_NO_TSA
{
	struct vfo_mutex *l = ((struct vfo_fo_uplink_ctx *)ctx)->lock;

	if (l != NULL)
		vfo_mutex_lock(l);
}

/* Puts TX on member 'id' (-1: none) and waits (bounded) for the grace period. */
static int
op_set_active(void *ctx, int id)
{
	int ret;

	lock_off(ctx);
	ret = vfo_uplink_set_active(up(ctx), id);
	lock_on(ctx);
	return ret;
}

/* Probes and starts member 'id' from 'devargs'; logs why when it cannot. */
static int
op_attach(void *ctx, int id, const char *devargs)
{
	char err[512];
	int ret;

	lock_off(ctx);
	ret = vfo_uplink_member_attach(up(ctx), id, devargs, err, sizeof(err));
	lock_on(ctx);
	if (ret < 0)
		VFO_LOG(WARNING, "%s", err);
	return ret;
}

/* Releases member 'id' into 'rel'; 0, or -EINPROGRESS (finished by op_poll). */
static int
op_detach(void *ctx, int id, struct vfo_release *rel)
{
	int ret;

	lock_off(ctx);
	ret = vfo_uplink_member_detach(up(ctx), id, rel);
	lock_on(ctx);
	return ret == -ENOENT ? 0 : ret;
}

/* Finishes pending releases (and the uplink's other background work). */
static unsigned int
op_poll(void *ctx, struct vfo_release rel[VFO_MEMBER_COUNT])
{
	unsigned int ret;

	lock_off(ctx);
	ret = vfo_uplink_poll(up(ctx), rel);
	lock_on(ctx);
	return ret;
}

/* Returns true when member 'id' has a port and is not being released. */
static bool
op_present(void *ctx, int id)
{
	return vfo_member_present(up(ctx), id);
}

/* Returns true when member 'id' is started with link up. */
static bool
op_link_up(void *ctx, int id)
{
	return vfo_uplink_member_link_up(up(ctx), id);
}

/* Returns the packets received on member 'id'. */
static uint64_t
op_rx_count(void *ctx, int id)
{
	return vfo_uplink_member_rx_pkts(up(ctx), id);
}

/* Returns a mark of the workers' progress (an RCU token). */
static uint64_t
op_poll_mark(void *ctx)
{
	return vfo_uplink_poll_mark(up(ctx));
}

/* Returns true when every worker has polled again since 'mark'. */
static bool
op_polled_since(void *ctx, uint64_t mark)
{
	return vfo_uplink_polled_since(up(ctx), mark);
}

/* Returns true when member 'id''s PMD tells when its TX has left. */
static bool
op_tx_done_known(void *ctx, int id)
{
	return vfo_uplink_member_tx_done_known(up(ctx), id);
}

/* Announces the uplink MAC on the active member. */
static void
op_announce(void *ctx, int id)
{
	struct vfo_uplink *u = up(ctx);
	int ret = vfo_uplink_announce(u);

	if (ret < 0)
		VFO_LOG(NOTICE, "uplink %s: no announcement on %s: %s", u->params.name,
			vfo_member_name(id), rte_strerror(-ret));
}

/* Hands an ARP request for 'target' to member 'id''s TX. */
static int
op_probe(void *ctx, int id, uint32_t target)
{
	return vfo_uplink_probe(up(ctx), id, target);
}

/* Returns the ARP replies of the path check received on member 'id'. */
static uint64_t
op_path_replies(void *ctx, int id)
{
	return vfo_uplink_member_path_replies(up(ctx), id);
}

/* Returns CLOCK_MONOTONIC in µs. */
static uint64_t
op_now_us(void *ctx)
{
	(void)ctx;
	return vfo_mono_us();
}

const struct vfo_fo_ops vfo_fo_uplink_ops = {
	.set_active = op_set_active,
	.attach = op_attach,
	.detach = op_detach,
	.poll = op_poll,
	.present = op_present,
	.link_up = op_link_up,
	.rx_count = op_rx_count,
	.poll_mark = op_poll_mark,
	.polled_since = op_polled_since,
	.tx_done_known = op_tx_done_known,
	.announce = op_announce,
	.now_us = op_now_us,
	.probe = op_probe,
	.path_replies = op_path_replies,
};
