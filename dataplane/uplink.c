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

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vfo_log.h"
#include "vfo_uplink.h"

RTE_LOG_REGISTER(vfo_logtype, vfailover, INFO);

/* Formats an error message into err/errlen and returns -1. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Returns "vf" or "backup". */
const char *
vfo_member_name(enum vfo_member_id id)
{
	return id == VFO_MEMBER_VF ? "vf" : "backup";
}

/*
 * Probes the device named by 'devargs' (unless EAL already did) and finds its
 * one ethdev port.  Fills m->port_id, m->dev, m->dev_name, m->socket.
 * Returns 0, or -1 with 'err' set.
 */
static int
member_probe(const struct vfo_uplink *u, enum vfo_member_id id, char *err, size_t errlen)
{
	struct vfo_member *m = (struct vfo_member *)&u->member[id];
	struct rte_dev_iterator it;
	struct rte_eth_dev_info info;
	uint16_t pid, port = VFO_PORT_NONE;
	unsigned int nb = 0;
	int ret;

	ret = rte_dev_probe(m->devargs);
	if (ret < 0 && ret != -EEXIST)
		return fail(err, errlen,
			    "uplink %s: %s '%s' does not probe: %s; check the device name and "
			    "its arguments (vdev drivers: see 'dpdk-testpmd --help'), or the PCI "
			    "address and its driver binding",
			    u->params.name, vfo_member_name(id), m->devargs, rte_strerror(-ret));
	RTE_ETH_FOREACH_MATCHING_DEV(pid, m->devargs, &it)
	{
		port = pid;
		nb++;
	}
	if (nb != 1)
		return fail(err, errlen,
			    "uplink %s: %s '%s' gives %u ethdev ports; it must give exactly one",
			    u->params.name, vfo_member_name(id), m->devargs, nb);
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return fail(err, errlen, "uplink %s: %s port %u: no device info: %s",
			    u->params.name, vfo_member_name(id), port, rte_strerror(-ret));
	m->port_id = port;
	m->dev = info.device;
	snprintf(m->dev_name, sizeof(m->dev_name), "%s", rte_dev_name(info.device));
	m->socket = rte_eth_dev_socket_id(port);
	if (m->socket < 0)
		m->socket = (int)rte_socket_id();
	return 0;
}

/*
 * Configures member 'id' of 'u' (queues, RSS, descriptors, promiscuous mode)
 * and starts it.  Returns 0, or -1 with 'err' naming the port and errno.
 */
static int
member_start(struct vfo_uplink *u, enum vfo_member_id id, char *err, size_t errlen)
{
	const struct vfo_uplink_params *p = &u->params;
	struct vfo_member *m = &u->member[id];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_mempool *mp;
	uint16_t port = m->port_id, rxd = p->nb_rxd, txd = p->nb_txd, q;
	const char *what = vfo_member_name(id);
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return fail(err, errlen, "uplink %s: %s port %u: no device info: %s", p->name, what,
			    port, rte_strerror(-ret));
	if (p->nb_rxq > info.max_rx_queues || p->nb_txq > info.max_tx_queues)
		return fail(err, errlen,
			    "uplink %s: %s port %u (%s) has at most %u RX / %u TX queues; %u/%u "
			    "asked: lower --rxq/--txq (one per forwarding lcore)",
			    p->name, what, port, info.driver_name, info.max_rx_queues,
			    info.max_tx_queues, p->nb_rxq, p->nb_txq);
	memset(&conf, 0, sizeof(conf));
	if (p->nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	} else if (p->nb_rxq > 1) {
		VFO_LOG(WARNING, "uplink %s: %s port %u (%s) has no RSS; queues get what it gives",
			p->name, what, port, info.driver_name);
	}
	ret = rte_eth_dev_configure(port, p->nb_rxq, p->nb_txq, &conf);
	if (ret < 0)
		return fail(err, errlen, "uplink %s: %s port %u (%s): configure failed: %s",
			    p->name, what, port, info.driver_name, rte_strerror(-ret));
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (ret < 0)
		return fail(err, errlen, "uplink %s: %s port %u: descriptor counts refused: %s",
			    p->name, what, port, rte_strerror(-ret));
	mp = p->pool_for_socket(m->socket, p->pool_arg);
	if (mp == NULL)
		return fail(err, errlen,
			    "uplink %s: %s port %u: no mbuf pool on socket %d: %s; reserve more "
			    "hugepages (scripts/setup)",
			    p->name, what, port, m->socket, rte_strerror(rte_errno));
	for (q = 0; q < p->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, rxd, (unsigned int)m->socket, NULL, mp);
		if (ret < 0)
			return fail(err, errlen, "uplink %s: %s port %u: RX queue %u setup: %s",
				    p->name, what, port, q, rte_strerror(-ret));
	}
	for (q = 0; q < p->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, txd, (unsigned int)m->socket, NULL);
		if (ret < 0)
			return fail(err, errlen, "uplink %s: %s port %u: TX queue %u setup: %s",
				    p->name, what, port, q, rte_strerror(-ret));
	}
	if (p->promisc) {
		ret = rte_eth_promiscuous_enable(port);
		if (ret != 0)
			VFO_LOG(NOTICE, "uplink %s: %s port %u (%s) cannot be promiscuous: %s",
				p->name, what, port, info.driver_name, rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(port);
	if (ret < 0)
		return fail(err, errlen, "uplink %s: %s port %u (%s): start failed: %s", p->name,
			    what, port, info.driver_name, rte_strerror(-ret));
	m->started = true;
	rte_eth_macaddr_get(port, &m->port_mac);
	VFO_LOG(INFO, "uplink %s: %s is port %u (%s, %s), %u rxq x %u, %u txq x %u, socket %d",
		p->name, what, port, info.driver_name, m->dev_name, p->nb_rxq, rxd, p->nb_txq, txd,
		m->socket);
	return 0;
}

/*
 * Programs the uplink MAC as member 'id''s default MAC.  A PMD that cannot
 * do it is logged (the member keeps its own MAC) but is not an error.
 */
static void
member_set_mac(struct vfo_uplink *u, enum vfo_member_id id)
{
	struct vfo_member *m = &u->member[id];
	char want[RTE_ETHER_ADDR_FMT_SIZE], have[RTE_ETHER_ADDR_FMT_SIZE];
	int ret;

	rte_ether_format_addr(want, sizeof(want), &u->mac);
	if (rte_is_same_ether_addr(&m->port_mac, &u->mac)) {
		m->mac_set = true;
		return;
	}
	ret = rte_eth_dev_default_mac_addr_set(m->port_id, &u->mac);
	rte_eth_macaddr_get(m->port_id, &m->port_mac);
	m->mac_set = ret == 0 && rte_is_same_ether_addr(&m->port_mac, &u->mac);
	if (!m->mac_set) {
		rte_ether_format_addr(have, sizeof(have), &m->port_mac);
		VFO_LOG(WARNING,
			"uplink %s: %s port %u cannot take MAC %s (%s); it keeps %s, so peers "
			"must learn it after a switch (promiscuous mode still receives the "
			"uplink MAC)",
			u->params.name, vfo_member_name(id), m->port_id, want,
			ret ? rte_strerror(-ret) : "the PMD ignored it", have);
	}
}

/* Stops, closes and removes member 'id' if it has a port. */
static void
member_release(struct vfo_uplink *u, enum vfo_member_id id)
{
	struct vfo_member *m = &u->member[id];
	int ret;

	if (m->port_id == VFO_PORT_NONE)
		return;
	if (m->started)
		rte_eth_dev_stop(m->port_id);
	m->started = false;
	rte_eth_dev_close(m->port_id);
	ret = rte_dev_remove(m->dev);
	if (ret < 0)
		VFO_LOG(WARNING, "uplink %s: %s %s: removal failed: %s", u->params.name,
			vfo_member_name(id), m->dev_name, rte_strerror(-ret));
	m->port_id = VFO_PORT_NONE;
	m->dev = NULL;
}

/*
 * Writes into the view slot not in use a view in which every present member
 * is polled and 'active' (or none, when -1 or absent) transmits; publishes
 * it.  Call with the lock held; the caller waits for the grace period.
 */
static void
publish_view(struct vfo_uplink *u, int active)
{
	struct vfo_uplink_view *v = u->view == &u->views[0] ? &u->views[1] : &u->views[0];
	int id;

	memset(v, 0, sizeof(*v));
	v->tx_port = VFO_PORT_NONE;
	if (active >= 0 && u->member[active].started) {
		v->tx_port = u->member[active].port_id;
		v->tx_member = (uint8_t)active;
	}
	/* The active member first: that is where traffic arrives. */
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		int m = active >= 0 ? (active + id) % VFO_MEMBER_COUNT : id;

		if (!u->member[m].started)
			continue;
		v->rx_port[v->nb_rx] = u->member[m].port_id;
		v->rx_member[v->nb_rx] = (uint8_t)m;
		v->nb_rx++;
	}
	__atomic_store_n(&u->view, v, __ATOMIC_RELEASE);
}

/* Waits until no registered worker can still hold the previous view. */
static void
wait_grace(struct vfo_uplink *u)
{
	if (u->params.qsbr != NULL)
		rte_rcu_qsbr_synchronize(u->params.qsbr, RTE_QSBR_THRID_INVALID);
}

struct vfo_uplink *
vfo_uplink_create(const struct vfo_uplink_params *p, char *err, size_t errlen)
{
	struct vfo_uplink *u;
	int id;

	u = rte_zmalloc("vfo_uplink", sizeof(*u), RTE_CACHE_LINE_SIZE);
	if (u == NULL) {
		fail(err, errlen, "uplink %s: out of memory", p->name);
		return NULL;
	}
	u->params = *p;
	u->nb_queues = RTE_MAX(p->nb_rxq, p->nb_txq);
	u->qstats =
		rte_zmalloc("vfo_qstats", sizeof(*u->qstats) * u->nb_queues, RTE_CACHE_LINE_SIZE);
	pthread_mutex_init(&u->lock, NULL);
	vfo_uplink_stats_reset(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		snprintf(u->member[id].devargs, sizeof(u->member[id].devargs), "%s",
			 p->devargs[id]);
		u->member[id].port_id = VFO_PORT_NONE;
	}
	publish_view(u, -1);
	if (u->qstats == NULL) {
		fail(err, errlen, "uplink %s: out of memory", p->name);
		goto error;
	}
	/* One member at a time, VF first: a vhost port must be listening before
	 * a virtio_user of another uplink probes against it. */
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		if (member_probe(u, id, err, errlen) < 0)
			goto error;
		if (member_start(u, id, err, errlen) < 0)
			goto error;
	}
	u->mac = p->has_mac ? p->mac : u->member[VFO_MEMBER_BACKUP].port_mac;
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		member_set_mac(u, id);
	publish_view(u, VFO_MEMBER_VF);
	return u;
error:
	vfo_uplink_destroy(u);
	return NULL;
}

void
vfo_uplink_destroy(struct vfo_uplink *u)
{
	int id;

	if (u == NULL)
		return;
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		member_release(u, id);
	publish_view(u, -1);
	vfo_uplink_unlock(u);
	pthread_mutex_destroy(&u->lock);
	rte_free(u->qstats);
	rte_free(u);
}

void
vfo_uplink_lock(struct vfo_uplink *u)
{
	pthread_mutex_lock(&u->lock);
}

void
vfo_uplink_unlock(struct vfo_uplink *u)
{
	pthread_mutex_unlock(&u->lock);
}

int
vfo_uplink_set_active(struct vfo_uplink *u, enum vfo_member_id id)
{
	vfo_uplink_lock(u);
	if (!u->member[id].started) {
		vfo_uplink_unlock(u);
		return -ENODEV;
	}
	publish_view(u, id);
	wait_grace(u);
	vfo_uplink_unlock(u);
	return 0;
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
	}
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		if (!u->member[id].started || rte_eth_stats_get(u->member[id].port_id, &es) != 0)
			continue;
		st->member[id].rx_bytes = es.ibytes;
		st->member[id].tx_bytes = es.obytes;
		st->rx_missed[id] = es.imissed;
		st->rx_nombuf[id] = es.rx_nombuf;
		st->rx_errors[id] = es.ierrors;
		st->tx_errors[id] = es.oerrors;
	}
	vfo_uplink_unlock(u);
}

void
vfo_uplink_stats_reset(struct vfo_uplink *u)
{
	uint16_t q;

	if (u->qstats == NULL)
		return;
	memset(u->qstats, 0, sizeof(*u->qstats) * u->nb_queues);
	for (q = 0; q < u->nb_queues; q++)
		u->qstats[q].rx_credit = VFO_RX_OTHERS_FIRST_EVERY;
}

void
vfo__txbuf_append(struct vfo_uplink *u, uint16_t q, struct vfo_txbuf *b, struct rte_mbuf **pkts,
		  uint16_t n)
{
	while (n > 0) {
		uint16_t room = (uint16_t)(b->size - b->len);
		uint16_t k = n < room ? n : room;

		rte_memcpy(&b->pkts[b->len], pkts, k * sizeof(*pkts));
		b->len += k;
		pkts += k;
		n -= k;
		if (b->len >= b->size)
			vfo_txbuf_flush(u, q, b);
	}
}

uint16_t
vfo__rx_slow(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
	     struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t nb = 0;
	uint8_t k;

	u->qstats[q].rx_credit = VFO_RX_OTHERS_FIRST_EVERY;
	/* Every member but the active one, then the active one. */
	for (k = 1; k <= v->nb_rx && nb < n; k++)
		nb += vfo__rx_member(u, v, k % v->nb_rx, q, pkts + nb, n - nb);
	return nb;
}
