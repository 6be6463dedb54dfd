/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink.c — an uplink's members: probing them from devargs, configuring
 * and starting their ports, publishing which one is active to the workers,
 * and summing their counters.  Control side only: the fast path is inline
 * in vfo_uplink.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <rte_hash.h>

#include "uplink_private.h"
#include "vfo_clock.h"
#include "vfo_flow.h"
#include "vfo_log.h"
#include "vfo_tsan.h"
#include "vfo_tsc.h"

RTE_LOG_REGISTER(vfo_logtype, vfailover, INFO);

/* Returns "vf" or "backup". */
const char *
vfo_member_name(enum vfo_member_id id)
{
	return id == VFO_MEMBER_VF ? "vf" : "backup";
}

/*
 * Writes into the view slot not in use a view in which every started member
 * whose link came up is polled and 'active' (or none, when -1 or absent)
 * transmits; publishes it and starts its grace period.  The slot written is
 * the one the view before last used: the workers may hold it until the
 * grace period of the last publish is over, so nothing is written before.
 */
int
uplink__publish_view(struct vfo_uplink *u, int active)
{
	struct vfo_uplink_view *v = u->view == &u->views[0] ? &u->views[1] : &u->views[0];
	const uint32_t gen = u->view != NULL ? u->view->gen + 1 : 0;
	int id;

	if (u->view != NULL && !uplink__grace_over(u))
		return -EBUSY;
	memset(v, 0, sizeof(*v));
	v->gen = gen;
	v->tx_port = VFO_PORT_NONE;
	if (active >= 0 && u->member[active].started && !u->member[active].leaving) {
		v->tx_port = u->member[active].port_id;
		v->tx_member = (uint8_t)active;
		v->tx_pause_tsc = u->member[active].tx_pause_tsc;
	}
	/* The active member first: that is where traffic arrives. */
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		int m = active >= 0 ? (active + id) % VFO_MEMBER_COUNT : id;
		const struct vfo_member *mb = &u->member[m];

		if (!mb->started || mb->leaving || !mb->rx_ready)
			continue;
		v->rx_port[v->nb_rx] = mb->port_id;
		v->rx_member[v->nb_rx] = (uint8_t)m;
		v->rx_wake[v->nb_rx] = mb->wake;
		v->nb_rx++;
	}
	v->others_idle_ok = v->tx_port != VFO_PORT_NONE && v->tx_member == VFO_MEMBER_VF;
	v->all_wake = true;
	for (id = 0; id < v->nb_rx; id++)
		v->all_wake &= (v->rx_wake[id] & VFO_VIEW_WAKE_INTR) != 0;
	__atomic_store_n(&u->view, v, __ATOMIC_SEQ_CST);
	if (u->params.qsbr != NULL) {
		u->grace_token = rte_rcu_qsbr_start(u->params.qsbr);
		u->grace_pending = true;
	}
	uplink__wake_workers(u);
	return 0;
}

/* Wakes the workers that sleep while idle, if any. */
void
uplink__wake_workers(const struct vfo_uplink *u)
{
	if (u->params.sleepers.wake != NULL)
		u->params.sleepers.wake(u->params.sleepers.arg);
}

bool
uplink__grace_over(struct vfo_uplink *u)
{
	if (u->grace_pending && rte_rcu_qsbr_check(u->params.qsbr, u->grace_token, false) == 1) {
		vfo_tsan_acquire(u->params.qsbr); /* the workers' releases (vfo_tsan.h) */
		u->grace_pending = false;
	}
	return !u->grace_pending;
}

int
uplink__wait_grace(struct vfo_uplink *u)
{
	const uint64_t end =
		vfo_mono_us() + UPLINK_PARAM(u, grace_timeout_us, VFO_GRACE_TIMEOUT_US);
	const struct timespec nap = {.tv_sec = 0, .tv_nsec = 2000};
	bool over;

	for (;;) {
		vfo_uplink_lock(u);
		over = uplink__grace_over(u);
		vfo_uplink_unlock(u);
		if (over)
			return 0;
		if (vfo_mono_us() >= end)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

/* Waits until no worker has a member that is not in the current view
 * registered for RX interrupts. */
void
uplink__wait_sleepers(struct vfo_uplink *u)
{
	if (u->params.sleepers.sync != NULL)
		u->params.sleepers.sync(u->params.sleepers.arg, u, u->view->gen);
}

struct vfo_uplink *
vfo_uplink_create(const struct vfo_uplink_params *p, char *err, size_t errlen)
{
	struct vfo_uplink *u;
	int id;

	if (p->nb_rxq == 0 || p->nb_txq == 0 || p->nb_rxq > VFO_MAX_QUEUES ||
	    p->nb_txq > VFO_MAX_QUEUES) {
		vfo_errf(err, errlen, "uplink %s: %u RX / %u TX queues asked; give 1..%u", p->name,
			 p->nb_rxq, p->nb_txq, VFO_MAX_QUEUES);
		return NULL;
	}
	u = rte_zmalloc("vfo_uplink", sizeof(*u), RTE_CACHE_LINE_SIZE);
	if (u == NULL) {
		vfo_errf(err, errlen, "uplink %s: out of memory", p->name);
		return NULL;
	}
	u->params = *p;
	u->nb_queues = RTE_MAX(p->nb_rxq, p->nb_txq);
	u->tx_retry_tsc = vfo_us_to_tsc(p->tx_retry_us);
	u->path_window_tsc = vfo_us_to_tsc(VFO_PATH_REPLY_WINDOW_US);
	vfo_mutex_init(&u->lock);
	vfo_uplink_stats_reset(u);
	/* Nobody else sees 'u' yet; the lock is the member helpers' contract. */
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		snprintf(u->member[id].devargs, sizeof(u->member[id].devargs), "%s",
			 p->devargs[id]);
		u->member[id].port_id = VFO_PORT_NONE;
	}
	u->active = -1;
	uplink__publish_view(u, -1);
	/* One member at a time, VF first: a vhost port must be listening before
	 * a virtio_user of another uplink probes against it.  No worker runs
	 * yet: the members are brought up here, not in the port worker. */
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		struct vfo_member *m = &u->member[id];
		struct rte_eth_link link;

		m->gen = uplink__new_gen();
		if (uplink__member_probe(u, id, m, err, errlen) < 0)
			goto error;
		uplink__port_gen_set(m->port_id, m->gen);
		if (uplink__member_start(u, id, m, err, errlen) < 0)
			goto error;
		m->rx_ready = rte_eth_link_get_nowait(m->port_id, &link) == 0 &&
			      link.link_status == RTE_ETH_LINK_UP;
	}
	if (p->max_flows != 0) {
		static uint32_t nb_tables; /* unique names for the DPDK objects */
		char name[RTE_HASH_NAMESIZE];

		snprintf(name, sizeof(name), "vfofl%u",
			 __atomic_fetch_add(&nb_tables, 1, __ATOMIC_RELAXED));
		u->flows = vfo_flow_create(name, p->max_flows, u->nb_queues,
					   u->member[VFO_MEMBER_VF].socket);
		if (u->flows == NULL) {
			vfo_errf(err, errlen,
				 "uplink %s: no flow table of %u flows: %s; lower --max-flows",
				 p->name, p->max_flows, rte_strerror(rte_errno));
			goto error;
		}
	}
	u->mac = p->has_mac ? p->mac : u->member[VFO_MEMBER_BACKUP].port_mac;
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		uplink__member_set_mac(u, id, &u->member[id]);
	u->active = VFO_MEMBER_VF;
	/* No worker is online: the grace period of the first view is over. */
	uplink__grace_over(u);
	uplink__publish_view(u, VFO_MEMBER_VF);
	vfo_uplink_unlock(u);
	return u;
error:
	vfo_uplink_unlock(u);
	vfo_uplink_destroy(u);
	return NULL;
}

void
vfo_uplink_destroy(struct vfo_uplink *u)
{
	bool busy = false;
	int id;

	if (u == NULL)
		return;
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		struct vfo_member *m = &u->member[id];

		/* A member still in the port worker stays there: its PMD may
		 * never return, and the process is ending. */
		busy |= m->job != NULL;
		if (m->job == NULL && m->port_id != VFO_PORT_NONE) {
			uplink__member_keep_counters(u, id);
			uplink__port_gen_set(m->port_id, 0);
			uplink__member_teardown(u, id, m);
		}
		m->port_id = VFO_PORT_NONE;
		m->started = false;
		rte_pktmbuf_free(u->probe_pkt[id]);
		u->probe_pkt[id] = NULL;
	}
	vfo_uplink_unlock(u);
	if (busy) {
		/* Its job reads the uplink's settings when its PMD returns. */
		VFO_LOG(NOTICE,
			"uplink %s: a member is still in its PMD; the uplink is left "
			"allocated",
			u->params.name);
		return;
	}
	vfo_flow_destroy(u->flows);
	vfo_mutex_destroy(&u->lock);
	rte_free(u);
}

void
vfo_uplink_lock(struct vfo_uplink *u)
{
	vfo_mutex_lock(&u->lock);
}

void
vfo_uplink_unlock(struct vfo_uplink *u)
{
	vfo_mutex_unlock(&u->lock);
}

int
vfo_uplink_set_active(struct vfo_uplink *u, int id)
{
	int ret;

	if (id >= VFO_MEMBER_COUNT)
		return -ENODEV;
	/* The slot the new view goes into may still be read until then. */
	if (uplink__wait_grace(u) != 0)
		return -EBUSY;
	vfo_uplink_lock(u);
	if (id >= 0 && (!u->member[id].started || u->member[id].leaving)) {
		vfo_uplink_unlock(u);
		return -ENODEV;
	}
	ret = uplink__publish_view(u, id);
	if (ret == 0)
		u->active = id;
	vfo_uplink_unlock(u);
	if (ret != 0)
		return ret;
	return uplink__wait_grace(u);
}

void
uplink__member_pkts(const struct vfo_uplink *u, enum vfo_member_id id, uint64_t *rx, uint64_t *tx)
{
	uint16_t q;

	*rx = *tx = 0;
	for (q = 0; q < u->nb_queues; q++) {
		*rx += __atomic_load_n(&u->qstats[q].member[id].rx_pkts, __ATOMIC_RELAXED);
		*tx += __atomic_load_n(&u->qstats[q].member[id].tx_pkts, __ATOMIC_RELAXED);
	}
}

uint64_t
vfo_uplink_poll_mark(struct vfo_uplink *u)
{
	return u->params.qsbr != NULL ? rte_rcu_qsbr_start(u->params.qsbr) : 0;
}

bool
vfo_uplink_polled_since(struct vfo_uplink *u, uint64_t mark)
{
	return u->params.qsbr == NULL || rte_rcu_qsbr_check(u->params.qsbr, mark, false) == 1;
}

uint64_t
vfo_uplink_member_rx_pkts(const struct vfo_uplink *u, enum vfo_member_id id)
{
	uint64_t rx, tx;

	uplink__member_pkts(u, id, &rx, &tx);
	return rx;
}

int
vfo_uplink_active(const struct vfo_uplink *u)
{
	const struct vfo_uplink_view *v = __atomic_load_n(&u->view, __ATOMIC_ACQUIRE);

	return v->tx_port == VFO_PORT_NONE ? -1 : v->tx_member;
}

/* Reads a counter another thread writes (64-bit aligned: never torn). */
static inline uint64_t
rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void
vfo_uplink_stats_get(struct vfo_uplink *u, struct vfo_uplink_stats *st)
{
	struct rte_eth_stats es;
	uint16_t q;
	int id;

	memset(st, 0, sizeof(*st));
	for (q = 0; q < u->nb_queues; q++) {
		const struct vfo_queue_stats *qs = &u->qstats[q];

		for (id = 0; id < VFO_MEMBER_COUNT; id++) {
			st->member[id].rx_pkts += rd(&qs->member[id].rx_pkts);
			st->member[id].tx_pkts += rd(&qs->member[id].tx_pkts);
		}
		st->drop_tx_full += rd(&qs->drop_tx_full);
		st->drop_no_member += rd(&qs->drop_no_member);
		st->tx_retried += rd(&qs->tx_retried);
	}
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		const struct vfo_member_pmd *g = &u->gone[id];

		memset(&es, 0, sizeof(es));
		if (u->member[id].started)
			rte_eth_stats_get(u->member[id].port_id, &es);
		st->member[id].rx_bytes = g->rx_bytes + es.ibytes;
		st->member[id].tx_bytes = g->tx_bytes + es.obytes;
		st->rx_missed[id] = g->rx_missed + es.imissed;
		st->rx_nombuf[id] = g->rx_nombuf + es.rx_nombuf;
		st->rx_errors[id] = g->rx_errors + es.ierrors;
		st->tx_errors[id] = g->tx_errors + es.oerrors;
	}
	vfo_uplink_unlock(u);
}

void
vfo_uplink_stats_reset(struct vfo_uplink *u)
{
	uint16_t q;

	memset(u->qstats, 0, sizeof(u->qstats));
	for (q = 0; q < u->nb_queues; q++)
		u->qstats[q].rx_credit = VFO_RX_OTHERS_FIRST_EVERY;
}

void
vfo__tx_refused(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		struct rte_mbuf **pkts, uint16_t n)
{
	struct vfo_queue_stats *st = &u->qstats[q];
	const uint64_t bound = RTE_MAX(u->tx_retry_tsc, v->tx_pause_tsc);

	if (bound != 0 && v->tx_port != VFO_PORT_NONE) {
		const uint64_t end = rte_get_tsc_cycles() + bound;

		do {
			uint16_t sent;

			rte_pause();
			/* A switch published meanwhile: the new member takes the
			 * rest.  The old view stays valid (no quiescent state yet). */
			v = vfo_uplink_view(u);
			if (v->tx_port == VFO_PORT_NONE)
				break;
			sent = vfo_view_tx_burst(u, v, q, pkts, n);
			vfo_counter_add(&st->tx_retried, sent);
			pkts += sent;
			n = (uint16_t)(n - sent);
		} while (n > 0 && rte_get_tsc_cycles() < end);
	}
	if (n == 0)
		return;
	if (v->tx_port == VFO_PORT_NONE)
		vfo_counter_add(&st->drop_no_member, n);
	else
		vfo_counter_add(&st->drop_tx_full, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

void
vfo__txbuf_append(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		  struct vfo_txbuf *b, struct rte_mbuf **pkts, uint16_t n)
{
	while (n > 0) {
		uint16_t room = (uint16_t)(b->size - b->len);
		uint16_t k = n < room ? n : room;

		rte_memcpy(&b->pkts[b->len], pkts, k * sizeof(*pkts));
		b->len += k;
		pkts += k;
		n -= k;
		if (b->len >= b->size)
			vfo_view_txbuf_flush(u, v, q, b);
	}
}

/* vfo__rx_slow() and, with 'live' (a constant), vfo__rx_slow_live(). */
static __rte_always_inline uint16_t
rx_slow(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q, struct rte_mbuf **pkts,
	uint16_t n, const bool live)
{
	uint16_t nb = 0;
	uint8_t k;

	u->qstats[q].rx_credit = VFO_RX_OTHERS_FIRST_EVERY;
	/* Every member but the active one, then the active one. */
	for (k = 1; k <= v->nb_rx && nb < n; k++)
		nb += vfo__rx_member(u, v, k % v->nb_rx, q, pkts + nb, n - nb, live);
	return nb;
}

uint16_t
vfo__rx_slow(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
	     struct rte_mbuf **pkts, uint16_t n)
{
	return rx_slow(u, v, q, pkts, n, false);
}

uint16_t
vfo__rx_slow_live(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		  struct rte_mbuf **pkts, uint16_t n)
{
	return rx_slow(u, v, q, pkts, n, true);
}
