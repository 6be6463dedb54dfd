/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * status.c — an uplink's state and counters as JSON, and the "uplink"
 * argument of control commands.
 */
#include <string.h>

#include <rte_ethdev.h>

#include "vfo_ctl.h"
#include "vfo_status.h"

/* Returns the MAC 'a' as a JSON string. */
static json_t *
mac_json(const struct rte_ether_addr *a)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(buf, sizeof(buf), a);
	return json_string(buf);
}

/*
 * Returns what a member's port does now with what it receives: MTU,
 * promiscuous and all-multicast modes, RSS hash functions (more than one RX
 * queue), the uplink's VLAN filters and whether the port has them
 * ('vlan_filter').  The values are read back from the port, so a returning
 * VF shows what was replayed on it.
 */
static json_t *
rx_modes_json(const struct vfo_uplink *u, uint16_t port, bool vlan_filter)
{
	struct rte_eth_rss_conf rss = {.rss_key = NULL};
	json_t *o = json_object(), *vl = json_array();
	uint16_t mtu, i;

	if (rte_eth_dev_get_mtu(port, &mtu) == 0)
		json_object_set_new(o, "mtu", json_integer(mtu));
	json_object_set_new(o, "promisc", json_boolean(rte_eth_promiscuous_get(port) == 1));
	json_object_set_new(o, "allmulti", json_boolean(rte_eth_allmulticast_get(port) == 1));
	if (u->params.nb_rxq > 1 && rte_eth_dev_rss_hash_conf_get(port, &rss) == 0)
		json_object_set_new(o, "rss_hf", json_integer((json_int_t)rss.rss_hf));
	for (i = 0; i < u->params.vlans.n; i++)
		json_array_append_new(vl, json_integer(u->params.vlans.id[i]));
	json_object_set_new(o, "vlans", vl);
	json_object_set_new(o, "vlan_filter", json_boolean(vlan_filter));
	return o;
}

static json_t *member_status_json(struct vfo_uplink *u, enum vfo_member_id id)
	VFO_REQUIRES(u->lock);

/* Returns the state of member 'id' of 'u'.  Call with the uplink lock held. */
static json_t *
member_status_json(struct vfo_uplink *u, enum vfo_member_id id)
{
	const struct vfo_member *m = &u->member[id];
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	json_t *o = json_object();

	json_object_set_new(o, "devargs", json_string(m->devargs));
	json_object_set_new(o, "present", json_boolean(vfo_member_present(u, id)));
	if (!vfo_member_present(u, id))
		return o;
	json_object_set_new(o, "port", json_integer(m->port_id));
	json_object_set_new(o, "device", json_string(m->dev_name));
	if (rte_eth_dev_info_get(m->port_id, &info) == 0)
		json_object_set_new(o, "driver", json_string(info.driver_name));
	json_object_set_new(o, "started", json_boolean(m->started));
	json_object_set_new(o, "mac", mac_json(&m->port_mac));
	json_object_set_new(o, "mac_set", json_boolean(m->mac_set));
	json_object_set_new(o, "socket", json_integer(m->socket));
	if (rte_eth_link_get_nowait(m->port_id, &link) == 0) {
		json_object_set_new(o, "link_up",
				    json_boolean(link.link_status == RTE_ETH_LINK_UP));
		json_object_set_new(o, "link_speed_mbps", json_integer(link.link_speed));
	}
	json_object_set_new(o, "rx_modes", rx_modes_json(u, m->port_id, m->vlan_filter));
	json_object_set_new(o, "yield", json_string(vfo_member_yield_name(m->yield)));
	if (m->yield_note[0] != '\0')
		json_object_set_new(o, "yield_note", json_string(m->yield_note));
	if (m->kif[0] != '\0') {
		json_object_set_new(o, "kernel_if", json_string(m->kif));
		json_object_set_new(o, "carrier", json_boolean(vfo_uplink_kernel_carrier(m->kif)));
	}
	return o;
}

json_t *
vfo_uplink_status_json(struct vfo_uplink *u)
{
	json_t *o = json_object(), *members = json_object();
	int active = vfo_uplink_active(u), id;

	json_object_set_new(o, "name", json_string(u->params.name));
	json_object_set_new(o, "mac", mac_json(&u->mac));
	json_object_set_new(o, "active",
			    active < 0 ? json_null() : json_string(vfo_member_name(active)));
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		json_object_set_new(members, vfo_member_name(id), member_status_json(u, id));
	vfo_uplink_unlock(u);
	json_object_set_new(o, "members", members);
	return o;
}

json_t *
vfo_uplink_stats_json(struct vfo_uplink *u)
{
	struct vfo_uplink_stats st;
	json_t *o = json_object(), *members = json_object(), *drops = json_object();
	uint64_t rx = 0, tx = 0, missed = 0, nombuf = 0;
	int id;

	vfo_uplink_stats_get(u, &st);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		json_t *m = json_pack(
			"{sI sI sI sI sI sI sI sI}", "rx_pkts", (json_int_t)st.member[id].rx_pkts,
			"rx_bytes", (json_int_t)st.member[id].rx_bytes, "tx_pkts",
			(json_int_t)st.member[id].tx_pkts, "tx_bytes",
			(json_int_t)st.member[id].tx_bytes, "rx_missed",
			(json_int_t)st.rx_missed[id], "rx_nombuf", (json_int_t)st.rx_nombuf[id],
			"rx_errors", (json_int_t)st.rx_errors[id], "tx_errors",
			(json_int_t)st.tx_errors[id]);
		json_object_set_new(members, vfo_member_name(id), m);
		rx += st.member[id].rx_pkts;
		tx += st.member[id].tx_pkts;
		missed += st.rx_missed[id];
		nombuf += st.rx_nombuf[id];
	}
	json_object_set_new(drops, "tx_full", json_integer((json_int_t)st.drop_tx_full));
	json_object_set_new(drops, "no_member", json_integer((json_int_t)st.drop_no_member));
	json_object_set_new(drops, "rx_missed", json_integer((json_int_t)missed));
	json_object_set_new(drops, "rx_nombuf", json_integer((json_int_t)nombuf));
	json_object_set_new(o, "name", json_string(u->params.name));
	json_object_set_new(o, "rx_pkts", json_integer((json_int_t)rx));
	json_object_set_new(o, "tx_pkts", json_integer((json_int_t)tx));
	json_object_set_new(o, "tx_retried", json_integer((json_int_t)st.tx_retried));
	json_object_set_new(o, "drops", drops);
	json_object_set_new(o, "members", members);
	return o;
}

int
vfo_uplink_pick(struct vfo_uplink *const *uplinks, unsigned int n, const json_t *req, json_t *reply,
		unsigned int *first, unsigned int *last)
{
	const json_t *name = json_object_get(req, "uplink");
	unsigned int i;

	*first = 0;
	*last = n;
	if (name == NULL)
		return 0;
	if (!json_is_string(name))
		return vfo_ctl_error(reply, "\"uplink\" must be a string (an uplink name)");
	for (i = 0; i < n; i++)
		if (strcmp(uplinks[i]->params.name, json_string_value(name)) == 0) {
			*first = i;
			*last = i + 1;
			return 0;
		}
	return vfo_ctl_error(reply, "no uplink named '%s'; see {\"cmd\":\"status\"}",
			     json_string_value(name));
}
