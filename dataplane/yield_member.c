/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * yield_member.c — how each uplink member lets idle forwarding lcores yield
 * (see vfo_yield.h): RX interrupts checked queue by queue once the port has
 * started, DPDK's power management (PAUSE) set up on its queues, or busy
 * polling, with the reason kept for status.  Control side only, under the
 * uplink lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_power_pmd_mgmt.h>

#include "uplink_private.h"
#include "vfo_log.h"
#include "vfo_names.h"

/* Names of enum vfo_yield_mode, indexed by mode. */
static const char *const mode_names[] = {
	[VFO_YIELD_OFF] = "off",
	[VFO_YIELD_INTERRUPT] = "interrupt",
	[VFO_YIELD_PAUSE] = "pause",
	[VFO_YIELD_AUTO] = "auto",
};

/* Names of enum vfo_member_yield. */
static const char *const member_names[] = {
	[VFO_MEMBER_YIELD_BUSY] = "busy",
	[VFO_MEMBER_YIELD_INTERRUPT] = "interrupt",
	[VFO_MEMBER_YIELD_PAUSE] = "pause",
};

/*
 * PMDs without rx_queue_intr_enable whose queue interrupt fd is readable
 * while frames wait (net_tap: the tap fd itself), so a sleeping lcore needs
 * no arming to be woken.
 */
static const char *const no_arm_drivers[] = {"net_tap"};

const char *
vfo_yield_mode_name(enum vfo_yield_mode m)
{
	return vfo_name_of(mode_names, RTE_DIM(mode_names), (unsigned int)m);
}

int
vfo_yield_mode_parse(const char *s, enum vfo_yield_mode *m)
{
	int i = vfo_name_find(mode_names, RTE_DIM(mode_names), s);

	if (i < 0)
		return -1;
	*m = (enum vfo_yield_mode)i;
	return 0;
}

const char *
vfo_member_yield_name(enum vfo_member_yield y)
{
	return vfo_name_of(member_names, RTE_DIM(member_names), (unsigned int)y);
}

bool
uplink__yield_wants_intr(const struct vfo_uplink *u)
{
	return vfo_yield_uses_intr(u->params.yield);
}

int
uplink__yield_pmgmt_enable(const struct vfo_uplink *u, struct vfo_member *m)
{
	uint16_t q;
	int ret = 0;

	for (q = 0; q < u->params.nb_rxq && ret == 0; q++)
		ret = rte_power_ethdev_pmgmt_queue_enable(u->params.queue_lcore[q], m->port_id, q,
							  RTE_POWER_MGMT_TYPE_PAUSE);
	if (ret == 0) {
		m->yield = VFO_MEMBER_YIELD_PAUSE;
		return 0;
	}
	snprintf(m->yield_note, sizeof(m->yield_note),
		 "DPDK power management refused RX queue %u: %s", q - 1, rte_strerror(-ret));
	while (--q > 0)
		rte_power_ethdev_pmgmt_queue_disable(u->params.queue_lcore[q - 1], m->port_id,
						     q - 1);
	return ret;
}

void
uplink__yield_release(const struct vfo_uplink *u, struct vfo_member *m)
{
	uint16_t q;

	if (m->yield == VFO_MEMBER_YIELD_PAUSE)
		for (q = 0; q < u->params.nb_rxq; q++)
			rte_power_ethdev_pmgmt_queue_disable(u->params.queue_lcore[q], m->port_id,
							     q);
	m->yield = VFO_MEMBER_YIELD_BUSY;
	m->wake = 0;
}

/* Returns true when 'driver' is in no_arm_drivers[]. */
static bool
needs_no_arming(const char *driver)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(no_arm_drivers); i++)
		if (strcmp(driver, no_arm_drivers[i]) == 0)
			return true;
	return false;
}

/*
 * Checks that every RX queue of started member 'm' has an interrupt fd and
 * can be armed (rte_eth_dev_rx_intr_enable, then disabled again).  Returns
 * the VFO_VIEW_WAKE_* flags, or 0 with m->yield_note saying why not.  The
 * ethdev and EAL errors of a PMD without RX interrupts are silenced for the
 * check: it is a question, not a failure.
 */
static uint8_t
member_rx_intr(const struct vfo_uplink *u, struct vfo_member *m)
{
	struct rte_eth_dev_info info;
	uint32_t eth_lvl = rte_log_get_level(rte_eth_dev_logtype);
	uint32_t eal_lvl = rte_log_get_level(RTE_LOGTYPE_EAL);
	uint8_t wake = VFO_VIEW_WAKE_INTR;
	uint16_t q;
	int ret;

	if (rte_eth_dev_info_get(m->port_id, &info) != 0)
		return 0;
	rte_log_set_level(rte_eth_dev_logtype, RTE_LOG_CRIT);
	rte_log_set_level(RTE_LOGTYPE_EAL, RTE_LOG_CRIT);
	for (q = 0; q < u->params.nb_rxq && wake != 0; q++) {
		if (rte_eth_dev_rx_intr_ctl_q_get_fd(m->port_id, q) < 0) {
			snprintf(m->yield_note, sizeof(m->yield_note),
				 "%s has no RX interrupt for queue %u", info.driver_name, q);
			wake = 0;
			continue;
		}
		ret = rte_eth_dev_rx_intr_enable(m->port_id, q);
		if (ret == 0) {
			rte_eth_dev_rx_intr_disable(m->port_id, q);
		} else if (ret == -ENOTSUP && needs_no_arming(info.driver_name)) {
			wake |= VFO_VIEW_WAKE_NO_ARM;
		} else {
			snprintf(m->yield_note, sizeof(m->yield_note),
				 "%s cannot arm the RX interrupt of queue %u: %s", info.driver_name,
				 q, rte_strerror(-ret));
			wake = 0;
		}
	}
	rte_log_set_level(RTE_LOGTYPE_EAL, eal_lvl);
	rte_log_set_level(rte_eth_dev_logtype, eth_lvl);
	return wake;
}

int
uplink__yield_classify(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
		       bool intr, char *err, size_t errlen)
{
	int ret;

	m->wake = intr ? member_rx_intr(u, m) : 0;
	if (m->wake != 0) {
		m->yield = VFO_MEMBER_YIELD_INTERRUPT;
		m->yield_note[0] = '\0';
		return 0;
	}
	if (u->params.yield != VFO_YIELD_AUTO)
		return 0;
	/* AUTO: PAUSE instead, which DPDK sets up on stopped queues only. */
	ret = rte_eth_dev_stop(m->port_id);
	if (ret == 0) {
		uplink__yield_pmgmt_enable(u, m);
		ret = rte_eth_dev_start(m->port_id);
	}
	if (ret != 0) {
		m->started = false;
		return vfo_errf(err, errlen,
				"uplink %s: %s port %u does not start again for --idle-yield "
				"auto (PAUSE): %s",
				u->params.name, vfo_member_name(id), m->port_id,
				rte_strerror(-ret));
	}
	return 0;
}
