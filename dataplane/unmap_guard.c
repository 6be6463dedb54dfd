/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unmap_guard.c — munmap() interposed so that a PMD tearing a connection
 * down on EAL's interrupt thread waits for the polling lcores first (see
 * vfo_unmap_guard.h for why).
 *
 * The executable must export munmap (meson: -Wl,--export-dynamic-symbol),
 * so that PMDs loaded as plugins bind to this definition.
 */
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_interrupts.h>
#include <rte_log.h>

#include "vfo_unmap_guard.h"

/** Armed RCU variable, NULL: the guard is off. */
static struct rte_rcu_qsbr *guard_qsbr;
/** Longest wait per unmap, in TSC cycles. */
static uint64_t guard_timeout_tsc;
/** Counters (atomic). */
static struct vfo_unmap_guard_stats guard_st;

void
vfo_unmap_guard_arm(struct rte_rcu_qsbr *v, uint64_t timeout_us)
{
	__atomic_store_n(&guard_timeout_tsc, timeout_us * rte_get_tsc_hz() / 1000000,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&guard_qsbr, v, __ATOMIC_RELEASE);
}

void
vfo_unmap_guard_stats_get(struct vfo_unmap_guard_stats *st)
{
	st->waits = __atomic_load_n(&guard_st.waits, __ATOMIC_RELAXED);
	st->timeouts = __atomic_load_n(&guard_st.timeouts, __ATOMIC_RELAXED);
}

/*
 * Waits until every reader of 'v' has passed a quiescent state begun after
 * this call, or the guard's timeout.  The token's release store orders the
 * PMD's earlier writes (its "connected" flag cleared) before the readers'
 * next quiescent states, so their later bursts see them.
 */
static void
wait_readers(struct rte_rcu_qsbr *v)
{
	const uint64_t token = rte_rcu_qsbr_start(v);
	const uint64_t end =
		rte_get_tsc_cycles() + __atomic_load_n(&guard_timeout_tsc, __ATOMIC_RELAXED);
	const struct timespec nap = {.tv_sec = 0, .tv_nsec = 10000};

	__atomic_fetch_add(&guard_st.waits, 1, __ATOMIC_RELAXED);
	while (rte_rcu_qsbr_check(v, token, false) != 1) {
		if (rte_get_tsc_cycles() >= end) {
			__atomic_fetch_add(&guard_st.timeouts, 1, __ATOMIC_RELAXED);
			/* EAL's log type: vfprobe links this without vfailover's. */
			RTE_LOG(WARNING, EAL,
				"unmap guard: a forwarding lcore reported no quiescent state "
				"in time; a PMD unmaps memory it may still poll\n");
			return;
		}
		nanosleep(&nap, NULL);
	}
}

/* The munmap the guard stands in front of (libc's, or a sanitizer's). */
typedef int (*munmap_fn)(void *, size_t);

/* Returns the next munmap in the lookup order (resolved once), or NULL. */
static munmap_fn
next_munmap(void)
{
	static munmap_fn next;
	munmap_fn fn = __atomic_load_n(&next, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		fn = (munmap_fn)(uintptr_t)dlsym(RTLD_NEXT, "munmap");
		__atomic_store_n(&next, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

/* The interposed munmap(2): see vfo_unmap_guard.h. */
int
munmap(void *addr, size_t len)
{
	struct rte_rcu_qsbr *v = __atomic_load_n(&guard_qsbr, __ATOMIC_ACQUIRE);
	munmap_fn fn;

	if (v != NULL && rte_thread_is_intr())
		wait_readers(v);
	fn = next_munmap();
	return fn != NULL ? fn(addr, len) : (int)syscall(SYS_munmap, addr, len);
}
