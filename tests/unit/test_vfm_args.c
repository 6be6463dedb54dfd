/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfm_args.c — unit tests of vfmigrate's command line: every option
 * lands in its field, the defaults, the numeric ranges, and each refusal
 * (missing domain/destination/VF, bad MAC, exclusive options, what
 * several domains cannot share, duplicates, unknown options) with its
 * message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_argv.h"

#include "vfm.h"

/* Parses the NULL-terminated arguments after the program name into 'o'. */
static int
parse(struct vfm_opts *o, char *err, size_t errlen, ...)
{
	char *argv[UNIT_ARGV_MAX];
	int argc;
	va_list ap;

	va_start(ap, errlen);
	argc = unit_argv(argv, "vfmigrate", ap);
	va_end(ap);
	err[0] = '\0';
	return vfm_args_parse(argc, argv, o, err, errlen);
}

#define PARSE(o, err, ...) parse(o, err, sizeof(err), __VA_ARGS__, (char *)NULL)

/* Asserts that the arguments are refused with a message containing 'want'. */
#define EXPECT_FAIL(want, ...)                                                                     \
	do {                                                                                       \
		struct vfm_opts o_;                                                                \
		char e_[512];                                                                      \
		assert_int_equal(PARSE(&o_, e_, __VA_ARGS__), -1);                                 \
		if (strstr(e_, want) == NULL)                                                      \
			fail_msg("error '%s' lacks '%s'", e_, want);                               \
	} while (0)

static void
test_everything(void **state)
{
	struct vfm_opts o;
	char err[512];

	(void)state;
	assert_int_equal(
		PARSE(&o, err, "--src", "qemu:///system", "--dst", "qemu+ssh://h2/system", "--vf",
		      "ua-vf0", "--vf-network", "sriov-pool", "--channel", "/run/c.sock",
		      "--channel-dst", "/run/d.sock", "--channel-name", "org.x.1", "--uplink", "u0",
		      "--steer-backup", "hook b", "--steer-vf", "hook v", "--xml", "dst.xml",
		      "--json", "r.json", "--live", "--p2p", "--persistent", "--undefine-source",
		      "--quiet", "--max-downtime", "300", "--bandwidth", "1000", "--detach-timeout",
		      "5000", "--guest-timeout", "2000", "--hook-timeout", "100", "--timeout",
		      "90000", "--no-vf", "backup", "--lock-dir", "/var/lib/vfm", "vm1"),
		0);
	assert_string_equal(o.src_uri, "qemu:///system");
	assert_string_equal(o.dst_uri, "qemu+ssh://h2/system");
	assert_string_equal(o.vf, "ua-vf0");
	assert_false(o.vf_is_mac);
	assert_string_equal(o.vf_network, "sriov-pool");
	assert_null(o.vf_xml);
	assert_string_equal(o.channel, "/run/c.sock");
	assert_string_equal(o.channel_dst, "/run/d.sock");
	assert_string_equal(o.channel_name, "org.x.1");
	assert_string_equal(o.uplink, "u0");
	assert_string_equal(o.steer_backup, "hook b");
	assert_string_equal(o.steer_vf, "hook v");
	assert_string_equal(o.xml, "dst.xml");
	assert_string_equal(o.json_path, "r.json");
	assert_true(o.live && o.p2p && o.persistent && o.undefine_source && o.quiet);
	assert_false(o.no_guest);
	assert_int_equal(o.max_downtime_ms, 300);
	assert_int_equal(o.bandwidth_mibs, 1000);
	assert_int_equal(o.detach_timeout_ms, 5000);
	assert_int_equal(o.guest_timeout_ms, 2000);
	assert_int_equal(o.hook_timeout_ms, 100);
	assert_int_equal(o.timeout_ms, 90000);
	assert_true(o.no_vf_backup);
	assert_string_equal(o.lock_dir, "/var/lib/vfm");
	assert_int_equal(o.nb_domains, 1);
	assert_string_equal(o.domains[0], "vm1");
}

static void
test_defaults_and_mac(void **state)
{
	struct vfm_opts o;
	char err[512];

	(void)state;
	/* Options may follow the domain; a MAC is recognized as one. */
	assert_int_equal(PARSE(&o, err, "vm1", "--dst", "test:///default", "--vf",
			       "52:54:00:AB:cd:01", "--vf-xml", "vf.xml", "--no-guest"),
			 0);
	assert_true(o.vf_is_mac);
	assert_string_equal(o.vf_xml, "vf.xml");
	assert_true(o.no_guest);
	assert_null(o.src_uri);
	assert_string_equal(o.channel_name, VFM_CHANNEL_NAME);
	assert_int_equal(o.parallel, 1);
	assert_int_equal(o.detach_timeout_ms, 10000);
	assert_int_equal(o.guest_timeout_ms, 10000);
	assert_int_equal(o.hook_timeout_ms, 30000);
	assert_int_equal(o.max_downtime_ms, 0);
	assert_false(o.live || o.p2p);
	/* No migration timeout, no migration without a free VF, the shared lock dir. */
	assert_int_equal(o.timeout_ms, 0);
	assert_false(o.no_vf_backup);
	assert_string_equal(o.lock_dir, VFM_LOCK_DIR);
	assert_int_equal(PARSE(&o, err, "vm1", "--dst", "d", "--vf", "x", "--no-vf", "abort"), 0);
	assert_false(o.no_vf_backup);
}

static void
test_many_domains(void **state)
{
	struct vfm_opts o;
	char err[512];

	(void)state;
	assert_int_equal(PARSE(&o, err, "--dst", "d", "--vf", "ua-vf", "--parallel", "3", "a", "b",
			       "c", "d"),
			 0);
	assert_int_equal(o.nb_domains, 4);
	assert_int_equal(o.parallel, 3);
	assert_string_equal(o.domains[3], "d");
	/* A directory of definitions (DIR/DOMAIN.xml) serves several domains. */
	assert_int_equal(PARSE(&o, err, "--dst", "d", "--vf", "ua-vf", "--xml", "/tmp", "a", "b"),
			 0);
	assert_string_equal(o.xml, "/tmp");
	assert_int_equal(PARSE(&o, err, "-h", "--bogus"), 0);
	assert_true(o.help);
}

static void
test_refusals(void **state)
{
	(void)state;
	EXPECT_FAIL("no domain given", "--dst", "d", "--vf", "x");
	EXPECT_FAIL("no destination: give --dst URI", "--vf", "x", "vm");
	EXPECT_FAIL("no VF interface: give --vf ALIAS or --vf MAC", "--dst", "d", "vm");
	EXPECT_FAIL("--vf '52:54:00:zz:00:01': not a MAC address", "--dst", "d", "--vf",
		    "52:54:00:zz:00:01", "vm");
	EXPECT_FAIL("--vf-network and --vf-xml exclude each other", "--dst", "d", "--vf", "x",
		    "--vf-network", "p", "--vf-xml", "f", "vm");
	EXPECT_FAIL("--no-guest excludes --channel", "--dst", "d", "--vf", "x", "--no-guest",
		    "--channel", "/c", "vm");
	EXPECT_FAIL("--vf MAC names one domain's device or definition; with 2 domains", "--dst",
		    "d", "--vf", "52:54:00:00:00:01", "a", "b");
	EXPECT_FAIL("--xml FILE names one domain's device", "--dst", "d", "--vf", "x", "--xml",
		    "/nonexistent/f.xml", "a", "b");
	EXPECT_FAIL("--channel names one domain's device", "--dst", "d", "--vf", "x", "--channel",
		    "/c", "a", "b");
	EXPECT_FAIL("domain 'a' is given twice", "--dst", "d", "--vf", "x", "a", "b", "a");
	EXPECT_FAIL("unknown option --bogus; see --help", "--bogus", "vm");
	EXPECT_FAIL("--dst needs an argument", "vm", "--dst");
	EXPECT_FAIL("--no-vf 'wait': give abort (do not migrate without a free VF on the "
		    "destination) or backup",
		    "--dst", "d", "--vf", "x", "--no-vf", "wait", "vm");
	EXPECT_FAIL("--lock-dir 'locks': give an absolute path", "--dst", "d", "--vf", "x",
		    "--lock-dir", "locks", "vm");
}

/* --evacuate and its options. */
static void
test_evacuate(void **state)
{
	struct vfm_opts o;
	char err[512];

	(void)state;
	assert_int_equal(
		PARSE(&o, err, "--dst", "d", "--vf", "ua-vf0", "--evacuate", "--parallel", "2"), 0);
	assert_true(o.evacuate);
	assert_false(o.keep_going);
	assert_int_equal(o.nb_domains, 0);
	assert_int_equal(o.load_threshold, 0);
	assert_int_equal(o.parallel, 2);
	assert_int_equal(PARSE(&o, err, "--dst", "d", "--vf", "ua-vf0", "--evacuate",
			       "--on-failure", "continue", "--load-threshold", "80",
			       "--load-interval", "2"),
			 0);
	assert_true(o.keep_going);
	assert_int_equal(o.load_threshold, 80);
	assert_int_equal(o.load_interval_s, 2);
	assert_int_equal(o.load_samples, 3);
	EXPECT_FAIL("--evacuate migrates every vfailover domain of --src: give no DOMAIN ('vm' "
		    "given)",
		    "--dst", "d", "--vf", "x", "--evacuate", "vm");
	EXPECT_FAIL("--vf MAC names one domain's device or definition; with --evacuate", "--dst",
		    "d", "--vf", "52:54:00:00:00:01", "--evacuate");
	EXPECT_FAIL("--on-failure 'retry': give stop", "--dst", "d", "--vf", "x", "--evacuate",
		    "--on-failure", "retry");
	EXPECT_FAIL("--on-failure and --load-* apply to --evacuate", "--dst", "d", "--vf", "x",
		    "--on-failure", "continue", "vm");
	EXPECT_FAIL("--load-interval and --load-samples need --load-threshold PCT", "--dst", "d",
		    "--vf", "x", "--evacuate", "--load-samples", "2");
	EXPECT_FAIL("--load-threshold '101': give a number 1..100", "--dst", "d", "--vf", "x",
		    "--evacuate", "--load-threshold", "101");
	EXPECT_FAIL("no domain given: vfmigrate [options] DOMAIN... or --evacuate", "--dst", "d",
		    "--vf", "x");
}

static void
test_ranges(void **state)
{
	(void)state;
	EXPECT_FAIL("--parallel '0': give a number 1..64", "--dst", "d", "--vf", "x", "--parallel",
		    "0", "vm");
	EXPECT_FAIL("--parallel '65': give a number 1..64", "--dst", "d", "--vf", "x", "--parallel",
		    "65", "vm");
	EXPECT_FAIL("--max-downtime '10ms': give a number 1..600000", "--dst", "d", "--vf", "x",
		    "--max-downtime", "10ms", "vm");
	EXPECT_FAIL("--detach-timeout '-5'", "--dst", "d", "--vf", "x", "--detach-timeout", "-5",
		    "vm");
	EXPECT_FAIL("--bandwidth '99999999999999999999'", "--dst", "d", "--vf", "x", "--bandwidth",
		    "99999999999999999999", "vm");
	EXPECT_FAIL("--timeout '50': give a number 100..86400000", "--dst", "d", "--vf", "x",
		    "--timeout", "50", "vm");
}

static void
test_usage(void **state)
{
	static const char *const must[] = {
		"--dst URI",	  "--vf ALIAS|MAC", "--vf-network",	  "--vf-xml FILE",
		"--channel PATH", "--no-guest",	    "--steer-backup",	  "--steer-vf",
		"--p2p",	  "--max-downtime", "--bandwidth",	  "--xml FILE",
		"--parallel N",	  "--json FILE",    "Exit status",	  "--timeout MS",
		"--no-vf ACTION", "--lock-dir DIR", "6 migrated but left"};
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	vfm_args_usage(f);
	fclose(f);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (strstr(buf, must[i]) == NULL)
			fail_msg("usage lacks '%s'", must[i]);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything),   cmocka_unit_test(test_defaults_and_mac),
		cmocka_unit_test(test_many_domains), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ranges),	     cmocka_unit_test(test_evacuate),
		cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests_name("vfm_args", tests, NULL, NULL);
}
