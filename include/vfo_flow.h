/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_flow.h — the flow table of an uplink: per 5-tuple packets, bytes,
 * first and last seen, updated by the forwarding lcores once per burst and
 * read by the control thread (the `flows` command).
 *
 * The table belongs to an uplink, not to a port: it is keyed on packet
 * headers only, so a flow keeps its counters across any number of switches
 * between the uplink's members.
 *
 * What is a flow
 *   - IPv4 (after up to two VLAN tags, 802.1Q or 802.1ad; the VLAN ids are
 *     not part of the key): the key is source and destination address,
 *     protocol, and for TCP and UDP the source and destination ports.  Other
 *     IPv4 protocols (ICMP, GRE, ...) and non-first fragments have ports 0:
 *     one flow per address pair and protocol.
 *   - Everything else (ARP, IPv6, frames too short for their headers, an IPv4
 *     header length below 20) is "unclassified": counted in packets and
 *     bytes per table, never in a flow.
 *   Bytes are rte_pktmbuf_pkt_len(): the frame without FCS.
 *
 * Design: one table per forwarding lcore, merged when read
 *   Each lcore index owns a private rte_hash (cuckoo, with
 *   RTE_HASH_EXTRA_FLAGS_EXT_TABLE so that exactly max_flows keys fit) and a
 *   private array of entries (key, packets, bytes, first/last TSC), one cache
 *   line each.  The hash maps a key to its entry's index; entries are handed
 *   out in order and published by a release store of the lcore's entry
 *   count, and entries freed by aging are handed out again first.  So:
 *   - the fast path takes no lock, no atomic read-modify-write, and writes
 *     only its own lines: the hash is created without concurrency flags
 *     (its owner is the only thread that ever touches it), lookups are
 *     rte_hash_lookup_with_hash_bulk_data() over the burst with the
 *     signature computed while parsing, and a miss costs one insertion;
 *   - the reader never touches a hash: it reads the published entries with
 *     atomic loads (each entry under a sequence number that its owner makes
 *     odd while it fills or frees it, so a reader never mixes two flows) and
 *     sums a flow's counters across lcores (with RSS a flow
 *     normally lives on one lcore; after a switch between members whose RSS
 *     keys differ it may continue on another, and is then summed);
 *   - counters are exact: each (flow, lcore) pair has one writer.
 *   The alternative, one shared hash with RW_CONCURRENCY_LF |
 *   MULTI_WRITER_ADD and per-lcore counter arrays, needs no merge on read,
 *   but its lookups pay the lock-free protocol, its insertions take the
 *   hash's writer lock (a burst of new flows on several lcores contends
 *   exactly when it hurts), and its per-lcore slot caches make "full" fuzzy
 *   (up to (RTE_MAX_LCORE - 1) * 63 more keys than asked for).
 *
 * Capacity and full
 *   max_flows is the capacity of each lcore's table, so the uplink tracks at
 *   least max_flows flows, and up to nb_lcores * max_flows when RSS spreads
 *   them.  Memory: about 125 bytes per flow per lcore (64 B entry, the
 *   hash's key slot, buckets and free-slot rings, 4 B of free stack),
 *   measured: 7.8 MiB per lcore for the default 65536, 125 MiB for
 *   1,000,000.
 *   When an lcore's table is full, a packet of a flow it has not seen is
 *   counted in "table_full" and not classified; the packet itself is never
 *   dropped or changed, and flows already in the table keep counting.  A
 *   full or flooded table recovers by aging or by vfo_flow_reset().
 *
 * Hash flooding
 *   The signature is SipHash-1-3 of the key under a 128-bit key drawn from
 *   getrandom() when the table is created (dataplane/flow_hash.h): a sender
 *   cannot compute keys that collide, as it can for CRC32 with any seed.
 *
 * Aging (vfo_flow_set_idle_timeout; off unless set)
 *   A flow whose last packet is older than the idle timeout is removed by
 *   the lcore that owns it, amortised on its fast path: at most once per
 *   millisecond a burst first looks at the next B entries (round robin over
 *   those handed out; B between 64 and 4096, enough to look at the whole
 *   table within half the timeout) and frees the expired ones for new
 *   flows.  Readers leave expired flows out at once, so "flows" never shows
 *   a flow idle past the timeout.  An lcore that receives nothing frees
 *   nothing, but it needs no room either.  "aged_out" counts the removals.
 *
 * Thread-safety
 *   - vfo_flow_update_burst(): lock-free; lcore index i must be used by one
 *     thread at a time (as queue i of an uplink is).  Several indexes run
 *     concurrently.
 *   - vfo_flow_top(), vfo_flow_count(), vfo_flow_stats_get(),
 *     vfo_flow_top_json(), vfo_flow_reset(): from any thread, concurrently
 *     with the writers and with each other.  Reads are per lcore snapshots
 *     (a flow updated during the read may show some lcores' packets of the
 *     last burst and not others').  vfo_flow_reset() is lazy: readers see
 *     the table empty at once, and each lcore empties its own hash on its
 *     next burst, so no writer ever sees its hash change under it.
 *   - vfo_flow_create() / vfo_flow_destroy(): control side, destroy with no
 *     writer and no reader left.
 */
#ifndef VFO_FLOW_H
#define VFO_FLOW_H

#include <stdint.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default capacity of each lcore's table. */
#define VFO_FLOW_DEFAULT_MAX 65536u
/** Largest capacity accepted per lcore. */
#define VFO_FLOW_MAX_FLOWS (1u << 24)
/** Most lcore indexes a table serves. */
#define VFO_FLOW_MAX_LCORES 128u

/** The 5-tuple identifying a flow, as found in the headers (network order). */
struct vfo_flow_key {
	rte_be32_t src_ip;   /**< IPv4 source address */
	rte_be32_t dst_ip;   /**< IPv4 destination address */
	rte_be16_t src_port; /**< TCP/UDP source port; 0 for other protocols, fragments */
	rte_be16_t dst_port; /**< TCP/UDP destination port; 0 likewise */
	uint8_t proto;	     /**< IPv4 protocol (6 TCP, 17 UDP, 1 ICMP, ...) */
	uint8_t pad[3];	     /**< always zero */
};

/** A flow's counters, summed over every lcore that saw it. */
struct vfo_flow_info {
	struct vfo_flow_key key; /**< the flow */
	uint64_t packets;	 /**< packets seen */
	uint64_t bytes;		 /**< bytes seen (frames without FCS) */
	uint64_t first_tsc;	 /**< TSC of the first burst that had it (earliest lcore) */
	uint64_t last_tsc;	 /**< TSC of the last burst that had it (latest lcore) */
};

/** Table-wide counters, summed over lcores. */
struct vfo_flow_stats {
	uint64_t flows;		     /**< distinct flows in the table */
	uint64_t unclassified_pkts;  /**< packets that were not IPv4 (see above) */
	uint64_t unclassified_bytes; /**< their bytes */
	uint64_t table_full;	     /**< packets of new flows not classified: table full */
	uint64_t aged_out;	     /**< flows removed because they were idle too long */
};

/** How vfo_flow_top() orders flows (ties: the other counter, then the key). */
enum vfo_flow_order {
	VFO_FLOW_BY_PACKETS = 0, /**< most packets first */
	VFO_FLOW_BY_BYTES = 1,	 /**< most bytes first */
};

/** A flow table (opaque). */
struct vfo_flow_table;

/**
 * Creates a flow table named 'name' (for logs; any length) for lcore indexes
 * 0 .. nb_lcores-1, each able to hold 'max_flows' flows (0: the default,
 * VFO_FLOW_DEFAULT_MAX), in memory of NUMA socket 'socket' (SOCKET_ID_ANY
 * allowed).  Records the TSC and CLOCK_MONOTONIC now to convert TSC stamps
 * to µs.  Returns the table, or NULL with rte_errno set (EINVAL: bad
 * argument; ENOMEM).
 */
struct vfo_flow_table *vfo_flow_create(const char *name, uint32_t max_flows, unsigned int nb_lcores,
				       int socket);

/** Frees 't' and its hashes.  No writer or reader may use it any more.  NULL is a no-op. */
void vfo_flow_destroy(struct vfo_flow_table *t);

/**
 * Empties 't': every flow and counter.  Safe concurrently with writers and
 * readers: readers see it empty on return, each lcore drops its own flows on
 * its next vfo_flow_update_burst().
 */
void vfo_flow_reset(struct vfo_flow_table *t);

/**
 * Makes flows of 't' idle for more than 'idle_us' µs (0: never, the default)
 * age out: each lcore removes them during its bursts (see "Aging" above) and
 * readers leave them out at once.  Any thread, any time.
 */
void vfo_flow_set_idle_timeout(struct vfo_flow_table *t, uint64_t idle_us);

/** Returns the idle timeout of 't' in µs (0: flows never age out). */
uint64_t vfo_flow_idle_timeout(const struct vfo_flow_table *t);

/**
 * Classifies pkts[0..n) received by lcore index 'lcore_idx' at TSC 'now_tsc'
 * and adds each to its flow's counters (creating the flow on first sight),
 * or to the unclassified / table_full counters.  Reads the packets' headers
 * (prefetched here), never changes or frees them.  Any n; no allocation.
 */
void vfo_flow_update_burst(struct vfo_flow_table *t, unsigned int lcore_idx, struct rte_mbuf **pkts,
			   uint16_t n, uint64_t now_tsc);

/**
 * Writes into out[0..) the min(n, flows) flows of 't' with the most packets
 * or bytes ('order'), most first, each with its counters summed over lcores.
 * Returns how many were written, or a negative errno (-ENOMEM).  Cost: one
 * pass over the entries through a bounded heap, O(F log n) for F entries;
 * when more than one lcore holds flows, the entries are first copied and
 * merged (malloc of F * 48 bytes plus a 2F-slot index).
 */
int vfo_flow_top(struct vfo_flow_table *t, unsigned int n, enum vfo_flow_order order,
		 struct vfo_flow_info *out);

/**
 * Returns the number of distinct flows in 't' (a flow seen by two lcores
 * counts once; aged out ones do not count), or a negative errno (-ENOMEM).
 * One pass over the entries when at most one lcore holds flows; otherwise
 * it copies and merges like vfo_flow_top().
 */
int64_t vfo_flow_count(struct vfo_flow_table *t);

/** Fills 'st' with the table-wide counters of 't'.  Returns 0 or -ENOMEM. */
int vfo_flow_stats_get(struct vfo_flow_table *t, struct vfo_flow_stats *st);

/**
 * Returns a new JSON object with the 'n' flows of 't' with the most packets:
 * {"flows":[{"src":"10.0.0.1","dst":"10.0.0.2","proto":17,"sport":1024,
 * "dport":53,"packets":..,"bytes":..,"first_seen_us":..,"last_seen_us":..}],
 * "total_flows":N,"unclassified":N,"table_full":N,"max_flows":N,
 * "aged_out":N,"idle_timeout_ms":N}.  Times are CLOCK_MONOTONIC µs.  NULL
 * when out of memory.
 */
json_t *vfo_flow_top_json(struct vfo_flow_table *t, unsigned int n);

/** vfo_flow_top_json() with a choice of order ("order":"packets"|"bytes" added). */
json_t *vfo_flow_top_json_by(struct vfo_flow_table *t, unsigned int n, enum vfo_flow_order order);

/** Converts a TSC stamp of 't' (e.g. first_tsc) to CLOCK_MONOTONIC µs. */
uint64_t vfo_flow_tsc_to_us(const struct vfo_flow_table *t, uint64_t tsc);

/**
 * Returns the keyed hash of 'key' in 't' (SipHash-1-3 under the table's
 * secret key; its low 32 bits are the rte_hash signature).  For tests and
 * diagnostics: two tables hash the same key differently.
 */
uint64_t vfo_flow_key_hash(const struct vfo_flow_table *t, const struct vfo_flow_key *key);

/** Returns the capacity of each lcore's table. */
uint32_t vfo_flow_max_flows(const struct vfo_flow_table *t);

#ifdef __cplusplus
}
#endif

#endif /* VFO_FLOW_H */
