/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd_sleep.c — idle yielding for the forwarding lcores (fwd_sleep.h):
 * per-lcore epoll instances with the members' RX interrupts and a kick
 * eventfd, the registrations kept in step with the uplinks' views, the
 * sleep itself, and the control side's wake and sync.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>

#include "fwd_sleep.h"
#include "vfo_counter.h"
#include "vfo_log.h"

/* Events taken from epoll per wake. */
#define WAKE_EVENTS 8
/* How the last sleep ended (vfo_fwd_sleeper.woke). */
#define WOKE_TIMEOUT 1
#define WOKE_RX	     2
/* How long vfo_fwd_sync() waits for an lcore before it warns (ms). */
#define SYNC_WARN_MS 1000

/* Returns true while s's lcore sleeps or is about to. */
static inline bool
asleep(const struct vfo_fwd_sleeper *s)
{
	return (__atomic_load_n(&s->seq, __ATOMIC_SEQ_CST) & 1) != 0;
}

/* Writes s's kick eventfd (async-signal-safe). */
static inline void
kick(const struct vfo_fwd_sleeper *s)
{
	uint64_t one = 1;

	if (write(s->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return; /* nothing to do: the sleep ends by its timeout */
}

/* Returns true when the forwarder's lcores may sleep (setup done). */
static inline bool
yielding(const struct vfo_fwd *f)
{
	return vfo_yield_uses_intr(f->yield) && f->yield_ready;
}

/* Closes the lcores' epoll instances and kick eventfds. */
static void
close_all(struct vfo_fwd *f)
{
	unsigned int i;

	for (i = 0; i < RTE_MAX_LCORE; i++) {
		struct vfo_fwd_sleeper *s = &f->sleeper[i];

		if (s->epfd >= 0)
			close(s->epfd);
		if (s->kick_fd >= 0)
			close(s->kick_fd);
		s->epfd = s->kick_fd = -1;
	}
}

int
vfo_fwd_yield_setup(struct vfo_fwd *f, char *err, size_t errlen)
{
	unsigned int i, lc;

	f->yield_ready = false;
	if (!vfo_yield_uses_intr(f->yield))
		return 0;
	for (i = 0; i < RTE_MAX_LCORE; i++)
		f->sleeper[i].epfd = f->sleeper[i].kick_fd = -1;
	RTE_LCORE_FOREACH(lc)
	{
		struct vfo_fwd_sleeper *s = &f->sleeper[rte_lcore_index((int)lc)];

		s->epfd = epoll_create1(EPOLL_CLOEXEC);
		s->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		memset(&s->kick_ev, 0, sizeof(s->kick_ev));
		s->kick_ev.epdata.event = EPOLLIN | EPOLLET;
		s->kick_ev.epdata.data = s;
		if (s->epfd < 0 || s->kick_fd < 0 ||
		    rte_epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->kick_fd, &s->kick_ev) != 0) {
			snprintf(err, errlen, "--idle-yield: lcore %u: no epoll instance: %s", lc,
				 strerror(errno));
			close_all(f);
			return -1;
		}
	}
	f->yield_ready = true;
	return 0;
}

void
vfo_fwd_yield_teardown(struct vfo_fwd *f)
{
	if (!f->yield_ready)
		return;
	f->yield_ready = false;
	close_all(f);
}

void
vfo_fwd_wake(void *fwd)
{
	const struct vfo_fwd *f = fwd;
	unsigned int lc;

	if (!yielding(f))
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* what was published comes before */
	RTE_LCORE_FOREACH(lc)
	{
		const struct vfo_fwd_sleeper *s = &f->sleeper[rte_lcore_index((int)lc)];

		if (asleep(s))
			kick(s);
	}
}

void
vfo_fwd_wake_all(const struct vfo_fwd *f)
{
	unsigned int i;

	if (!yielding(f))
		return;
	for (i = 0; i < RTE_MAX_LCORE; i++)
		if (f->sleeper[i].kick_fd >= 0)
			kick(&f->sleeper[i]);
}

void
vfo_fwd_sync(void *fwd, const struct vfo_uplink *u, uint32_t gen)
{
	struct vfo_fwd *f = fwd;
	unsigned int i, lc;

	if (!yielding(f))
		return;
	for (i = 0; i < f->nb_uplinks && f->uplink[i] != u; i++)
		;
	if (i == f->nb_uplinks)
		return;
	RTE_LCORE_FOREACH(lc)
	{
		const struct vfo_fwd_sleeper *s = &f->sleeper[rte_lcore_index((int)lc)];
		const uint64_t warn_at =
			rte_get_timer_cycles() + rte_get_timer_hz() * SYNC_WARN_MS / 1000;
		bool warned = false;

		while (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE) &&
		       (int32_t)(__atomic_load_n(&s->synced[i], __ATOMIC_ACQUIRE) - gen) < 0) {
			if (asleep(s))
				kick(s);
			if (!warned && rte_get_timer_cycles() > warn_at) {
				VFO_LOG(WARNING,
					"lcore %u has not caught up with view %u of uplink %s "
					"after %u ms; still waiting before a member is stopped",
					lc, gen, u->params.name, SYNC_WARN_MS);
				warned = true;
			}
			rte_delay_us_sleep(20);
		}
	}
}

void
fwd__sleep_start(struct vfo_fwd *f, unsigned int idx)
{
	struct vfo_fwd_sleeper *s = &f->sleeper[idx];

	memset(s->reg, 0, sizeof(s->reg));
	s->armed = false;
	s->sleep_ms = VFO_YIELD_MIN_SLEEP_MS;
	__atomic_store_n(&s->seq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->running, true, __ATOMIC_RELEASE);
}

/* Removes registration 'r' (disarmed first) from s's epoll instance. */
static void
reg_drop(struct vfo_fwd_sleeper *s, struct vfo_fwd_intr_reg *r, uint16_t q)
{
	if (r->armed)
		rte_eth_dev_rx_intr_disable(r->port, q);
	rte_eth_dev_rx_intr_ctl_q(r->port, q, s->epfd, RTE_INTR_EVENT_DEL, NULL);
	*r = (struct vfo_fwd_intr_reg){.on = false};
}

void
fwd__sleep_sync(struct vfo_fwd *f, unsigned int idx, unsigned int i,
		const struct vfo_uplink_view *v, uint16_t q)
{
	struct vfo_fwd_sleeper *s = &f->sleeper[idx];
	unsigned int m, j;
	int ret;

	if (!yielding(f))
		return;
	for (m = 0; m < VFO_MEMBER_COUNT; m++) {
		struct vfo_fwd_intr_reg *r = &s->reg[i][m];

		for (j = 0; j < v->nb_rx; j++)
			if (v->rx_member[j] == m && (v->rx_wake[j] & VFO_VIEW_WAKE_INTR))
				break;
		if (r->on && (j == v->nb_rx || r->port != v->rx_port[j])) {
			reg_drop(s, r, q);
			__atomic_fetch_and(&s->distrust_mask[i], ~(1u << m), __ATOMIC_RELAXED);
		}
		if (j == v->nb_rx || r->on)
			continue;
		ret = rte_eth_dev_rx_intr_ctl_q(v->rx_port[j], q, s->epfd, RTE_INTR_EVENT_ADD,
						NULL);
		if (ret != 0 && ret != -EEXIST) {
			VFO_LOG(WARNING,
				"lcore %u: port %u queue %u: RX interrupt not registered (%s); "
				"this lcore polls on",
				rte_lcore_id(), v->rx_port[j], q, rte_strerror(-ret));
			continue;
		}
		*r = (struct vfo_fwd_intr_reg){
			.port = v->rx_port[j], .wake = v->rx_wake[j], .on = true};
	}
	__atomic_store_n(&s->synced[i], v->gen, __ATOMIC_RELEASE);
}

bool
fwd__sleep_allowed(struct vfo_fwd *f, unsigned int idx)
{
	const struct vfo_fwd_sleeper *s = &f->sleeper[idx];
	unsigned int i, j;

	for (i = 0; i < f->nb_uplinks; i++) {
		const struct vfo_uplink_view *v = vfo_uplink_view(f->uplink[i]);

		if (v->gen != s->synced[i] || !v->all_wake)
			return false;
		for (j = 0; j < v->nb_rx; j++) {
			const struct vfo_fwd_intr_reg *r = &s->reg[i][v->rx_member[j]];

			if (!r->on || r->port != v->rx_port[j] || r->distrusted)
				return false;
		}
	}
	return true;
}

void
fwd__sleep_arm(struct vfo_fwd *f, unsigned int idx, uint16_t q, bool on)
{
	struct vfo_fwd_sleeper *s = &f->sleeper[idx];
	unsigned int i, m;

	for (i = 0; i < f->nb_uplinks; i++)
		for (m = 0; m < VFO_MEMBER_COUNT; m++) {
			struct vfo_fwd_intr_reg *r = &s->reg[i][m];

			if (!r->on || r->armed == on)
				continue;
			if (r->wake & VFO_VIEW_WAKE_NO_ARM)
				r->armed = on;
			else if (on)
				r->armed = rte_eth_dev_rx_intr_enable(r->port, q) == 0;
			else
				r->armed = rte_eth_dev_rx_intr_disable(r->port, q) != 0;
		}
	s->armed = on;
}

/* Returns true when every registration of s is armed. */
static bool
all_armed(const struct vfo_fwd *f, const struct vfo_fwd_sleeper *s)
{
	unsigned int i, m;

	for (i = 0; i < f->nb_uplinks; i++)
		for (m = 0; m < VFO_MEMBER_COUNT; m++)
			if (s->reg[i][m].on && !s->reg[i][m].armed)
				return false;
	return true;
}

/* Returns true when the control side left frames for queue 0's lcore. */
static bool
frames_waiting(const struct vfo_fwd *f)
{
	unsigned int i, m;

	for (i = 0; i < f->nb_uplinks; i++) {
		const struct vfo_uplink *u = f->uplink[i];

		if (__atomic_load_n(&u->ctl_n, __ATOMIC_SEQ_CST) != 0)
			return true;
		for (m = 0; m < VFO_MEMBER_COUNT; m++)
			if (__atomic_load_n(&u->probe_pkt[m], __ATOMIC_SEQ_CST) != NULL)
				return true;
	}
	return false;
}

/* Records each registered member's rx_pkts on queue q (after a wake). */
static void
snapshot_rx(const struct vfo_fwd *f, struct vfo_fwd_sleeper *s, uint16_t q)
{
	unsigned int i, m;

	for (i = 0; i < f->nb_uplinks; i++)
		for (m = 0; m < VFO_MEMBER_COUNT; m++)
			if (s->reg[i][m].on)
				s->reg[i][m].rx_woke = f->uplink[i]->qstats[q].member[m].rx_pkts;
}

uint64_t
fwd__sleep_wait(struct vfo_fwd *f, unsigned int idx, uint16_t q, struct vfo_fwd_lcore_stats *st)
{
	struct vfo_fwd_sleeper *s = &f->sleeper[idx];
	struct rte_epoll_event ev[WAKE_EVENTS];
	uint64_t t0, t1, count;
	int n, k;

	/* seq odd first, then the last look: a publisher stores first, then
	 * reads seq (both sequentially consistent), so either this look sees
	 * its change or the publisher sees seq odd and kicks. */
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the looks below come after it */
	if (__atomic_load_n(f->quit, __ATOMIC_RELAXED) || !fwd__sleep_allowed(f, idx) ||
	    !all_armed(f, s) || (q == 0 && frames_waiting(f))) {
		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
		return rte_rdtsc();
	}
	t0 = rte_rdtsc();
	rte_rcu_qsbr_thread_offline(f->qsbr, idx);
	n = rte_epoll_wait(s->epfd, ev, WAKE_EVENTS, (int)s->sleep_ms);
	rte_rcu_qsbr_thread_online(f->qsbr, idx);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	t1 = rte_rdtsc();
	vfo_counter_add(&st->sleeps, 1);
	vfo_counter_add(&st->sleep_cycles, t1 - t0);
	for (k = 0; k < n && ev[k].epdata.data != s; k++)
		;
	if (n <= 0) {
		vfo_counter_add(&st->wake_timeout, 1);
		s->woke = WOKE_TIMEOUT;
	} else if (k < n) {
		vfo_counter_add(&st->wake_kick, 1);
		s->woke = 0; /* a kick says nothing about the interrupts */
		if (read(s->kick_fd, &count, sizeof(count)) < 0)
			count = 0; /* EAGAIN: already drained */
	} else {
		vfo_counter_add(&st->wake_rx, 1);
		s->woke = WOKE_RX;
	}
	if (s->woke != 0)
		snapshot_rx(f, s, q);
	return t1;
}

void
fwd__sleep_judge(struct vfo_fwd *f, unsigned int idx, uint16_t q, struct vfo_fwd_lcore_stats *st)
{
	struct vfo_fwd_sleeper *s = &f->sleeper[idx];
	unsigned int i, m;
	bool missed = false;

	for (i = 0; i < f->nb_uplinks; i++)
		for (m = 0; m < VFO_MEMBER_COUNT; m++) {
			struct vfo_fwd_intr_reg *r = &s->reg[i][m];

			if (!r->on || r->distrusted ||
			    f->uplink[i]->qstats[q].member[m].rx_pkts == r->rx_woke)
				continue;
			if (s->woke == WOKE_RX) {
				r->missed = 0;
				continue;
			}
			missed = true;
			if (++r->missed < VFO_FWD_WAKE_MISSES)
				continue;
			r->distrusted = true;
			__atomic_fetch_or(&s->distrust_mask[i], 1u << m, __ATOMIC_RELAXED);
			VFO_LOG(WARNING,
				"lcore %u: uplink %s %s (port %u) has RX interrupts that do not "
				"wake "
				"it (%u sleeps in a row ended by the timeout with packets "
				"waiting); "
				"this lcore polls it without sleeping",
				rte_lcore_id(), f->uplink[i]->params.name, vfo_member_name(m),
				r->port, VFO_FWD_WAKE_MISSES);
		}
	vfo_counter_add(&st->wake_missed, missed);
	/* A timeout with nothing waiting anywhere: the next sleep may be longer. */
	if (s->woke == WOKE_TIMEOUT && !missed)
		s->sleep_ms = RTE_MIN(2 * s->sleep_ms, (unsigned int)VFO_YIELD_MAX_SLEEP_MS);
	s->woke = 0;
}

void
fwd__sleep_busy(struct vfo_fwd *f, unsigned int idx)
{
	f->sleeper[idx].sleep_ms = VFO_YIELD_MIN_SLEEP_MS;
}

void
fwd__sleep_stop(struct vfo_fwd *f, unsigned int idx, uint16_t q)
{
	struct vfo_fwd_sleeper *s = &f->sleeper[idx];
	unsigned int i, m;

	if (!yielding(f))
		return;
	for (i = 0; i < f->nb_uplinks; i++)
		for (m = 0; m < VFO_MEMBER_COUNT; m++)
			if (s->reg[i][m].on)
				reg_drop(s, &s->reg[i][m], q);
	s->armed = false;
	__atomic_store_n(&s->running, false, __ATOMIC_RELEASE);
}
