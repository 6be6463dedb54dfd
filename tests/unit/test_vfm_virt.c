/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfm_virt.c — unit tests of vfmigrate's libvirt side on libvirt's
 * test driver (test:///PATH nodes in data/, and test:///default for XML
 * validation): connect, look up, read the domain XML (the VF by alias and
 * MAC, the backup, the guest channel), build and validate the device XML
 * (from a pool, from a file), check networks and pools, and the preflight
 * op with each of its refusals; then the guest ops against a fake guest
 * (vfo_ctl on a UNIX socket, in a thread) and the steering hooks.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "vfo_ctl.h"
#include "vfm_evac.h"

/** Two test-driver "hosts", the checker, options, a domain context. */
struct fix {
	struct vfm_conns conns;	      /**< src: vfm-node.xml, dst: vfm-dst.xml */
	struct vfm_opts o;	      /**< options of the run */
	struct vfm_timeline tl;	      /**< its timeline */
	struct vfm_domain d;	      /**< the domain's context */
	volatile sig_atomic_t cancel; /**< never set */
	char dir[64];		      /**< temporary directory */
};

/* Opens test:///<absolute path of data/NAME>. */
static virConnectPtr
open_node(const char *name)
{
	char rel[128], abs[PATH_MAX], uri[PATH_MAX + 16], err[512];
	virConnectPtr c;

	snprintf(rel, sizeof(rel), "data/%s", name);
	assert_non_null(realpath(rel, abs));
	snprintf(uri, sizeof(uri), "test://%s", abs);
	c = vfm_open(uri, "test", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	return c;
}

/* Sets up both hosts and a context for vm1 (VF alias ua-vf0). */
static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[512];

	assert_non_null(f);
	f->conns.src = open_node("vfm-node.xml");
	f->conns.dst = open_node("vfm-dst.xml");
	f->conns.check = vfm_open("test:///default", "checker", err, sizeof(err));
	assert_non_null(f->conns.check);
	f->o = (struct vfm_opts){.vf = "ua-vf0",
				 .channel_name = VFM_CHANNEL_NAME,
				 .guest_timeout_ms = 2000,
				 .hook_timeout_ms = 2000,
				 .dst_uri = "test:///dst"};
	strcpy(f->dir, "/tmp/vfm_virt_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(vfm_tl_init(&f->tl, "vm1", NULL, NULL), 0);
	assert_int_equal(vfm_domain_init(&f->d, "vm1", &f->o, &f->conns, &f->tl, &f->cancel), 0);
	*state = f;
	return 0;
}

/* Frees what setup made. */
static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	vfm_domain_fini(&f->d);
	vfm_tl_free(&f->tl);
	virConnectClose(f->conns.src);
	virConnectClose(f->conns.dst);
	virConnectClose(f->conns.check);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Returns the live XML of domain 'name' on 'c' (malloc'd). */
static char *
dom_xml(virConnectPtr c, const char *name)
{
	virDomainPtr dom = virDomainLookupByName(c, name);
	char *xml;

	assert_non_null(dom);
	xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	assert_non_null(xml);
	return xml;
}

/* Asserts that 'hay' contains 'needle'. */
static void
has(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("'%s' lacks '%s'", hay ? hay : "(null)", needle);
}

/* Asserts that the compact, key-sorted JSON text of 'j' contains 'needle'. */
static void
has_json(const json_t *j, const char *needle)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	has(text, needle);
	free(text);
}

static void
test_find_vf(void **state)
{
	struct fix *f = *state;
	char *xml = dom_xml(f->conns.src, "vm1"), err[512];
	struct vfm_iface vf, by_mac;

	assert_int_equal(vfm_xml_find_vf(xml, "ua-vf0", false, NULL, &vf, err, sizeof(err)), 0);
	assert_string_equal(vf.alias, "ua-vf0");
	assert_string_equal(vf.mac, "52:54:00:aa:00:01");
	assert_string_equal(vf.type, "network");
	assert_string_equal(vf.network, "vfpool");
	has(vf.guest_addr, "slot=\"0x05\"");
	/* Re-attached from its pool: MAC, alias and guest address kept. */
	has(vf.reattach_xml, "<source network=\"vfpool\"/>");
	has(vf.reattach_xml, "<mac address=\"52:54:00:aa:00:01\"/>");
	has(vf.reattach_xml, "<alias name=\"ua-vf0\"/>");
	has(vf.reattach_xml, "slot=\"0x05\"");
	assert_int_equal(
		vfm_xml_find_vf(xml, "52:54:00:AA:00:01", true, NULL, &by_mac, err, sizeof(err)),
		0);
	assert_string_equal(by_mac.alias, "ua-vf0");
	vfm_iface_clear(&by_mac);
	assert_int_equal(vfm_xml_find_vf(xml, "ua-nope", false, NULL, &by_mac, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "no interface with alias ua-nope; the domain has: alias ua-backup "
				 "MAC 52:54:00:aa:00:02; alias ua-vf0 MAC 52:54:00:aa:00:01;");
	assert_null(by_mac.reattach_xml);
	vfm_iface_clear(&vf);
	free(xml);
}

static void
test_shared_mac(void **state)
{
	static const char xml[] =
		"<domain><devices>"
		"<interface type='network'><mac address='52:54:00:00:00:01'/>"
		"<source network='back'/><target dev='vnet3'/><alias name='ua-bk'/></interface>"
		"<interface type='hostdev'><mac address='52:54:00:00:00:01'/>"
		"<source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' "
		"function='0x2'/></source><alias name='hostdev0'/>"
		"<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"
		"</interface></devices></domain>";
	struct vfm_iface vf;
	struct vfm_others others;
	char err[512];

	(void)state;
	/* The backup shares the VF's MAC (vfailover's uplink MAC on both). */
	assert_int_equal(
		vfm_xml_find_vf(xml, "52:54:00:00:00:01", true, NULL, &vf, err, sizeof(err)), -1);
	has(err, "MAC 52:54:00:00:00:01 is on two interfaces (aliases ua-bk and hostdev0); give "
		 "--vf ALIAS");
	assert_int_equal(
		vfm_xml_find_vf(xml, "52:54:00:00:00:01", true, "ua-bk", &vf, err, sizeof(err)), 0);
	assert_string_equal(vf.alias, "hostdev0");
	assert_string_equal(vf.host_pci, "0000:03:10.2");
	/* A hostdev re-attaches as it was, minus the system alias. */
	has(vf.reattach_xml, "<interface type=\"hostdev\">");
	has(vf.reattach_xml, "function=\"0x2\"");
	assert_null(strstr(vf.reattach_xml, "hostdev0"));
	assert_int_equal(vfm_xml_others(xml, &vf, &others), 1);
	assert_string_equal(others.backup_tap, "vnet3");
	assert_string_equal(others.backup_alias, "ua-bk");
	vfm_iface_clear(&vf);
}

static void
test_others_and_channel(void **state)
{
	struct fix *f = *state;
	char *xml = dom_xml(f->conns.src, "vm1"), err[512], *ch;
	struct vfm_iface vf;
	struct vfm_others others;

	assert_int_equal(vfm_xml_find_vf(xml, "ua-vf0", false, NULL, &vf, err, sizeof(err)), 0);
	assert_int_equal(vfm_xml_others(xml, &vf, &others), 1);
	/* The test driver names taps testnetN. */
	assert_string_equal(others.backup_tap, "testnet0");
	assert_string_equal(others.backup_alias, "ua-backup");
	assert_string_equal(others.backup_mac, "52:54:00:aa:00:02");
	assert_int_equal(others.nb_networks, 1);
	assert_string_equal(others.networks[0], "backnet");
	ch = vfm_xml_channel_path(xml, VFM_CHANNEL_NAME);
	assert_string_equal(ch, "/run/vfm-test/vm1.org.vfailover.0");
	free(ch);
	assert_null(vfm_xml_channel_path(xml, "org.other"));
	vfm_iface_clear(&vf);
	free(xml);
}

static void
test_device_xml(void **state)
{
	struct fix *f = *state;
	char *xml = dom_xml(f->conns.src, "vm1"), err[512], path[128], *dev;
	struct vfm_iface vf;
	FILE *fp;

	assert_int_equal(vfm_xml_find_vf(xml, "ua-vf0", false, NULL, &vf, err, sizeof(err)), 0);
	dev = vfm_xml_pool_iface("otherpool", &vf);
	has(dev, "<interface type=\"network\"><source network=\"otherpool\"/>");
	assert_int_equal(vfm_validate_device(f->conns.check, dev, err, sizeof(err)), 0);
	free(dev);
	/* From a file: an explicit VF gets the guest's MAC, alias and address. */
	snprintf(path, sizeof(path), "%s/vf.xml", f->dir);
	fp = fopen(path, "w");
	fputs("<interface type='hostdev' managed='yes'><mac address='00:11:22:33:44:55'/>"
	      "<source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' "
	      "function='0x4'/></source></interface>\n",
	      fp);
	fclose(fp);
	dev = vfm_xml_file_iface(path, &vf, err, sizeof(err));
	has(dev, "<mac address=\"52:54:00:aa:00:01\"/>");
	has(dev, "<alias name=\"ua-vf0\"/>");
	has(dev, "slot=\"0x05\"");
	has(dev, "function=\"0x4\"");
	assert_null(strstr(dev, "00:11:22"));
	assert_int_equal(vfm_validate_device(f->conns.check, dev, err, sizeof(err)), 0);
	/* Counted among a host's domains by its host PCI address (reservations). */
	{
		char key[160];
		int hits;

		assert_int_equal(vfm_xml_dev_key(dev, key, sizeof(key)), 0);
		assert_string_equal(key, "pci:0000:03:10.4");
		assert_int_equal(vfm_xml_count_dev(xml, key, "52:54:00:aa:00:01", &hits), 0);
		assert_true(hits >= 1);
		assert_int_equal(vfm_xml_dev_key("<interface type='network'><source "
						 "network='vfm-vf'/><model type='e1000e'/>"
						 "</interface>",
						 key, sizeof(key)),
				 0);
		assert_string_equal(key, "dev:network:vfm-vf:e1000e");
		assert_int_equal(vfm_xml_count_dev("<domain><devices><interface type='network'>"
						   "<mac address='52:54:00:00:00:01'/><source "
						   "network='vfm-vf' bridge='br0'/><model "
						   "type='e1000e'/></interface><interface "
						   "type='network'><source network='vfm-back'/>"
						   "<model type='virtio'/></interface></devices>"
						   "</domain>",
						   key, "52:54:00:00:00:0A", &hits),
				 1);
		assert_int_equal(hits, 0);
		/* A running domain's XML (libvirt 9.0): type='bridge' on a
		 * <forward mode='bridge'> network, the network in its source. */
		assert_int_equal(vfm_xml_count_dev("<domain><devices><interface type='bridge'>"
						   "<mac address='52:54:00:00:00:01'/><source "
						   "network='vfm-vf' portid='5892577d' "
						   "bridge='vfmbr-vf'/><model type='e1000e'/>"
						   "</interface></devices></domain>",
						   key, "52:54:00:00:00:01", &hits),
				 1);
		assert_int_equal(hits, 1);
		assert_int_equal(vfm_xml_dev_key("<hostdev/>", key, sizeof(key)), -1);
	}
	free(dev);
	fp = fopen(path, "w");
	fputs("<hostdev mode='subsystem' type='pci'/>\n", fp);
	fclose(fp);
	assert_null(vfm_xml_file_iface(path, &vf, err, sizeof(err)));
	has(err, "the root element must be <interface>");
	assert_null(vfm_xml_file_iface("/nonexistent/vf.xml", &vf, err, sizeof(err)));
	has(err, "--vf-xml /nonexistent/vf.xml: cannot read it");
	/* libvirt's schema refuses what it does not know. */
	assert_int_equal(vfm_validate_device(f->conns.check,
					     "<interface type='network'><source network='x'/>"
					     "<bogus/></interface>",
					     err, sizeof(err)),
			 -1);
	has(err, "the VF's device XML is not valid");
	vfm_iface_clear(&vf);
	free(xml);
}

static void
test_networks(void **state)
{
	struct fix *f = *state;
	json_t *d = json_object();
	virNetworkPtr net;
	char err[512], mode[16];
	int total, used;

	assert_int_equal(
		vfm_check_network(f->conns.dst, "vfpool", "destination", d, err, sizeof(err)), 0);
	has_json(json_object_get(d, "vfpool"), "{\"forward\":\"hostdev\",\"in_use\":0,\"pool\":1}");
	assert_int_equal(
		vfm_check_network(f->conns.dst, "nope", "destination", d, err, sizeof(err)), -1);
	assert_string_equal(err, "the destination has no network 'nope': define and start it "
				 "there");
	net = virNetworkLookupByName(f->conns.dst, "backnet");
	assert_int_equal(virNetworkDestroy(net), 0);
	virNetworkFree(net);
	assert_int_equal(
		vfm_check_network(f->conns.dst, "backnet", "destination", d, err, sizeof(err)), -1);
	assert_string_equal(err, "network 'backnet' is not active on the destination: virsh "
				 "net-start backnet");
	/* A pool whose every VF is in use. */
	assert_int_equal(vfm_xml_pool("<network><forward mode='hostdev' connections='2'>"
				      "<address type='pci' bus='3' slot='16' function='0'/>"
				      "<address type='pci' bus='3' slot='16' function='2'/>"
				      "</forward></network>",
				      mode, sizeof(mode), &total, &used),
			 0);
	assert_string_equal(mode, "hostdev");
	assert_int_equal(total, 2);
	assert_int_equal(used, 2);
	assert_int_equal(vfm_xml_pool("<domain/>", mode, sizeof(mode), &total, &used), -1);
	json_decref(d);
}

/* Runs the preflight op on f->d (name 'name'); returns its rc and err. */
static int
preflight(struct fix *f, const char *name, char *err, size_t errlen)
{
	json_t *d = json_object();
	int rc;

	vfm_domain_fini(&f->d);
	assert_int_equal(vfm_domain_init(&f->d, name, &f->o, &f->conns, &f->tl, &f->cancel), 0);
	err[0] = '\0';
	rc = vfm_domain_ops.preflight(&f->d, d, err, errlen);
	json_decref(d);
	return rc;
}

static void
test_preflight(void **state)
{
	struct fix *f = *state;
	char err[1024], path[128];
	virConnectPtr dst = f->conns.dst;
	FILE *fp;

	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_OK);
	has(f->d.dst_attach_xml, "<source network=\"vfpool\"/>");
	assert_string_equal(f->d.channel[VFM_SRC], "/run/vfm-test/vm1.org.vfailover.0");
	assert_string_equal(f->d.others.backup_tap, "testnet0");
	assert_int_equal(preflight(f, "nope", err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "no domain 'nope' on the source");
	assert_int_equal(preflight(f, "plain", err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "no interface with alias ua-vf0; the domain has: alias (none) MAC "
		 "52:54:00:aa:01:01;");
	f->o.vf_network = "nopool";
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_FAIL);
	assert_string_equal(err, "the destination has no network 'nopool': define and start it "
				 "there");
	f->o.vf_network = NULL;
	f->o.channel_name = "org.other";
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "has no <channel type='unix'> with <target type='virtio' name='org.other'/>");
	f->o.no_guest = true;
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_OK);
	f->o.xml = "/nonexistent/dest.xml";
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "--xml /nonexistent/dest.xml: No such file");
	/* --xml DIR: DIR/DOMAIN.xml. */
	snprintf(path, sizeof(path), "%s/vm1.xml", f->dir);
	fp = fopen(path, "w");
	fputs("<domain>dest</domain>", fp);
	fclose(fp);
	f->o.xml = f->dir;
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_OK);
	assert_string_equal(f->d.dest_xml, "<domain>dest</domain>");
	f->o.xml = NULL;
	/* The fallback network must exist on the destination. */
	f->conns.dst = f->conns.check;
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_FAIL);
	assert_string_equal(err, "the destination has no network 'backnet': define and start it "
				 "there");
	f->conns.dst = dst;
	/* The domain must not run there already. */
	f->conns.dst = f->conns.src;
	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_FAIL);
	assert_string_equal(err, "domain 'vm1' already runs on the destination");
	f->conns.dst = dst;
}

/** The fake guest: vfailover's answers, scripted. */
struct guest {
	struct vfo_ctl *ctl;  /**< its control protocol */
	char path[128];	      /**< where it listens */
	bool stop;	      /**< ends its thread (atomic) */
	bool mute;	      /**< stops answering (atomic) */
	bool muted;	      /**< the thread saw 'mute' (no poll in progress; atomic) */
	bool backup_up;	      /**< backup link_up in status */
	const char *prepared; /**< the state prepare reports */
	int bound;	      /**< prepare's drain bound: 0 not reached, 1 reached
				   with the VF released, 2 reached, VF held */
	int vf_after;	      /**< status polls after attach until TX is on the VF (-1: never) */
	int polls;	      /**< status polls since attach */
	bool attached;	      /**< attach was asked */
	bool on_vf;	      /**< TX on the VF */
	pthread_t thread;     /**< serves ctl */
};

/* Fake "status". */
static int
g_status(const json_t *req, json_t *reply, void *arg)
{
	struct guest *g = arg;

	(void)req;
	if (g->attached && g->vf_after >= 0 && ++g->polls >= g->vf_after)
		g->on_vf = true;
	json_object_set_new(reply, "uplinks",
			    json_pack("[{ss ss s{ss} s{s{sb}}}]", "name", "u0", "active",
				      g->on_vf ? "vf" : "backup", "failover", "state",
				      g->on_vf ? "vf_active" : "backup_vf_gone", "members",
				      "backup", "link_up", g->backup_up));
	return 0;
}

/* Fake "prepare". */
static int
g_prepare(const json_t *req, json_t *reply, void *arg)
{
	struct guest *g = arg;

	(void)req;
	g->on_vf = false;
	json_object_set_new(reply, "uplinks",
			    json_pack("[{ss ss}]", "uplink", "u0", "state", g->prepared));
	if (g->bound == 0)
		return 0;
	if (g->bound == 1)
		json_object_set_new(reply, "detail",
				    json_pack("{sb sO}", "released", true, "uplinks",
					      json_object_get(reply, "uplinks")));
	return vfo_ctl_error(reply, "uplink u0: VF RX not quiet after 200 ms of drain: "
				    "released anyway");
}

/* Fake "attach": refused (the VF is not there yet), yet it comes back. */
static int
g_attach(const json_t *req, json_t *reply, void *arg)
{
	struct guest *g = arg;

	(void)req;
	g->attached = true;
	return vfo_ctl_error(reply, "uplink u0: VF attach failed: No such device");
}

/* The fake guest's thread. */
static void *
guest_main(void *arg)
{
	struct guest *g = arg;

	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&g->mute, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&g->muted, true, __ATOMIC_RELEASE);
			usleep(1000);
		} else {
			vfo_ctl_poll(g->ctl, 5);
		}
	}
	return NULL;
}

/* Starts a fake guest listening in f->dir and points f->d's channel at it. */
static struct guest *
guest_start(struct fix *f)
{
	struct guest *g = calloc(1, sizeof(*g));
	char err[256];

	assert_non_null(g);
	g->backup_up = true;
	g->prepared = "backup_vf_gone";
	g->on_vf = true;
	g->ctl = vfo_ctl_create();
	vfo_ctl_register(g->ctl, "status", g_status, g, "");
	vfo_ctl_register(g->ctl, "prepare", g_prepare, g, "");
	vfo_ctl_register(g->ctl, "attach", g_attach, g, "");
	snprintf(g->path, sizeof(g->path), "%s/chan.sock", f->dir);
	assert_int_equal(vfo_ctl_listen(g->ctl, g->path, err, sizeof(err)), 0);
	strcpy(f->d.channel[VFM_SRC], g->path);
	strcpy(f->d.channel[VFM_DST], g->path);
	assert_int_equal(pthread_create(&g->thread, NULL, guest_main, g), 0);
	return g;
}

/* Stops the fake guest. */
static void
guest_stop(struct guest *g)
{
	__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
	pthread_join(g->thread, NULL);
	vfo_ctl_destroy(g->ctl);
	free(g);
}

static void
test_guest_ops(void **state)
{
	struct fix *f = *state;
	struct guest *g = guest_start(f);
	json_t *d = json_object();
	char err[1024] = "";

	assert_int_equal(vfm_guest_check(&f->d, d, err, sizeof(err)), VFM_STEP_OK);
	has_json(json_object_get(d, "uplinks"), "\"active\":\"vf\",\"backup_link_up\":true,"
						"\"state\":\"vf_active\",\"uplink\":\"u0\"");
	assert_int_equal(vfm_guest_prepare(&f->d, d, err, sizeof(err)), VFM_STEP_OK);
	/* Back on the VF on the 4th status after the (refused) attach. */
	g->vf_after = 4;
	assert_int_equal(vfm_guest_vf(&f->d, VFM_DST, d, err, sizeof(err)), VFM_STEP_OK);
	assert_int_equal(json_integer_value(json_object_get(d, "polls")), 4);
	has(json_string_value(json_object_get(d, "attach")),
	    "the guest refused 'attach': uplink u0: VF attach failed");
	/* --uplink picks one; an unknown one is refused. */
	f->o.uplink = "u9";
	assert_int_equal(vfm_guest_check(&f->d, d, err, sizeof(err)), VFM_STEP_FAIL);
	assert_string_equal(err, "the guest has no uplink named u9");
	f->o.uplink = NULL;
	g->backup_up = false;
	assert_int_equal(vfm_guest_check(&f->d, d, err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "guest uplink u0: its backup member is down");
	/* A drain that reached its bound with the VF released: on, warned. */
	g->bound = 1;
	assert_int_equal(vfm_guest_prepare(&f->d, d, err, sizeof(err)), VFM_STEP_OK);
	has(json_string_value(json_object_get(d, "warning")), "not quiet after 200 ms");
	/* ... without "released": the guest refused. */
	g->bound = 2;
	assert_int_equal(vfm_guest_prepare(&f->d, d, err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "the guest refused 'prepare': uplink u0: VF RX not quiet");
	g->bound = 0;
	g->prepared = "draining";
	assert_int_equal(vfm_guest_prepare(&f->d, d, err, sizeof(err)), VFM_STEP_FAIL);
	assert_string_equal(err, "guest uplink u0 is in state draining after prepare, not "
				 "backup_vf_gone");
	json_decref(d);
	guest_stop(g);
}

static void
test_guest_silent(void **state)
{
	struct fix *f = *state;
	struct guest *g = guest_start(f);
	json_t *d = json_object();
	char err[1024] = "";

	f->o.guest_timeout_ms = 300;
	/* The VF never comes back: the wait gives up after --guest-timeout. */
	g->on_vf = false;
	g->vf_after = -1;
	assert_int_equal(vfm_guest_vf(&f->d, VFM_SRC, d, err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "guest uplink u0 still on backup (state backup_vf_gone) after ");
	/* A guest that does not answer at all. */
	__atomic_store_n(&g->mute, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&g->muted, __ATOMIC_ACQUIRE))
		usleep(100);
	assert_int_equal(vfm_guest_check(&f->d, d, err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "timed out; is vfailover running in the guest with --ctl-serial "
		 "/dev/virtio-ports/org.vfailover.0?");
	/* No channel at all. */
	guest_stop(g);
	assert_int_equal(vfm_guest_check(&f->d, d, err, sizeof(err)), VFM_STEP_FAIL);
	has(err, "cannot connect to control socket");
	json_decref(d);
}

/* Reads file 'path' into 'buf' ("" when absent). */
static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp != NULL ? fread(buf, 1, len - 1, fp) : 0;

	buf[n] = '\0';
	if (fp != NULL)
		fclose(fp);
}

static void
test_hooks(void **state)
{
	struct fix *f = *state;
	json_t *d = json_object();
	char err[1024], cmd[512], out[512], path[128];

	assert_int_equal(preflight(f, "vm1", err, sizeof(err)), VFM_STEP_OK);
	assert_int_equal(vfm_hook_steer(&f->d, VFM_STEER_BACKUP, VFM_SRC, d, err, sizeof(err)),
			 VFM_STEP_OK);
	assert_string_equal(json_string_value(json_object_get(d, "hook")), "none");
	snprintf(path, sizeof(path), "%s/hook.out", f->dir);
	snprintf(cmd, sizeof(cmd),
		 "echo \"$VFM_STEER $VFM_SIDE $VFM_DOMAIN $VFM_MAC $VFM_BACKUP_TAP "
		 "$VFM_URI | $1 $2 $3 $4\" >%s",
		 path);
	f->o.steer_vf = cmd;
	assert_int_equal(vfm_hook_steer(&f->d, VFM_STEER_VF, VFM_DST, d, err, sizeof(err)),
			 VFM_STEP_OK);
	slurp(path, out, sizeof(out));
	/* No domain on the destination yet: no tap known there. */
	assert_string_equal(out, "vf dst vm1 52:54:00:aa:00:01  test:///dst | vm1 "
				 "52:54:00:aa:00:01  dst\n");
	f->o.steer_backup = cmd;
	assert_int_equal(vfm_hook_steer(&f->d, VFM_STEER_BACKUP, VFM_SRC, d, err, sizeof(err)),
			 VFM_STEP_OK);
	slurp(path, out, sizeof(out));
	assert_string_equal(out, "backup src vm1 52:54:00:aa:00:01 testnet0  | vm1 "
				 "52:54:00:aa:00:01 testnet0 src\n");
	assert_int_equal(json_integer_value(json_object_get(d, "exit")), 0);
	f->o.steer_backup = "exit 3";
	assert_int_equal(vfm_hook_steer(&f->d, VFM_STEER_BACKUP, VFM_SRC, d, err, sizeof(err)),
			 VFM_STEP_FAIL);
	assert_string_equal(err, "hook 'exit 3' failed (exit status 3)");
	f->o.steer_backup = "sleep 10";
	f->o.hook_timeout_ms = 100;
	assert_int_equal(vfm_hook_steer(&f->d, VFM_STEER_BACKUP, VFM_SRC, d, err, sizeof(err)),
			 VFM_STEP_FAIL);
	assert_string_equal(err, "hook 'sleep 10' ran over 100 ms and was killed (--hook-timeout)");
	json_decref(d);
}

/* --evacuate's choice of domains and the node's CPU time (test driver). */
static void
test_evacuation(void **state)
{
	struct fix *f = *state;
	struct vfm_cpu_sample a, b;
	char *names[4] = {0}, err[512];
	struct vfm_opts o = f->o;
	int n;

	/* vm1 has the channel and ua-vf0; "plain" has neither. */
	n = vfm_evac_domains(f->conns.src, &o, names, 4, err, sizeof(err));
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "vm1");
	free(names[0]);
	o.channel_name = "org.other.0"; /* no domain has that channel */
	assert_int_equal(vfm_evac_domains(f->conns.src, &o, names, 4, err, sizeof(err)), 0);
	o.no_guest = true; /* then the VF interface alone decides */
	assert_int_equal(vfm_evac_domains(f->conns.src, &o, names, 4, err, sizeof(err)), 1);
	free(names[0]);
	o.vf = "ua-vf9";
	assert_int_equal(vfm_evac_domains(f->conns.src, &o, names, 4, err, sizeof(err)), 0);
	assert_int_equal(vfm_node_cpu(f->conns.src, &a, err, sizeof(err)), 0);
	assert_int_equal(vfm_node_cpu(f->conns.src, &b, err, sizeof(err)), 0);
	assert_true(a.total > 0 && a.busy <= a.total);
	assert_true(vfm_cpu_busy_pct(&a, &b) >= 0.0 && vfm_cpu_busy_pct(&a, &b) <= 100.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_others_and_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_xml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_networks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evacuation, setup, teardown),
	};
	char err[256];
	int rc;

	xmlInitParser();
	if (vfm_events_start(err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests_name("vfm_virt", tests, NULL, NULL);
	vfm_events_stop();
	return rc;
}
