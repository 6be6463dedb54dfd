/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_live.h — the DPDK side of vfprobe: ports, the generator (TX) and
 * receiver (RX) loops, one run ("trial"), the control socket.
 *
 * Threads.  The fast path runs on EAL lcores: with one lcore, one loop does
 * both TX and RX steps; with two or more, the main lcore receives and the
 * first worker sends.  The control socket runs on a control thread.  What
 * they share is struct vfp_live:
 *   - written by the control side, read by the lcores once per burst with
 *     relaxed atomics: 'tx_req' (the --tx index to send on), 'stop';
 *   - written by one lcore only, read by others with relaxed atomics:
 *     struct vfp_tx_stats (TX lcore), struct vfp_rx_stats (RX lcore),
 *     'tx_done' / 'tx_done_tsc' (TX lcore, release/acquire);
 *   - owned by the RX lcore during a run, by the main thread after it:
 *     the analyzer, the pcap writers;
 *   - owned by the TX lcore during a run, by the main thread after it: the
 *     TX events (switches);
 *   - owned by the control thread during a run, by the main thread after
 *     it: the marks.
 * No lock is taken on the fast path.  The lcores report a quiescent state
 * on 'qsbr' once per loop turn, between bursts: the unmap guard
 * (vfo_unmap_guard.h) waits for that before a PMD unmaps a port's memory.
 */
#ifndef VFP_LIVE_H
#define VFP_LIVE_H

#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "vfo_ctl.h"
#include "vfp_analyzer.h"
#include "vfp_gapcap.h"
#include "vfp_opts.h"

/** Most TX events (switches) recorded per run. */
#define VFP_TX_EVENTS 256

/** One port of vfprobe. */
struct vfp_port {
	uint16_t id;		     /**< ethdev port id */
	struct rte_ether_addr mac;   /**< its MAC */
	char driver[32];	     /**< PMD name */
	bool kstamp;		     /**< RX mbufs carry the kernel's receive time (net_pcap:
				      * CLOCK_REALTIME µs), used instead of the poll time */
	uint8_t tmpl[VFP_FRAME_MAX]; /**< probe frame sent from this port (seq/tsc 0) */
};

/** Counters of the TX lcore (it alone writes them; others read relaxed). */
struct vfp_tx_stats {
	uint64_t sent;			 /**< packets the ports took = next sequence number */
	uint64_t port_tx[VFP_MAX_PORTS]; /**< of which per port (index in --port order) */
	uint64_t refused;		 /**< tx_burst calls that left packets for a retry */
	uint64_t nombuf;		 /**< bursts not built: mbuf pool empty */
	uint64_t start_tsc;		 /**< first packet built */
	uint64_t last_tsc;		 /**< latest burst sent */
	uint16_t cur;			 /**< --tx index sending now */
} __rte_cache_aligned;

/** Counters of the RX lcore (it alone writes them; others read relaxed). */
struct vfp_rx_stats {
	uint64_t port_rx[VFP_MAX_PORTS];     /**< frames received per port */
	uint64_t port_probes[VFP_MAX_PORTS]; /**< of which probe packets, per port */
	uint64_t probes;		     /**< probe packets of a tracked stream, all ports */
	uint64_t gaps;			 /**< packets that ended a gap */
} __rte_cache_aligned;

/** Most "mark" events (control socket) recorded per run. */
#define VFP_MARKS 256

/** A mark: a text event put in the timeline through the control socket. */
struct vfp_mark {
	uint64_t tsc;		       /**< when the command arrived */
	char text[VFP_EVENT_TEXT - 6]; /**< its text ("mark: " is prepended) */
};

/** A TX event: a switch of the sending port. */
struct vfp_tx_event {
	uint64_t tsc;  /**< when the first burst left on the new port */
	uint16_t from; /**< port number before */
	uint16_t to;   /**< port number after */
	uint64_t seq;  /**< first sequence number sent on 'to' */
};

/** One run's parameters. */
struct vfp_trial {
	double pps;	   /**< rate, 0: max */
	uint64_t count;	   /**< packets to send, 0: no limit */
	double duration_s; /**< seconds to send, 0: no limit */
	uint16_t stream;   /**< stream id of the packets */
};

/** vfprobe's shared state (see the thread-safety note above). */
struct vfp_live {
	const struct vfp_opts *o;	       /**< the command line */
	struct vfp_port ports[VFP_MAX_PORTS];  /**< --port order */
	unsigned int nports_up;		       /**< ports started (first ones) */
	struct rte_mempool *mp;		       /**< mbufs of every port */
	uint64_t tsc_hz;		       /**< TSC frequency, measured at start */
	uint64_t tsc0;			       /**< TSC at wall0_us */
	uint64_t wall0_us;		       /**< CLOCK_REALTIME µs at tsc0 */
	uint64_t us_mult;		       /**< µs per tick, 32.32 fixed point */
	int stamp_off;			       /**< mbuf dynfield of RX timestamps (-1: none) */
	uint64_t stamp_flag;		       /**< ol_flags bit: the timestamp is valid */
	struct vfp_trial trial;		       /**< the run in progress */
	uint64_t run_tsc;		       /**< when it started */
	uint16_t tx_req;		       /**< --tx index to send on (atomic) */
	bool stop;			       /**< end the run now (atomic) */
	bool stopped;			       /**< stop was asked by the user (atomic) */
	bool tx_done;			       /**< sending is over (atomic, release) */
	uint64_t tx_done_tsc;		       /**< when (valid once tx_done) */
	bool running;			       /**< lcores are in a run (atomic) */
	struct vfp_tx_stats tx;		       /**< TX lcore counters */
	struct vfp_rx_stats rx;		       /**< RX lcore counters */
	struct vfp_tx_event ev[VFP_TX_EVENTS]; /**< switches of the run */
	unsigned int nev;		       /**< how many */
	struct vfp_mark marks[VFP_MARKS];      /**< marks of the run (control thread) */
	unsigned int nmarks;		       /**< how many */
	pthread_mutex_t run_lock;	       /**< orders "mark" (marks, nmarks, run_tsc)
						* with a run's start and end (running) */
	struct vfp_analyzer *an;	       /**< the run's analyzer */
	struct vfp_gapcap *gapcap;	       /**< --pcap-gaps writer or NULL */
	struct vfp_gapcap *allcap;	       /**< --pcap writer or NULL */
	struct vfo_ctl *ctl;		       /**< --ctl socket or NULL */
	pthread_t ctl_thread;		       /**< its thread */
	bool ctl_quit;			       /**< ends the control thread (atomic) */
	struct rte_rcu_qsbr *qsbr;	       /**< the lcores' RCU variable (thread id =
						* lcore index), NULL: none */
};

/** Returns µs on the wall clock for TSC value 'tsc'. */
static inline uint64_t
vfp_live_us(const struct vfp_live *l, uint64_t tsc)
{
	return l->wall0_us + (uint64_t)(((unsigned __int128)(tsc - l->tsc0) * l->us_mult) >> 32);
}

/**
 * Probes, configures (one RX and one TX queue) and starts every --port,
 * creates the mbuf pool, builds each port's frame template and waits up to
 * --link-wait-ms for the links.  Returns 0, or -1 with a message naming
 * the port in err[0..errlen).
 */
int vfp_ports_start(struct vfp_live *l, char *err, size_t errlen);

/**
 * (Re)builds every port's frame template for 'stream' (its MAC unless
 * --src-mac).  Call between runs only.  Returns nothing.
 */
void vfp_ports_templates(struct vfp_live *l, uint16_t stream);

/** Stops and closes every port, frees the pool.  Returns nothing. */
void vfp_ports_stop(struct vfp_live *l);

/**
 * Runs one trial (l->trial) on the lcores: resets the counters, sends and
 * receives until sending ends and --linger-ms passed (or l->stop), then
 * adds the switches to the analyzer's events.  The analyzer (l->an) must be
 * created by the caller and is finished here.  Returns nothing.
 */
void vfp_run_trial(struct vfp_live *l);

/**
 * Starts the control thread serving --ctl (switch, stats, stop).  Returns
 * 0, or -1 with a message in err.
 */
int vfp_ctl_start(struct vfp_live *l, char *err, size_t errlen);

/** Stops the control thread and removes the socket (if started). */
void vfp_ctl_stop(struct vfp_live *l);

/**
 * Asks the TX lcore to send on --tx index 'idx' from its next burst.
 * Async-signal-safe.  Returns nothing.
 */
void vfp_live_request_switch(struct vfp_live *l, uint16_t idx);

#endif /* VFP_LIVE_H */
