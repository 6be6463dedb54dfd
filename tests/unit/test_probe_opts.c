/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_probe_opts.c — vfprobe's command line: rates, sizes, MACs, port
 * lists, defaults and the errors that name the culprit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "unit_argv.h"

#include "vfp_ndr.h"
#include "vfp_opts.h"

/* Parses the NULL-terminated options after a program name into *o.
 * Returns vfp_opts_parse()'s result; the error text goes to err. */
static int
parse(struct vfp_opts *o, char *err, size_t errlen, ...)
{
	char *argv[UNIT_ARGV_MAX];
	int argc;
	va_list ap;

	va_start(ap, errlen);
	argc = unit_argv(argv, "vfprobe", ap);
	va_end(ap);
	return vfp_opts_parse(argc, argv, o, err, errlen);
}

/* The rate forms: pps, k, M, percent of line rate, max; and bad ones. */
static void
test_rates(void **state)
{
	struct vfp_rate r;

	(void)state;
	assert_int_equal(vfp_rate_parse("1000", &r), 0);
	assert_int_equal(r.kind, VFP_RATE_PPS);
	assert_true(r.value == 1000);
	assert_int_equal(vfp_rate_parse("2.5k", &r), 0);
	assert_true(r.value == 2500);
	assert_int_equal(vfp_rate_parse("14.88M", &r), 0);
	assert_true(r.value > 14879999 && r.value < 14880001);
	assert_int_equal(vfp_rate_parse("50%", &r), 0);
	assert_int_equal(r.kind, VFP_RATE_PCT);
	/* 64 B: 10e9 / (84 * 8) = 14880952 pps; 50 % of it. */
	assert_true(vfp_rate_pps(&r, 64) > 7440475 && vfp_rate_pps(&r, 64) < 7440477);
	assert_true(vfp_line_pps(1518) > 812743 && vfp_line_pps(1518) < 812744);
	assert_int_equal(vfp_rate_parse("max", &r), 0);
	assert_int_equal(r.kind, VFP_RATE_MAX);
	assert_true(vfp_rate_pps(&r, 64) == 0);
	for (const char *bad[] = {"", "0", "-5", "0%", "101%", "5x", "k", "1e999", "nan", "0.5"},
			**b = bad;
	     b < bad + sizeof(bad) / sizeof(bad[0]); b++)
		assert_int_equal(vfp_rate_parse(*b, &r), -1);
}

/* MAC addresses: exactly six hex pairs. */
static void
test_macs(void **state)
{
	uint8_t m[6];

	(void)state;
	assert_int_equal(vfp_mac_parse("02:00:0a:FF:10:01", m), 0);
	assert_memory_equal(m, ((uint8_t[]){2, 0, 10, 255, 16, 1}), 6);
	assert_int_equal(vfp_mac_parse("02:00:0a:ff:10", m), -1);
	assert_int_equal(vfp_mac_parse("02:00:0a:ff:10:01:", m), -1);
	assert_int_equal(vfp_mac_parse("0g:00:0a:ff:10:01", m), -1);
	assert_int_equal(vfp_mac_parse(" 2:00:0a:ff:10:01", m), -1);
}

/* Defaults with one port: send on 0, receive on all, 64 B, max, burst 32. */
static void
test_defaults(void **state)
{
	struct vfp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(
		parse(&o, err, sizeof(err), "--port", "net_ring0", "--port", "net_ring1", NULL), 0);
	assert_int_equal(o.nports, 2);
	assert_string_equal(o.ports[1], "net_ring1");
	assert_int_equal(o.ntx, 1);
	assert_int_equal(o.tx[0], 0);
	assert_int_equal(o.nrx, 2);
	assert_int_equal(o.size, 64);
	assert_int_equal(o.rate.kind, VFP_RATE_MAX);
	assert_int_equal(o.burst, 32);
	assert_int_equal(o.flows, 1);
	assert_int_equal(o.linger_ms, 100);
	assert_int_equal(o.idle_sleep_us, 0);
	assert_int_equal(o.gap_us, 1000);
	assert_memory_equal(o.dst_mac, ((uint8_t[]){255, 255, 255, 255, 255, 255}), 6);
	assert_false(o.src_mac_given);
	assert_int_equal(o.src_ip, 0xc6120001);
}

/* Every option of the contract sets its field. */
static void
test_all_options(void **state)
{
	struct vfp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--port", "a", "--port", "b", "--port", "c",
			       "--tx", "2,0", "--rx", "1", "--size", "1518", "--rate", "10%",
			       "--burst", "64", "--flows", "100", "--duration", "2.5",
			       "--linger-ms", "500", "--src-mac", "02:00:00:00:00:01", "--dst-mac",
			       "02:00:00:00:00:02", "--src-ip", "10.0.0.1", "--dst-ip", "10.0.0.2",
			       "--gap-us", "250", "--json", "r.json", "--pcap-gaps", "g.pcap",
			       "--ctl", "/tmp/c.sock", "--stream", "3", "--idle-sleep-us", "150",
			       NULL),
			 0);
	assert_int_equal(o.ntx, 2);
	assert_int_equal(o.tx[0], 2);
	assert_int_equal(o.tx[1], 0);
	assert_int_equal(o.nrx, 1);
	assert_int_equal(o.rx[0], 1);
	assert_int_equal(o.size, 1518);
	assert_int_equal(o.rate.kind, VFP_RATE_PCT);
	assert_int_equal(o.burst, 64);
	assert_int_equal(o.flows, 100);
	assert_true(o.duration_s == 2.5);
	assert_int_equal(o.linger_ms, 500);
	assert_true(o.src_mac_given);
	assert_int_equal(o.dst_mac[5], 2);
	assert_int_equal(o.src_ip, 0x0a000001);
	assert_int_equal(o.dst_ip, 0x0a000002);
	assert_int_equal(o.gap_us, 250);
	assert_string_equal(o.json, "r.json");
	assert_string_equal(o.pcap_gaps, "g.pcap");
	assert_string_equal(o.ctl, "/tmp/c.sock");
	assert_int_equal(o.stream, 3);
	assert_int_equal(o.idle_sleep_us, 150);
	assert_int_equal(
		parse(&o, err, sizeof(err), "--port", "a", "--tx", "none", "--count", "5", NULL),
		0);
	assert_int_equal(o.ntx, 0);
	assert_int_equal(o.count, 5);
	assert_int_equal(parse(&o, err, sizeof(err), "--port", "a", "--ndr", "--trial-s", "0.5",
			       "--loss-pct", "0.001", NULL),
			 0);
	assert_true(o.ndr && o.trial_s == 0.5 && o.loss_pct == 0.001);
}

/* Bad command lines: -1 and a message naming the culprit. */
static void
test_errors(void **state)
{
	static const struct {
		const char *opt, *val, *want;
	} bad[] = {
		{"--size", "63", "--size '63'"},
		{"--size", "9001", "--size '9001'"},
		{"--rate", "fast", "--rate 'fast'"},
		{"--burst", "513", "--burst '513'"},
		{"--src-mac", "1:2:3", "--src-mac"},
		{"--dst-ip", "300.1.1.1", "--dst-ip"},
		{"--tx", "1", "port 1 does not exist"},
		{"--rx", "0,x", "'x' is not a port"},
		{"--tx", "0,0", "given twice"},
		{"--window", "1000", "power of two"},
		{"--flows", "0", "--flows '0'"},
		{"--duration", "0", "--duration '0'"},
		{"--loss-pct", "101", "--loss-pct '101'"},
		{"--gap-us", "-1", "--gap-us '-1'"},
		{"--idle-sleep-us", "10001", "--idle-sleep-us '10001'"},
	};
	struct vfp_opts o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&o, err, sizeof(err), "--port", "net_ring0", bad[i].opt,
				       bad[i].val, NULL),
				 -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("%s %s: error '%s' lacks '%s'", bad[i].opt, bad[i].val, err,
				 bad[i].want);
	}
	assert_int_equal(parse(&o, err, sizeof(err), "--count", "5", NULL), -1);
	assert_non_null(strstr(err, "no --port"));
	assert_int_equal(parse(&o, err, sizeof(err), "--port", "a", "--bogus", NULL), -1);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(
		parse(&o, err, sizeof(err), "--port", "a", "--tx", "none", "--rx", "none", NULL),
		-1);
	assert_int_equal(
		parse(&o, err, sizeof(err), "--port", "a", "--ndr", "--duration", "1", NULL), -1);
	assert_int_equal(parse(&o, err, sizeof(err), "--port", "a", "stray", NULL), -1);
	assert_non_null(strstr(err, "stray"));
}

/* The NDR pass rule: loss within the allowance, and something sent. */
static void
test_ndr_pass(void **state)
{
	(void)state;
	assert_true(vfp_ndr_pass(1000, 0, 0));
	assert_false(vfp_ndr_pass(1000, 1, 0));
	assert_true(vfp_ndr_pass(100000, 1, 0.001));
	assert_false(vfp_ndr_pass(100000, 2, 0.001));
	assert_false(vfp_ndr_pass(0, 0, 0));
	assert_true(vfp_ndr_pass(50, 1, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),	 cmocka_unit_test(test_macs),
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_errors),	 cmocka_unit_test(test_ndr_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
