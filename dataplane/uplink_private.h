/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink_private.h — what uplink.c, uplink_member.c and port_worker.c
 * share: member bring-up and release, view publishing and its grace
 * periods, the port worker.  Control side; call with the uplink lock held
 * where noted.
 */
#ifndef VFO_UPLINK_PRIVATE_H
#define VFO_UPLINK_PRIVATE_H

#include "vfo_errf.h"
#include "vfo_uplink.h"

/**
 * A job of the port worker (port_worker.c): bringing a member up (probe,
 * configure, start, MAC) or tearing it down (stop, close, remove), work
 * that may block inside a PMD.
 */
struct uplink_job {
	void (*run)(struct uplink_job *j); /**< the work, on the worker */
	bool bring_up;			   /**< a bring-up (else a tear-down) */
	struct uplink_job *next;	   /**< queue link (worker's lock) */
	bool done;			   /**< run() returned (worker's lock) */
	uint64_t submitted_us;		   /**< CLOCK_MONOTONIC µs of the submit */
	struct vfo_uplink *u;		   /**< the uplink (its params only, on the worker) */
	enum vfo_member_id id;		   /**< which member */
	struct vfo_member m;		   /**< bring-up: the member being built; tear-down:
					    * the port and device to remove */
	int ret;			   /**< bring-up: 0, or -1 with 'err' */
	char err[512];			   /**< bring-up: why it failed */
};

/**
 * Queues 'j' on the port worker (started at the first job).  Returns 0, or
 * a negative errno when the worker cannot start (the job is not queued).
 */
int uplink__job_submit(struct uplink_job *j);

/**
 * Waits until 'j' is done or CLOCK_MONOTONIC reaches 'deadline_us'.
 * Returns 0 (done) or -ETIMEDOUT (it stays queued or running).
 */
int uplink__job_wait(struct uplink_job *j, uint64_t deadline_us);

/** Returns true when 'j' is done. */
bool uplink__job_done(struct uplink_job *j);

/**
 * Probes member 'm' of uplink 'u' (playing member 'id') from m->devargs
 * (unless EAL already did) and finds its one ethdev port.  Fills m's port,
 * device and socket.  Returns 0, or -1 with 'err' set.  Reads only u's
 * settings: any thread.
 */
int uplink__member_probe(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
			 char *err, size_t errlen);

/**
 * Configures member 'm' with the uplink's settings (queues, RSS,
 * descriptors, MTU, VLAN filters, promiscuous and all-multicast modes) and
 * starts it; a setting the PMD refuses is logged, not fatal (the member
 * comes back as it was first brought up).  Returns 0, or -1 with 'err'
 * naming the port.  Reads only u's settings: any thread.
 */
int uplink__member_start(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
			 char *err, size_t errlen);

/** Programs the uplink MAC on member 'm'; a refusal is logged, not fatal.  Any thread. */
void uplink__member_set_mac(const struct vfo_uplink *u, enum vfo_member_id id,
			    struct vfo_member *m);

/** Stops, closes and removes the port and device of 'm', if any.  Any thread. */
void uplink__member_teardown(const struct vfo_uplink *u, enum vfo_member_id id,
			     struct vfo_member *m);

/** Returns a new member incarnation (never 0). */
uint32_t uplink__new_gen(void);

/** Records that ethdev port 'port' now belongs to incarnation 'gen' (0: none). */
void uplink__port_gen_set(uint16_t port, uint32_t gen);

/** Adds member 'id''s PMD counters (bytes, drops) to the uplink's kept totals. */
void uplink__member_keep_counters(struct vfo_uplink *u, enum vfo_member_id id)
	VFO_REQUIRES(u->lock);

/**
 * Publishes a view in which every started member whose link came up is
 * polled (active first) and 'active' (-1: none) transmits, and starts its
 * grace period.  Returns 0, or -EBUSY (nothing published) when the grace
 * period of the previous view is not over yet.
 */
int uplink__publish_view(struct vfo_uplink *u, int active) VFO_REQUIRES(u->lock);

/**
 * Returns true when the grace period of the last published view is over
 * (noting it), or there is none.  Call with the lock held, or on the
 * control thread.
 */
bool uplink__grace_over(struct vfo_uplink *u);

/**
 * Waits, at most params.grace_timeout_us, for the grace period of the last
 * published view.  Returns 0 or -ETIMEDOUT.  Call without the lock.
 */
int uplink__wait_grace(struct vfo_uplink *u) VFO_EXCLUDES(u->lock);

/** Sums member 'id''s packet counters over every queue into *rx and *tx. */
void uplink__member_pkts(const struct vfo_uplink *u, enum vfo_member_id id, uint64_t *rx,
			 uint64_t *tx);

/** Returns params.NAME, or DEFAULT when it is 0. */
#define UPLINK_PARAM(u, name, def) ((u)->params.name != 0 ? (u)->params.name : (def))

/**
 * Waits until no worker that sleeps while idle still has a member left out
 * of the current view registered for RX interrupts (after
 * uplink__wait_grace(), before that member's port is stopped).
 */
void uplink__wait_sleepers(struct vfo_uplink *u);

/** Wakes the workers that sleep while idle (the uplink's sleepers), if any. */
void uplink__wake_workers(const struct vfo_uplink *u);

/**
 * Returns true when members are to be configured with RX interrupts
 * (intr_conf.rxq): the uplink's yield mode uses them.
 */
bool uplink__yield_wants_intr(const struct vfo_uplink *u);

/**
 * Sets member 'm' of 'u' up for DPDK's power management (PAUSE) on every RX
 * queue, with the lcore that polls it.  Call after the queues are set up and
 * before the port starts.  Returns 0, or a negative errno (m->yield_note
 * says why; the member stays busy polled).  The port worker (on its copy of
 * the member) or the uplink's creator.
 */
int uplink__yield_pmgmt_enable(const struct vfo_uplink *u, struct vfo_member *m);

/**
 * Decides, once member 'id' ('m', the port worker's copy or the uplink's
 * own) has started, how it lets idle workers yield:
 * RX interrupts if it was configured with them ('intr') and every RX queue
 * has them; otherwise, with yield AUTO, PAUSE (the port is stopped, set up
 * for it and started again); otherwise busy.  Fills m->yield, m->wake and
 * m->yield_note.  Returns 0, or -1 with 'err' when the port does not start
 * again.
 */
int uplink__yield_classify(const struct vfo_uplink *u, enum vfo_member_id id, struct vfo_member *m,
			   bool intr, char *err, size_t errlen);

/** Undoes uplink__yield_pmgmt_enable() on stopped member 'm'. */
void uplink__yield_release(const struct vfo_uplink *u, struct vfo_member *m);

/**
 * Writes into 'm' a broadcast ARP-format frame (60 B) of EtherType 'type'
 * and opcode 'op' from 'mac', with sender / target protocol addresses 'sip'
 * / 'tip' (host order) and target hardware address 'tha'.
 */
void uplink__build_arp(struct rte_mbuf *m, uint16_t type, uint16_t op,
		       const struct rte_ether_addr *mac, uint32_t sip, uint32_t tip,
		       const struct rte_ether_addr *tha);

/**
 * Writes into 'm' an unsolicited Neighbor Advertisement (86 B) from 'mac'
 * for the IPv6 address 'addr' (network order): to ff02::1 from 'addr', hop
 * limit 255, override flag set, target 'addr', Target Link-Layer Address
 * option 'mac', ICMPv6 checksum filled in.
 */
void uplink__build_na(struct rte_mbuf *m, const struct rte_ether_addr *mac, const uint8_t addr[16]);

#endif /* VFO_UPLINK_PRIVATE_H */
