/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_numa.c — the NUMA placement check (vfo_numa_check) on injected
 * topologies: which lcore/port/pool mismatches it warns about, and that each
 * warning names the lcore, the port and the fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vfo_numa.h"

/* The warnings of the last check. */
static char lines[8][384];
static unsigned int nb_lines;

static void
collect(void *arg, const char *line)
{
	(void)arg;
	if (nb_lines < 8)
		snprintf(lines[nb_lines], sizeof(lines[0]), "%s", line);
	nb_lines++;
}

/* Runs the check; returns its count (also in nb_lines). */
static unsigned int
check(const struct vfo_numa_lcore *l, unsigned int nl, const struct vfo_numa_port *p,
      unsigned int np)
{
	unsigned int n;

	nb_lines = 0;
	n = vfo_numa_check(l, nl, p, np, collect, NULL);
	assert_int_equal(n, nb_lines);
	return n;
}

static void
test_same_node(void **state)
{
	const struct vfo_numa_lcore l[] = {{1, 0, 1}, {2, 0, 2}};
	const struct vfo_numa_port p[] = {{"uplink u0 vf", 0, 0, 0}, {"uplink u0 backup", 1, 0, 0}};

	(void)state;
	assert_int_equal(check(l, 2, p, 2), 0);
}

static void
test_lcore_far_from_port(void **state)
{
	const struct vfo_numa_lcore l[] = {{3, 1, 13}};
	const struct vfo_numa_port p[] = {{"uplink u0 vf", 0, 0, 0}, {"uplink u0 backup", 1, 1, 1}};

	(void)state;
	assert_int_equal(check(l, 1, p, 2), 1);
	assert_non_null(strstr(lines[0], "lcore 3 (CPU 13, node 1)"));
	assert_non_null(strstr(lines[0], "uplink u0 vf (port 0, node 0)"));
	assert_non_null(strstr(lines[0], "node 0 (-l / --lcores)"));
}

static void
test_two_nodes_each_way(void **state)
{
	const struct vfo_numa_lcore l[] = {{1, 0, 1}, {9, 1, 9}};
	const struct vfo_numa_port p[] = {{"uplink u0 vf", 0, 0, 0}, {"uplink u1 vf", 2, 1, 1}};

	(void)state;
	assert_int_equal(check(l, 2, p, 2), 2);
	assert_non_null(strstr(lines[0], "lcore 1 "));
	assert_non_null(strstr(lines[0], "port 2"));
	assert_non_null(strstr(lines[1], "lcore 9 "));
	assert_non_null(strstr(lines[1], "port 0"));
}

static void
test_pool_far_from_port(void **state)
{
	const struct vfo_numa_lcore l[] = {{1, 1, 1}};
	const struct vfo_numa_port p[] = {{"uplink u0 vf", 4, 1, 0}};

	(void)state;
	assert_int_equal(check(l, 1, p, 1), 1);
	assert_non_null(strstr(lines[0], "uplink u0 vf (port 4) is on node 1"));
	assert_non_null(strstr(lines[0], "mbuf pool is on node 0"));
	assert_non_null(strstr(lines[0], "--socket-mem"));
}

static void
test_spanning_and_unknown(void **state)
{
	const struct vfo_numa_lcore l[] = {{1, VFO_NUMA_SPANS, 0}, {2, VFO_NUMA_UNKNOWN, 2}};
	const struct vfo_numa_port p[] = {{"uplink u0 vf", 0, 0, 0},
					  {"uplink u0 backup", 1, VFO_NUMA_UNKNOWN, 0}};

	(void)state;
	assert_int_equal(check(l, 2, p, 2), 1);
	assert_non_null(strstr(lines[0], "lcore 1 may run on CPUs of several nodes"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_node),
		cmocka_unit_test(test_lcore_far_from_port),
		cmocka_unit_test(test_two_nodes_each_way),
		cmocka_unit_test(test_pool_far_from_port),
		cmocka_unit_test(test_spanning_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
