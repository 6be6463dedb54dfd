/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_member.c — the steps of bringing an uplink member up from its
 * devargs (probe, configure, start, MAC) and taking it down (stop, close,
 * remove), on a struct vfo_member of their own, so that the port worker can
 * run them (uplink_attach.c); member incarnations; link state.  Control side
 * only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "uplink_private.h"
#include "vfo_port.h"
#include "vfo_log.h"
#include "vfo_tsc.h"

/** Incarnation of the member on each ethdev port, 0: none (atomic). */
static uint32_t port_gen[RTE_MAX_ETHPORTS];
/** Last incarnation handed out (atomic). */
static uint32_t last_gen;

uint32_t
uplink__new_gen(void)
{
	return __atomic_add_fetch(&last_gen, 1, __ATOMIC_RELAXED);
}

void
uplink__port_gen_set(uint16_t port, uint32_t gen)
{
	if (port < RTE_MAX_ETHPORTS)
		__atomic_store_n(&port_gen[port], gen, __ATOMIC_RELEASE);
}

uint32_t
vfo_uplink_port_gen(uint16_t port)
{
	return port < RTE_MAX_ETHPORTS ? __atomic_load_n(&port_gen[port], __ATOMIC_ACQUIRE) : 0;
}

/*
 * Probes the device named by m->devargs (unless EAL already did) and finds
 * its one ethdev port.  Fills m->port_id, m->dev, m->dev_name, m->socket.
 * Returns 0, or -1 with 'err' set.
 */
int
uplink__member_probe(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
		     char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	char why[384];
	uint16_t port;
	int ret;

	if (vfo_port_probe(m->devargs, &port, why, sizeof(why)) != 0)
		return vfo_errf(err, errlen, "uplink %s: %s %s", u->params.name,
				vfo_member_name(id), why);
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return vfo_errf(err, errlen, "uplink %s: %s port %u: no device info: %s",
				u->params.name, vfo_member_name(id), port, rte_strerror(-ret));
	m->port_id = port;
	m->dev = info.device;
	/* Kernel-backed PMDs (net_tap, net_af_packet) name their interface. */
	m->kif[0] = '\0';
	if (info.if_index != 0 && if_indextoname(info.if_index, m->kif) == NULL)
		m->kif[0] = '\0';
	snprintf(m->dev_name, sizeof(m->dev_name), "%s", rte_dev_name(info.device));
	m->socket = rte_eth_dev_socket_id(port);
	if (m->socket < 0)
		m->socket = (int)rte_socket_id();
	return 0;
}

/*
 * Sets member 'id''s MTU, VLAN filters and promiscuous / all-multicast
 * modes as the uplink's parameters say (after configure, before start).
 * A PMD that refuses one is logged; the member goes on without it.
 */
static void
member_apply_rx_modes(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
		      const char *driver)
{
	const struct vfo_uplink_params *p = &u->params;
	const char *what = vfo_member_name(id);
	uint16_t i;
	int ret;

	if (p->mtu != 0 && (ret = rte_eth_dev_set_mtu(m->port_id, p->mtu)) != 0)
		VFO_LOG(WARNING, "uplink %s: %s port %u (%s) refuses MTU %u: %s", p->name, what,
			m->port_id, driver, p->mtu, rte_strerror(-ret));
	m->vlan_filter = p->vlans.n != 0;
	for (i = 0; i < p->vlans.n && m->vlan_filter; i++) {
		ret = rte_eth_dev_vlan_filter(m->port_id, p->vlans.id[i], 1);
		if (ret != 0) {
			VFO_LOG(WARNING,
				"uplink %s: %s port %u (%s) refuses VLAN filter %u: %s; it "
				"receives every VLAN",
				p->name, what, m->port_id, driver, p->vlans.id[i],
				rte_strerror(-ret));
			m->vlan_filter = false;
		}
	}
	if (p->promisc && (ret = rte_eth_promiscuous_enable(m->port_id)) != 0)
		VFO_LOG(NOTICE, "uplink %s: %s port %u (%s) cannot be promiscuous: %s", p->name,
			what, m->port_id, driver, rte_strerror(-ret));
	if (p->allmulti && (ret = rte_eth_allmulticast_enable(m->port_id)) != 0)
		VFO_LOG(WARNING, "uplink %s: %s port %u (%s) refuses all-multicast mode: %s",
			p->name, what, m->port_id, driver, rte_strerror(-ret));
}

/*
 * Configures member 'id' ('m': the port worker's copy) of 'u' (queues, RSS,
 * descriptors, MTU, VLAN filters, promiscuous and all-multicast modes; RX
 * interrupts when 'intr'), not started.  'info' is the port's device info.
 * Returns 0, or -1 with 'err' naming the port and errno.
 */
static int
member_configure(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
		 const struct rte_eth_dev_info *info, bool intr, char *err, size_t errlen)
{
	const struct vfo_uplink_params *p = &u->params;
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t port = m->port_id, rxd = p->nb_rxd, txd = p->nb_txd, q;
	const char *what = vfo_member_name(id);
	int ret;

	memset(&conf, 0, sizeof(conf));
	if (p->nb_rxq > 1 && info->flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info->flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	} else if (p->nb_rxq > 1) {
		VFO_LOG(WARNING, "uplink %s: %s port %u (%s) has no RSS; queues get what it gives",
			p->name, what, port, info->driver_name);
	}
	/* Link changes and removals by interrupt where the PMD has them; the
	 * failover engine also polls link state for those that do not, and
	 * for these two:
	 * - virtio_user: its LSC interrupt source is the vhost-user socket,
	 *   which stop unregisters without waiting for a running callback
	 *   (-EAGAIN, ignored) and close then closes: EAL's interrupt thread
	 *   panics on the stale fd (DPDK 22.11; seen in the traffic soak, see
	 *   docs/robustness.md).  Its link is a socket's liveness: the poll
	 *   sees it as soon.
	 * - virtio (PCI): its config interrupt handler answers QEMU's request
	 *   to announce the guest after a migration by stopping the port,
	 *   busy-waiting 1 ms, injecting a RARP and restarting it: RX and TX
	 *   return nothing meanwhile, 14 ms on the study's TCG guest, just as
	 *   the backup carries the traffic (docs/e2e-study.md).  QEMU sends
	 *   the same RARP itself, and vfailover announces after its switches.
	 *   With RX interrupts (--idle-yield) the handler comes back with
	 *   them, and so does the pause (vfo_pmd_tx_pause_us()). */
	if ((*info->dev_flags & RTE_ETH_DEV_INTR_LSC) &&
	    strcmp(info->driver_name, "net_virtio_user") != 0 &&
	    strcmp(info->driver_name, "net_virtio") != 0)
		conf.intr_conf.lsc = 1;
	if (*info->dev_flags & RTE_ETH_DEV_INTR_RMV)
		conf.intr_conf.rmv = 1;
	conf.intr_conf.rxq = intr;
	if (p->vlans.n != 0 && (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_FILTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
	ret = rte_eth_dev_configure(port, p->nb_rxq, p->nb_txq, &conf);
	if (ret < 0)
		return vfo_errf(err, errlen, "uplink %s: %s port %u (%s): configure failed: %s",
				p->name, what, port, info->driver_name, rte_strerror(-ret));
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (ret < 0)
		return vfo_errf(err, errlen, "uplink %s: %s port %u: descriptor counts refused: %s",
				p->name, what, port, rte_strerror(-ret));
	mp = p->pool_for_socket(m->socket, p->pool_arg);
	if (mp == NULL)
		return vfo_errf(
			err, errlen,
			"uplink %s: %s port %u: no mbuf pool on socket %d: %s; reserve more "
			"hugepages (scripts/setup)",
			p->name, what, port, m->socket, rte_strerror(rte_errno));
	for (q = 0; q < p->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, rxd, (unsigned int)m->socket, NULL, mp);
		if (ret < 0)
			return vfo_errf(err, errlen, "uplink %s: %s port %u: RX queue %u setup: %s",
					p->name, what, port, q, rte_strerror(-ret));
	}
	for (q = 0; q < p->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, txd, (unsigned int)m->socket, NULL);
		if (ret < 0)
			return vfo_errf(err, errlen, "uplink %s: %s port %u: TX queue %u setup: %s",
					p->name, what, port, q, rte_strerror(-ret));
	}
	member_apply_rx_modes(u, id, m, info->driver_name);
	VFO_LOG(DEBUG, "uplink %s: %s port %u configured, %u rxq x %u, %u txq x %u%s", p->name,
		what, port, p->nb_rxq, rxd, p->nb_txq, txd, intr ? ", RX interrupts" : "");
	return 0;
}

/* How long a virtio member may refuse TX while it announces the guest
 * (vfo_pmd_tx_pause_us): its PMD's 1 ms, plus up to a few scheduler
 * slices (~3 ms each) for its interrupt thread to get a vCPU that a
 * spinning worker holds, as in a one-vCPU guest. */
#define VIRTIO_ANNOUNCE_PAUSE_US 20000

uint32_t
vfo_pmd_tx_pause_us(const char *driver)
{
	return strcmp(driver, "net_virtio") == 0 ? VIRTIO_ANNOUNCE_PAUSE_US : 0;
}

/*
 * Configures member 'id' ('m': the port worker's copy) of 'u' and starts it.  With an --idle-yield
 * mode that uses RX interrupts, a PMD that refuses them at configure or start is configured and
 * started again without them.  Returns 0, or -1 with 'err' naming the port and errno.
 */
int
uplink__member_start(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
		     char *err, size_t errlen)
{
	const struct vfo_uplink_params *p = &u->params;
	struct rte_eth_dev_info info;
	uint16_t port = m->port_id;
	const char *what = vfo_member_name(id);
	bool intr = uplink__yield_wants_intr(u);
	char why[256];
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return vfo_errf(err, errlen, "uplink %s: %s port %u: no device info: %s", p->name,
				what, port, rte_strerror(-ret));
	if (p->nb_rxq > info.max_rx_queues || p->nb_txq > info.max_tx_queues)
		return vfo_errf(
			err, errlen,
			"uplink %s: %s port %u (%s) has at most %u RX / %u TX queues; %u/%u "
			"asked: lower --rxq/--txq (one per forwarding lcore)",
			p->name, what, port, info.driver_name, info.max_rx_queues,
			info.max_tx_queues, p->nb_rxq, p->nb_txq);
	m->yield = VFO_MEMBER_YIELD_BUSY;
	m->wake = 0;
	m->yield_note[0] = '\0';
	m->tx_pause_tsc = vfo_us_to_tsc(vfo_pmd_tx_pause_us(info.driver_name));
	ret = member_configure(u, id, m, &info, intr, why, sizeof(why));
	if (ret < 0 && intr) {
		snprintf(m->yield_note, sizeof(m->yield_note), "RX interrupts refused: %.96s", why);
		intr = false;
		ret = member_configure(u, id, m, &info, false, why, sizeof(why));
	}
	if (ret < 0)
		return vfo_errf(err, errlen, "%s", why);
	if (p->yield == VFO_YIELD_PAUSE)
		uplink__yield_pmgmt_enable(u, m);
	ret = rte_eth_dev_start(port);
	if (ret < 0 && intr) {
		snprintf(m->yield_note, sizeof(m->yield_note),
			 "does not start with RX interrupts: %s", rte_strerror(-ret));
		intr = false;
		if (member_configure(u, id, m, &info, false, err, errlen) < 0)
			return -1;
		ret = rte_eth_dev_start(port);
	}
	if (ret < 0)
		return vfo_errf(err, errlen, "uplink %s: %s port %u (%s): start failed: %s",
				p->name, what, port, info.driver_name, rte_strerror(-ret));
	m->started = true;
	rte_eth_macaddr_get(port, &m->port_mac);
	if (uplink__yield_classify(u, id, m, intr, err, errlen) < 0)
		return -1;
	VFO_LOG(INFO,
		"uplink %s: %s is port %u (%s, %s), %u rxq x %u, %u txq x %u, socket %d, "
		"idle: %s%s%s",
		p->name, what, port, info.driver_name, m->dev_name, p->nb_rxq, p->nb_rxd, p->nb_txq,
		p->nb_txd, m->socket, vfo_member_yield_name(m->yield),
		m->yield_note[0] != '\0' ? ": " : "", m->yield_note);
	return 0;
}

/*
 * Programs the uplink MAC as member 'id''s default MAC.  A PMD that cannot
 * do it is logged (the member keeps its own MAC) but is not an error.
 */
void
uplink__member_set_mac(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m)
{
	char want[RTE_ETHER_ADDR_FMT_SIZE], have[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_ether_addr mac = u->mac; /* the PMD takes a non-const one */
	int ret;

	rte_ether_format_addr(want, sizeof(want), &u->mac);
	if (rte_is_same_ether_addr(&m->port_mac, &u->mac)) {
		m->mac_set = true;
		return;
	}
	ret = rte_eth_dev_default_mac_addr_set(m->port_id, &mac);
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

void
uplink__member_keep_counters(struct vfo_uplink *u, enum vfo_member_id id)
{
	const struct vfo_member *m = &u->member[id];
	struct vfo_member_pmd *g = &u->gone[id];
	struct rte_eth_stats es;

	if (!m->started || rte_eth_stats_get(m->port_id, &es) != 0)
		return;
	g->rx_bytes += es.ibytes;
	g->tx_bytes += es.obytes;
	g->rx_missed += es.imissed;
	g->rx_nombuf += es.rx_nombuf;
	g->rx_errors += es.ierrors;
	g->tx_errors += es.oerrors;
}

void
uplink__member_teardown(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m)
{
	int ret;

	if (m->port_id == VFO_PORT_NONE)
		return;
	if (m->started)
		rte_eth_dev_stop(m->port_id);
	uplink__yield_release(u, m);
	m->started = false;
	rte_eth_dev_close(m->port_id);
	ret = rte_dev_remove(m->dev);
	if (ret < 0)
		VFO_LOG(WARNING, "uplink %s: %s %s: removal failed: %s", u->params.name,
			vfo_member_name(id), m->dev_name, rte_strerror(-ret));
	m->port_id = VFO_PORT_NONE;
	m->dev = NULL;
}

bool
vfo_uplink_kernel_carrier(const char *kif)
{
	char path[64 + IF_NAMESIZE], c = '0';
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", kif);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* An interface that is down refuses the read (EINVAL): no carrier. */
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

bool
vfo_uplink_member_link_up(struct vfo_uplink *u, enum vfo_member_id id)
{
	const struct vfo_member *m = &u->member[id];
	struct rte_eth_link link;
	bool up = false;

	vfo_uplink_lock(u);
	if (m->started && !m->leaving && m->job == NULL &&
	    rte_eth_link_get_nowait(m->port_id, &link) == 0)
		up = link.link_status == RTE_ETH_LINK_UP &&
		     (m->kif[0] == '\0' || vfo_uplink_kernel_carrier(m->kif));
	vfo_uplink_unlock(u);
	return up;
}
