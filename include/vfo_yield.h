/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_yield.h — polling that yields when idle: what a forwarding lcore does
 * when its queues stay empty (--idle-yield), and how each member can let it.
 *
 * Two mechanisms, both DPDK's own:
 *   - RX interrupts (rte_eth_dev_rx_intr_*, as examples/l3fwd-power does):
 *     an lcore whose every polled member has them arms them and sleeps in
 *     epoll until a packet, a kick from the control side or a timeout; the
 *     CPU is given back to the kernel (or, in a guest, the vCPU halts).
 *   - DPDK's ethdev power management (rte_power_ethdev_pmgmt_queue_enable,
 *     PAUSE): after empty polls, each empty poll of the member waits in
 *     TPAUSE (CPUs with WAITPKG) or an rte_pause() loop: less power, but the
 *     thread still runs, so the kernel sees the CPU as busy.  MONITOR needs
 *     CPU monitor support and the same mode on every queue of an lcore;
 *     SCALE needs cpufreq: neither is offered (see docs/many-guests.md).
 * A member that supports neither keeps busy polling.
 *
 * Thread-safety: the mode of a member is set by the control side when the
 * member starts, under the uplink lock, and published to the lcores in the
 * uplink's view (vfo_uplink_view.rx_wake).
 */
#ifndef VFO_YIELD_H
#define VFO_YIELD_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What forwarding lcores do when their queues are empty (--idle-yield). */
enum vfo_yield_mode {
	VFO_YIELD_OFF = 0,	 /**< busy poll (the default, as testpmd) */
	VFO_YIELD_INTERRUPT = 1, /**< sleep on RX interrupts where every member has them */
	VFO_YIELD_PAUSE = 2,	 /**< DPDK power management PAUSE on every member */
	VFO_YIELD_AUTO = 3,	 /**< interrupts where a member has them, PAUSE elsewhere */
};

/** How one member lets its lcores idle (its "yield" in status). */
enum vfo_member_yield {
	VFO_MEMBER_YIELD_BUSY = 0,	/**< busy polled */
	VFO_MEMBER_YIELD_INTERRUPT = 1, /**< RX interrupts wake a sleeping lcore */
	VFO_MEMBER_YIELD_PAUSE = 2,	/**< DPDK power management PAUSE on its queues */
};

/** Default of --idle-yield-us: how long (µs) every queue of an lcore must
 * stay empty before it sleeps. */
#define VFO_YIELD_AFTER_US_DEF 200
/** How long an lcore sleeps at most before it polls again anyway (ms): the
 * first sleep after traffic, which bounds the damage of an interrupt that
 * never comes.  Each sleep that ends by this timeout with nothing waiting
 * doubles it, up to VFO_YIELD_MAX_SLEEP_MS; a packet brings it back. */
#define VFO_YIELD_MIN_SLEEP_MS 10
/** The longest an idle lcore sleeps between two polls (ms). */
#define VFO_YIELD_MAX_SLEEP_MS 160

/** Returns true when mode 'm' lets lcores sleep on RX interrupts. */
static inline bool
vfo_yield_uses_intr(enum vfo_yield_mode m)
{
	return m == VFO_YIELD_INTERRUPT || m == VFO_YIELD_AUTO;
}

/** Returns "off", "interrupt", "pause" or "auto" ("?" when out of range). */
const char *vfo_yield_mode_name(enum vfo_yield_mode m);

/** Sets *m to the mode named 's'.  Returns 0, or -1 for an unknown name. */
int vfo_yield_mode_parse(const char *s, enum vfo_yield_mode *m);

/** Returns "busy", "interrupt" or "pause". */
const char *vfo_member_yield_name(enum vfo_member_yield y);

#ifdef __cplusplus
}
#endif

#endif /* VFO_YIELD_H */
