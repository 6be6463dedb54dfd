/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failover_events.c — event sources of the failover engine: EAL device
 * events, ethdev RMV/LSC interrupts and the kernel's link events
 * (rtnetlink), queued for the control thread.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_ring.h>

#include "vfo_events.h"
#include "vfo_log.h"
#include "vfo_tsan.h"
#include "vfo_uplink.h"

/* Events the queue holds (a power of two). */
#define QUEUE_SIZE 1024

/** The event queue. */
struct vfo_events {
	struct rte_ring *ring; /**< struct vfo_raw_event * (malloc'd), MP/SC */
	int efd;	       /**< eventfd written on every push */
	bool monitor;	       /**< the uevent monitor was started by us */
	uint64_t dropped;      /**< events lost to a full queue */
	/** rtnetlink socket (RTMGRP_LINK) served by EAL's interrupt thread, NULL: none */
	struct rte_intr_handle *nl;
};

/* Queues a copy of 'ev' and wakes the control thread.  Interrupt thread. */
static void
push(struct vfo_events *q, const struct vfo_raw_event *ev)
{
	struct vfo_raw_event *e = malloc(sizeof(*e));
	uint64_t one = 1;

	vfo_tsan_acquire(q); /* set up before the callbacks were registered */

	if (e != NULL) {
		*e = *ev;
		vfo_tsan_release(e); /* the ring is DPDK's (vfo_tsan.h) */
	}
	if (e == NULL || rte_ring_mp_enqueue(q->ring, e) != 0) {
		free(e);
		__atomic_fetch_add(&q->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	if (write(q->efd, &one, sizeof(one)) < 0)
		VFO_LOG(DEBUG, "events: eventfd write failed");
	vfo_tsan_release(q); /* for vfo_events_stop(), after the unregistration */
}

/* EAL device event callback: a device was added or is to be removed. */
static void
on_dev_event(const char *name, enum rte_dev_event_type type, void *arg)
{
	struct vfo_raw_event ev = {.kind = type == RTE_DEV_EVENT_ADD ? VFO_RAW_DEV_ADD
								     : VFO_RAW_DEV_REMOVE};

	if (type != RTE_DEV_EVENT_ADD && type != RTE_DEV_EVENT_REMOVE)
		return;
	snprintf(ev.name, sizeof(ev.name), "%s", name);
	push(arg, &ev);
}

/* ethdev event callback: RMV or LSC on 'port'. */
static int
on_eth_event(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret_param)
{
	struct vfo_raw_event ev = {.port = port, .gen = vfo_uplink_port_gen(port)};

	(void)ret_param;
	ev.kind = type == RTE_ETH_EVENT_INTR_RMV ? VFO_RAW_PORT_RMV : VFO_RAW_PORT_LSC;
	push(arg, &ev);
	return 0;
}

/* NLMSG_OK() without its signed/unsigned comparison: 'left' may go negative. */
static inline bool
nl_ok(const struct nlmsghdr *nh, int left)
{
	return left >= (int)sizeof(*nh) && nh->nlmsg_len >= sizeof(*nh) &&
	       nh->nlmsg_len <= (unsigned int)left;
}

/* Interrupt callback: reads every waiting rtnetlink message and queues a
 * KIF_LINK event naming the interface of each link change or removal. */
static void
on_netlink(void *arg)
{
	struct vfo_events *q = arg;
	char buf[8192] __attribute__((aligned(4)));
	ssize_t len;

	vfo_tsan_acquire(q); /* q->nl, set before the callback was registered */
	while ((len = recv(rte_intr_fd_get(q->nl), buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		unsigned int left = (unsigned int)len;
		struct nlmsghdr *nh;

		for (nh = (struct nlmsghdr *)buf; nl_ok(nh, left); nh = NLMSG_NEXT(nh, left)) {
			struct vfo_raw_event ev = {.kind = VFO_RAW_KIF_LINK};
			struct ifinfomsg *ifi = NLMSG_DATA(nh);
			int alen = (int)IFLA_PAYLOAD(nh);
			struct rtattr *a;

			if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
				continue;
			for (a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == IFLA_IFNAME)
					snprintf(ev.name, sizeof(ev.name), "%.*s",
						 (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
			if (ev.name[0] != '\0')
				push(q, &ev);
		}
	}
	vfo_tsan_release(q); /* for vfo_events_stop(), after the unregistration */
}

/* Subscribes to the kernel's link events (interfaces behind net_tap and
 * net_af_packet members, whose PMDs raise no LSC of their own) on EAL's
 * interrupt thread; without them link state is polled.  Changes: q->nl. */
static void
netlink_start(struct vfo_events *q)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	q->nl = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (q->nl == NULL || rte_intr_fd_set(q->nl, fd) != 0 ||
	    rte_intr_type_set(q->nl, RTE_INTR_HANDLE_EXT) != 0 ||
	    (vfo_tsan_release(q), rte_intr_callback_register(q->nl, on_netlink, q)) != 0) {
		rte_intr_instance_free(q->nl);
		q->nl = NULL;
		goto fail;
	}
	return;
fail:
	VFO_LOG(WARNING,
		"kernel link events unavailable (%s): link state of net_tap / net_af_packet "
		"members is polled (--link-poll-us)",
		strerror(errno));
	if (fd >= 0)
		close(fd);
}

struct vfo_events *
vfo_events_start(void)
{
	struct vfo_events *q = calloc(1, sizeof(*q));
	int ret;

	if (q == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->ring = rte_ring_create("vfo_events", QUEUE_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (q->efd < 0 || q->ring == NULL) {
		ret = q->efd < 0 ? errno : rte_errno;
		vfo_events_stop(q);
		rte_errno = ret;
		return NULL;
	}
	/* The callbacks run on EAL's interrupt thread: what q holds now is
	 * handed over by DPDK, out of TSan's sight (vfo_tsan.h). */
	vfo_tsan_release(q);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV, on_eth_event, q);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC, on_eth_event, q);
	rte_dev_event_callback_register(NULL, on_dev_event, q);
	ret = rte_dev_hotplug_handle_enable();
	if (ret == 0)
		ret = rte_dev_event_monitor_start();
	if (ret != 0)
		VFO_LOG(WARNING,
			"device event monitor unavailable (%s): PCI removal requests and re-plugs "
			"are seen through ethdev RMV/link state and the attach command only",
			rte_strerror(-ret));
	q->monitor = ret == 0;
	netlink_start(q);
	return q;
}

int
vfo_events_fd(const struct vfo_events *q)
{
	return q->efd;
}

bool
vfo_events_pop(struct vfo_events *q, struct vfo_raw_event *ev)
{
	void *e;
	uint64_t n;

	if (rte_ring_sc_dequeue(q->ring, &e) != 0) {
		/* Empty: clear the eventfd, then look once more, so that a push
		 * racing with us is either seen now or wakes us again. */
		if (read(q->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			VFO_LOG(DEBUG, "events: eventfd read failed");
		if (rte_ring_sc_dequeue(q->ring, &e) != 0)
			return false;
	}
	vfo_tsan_acquire(e);
	*ev = *(struct vfo_raw_event *)e;
	free(e);
	return true;
}

uint64_t
vfo_events_dropped(const struct vfo_events *q)
{
	return __atomic_load_n(&q->dropped, __ATOMIC_RELAXED);
}

void
vfo_events_stop(struct vfo_events *q)
{
	void *e;

	if (q == NULL)
		return;
	if (q->nl != NULL) {
		int fd = rte_intr_fd_get(q->nl);

		rte_intr_callback_unregister_sync(q->nl, on_netlink, q);
		vfo_tsan_acquire(q); /* the callback has returned (DPDK waited) */
		rte_intr_instance_free(q->nl);
		close(fd);
	}
	if (q->ring != NULL) {
		/* -EAGAIN: the callback runs now; q must outlive it. */
		while (rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
						       on_eth_event, q) == -EAGAIN)
			rte_delay_us_sleep(100);
		while (rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
						       on_eth_event, q) == -EAGAIN)
			rte_delay_us_sleep(100);
		while (rte_dev_event_callback_unregister(NULL, on_dev_event, q) == -EAGAIN)
			rte_delay_us_sleep(100);
		vfo_tsan_acquire(q);
		if (q->monitor) {
			rte_dev_event_monitor_stop();
			rte_dev_hotplug_handle_disable();
		}
		while (rte_ring_sc_dequeue(q->ring, &e) == 0)
			free(e);
		rte_ring_free(q->ring);
	}
	if (q->efd >= 0)
		close(q->efd);
	free(q);
}
