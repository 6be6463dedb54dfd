/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_attach_policy.c — which devargs "attach" may probe: the VF's own bus
 * and driver (vdev names of its driver or its eth_ alias, any PCI address
 * for a PCI VF), the operator's --attach-allow extras, and refusals that
 * name the culprit and the fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vfo_attach_policy.h"

/* Asserts that 'p' lets 'devargs' through. */
static void
allowed(const struct vfo_attach_policy *p, const char *devargs)
{
	char why[512] = "";

	if (vfo_attach_policy_check(p, devargs, why, sizeof(why)) != 0)
		fail_msg("'%s' refused: %s", devargs, why);
}

/* Asserts that 'p' refuses 'devargs' with a message containing each of 'subs'. */
static void
refused(const struct vfo_attach_policy *p, const char *devargs, const char *sub1, const char *sub2)
{
	char why[512] = "";

	if (vfo_attach_policy_check(p, devargs, why, sizeof(why)) != -1)
		fail_msg("'%s' allowed", devargs);
	if (strstr(why, sub1) == NULL || (sub2 != NULL && strstr(why, sub2) == NULL))
		fail_msg("'%s': \"%s\" lacks \"%s\" / \"%s\"", devargs, why, sub1,
			 sub2 ? sub2 : "");
	assert_null(strchr(why, '\n'));
}

/* Devargs are read as [BUS:]NAME[,ARGS]. */
static void
test_split(void **state)
{
	char bus[64], name[64], err[256];

	(void)state;
	assert_int_equal(vfo_devargs_split("net_memif0,role=client,socket=/x", bus, sizeof(bus),
					   name, sizeof(name), err, sizeof(err)),
			 0);
	assert_string_equal(bus, "vdev");
	assert_string_equal(name, "net_memif0");
	assert_int_equal(vfo_devargs_split("0000:00:05.0", bus, sizeof(bus), name, sizeof(name),
					   err, sizeof(err)),
			 0);
	assert_string_equal(bus, "pci");
	assert_int_equal(vfo_devargs_split("05:00.1,x=1", bus, sizeof(bus), name, sizeof(name), err,
					   sizeof(err)),
			 0);
	assert_string_equal(bus, "pci");
	assert_string_equal(name, "05:00.1");
	assert_int_equal(vfo_devargs_split("vdev:net_tap0,iface=x", bus, sizeof(bus), name,
					   sizeof(name), err, sizeof(err)),
			 0);
	assert_string_equal(bus, "vdev");
	assert_string_equal(name, "net_tap0");
	assert_int_equal(
		vfo_devargs_split("", bus, sizeof(bus), name, sizeof(name), err, sizeof(err)), -1);
	assert_int_equal(vfo_devargs_split("bus=pci,addr=0000:00:05.0", bus, sizeof(bus), name,
					   sizeof(name), err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "key=value form"));
	assert_int_equal(
		vfo_devargs_split(",x=1", bus, sizeof(bus), name, sizeof(name), err, sizeof(err)),
		-1);
}

/* A memif VF: other memif devices with any arguments, nothing else. */
static void
test_vdev_policy(void **state)
{
	struct vfo_attach_policy p;
	char err[256];

	(void)state;
	assert_int_equal(vfo_attach_policy_init(&p, "net_memif0,role=client,socket=/a", "net_memif",
						NULL, err, sizeof(err)),
			 0);
	allowed(&p, "net_memif0,role=client,socket=/a");
	allowed(&p, "net_memif7,role=client,socket=/b,id=3");
	allowed(&p, "eth_memif1,socket=/c");
	allowed(&p, "vdev:net_memif2");
	refused(&p, "net_pcap9,tx_pcap=/tmp/x", "device 'net_pcap9'", "--attach-allow net_pcap");
	refused(&p, "net_pcap9,tx_pcap=/tmp/x", "a net_memif device", NULL);
	refused(&p, "0000:00:05.0", "pci device '0000:00:05.0'", "--attach-allow pci");
	refused(&p, "class=eth,mac=00:11:22:33:44:55", "key=value form", NULL);
	refused(&p, "net_mem0", "net_mem0", NULL);
	/* Extras by driver, by bus, or any. */
	assert_int_equal(
		vfo_attach_policy_init(&p, "net_memif0", "net_memif", "net_pcap", err, sizeof(err)),
		0);
	allowed(&p, "net_pcap9,tx_pcap=/tmp/x");
	allowed(&p, "eth_pcap9,tx_pcap=/tmp/x");
	refused(&p, "net_tap0", "net_tap", NULL);
	assert_int_equal(
		vfo_attach_policy_init(&p, "net_memif0", "net_memif", "pci,vdev", err, sizeof(err)),
		0);
	allowed(&p, "net_tap0");
	allowed(&p, "0000:00:05.0");
	assert_int_equal(
		vfo_attach_policy_init(&p, "net_memif0", "net_memif", "any", err, sizeof(err)), 0);
	allowed(&p, "auxiliary:mlx5_core.sf.2");
	/* Driver unknown: the VF's name less its number. */
	assert_int_equal(
		vfo_attach_policy_init(&p, "net_tap3,iface=a", NULL, NULL, err, sizeof(err)), 0);
	allowed(&p, "net_tap4,iface=b");
	refused(&p, "net_null0", "a net_tap device", NULL);
}

/* A PCI VF: any PCI address (a migrated VF gets a new one), no vdev. */
static void
test_pci_policy(void **state)
{
	struct vfo_attach_policy p;
	char err[256];

	(void)state;
	assert_int_equal(
		vfo_attach_policy_init(&p, "0000:00:05.0", "net_e1000_em", NULL, err, sizeof(err)),
		0);
	allowed(&p, "0000:00:06.0");
	allowed(&p, "pci:0000:03:00.1,rx_low_latency=1");
	refused(&p, "net_pcap0,tx_pcap=/tmp/x", "vdev device 'net_pcap0'", "a pci device");
}

/* Bad allow lists are refused naming the entry. */
static void
test_allow_parse(void **state)
{
	struct vfo_attach_policy p;
	char err[256], longlist[400];

	(void)state;
	assert_int_equal(vfo_attach_allow_parse("", &p, err, sizeof(err)), 0);
	assert_int_equal(p.nb_allow, 0);
	assert_int_equal(vfo_attach_allow_parse("net_pcap,pci,any", &p, err, sizeof(err)), 0);
	assert_int_equal(p.nb_allow, 3);
	assert_string_equal(p.allow[2], "any");
	assert_int_equal(vfo_attach_allow_parse("net_pcap,,pci", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "an empty entry"));
	assert_int_equal(vfo_attach_allow_parse("net_pcap,", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ends with a comma"));
	assert_int_equal(vfo_attach_allow_parse("net pcap", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'net pcap' is not a driver or bus name"));
	assert_int_equal(vfo_attach_allow_parse("a,b,c,d,e,f,g,h,i", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 8 entries"));
	memset(longlist, 'a', sizeof(longlist) - 1);
	longlist[sizeof(longlist) - 1] = '\0';
	assert_int_equal(vfo_attach_allow_parse(longlist, NULL, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_vdev_policy),
		cmocka_unit_test(test_pci_policy),
		cmocka_unit_test(test_allow_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
