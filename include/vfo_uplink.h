/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_uplink.h — the public API of an uplink.
 *
 * An uplink is one logical port made of two members: the SR-IOV VF (fast,
 * cannot be migrated) and a virtio-net backup (slower, survives migration).
 * Both members present the uplink's MAC.  An application polls RX on both
 * members of an uplink and transmits on the uplink's active member:
 *
 *     n = vfo_uplink_rx_burst(u, q, pkts, 32);
 *     ...
 *     sent = vfo_uplink_tx_burst(u, q, pkts, n);
 *
 * Thread-safety
 *   - Fast path (vfo_uplink_rx_burst, vfo_uplink_tx_burst, vfo_txbuf_*):
 *     lock-free.  Queue q of an uplink must be used by one thread at a time.
 *     Each such thread must be registered with the uplink's RCU variable
 *     (rte_rcu_qsbr_thread_register + _online) and report a quiescent state
 *     (rte_rcu_qsbr_quiescent) between bursts, when it holds no reference to
 *     the view it read: that is what lets the control side swap the active
 *     member and then know that no worker still uses the old one.
 *   - Control side (everything else): callers serialise through
 *     vfo_uplink_lock()/vfo_uplink_unlock(); the functions here that change
 *     state take the lock themselves unless their comment says otherwise
 *     (VFO_EXCLUDES / VFO_REQUIRES, checked by clang -Wthread-safety).
 *
 * Who writes what (struct vfo_uplink):
 *   - params, mac, nb_queues, flows, tx_retry_tsc: vfo_uplink_create(),
 *     read-only afterwards.
 *   - member[], views[], active, gone[]: the control thread only, with the
 *     lock held.  Being the only writer, the control thread also reads them
 *     without the lock (the failover engine, its port actions); any other
 *     thread (rte_telemetry's, through the status JSON) reads them with the
 *     lock held.  The lcores never read them.
 *   - view: the control thread publishes a new one (release store, lock
 *     held) and waits for an RCU grace period before it reuses the old
 *     one; the lcores load it (acquire) and use it until their next
 *     quiescent state (QSBR).
 *   - qstats[q]: the lcore that owns queue q only (plain stores); the
 *     control thread sums them with atomic loads (vfo_uplink_stats_get).
 *   - ctl_pkts / ctl_n, probe_pkt[]: one-slot mailboxes from the control
 *     thread to the lcore of queue 0 (see there); probe_unsent: that lcore
 *     adds atomically, the control thread reads.
 */
#ifndef VFO_UPLINK_H
#define VFO_UPLINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_rcu_qsbr.h>

#include "vfo_counter.h"
#include "vfo_tsan.h"
#include "vfo_tsa.h"
#include "vfo_yield.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Members of an uplink, in order of preference. */
enum vfo_member_id {
	VFO_MEMBER_VF = 0,     /**< the SR-IOV VF (or a stand-in) */
	VFO_MEMBER_BACKUP = 1, /**< the virtio-net fallback */
	VFO_MEMBER_COUNT = 2,
};

/** Port id meaning "no port". */
#define VFO_PORT_NONE UINT16_MAX
/** Longest devargs string kept for a member (with its NUL). */
#define VFO_DEVARGS_MAX 512
/** Longest uplink name (with its NUL). */
#define VFO_NAME_MAX 32
/** Most uplinks one application runs. */
#define VFO_MAX_UPLINKS 2
/** Most queues per member. */
#define VFO_MAX_QUEUES 16
/** Most frames the control thread hands the workers at once. */
#define VFO_CTL_PKTS_MAX 4
/** Most VLAN filters an uplink programs on its members. */
#define VFO_MAX_VLANS 8
/** Default of vfo_uplink_params.grace_timeout_us (µs). */
#define VFO_GRACE_TIMEOUT_US 1000000
/** Default of vfo_uplink_params.member_timeout_us (µs). */
#define VFO_MEMBER_TIMEOUT_US 5000000
/** Default of vfo_uplink_params.tx_drain_us (µs). */
#define VFO_TX_DRAIN_US 20000

/** VLAN ids to accept (RX VLAN filter) on every member. */
struct vfo_vlan_list {
	uint16_t n;		    /**< entries in id[] */
	uint16_t id[VFO_MAX_VLANS]; /**< 1..4094 */
};

struct vfo_uplink;

/**
 * The forwarder's hooks for workers that sleep while idle (vfo_yield.h);
 * NULL functions: no worker sleeps.  Called by the control side.
 */
struct vfo_uplink_sleepers {
	/** Wakes every sleeping worker, so that it sees what changed: called
	 * after a view is published and after frames are left for the worker of
	 * queue 0 (announcements, path probes). */
	void (*wake)(void *arg);
	/** Returns once no worker still has a member that is not in view
	 * generation 'gen' of 'u' registered for RX interrupts: called after
	 * the grace period and before such a member's port is stopped. */
	void (*sync)(void *arg, const struct vfo_uplink *u, uint32_t gen);
	void *arg; /**< their argument */
};

/** Settings of an uplink, filled by the caller of vfo_uplink_create(). */
struct vfo_uplink_params {
	char name[VFO_NAME_MAX];			 /**< e.g. "u0" */
	char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX]; /**< how to probe each member */
	bool has_mac;		    /**< true: use mac; false: take the backup's MAC */
	struct rte_ether_addr mac;  /**< the uplink MAC when has_mac */
	uint16_t nb_rxq;	    /**< RX queues per member (RSS when > 1) */
	uint16_t nb_txq;	    /**< TX queues per member */
	uint16_t nb_rxd;	    /**< RX descriptors per queue */
	uint16_t nb_txd;	    /**< TX descriptors per queue */
	bool promisc;		    /**< put both members in promiscuous mode */
	bool allmulti;		    /**< put both members in all-multicast mode */
	uint16_t mtu;		    /**< MTU to set on both members, 0: the PMD's default */
	struct vfo_vlan_list vlans; /**< VLAN filters to program on both members */
	uint32_t ipv4;		    /**< the uplink's IPv4 address (host order), 0: none */
	bool has_ipv6;		    /**< ipv6 holds the uplink's IPv6 address */
	uint8_t ipv6[16];	    /**< the uplink's IPv6 address (network order) */
	uint32_t arp_target;	    /**< path liveness: IPv4 (host order) whose ARP replies
				     * the liveness loop consumes and counts, 0: none */
	uint32_t max_flows;	    /**< flow table size per queue, 0: no flow table */
	uint32_t tx_retry_us;	    /**< how long the fast path retries a TX ring that
				     * refuses packets before freeing them, 0: never */
	struct rte_rcu_qsbr *qsbr;  /**< RCU variable the workers report to */
	enum vfo_yield_mode yield;  /**< what members are set up for (--idle-yield) */
	/** lcore id of the worker that polls each RX queue (for DPDK's power
	 * management, yield PAUSE or AUTO) */
	unsigned int queue_lcore[VFO_MAX_QUEUES];
	struct vfo_uplink_sleepers sleepers; /**< workers that sleep, if any */
	uint64_t grace_timeout_us;	     /**< longest wait for the workers' grace period after
					      * a new view (0: VFO_GRACE_TIMEOUT_US) */
	uint64_t member_timeout_us;	     /**< longest wait for a member's probe, configure and
					      * start, or stop, close and remove, in the port
					      * worker (0: VFO_MEMBER_TIMEOUT_US) */
	uint64_t tx_drain_us;		     /**< members whose PMD cannot tell when the peer took
					      * a packet (memif, virtio, net_ring): how long a
					      * release leaves their TX ring to the peer
					      * (0: VFO_TX_DRAIN_US) */
	/** Returns the mbuf pool for a NUMA socket (creating it if needed). */
	struct rte_mempool *(*pool_for_socket)(int socket, void *arg);
	void *pool_arg; /**< argument for pool_for_socket */
};

/**
 * Counters of one member.  Packets are counted by the fast path per queue
 * (written by one thread only); bytes come from the PMD's own counters
 * (rte_eth_stats), filled in by vfo_uplink_stats_get(), 0 where the PMD does
 * not count bytes: counting them per packet would cost the fast path a read
 * of every mbuf.
 */
struct vfo_member_counters {
	uint64_t rx_pkts;  /**< packets received */
	uint64_t rx_bytes; /**< bytes received (PMD counter) */
	uint64_t tx_pkts;  /**< packets accepted by the PMD */
	uint64_t tx_bytes; /**< bytes sent (PMD counter) */
};

/**
 * Counters of one queue of an uplink.  Queue q is served by one thread, so
 * these are "per lcore": written without atomics on the fast path, summed by
 * vfo_uplink_stats_get() off it.
 */
struct vfo_queue_stats {
	struct vfo_member_counters member[VFO_MEMBER_COUNT]; /**< per member */
	uint64_t drop_tx_full;	 /**< freed: the active member's TX ring was full */
	uint64_t drop_no_member; /**< freed: the uplink had no active member */
	uint64_t tx_retried;	 /**< sent by a retry (params.tx_retry_us) after a refusal */
	/** ARP replies from params.arp_target, consumed by the liveness loop */
	uint64_t path_replies[VFO_MEMBER_COUNT];
	uint32_t rx_credit; /**< RX calls left before the other member goes first */
} __rte_cache_aligned;

/**
 * What the workers see of an uplink: immutable once published.  The control
 * side writes a new view and publishes it with a release store, then waits
 * for an RCU grace period before reusing the old one.
 */
struct vfo_uplink_view {
	uint16_t rx_port[VFO_MEMBER_COUNT];  /**< ports polled for RX, active first */
	uint8_t rx_member[VFO_MEMBER_COUNT]; /**< member id of each rx_port[] */
	uint8_t nb_rx;			     /**< valid entries in rx_port[] */
	uint8_t tx_member;		     /**< active member (if tx_port valid) */
	uint16_t tx_port;		     /**< active member's port or VFO_PORT_NONE */
	/** true: the VF transmits and the backup is polled after it, so a
	 * forwarder may poll the backup less while it delivers nothing (see
	 * vfo_view_rx_others); false: poll every member every turn (the backup
	 * transmits, a switch is under way, or no member does). */
	bool others_idle_ok;
	/** per rx_port[]: VFO_VIEW_WAKE_* flags, how that member wakes a
	 * sleeping worker (0: it cannot) */
	uint8_t rx_wake[VFO_MEMBER_COUNT];
	/** every rx_port[] can wake a sleeping worker (true with none) */
	bool all_wake;
	uint32_t gen; /**< publication number: a new view has a new one */
	/** the active member's tx_pause_tsc: a burst it refuses is offered
	 * again at least this long (slow path only, vfo__tx_refused) */
	uint64_t tx_pause_tsc;
};

/** rx_wake flag: the member's RX interrupts wake a sleeping worker. */
#define VFO_VIEW_WAKE_INTR 1u
/** rx_wake flag: they need no arming (the queue's fd is readable while
 * frames wait: net_tap, whose PMD has no rx_queue_intr_enable). */
#define VFO_VIEW_WAKE_NO_ARM 2u

/**
 * What releasing a member found (vfo_uplink_member_detach, vfo_uplink_poll).
 * A member's TX is complete when its PMD says every packet handed to it has
 * left: hardware PMDs count transmitted packets (their opackets), and
 * net_tap, net_af_packet and net_vhost hand a packet to their peer when they
 * take it.  memif, virtio (virtio_user, virtio-pci) and net_ring only put
 * it in a ring the peer reads, and cannot tell when the peer has: their TX
 * ring is left to the peer for tx_drain_us, and what it still held then is
 * unknown ('exact' false).
 */
struct vfo_release {
	bool done;	     /**< released; false: still leaving (see 'why'), finished
			      * by a later vfo_uplink_poll() */
	bool exact;	     /**< 'lost' is what the member's rings held; false: its PMD
			      * cannot tell what its peer had not taken yet ('note') */
	uint64_t lost;	     /**< packets handed to its TX and not sent, plus packets
			      * waiting in its RX queues, as far as its PMD tells */
	uint64_t tx_wait_us; /**< how long TX completion was waited for */
	char note[128];	     /**< what its PMD could not tell, or "" */
	char why[128];	     /**< not done: what the release waits for; else "" */
};

struct uplink_job;

/*
 * Returns how long the PMD named 'driver' (rte_eth_dev_info.driver_name) may
 * refuse every TX burst while it pauses its own queues, in µs, 0 for PMDs
 * that never do.  DPDK 22.11's virtio PMD (net_virtio) does after each
 * migration: asked by QEMU to announce the guest (VIRTIO_NET_S_ANNOUNCE),
 * its interrupt handler stops the queues, busy-waits 1 ms, sends a RARP and
 * starts them again, and meanwhile TX takes nothing.  The bound given adds
 * the time the interrupt thread may wait for a vCPU that the worker shares.
 * vfailover leaves that handler out where it can (no LSC interrupt on
 * net_virtio members, uplink_member.c); it comes back with RX interrupts,
 * and the bound stays for that case.  Thread-safe.
 */
uint32_t vfo_pmd_tx_pause_us(const char *driver);

/** A member's control-side state (guarded by the uplink lock). */
struct vfo_member {
	char devargs[VFO_DEVARGS_MAX];	     /**< devargs it was probed from */
	char dev_name[RTE_DEV_NAME_MAX_LEN]; /**< rte_device name, for status */
	struct rte_device *dev;		     /**< the probed device, for rte_dev_remove() */
	uint16_t port_id;		     /**< ethdev port, VFO_PORT_NONE when absent */
	bool started;			     /**< rte_eth_dev_start() succeeded */
	bool mac_set;			     /**< uplink MAC programmed as its default */
	bool vlan_filter;		     /**< params.vlans programmed (the PMD filters) */
	struct rte_ether_addr port_mac;	     /**< MAC the port reports now */
	int socket;			     /**< NUMA socket of the port */
	bool leaving;			     /**< being detached: left out of new views */
	uint64_t tx_base;		     /**< tx_pkts of this member when it was attached */
	uint32_t gen;			     /**< incarnation: a new process-wide value at each
					      * probe, 0: none (vfo_uplink_port_gen) */
	bool rx_ready;			     /**< its link was seen up: views poll it for RX */
	struct uplink_job *job;		     /**< bring-up or tear-down running in the port
					      * worker, NULL: none (readers then leave the
					      * port alone) */
	uint8_t leave_stage;		     /**< while leaving: what its release waits for */
	struct vfo_release rel;		     /**< while leaving: what the release found so far */
	char kif[RTE_ETH_NAME_MAX_LEN];	     /**< kernel interface behind the port (net_tap,
					      * net_af_packet), "": none; its carrier
					      * counts in the link state */
	enum vfo_member_yield yield;	     /**< how it lets idle workers yield */
	uint8_t wake;			     /**< VFO_VIEW_WAKE_* flags for the view */
	char yield_note[128];		     /**< why it has that mode, for status */
	uint64_t tx_pause_tsc;		     /**< TSC cycles its PMD may refuse TX while it pauses
					      * its own queues (vfo_pmd_tx_pause_us), 0: never */
};

/** An uplink.  Created by vfo_uplink_create(), freed by vfo_uplink_destroy(). */
struct vfo_uplink {
	/* Read by the fast path. */
	struct vfo_uplink_view *view; /**< published view (RCU) */
	/** Counters per queue (first nb_queues used), inline: one load less per burst. */
	struct vfo_queue_stats qstats[VFO_MAX_QUEUES];
	uint64_t tx_retry_tsc; /**< params.tx_retry_us in TSC cycles (slow path only) */
	/* Set by vfo_uplink_create(), read-only afterwards. */
	struct vfo_uplink_params params; /**< settings it was created with */
	struct rte_ether_addr mac;	 /**< the uplink MAC */
	uint16_t nb_queues;		 /**< entries in qstats */
	/** Flow table (params.max_flows > 0), owned by the uplink, not a port,
	 * so flows keep their counters across any number of switches. */
	struct vfo_flow_table *flows;
	/* Control side (see "Who writes what" above): written by the control
	 * thread with 'lock' held; read by it with or without the lock, by any
	 * other thread with the lock. */
	struct vfo_mutex lock;			    /**< serialises control changes */
	struct vfo_uplink_view views[2];	    /**< storage the view points into */
	struct vfo_member member[VFO_MEMBER_COUNT]; /**< VF and backup */
	int active;				    /**< member TX should use, -1: none */
	uint64_t grace_token; /**< rte_rcu_qsbr_start() token taken after the last publish */
	bool grace_pending;   /**< that grace period is not known to be over: the other
			       * view slot may still be read, so nothing is published */
	/** PMD counters of member incarnations already removed (bytes, drops). */
	struct vfo_member_pmd {
		uint64_t rx_bytes, tx_bytes, rx_missed, rx_nombuf, rx_errors, tx_errors;
	} gone[VFO_MEMBER_COUNT];
	/*
	 * Control-to-worker mailbox: frames the control thread wants sent on the
	 * active member (announcements).  The control thread fills ctl_pkts when
	 * ctl_n is 0 and publishes ctl_n; the thread owning queue 0 sends them in
	 * vfo_uplink_ctl_tx() and sets ctl_n back to 0.
	 */
	struct rte_mbuf *ctl_pkts[VFO_CTL_PKTS_MAX]; /**< frames to send */
	uint16_t ctl_n;				     /**< frames waiting (atomic) */
	/*
	 * Path probes: one ARP request per member, sent on that member by the
	 * thread owning queue 0 (vfo_uplink_path_tx); the control thread stores
	 * a frame where the slot is NULL, the worker takes it and stores NULL.
	 */
	struct rte_mbuf *probe_pkt[VFO_MEMBER_COUNT]; /**< probe waiting, or NULL (atomic) */
	uint64_t probe_unsent; /**< probes freed: member not in the view or TX full */
	/** The target's MAC as its last reply on each member gave it (bits
	 * 0-47, VFO_PATH_PEER_KNOWN set once known; atomic: written by the lcore
	 * that consumes the reply, read by the control thread). */
	uint64_t path_peer[VFO_MEMBER_COUNT];
	/** Control thread only: the member's reply count when its last probe
	 * was built (a probe goes unicast only when the one before was answered). */
	uint64_t probe_replies_at[VFO_MEMBER_COUNT];
	/** TSC until which the forwarder looks for the path check's replies
	 * (atomic): set by vfo__path_tx() to VFO_PATH_REPLY_WINDOW_US after it
	 * sends a probe, read once per batch by every lcore. */
	uint64_t path_until_tsc;
	uint64_t path_window_tsc; /**< VFO_PATH_REPLY_WINDOW_US in TSC cycles */
};

/** Set in vfo_uplink.path_peer[] once the target's MAC is known. */
#define VFO_PATH_PEER_KNOWN (UINT64_C(1) << 63)

/** How long after a path probe the forwarder consumes the target's ARP
 * replies (µs); a reply later than that is forwarded like any packet and
 * the probe counts as unanswered. */
#define VFO_PATH_REPLY_WINDOW_US 20000

/** Totals of an uplink, summed over its queues. */
struct vfo_uplink_stats {
	struct vfo_member_counters member[VFO_MEMBER_COUNT]; /**< per member */
	uint64_t drop_tx_full;				     /**< see vfo_queue_stats */
	uint64_t drop_no_member;			     /**< see vfo_queue_stats */
	uint64_t tx_retried;				     /**< see vfo_queue_stats */
	/** PMD counters of each member (zero when absent): */
	uint64_t rx_missed[VFO_MEMBER_COUNT]; /**< imissed: RX ring full */
	uint64_t rx_nombuf[VFO_MEMBER_COUNT]; /**< no mbuf for RX */
	uint64_t rx_errors[VFO_MEMBER_COUNT]; /**< ierrors */
	uint64_t tx_errors[VFO_MEMBER_COUNT]; /**< oerrors */
};

/** Returns "vf" or "backup". */
const char *vfo_member_name(enum vfo_member_id id);

/**
 * Probes both members from their devargs, configures (queues, RSS, MAC,
 * promiscuous mode) and starts them, VF active.  Members are brought up one
 * after the other, VF first.
 *
 * Returns the uplink, or NULL with 'err' (of 'errlen' bytes) saying which
 * member failed and why; nothing is left probed or started on failure.
 */
struct vfo_uplink *vfo_uplink_create(const struct vfo_uplink_params *p, char *err, size_t errlen);

/**
 * Stops, closes and removes both members and frees the uplink.  The caller
 * must have stopped every worker using it.  A member whose bring-up or
 * tear-down is still in the port worker (its PMD has not returned) is left
 * to it, and the uplink is then not freed (the job reads its settings when
 * it ends).  NULL is a no-op.
 */
void vfo_uplink_destroy(struct vfo_uplink *u) VFO_EXCLUDES(u->lock);

/** Takes the uplink's control lock. */
void vfo_uplink_lock(struct vfo_uplink *u) VFO_ACQUIRES(u->lock);
/** Releases the uplink's control lock. */
void vfo_uplink_unlock(struct vfo_uplink *u) VFO_RELEASES(u->lock);

/**
 * Makes 'id' the active member (TX goes there; RX keeps being polled on every
 * member whose link came up; -1: no member transmits, packets are dropped and
 * counted) and waits, at most params.grace_timeout_us, for the workers' RCU
 * grace period, so that on return no worker transmits on the previous member
 * any more.  A view is never published while the grace period of the one
 * before is not over (a worker may still read the slot it would overwrite):
 * that is waited for first, with the same bound.  Must not be called from a
 * registered worker.  Returns 0; -ENODEV when 'id' is not started;
 * -EBUSY when the previous grace period did not end in time (nothing
 * changed); -ETIMEDOUT when the new view is published but its grace period
 * did not end in time (a stalled worker may still send on the previous
 * member; vfo_uplink_poll() sees it end).  Takes the lock, never while it
 * waits.
 */
int vfo_uplink_set_active(struct vfo_uplink *u, int id) VFO_EXCLUDES(u->lock);

/**
 * Brings member 'id' back: probes it from 'devargs' (NULL or "": the devargs
 * it had), replays the uplink's configuration (queues, RSS, descriptors,
 * MTU, VLAN filters, promiscuous and all-multicast modes, MAC) and starts
 * it, in the port worker, waiting at most params.member_timeout_us.  The
 * member joins the RX view once its link is up (vfo_uplink_poll), not
 * before; TX stays where it is.  Returns 0; -EEXIST when the member is
 * present; -EBUSY when an earlier bring-up or tear-down of this member is
 * still running in its PMD; -ETIMEDOUT when the bring-up did not finish in
 * time (it goes on in the worker and is torn down once it does); -ENODEV
 * when it failed (nothing left probed).  'err' says why.  The member's
 * devargs change only when it comes up from new ones.  Takes the lock,
 * never while it waits.
 */
int vfo_uplink_member_attach(struct vfo_uplink *u, enum vfo_member_id id, const char *devargs,
			     char *err, size_t errlen) VFO_EXCLUDES(u->lock);

/**
 * Releases member 'id': leaves it out of the view (TX moves to none if it
 * was active), waits for the grace period (bounded, as in
 * vfo_uplink_set_active), lets its TX complete (see struct vfo_release),
 * then stops, closes and removes its device in the port worker (bounded by
 * params.member_timeout_us), keeping its PMD counters in the uplink's
 * totals.  Fills 'rel'.  Returns 0 when released; -EINPROGRESS when a bound
 * was reached: the member stays out of the views, absent for
 * vfo_member_present(), and a later vfo_uplink_poll() finishes the release;
 * -ENOENT when it was absent.  Takes the lock, never while it waits.
 */
int vfo_uplink_member_detach(struct vfo_uplink *u, enum vfo_member_id id, struct vfo_release *rel)
	VFO_EXCLUDES(u->lock);

/**
 * The uplink's background work, to call now and then (every failover tick)
 * from the thread that changes it: notes a grace period that ended; puts a
 * member whose link came up into the RX view; finishes releases that
 * vfo_uplink_member_detach() left pending (rel[id] filled, bit 'id' of the
 * result set); tears down a bring-up that outlasted its attach.  Never
 * waits longer than one bounded step of a release.  Takes the lock.
 */
unsigned int vfo_uplink_poll(struct vfo_uplink *u, struct vfo_release rel[VFO_MEMBER_COUNT])
	VFO_EXCLUDES(u->lock);

/**
 * Returns the incarnation (struct vfo_member.gen) of the member on ethdev
 * port 'port' now, 0 when no member has that port.  Any thread: the event
 * callbacks stamp port events with it, so that an event of a released
 * member is not taken for one of the member that got its port id next.
 */
uint32_t vfo_uplink_port_gen(uint16_t port);

/**
 * Returns true when member 'id' is present, started and has link; for a
 * member backed by a kernel interface (net_tap, net_af_packet, which report
 * link up whatever the wire does), that interface must have carrier too.
 */
bool vfo_uplink_member_link_up(struct vfo_uplink *u, enum vfo_member_id id) VFO_EXCLUDES(u->lock);

/**
 * Returns true when member 'id' is started and its PMD tells when a packet
 * it took for TX has left (a NIC's counter, a peer that has it once taken);
 * false for a ring its peer reads when it runs (memif, virtio), or when
 * the member is absent.
 */
bool vfo_uplink_member_tx_done_known(struct vfo_uplink *u, enum vfo_member_id id)
	VFO_EXCLUDES(u->lock);

/** Returns true when kernel interface 'kif' has carrier (/sys/class/net/KIF/carrier). */
bool vfo_uplink_kernel_carrier(const char *kif);

/**
 * Path liveness: hands an ARP request for 'target' (host order), from the
 * uplink MAC (and --ip, else 0.0.0.0 as in an ARP probe), to the thread
 * owning queue 0, which sends it on member 'id' (vfo_uplink_path_tx).  The
 * request is unicast to the MAC the target answered from on that member
 * when the previous probe there was answered (as Linux's neighbour
 * reachability probes: no broadcast flooded to every port of the segment
 * each interval, such as the idle tap of a VM's migration destination,
 * whose queue QEMU does not read until the VM runs there); else broadcast.
 * Control thread only.  Returns 0, -EBUSY when the previous probe is still
 * waiting, -ENOMEM.
 */
int vfo_uplink_probe(struct vfo_uplink *u, enum vfo_member_id id, uint32_t target);

/** Returns the ARP replies from params.arp_target received on member 'id' (every queue). */
uint64_t vfo_uplink_member_path_replies(const struct vfo_uplink *u, enum vfo_member_id id);

/** Returns a mark of the workers' progress now (an RCU token; 0 without workers). */
uint64_t vfo_uplink_poll_mark(struct vfo_uplink *u);

/**
 * Returns true when every registered worker has passed a quiescent state
 * since vfo_uplink_poll_mark() returned 'mark', so has polled all its
 * queues again since (true without workers).
 */
bool vfo_uplink_polled_since(struct vfo_uplink *u, uint64_t mark);

/** Returns the packets received on member 'id' so far (every queue). */
uint64_t vfo_uplink_member_rx_pkts(const struct vfo_uplink *u, enum vfo_member_id id);

/**
 * Announces the uplink MAC on the active member: a RARP frame, a gratuitous
 * ARP when the uplink has an IPv4 address and an unsolicited Neighbor
 * Advertisement when it has an IPv6 address, handed to the thread that owns
 * queue 0 (see vfo_uplink_ctl_tx).  Returns the frames queued, or
 * a negative errno (-EBUSY: the previous announcement is still waiting).
 */
int vfo_uplink_announce(struct vfo_uplink *u);

/**
 * Returns the active member, or -1 when none.  Control side; takes no lock
 * (reads the published view).
 */
int vfo_uplink_active(const struct vfo_uplink *u);

/**
 * Returns true when member 'id' has a port and is not being released.  Call
 * with the lock held, or on the control thread (the only writer of
 * member[]).
 */
static inline bool
vfo_member_present(const struct vfo_uplink *u, enum vfo_member_id id)
{
	return u->member[id].port_id != VFO_PORT_NONE && !u->member[id].leaving;
}

/** Sums the counters of every queue and the members' PMD counters. */
void vfo_uplink_stats_get(struct vfo_uplink *u, struct vfo_uplink_stats *st) VFO_EXCLUDES(u->lock);

/** Clears the uplink's software counters. Call with workers stopped. */
void vfo_uplink_stats_reset(struct vfo_uplink *u);

/* ------------------------------------------------------------------------
 * Fast path.
 */

/** The other member goes first once every this many RX calls. */
#define VFO_RX_OTHERS_FIRST_EVERY 32

/*
 * Every fast-path call exists in two forms: vfo_uplink_*(u, ...) reads the
 * uplink's published view itself; vfo_view_*(u, v, ...) takes a view 'v'
 * that the caller read with vfo_uplink_view() and keeps using until its next
 * RCU quiescent state (a forwarder reads each view once per batch of bursts
 * and saves a dependent load per burst).
 */

/** Returns the uplink's published view (valid until the caller's next quiescent state). */
static __rte_always_inline const struct vfo_uplink_view *
vfo_uplink_view(const struct vfo_uplink *u)
{
	return __atomic_load_n(&u->view, __ATOMIC_ACQUIRE);
}

/* The uncommon cases of vfo_view_rx_burst() (and _live): no member, or the
 * other member's turn to go first.  Out of line, in uplink.c. */
uint16_t vfo__rx_slow(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		      struct rte_mbuf **pkts, uint16_t n);
uint16_t vfo__rx_slow_live(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
			   struct rte_mbuf **pkts, uint16_t n);

/* Frees and counts, in qstats[q].path_replies[member], the ARP replies from
 * params.arp_target among pkts[0..n); returns how many packets are left
 * (compacted).  Out of line, in uplink_path.c. */
uint16_t vfo__path_filter(struct vfo_uplink *u, uint16_t q, uint8_t member, struct rte_mbuf **pkts,
			  uint16_t n);

/* Receives up to 'n' packets from queue 'q' of entry 'i' of view 'v' into
 * 'pkts' and counts them for that member; with 'live' (a constant), ARP
 * replies of the path check are consumed first.  Returns how many are left. */
static __rte_always_inline uint16_t
vfo__rx_member(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint8_t i, uint16_t q,
	       struct rte_mbuf **pkts, uint16_t n, const bool live)
{
	uint16_t nb = rte_eth_rx_burst(v->rx_port[i], q, pkts, n);

	vfo_tsan_acquire_n((void *const *)pkts, nb); /* nothing outside TSan builds */
	if (live && nb != 0)
		nb = vfo__path_filter(u, q, v->rx_member[i], pkts, nb);
	vfo_counter_add(&u->qstats[q].member[v->rx_member[i]].rx_pkts, nb);
	return nb;
}

/* vfo_view_rx_burst() and, with 'live' (a constant), vfo_view_rx_burst_live(). */
static __rte_always_inline uint16_t
vfo__view_rx_burst(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		   struct rte_mbuf **pkts, uint16_t n, const bool live)
{
	uint16_t nb;

	if (unlikely(--u->qstats[q].rx_credit == 0 || v->nb_rx == 0))
		return live ? vfo__rx_slow_live(u, v, q, pkts, n) : vfo__rx_slow(u, v, q, pkts, n);
	nb = vfo__rx_member(u, v, 0, q, pkts, n, live);
	if (nb < n && v->nb_rx > 1)
		nb += vfo__rx_member(u, v, 1, q, pkts + nb, n - nb, live);
	return nb;
}

/**
 * Receives up to 'n' packets from queue 'q' of every member in view 'v' of
 * 'u' into 'pkts'.  The active member is polled first and the other after
 * it while there is room; once every VFO_RX_OTHERS_FIRST_EVERY calls the
 * other goes first, so that a saturated active member cannot starve it.
 * Returns how many were received.
 */
static __rte_always_inline uint16_t
vfo_view_rx_burst(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		  struct rte_mbuf **pkts, uint16_t n)
{
	return vfo__view_rx_burst(u, v, q, pkts, n, false);
}

/**
 * vfo_view_rx_burst() for uplinks with path liveness: the ARP replies of
 * the path check are freed and counted per member (for
 * vfo_uplink_member_path_replies) instead of being returned.
 */
static __rte_always_inline uint16_t
vfo_view_rx_burst_live(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		       struct rte_mbuf **pkts, uint16_t n)
{
	return vfo__view_rx_burst(u, v, q, pkts, n, true);
}

/**
 * Receives up to 'n' packets from queue 'q' of the first member of view 'v'
 * (the active one) only; with 'live' (a constant) the path check's ARP
 * replies are consumed.  The view must poll at least one member (nb_rx > 0).
 * With vfo_view_rx_others(), the parts of vfo_view_rx_burst() for callers
 * that decide per batch of bursts when to poll the other member.
 */
static __rte_always_inline uint16_t
vfo_view_rx_first(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		  struct rte_mbuf **pkts, uint16_t n, const bool live)
{
	return vfo__rx_member(u, v, 0, q, pkts, n, live);
}

/**
 * Receives up to 'n' packets from queue 'q' of every member of view 'v' but
 * the first (the active one), while there is room.  Returns how many.
 *
 * A forwarder must call it at least every VFO_RX_OTHERS_FIRST_EVERY bursts
 * (before polling the active member: fairness), and after every burst of the
 * active member while the view's others_idle_ok is false or the others
 * delivered anything recently; otherwise it may call it less often, as long
 * as what can arrive meanwhile fits the member's RX ring.
 */
static __rte_always_inline uint16_t
vfo_view_rx_others(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		   struct rte_mbuf **pkts, uint16_t n, const bool live)
{
	uint16_t nb = 0;
	uint8_t i;

	for (i = 1; i < v->nb_rx && nb < n; i++)
		nb += vfo__rx_member(u, v, i, q, pkts + nb, n - nb, live);
	return nb;
}

/** vfo_view_rx_burst() on the uplink's current view. */
static __rte_always_inline uint16_t
vfo_uplink_rx_burst(struct vfo_uplink *u, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return vfo_view_rx_burst(u, vfo_uplink_view(u), q, pkts, n);
}

/**
 * Transmits pkts[0..n) on queue 'q' of the active member in view 'v' of
 * 'u'.  Returns how many the PMD accepted; the rest are still the caller's
 * (as with rte_eth_tx_burst).  With no active member, returns 0.
 */
static __rte_always_inline uint16_t
vfo_view_tx_burst(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		  struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	if (unlikely(v->tx_port == VFO_PORT_NONE))
		return 0;
	vfo_tsan_release_n((void *const *)pkts, n);
	sent = rte_eth_tx_burst(v->tx_port, q, pkts, n);
	vfo_counter_add(&u->qstats[q].member[v->tx_member].tx_pkts, sent);
	return sent;
}

/** vfo_view_tx_burst() on the uplink's current view. */
static __rte_always_inline uint16_t
vfo_uplink_tx_burst(struct vfo_uplink *u, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return vfo_view_tx_burst(u, vfo_uplink_view(u), q, pkts, n);
}

/** Most packets a vfo_txbuf holds. */
#define VFO_TXBUF_MAX 512

/**
 * A TX buffer: packets bound for one queue of one uplink, sent when 'size'
 * are waiting or when the owner drains it (vfo_txbuf_flush).  One per
 * (thread, uplink); never shared.
 */
struct vfo_txbuf {
	uint16_t len;			      /**< packets waiting */
	uint16_t size;			      /**< send when this many wait */
	struct rte_mbuf *pkts[VFO_TXBUF_MAX]; /**< the waiting packets */
};

/*
 * Takes pkts[0..n), which the active member of view 'v' did not take: for
 * params.tx_retry_us, or the member's own pause (v->tx_pause_tsc) if longer,
 * offers them again (to whichever member is active by then) until they are
 * sent or that time is up; frees the rest, counting
 * them as drop_no_member when there is no active member, drop_tx_full
 * otherwise.  The slow path of a short burst, out of line.
 */
void vfo__tx_refused(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		     struct rte_mbuf **pkts, uint16_t n);

/**
 * Sends what 'b' holds on queue 'q' of the active member in view 'v'; what
 * it does not accept goes to vfo__tx_refused() (retried for up to
 * params.tx_retry_us, then freed and counted).  Returns the number the first
 * offer sent.
 */
static inline uint16_t
vfo_view_txbuf_flush(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		     struct vfo_txbuf *b)
{
	uint16_t sent;

	if (b->len == 0)
		return 0;
	sent = vfo_view_tx_burst(u, v, q, b->pkts, b->len);
	if (unlikely(sent < b->len))
		vfo__tx_refused(u, v, q, b->pkts + sent, (uint16_t)(b->len - sent));
	b->len = 0;
	return sent;
}

/** vfo_view_txbuf_flush() on the uplink's current view. */
static inline uint16_t
vfo_txbuf_flush(struct vfo_uplink *u, uint16_t q, struct vfo_txbuf *b)
{
	return vfo_view_txbuf_flush(u, vfo_uplink_view(u), q, b);
}

/* The general case of vfo_view_txbuf_add(): copy into 'b', send when full. */
void vfo__txbuf_append(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		       struct vfo_txbuf *b, struct rte_mbuf **pkts, uint16_t n);

/**
 * Appends pkts[0..n) to 'b', sending on the active member of view 'v'
 * whenever it reaches its size.  Every packet is either sent, waiting in
 * 'b', or freed and counted.
 */
static __rte_always_inline void
vfo_view_txbuf_add(struct vfo_uplink *u, const struct vfo_uplink_view *v, uint16_t q,
		   struct vfo_txbuf *b, struct rte_mbuf **pkts, uint16_t n)
{
	if (likely(b->len == 0 && n == b->size)) {
		/* A full burst and nothing waiting: send it from where it is. */
		uint16_t sent = vfo_view_tx_burst(u, v, q, pkts, n);

		if (unlikely(sent < n))
			vfo__tx_refused(u, v, q, pkts + sent, (uint16_t)(n - sent));
		return;
	}
	vfo__txbuf_append(u, v, q, b, pkts, n);
}

/** vfo_view_txbuf_add() on the uplink's current view. */
static __rte_always_inline void
vfo_txbuf_add(struct vfo_uplink *u, uint16_t q, struct vfo_txbuf *b, struct rte_mbuf **pkts,
	      uint16_t n)
{
	vfo_view_txbuf_add(u, vfo_uplink_view(u), q, b, pkts, n);
}

/**
 * Sends what the control thread left in the uplink's mailbox (see
 * vfo_uplink_announce).  Call it now and then (e.g. with each TX drain) from
 * the thread that owns queue 'q'; it does something only for queue 0.
 */
static inline void
vfo_uplink_ctl_tx(struct vfo_uplink *u, uint16_t q)
{
	uint16_t n = __atomic_load_n(&u->ctl_n, __ATOMIC_ACQUIRE);

	if (likely(n == 0) || q != 0)
		return;
	const struct vfo_uplink_view *v = vfo_uplink_view(u);
	uint16_t sent = vfo_view_tx_burst(u, v, 0, u->ctl_pkts, n);

	if (sent < n)
		vfo__tx_refused(u, v, 0, u->ctl_pkts + sent, (uint16_t)(n - sent));
	__atomic_store_n(&u->ctl_n, 0, __ATOMIC_RELEASE);
}

/* Sends the waiting path probes (see vfo_uplink_path_tx).  In uplink_path.c. */
void vfo__path_tx(struct vfo_uplink *u);

/**
 * Sends the path probes the control thread left (vfo_uplink_probe), each on
 * its member's queue 0, and opens the reply window (see
 * vfo_uplink_path_window_open).  Call it now and then from the thread that
 * owns queue 'q', before its next quiescent state; it does something only
 * for queue 0.
 */
static inline void
vfo_uplink_path_tx(struct vfo_uplink *u, uint16_t q)
{
	if (q == 0)
		vfo__path_tx(u);
}

/**
 * Returns true while replies to a path probe of 'u' may arrive (for
 * VFO_PATH_REPLY_WINDOW_US after the last probe was sent), 'now' being the
 * caller's TSC: a forwarder then receives with vfo_view_rx_burst_live(),
 * otherwise with vfo_view_rx_burst(), so that the per-packet reply check
 * costs nothing between probes.
 */
static __rte_always_inline bool
vfo_uplink_path_window_open(const struct vfo_uplink *u, uint64_t now)
{
	return (int64_t)(__atomic_load_n(&u->path_until_tsc, __ATOMIC_RELAXED) - now) > 0;
}

#ifdef __cplusplus
}
#endif

#endif /* VFO_UPLINK_H */
