/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_args.c — unit tests of app/args.c: defaults, command-line options,
 * the INI file (the files in data/ and every example in ../../configs),
 * overrides, and every error message.  Runs in the directory tests/unit.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "args.h"

#define CONFIGS_DIR "../../configs"

/* Parses "vfailover ARGS..." into *c, with err[] for the message. */
#define PARSE(c, err, ...)                                                                         \
	({                                                                                         \
		char *av_[] = {"vfailover", __VA_ARGS__};                                          \
		vfo_args_parse((int)RTE_DIM(av_), av_, (c), (err), sizeof(err));                   \
	})

/* Asserts that "vfailover ARGS..." fails with a message containing 'sub'. */
#define EXPECT_FAIL(sub, ...)                                                                      \
	do {                                                                                       \
		char *av_[] = {"vfailover", __VA_ARGS__};                                          \
		check_fail((int)RTE_DIM(av_), av_, (sub));                                         \
	} while (0)

/*
 * Runs vfo_args_parse on argv and asserts it returns -1 with a one-line
 * message that contains 'sub'.
 */
static void
check_fail(int argc, char **argv, const char *sub)
{
	struct vfo_app_config c;
	char err[512] = "";

	if (vfo_args_parse(argc, argv, &c, err, sizeof(err)) != -1)
		fail_msg("expected failure containing \"%s\", got success", sub);
	if (strstr(err, sub) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, sub);
	assert_null(strchr(err, '\n'));
}

/* Asserts that the MAC a equals the one written s. */
static void
assert_mac(const struct rte_ether_addr *a, const char *s)
{
	struct rte_ether_addr want;

	assert_int_equal(rte_ether_unformat_addr(s, &want), 0);
	assert_memory_equal(a->addr_bytes, want.addr_bytes, RTE_ETHER_ADDR_LEN);
}

/* Writes 'text' to a new temporary file; returns its path (static buffer). */
static const char *
temp_ini(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_args_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* vfo_config_defaults: the documented defaults, no uplinks. */
static void
test_defaults(void **state)
{
	struct vfo_app_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	vfo_config_defaults(&c);
	assert_int_equal(c.nb_uplinks, 0);
	assert_int_equal(c.fwd, VFO_FWD_IO);
	assert_string_equal(c.ctl_path, "");
	assert_int_equal(c.stats_interval_ms, 1000);
	assert_int_equal(c.burst, 32);
	assert_int_equal(c.nb_rxq, 0);
	assert_int_equal(c.nb_txq, 0);
	assert_int_equal(c.nb_rxd, 1024);
	assert_int_equal(c.nb_txd, 1024);
	assert_true(c.promisc);
	assert_int_equal(c.drain_us, 100);
	assert_int_equal(c.tx_retry_us, 0);
	assert_false(c.tx_first);
	assert_false(c.help);
	assert_string_equal(c.config_path, "");
	assert_string_equal(vfo_fwd_mode_name(VFO_FWD_IO), "io");
	assert_string_equal(vfo_fwd_mode_name(VFO_FWD_MAC), "mac");
	assert_string_equal(vfo_fwd_mode_name(VFO_FWD_MACSWAP), "macswap");
}

/* One uplink from the command line: named u0, defaults elsewhere. */
static void
test_one_uplink(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "net_memif0,id=0", "--backup", "net_memif1"), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.nb_uplinks, 1);
	assert_string_equal(c.uplink[0].name, "u0");
	assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_VF], "net_memif0,id=0");
	assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_BACKUP], "net_memif1");
	assert_false(c.uplink[0].has_mac);
	assert_false(c.uplink[0].has_peer_mac);
	assert_int_equal(c.burst, 32);
	assert_int_equal(c.fwd, VFO_FWD_IO);
	assert_true(c.promisc);
	assert_false(c.help);
}

/* Two uplinks; a pair may start with --backup; --name renames one. */
static void
test_two_uplinks(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(
		PARSE(&c, err, "--backup", "b0", "--vf", "v0", "--vf", "v1", "--backup", "b1"), 0);
	assert_int_equal(c.nb_uplinks, 2);
	assert_string_equal(c.uplink[0].name, "u0");
	assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_VF], "v0");
	assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_BACKUP], "b0");
	assert_string_equal(c.uplink[1].name, "u1");
	assert_string_equal(c.uplink[1].devargs[VFO_MEMBER_VF], "v1");
	assert_string_equal(c.uplink[1].devargs[VFO_MEMBER_BACKUP], "b1");

	/* A named first uplink leaves "u0" free for the second. */
	assert_int_equal(PARSE(&c, err, "--vf", "v0", "--backup", "b0", "--name", "east", "--vf",
			       "v1", "--backup", "b1"),
			 0);
	assert_string_equal(c.uplink[0].name, "east");
	assert_string_equal(c.uplink[1].name, "u0");
	/* An unnamed first uplink skips a name the second one took. */
	assert_int_equal(PARSE(&c, err, "--vf", "v0", "--backup", "b0", "--vf", "v1", "--backup",
			       "b1", "--name", "u0"),
			 0);
	assert_string_equal(c.uplink[0].name, "u1");
	assert_string_equal(c.uplink[1].name, "u0");
}

/* --mac and --peer-mac go to the uplink the last --vf/--backup started. */
static void
test_mac_peer_mac(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "v0", "--backup", "b0", "--vf", "v1", "--mac",
			       "02:00:00:00:00:11", "--backup", "b1", "--peer-mac",
			       "ff:ff:ff:ff:ff:ff"),
			 0);
	assert_false(c.uplink[0].has_mac);
	assert_false(c.uplink[0].has_peer_mac);
	assert_true(c.uplink[1].has_mac);
	assert_mac(&c.uplink[1].mac, "02:00:00:00:00:11");
	assert_true(c.uplink[1].has_peer_mac);
	assert_mac(&c.uplink[1].peer_mac, "ff:ff:ff:ff:ff:ff");

	/* The XXXX:XXXX:XXXX form is accepted too. */
	assert_int_equal(PARSE(&c, err, "--vf", "v0", "--backup", "b0", "--mac", "0200:0000:0001"),
			 0);
	assert_mac(&c.uplink[0].mac, "02:00:00:00:00:01");
}

/* Every global option, both "--opt VAL" and "--opt=VAL". */
static void
test_global_options(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--fwd", "macswap", "--ctl",
			       "/tmp/x.sock", "--stats-interval", "0", "--burst=512", "--rxq", "16",
			       "--txq", "1", "--rxd", "64", "--txd=8192", "--no-promisc",
			       "--drain-us", "100000", "--tx-retry-us", "250", "--tx-first",
			       "--ctl-serial", "/dev/virtio-ports/org.vfailover.0"),
			 0);
	assert_int_equal(c.fwd, VFO_FWD_MACSWAP);
	assert_string_equal(c.ctl_path, "/tmp/x.sock");
	assert_string_equal(c.ctl_serial, "/dev/virtio-ports/org.vfailover.0");
	assert_int_equal(c.stats_interval_ms, 0);
	assert_int_equal(c.burst, 512);
	assert_int_equal(c.nb_rxq, 16);
	assert_int_equal(c.nb_txq, 1);
	assert_int_equal(c.nb_rxd, 64);
	assert_int_equal(c.nb_txd, 8192);
	assert_false(c.promisc);
	assert_int_equal(c.drain_us, 100000);
	assert_int_equal(c.tx_retry_us, 250);
	assert_true(c.tx_first);

	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--fwd", "mac", "--burst",
			       "1", "--drain-us", "1"),
			 0);
	assert_int_equal(c.fwd, VFO_FWD_MAC);
	assert_int_equal(c.burst, 1);
	assert_int_equal(c.drain_us, 1);
	/* Each parse starts from the defaults. */
	assert_true(c.promisc);
	assert_false(c.tx_first);
	assert_string_equal(c.ctl_path, "");
	assert_string_equal(c.ctl_serial, "");
}

/* --help and -h: success, cfg->help set, no uplink needed. */
static void
test_help(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&c, err, "--help"), 0);
	assert_true(c.help);
	assert_int_equal(c.nb_uplinks, 0);
	assert_int_equal(PARSE(&c, err, "-h"), 0);
	assert_true(c.help);
	assert_int_equal(PARSE(&c, err, "--burst", "0", "--help"), 0);
	assert_true(c.help);
	/* What precedes --help is still read as options. */
	EXPECT_FAIL("unknown option '--nope'", "--nope", "--help");
}

/* --tx-first-len: 60 by default, 60..1514, also as an INI key; in the usage. */
static void
test_tx_first_len(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";
	const char *path;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--tx-first"), 0);
	assert_int_equal(c.tx_first_len, 60);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--tx-first",
			       "--tx-first-len", "1514"),
			 0);
	assert_true(c.tx_first);
	assert_int_equal(c.tx_first_len, 1514);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--tx-first-len=60"), 0);
	assert_int_equal(c.tx_first_len, 60);
	path = temp_ini("[global]\ntx-first-len = 508\n");
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.tx_first_len, 508);
	unlink(path);
	EXPECT_FAIL("--tx-first-len 59 is out of range; give 60..1514", "--vf", "v", "--backup",
		    "b", "--tx-first-len", "59");
	EXPECT_FAIL("--tx-first-len 1515 is out of range; give 60..1514", "--vf", "v", "--backup",
		    "b", "--tx-first-len", "1515");
	EXPECT_FAIL("--tx-first-len needs an argument (N)", "--vf", "v", "--backup", "b",
		    "--tx-first-len");
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	vfo_args_usage(f, "vfailover");
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "--tx-first-len N"));
	assert_non_null(strstr(buf, "60..1514 (default 60)"));
	assert_non_null(strstr(buf, " tx-first,"));	/* both are INI keys */
	assert_non_null(strstr(buf, " tx-first-len,")); /* (the list wraps) */
	free(buf);
}

/* Path liveness, MTU, all-multicast and VLAN settings, from options and INI. */
/* --idle-yield and what it does to --link-poll-us's default. */
static void
test_idle_yield(void **state)
{
	struct vfo_app_config c;
	char err[256] = "", ini[256];
	const char *path;

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b"), 0);
	assert_int_equal(c.idle_yield, VFO_YIELD_OFF);
	assert_int_equal(c.idle_yield_us, VFO_YIELD_AFTER_US_DEF);
	assert_int_equal(c.link_poll_us, 1000);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--idle-yield", "interrupt",
			       "--idle-yield-us", "50"),
			 0);
	assert_int_equal(c.idle_yield, VFO_YIELD_INTERRUPT);
	assert_int_equal(c.idle_yield_us, 50);
	assert_int_equal(c.link_poll_us, 100000);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--idle-yield", "auto",
			       "--link-poll-us", "5000"),
			 0);
	assert_int_equal(c.idle_yield, VFO_YIELD_AUTO);
	assert_int_equal(c.link_poll_us, 5000);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--idle-yield", "pause"), 0);
	assert_int_equal(c.idle_yield, VFO_YIELD_PAUSE);
	assert_int_equal(c.link_poll_us, 1000);
	path = temp_ini("[global]\nidle-yield = interrupt\n[uplink a]\nvf = v\nbackup = b\n");
	snprintf(ini, sizeof(ini), "%s", path);
	assert_int_equal(PARSE(&c, err, "--config", ini), 0);
	unlink(path);
	assert_int_equal(c.idle_yield, VFO_YIELD_INTERRUPT);
	assert_int_equal(c.link_poll_us, 100000);
	EXPECT_FAIL("--idle-yield 'sleep': unknown mode; give off, interrupt, pause or auto",
		    "--vf", "v", "--backup", "b", "--idle-yield", "sleep");
	EXPECT_FAIL("--idle-yield-us 5 is out of range; give 10..1000000", "--vf", "v", "--backup",
		    "b", "--idle-yield-us", "5");
}

static void
test_failover_settings(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";
	const char *path;

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b"), 0);
	assert_int_equal(c.uplink[0].arp_target, 0);
	assert_int_equal(c.arp_interval_ms, 100);
	assert_int_equal(c.arp_missed, 3);
	assert_int_equal(c.mtu, 0);
	assert_false(c.allmulti);
	assert_int_equal(c.uplink[0].vlans.n, 0);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--arp-target", "10.1.2.3",
			       "--arp-interval-ms", "20", "--arp-missed", "5", "--mtu", "9000",
			       "--allmulti", "--vlan", "100,4094", "--vf", "v2", "--backup", "b2"),
			 0);
	assert_int_equal(c.uplink[0].arp_target, 0x0a010203);
	assert_int_equal(c.uplink[1].arp_target, 0);
	assert_int_equal(c.arp_interval_ms, 20);
	assert_int_equal(c.arp_missed, 5);
	assert_int_equal(c.mtu, 9000);
	assert_true(c.allmulti);
	assert_int_equal(c.uplink[0].vlans.n, 2);
	assert_int_equal(c.uplink[0].vlans.id[1], 4094);
	assert_int_equal(c.uplink[1].vlans.n, 0);
	path = temp_ini("[global]\narp-missed = 2\nmtu = 1400\nallmulti = yes\n"
			"[uplink a]\nvf = v\nbackup = b\narp-target = 192.0.2.1\nvlan = 7\n");
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(c.arp_missed, 2);
	assert_int_equal(c.mtu, 1400);
	assert_true(c.allmulti);
	assert_int_equal(c.uplink[0].arp_target, 0xc0000201);
	assert_int_equal(c.uplink[0].vlans.n, 1);
	assert_int_equal(c.uplink[0].vlans.id[0], 7);
	EXPECT_FAIL("--arp-target '10.1.2': not an IPv4 address", "--vf", "v", "--backup", "b",
		    "--arp-target", "10.1.2");
	EXPECT_FAIL("--arp-interval-ms 5 is out of range; give 10..10000", "--vf", "v", "--backup",
		    "b", "--arp-interval-ms", "5");
	EXPECT_FAIL("--arp-missed 0 is out of range; give 1..100", "--vf", "v", "--backup", "b",
		    "--arp-missed", "0");
	EXPECT_FAIL("--mtu 67 is out of range; give 68..9600", "--vf", "v", "--backup", "b",
		    "--mtu", "67");
	EXPECT_FAIL("--vlan '4095': not a VLAN id; give ids 1..4094", "--vf", "v", "--backup", "b",
		    "--vlan", "100,4095");
	EXPECT_FAIL("--vlan 'x': not a VLAN id", "--vf", "v", "--backup", "b", "--vlan", "x");
	EXPECT_FAIL("--vlan: more than 8 VLAN ids", "--vf", "v", "--backup", "b", "--vlan",
		    "1,2,3,4,5,6,7,8,9");
	EXPECT_FAIL("--vlan is empty", "--vf", "v", "--backup", "b", "--vlan", ",");
}

/* --ip6 / ip6: a unicast IPv6 address per uplink, stored in network order. */
static void
test_ipv6(void **state)
{
	static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
	static const uint8_t ll[16] = {0xfe, 0x80, [14] = 0xab, [15] = 0xcd};
	struct vfo_app_config c;
	char err[256] = "";
	const char *path;

	(void)state;
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b"), 0);
	assert_false(c.uplink[0].has_ipv6);
	assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", "b", "--ip6", "2001:db8::1",
			       "--vf", "v2", "--backup", "b2"),
			 0);
	assert_true(c.uplink[0].has_ipv6);
	assert_memory_equal(c.uplink[0].ipv6, want, 16);
	assert_false(c.uplink[1].has_ipv6);
	path = temp_ini("[uplink a]\nvf = v\nbackup = b\nip6 = fe80::abcd\n");
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), 0);
	unlink(path);
	assert_true(c.uplink[0].has_ipv6);
	assert_memory_equal(c.uplink[0].ipv6, ll, 16);
	EXPECT_FAIL("--ip6 '2001:db8::1::2': not an IPv6 address; write it as 2001:db8::1", "--vf",
		    "v", "--backup", "b", "--ip6", "2001:db8::1::2");
	EXPECT_FAIL("--ip6 '10.0.0.1': not an IPv6 address", "--vf", "v", "--backup", "b", "--ip6",
		    "10.0.0.1");
	EXPECT_FAIL("--ip6 ff02::1: not a unicast interface address", "--vf", "v", "--backup", "b",
		    "--ip6", "ff02::1");
	EXPECT_FAIL("--ip6 ::: not a unicast interface address", "--vf", "v", "--backup", "b",
		    "--ip6", "::");
	EXPECT_FAIL("--ip6 ::1: not a unicast interface address", "--vf", "v", "--backup", "b",
		    "--ip6", "::1");
	EXPECT_FAIL("--ip6 comes before any --vf/--backup", "--ip6", "2001:db8::1", "--vf", "v",
		    "--backup", "b");
}

/* Every command-line mistake gets -1 and a message naming the culprit. */
static void
test_bad_options(void **state)
{
	char long_devargs[VFO_DEVARGS_MAX + 1];
	char long_ctl[VFO_CTL_PATH_MAX + 1];
	char long_name[VFO_NAME_MAX + 1];

	(void)state;
	EXPECT_FAIL("unknown option '--fwdd'; see --help", "--fwdd", "io");
	EXPECT_FAIL("unknown option '-x'", "-x");
	EXPECT_FAIL("'--b' is ambiguous (--backup, --burst)", "--b", "1");
	EXPECT_FAIL("--tx-first takes no argument", "--tx-first=yes");
	EXPECT_FAIL("--vf needs an argument (DEVARGS)", "--vf");
	EXPECT_FAIL("--backup needs an argument (DEVARGS)", "--vf", "v", "--backup");
	EXPECT_FAIL("--config needs an argument (FILE)", "--config");
	EXPECT_FAIL("unexpected argument 'stray'", "--vf", "v", "--backup", "b", "stray");
	EXPECT_FAIL("no uplink: give --vf DEVARGS --backup DEVARGS or --config FILE");
	EXPECT_FAIL("no uplink", "--burst", "64");
	EXPECT_FAIL("uplink u0 has --vf but no --backup; give --backup DEVARGS", "--vf", "v");
	EXPECT_FAIL("uplink u0 has --backup but no --vf; give --vf DEVARGS", "--backup", "b");
	EXPECT_FAIL("uplink u0 has --vf but no --backup", "--vf", "v0", "--vf", "v1", "--backup",
		    "b1");
	EXPECT_FAIL("uplink u1 has --vf but no --backup", "--vf", "v0", "--backup", "b0", "--vf",
		    "v1");
	EXPECT_FAIL("3 uplinks given; at most 2", "--vf", "1", "--backup", "2", "--vf", "3",
		    "--backup", "4", "--vf", "5", "--backup", "6");
	EXPECT_FAIL("--mac comes before any --vf/--backup", "--mac", "02:00:00:00:00:01", "--vf",
		    "v", "--backup", "b");
	EXPECT_FAIL("--peer-mac comes before any --vf/--backup", "--peer-mac", "02:00:00:00:00:01");
	EXPECT_FAIL("--name comes before any --vf/--backup", "--name", "x");
	EXPECT_FAIL("--mac 'zz': not a MAC address; write it as 02:00:00:00:00:01", "--vf", "v",
		    "--backup", "b", "--mac", "zz");
	EXPECT_FAIL("--peer-mac '02:00:00:00:00': not a MAC address", "--vf", "v", "--backup", "b",
		    "--peer-mac", "02:00:00:00:00");
	EXPECT_FAIL("--mac 01:00:5e:00:00:01: multicast or zero", "--vf", "v", "--backup", "b",
		    "--mac", "01:00:5e:00:00:01");
	EXPECT_FAIL("--mac 00:00:00:00:00:00: multicast or zero", "--vf", "v", "--backup", "b",
		    "--mac", "00:00:00:00:00:00");
	EXPECT_FAIL("--burst 0 is out of range; give 1..512", "--vf", "v", "--backup", "b",
		    "--burst", "0");
	EXPECT_FAIL("--burst 513 is out of range; give 1..512", "--vf", "v", "--backup", "b",
		    "--burst", "513");
	EXPECT_FAIL("--burst '3x': not a number; give 1..512", "--vf", "v", "--backup", "b",
		    "--burst", "3x");
	EXPECT_FAIL("--burst '-1': not a number", "--vf", "v", "--backup", "b", "--burst", "-1");
	EXPECT_FAIL("--burst ' 5': not a number", "--vf", "v", "--backup", "b", "--burst", " 5");
	EXPECT_FAIL("--burst '': not a number", "--vf", "v", "--backup", "b", "--burst", "");
	EXPECT_FAIL("--burst 99999999999999999999999 is out of range", "--vf", "v", "--backup", "b",
		    "--burst", "99999999999999999999999");
	EXPECT_FAIL("--rxq 0 is out of range; give 1..16", "--vf", "v", "--backup", "b", "--rxq",
		    "0");
	EXPECT_FAIL("--txq 17 is out of range; give 1..16", "--vf", "v", "--backup", "b", "--txq",
		    "17");
	EXPECT_FAIL("--rxd 63 is out of range; give 64..8192", "--vf", "v", "--backup", "b",
		    "--rxd", "63");
	EXPECT_FAIL("--txd 8193 is out of range", "--vf", "v", "--backup", "b", "--txd", "8193");
	EXPECT_FAIL("--drain-us 0 is out of range; give 1..100000", "--vf", "v", "--backup", "b",
		    "--drain-us", "0");
	EXPECT_FAIL("--tx-retry-us 100001 is out of range; give 0..100000", "--vf", "v", "--backup",
		    "b", "--tx-retry-us", "100001");
	EXPECT_FAIL("--stats-interval 3600001 is out of range", "--vf", "v", "--backup", "b",
		    "--stats-interval", "3600001");
	EXPECT_FAIL("--fwd 'bridge': unknown mode; give io, mac, macswap or flow", "--vf", "v",
		    "--backup", "b", "--fwd", "bridge");
	EXPECT_FAIL("--vf is empty; give DEVARGS", "--vf", "", "--backup", "b");
	EXPECT_FAIL("--name 'a b': bad name", "--vf", "v", "--backup", "b", "--name", "a b");
	EXPECT_FAIL("two uplinks are named 'x'", "--vf", "1", "--backup", "2", "--name", "x",
		    "--vf", "3", "--backup", "4", "--name", "x");
	EXPECT_FAIL("--config given twice", "--config", "data/good.ini", "--config",
		    "data/good.ini");

	memset(long_devargs, 'd', sizeof(long_devargs) - 1);
	long_devargs[sizeof(long_devargs) - 1] = '\0';
	EXPECT_FAIL("--vf: DEVARGS is 512 characters long; at most 511", "--vf", long_devargs,
		    "--backup", "b");
	long_devargs[VFO_DEVARGS_MAX - 1] = '\0'; /* 511 fits */
	{
		struct vfo_app_config c;
		char err[256] = "";

		assert_int_equal(PARSE(&c, err, "--vf", "v", "--backup", long_devargs), 0);
		assert_int_equal(strlen(c.uplink[0].devargs[VFO_MEMBER_BACKUP]),
				 VFO_DEVARGS_MAX - 1);
	}
	memset(long_ctl, 'c', sizeof(long_ctl) - 1);
	long_ctl[sizeof(long_ctl) - 1] = '\0';
	EXPECT_FAIL("--ctl: the path is 108 characters long; at most 107", "--vf", "v", "--backup",
		    "b", "--ctl", long_ctl);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	EXPECT_FAIL("--name: a NAME is 32 characters long; at most 31", "--vf", "v", "--backup",
		    "b", "--name", long_name);
}

/* data/good.ini: every [global] key and one uplink. */
static void
test_config_good(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&c, err, "--config", "data/good.ini"), 0);
	assert_string_equal(c.config_path, "data/good.ini");
	assert_int_equal(c.fwd, VFO_FWD_MAC);
	assert_string_equal(c.ctl_path, "/tmp/vfo-test.sock");
	assert_string_equal(c.ctl_serial, "/dev/pts/99");
	assert_int_equal(c.stats_interval_ms, 250);
	assert_int_equal(c.burst, 64);
	assert_int_equal(c.nb_rxq, 2);
	assert_int_equal(c.nb_txq, 3);
	assert_int_equal(c.nb_rxd, 512);
	assert_int_equal(c.nb_txd, 2048);
	assert_false(c.promisc);
	assert_int_equal(c.drain_us, 50);
	assert_true(c.tx_first);
	assert_int_equal(c.nb_uplinks, 1);
	assert_string_equal(c.uplink[0].name, "a");
	assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_VF],
			    "net_memif0,role=client,socket=/tmp/t-vf.sock,id=0");
	assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_BACKUP],
			    "net_memif1,role=client,socket=/tmp/t-bk.sock,id=0");
	assert_true(c.uplink[0].has_mac);
	assert_mac(&c.uplink[0].mac, "02:00:00:00:00:0a");
	assert_true(c.uplink[0].has_peer_mac);
	assert_mac(&c.uplink[0].peer_mac, "02:00:00:00:00:0b");
}

/* The command line beats [global] wherever --config stands; uplinks append. */
static void
test_config_overrides(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&c, err, "--burst", "8", "--vf", "v9", "--backup", "b9", "--config",
			       "data/good.ini", "--fwd", "io", "--ctl", "", "--stats-interval",
			       "0"),
			 0);
	assert_int_equal(c.burst, 8);
	assert_int_equal(c.fwd, VFO_FWD_IO);
	assert_string_equal(c.ctl_path, "");
	assert_int_equal(c.stats_interval_ms, 0);
	assert_int_equal(c.nb_rxd, 512); /* from the file */
	assert_false(c.promisc);	 /* from the file */
	assert_int_equal(c.nb_uplinks, 2);
	assert_string_equal(c.uplink[0].name, "a");
	assert_string_equal(c.uplink[1].name, "u0");
	assert_string_equal(c.uplink[1].devargs[VFO_MEMBER_VF], "v9");
	assert_string_equal(c.uplink[1].devargs[VFO_MEMBER_BACKUP], "b9");

	/* A file with only [global]: the uplinks come from the command line. */
	assert_int_equal(
		PARSE(&c, err, "--config", "data/global-only.ini", "--vf", "v", "--backup", "b"),
		0);
	assert_int_equal(c.burst, 16);
	assert_false(c.promisc);
	assert_int_equal(c.nb_uplinks, 1);
	assert_string_equal(c.uplink[0].name, "u0");

	EXPECT_FAIL("no uplink", "--config", "data/global-only.ini");
	EXPECT_FAIL("no uplink", "--config", "data/empty.ini");
	EXPECT_FAIL("3 uplinks given; at most 2", "--config", CONFIGS_DIR "/two-uplinks.ini",
		    "--vf", "v", "--backup", "b");
	EXPECT_FAIL("two uplinks are named 'a'", "--config", "data/good.ini", "--vf", "v",
		    "--backup", "b", "--name", "a");
	EXPECT_FAIL("--mac comes before any --vf/--backup", "--config", "data/good.ini", "--mac",
		    "02:00:00:00:00:01");
}

/* vfo_config_load on its own appends to what cfg already holds. */
static void
test_config_load_direct(void **state)
{
	struct vfo_app_config c;
	char err[256] = "";

	(void)state;
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load("data/good.ini", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_uplinks, 1);
	assert_int_equal(vfo_config_load("data/global-only.ini", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_uplinks, 1);
	assert_int_equal(c.burst, 16);
	assert_string_equal(c.config_path, "data/global-only.ini");
	assert_int_equal(vfo_config_load("data/good.ini", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "two uplinks are named 'a'"));
}

/* Each bad file in data/ fails with a message naming file and culprit. */
static void
test_config_bad(void **state)
{
	static const struct {
		const char *file;
		const char *sub;
	} cases[] = {
		{"data/bad-key.ini", "config data/bad-key.ini: [uplink a]: unknown key 'vff'; "
				     "valid keys: vf, backup, mac, ip, ip6, peer-mac"},
		{"data/bad-global-key.ini", "[global]: unknown key 'burstt'; valid keys: fwd, "},
		/* ... the whole list, however long. */
		{"data/bad-global-key.ini", ", stats-interval"},
		{"data/bad-section.ini",
		 "config data/bad-section.ini: unknown section [foo]; use [global] or "
		 "[uplink NAME]"},
		{"data/bad-value.ini", "[global] burst 0 is out of range; give 1..512"},
		{"data/bad-number.ini", "[global] rxd '1k': not a number; give 64..8192"},
		{"data/bad-bool.ini", "[global] promisc 'maybe': not a yes/no value"},
		{"data/bad-fwd.ini", "[global] fwd 'bridge': unknown mode"},
		{"data/bad-mac.ini", "[uplink a] mac 'zz': not a MAC address"},
		{"data/bad-no-backup.ini",
		 "[uplink a] has vf but no backup; add 'backup = DEVARGS' "
		 "(the virtio-net port)"},
		{"data/bad-no-members.ini", "[uplink a] has no vf and no backup"},
		{"data/bad-no-name.ini", "section [uplink]: give the uplink a name"},
		{"data/bad-name.ini", "section [uplink a/b]: give the uplink a name"},
		{"data/bad-bracket.ini", "config data/bad-bracket.ini: line 3: '[' without ']'"},
		{"data/bad-before.ini", "key 'burst' comes before any section"},
		{"data/bad-dup-key.ini", "[global] burst is given twice"},
		{"data/bad-dup-uplink.ini", "two uplinks are named 'a'"},
		{"data/bad-three.ini", "[uplink c] makes 3 uplinks; at most 2"},
		{"data/bad-global-twice.ini", "section [global] given twice"},
		{"data/bad-empty-value.ini", "[uplink a] vf is empty; give DEVARGS"},
		{"data/no-such-file.ini",
		 "config data/no-such-file.ini: cannot read: No such file or directory"},
		{"data", "config data: not a regular file (a directory, device or pipe)"},
		{"/dev/null", "config /dev/null: not a regular file"},
	};
	struct vfo_app_config c;
	char err[512];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		char *av[] = {"vfailover", "--config", (char *)cases[i].file};

		err[0] = '\0';
		if (vfo_args_parse((int)RTE_DIM(av), av, &c, err, sizeof(err)) != -1)
			fail_msg("%s: parsed, expected \"%s\"", cases[i].file, cases[i].sub);
		if (strstr(err, cases[i].sub) == NULL)
			fail_msg("%s: error \"%s\" does not contain \"%s\"", cases[i].file, err,
				 cases[i].sub);
		assert_null(strchr(err, '\n'));
	}
}

/* Limits of rte_cfgfile: long lines, values it would cut. */
static void
test_config_limits(void **state)
{
	char text[1024], err[512];
	struct vfo_app_config c;
	const char *path;

	(void)state;
	/* A 322-character line is accepted, one more is refused. */
	snprintf(text, sizeof(text), "[uplink a]\nbackup = b\nvf = %0*d\n", 322 - 5, 0);
	path = temp_ini(text);
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vf: value is cut at 255 characters"));
	unlink(path);

	snprintf(text, sizeof(text), "[uplink a]\nbackup = b\nvf = %0*d\n", 323 - 5, 0);
	path = temp_ini(text);
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": line 3 is 323 characters long; at most 322"));
	unlink(path);

	/* 254 characters are kept whole. */
	snprintf(text, sizeof(text), "[uplink a]\nbackup = b\nvf = %0*d\n", 254, 0);
	path = temp_ini(text);
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.uplink[0].devargs[VFO_MEMBER_VF]), 254);
	unlink(path);

	/* An uplink name longer than VFO_NAME_MAX - 1. */
	path = temp_ini("[uplink abcdefghijabcdefghijabcdefghijxyz]\nvf = v\nbackup = b\n");
	vfo_config_defaults(&c);
	assert_int_equal(vfo_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "uplink name is 33 characters long; at most 31"));
	unlink(path);
}

/* Every example in configs/ parses. */
static void
test_configs_dir(void **state)
{
	char path[512], err[512];
	struct vfo_app_config c;
	struct dirent *d;
	unsigned int n = 0;
	size_t len;
	DIR *dir;

	(void)state;
	dir = opendir(CONFIGS_DIR);
	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (len < 4 || strcmp(d->d_name + len - 4, ".ini") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CONFIGS_DIR, d->d_name);
		{
			char *av[] = {"vfailover", "--config", path};

			err[0] = '\0';
			if (vfo_args_parse((int)RTE_DIM(av), av, &c, err, sizeof(err)) != 0)
				fail_msg("%s: %s", path, err);
		}
		assert_true(c.nb_uplinks >= 1);
		n++;
	}
	closedir(dir);
	assert_true(n >= 3);

	/* The demo is what its description promises. */
	{
		char *av[] = {"vfailover", "--config", CONFIGS_DIR "/demo-memif.ini"};

		assert_int_equal(vfo_args_parse(3, av, &c, err, sizeof(err)), 0);
		assert_int_equal(c.nb_uplinks, 1);
		assert_int_equal(c.fwd, VFO_FWD_MACSWAP);
		assert_string_equal(c.ctl_path, "/tmp/vfailover-demo.sock");
		assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_VF],
				    "net_memif0,role=client,socket=/tmp/vfo-demo-vf.sock,id=0");
		assert_string_equal(c.uplink[0].devargs[VFO_MEMBER_BACKUP],
				    "net_memif1,role=client,socket=/tmp/vfo-demo-bk.sock,id=0");
	}
}

/* The usage text names every option and stays within 79 columns. */
static void
test_usage(void **state)
{
	static const char *const must[] = {
		"--vf DEVARGS",
		"--backup DEVARGS",
		"--mac MAC",
		"--peer-mac MAC",
		"--name NAME",
		"--fwd MODE",
		"--ctl PATH",
		"--stats-interval MS",
		"--burst N",
		"--rxq N",
		"--txq N",
		"--rxd N",
		"--txd N",
		"--no-promisc",
		"--drain-us N",
		"--tx-first",
		"--tx-retry-us N",
		"--config FILE",
		"--help",
		"[uplink NAME]",
		"[global]",
		"net_memif0",
		"(default 32)",
		"1..512",
		"vf, backup, mac, ip, ip6, peer-mac",
		"--ip6 IPV6",
		"--ctl-serial",
		"virtio-serial",
	};
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	vfo_args_usage(f, "vfailover");
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "Usage: vfailover [EAL options] -- [options]"));
	for (i = 0; i < RTE_DIM(must); i++) {
		if (strstr(buf, must[i]) == NULL)
			fail_msg("usage lacks \"%s\"", must[i]);
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > 79)
			fail_msg("usage line over 79 columns: \"%s\"", line);
	}
	free(buf);
}

/* Runs every test; returns the number that failed. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_one_uplink),
		cmocka_unit_test(test_two_uplinks),
		cmocka_unit_test(test_mac_peer_mac),
		cmocka_unit_test(test_global_options),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_overrides),
		cmocka_unit_test(test_config_load_direct),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_configs_dir),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_tx_first_len),
		cmocka_unit_test(test_failover_settings),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_idle_yield),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
