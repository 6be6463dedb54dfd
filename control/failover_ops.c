/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover_ops.c — the failover machine's port actions on a real uplink
 * (struct vfo_fo_ops with ctx = struct vfo_uplink *).
 */
#include "vfo_clock.h"
#include "vfo_failover.h"
#include "vfo_log.h"

/* Puts TX on member 'id' (-1: none) and waits for the grace period. */
static int
op_set_active(void *ctx, int id)
{
	return vfo_uplink_set_active(ctx, id);
}

/* Probes and starts member 'id' from 'devargs'; logs why when it cannot. */
static int
op_attach(void *ctx, int id, const char *devargs)
{
	struct vfo_uplink *u = ctx;
	char err[512];
	int ret = vfo_uplink_member_attach(u, id, devargs, err, sizeof(err));

	if (ret < 0)
		VFO_LOG(WARNING, "%s", err);
	return ret;
}

/* Releases member 'id'; returns what its rings still held. */
static uint64_t
op_detach(void *ctx, int id)
{
	return vfo_uplink_member_detach(ctx, id);
}

/* Returns true when member 'id' has a port. */
static bool
op_present(void *ctx, int id)
{
	const struct vfo_uplink *u = ctx;

	return u->member[id].port_id != VFO_PORT_NONE && !u->member[id].leaving;
}

/* Returns true when member 'id' is started with link up. */
static bool
op_link_up(void *ctx, int id)
{
	return vfo_uplink_member_link_up(ctx, id);
}

/* Returns the packets received on member 'id'. */
static uint64_t
op_rx_count(void *ctx, int id)
{
	return vfo_uplink_member_rx_pkts(ctx, id);
}

/* Announces the uplink MAC on the active member. */
static void
op_announce(void *ctx, int id)
{
	struct vfo_uplink *u = ctx;
	int ret = vfo_uplink_announce(u);

	if (ret < 0)
		VFO_LOG(NOTICE, "uplink %s: no announcement on %s: %s", u->params.name,
			vfo_member_name(id), rte_strerror(-ret));
}

/* Hands an ARP request for 'target' to member 'id''s TX. */
static int
op_probe(void *ctx, int id, uint32_t target)
{
	return vfo_uplink_probe(ctx, id, target);
}

/* Returns the ARP replies of the path check received on member 'id'. */
static uint64_t
op_path_replies(void *ctx, int id)
{
	return vfo_uplink_member_path_replies(ctx, id);
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
	.present = op_present,
	.link_up = op_link_up,
	.rx_count = op_rx_count,
	.announce = op_announce,
	.now_us = op_now_us,
	.probe = op_probe,
	.path_replies = op_path_replies,
};
