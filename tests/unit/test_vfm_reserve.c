/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfm_reserve.c — unit tests of vfmigrate's reservations of
 * destination VFs: entries kept across holders, counted per VF, found by
 * MAC, removed by id; those of a dead run dropped; a file that is not
 * theirs refused with its name; and the lock: two threads of one process,
 * and two processes, racing for the one free VF of a destination, round
 * after round, never both get it and never neither.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vfm.h"

/* Rounds of each race. */
#define ROUNDS 200

/* Makes a fresh directory for one test; returns its path (static buffer). */
static const char *
fresh_dir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/vfm-resv-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Removes the files a test left in 'dir', and 'dir'. */
static void
clean_dir(const char *dir, const char *key)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/dst-%s.json", dir, key);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dst-%s.lock", dir, key);
	unlink(p);
	rmdir(dir);
}

static void
test_entries(void **state)
{
	const char *dir = fresh_dir();
	struct vfm_resv *r = calloc(1, sizeof(*r));
	char err[512], a[40], b[40];

	(void)state;
	assert_int_equal(vfm_resv_open(r, dir, "host1", err, sizeof(err)), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(vfm_resv_add(r, "pool:sriov", "52:54:00:00:00:01", "vm1", a), 0);
	assert_int_equal(vfm_resv_add(r, "pool:sriov", "52:54:00:aa:00:02", "vm2", b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(vfm_resv_close(r, err, sizeof(err)), 0);
	/* The next holder sees both. */
	assert_int_equal(vfm_resv_open(r, dir, "host1", err, sizeof(err)), 0);
	assert_int_equal(r->n, 2);
	assert_int_equal(vfm_resv_count(r, "pool:sriov", NULL), 2);
	assert_int_equal(vfm_resv_count(r, "pool:sriov", a), 1);
	assert_int_equal(vfm_resv_count(r, "pool:other", NULL), 0);
	/* MACs compare without case. */
	assert_string_equal(vfm_resv_mac(r, "52:54:00:AA:00:02", NULL)->domain, "vm2");
	assert_null(vfm_resv_mac(r, "52:54:00:aa:00:02", b));
	assert_null(vfm_resv_mac(r, "52:54:00:00:00:03", NULL));
	assert_true(vfm_resv_remove(r, a));
	assert_false(vfm_resv_remove(r, a));
	assert_int_equal(vfm_resv_close(r, err, sizeof(err)), 0);
	assert_int_equal(vfm_resv_open(r, dir, "host1", err, sizeof(err)), 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->e[0].id, b);
	assert_int_equal(r->e[0].pid, (long)getpid());
	/* Another destination has its own. */
	assert_int_equal(vfm_resv_close(r, err, sizeof(err)), 0);
	assert_int_equal(vfm_resv_open(r, dir, "host2", err, sizeof(err)), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(vfm_resv_close(r, err, sizeof(err)), 0);
	clean_dir(dir, "host2");
	clean_dir(dir, "host1");
	free(r);
}

static void
test_free_vfs(void **state)
{
	(void)state;
	assert_true(vfm_resv_free(-1, 100, 100));
	assert_true(vfm_resv_free(2, 1, 0));
	assert_false(vfm_resv_free(2, 1, 1));
	assert_false(vfm_resv_free(1, 1, 0));
	assert_false(vfm_resv_free(1, 0, 1));
	assert_false(vfm_resv_free(0, 0, 0));
}

static void
test_dead_run_dropped(void **state)
{
	const char *dir = fresh_dir();
	struct vfm_resv *r = calloc(1, sizeof(*r));
	char err[512], id[40];
	pid_t child = fork();
	int status;

	(void)state;
	assert_true(child >= 0);
	if (child == 0) {
		/* A run that reserves, then dies without releasing. */
		if (vfm_resv_open(r, dir, "h", err, sizeof(err)) != 0 ||
		    vfm_resv_add(r, "pool:p", "52:54:00:00:00:09", "dead", id) != 0 ||
		    vfm_resv_close(r, err, sizeof(err)) != 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(vfm_resv_open(r, dir, "h", err, sizeof(err)), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(r->dropped, 1);
	assert_int_equal(vfm_resv_add(r, "pool:p", "52:54:00:00:00:09", "alive", id), 0);
	assert_int_equal(vfm_resv_close(r, err, sizeof(err)), 0);
	/* A live run's entry stays. */
	assert_int_equal(vfm_resv_open(r, dir, "h", err, sizeof(err)), 0);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->dropped, 0);
	assert_int_equal(vfm_resv_close(r, err, sizeof(err)), 0);
	clean_dir(dir, "h");
	free(r);
}

static void
test_bad_file(void **state)
{
	const char *dir = fresh_dir();
	struct vfm_resv *r = calloc(1, sizeof(*r));
	char err[512], path[256];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/dst-h.json", dir);
	f = fopen(path, "w");
	fputs("{\"something\": 1}", f);
	fclose(f);
	assert_int_equal(vfm_resv_open(r, dir, "h", err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a vfmigrate reservation file"));
	assert_int_equal(r->fd, -1);
	f = fopen(path, "w");
	fputs("{\"reservations\": [{\"id\": \"x\"}]}", f);
	fclose(f);
	assert_int_equal(vfm_resv_open(r, dir, "h", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "entry 0 is not a reservation"));
	assert_int_equal(vfm_resv_open(r, "/proc/vfm-nope", "h", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create the reservation directory /proc/vfm-nope"));
	clean_dir(dir, "h");
	free(r);
}

/*
 * One contender for the destination's one free VF, as vfm_virt.c does it:
 * under the lock, counts what others reserved and reserves if one is left.
 * Returns 1 when it got the VF, 0 when not, -1 on error.
 */
static int
contend(const char *dir, const char *domain)
{
	struct vfm_resv *r = calloc(1, sizeof(*r));
	char err[512], id[40];
	int got = -1;

	if (r == NULL || vfm_resv_open(r, dir, "race", err, sizeof(err)) != 0)
		goto out;
	got = 0;
	if (vfm_resv_free(1, 0, vfm_resv_count(r, "pci:0000:03:10.2", NULL))) {
		/* Give the other contender every chance to interleave. */
		usleep(200);
		got = vfm_resv_add(r, "pci:0000:03:10.2", domain, domain, id) == 0 ? 1 : -1;
	}
	if (vfm_resv_close(r, err, sizeof(err)) != 0)
		got = -1;
out:
	free(r);
	return got;
}

/** A racing thread's start barrier, directory and result. */
struct racer {
	pthread_barrier_t *start; /**< both start together */
	const char *dir;	  /**< the reservations */
	const char *domain;	  /**< the domain it migrates */
	int got;		  /**< contend()'s result */
};

/* Thread body: waits for the start, then contends. */
static void *
racer_main(void *arg)
{
	struct racer *x = arg;

	pthread_barrier_wait(x->start);
	x->got = contend(x->dir, x->domain);
	return NULL;
}

/* Removes the race's reservation file between rounds. */
static void
reset_race(const char *dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/dst-race.json", dir);
	unlink(p);
}

static void
test_race_threads(void **state)
{
	const char *dir = fresh_dir();
	pthread_barrier_t start;
	int i;

	(void)state;
	for (i = 0; i < ROUNDS; i++) {
		struct racer a = {&start, dir, "vm-a", -1}, b = {&start, dir, "vm-b", -1};
		pthread_t ta, tb;

		reset_race(dir);
		pthread_barrier_init(&start, NULL, 2);
		assert_int_equal(pthread_create(&ta, NULL, racer_main, &a), 0);
		assert_int_equal(pthread_create(&tb, NULL, racer_main, &b), 0);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_barrier_destroy(&start);
		if (a.got < 0 || b.got < 0 || a.got + b.got != 1)
			fail_msg("round %d: threads got %d and %d; want exactly one VF", i, a.got,
				 b.got);
	}
	clean_dir(dir, "race");
}

static void
test_race_processes(void **state)
{
	const char *dir = fresh_dir();
	int i;

	(void)state;
	for (i = 0; i < ROUNDS / 4; i++) {
		int go[2], res[2], hold[2], got = 0, j, status;
		pid_t kids[2];
		char c = 'g';

		reset_race(dir);
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(res), 0);
		assert_int_equal(pipe(hold), 0);
		for (j = 0; j < 2; j++) {
			kids[j] = fork();
			assert_true(kids[j] >= 0);
			if (kids[j] == 0) {
				char r;

				close(go[1]);
				close(hold[1]);
				if (read(go[0], &r, 1) != 1) /* the start: both at once */
					_exit(3);
				r = (char)('1' + contend(dir, j ? "vm-b" : "vm-a"));
				/* A migrating run lives on after it reserved: stay
				 * until the parent has both results. */
				if (write(res[1], &r, 1) != 1 || read(hold[0], &c, 1) < 0)
					_exit(3);
				_exit(0);
			}
		}
		close(go[0]);
		close(hold[0]);
		close(res[1]);
		assert_int_equal(write(go[1], &c, 1), 1);
		assert_int_equal(write(go[1], &c, 1), 1);
		for (j = 0; j < 2; j++) {
			char r;

			assert_int_equal(read(res[0], &r, 1), 1);
			if (r != '1' && r != '2')
				fail_msg("round %d: a process failed (%c)", i, r);
			got += r - '1';
		}
		close(hold[1]);
		for (j = 0; j < 2; j++)
			assert_int_equal(waitpid(kids[j], &status, 0), kids[j]);
		close(go[1]);
		close(res[0]);
		if (got != 1)
			fail_msg("round %d: %d processes got the one VF", i, got);
	}
	clean_dir(dir, "race");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),		 cmocka_unit_test(test_free_vfs),
		cmocka_unit_test(test_dead_run_dropped), cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_race_threads),	 cmocka_unit_test(test_race_processes),
	};

	return cmocka_run_group_tests_name("vfm_reserve", tests, NULL, NULL);
}
