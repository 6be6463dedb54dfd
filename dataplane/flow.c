/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow.c — the flow table of an uplink (see vfo_flow.h for the design): a
 * private rte_hash and entry array per lcore index, written by that lcore
 * alone, read by the control side through atomic loads guarded by a per-lcore
 * epoch and a per-entry sequence, merged and ranked off the fast path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "flow_hash.h"
#include "vfo_clock.h"
#include "vfo_counter.h"
#include "vfo_flow.h"
#include "vfo_log.h"

/* Packets classified per rte_hash bulk lookup (its maximum). */
#define CHUNK RTE_HASH_LOOKUP_BULK_MAX
/* How many packets ahead headers are prefetched while parsing. */
#define PREFETCH_OFFSET 4
/* Smallest number of entries rte_hash accepts. */
#define HASH_MIN_ENTRIES 8u
/* An lcore's epoch while its owner empties it: readers ignore it meanwhile. */
#define EPOCH_BUSY UINT64_MAX
/* Longest table name kept (with its NUL), for logs. */
#define NAME_MAX_LEN 32
/* SipHash rounds of the flow hash: SipHash-1-3 (see flow_hash.h). */
#define SIP_C 1
#define SIP_D 3
/* Aging: an lcore looks at part of its entries once per this many µs ... */
#define SWEEP_PERIOD_US 1000u
/* ... at least this many entries per look, ... */
#define SWEEP_MIN 64u
/* ... at most this many (bounds the cost of one look on the fast path). */
#define SWEEP_MAX 4096u

/* A flow key as written by the parser and stored: two words for atomic copies. */
union flow_key {
	struct vfo_flow_key k; /* the fields */
	uint64_t w[2];	       /* the same 16 bytes */
};

_Static_assert(sizeof(struct vfo_flow_key) == 16, "vfo_flow_key must be 16 bytes");
_Static_assert(offsetof(struct vfo_flow_key, src_ip) == 0 &&
		       offsetof(struct vfo_flow_key, dst_ip) == 4 &&
		       offsetof(struct vfo_flow_key, dst_port) ==
			       offsetof(struct vfo_flow_key, src_port) + 2,
	       "parse() copies address and port pairs as one block");

/*
 * One flow as seen by one lcore, or a free slot.  Written by that lcore only,
 * read atomically.  'seq' is odd while the owner fills or frees the entry
 * (a reader that sees it odd, or changed across its read, skips the entry);
 * counter updates of a live entry do not touch it.
 */
struct flow_entry {
	uint64_t key[2];    /* the union flow_key words */
	uint64_t packets;   /* packets counted */
	uint64_t bytes;	    /* their bytes */
	uint64_t first_tsc; /* burst TSC when the flow was created */
	uint64_t last_tsc;  /* burst TSC of the last packet */
	uint64_t seq;	    /* bumped to odd before and to even after a fill or a free */
	uint32_t live;	    /* 1: holds a flow; 0: free (aged out, on the free stack) */
} __rte_cache_aligned;

/* What one lcore index owns.  Its fields are written by that lcore alone. */
struct flow_lcore {
	uint64_t epoch;		    /* table epoch of the content, EPOCH_BUSY while emptying */
	uint32_t used;		    /* entries[0..used) were handed out (release store) */
	uint64_t unclass_pkts;	    /* packets not classified: not IPv4 or malformed */
	uint64_t unclass_bytes;	    /* their bytes */
	uint64_t table_full;	    /* packets of new flows refused: table full */
	uint64_t aged;		    /* flows removed because they were idle */
	struct rte_hash *hash;	    /* key -> entry index; touched by the owner only */
	struct flow_entry *entries; /* max_flows entries, handed out in order, then reused */
	/* Owner only (readers never look): */
	uint32_t *free_idx; /* indexes of freed entries, a stack of nb_free */
	uint32_t nb_free;   /* entries on the free stack */
	uint32_t sweep_pos; /* next entry the aging sweep looks at */
	uint64_t sweep_tsc; /* TSC of the last sweep */
} __rte_cache_aligned;

/* The table: read-mostly header, then one flow_lcore per lcore index. */
struct vfo_flow_table {
	uint64_t epoch;		     /* bumped by vfo_flow_reset(); lcores follow it lazily */
	uint64_t idle_tsc;	     /* flows idle this long are removed, 0: never (atomic) */
	uint32_t sweep_batch;	     /* entries one aging sweep looks at (atomic) */
	uint32_t max_flows;	     /* capacity of each lcore's table */
	unsigned int nb_lcores;	     /* entries in lcore[] */
	uint64_t sweep_period_tsc;   /* SWEEP_PERIOD_US in TSC cycles */
	struct vfo_siphash_key hkey; /* secret key of the flow hash, drawn at creation */
	uint64_t tsc_hz;	     /* TSC frequency, for µs conversion */
	uint64_t tsc0;		     /* TSC at creation */
	uint64_t mono_us0;	     /* CLOCK_MONOTONIC µs at creation */
	char name[NAME_MAX_LEN];     /* for logs */
	struct flow_lcore lcore[];   /* per lcore index */
};

/* Returns the keyed hash of flow key 'key' in table 't' (the rte_hash signature). */
static __rte_always_inline uint64_t
key_hash(const struct vfo_flow_table *t, const union flow_key *key)
{
	return vfo_siphash(&t->hkey, key, sizeof(*key), SIP_C, SIP_D);
}

/*
 * Draws the secret hash key of 't' from the kernel's random pool (rte_rand()
 * if getrandom() fails, e.g. under an old seccomp profile: weaker, still
 * different at every start).
 */
static void
draw_hash_key(struct vfo_flow_table *t)
{
	if (getrandom(&t->hkey, sizeof(t->hkey), GRND_NONBLOCK) == (ssize_t)sizeof(t->hkey))
		return;
	VFO_LOG(WARNING, "flow table %s: getrandom() failed; hash key from rte_rand()", t->name);
	t->hkey.k0 = rte_rand();
	t->hkey.k1 = rte_rand();
}

/* Frees the hashes and entries of 't' and 't' itself. */
static void
table_free(struct vfo_flow_table *t)
{
	unsigned int i;

	for (i = 0; i < t->nb_lcores; i++) {
		rte_hash_free(t->lcore[i].hash);
		rte_free(t->lcore[i].entries);
		rte_free(t->lcore[i].free_idx);
	}
	rte_free(t);
}

struct vfo_flow_table *
vfo_flow_create(const char *name, uint32_t max_flows, unsigned int nb_lcores, int socket)
{
	static uint32_t seq; /* makes rte_hash names unique in the process */
	struct vfo_flow_table *t;
	unsigned int i;

	if (max_flows == 0)
		max_flows = VFO_FLOW_DEFAULT_MAX;
	if (name == NULL || nb_lcores == 0 || nb_lcores > VFO_FLOW_MAX_LCORES ||
	    max_flows > VFO_FLOW_MAX_FLOWS) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("vfo_flow", sizeof(*t) + nb_lcores * sizeof(t->lcore[0]),
			       RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->epoch = 1;
	t->max_flows = max_flows;
	t->nb_lcores = nb_lcores;
	snprintf(t->name, sizeof(t->name), "%s", name);
	draw_hash_key(t);
	for (i = 0; i < nb_lcores; i++) {
		struct flow_lcore *lc = &t->lcore[i];
		char hname[RTE_HASH_NAMESIZE];
		struct rte_hash_parameters hp = {
			.name = hname,
			.entries = RTE_MAX(max_flows, HASH_MIN_ENTRIES),
			.key_len = sizeof(union flow_key),
			/* Never called: every lookup, insertion and deletion
			 * passes the keyed signature (key_hash()). */
			.hash_func = rte_hash_crc,
			.hash_func_init_val = 0,
			.socket_id = socket,
			/* Overflow buckets: every one of 'entries' keys fits, so the
			 * table is full exactly at max_flows. */
			.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
		};

		snprintf(hname, sizeof(hname), "vfoflow%" PRIu32 "_%u",
			 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED), i);
		lc->epoch = 1;
		lc->hash = rte_hash_create(&hp);
		lc->entries = rte_zmalloc_socket("vfo_flow_entries",
						 (size_t)max_flows * sizeof(struct flow_entry),
						 RTE_CACHE_LINE_SIZE, socket);
		lc->free_idx = rte_malloc_socket("vfo_flow_free",
						 (size_t)max_flows * sizeof(uint32_t), 0, socket);
		if (lc->hash == NULL || lc->entries == NULL || lc->free_idx == NULL) {
			VFO_LOG(ERR, "flow table %s: no memory for %" PRIu32 " flows on lcore %u",
				t->name, max_flows, i);
			table_free(t);
			rte_errno = ENOMEM;
			return NULL;
		}
	}
	t->tsc_hz = rte_get_tsc_hz();
	t->sweep_period_tsc = RTE_MAX(t->tsc_hz / 1000000u * SWEEP_PERIOD_US, 1u);
	t->tsc0 = rte_rdtsc();
	t->mono_us0 = vfo_mono_us();
	return t;
}

void
vfo_flow_destroy(struct vfo_flow_table *t)
{
	if (t != NULL)
		table_free(t);
}

void
vfo_flow_reset(struct vfo_flow_table *t)
{
	__atomic_fetch_add(&t->epoch, 1, __ATOMIC_RELEASE);
}

void
vfo_flow_set_idle_timeout(struct vfo_flow_table *t, uint64_t idle_us)
{
	uint64_t idle_tsc = 0, batch = SWEEP_MIN;

	if (idle_us != 0) {
		idle_tsc = RTE_MAX(idle_us * (t->tsc_hz / 1000000u), 1u);
		/* Enough entries per sweep to look at every one within half the
		 * timeout, within [SWEEP_MIN, SWEEP_MAX]. */
		batch = (uint64_t)t->max_flows * t->sweep_period_tsc / RTE_MAX(idle_tsc / 2, 1u) +
			1;
		batch = RTE_MIN(RTE_MAX(batch, (uint64_t)SWEEP_MIN), (uint64_t)SWEEP_MAX);
	}
	__atomic_store_n(&t->sweep_batch, (uint32_t)batch, __ATOMIC_RELAXED);
	__atomic_store_n(&t->idle_tsc, idle_tsc, __ATOMIC_RELAXED);
}

uint64_t
vfo_flow_idle_timeout(const struct vfo_flow_table *t)
{
	uint64_t idle_tsc = __atomic_load_n(&t->idle_tsc, __ATOMIC_RELAXED);

	return idle_tsc / (t->tsc_hz / 1000000u);
}

uint64_t
vfo_flow_key_hash(const struct vfo_flow_table *t, const struct vfo_flow_key *key)
{
	union flow_key k = {.k = *key};

	return key_hash(t, &k);
}

uint32_t
vfo_flow_max_flows(const struct vfo_flow_table *t)
{
	return t->max_flows;
}

uint64_t
vfo_flow_tsc_to_us(const struct vfo_flow_table *t, uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - t->tsc0);
	uint64_t ad = d < 0 ? (uint64_t)-d : (uint64_t)d;
	uint64_t us = ad / t->tsc_hz * 1000000u + ad % t->tsc_hz * 1000000u / t->tsc_hz;

	if (d >= 0)
		return t->mono_us0 + us;
	return us > t->mono_us0 ? 0 : t->mono_us0 - us;
}

/* ------------------------------------------------------------------------
 * Fast path (the owner lcore).
 */

/*
 * Empties lcore 'lc' of 't' because the table's epoch moved on (reset):
 * marks it busy, so readers ignore it, clears its hash and counters, then
 * publishes the new epoch.  Called by the owner only.
 */
static __rte_noinline void
lcore_empty(struct vfo_flow_table *t, struct flow_lcore *lc)
{
	uint64_t target = __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE);

	__atomic_store_n(&lc->epoch, EPOCH_BUSY, __ATOMIC_RELAXED);
	/* Orders the busy mark before every store below (a reader that sees one of
	 * them sees the mark when it checks the epoch again). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rte_hash_reset(lc->hash);
	lc->nb_free = 0;
	lc->sweep_pos = 0;
	__atomic_store_n(&lc->used, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->unclass_pkts, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->unclass_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->table_full, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->aged, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->epoch, target, __ATOMIC_RELEASE);
}

/* Starts changing entry 'e' (fill or free): readers skip it until entry_end(). */
static __rte_always_inline void
entry_begin(struct flow_entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Ends a change started by entry_begin(): the entry is readable again. */
static __rte_always_inline void
entry_end(struct flow_entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
}

/*
 * Removes the flow of entry 'idx' of lcore 'lc' (idle too long): out of the
 * hash, marked free, pushed on the free stack.  Called by the owner only.
 */
static void
entry_expire(struct vfo_flow_table *t, struct flow_lcore *lc, uint32_t idx)
{
	struct flow_entry *e = &lc->entries[idx];
	union flow_key key = {.w = {e->key[0], e->key[1]}};

	if (rte_hash_del_key_with_hash(lc->hash, &key, (hash_sig_t)key_hash(t, &key)) < 0) {
		/* Cannot happen: every live entry is in the hash.  Keep the entry
		 * rather than hand out a slot the hash still points to. */
		VFO_LOG(ERR, "flow table %s: live flow missing from its hash", t->name);
		return;
	}
	entry_begin(e);
	__atomic_store_n(&e->live, 0, __ATOMIC_RELAXED);
	entry_end(e);
	lc->free_idx[lc->nb_free++] = idx;
	vfo_counter_add(&lc->aged, 1);
}

/*
 * Aging, amortised: looks at the next 'batch' entries of lcore 'lc' (round
 * robin over those handed out) and removes the flows idle for more than
 * 'idle' TSC cycles at 'now'.  Called by the owner at most once per sweep
 * period.
 */
static __rte_noinline void
lcore_sweep(struct vfo_flow_table *t, struct flow_lcore *lc, uint64_t now, uint64_t idle)
{
	uint32_t used = lc->used, pos = lc->sweep_pos, i;
	uint32_t n = RTE_MIN(__atomic_load_n(&t->sweep_batch, __ATOMIC_RELAXED), used);

	lc->sweep_tsc = now;
	for (i = 0; i < n; i++, pos++) {
		const struct flow_entry *e;

		if (pos >= used)
			pos = 0;
		e = &lc->entries[pos];
		if (e->live && (int64_t)(now - e->last_tsc) > (int64_t)idle)
			entry_expire(t, lc, pos);
	}
	lc->sweep_pos = pos;
}

/*
 * Parses the headers of 'm' into 'key' (every byte written).  Returns true
 * for an IPv4 frame whose headers are in its first segment, false for
 * anything else (unclassified).
 */
static __rte_always_inline bool
parse(const struct rte_mbuf *m, union flow_key *key)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint32_t len = m->data_len;
	uint32_t off = sizeof(struct rte_ether_hdr);
	const struct rte_ipv4_hdr *ip;
	rte_be16_t type;
	uint32_t ihl, ports = 0;
	unsigned int v;

	if (unlikely(len < off + sizeof(struct rte_ipv4_hdr)))
		return false;
	type = ((const struct rte_ether_hdr *)p)->ether_type;
	for (v = 0; v < 2 && (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
			      type == RTE_BE16(RTE_ETHER_TYPE_QINQ));
	     v++) {
		type = ((const struct rte_vlan_hdr *)(p + off))->eth_proto;
		off += sizeof(struct rte_vlan_hdr);
		if (len < off + sizeof(struct rte_ipv4_hdr))
			return false;
	}
	if (unlikely(type != RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return false;
	ip = (const struct rte_ipv4_hdr *)(p + off);
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(struct rte_ipv4_hdr)))
		return false;
	if ((ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) &&
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) == 0) {
		if (unlikely(len < off + ihl + sizeof(ports)))
			return false;
		memcpy(&ports, p + off + ihl, sizeof(ports)); /* source then destination */
	}
	key->w[0] = 0;
	key->w[1] = 0;
	/* Source and destination are adjacent in both the IPv4 header and the key. */
	memcpy(&key->w[0], &ip->src_addr, 2 * sizeof(rte_be32_t));
	memcpy((uint8_t *)key + offsetof(struct vfo_flow_key, src_port), &ports, sizeof(ports));
	key->k.proto = ip->next_proto_id;
	return true;
}

/*
 * Counts a packet of 'len' bytes of flow 'key' (signature 'sig') that the
 * bulk lookup missed: finds it if this chunk already inserted it ('recheck'),
 * else inserts it in a free entry (one freed by aging first, else the next
 * never used), published with this packet counted.  Returns the entry index
 * to count the packet in, COUNTED when the packet was already counted (new
 * flow), or FULL when the table is full.
 */
#define COUNTED UINT32_MAX
#define FULL	(UINT32_MAX - 1)
static uint32_t
flow_insert(struct vfo_flow_table *t, struct flow_lcore *lc, const union flow_key *key,
	    hash_sig_t sig, bool recheck, uint32_t len, uint64_t now)
{
	bool fresh = lc->nb_free == 0;
	struct flow_entry *e;
	uint32_t idx;
	void *data;

	if (recheck && rte_hash_lookup_with_hash_data(lc->hash, key, sig, &data) >= 0)
		return (uint32_t)(uintptr_t)data;
	if (fresh && unlikely(lc->used >= t->max_flows))
		return FULL;
	idx = fresh ? lc->used : lc->free_idx[lc->nb_free - 1];
	if (unlikely(rte_hash_add_key_with_hash_data(lc->hash, key, sig, (void *)(uintptr_t)idx) <
		     0))
		return FULL;
	e = &lc->entries[idx];
	entry_begin(e);
	__atomic_store_n(&e->key[0], key->w[0], __ATOMIC_RELAXED);
	__atomic_store_n(&e->key[1], key->w[1], __ATOMIC_RELAXED);
	__atomic_store_n(&e->packets, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&e->bytes, len, __ATOMIC_RELAXED);
	__atomic_store_n(&e->first_tsc, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->last_tsc, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->live, 1, __ATOMIC_RELAXED);
	entry_end(e);
	if (fresh)
		__atomic_store_n(&lc->used, idx + 1, __ATOMIC_RELEASE);
	else
		lc->nb_free--;
	return COUNTED;
}

/* vfo_flow_update_burst() for at most CHUNK packets. */
static __rte_always_inline void
update_chunk(struct vfo_flow_table *t, struct flow_lcore *lc, struct rte_mbuf **pkts,
	     unsigned int n, uint64_t now)
{
	union flow_key keys[CHUNK];
	const void *kp[CHUNK];
	hash_sig_t sig[CHUNK];
	uint32_t len[CHUNK];
	void *data[CHUNK];
	uint64_t hits = 0, un_pkts = 0, un_bytes = 0, full = 0;
	unsigned int i, k = 0;
	bool inserted = false;

	for (i = 0; i < n && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		if (unlikely(!parse(pkts[i], &keys[k]))) {
			un_pkts++;
			un_bytes += rte_pktmbuf_pkt_len(pkts[i]);
			continue;
		}
		sig[k] = (hash_sig_t)key_hash(t, &keys[k]);
		kp[k] = &keys[k];
		len[k] = rte_pktmbuf_pkt_len(pkts[i]);
		k++;
	}
	if (k > 0)
		rte_hash_lookup_with_hash_bulk_data(lc->hash, kp, sig, k, &hits, data);
	for (i = 0; i < k; i++)
		if (hits & (1ull << i))
			rte_prefetch0(&lc->entries[(uintptr_t)data[i]]);
	for (i = 0; i < k; i++) {
		struct flow_entry *e;
		uint32_t idx;

		if (likely(hits & (1ull << i))) {
			idx = (uint32_t)(uintptr_t)data[i];
		} else {
			idx = flow_insert(t, lc, &keys[i], sig[i], inserted, len[i], now);
			if (idx == COUNTED) {
				inserted = true;
				continue;
			}
			if (idx == FULL) {
				full++;
				continue;
			}
		}
		e = &lc->entries[idx];
		vfo_counter_add(&e->packets, 1);
		vfo_counter_add(&e->bytes, len[i]);
		__atomic_store_n(&e->last_tsc, now, __ATOMIC_RELAXED);
	}
	if (unlikely(un_pkts != 0)) {
		vfo_counter_add(&lc->unclass_pkts, un_pkts);
		vfo_counter_add(&lc->unclass_bytes, un_bytes);
	}
	if (unlikely(full != 0))
		vfo_counter_add(&lc->table_full, full);
}

void
vfo_flow_update_burst(struct vfo_flow_table *t, unsigned int lcore_idx, struct rte_mbuf **pkts,
		      uint16_t n, uint64_t now_tsc)
{
	struct flow_lcore *lc = &t->lcore[lcore_idx];
	uint64_t idle = __atomic_load_n(&t->idle_tsc, __ATOMIC_RELAXED);
	unsigned int i;

	RTE_ASSERT(lcore_idx < t->nb_lcores);
	if (unlikely(__atomic_load_n(&lc->epoch, __ATOMIC_RELAXED) !=
		     __atomic_load_n(&t->epoch, __ATOMIC_RELAXED)))
		lcore_empty(t, lc);
	/* Aging before the burst, so that the flows it frees make room for its
	 * new flows. */
	if (idle != 0 && unlikely(now_tsc - lc->sweep_tsc >= t->sweep_period_tsc))
		lcore_sweep(t, lc, now_tsc, idle);
	for (i = 0; i < n; i += CHUNK)
		update_chunk(t, lc, pkts + i, RTE_MIN((unsigned int)CHUNK, n - i), now_tsc);
}

/* ------------------------------------------------------------------------
 * Reading (control side).
 */

/* Returns > 0 when 'a' ranks before 'b' by 'order', < 0 after, 0 same flow. */
static int
rank(const struct vfo_flow_info *a, const struct vfo_flow_info *b, enum vfo_flow_order order)
{
	uint64_t a1 = order == VFO_FLOW_BY_BYTES ? a->bytes : a->packets;
	uint64_t b1 = order == VFO_FLOW_BY_BYTES ? b->bytes : b->packets;
	uint64_t a2 = order == VFO_FLOW_BY_BYTES ? a->packets : a->bytes;
	uint64_t b2 = order == VFO_FLOW_BY_BYTES ? b->packets : b->bytes;

	if (a1 != b1)
		return a1 > b1 ? 1 : -1;
	if (a2 != b2)
		return a2 > b2 ? 1 : -1;
	return -memcmp(&a->key, &b->key, sizeof(a->key)); /* smaller key first */
}

/* qsort comparators: best first. */
static int
cmp_packets(const void *a, const void *b)
{
	return rank(b, a, VFO_FLOW_BY_PACKETS);
}

/* See cmp_packets(). */
static int
cmp_bytes(const void *a, const void *b)
{
	return rank(b, a, VFO_FLOW_BY_BYTES);
}

/*
 * The best 'keep' flows offered so far: a min-heap (the worst kept flow at
 * h[0]) in caller-provided storage, O(log keep) per accepted flow.
 */
struct topk {
	struct vfo_flow_info *h;   /* heap storage, 'keep' entries */
	size_t len;		   /* flows kept */
	size_t keep;		   /* most flows kept */
	enum vfo_flow_order order; /* ranking */
};

/* Swaps two flows. */
static inline void
info_swap(struct vfo_flow_info *a, struct vfo_flow_info *b)
{
	struct vfo_flow_info tmp = *a;

	*a = *b;
	*b = tmp;
}

/* Offers flow 'f' to 'k': kept if among the best 'keep' so far. */
static void
topk_offer(struct topk *k, const struct vfo_flow_info *f)
{
	size_t i;

	if (k->len < k->keep) {
		i = k->len++;
		k->h[i] = *f;
		while (i > 0 && rank(&k->h[i], &k->h[(i - 1) / 2], k->order) < 0) {
			info_swap(&k->h[i], &k->h[(i - 1) / 2]);
			i = (i - 1) / 2;
		}
		return;
	}
	if (k->keep == 0 || rank(f, &k->h[0], k->order) <= 0)
		return;
	k->h[0] = *f;
	for (i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, worst = i;

		if (l < k->len && rank(&k->h[l], &k->h[worst], k->order) < 0)
			worst = l;
		if (r < k->len && rank(&k->h[r], &k->h[worst], k->order) < 0)
			worst = r;
		if (worst == i)
			return;
		info_swap(&k->h[i], &k->h[worst]);
		i = worst;
	}
}

/* Sorts what 'k' kept, best first; returns how many. */
static size_t
topk_finish(struct topk *k)
{
	qsort(k->h, k->len, sizeof(*k->h), k->order == VFO_FLOW_BY_BYTES ? cmp_bytes : cmp_packets);
	return k->len;
}

/* What a read of the table looks at, fixed when it starts. */
struct read_ctx {
	uint64_t epoch;	   /* table epoch being read */
	uint64_t now_tsc;  /* TSC at the start of the read */
	uint64_t idle_tsc; /* flows idle longer are not shown (aged out), 0: none */
};

/*
 * Copies live entry 'e' into 'f' unless it is being changed, free, or idle
 * past the timeout of 'rc'.  Returns true when 'f' holds a flow.
 */
static bool
entry_read(const struct flow_entry *e, const struct read_ctx *rc, struct vfo_flow_info *f)
{
	uint64_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	union flow_key key;
	uint32_t live;

	if (s1 & 1)
		return false;
	live = __atomic_load_n(&e->live, __ATOMIC_RELAXED);
	key.w[0] = __atomic_load_n(&e->key[0], __ATOMIC_RELAXED);
	key.w[1] = __atomic_load_n(&e->key[1], __ATOMIC_RELAXED);
	f->key = key.k;
	f->packets = __atomic_load_n(&e->packets, __ATOMIC_RELAXED);
	f->bytes = __atomic_load_n(&e->bytes, __ATOMIC_RELAXED);
	f->first_tsc = __atomic_load_n(&e->first_tsc, __ATOMIC_RELAXED);
	f->last_tsc = __atomic_load_n(&e->last_tsc, __ATOMIC_RELAXED);
	/* Seqlock check: an entry filled or freed during the read is skipped. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s1 || !live)
		return false;
	return rc->idle_tsc == 0 || (int64_t)(rc->now_tsc - f->last_tsc) <= (int64_t)rc->idle_tsc;
}

/*
 * Reads lcore 'lc' if its content belongs to the epoch of 'rc': the flows
 * among its first 'room' entries are copied to out[] (when not NULL) and
 * offered to 'k' (when not NULL), its counters added to 'st'.  Returns how
 * many flows it read: 0 when the lcore is stale, or was emptied during the
 * read (then 'st' is unchanged, and 'k' and out[] may hold flows from
 * before the reset: the caller discards them).
 */
static size_t
lcore_read(const struct flow_lcore *lc, const struct read_ctx *rc, size_t room,
	   struct vfo_flow_info *out, struct topk *k, struct vfo_flow_stats *st)
{
	uint64_t e1 = __atomic_load_n(&lc->epoch, __ATOMIC_ACQUIRE);
	uint64_t un_pkts, un_bytes, full, aged;
	size_t used, i, nb = 0;

	if (e1 != rc->epoch)
		return 0;
	used = RTE_MIN((size_t)__atomic_load_n(&lc->used, __ATOMIC_ACQUIRE), room);
	for (i = 0; i < used; i++) {
		struct vfo_flow_info f;

		if (!entry_read(&lc->entries[i], rc, &f))
			continue;
		if (out != NULL)
			out[nb] = f;
		if (k != NULL)
			topk_offer(k, &f);
		nb++;
	}
	un_pkts = __atomic_load_n(&lc->unclass_pkts, __ATOMIC_RELAXED);
	un_bytes = __atomic_load_n(&lc->unclass_bytes, __ATOMIC_RELAXED);
	full = __atomic_load_n(&lc->table_full, __ATOMIC_RELAXED);
	aged = __atomic_load_n(&lc->aged, __ATOMIC_RELAXED);
	/* Seqlock check: if the owner started emptying during the read, drop it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&lc->epoch, __ATOMIC_RELAXED) != e1)
		return 0;
	st->unclassified_pkts += un_pkts;
	st->unclassified_bytes += un_bytes;
	st->table_full += full;
	st->aged_out += aged;
	return nb;
}

/* Returns true when keys 'a' and 'b' are the same flow. */
static inline bool
key_eq(const struct vfo_flow_key *a, const struct vfo_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * Merges the flows f[0..nb) that have the same key (seen by several lcores)
 * in place: counters summed, first the earliest, last the latest.  Slots
 * are placed by the keyed hash of 't', so crafted keys cannot make the
 * probing quadratic.  Returns the number of distinct flows, now in f[0..),
 * or -ENOMEM.
 */
static int64_t
merge(const struct vfo_flow_table *t, struct vfo_flow_info *f, size_t nb)
{
	size_t size = 16, mask, i, w = 0;
	uint32_t *slot;

	while (size < 2 * nb)
		size <<= 1;
	mask = size - 1;
	slot = calloc(size, sizeof(*slot)); /* 0 empty, else index + 1 in f[] */
	if (slot == NULL)
		return -ENOMEM;
	for (i = 0; i < nb; i++) {
		union flow_key key = {.k = f[i].key};
		size_t h = key_hash(t, &key) & mask;

		while (slot[h] != 0 && !key_eq(&f[slot[h] - 1].key, &f[i].key))
			h = (h + 1) & mask;
		if (slot[h] != 0) {
			struct vfo_flow_info *d = &f[slot[h] - 1];

			d->packets += f[i].packets;
			d->bytes += f[i].bytes;
			d->first_tsc = RTE_MIN(d->first_tsc, f[i].first_tsc);
			d->last_tsc = RTE_MAX(d->last_tsc, f[i].last_tsc);
		} else {
			f[w] = f[i];
			slot[h] = (uint32_t)(++w);
		}
	}
	free(slot);
	return (int64_t)w;
}

/*
 * Reads 't' at its current epoch: fills 'st' (flows counted once however
 * many lcores saw them; flows idle past the timeout are left out, as if the
 * sweep had removed them already) and, when 'k' is not NULL, offers every
 * flow to it with its counters summed over lcores.  When at most one lcore
 * has entries (the usual case with RSS, and always with one lcore) they
 * stream through without a copy; otherwise they are copied and merged.
 * Returns 0 or -ENOMEM.
 */
static int
table_read(struct vfo_flow_table *t, struct topk *k, struct vfo_flow_stats *st)
{
	struct read_ctx rc = {
		.epoch = __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE),
		.now_tsc = rte_rdtsc(),
		.idle_tsc = __atomic_load_n(&t->idle_tsc, __ATOMIC_RELAXED),
	};
	size_t room[VFO_FLOW_MAX_LCORES], total = 0, nb = 0, i;
	struct vfo_flow_info *all;
	unsigned int l, contributors = 0;
	int64_t m;

	memset(st, 0, sizeof(*st));
	for (l = 0; l < t->nb_lcores; l++) {
		const struct flow_lcore *lc = &t->lcore[l];

		room[l] = __atomic_load_n(&lc->epoch, __ATOMIC_ACQUIRE) == rc.epoch
				  ? __atomic_load_n(&lc->used, __ATOMIC_ACQUIRE)
				  : 0;
		total += room[l];
		contributors += room[l] > 0;
	}
	if (contributors <= 1) {
		for (l = 0; l < t->nb_lcores; l++) {
			size_t c = lcore_read(&t->lcore[l], &rc, room[l], NULL, k, st);

			/* The only lcore with entries: when it gave no flow (all
			 * aged, or emptied while read), 'k' holds none of its. */
			if (c == 0 && room[l] > 0 && k != NULL)
				k->len = 0;
			st->flows += c;
		}
		return 0;
	}
	all = malloc(total * sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	for (l = 0; l < t->nb_lcores; l++)
		nb += lcore_read(&t->lcore[l], &rc, room[l], all + nb, NULL, st);
	m = merge(t, all, nb);
	if (m < 0) {
		free(all);
		return (int)m;
	}
	st->flows = (uint64_t)m;
	for (i = 0; k != NULL && i < (size_t)m; i++)
		topk_offer(k, &all[i]);
	free(all);
	return 0;
}

int
vfo_flow_top(struct vfo_flow_table *t, unsigned int n, enum vfo_flow_order order,
	     struct vfo_flow_info *out)
{
	struct topk k = {.h = out, .keep = n, .order = order};
	struct vfo_flow_stats st;
	int ret;

	ret = table_read(t, &k, &st);
	return ret < 0 ? ret : (int)topk_finish(&k);
}

int64_t
vfo_flow_count(struct vfo_flow_table *t)
{
	struct vfo_flow_stats st;
	int ret;

	ret = table_read(t, NULL, &st);
	return ret < 0 ? ret : (int64_t)st.flows;
}

int
vfo_flow_stats_get(struct vfo_flow_table *t, struct vfo_flow_stats *st)
{
	return table_read(t, NULL, st);
}

/* Returns a new JSON object for flow 'f' of 't', NULL when out of memory. */
static json_t *
flow_json(const struct vfo_flow_table *t, const struct vfo_flow_info *f)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &f->key.src_ip, src, sizeof(src));
	inet_ntop(AF_INET, &f->key.dst_ip, dst, sizeof(dst));
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:I}", "src", src, "dst", dst,
			 "proto", (int)f->key.proto, "sport",
			 (int)rte_be_to_cpu_16(f->key.src_port), "dport",
			 (int)rte_be_to_cpu_16(f->key.dst_port), "packets", (json_int_t)f->packets,
			 "bytes", (json_int_t)f->bytes, "first_seen_us",
			 (json_int_t)vfo_flow_tsc_to_us(t, f->first_tsc), "last_seen_us",
			 (json_int_t)vfo_flow_tsc_to_us(t, f->last_tsc));
}

/* Builds the reply of vfo_flow_top_json_by(); 'with_order' adds "order". */
static json_t *
top_json(struct vfo_flow_table *t, unsigned int n, enum vfo_flow_order order, bool with_order)
{
	struct topk k = {.keep = n, .order = order};
	struct vfo_flow_stats st;
	json_t *flows, *o = NULL;
	size_t i;

	k.h = malloc(RTE_MAX(n, 1u) * sizeof(*k.h));
	flows = json_array();
	if (k.h == NULL || flows == NULL || table_read(t, &k, &st) < 0)
		goto out;
	topk_finish(&k);
	for (i = 0; i < k.len; i++)
		if (json_array_append_new(flows, flow_json(t, &k.h[i])) < 0)
			goto out;
	o = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "flows", flows, "total_flows",
		      (json_int_t)st.flows, "unclassified", (json_int_t)st.unclassified_pkts,
		      "table_full", (json_int_t)st.table_full, "max_flows",
		      (json_int_t)t->max_flows, "aged_out", (json_int_t)st.aged_out,
		      "idle_timeout_ms", (json_int_t)(vfo_flow_idle_timeout(t) / 1000));
	flows = NULL; /* "o" steals it, even on failure */
	if (o != NULL && with_order &&
	    json_object_set_new(o, "order",
				json_string(order == VFO_FLOW_BY_BYTES ? "bytes" : "packets")) <
		    0) {
		json_decref(o);
		o = NULL;
	}
out:
	json_decref(flows);
	free(k.h);
	return o;
}

json_t *
vfo_flow_top_json(struct vfo_flow_table *t, unsigned int n)
{
	return top_json(t, n, VFO_FLOW_BY_PACKETS, false);
}

json_t *
vfo_flow_top_json_by(struct vfo_flow_table *t, unsigned int n, enum vfo_flow_order order)
{
	return top_json(t, n, order, true);
}
