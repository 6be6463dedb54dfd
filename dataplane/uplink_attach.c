/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_attach.c — members coming and going while the workers forward:
 * attach (bring-up in the port worker, bounded), detach (out of the view,
 * grace period, TX completion, tear-down in the port worker, each step
 * bounded), and vfo_uplink_poll(), which finishes what outlasted its bound
 * and lets a member whose link came up into the RX view.  Control side
 * only: one thread changes an uplink (the failover engine's); other
 * threads read it with the lock held.  No wait happens with the lock held.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "uplink_private.h"
#include "vfo_clock.h"
#include "vfo_log.h"

/* Stages of a release (struct vfo_member.leave_stage). */
enum leave_stage {
	LEAVE_NONE = 0, /* not leaving */
	LEAVE_PUBLISH,	/* the view without it could not be published yet */
	LEAVE_GRACE,	/* out of the view; its grace period is not over */
	LEAVE_TEARDOWN, /* the port worker stops, closes and removes it */
};

/* How a PMD tells that a packet it took has left (see struct vfo_release). */
enum tx_done {
	TX_DONE_UNKNOWN = 0, /* a ring its peer reads: it cannot tell */
	TX_DONE_TAKEN,	     /* its peer (the kernel, a vhost guest's ring) has it once taken */
	TX_DONE_COUNTED,     /* opackets counts what the NIC sent */
};

/* PMDs whose TX completion can be known, by driver name; others: unknown. */
static const struct {
	const char *driver; /* rte_eth_dev_info.driver_name */
	enum tx_done how;   /* how its TX completes */
} tx_done_of[] = {
	{"net_tap", TX_DONE_TAKEN},	    {"net_af_packet", TX_DONE_TAKEN},
	{"net_vhost", TX_DONE_TAKEN},	    {"net_pcap", TX_DONE_TAKEN},
	{"net_null", TX_DONE_TAKEN},	    {"net_e1000_em", TX_DONE_COUNTED},
	{"net_e1000_igb", TX_DONE_COUNTED}, {"net_e1000_igb_vf", TX_DONE_COUNTED},
	{"net_ixgbe", TX_DONE_COUNTED},	    {"net_ixgbe_vf", TX_DONE_COUNTED},
	{"net_i40e", TX_DONE_COUNTED},	    {"net_i40e_vf", TX_DONE_COUNTED},
	{"net_iavf", TX_DONE_COUNTED},	    {"net_ice", TX_DONE_COUNTED},
};

/* Between two looks at a NIC's TX counter (ns). */
#define TX_POLL_NS 50000

/* Returns how 'driver' tells its TX completion. */
static enum tx_done
tx_done_how(const char *driver)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(tx_done_of); i++)
		if (strcmp(tx_done_of[i].driver, driver) == 0)
			return tx_done_of[i].how;
	return TX_DONE_UNKNOWN;
}

bool
vfo_uplink_member_tx_done_known(struct vfo_uplink *u, enum vfo_member_id id)
{
	const struct vfo_member *m = &u->member[id];
	struct rte_eth_dev_info info;
	bool known = false;

	vfo_uplink_lock(u);
	if (m->started && rte_eth_dev_info_get(m->port_id, &info) == 0)
		known = tx_done_how(info.driver_name) != TX_DONE_UNKNOWN;
	vfo_uplink_unlock(u);
	return known;
}

/* Sleeps 'ns' nanoseconds. */
static void
nap_ns(long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

	nanosleep(&ts, NULL);
}

/* Returns the packets member 'id' was handed for TX on every queue. */
static uint64_t
member_tx_pkts(const struct vfo_uplink *u, enum vfo_member_id id)
{
	uint64_t rx, tx;

	uplink__member_pkts(u, id, &rx, &tx);
	return tx;
}

/*
 * Member 'id' is out of every view a worker can hold: waits for its TX to
 * complete as its PMD allows (see struct vfo_release) and counts into 'rel'
 * what its rings still hold.  Bounded by params.tx_drain_us.
 */
static void
tx_complete(struct vfo_uplink *u, enum vfo_member_id id, struct vfo_release *rel)
{
	const struct vfo_member *m = &u->member[id];
	const uint64_t t0 = vfo_mono_us();
	const uint64_t bound = UPLINK_PARAM(u, tx_drain_us, VFO_TX_DRAIN_US);
	const uint64_t handed = member_tx_pkts(u, id) - m->tx_base;
	struct rte_eth_dev_info info;
	struct rte_eth_stats es;
	uint64_t left = 0;
	enum tx_done how;
	uint16_t q;
	int n;

	how = rte_eth_dev_info_get(m->port_id, &info) == 0 ? tx_done_how(info.driver_name)
							   : TX_DONE_UNKNOWN;
	rel->exact = how != TX_DONE_UNKNOWN;
	if (how == TX_DONE_COUNTED) {
		for (;;) {
			for (q = 0; q < u->params.nb_txq; q++)
				rte_eth_tx_done_cleanup(m->port_id, q, 0);
			left = rte_eth_stats_get(m->port_id, &es) == 0 && handed > es.opackets
				       ? handed - es.opackets
				       : 0;
			if (left == 0 || vfo_mono_us() - t0 >= bound)
				break;
			nap_ns(TX_POLL_NS);
		}
		if (left != 0)
			snprintf(rel->note, sizeof(rel->note),
				 "%s: %" PRIu64 " packets not sent within %" PRIu64 " ms",
				 info.driver_name, left, bound / 1000);
	} else if (how == TX_DONE_UNKNOWN) {
		/* The peer reads the ring when it runs: give it the bound. */
		nap_ns((long)bound * 1000);
		snprintf(rel->note, sizeof(rel->note),
			 "%s cannot tell whether its peer took what its TX ring held (left to it "
			 "for %" PRIu64 " ms)",
			 rte_eth_dev_info_get(m->port_id, &info) == 0 ? info.driver_name
								      : "its PMD",
			 bound / 1000);
	}
	rel->lost += left;
	/* What arrived and was not received (where the PMD can count it). */
	for (q = 0; q < u->params.nb_rxq; q++) {
		n = rte_eth_rx_queue_count(m->port_id, q);
		if (n > 0)
			rel->lost += (uint64_t)n;
	}
	rel->tx_wait_us = vfo_mono_us() - t0;
}

/* Port worker job: brings j->m up (probe, configure, start, MAC). */
static void
job_bring_up(struct uplink_job *j)
{
	j->ret = uplink__member_probe(j->u, j->id, &j->m, j->err, sizeof(j->err));
	if (j->ret == 0) {
		uplink__port_gen_set(j->m.port_id, j->m.gen);
		j->ret = uplink__member_start(j->u, j->id, &j->m, j->err, sizeof(j->err));
	}
	if (j->ret == 0) {
		uplink__member_set_mac(j->u, j->id, &j->m);
		return;
	}
	uplink__port_gen_set(j->m.port_id, 0);
	uplink__member_teardown(j->u, j->id, &j->m);
}

/* Port worker job: stops, closes and removes j->m. */
static void
job_teardown(struct uplink_job *j)
{
	uplink__member_teardown(j->u, j->id, &j->m);
}

/* Returns a new job of member 'id' of 'u' running 'run' on a copy of 'm', or NULL. */
static struct uplink_job *
job_new(struct vfo_uplink *u, enum vfo_member_id id, const struct vfo_member *m, bool bring_up)
{
	struct uplink_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->u = u;
	j->id = id;
	j->m = *m;
	j->m.job = NULL;
	j->bring_up = bring_up;
	j->run = bring_up ? job_bring_up : job_teardown;
	return j;
}

/* Hands 'j' to the port worker, or runs it here when the worker cannot start. */
static void
job_start(struct uplink_job *j)
{
	if (uplink__job_submit(j) != 0) {
		j->run(j);
		j->done = true;
	}
}

/* Returns the deadline of a port-worker job started now. */
static uint64_t
job_deadline(const struct vfo_uplink *u)
{
	return vfo_mono_us() + UPLINK_PARAM(u, member_timeout_us, VFO_MEMBER_TIMEOUT_US);
}

/* Leaves member 'id''s release pending with 'why' (a format); returns -EINPROGRESS. */
static int __attribute__((format(printf, 3, 4)))
pending(struct vfo_uplink *u, enum vfo_member_id id, const char *fmt, ...)
{
	struct vfo_release *rel = &u->member[id].rel;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel->why, sizeof(rel->why), fmt, ap);
	va_end(ap);
	rel->done = false;
	return -EINPROGRESS;
}

/* Clears member 'id' once its port is gone (its release is over). */
static void
member_gone(struct vfo_uplink *u, enum vfo_member_id id)
{
	struct vfo_member *m = &u->member[id];

	vfo_uplink_lock(u);
	m->port_id = VFO_PORT_NONE;
	m->dev = NULL;
	m->started = false;
	m->rx_ready = false;
	m->gen = 0;
	m->job = NULL;
	m->leaving = false;
	m->leave_stage = LEAVE_NONE;
	vfo_uplink_unlock(u);
}

/*
 * Takes member 'id''s release as far as its bounds allow: with 'wait', each
 * step waits up to its bound; without, only what is over already moves
 * (vfo_uplink_poll).  Returns 0 when the member is released, -EINPROGRESS
 * otherwise (member.rel.why says what it waits for).
 */
static int
release_step(struct vfo_uplink *u, enum vfo_member_id id, bool wait)
{
	struct vfo_member *m = &u->member[id];
	const uint64_t grace_ms = UPLINK_PARAM(u, grace_timeout_us, VFO_GRACE_TIMEOUT_US) / 1000;
	struct uplink_job *j;
	bool over;

	if (m->leave_stage == LEAVE_PUBLISH) {
		if (wait)
			uplink__wait_grace(u);
		vfo_uplink_lock(u);
		if (uplink__publish_view(u, u->active) == 0)
			m->leave_stage = LEAVE_GRACE;
		vfo_uplink_unlock(u);
		if (m->leave_stage == LEAVE_PUBLISH)
			return pending(u, id,
				       "a forwarding lcore has held the uplink's previous view for "
				       "over %" PRIu64
				       " ms: the view without the %s is not published",
				       grace_ms, vfo_member_name(id));
	}
	if (m->leave_stage == LEAVE_GRACE) {
		if (wait) {
			over = uplink__wait_grace(u) == 0;
		} else {
			vfo_uplink_lock(u);
			over = uplink__grace_over(u);
			vfo_uplink_unlock(u);
		}
		if (!over)
			return pending(
				u, id,
				"a forwarding lcore has not passed a quiescent state in %" PRIu64
				" ms: it may still use the %s",
				grace_ms, vfo_member_name(id));
		/* No sleeping lcore may keep its RX interrupt registered past here. */
		uplink__wait_sleepers(u);
		tx_complete(u, id, &m->rel);
		j = job_new(u, id, m, false);
		if (j == NULL)
			return pending(u, id, "out of memory for its tear-down");
		vfo_uplink_lock(u);
		uplink__member_keep_counters(u, id);
		uplink__port_gen_set(m->port_id, 0);
		m->started = false;
		m->job = j;
		m->leave_stage = LEAVE_TEARDOWN;
		vfo_uplink_unlock(u);
		job_start(j);
	}
	j = m->job;
	if (wait ? uplink__job_wait(j, job_deadline(u)) != 0 : !uplink__job_done(j))
		return pending(u, id,
			       "its PMD has not finished stopping and removing it after %" PRIu64
			       " ms",
			       (vfo_mono_us() - j->submitted_us) / 1000);
	free(j);
	member_gone(u, id);
	m->rel.done = true;
	m->rel.why[0] = '\0';
	VFO_LOG(INFO, "uplink %s: %s released (%" PRIu64 " packets left in its rings%s%s)",
		u->params.name, vfo_member_name(id), m->rel.lost, m->rel.note[0] ? "; " : "",
		m->rel.note);
	return 0;
}

int
vfo_uplink_member_detach(struct vfo_uplink *u, enum vfo_member_id id, struct vfo_release *rel)
{
	struct vfo_member *m = &u->member[id];
	int ret;

	memset(rel, 0, sizeof(*rel));
	if (m->port_id == VFO_PORT_NONE)
		return -ENOENT;
	if (!m->leaving) {
		memset(&m->rel, 0, sizeof(m->rel));
		/* The slot of the view without it may still be read until then. */
		uplink__wait_grace(u);
		vfo_uplink_lock(u);
		m->leaving = true;
		if (u->active == (int)id)
			u->active = -1;
		m->leave_stage =
			uplink__publish_view(u, u->active) == 0 ? LEAVE_GRACE : LEAVE_PUBLISH;
		vfo_uplink_unlock(u);
	}
	ret = release_step(u, id, true);
	*rel = m->rel;
	return ret;
}

/*
 * A bring-up of member 'id' that outlasted its attach is done: tears down
 * what it brought up (the attach was reported failed), or forgets it.
 */
static void
late_bring_up(struct vfo_uplink *u, enum vfo_member_id id)
{
	struct vfo_member *m = &u->member[id];
	struct uplink_job *j = m->job;

	if (j->bring_up && j->ret == 0) {
		VFO_LOG(NOTICE,
			"uplink %s: %s from '%s' came up %" PRIu64
			" ms after its attach gave up; releasing it",
			u->params.name, vfo_member_name(id), j->m.devargs,
			(vfo_mono_us() - j->submitted_us) / 1000);
		uplink__port_gen_set(j->m.port_id, 0);
		j->bring_up = false;
		j->run = job_teardown;
		job_start(j);
		return;
	}
	free(j);
	vfo_uplink_lock(u);
	m->job = NULL;
	vfo_uplink_unlock(u);
}

/* Returns true when member 'id' is started, out of RX and its link is up. */
static bool
rx_joins(struct vfo_uplink *u, enum vfo_member_id id)
{
	const struct vfo_member *m = &u->member[id];

	return m->started && !m->leaving && m->job == NULL && !m->rx_ready &&
	       vfo_uplink_member_link_up(u, id);
}

/*
 * Lets every member whose link came up into the RX view (a member is polled
 * only once its PMD can be polled safely: DPDK 22.11's memif, for one, is
 * still connected by EAL's interrupt thread until then).  Publishes when
 * the grace period allows; else the next call does.
 */
static void
rx_join(struct vfo_uplink *u)
{
	bool publish = false;
	int id;

	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		if (rx_joins(u, id)) {
			vfo_uplink_lock(u);
			u->member[id].rx_ready = true;
			vfo_uplink_unlock(u);
		}
	}
	vfo_uplink_lock(u);
	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		const struct vfo_member *m = &u->member[id];
		const struct vfo_uplink_view *v = u->view;
		bool in = false;
		uint8_t i;

		for (i = 0; i < v->nb_rx; i++)
			in |= v->rx_member[i] == id;
		publish |= m->rx_ready && m->started && !m->leaving && !in;
	}
	if (publish && uplink__grace_over(u))
		uplink__publish_view(u, u->active);
	vfo_uplink_unlock(u);
}

int
vfo_uplink_member_attach(struct vfo_uplink *u, enum vfo_member_id id, const char *devargs,
			 char *err, size_t errlen)
{
	struct vfo_member *m = &u->member[id];
	struct vfo_member fresh = {.port_id = VFO_PORT_NONE};
	struct uplink_job *j;
	int ret;

	if (m->port_id != VFO_PORT_NONE && !m->leaving)
		return vfo_errf(err, errlen, "uplink %s: %s is present already", u->params.name,
				vfo_member_name(id)),
		       -EEXIST;
	if (m->leaving || m->job != NULL)
		return vfo_errf(err, errlen,
				"uplink %s: %s: its %s is still running in its PMD; attach again "
				"once it is over (see the timeline)",
				u->params.name, vfo_member_name(id),
				m->leaving ? "release" : "earlier bring-up"),
		       -EBUSY;
	/* The member's devargs change only when it comes up from new ones
	 * (*m = j->m below): a refused or failed attach leaves them as they were. */
	snprintf(fresh.devargs, sizeof(fresh.devargs), "%s",
		 devargs != NULL && devargs[0] != '\0' ? devargs : m->devargs);
	fresh.gen = uplink__new_gen();
	j = job_new(u, id, &fresh, true);
	if (j == NULL)
		return vfo_errf(err, errlen, "uplink %s: %s: out of memory", u->params.name,
				vfo_member_name(id)),
		       -ENOMEM;
	vfo_uplink_lock(u);
	m->job = j;
	vfo_uplink_unlock(u);
	job_start(j);
	if (uplink__job_wait(j, job_deadline(u)) != 0)
		return vfo_errf(err, errlen,
				"uplink %s: %s: probe and start from '%s' did not finish within "
				"%" PRIu64
				" ms; its PMD is still at it and the %s is released once "
				"it returns",
				u->params.name, vfo_member_name(id), fresh.devargs,
				UPLINK_PARAM(u, member_timeout_us, VFO_MEMBER_TIMEOUT_US) / 1000,
				vfo_member_name(id)),
		       -ETIMEDOUT;
	ret = j->ret;
	vfo_uplink_lock(u);
	m->job = NULL;
	if (ret == 0) {
		j->m.rx_ready = false;
		j->m.leaving = false;
		j->m.leave_stage = LEAVE_NONE;
		memset(&j->m.rel, 0, sizeof(j->m.rel));
		*m = j->m;
		m->tx_base = member_tx_pkts(u, id);
	}
	vfo_uplink_unlock(u);
	if (ret != 0)
		snprintf(err, errlen, "%s", j->err);
	free(j);
	if (ret != 0)
		return -ENODEV;
	rx_join(u);
	return 0;
}

unsigned int
vfo_uplink_poll(struct vfo_uplink *u, struct vfo_release rel[VFO_MEMBER_COUNT])
{
	unsigned int finished = 0;
	int id;

	for (id = 0; id < VFO_MEMBER_COUNT; id++) {
		struct vfo_member *m = &u->member[id];

		if (m->leaving) {
			if (release_step(u, id, false) == 0) {
				rel[id] = m->rel;
				finished |= 1u << id;
			}
		} else if (m->job != NULL && uplink__job_done(m->job)) {
			late_bring_up(u, id);
		}
	}
	rx_join(u);
	return finished;
}
