/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_events.h — where failover events come from: EAL device events (a
 * device's removal request, a device added by a uevent), ethdev interrupts
 * (RTE_ETH_EVENT_INTR_RMV, RTE_ETH_EVENT_INTR_LSC) and the kernel's link
 * events (rtnetlink RTM_NEWLINK / RTM_DELLINK, for the kernel interfaces
 * behind net_tap and net_af_packet members).  Their callbacks run on
 * EAL's interrupt thread and only queue an event and wake the control
 * thread through an eventfd; the control thread pops and handles them, so
 * no probing or port work ever happens inside a callback.
 *
 * Thread-safety: vfo_events_pop() on one thread (the control thread); the
 * callbacks push from EAL's interrupt thread.
 */
#ifndef VFO_EVENTS_H
#define VFO_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_dev.h>

/** Kinds of raw events, before they are matched to an uplink member. */
enum vfo_raw_kind {
	VFO_RAW_DEV_REMOVE = 0, /**< EAL: device 'name' is asked to go / went */
	VFO_RAW_DEV_ADD,	/**< EAL: device 'name' appeared */
	VFO_RAW_PORT_RMV,	/**< ethdev: port 'port' was removed */
	VFO_RAW_PORT_LSC,	/**< ethdev: port 'port' link changed */
	VFO_RAW_KIF_LINK,	/**< kernel: interface 'name' changed or went */
};

/** One raw event. */
struct vfo_raw_event {
	enum vfo_raw_kind kind;		 /**< what happened */
	uint16_t port;			 /**< port, for the PORT_* kinds */
	uint32_t gen;			 /**< PORT_* kinds: incarnation of the member on
					  * 'port' when the event was raised
					  * (vfo_uplink_port_gen), 0: none */
	char name[RTE_DEV_NAME_MAX_LEN]; /**< device name (DEV_*), interface name (KIF_LINK) */
};

struct vfo_events;

/**
 * Creates the event queue and registers the callbacks: device events (hot
 * plug handling and the uevent monitor; where the monitor cannot start,
 * e.g. without netlink access, a warning is logged and removal is still
 * seen through ethdev RMV and link state), ethdev RMV and LSC for every
 * port, and an rtnetlink socket for kernel link events (where it cannot be
 * opened, a warning; link state is then polled).  Returns NULL with
 * rte_errno set on failure.
 */
struct vfo_events *vfo_events_start(void);

/** Returns the file descriptor that becomes readable when events wait. */
int vfo_events_fd(const struct vfo_events *q);

/** Takes the oldest waiting event into 'ev'.  Returns false when none. */
bool vfo_events_pop(struct vfo_events *q, struct vfo_raw_event *ev);

/** Events dropped because the queue was full (never expected). */
uint64_t vfo_events_dropped(const struct vfo_events *q);

/** Unregisters the callbacks, stops the monitor and frees 'q'.  NULL: no-op. */
void vfo_events_stop(struct vfo_events *q);

#endif /* VFO_EVENTS_H */
