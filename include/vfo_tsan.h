/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_tsan.h — tells ThreadSanitizer about the synchronisation that happens
 * inside DPDK, which is not instrumented: what one thread does before
 * vfo_tsan_release(obj) happens before what another does after a later
 * vfo_tsan_acquire(obj) on the same object.
 *
 * Used where our data crosses threads through DPDK: an RCU grace period
 * (a worker releases the RCU variable before reporting a quiescent state,
 * the writer acquires it once rte_rcu_qsbr_synchronize() returned) and the
 * event ring (the producer releases an event before enqueueing it, the
 * consumer acquires it after dequeueing it).  Without these, TSan would
 * report every reuse of an old uplink view and every event as a race; with
 * them, a report there is a missing grace period or a real race.  Also
 * DPDK's lcore launch, and packets a PMD carries between our own threads.
 *
 * Compiles to nothing unless built with -fsanitize=thread (scripts/test
 * --tsan).  Thread-safety: any thread.
 */
#ifndef VFO_TSAN_H
#define VFO_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define VFO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VFO_TSAN 1
#endif
#endif

#ifdef VFO_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
/** What happened before the matching release happens before this point. */
#define vfo_tsan_acquire(obj) __tsan_acquire((void *)(obj))
/** What happened before this point happens before a later matching acquire. */
#define vfo_tsan_release(obj) __tsan_release((void *)(obj))
#else
#define vfo_tsan_acquire(obj) ((void)(obj))
#define vfo_tsan_release(obj) ((void)(obj))
#endif

/**
 * Packets handed to a PMD (release) and taken from one (acquire): what the
 * sender wrote into objs[0..n) happens before what the receiver reads, when
 * a PMD carries them between our threads (net_ring, memif to ourselves).
 */
static inline void
vfo_tsan_release_n(void *const *objs, unsigned int n)
{
#ifdef VFO_TSAN
	for (unsigned int i = 0; i < n; i++)
		__tsan_release(objs[i]);
#else
	(void)objs;
	(void)n;
#endif
}

/** See vfo_tsan_release_n(). */
static inline void
vfo_tsan_acquire_n(void *const *objs, unsigned int n)
{
#ifdef VFO_TSAN
	for (unsigned int i = 0; i < n; i++)
		__tsan_acquire(objs[i]);
#else
	(void)objs;
	(void)n;
#endif
}

#endif /* VFO_TSAN_H */
