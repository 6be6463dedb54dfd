/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_tsa.h — lock annotations that clang's -Wthread-safety checks (they
 * expand to nothing for other compilers), and a pthread mutex it knows as
 * a capability.  Plain C (no DPDK).
 *
 *     static struct vfo_mutex lock = VFO_MUTEX_INITIALIZER;
 *     static int n VFO_GUARDED_BY(lock);           // read and written with lock held
 *     void f(struct s *p) VFO_REQUIRES(p->lock);   // caller holds it
 *     void g(struct s *p) VFO_EXCLUDES(p->lock);   // takes it itself
 *
 * In C, clang (up to 18) cannot name a sibling member in an attribute, so a
 * struct member's lock is stated in its comment, and the functions that
 * touch it carry VFO_REQUIRES / VFO_EXCLUDES; globals carry VFO_GUARDED_BY.
 *
 * Check them with a clang build:
 *     CC=clang meson setup build-tsa -Dthread_safety=true && ninja -C build-tsa
 * (scripts/test does).
 */
#ifndef VFO_TSA_H
#define VFO_TSA_H

#include <pthread.h>

#if defined(__clang__)
#define VFO_TSA(x) __attribute__((x))
#else
#define VFO_TSA(x)
#endif

/** The type is a lock. */
#define VFO_CAPABILITY(name) VFO_TSA(capability(name))
/** The member is read and written with 'lock' held. */
#define VFO_GUARDED_BY(lock) VFO_TSA(guarded_by(lock))
/** The function is called with these locks held. */
#define VFO_REQUIRES(...) VFO_TSA(requires_capability(__VA_ARGS__))
/** The function takes these locks and returns holding them. */
#define VFO_ACQUIRES(...) VFO_TSA(acquire_capability(__VA_ARGS__))
/** The function releases these locks. */
#define VFO_RELEASES(...) VFO_TSA(release_capability(__VA_ARGS__))
/** The function takes these locks itself: call it without them. */
#define VFO_EXCLUDES(...) VFO_TSA(locks_excluded(__VA_ARGS__))
/** The function is not checked (say why where it is used). */
#define VFO_NO_TSA VFO_TSA(no_thread_safety_analysis)

/** A pthread mutex that -Wthread-safety knows as a lock. */
struct VFO_CAPABILITY("mutex") vfo_mutex {
	pthread_mutex_t m; /**< the mutex */
};

/** Static initialiser of a struct vfo_mutex. */
#define VFO_MUTEX_INITIALIZER                                                                      \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER                                                          \
	}

/** Initialises 'mu' (a default pthread mutex).  Returns 0 or an errno. */
static inline int
vfo_mutex_init(struct vfo_mutex *mu)
{
	return pthread_mutex_init(&mu->m, NULL);
}

/** Destroys 'mu' (unlocked). */
static inline void
vfo_mutex_destroy(struct vfo_mutex *mu)
{
	pthread_mutex_destroy(&mu->m);
}

static inline void vfo_mutex_lock(struct vfo_mutex *mu) VFO_ACQUIRES(mu) VFO_NO_TSA;
static inline void vfo_mutex_unlock(struct vfo_mutex *mu) VFO_RELEASES(mu) VFO_NO_TSA;

/** Takes 'mu'. */
static inline void
vfo_mutex_lock(struct vfo_mutex *mu)
{
	pthread_mutex_lock(&mu->m);
}

/** Releases 'mu'. */
static inline void
vfo_mutex_unlock(struct vfo_mutex *mu)
{
	pthread_mutex_unlock(&mu->m);
}

#endif /* VFO_TSA_H */
