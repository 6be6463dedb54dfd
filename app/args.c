/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * args.c — the vfailover application's settings: command-line options and
 * the INI configuration file.
 *
 * Every setting is described once, in settings[]: its INI key, its long
 * option, its type, where it is stored and its help text.  The command line,
 * the INI reader and the usage text all work from that table, so an option
 * and its INI key are always parsed and checked by the same code.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <rte_cfgfile.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>

#include "args.h"
#include "vfo_ctl.h"
#include "vfo_errf.h"
#include "vfo_num.h"

#define DEF_STATS_MS	1000
#define MAX_STATS_MS	3600000
#define DEF_BURST	32
#define DEF_DESC	1024
#define MIN_DESC	64
#define MAX_DESC	8192
#define DEF_DRAIN_US	100
#define MAX_DRAIN_US	100000
#define MAX_TX_RETRY_US 100000
#define MIN_YIELD_US	10
/* --link-poll-us when not given: every ms, or this with --idle-yield
 * interrupt/auto (an idle lcore sleeps; so does the control thread). */
#define LINK_POLL_DEF_US   1000
#define LINK_POLL_YIELD_US 100000
#define MAX_YIELD_US	   1000000
/* --tx-first frame sizes without FCS: 64 B (the default) to 1518 B on the wire. */
#define MIN_TX_FIRST_LEN 60
#define MAX_TX_FIRST_LEN 1514

/* The limits above as strings, for the usage text. */
#define S_DEF_STATS_MS	  RTE_STR(DEF_STATS_MS)
#define S_MAX_STATS_MS	  RTE_STR(MAX_STATS_MS)
#define S_DEF_BURST	  RTE_STR(DEF_BURST)
#define S_MAX_BURST	  RTE_STR(VFO_MAX_BURST)
#define S_DEF_DESC	  RTE_STR(DEF_DESC)
#define S_MIN_DESC	  RTE_STR(MIN_DESC)
#define S_MAX_DESC	  RTE_STR(MAX_DESC)
#define S_DEF_DRAIN_US	  RTE_STR(DEF_DRAIN_US)
#define S_MAX_DRAIN_US	  RTE_STR(MAX_DRAIN_US)
#define S_MAX_TX_RETRY_US RTE_STR(MAX_TX_RETRY_US)
#define S_MIN_YIELD_US	  RTE_STR(MIN_YIELD_US)
#define S_MAX_YIELD_US	  RTE_STR(MAX_YIELD_US)
#define S_DEF_YIELD_US	  RTE_STR(VFO_YIELD_AFTER_US_DEF)
#define S_MIN_TXF_LEN	  RTE_STR(MIN_TX_FIRST_LEN)
#define S_MAX_TXF_LEN	  RTE_STR(MAX_TX_FIRST_LEN)
#define S_MAX_QUEUES	  RTE_STR(VFO_MAX_QUEUES)
#define S_MAX_UPLINKS	  RTE_STR(VFO_MAX_UPLINKS)

/* Flow aging (--flow-idle-ms), and as strings for the usage text. */
#define DEF_FLOW_IDLE_MS   60000
#define MAX_FLOW_IDLE_MS   86400000
#define S_DEF_FLOW_IDLE_MS RTE_STR(DEF_FLOW_IDLE_MS)
#define S_MAX_FLOW_IDLE_MS RTE_STR(MAX_FLOW_IDLE_MS)

/* Control clients' idle timeout (--ctl-idle-ms), and as strings. */
#define DEF_CTL_IDLE_MS	  VFO_CTL_IDLE_DEFAULT_MS
#define MAX_CTL_IDLE_MS	  86400000
#define S_DEF_CTL_IDLE_MS RTE_STR(DEF_CTL_IDLE_MS)
#define S_MAX_CTL_IDLE_MS RTE_STR(MAX_CTL_IDLE_MS)

/* Longest line rte_cfgfile accepts: its buffer less the newline and NUL. */
#define INI_LINE_MAX (CFG_NAME_LEN + CFG_VALUE_LEN + 2)
/* Room for the list of a section's INI keys (key_list()). */
#define KEY_LIST_MAX 1024
/* Column where the usage text starts describing an option. */
#define USAGE_COL 27
/* Width the usage text keeps to. */
#define USAGE_WRAP 79
/* getopt_long value of settings[i] is OPT_BASE + i. */
#define OPT_BASE 256

/* What a setting holds, hence how its value is parsed. */
enum set_type {
	SET_UINT,    /* decimal number in [min, max]; field of 2 or 4 bytes */
	SET_BOOL,    /* yes/no/true/false/1/0 */
	SET_FWD,     /* io, mac, macswap or flow */
	SET_YIELD,   /* off, interrupt, pause or auto (enum vfo_yield_mode) */
	SET_PATH,    /* a string that fits the field; may be empty */
	SET_DEVARGS, /* a non-empty string that fits the field */
	SET_NAME,    /* an uplink name: letters, digits, '_', '-', '.' */
	SET_MAC,     /* any MAC address; sets the bool at has_off too */
	SET_UMAC,    /* a unicast, non-zero MAC address; same */
	SET_IPV4,    /* a dotted IPv4 address, stored in host order */
	SET_IPV6,    /* a unicast IPv6 address (16 bytes); sets the bool at has_off */
	SET_VLANS,   /* comma-separated VLAN ids 1..4094 (struct vfo_vlan_list) */
	SET_ALLOW,   /* an attach allow list (vfo_attach_allow_parse), kept as text */
	SET_CONFIG,  /* --config: handled before everything else */
	SET_HELP,    /* --help */
};

/* Which structure a setting lives in. */
enum set_scope {
	SCOPE_GLOBAL, /* struct vfo_app_config, INI [global] */
	SCOPE_UPLINK, /* struct vfo_uplink_conf, INI [uplink NAME] */
};

/* One setting: an INI key and/or a long option. */
struct setting {
	const char *group;	/* usage heading printed before it, or NULL */
	const char *key;	/* INI key, or NULL: command line only */
	const char *opt;	/* long option without "--" */
	const char *arg;	/* the option's argument, or NULL: a flag */
	const char *flag_value; /* value a flag option stands for */
	enum set_scope scope;
	enum set_type type;
	size_t off;		/* offset of the field in its structure */
	size_t size;		/* size of the field */
	size_t has_off;		/* SET_MAC, SET_UMAC, SET_IPV6: offset of the has_* bool */
	unsigned long min, max; /* SET_UINT: accepted range */
	const char *help;	/* usage text; '\n' continues on the next line */
};

#define GLOBAL_FIELD(f)                                                                            \
	.scope = SCOPE_GLOBAL, .off = offsetof(struct vfo_app_config, f),                          \
	.size = RTE_SIZEOF_FIELD(struct vfo_app_config, f)
#define UPLINK_FIELD(f)                                                                            \
	.scope = SCOPE_UPLINK, .off = offsetof(struct vfo_uplink_conf, f),                         \
	.size = RTE_SIZEOF_FIELD(struct vfo_uplink_conf, f)

static const struct setting settings[] = {
	{.group = "Uplinks (one --vf/--backup pair per uplink; repeat the pair for a second one;\n"
		  "at most " S_MAX_UPLINKS " uplinks in all):",
	 .key = "vf",
	 .opt = "vf",
	 .arg = "DEVARGS",
	 .type = SET_DEVARGS,
	 UPLINK_FIELD(devargs[VFO_MEMBER_VF]),
	 .help = "the SR-IOV VF member: a PCI address (0000:00:05.0)\n"
		 "or vdev devargs (net_memif0,role=client,...)"},
	{.key = "backup",
	 .opt = "backup",
	 .arg = "DEVARGS",
	 .type = SET_DEVARGS,
	 UPLINK_FIELD(devargs[VFO_MEMBER_BACKUP]),
	 .help = "the virtio-net backup member (same forms)"},
	{.key = "mac",
	 .opt = "mac",
	 .arg = "MAC",
	 .type = SET_UMAC,
	 UPLINK_FIELD(mac),
	 .has_off = offsetof(struct vfo_uplink_conf, has_mac),
	 .help = "the uplink's unicast MAC (default: the backup's MAC)"},
	{.key = "ip",
	 .opt = "ip",
	 .arg = "IPV4",
	 .type = SET_IPV4,
	 UPLINK_FIELD(ipv4),
	 .help = "the uplink's IPv4 address: sent in a gratuitous\n"
		 "ARP after every switch (default: none, RARP only)"},
	{.key = "ip6",
	 .opt = "ip6",
	 .arg = "IPV6",
	 .type = SET_IPV6,
	 UPLINK_FIELD(ipv6),
	 .has_off = offsetof(struct vfo_uplink_conf, has_ipv6),
	 .help = "the uplink's IPv6 address: sent in an unsolicited\n"
		 "Neighbor Advertisement (override flag, to ff02::1)\n"
		 "after every switch (default: none)"},
	{.key = "peer-mac",
	 .opt = "peer-mac",
	 .arg = "MAC",
	 .type = SET_MAC,
	 UPLINK_FIELD(peer_mac),
	 .has_off = offsetof(struct vfo_uplink_conf, has_peer_mac),
	 .help = "destination MAC for --fwd mac\n"
		 "(default 02:00:00:00:00:NN)"},
	{.key = "arp-target",
	 .opt = "arp-target",
	 .arg = "IPV4",
	 .type = SET_IPV4,
	 UPLINK_FIELD(arp_target),
	 .help = "path liveness: ARP this address on every member\n"
		 "each --arp-interval-ms; a member whose replies stop\n"
		 "is not used (default: none, link state only)"},
	{.key = "vlan",
	 .opt = "vlan",
	 .arg = "ID[,ID]",
	 .type = SET_VLANS,
	 UPLINK_FIELD(vlans),
	 .help = "VLAN ids (1..4094, at most " RTE_STR(
		 VFO_MAX_VLANS) ") to filter on both\n"
				"members, replayed on a returning VF (default: none)"},
	{.opt = "name",
	 .arg = "NAME",
	 .type = SET_NAME,
	 UPLINK_FIELD(name),
	 .help = "the uplink's name: letters, digits, '_', '-', '.'\n"
		 "(default u0, u1; in the INI file: [uplink NAME])\n"
		 "--mac, --peer-mac and --name apply to the uplink\n"
		 "that the last --vf or --backup started"},
	{.group = "Forwarding:",
	 .key = "fwd",
	 .opt = "fwd",
	 .arg = "MODE",
	 .type = SET_FWD,
	 GLOBAL_FIELD(fwd),
	 .help = "io (default): forward untouched;\n"
		 "macswap: swap source and destination MAC;\n"
		 "mac: source = uplink MAC, destination = peer MAC;\n"
		 "flow: io, counting every packet in its uplink's\n"
		 "flow table (see the flows command)"},
	{.key = "max-flows",
	 .opt = "max-flows",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(max_flows),
	 .min = 64,
	 .max = 4000000,
	 .help = "flow table size per lcore with --fwd flow,\n64..4000000 (default 65536)"},
	{.key = "flow-idle-ms",
	 .opt = "flow-idle-ms",
	 .arg = "MS",
	 .type = SET_UINT,
	 GLOBAL_FIELD(flow_idle_ms),
	 .min = 0,
	 .max = MAX_FLOW_IDLE_MS,
	 .help = "with --fwd flow, a flow idle for MS ms leaves the\n"
		 "table (a full or flooded table recovers),\n"
		 "0.." S_MAX_FLOW_IDLE_MS " (default " S_DEF_FLOW_IDLE_MS "; 0: never)"},
	{.key = "burst",
	 .opt = "burst",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(burst),
	 .min = 1,
	 .max = VFO_MAX_BURST,
	 .help = "packets per RX/TX burst, 1.." S_MAX_BURST " (default " S_DEF_BURST ")"},
	{.key = "drain-us",
	 .opt = "drain-us",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(drain_us),
	 .min = 1,
	 .max = MAX_DRAIN_US,
	 .help = "offer again every N us the --tx-first frames a\n"
		 "ring refused (TX buffers go out at the end of\n"
		 "every loop turn), 1.." S_MAX_DRAIN_US " (default " S_DEF_DRAIN_US ")"},
	{.key = "tx-retry-us",
	 .opt = "tx-retry-us",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(tx_retry_us),
	 .min = 0,
	 .max = MAX_TX_RETRY_US,
	 .help = "when a TX ring refuses packets, offer them again\n"
		 "for up to N us (to the member active by then)\n"
		 "before freeing them: backpressure, not loss, for\n"
		 "a peer that stalls briefly; 0.." S_MAX_TX_RETRY_US " (default 0:\n"
		 "free at once, as l2fwd does)"},
	{.key = "idle-poll",
	 .opt = "idle-poll",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(idle_poll),
	 .min = 1,
	 .max = VFO_FWD_IDLE_EVERY_MAX,
	 .help = "poll a member that is not active and has\n"
		 "delivered nothing for " RTE_STR(
			 VFO_FWD_IDLE_AFTER_US) " us one loop turn in N\n"
						"(1, 2, 4, 8, 16 or " RTE_STR(VFO_FWD_IDLE_EVERY_MAX) "; 1: every turn; default " RTE_STR(
							VFO_FWD_IDLE_EVERY_DEF) ")"},
	{.key = "idle-yield",
	 .opt = "idle-yield",
	 .arg = "MODE",
	 .type = SET_YIELD,
	 GLOBAL_FIELD(idle_yield),
	 .help = "what a forwarding lcore does when its queues stay\n"
		 "empty: off (default): busy poll; interrupt: sleep\n"
		 "on RX interrupts when every member it polls has\n"
		 "them (others busy poll); pause: DPDK power\n"
		 "management PAUSE on every member (less power, the\n"
		 "CPU stays busy); auto: interrupts where a member\n"
		 "has them, PAUSE elsewhere; status shows each\n"
		 "member's mode"},
	{.key = "idle-yield-us",
	 .opt = "idle-yield-us",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(idle_yield_us),
	 .min = MIN_YIELD_US,
	 .max = MAX_YIELD_US,
	 .help = "with --idle-yield interrupt/auto: sleep once every\n"
		 "queue has been empty N us, " S_MIN_YIELD_US ".." S_MAX_YIELD_US "\n"
		 "(default " S_DEF_YIELD_US ")"},
	{.key = "tx-first",
	 .opt = "tx-first",
	 .flag_value = "yes",
	 .type = SET_BOOL,
	 GLOBAL_FIELD(tx_first),
	 .help = "send one burst on each uplink at start"},
	{.key = "tx-first-len",
	 .opt = "tx-first-len",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(tx_first_len),
	 .min = MIN_TX_FIRST_LEN,
	 .max = MAX_TX_FIRST_LEN,
	 .help = "size of the --tx-first frames without FCS,\n" S_MIN_TXF_LEN ".." S_MAX_TXF_LEN
		 " (default " S_MIN_TXF_LEN ")"},
	{.group = "Ports:",
	 .key = "rxq",
	 .opt = "rxq",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(nb_rxq),
	 .min = 1,
	 .max = VFO_MAX_QUEUES,
	 .help = "RX queues per member, 1.." S_MAX_QUEUES "\n"
		 "(default: one per worker lcore)"},
	{.key = "txq",
	 .opt = "txq",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(nb_txq),
	 .min = 1,
	 .max = VFO_MAX_QUEUES,
	 .help = "TX queues per member, 1.." S_MAX_QUEUES "\n"
		 "(default: one per worker lcore)"},
	{.key = "rxd",
	 .opt = "rxd",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(nb_rxd),
	 .min = MIN_DESC,
	 .max = MAX_DESC,
	 .help = "RX descriptors per queue,\n" S_MIN_DESC ".." S_MAX_DESC " (default " S_DEF_DESC
		 ")"},
	{.key = "txd",
	 .opt = "txd",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(nb_txd),
	 .min = MIN_DESC,
	 .max = MAX_DESC,
	 .help = "TX descriptors per queue,\n" S_MIN_DESC ".." S_MAX_DESC " (default " S_DEF_DESC
		 ")"},
	{.key = "promisc",
	 .opt = "no-promisc",
	 .flag_value = "no",
	 .type = SET_BOOL,
	 GLOBAL_FIELD(promisc),
	 .help = "leave promiscuous mode off (default on)\n"
		 "(INI: promisc = yes|no)"},
	{.key = "allmulti",
	 .opt = "allmulti",
	 .flag_value = "yes",
	 .type = SET_BOOL,
	 GLOBAL_FIELD(allmulti),
	 .help = "put members in all-multicast mode (default off)"},
	{.key = "mtu",
	 .opt = "mtu",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(mtu),
	 .min = RTE_ETHER_MIN_MTU,
	 .max = 9600,
	 .help = "members' MTU, " RTE_STR(
		 RTE_ETHER_MIN_MTU) "..9600, replayed on a returning\n"
				    "VF with RSS, VLANs and RX modes (default: the PMD's)"},
	{.group = "Failover:",
	 .key = "link-poll-us",
	 .opt = "link-poll-us",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(link_poll_us),
	 .min = 1000,
	 .max = 1000000,
	 .help = "poll members' link state every N us,\n"
		 "1000..1000000 (default 1000; " RTE_STR(
			 LINK_POLL_YIELD_US) " with\n"
					     "--idle-yield interrupt or auto: the control thread\n"
					     "then wakes that often, every ms while a switch is\n"
					     "under way; LSC interrupts act at once)"},
	{.key = "announce",
	 .opt = "no-announce",
	 .flag_value = "no",
	 .type = SET_BOOL,
	 GLOBAL_FIELD(announce),
	 .help = "send no RARP, gratuitous ARP or Neighbor\n"
		 "Advertisement after a switch\n"
		 "(default: send; INI: announce = yes|no)"},
	{.key = "arp-interval-ms",
	 .opt = "arp-interval-ms",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(arp_interval_ms),
	 .min = 10,
	 .max = 10000,
	 .help = "one path probe per member every N ms with\n"
		 "--arp-target, 10..10000 (default 100)"},
	{.key = "arp-missed",
	 .opt = "arp-missed",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(arp_missed),
	 .min = 1,
	 .max = 100,
	 .help = "intervals without a reply that fail a path,\n"
		 "1..100 (default 3)"},
	{.key = "reprobe-down-ms",
	 .opt = "reprobe-down-ms",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(reprobe_down_ms),
	 .min = 0,
	 .max = 600000,
	 .help = "release and probe again a present VF whose link\n"
		 "stays down N ms, 0..600000 (default 1000; 0: never)"},
	{.key = "grace-timeout-ms",
	 .opt = "grace-timeout-ms",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(grace_timeout_ms),
	 .min = 1,
	 .max = 600000,
	 .help = "longest wait for the forwarding lcores to let go\n"
		 "of a member after a switch, 1..600000 (default 1000;\n"
		 "then the command reports a timeout)"},
	{.key = "member-timeout-ms",
	 .opt = "member-timeout-ms",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(member_timeout_ms),
	 .min = 1,
	 .max = 600000,
	 .help = "longest wait for a PMD to probe and start, or stop\n"
		 "and remove, a member, 1..600000 (default 5000)"},
	{.key = "tx-drain-ms",
	 .opt = "tx-drain-ms",
	 .arg = "N",
	 .type = SET_UINT,
	 GLOBAL_FIELD(tx_drain_ms),
	 .min = 1,
	 .max = 10000,
	 .help = "a member released on purpose whose PMD cannot tell\n"
		 "when its peer took a packet (memif, virtio) keeps\n"
		 "its TX ring for the peer this long, and a VF drain\n"
		 "in prepare lasts at least this long, 1..10000\n"
		 "(default 20)"},
	{.group = "Control:",
	 .key = "ctl",
	 .opt = "ctl",
	 .arg = "PATH",
	 .type = SET_PATH,
	 GLOBAL_FIELD(ctl_path),
	 .help = "control socket path (default: none)"},
	{.key = "ctl-serial",
	 .opt = "ctl-serial",
	 .arg = "PATH",
	 .type = SET_PATH,
	 GLOBAL_FIELD(ctl_serial),
	 .help = "also serve the control protocol on this serial\n"
		 "port: in a guest, the host's virtio-serial channel\n"
		 "(/dev/virtio-ports/org.vfailover.0; default: none)"},
	{.key = "ctl-idle-ms",
	 .opt = "ctl-idle-ms",
	 .arg = "MS",
	 .type = SET_UINT,
	 GLOBAL_FIELD(ctl_idle_ms),
	 .min = 0,
	 .max = MAX_CTL_IDLE_MS,
	 .help = "close a control client silent for MS ms, or whose\n"
		 "request line stays unfinished that long (serial\n"
		 "port: drop the line), 0.." S_MAX_CTL_IDLE_MS "\n"
		 "(default " S_DEF_CTL_IDLE_MS "; 0: never)"},
	{.key = "attach-allow",
	 .opt = "attach-allow",
	 .arg = "LIST",
	 .type = SET_ALLOW,
	 GLOBAL_FIELD(attach_allow),
	 .help = "the attach command probes only the VF's own bus\n"
		 "and driver; also allow these (comma-separated):\n"
		 "vdev drivers (net_pcap), buses (pci, vdev), or\n"
		 "'any' (every device)"},
	{.key = "stats-interval",
	 .opt = "stats-interval",
	 .arg = "MS",
	 .type = SET_UINT,
	 GLOBAL_FIELD(stats_interval_ms),
	 .min = 0,
	 .max = MAX_STATS_MS,
	 .help = "print statistics every MS ms, 0 = off,\n"
		 "0.." S_MAX_STATS_MS " (default " S_DEF_STATS_MS ")"},
	{.group = "Other:",
	 .opt = "config",
	 .arg = "FILE",
	 .type = SET_CONFIG,
	 .help = "read settings and uplinks from an INI file first,\n"
		 "wherever --config stands (format below)"},
	{.opt = "help", .type = SET_HELP, .help = "print this text and exit (also -h)"},
};

/* Fills cfg with the defaults: no uplinks, io forwarding, etc. */
void
vfo_config_defaults(struct vfo_app_config *cfg)
{
	RTE_BUILD_BUG_ON(MIN_TX_FIRST_LEN != RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	RTE_BUILD_BUG_ON(MAX_TX_FIRST_LEN != RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN);
	memset(cfg, 0, sizeof(*cfg));
	cfg->fwd = VFO_FWD_IO;
	cfg->stats_interval_ms = DEF_STATS_MS;
	cfg->burst = DEF_BURST;
	cfg->nb_rxq = 0;
	cfg->nb_txq = 0;
	cfg->nb_rxd = DEF_DESC;
	cfg->nb_txd = DEF_DESC;
	cfg->promisc = true;
	cfg->drain_us = DEF_DRAIN_US;
	cfg->idle_poll = VFO_FWD_IDLE_EVERY_DEF;
	cfg->idle_yield = VFO_YIELD_OFF;
	cfg->idle_yield_us = VFO_YIELD_AFTER_US_DEF;
	cfg->link_poll_us = 0; /* see vfo_args_parse(): 1000, or LINK_POLL_YIELD_US */
	cfg->max_flows = 65536;
	cfg->flow_idle_ms = DEF_FLOW_IDLE_MS;
	cfg->ctl_idle_ms = DEF_CTL_IDLE_MS;
	cfg->announce = true;
	cfg->arp_interval_ms = 100;
	cfg->arp_missed = 3;
	cfg->reprobe_down_ms = 1000;
	cfg->grace_timeout_ms = VFO_GRACE_TIMEOUT_US / 1000;
	cfg->member_timeout_ms = VFO_MEMBER_TIMEOUT_US / 1000;
	cfg->tx_drain_ms = VFO_TX_DRAIN_US / 1000;
	cfg->tx_first_len = MIN_TX_FIRST_LEN;
}

/* Parses a yes/no value into *b (case-insensitive).  Returns 0 or -1. */
static int
parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = {"yes", "true", "1"};
	static const char *const no[] = {"no", "false", "0"};
	unsigned int i;

	for (i = 0; i < RTE_DIM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*b = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

/* Returns true when s is a usable uplink name (non-empty, [A-Za-z0-9_.-]). */
static bool
name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("_-.", *s) == NULL)
			return false;
	}
	return true;
}

/*
 * Stores the string val in the field p of 'size' bytes after checking it
 * fits (and is not empty unless may_be_empty).  'where' names the setting in
 * messages.  Returns 0, or -1 with err set; p is unchanged on error.
 */
static int
set_string(char *p, size_t size, const char *val, bool may_be_empty, const char *what,
	   const char *where, char *err, size_t errlen)
{
	size_t len = strlen(val);

	if (len == 0 && !may_be_empty)
		return vfo_errf(err, errlen, "%s is empty; give %s", where, what);
	if (len >= size)
		return vfo_errf(err, errlen, "%s: %s is %zu characters long; at most %zu", where,
				what, len, size - 1);
	memcpy(p, val, len + 1);
	return 0;
}

/*
 * Parses val, VLAN ids separated by commas, into *l.  'where' names the
 * setting in messages.  Returns 0, or -1 with err set; *l is unchanged on
 * error.
 */
static int
parse_vlans(const char *val, struct vfo_vlan_list *l, const char *where, char *err, size_t errlen)
{
	struct vfo_vlan_list out = {.n = 0};
	char buf[128], *tok, *save = NULL;
	uint64_t v;

	if (strlen(val) >= sizeof(buf))
		return vfo_errf(err, errlen, "%s: list too long; at most %d VLAN ids", where,
				VFO_MAX_VLANS);
	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (vfo_parse_u64(tok, 1, 4094, &v) != 0)
			return vfo_errf(err, errlen,
					"%s '%s': not a VLAN id; give ids 1..4094 like 100,200",
					where, tok);
		if (out.n == VFO_MAX_VLANS)
			return vfo_errf(err, errlen, "%s: more than %d VLAN ids", where,
					VFO_MAX_VLANS);
		out.id[out.n++] = (uint16_t)v;
	}
	if (out.n == 0)
		return vfo_errf(err, errlen, "%s is empty; give VLAN ids 1..4094 like 100,200",
				where);
	*l = out;
	return 0;
}

/*
 * Parses val as setting s and stores it in 'base' (a struct vfo_app_config
 * or struct vfo_uplink_conf, as s->scope says).  'where' names the setting
 * in messages ("--burst" or "config F: [global] burst").
 * Returns 0, or -1 with one line in err.
 */
static int
set_value(const struct setting *s, void *base, const char *val, const char *where, char *err,
	  size_t errlen)
{
	char *p = (char *)base + s->off;
	struct rte_ether_addr mac;
	uint64_t v;
	int rc;

	switch (s->type) {
	case SET_UINT:
		rc = vfo_parse_u64(val, s->min, s->max, &v);
		if (rc == -EINVAL)
			return vfo_errf(err, errlen, "%s '%s': not a number; give %lu..%lu", where,
					val, s->min, s->max);
		if (rc < 0)
			return vfo_errf(err, errlen, "%s %s is out of range; give %lu..%lu", where,
					val, s->min, s->max);
		if (s->size == sizeof(uint16_t))
			*(uint16_t *)p = (uint16_t)v;
		else
			*(unsigned int *)p = (unsigned int)v;
		return 0;
	case SET_BOOL:
		if (parse_bool(val, (bool *)p) < 0)
			return vfo_errf(
				err, errlen,
				"%s '%s': not a yes/no value; give yes, no, true, false, 1 or 0",
				where, val);
		return 0;
	case SET_FWD:
		if (vfo_fwd_mode_parse(val, (enum vfo_fwd_mode *)p) == 0)
			return 0;
		return vfo_errf(err, errlen, "%s '%s': unknown mode; give io, mac, macswap or flow",
				where, val);
	case SET_YIELD:
		if (vfo_yield_mode_parse(val, (enum vfo_yield_mode *)p) == 0)
			return 0;
		return vfo_errf(err, errlen,
				"%s '%s': unknown mode; give off, interrupt, pause or auto", where,
				val);
	case SET_PATH:
		return set_string(p, s->size, val, true, "the path", where, err, errlen);
	case SET_DEVARGS:
		return set_string(p, s->size, val, false, "DEVARGS", where, err, errlen);
	case SET_NAME:
		if (*val != '\0' && !name_ok(val))
			return vfo_errf(err, errlen,
					"%s '%s': bad name; use letters, digits, '_', '-' and '.'",
					where, val);
		return set_string(p, s->size, val, false, "a NAME", where, err, errlen);
	case SET_MAC:
	case SET_UMAC:
		if (rte_ether_unformat_addr(val, &mac) != 0)
			return vfo_errf(err, errlen,
					"%s '%s': not a MAC address; write it as 02:00:00:00:00:01",
					where, val);
		if (s->type == SET_UMAC && !rte_is_valid_assigned_ether_addr(&mac))
			return vfo_errf(err, errlen,
					"%s %s: multicast or zero; an uplink MAC must be unicast, "
					"e.g. 02:00:00:00:00:01",
					where, val);
		memcpy(p, &mac, sizeof(mac));
		*((bool *)((char *)base + s->has_off)) = true;
		return 0;
	case SET_IPV4: {
		struct in_addr in;

		if (inet_pton(AF_INET, val, &in) != 1)
			return vfo_errf(err, errlen,
					"%s '%s': not an IPv4 address; write it as 10.0.0.1", where,
					val);
		*(uint32_t *)p = ntohl(in.s_addr);
		return 0;
	}
	case SET_IPV6: {
		struct in6_addr in6;

		if (inet_pton(AF_INET6, val, &in6) != 1)
			return vfo_errf(err, errlen,
					"%s '%s': not an IPv6 address; write it as 2001:db8::1 or "
					"fe80::1",
					where, val);
		if (IN6_IS_ADDR_UNSPECIFIED(&in6) || IN6_IS_ADDR_LOOPBACK(&in6) ||
		    IN6_IS_ADDR_MULTICAST(&in6))
			return vfo_errf(err, errlen,
					"%s %s: not a unicast interface address; give the uplink's "
					"own address, e.g. 2001:db8::1",
					where, val);
		memcpy(p, &in6, sizeof(in6));
		*((bool *)((char *)base + s->has_off)) = true;
		return 0;
	}
	case SET_VLANS:
		return parse_vlans(val, (struct vfo_vlan_list *)p, where, err, errlen);
	case SET_ALLOW: {
		char why[256];

		if (vfo_attach_allow_parse(val, NULL, why, sizeof(why)) < 0)
			return vfo_errf(err, errlen, "%s: %s", where, why);
		return set_string(p, s->size, val, true, "the list", where, err, errlen);
	}
	case SET_CONFIG:
	case SET_HELP:
		break;
	}
	return vfo_errf(err, errlen, "%s: internal error: not a value setting", where);
}

/*
 * Appends an empty uplink to cfg.  Returns it, or NULL when cfg already has
 * VFO_MAX_UPLINKS.
 */
static struct vfo_uplink_conf *
uplink_add(struct vfo_app_config *cfg)
{
	struct vfo_uplink_conf *u;

	if (cfg->nb_uplinks >= VFO_MAX_UPLINKS)
		return NULL;
	u = &cfg->uplink[cfg->nb_uplinks++];
	memset(u, 0, sizeof(*u));
	return u;
}

/*
 * Checks that uplink u has both members.  'cli' selects the wording
 * (options or INI keys); 'prefix' starts the message ("" or "config F: ").
 * Returns 0, or -1 with err set.
 */
static int
uplink_check_members(const struct vfo_uplink_conf *u, bool cli, const char *prefix, char *err,
		     size_t errlen)
{
	static const char *const role[VFO_MEMBER_COUNT] = {
		[VFO_MEMBER_VF] = "the SR-IOV VF",
		[VFO_MEMBER_BACKUP] = "the virtio-net port",
	};
	static const char *const key[VFO_MEMBER_COUNT] = {
		[VFO_MEMBER_VF] = "vf",
		[VFO_MEMBER_BACKUP] = "backup",
	};
	bool has_vf = u->devargs[VFO_MEMBER_VF][0] != '\0';
	bool has_bk = u->devargs[VFO_MEMBER_BACKUP][0] != '\0';
	unsigned int have = has_vf ? VFO_MEMBER_VF : VFO_MEMBER_BACKUP;
	unsigned int miss = has_vf ? VFO_MEMBER_BACKUP : VFO_MEMBER_VF;

	if (has_vf && has_bk)
		return 0;
	if (!has_vf && !has_bk)
		return vfo_errf(err, errlen,
				"%s[uplink %s] has no vf and no backup; add 'vf = DEVARGS' and "
				"'backup = DEVARGS'",
				prefix, u->name);
	if (cli)
		return vfo_errf(
			err, errlen,
			"%suplink %s has --%s but no --%s; give --%s DEVARGS (%s) after --%s",
			prefix, u->name, key[have], key[miss], key[miss], role[miss], key[have]);
	return vfo_errf(err, errlen, "%s[uplink %s] has %s but no %s; add '%s = DEVARGS' (%s)",
			prefix, u->name, key[have], key[miss], key[miss], role[miss]);
}

/*
 * Checks that no two uplinks of cfg share a name.  Returns 0, or -1 with err
 * set (starting with 'prefix').
 */
static int
uplinks_check_names(const struct vfo_app_config *cfg, const char *prefix, char *err, size_t errlen)
{
	unsigned int i, j;

	for (i = 0; i < cfg->nb_uplinks; i++) {
		for (j = i + 1; j < cfg->nb_uplinks; j++) {
			if (strcmp(cfg->uplink[i].name, cfg->uplink[j].name) == 0)
				return vfo_errf(
					err, errlen,
					"%stwo uplinks are named '%s'; give each its own name "
					"(--name NAME or [uplink NAME])",
					prefix, cfg->uplink[i].name);
		}
	}
	return 0;
}

/*
 * Writes the INI keys valid in 'scope' to buf ("vf, backup, mac, peer-mac"),
 * starting a new line before a key that would pass column 'wrap' (0: never).
 */
static void
key_list(enum set_scope scope, size_t wrap, char *buf, size_t len)
{
	size_t used = 0, line = 0, klen;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(settings) && used < len; i++) {
		if (settings[i].key == NULL || settings[i].scope != scope)
			continue;
		klen = strlen(settings[i].key);
		/* ", " before the key and the "," that may follow it. */
		if (used > 0 && wrap > 0 && used - line + 2 + klen + 1 > wrap) {
			used += (size_t)snprintf(buf + used, len - used, ",\n");
			line = used;
		} else if (used > 0) {
			used += (size_t)snprintf(buf + used, len - used, ", ");
		}
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s", settings[i].key);
	}
}

/* Returns the setting with INI key 'key' in 'scope', or NULL. */
static const struct setting *
find_key(enum set_scope scope, const char *key)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(settings); i++) {
		if (settings[i].key != NULL && settings[i].scope == scope &&
		    strcmp(settings[i].key, key) == 0)
			return &settings[i];
	}
	return NULL;
}

/*
 * Checks that 'path' is a regular file that can be opened and read, so that
 * a missing or unreadable file gets its own message, and a device, FIFO or
 * directory (which the INI reader would block on, read forever or misread,
 * and which it reads three times) is refused.  Returns 0, or -1 with err set.
 */
static int
ini_check_readable(const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	int e;

	if (stat(path, &st) != 0)
		return vfo_errf(err, errlen, "config %s: cannot read: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vfo_errf(err, errlen,
				"config %s: not a regular file (a directory, device or pipe); "
				"give the path of an INI file",
				path);
	f = fopen(path, "r");
	if (f == NULL)
		return vfo_errf(err, errlen, "config %s: cannot read: %s", path, strerror(errno));
	errno = 0;
	(void)fgetc(f);
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e != 0)
		return vfo_errf(err, errlen, "config %s: cannot read: %s", path, strerror(e));
	return 0;
}

/*
 * Explains why rte_cfgfile refused 'path': finds the first line that is too
 * long or opens a section without closing it.  Always returns -1 with err set.
 */
static int
ini_syntax_error(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *p;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	int rc = -2;

	if (f == NULL)
		return vfo_errf(err, errlen, "config %s: cannot read: %s", path, strerror(errno));
	while (rc == -2 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		p = strchr(line, ';');
		if (p != NULL && (p == line || p[-1] != '\\'))
			*p = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (len > INI_LINE_MAX)
			rc = vfo_errf(err, errlen,
				      "config %s: line %u is %zd characters long; at most %d", path,
				      lineno, len, INI_LINE_MAX);
		else if (*p == '[' && strchr(p, ']') == NULL)
			rc = vfo_errf(err, errlen,
				      "config %s: line %u: '[' without ']'; write [global] or "
				      "[uplink NAME]",
				      path, lineno);
	}
	free(line);
	fclose(f);
	if (rc == -2)
		rc = vfo_errf(err, errlen,
			      "config %s: not a valid INI file (rte_cfgfile refused it)", path);
	return rc;
}

/*
 * If 'section' is "uplink NAME", returns NAME (possibly ""); otherwise NULL.
 */
static const char *
uplink_section_name(const char *section)
{
	static const char word[] = "uplink";
	const char *p;

	if (strncmp(section, word, sizeof(word) - 1) != 0)
		return NULL;
	p = section + sizeof(word) - 1;
	if (*p != '\0' && !isspace((unsigned char)*p))
		return NULL;
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * Works out what section 'name' (index 'idx') of file 'path' is: sets *scope
 * and *base (cfg for [global], a new uplink of cfg for [uplink NAME]).  The
 * implicit section 0 that holds keys before any section is refused later,
 * key by key: *base is NULL for it.  Returns 0, or -1 with err set.
 */
static int
ini_section_target(const char *path, const char *name, int idx, struct vfo_app_config *cfg,
		   bool *seen_global, enum set_scope *scope, void **base, char *err, size_t errlen)
{
	struct vfo_uplink_conf *u;
	const char *uname;

	*scope = SCOPE_GLOBAL;
	*base = NULL;
	if (idx == 0)
		return 0;
	if (strcmp(name, "global") == 0) {
		if (*seen_global)
			return vfo_errf(
				err, errlen,
				"config %s: section [global] given twice; merge them into one",
				path);
		*seen_global = true;
		*base = cfg;
		return 0;
	}
	uname = uplink_section_name(name);
	if (uname == NULL)
		return vfo_errf(err, errlen,
				"config %s: unknown section [%s]; use [global] or [uplink NAME]",
				path, name);
	if (!name_ok(uname))
		return vfo_errf(
			err, errlen,
			"config %s: section [%s]: give the uplink a name of letters, digits, "
			"'_', '-' and '.', as in [uplink u0]",
			path, name);
	if (strlen(uname) >= VFO_NAME_MAX)
		return vfo_errf(
			err, errlen,
			"config %s: section [%s]: uplink name is %zu characters long; at most "
			"%d",
			path, name, strlen(uname), VFO_NAME_MAX - 1);
	u = uplink_add(cfg);
	if (u == NULL)
		return vfo_errf(err, errlen,
				"config %s: [%s] makes %u uplinks; at most %d are supported", path,
				name, cfg->nb_uplinks + 1, VFO_MAX_UPLINKS);
	strcpy(u->name, uname);
	*scope = SCOPE_UPLINK;
	*base = u;
	return 0;
}

/*
 * Applies the entries of section 'idx' of the loaded file 'ini' to cfg.
 * Keys starting with '#' are '#' comment lines that held an '=': skipped.
 * Returns 0, or -1 with err set.
 */
static int
ini_load_section(struct rte_cfgfile *ini, const char *path, int idx, struct vfo_app_config *cfg,
		 bool *seen_global, char *err, size_t errlen)
{
	char name[CFG_NAME_LEN], where[512], keys[KEY_LIST_MAX];
	struct rte_cfgfile_entry *ent;
	const struct setting *s;
	enum set_scope scope;
	void *base;
	int n, i, j, rc = 0;

	n = rte_cfgfile_section_num_entries_by_index(ini, name, idx);
	if (n < 0)
		return vfo_errf(err, errlen, "config %s: cannot read section %d", path, idx);
	if (ini_section_target(path, name, idx, cfg, seen_global, &scope, &base, err, errlen) < 0)
		return -1;
	ent = calloc(n > 0 ? n : 1, sizeof(*ent));
	if (ent == NULL)
		return vfo_errf(err, errlen, "config %s: out of memory", path);
	n = rte_cfgfile_section_entries_by_index(ini, idx, name, ent, n);
	for (i = 0; i < n && rc == 0; i++) {
		if (ent[i].name[0] == '#')
			continue;
		if (base == NULL) {
			rc = vfo_errf(err, errlen,
				      "config %s: key '%s' comes before any section; put it under "
				      "[global] or [uplink NAME]",
				      path, ent[i].name);
			break;
		}
		s = find_key(scope, ent[i].name);
		if (s == NULL) {
			key_list(scope, 0, keys, sizeof(keys));
			rc = vfo_errf(err, errlen,
				      "config %s: [%s]: unknown key '%s'; valid keys: %s", path,
				      name, ent[i].name, keys);
			break;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(ent[j].name, ent[i].name) == 0)
				break;
		}
		snprintf(where, sizeof(where), "config %s: [%s] %s", path, name, ent[i].name);
		if (j < i)
			rc = vfo_errf(err, errlen, "%s is given twice; keep one", where);
		else if (strlen(ent[i].value) >= CFG_VALUE_LEN - 1)
			rc = vfo_errf(
				err, errlen,
				"%s: value is cut at %d characters by the INI reader; give it on "
				"the command line instead",
				where, CFG_VALUE_LEN - 1);
		else
			rc = set_value(s, base, ent[i].value, where, err, errlen);
	}
	free(ent);
	if (rc == 0 && scope == SCOPE_UPLINK) {
		snprintf(where, sizeof(where), "config %s: ", path);
		rc = uplink_check_members(base, false, where, err, errlen);
	}
	return rc;
}

/*
 * Reads the INI file 'path' into cfg: [global] values overwrite cfg's, the
 * [uplink NAME] sections are appended to cfg's uplinks, and cfg->config_path
 * is set.  Returns 0, or -1 with one line in err (cfg is then partly
 * updated).
 */
int
vfo_config_load(const char *path, struct vfo_app_config *cfg, char *err, size_t errlen)
{
	struct rte_cfgfile *ini;
	bool seen_global = false;
	char prefix[sizeof(cfg->config_path) + 16];
	int n, i, rc = 0;

	if (set_string(cfg->config_path, sizeof(cfg->config_path), path, false, "FILE", "--config",
		       err, errlen) < 0)
		return -1;
	if (ini_check_readable(path, err, errlen) < 0)
		return -1;
	/* rte_cfgfile logs its own parse errors to stderr; ini_syntax_error()
	 * reports them as our one error line instead. */
	rte_log_set_level_pattern("lib.cfgfile", RTE_LOG_EMERG);
	ini = rte_cfgfile_load(path, CFG_FLAG_GLOBAL_SECTION | CFG_FLAG_EMPTY_VALUES);
	if (ini == NULL)
		return ini_syntax_error(path, err, errlen);
	n = rte_cfgfile_num_sections(ini, NULL, 0);
	for (i = 0; i < n && rc == 0; i++)
		rc = ini_load_section(ini, path, i, cfg, &seen_global, err, errlen);
	rte_cfgfile_close(ini);
	if (rc == 0) {
		snprintf(prefix, sizeof(prefix), "config %s: ", path);
		rc = uplinks_check_names(cfg, prefix, err, errlen);
	}
	return rc;
}

/* Fills opts (RTE_DIM(settings) + 1 entries) for getopt_long from settings[]. */
static void
build_options(struct option *opts)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(settings); i++) {
		opts[i].name = settings[i].opt;
		opts[i].has_arg = settings[i].arg != NULL ? required_argument : no_argument;
		opts[i].flag = NULL;
		opts[i].val = settings[i].type == SET_HELP ? 'h' : OPT_BASE + (int)i;
	}
	memset(&opts[i], 0, sizeof(opts[i]));
}

/* Returns the setting getopt_long reports as value c ('h' or OPT_BASE + i). */
static const struct setting *
setting_of(int c)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(settings); i++) {
		if (settings[i].type == SET_HELP ? c == 'h' : c == OPT_BASE + (int)i)
			return &settings[i];
	}
	return NULL;
}

/*
 * Explains what getopt_long refused in argument 'arg' (the one before optind)
 * given its optopt 'opt'.  Returns -1 with err set.
 */
static int
option_error(const char *arg, int opt, char *err, size_t errlen)
{
	const struct setting *s = opt != 0 ? setting_of(opt) : NULL;
	size_t len = strcspn(arg, "=");
	char matches[256];
	size_t used = 0;
	unsigned int i, n = 0;

	if (s != NULL)
		return vfo_errf(err, errlen, "--%s takes no argument; see --help", s->opt);
	if (opt != 0)
		return vfo_errf(err, errlen, "unknown option '-%c'; see --help", opt);
	if (strncmp(arg, "--", 2) == 0 && len > 2) {
		for (i = 0; i < RTE_DIM(settings) && used < sizeof(matches); i++) {
			if (strncmp(settings[i].opt, arg + 2, len - 2) != 0)
				continue;
			used += (size_t)snprintf(matches + used, sizeof(matches) - used, "%s--%s",
						 n++ > 0 ? ", " : "", settings[i].opt);
		}
	}
	if (n > 1)
		return vfo_errf(err, errlen, "option '%.*s' is ambiguous (%s); see --help",
				(int)len, arg, matches);
	return vfo_errf(err, errlen, "unknown option '%s'; see --help", arg);
}

/* An option seen on the command line, applied after the config file. */
struct pending {
	const struct setting *s; /* which setting */
	const char *val;	 /* its argument, or the flag's value */
};

/*
 * Reads argv with getopt_long into todo[] (*n entries) and *config (the
 * --config FILE, or NULL).  Stops at --help, setting cfg->help.
 * Returns 0, or -1 with err set.
 */
static int
scan_options(int argc, char **argv, struct vfo_app_config *cfg, struct pending *todo,
	     unsigned int *n, const char **config, char *err, size_t errlen)
{
	struct option opts[RTE_DIM(settings) + 1];
	const struct setting *s;
	int c;

	build_options(opts);
	optind = 0; /* glibc: full re-initialisation (EAL used getopt too) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == '?')
			return option_error(argv[optind - 1], optopt, err, errlen);
		if (c == ':') {
			s = setting_of(optopt);
			return vfo_errf(err, errlen, "--%s needs an argument (%s)", s->opt, s->arg);
		}
		s = setting_of(c);
		if (s->type == SET_HELP) {
			cfg->help = true;
			return 0;
		}
		if (s->type == SET_CONFIG) {
			if (*config != NULL)
				return vfo_errf(err, errlen,
						"--config given twice ('%s', '%s'); give one file",
						*config, optarg);
			*config = optarg;
			continue;
		}
		todo[*n].s = s;
		todo[*n].val = s->arg != NULL ? optarg : s->flag_value;
		(*n)++;
	}
	if (optind < argc)
		return vfo_errf(
			err, errlen,
			"unexpected argument '%s'; every app option starts with --, see --help",
			argv[optind]);
	return 0;
}

/*
 * Applies the command-line options todo[0..n) to cfg, in order.  A --vf or
 * --backup starts a new uplink when there is none yet or the current one
 * already has that member; --mac, --peer-mac and --name go to the current
 * uplink.  Returns 0, or -1 with err set.
 */
static int
apply_options(struct vfo_app_config *cfg, const struct pending *todo, unsigned int n, char *err,
	      size_t errlen)
{
	struct vfo_uplink_conf *cur = NULL;
	const struct setting *s;
	char where[64];
	unsigned int i;

	for (i = 0; i < n; i++) {
		s = todo[i].s;
		snprintf(where, sizeof(where), "--%s", s->opt);
		if (s->scope == SCOPE_GLOBAL) {
			if (set_value(s, cfg, todo[i].val, where, err, errlen) < 0)
				return -1;
			continue;
		}
		if (s->type == SET_DEVARGS && (cur == NULL || ((char *)cur + s->off)[0] != '\0')) {
			cur = uplink_add(cfg);
			if (cur == NULL)
				return vfo_errf(
					err, errlen,
					"%u uplinks given; at most %d (the extra one starts at "
					"--%s %s)",
					cfg->nb_uplinks + 1, VFO_MAX_UPLINKS, s->opt, todo[i].val);
		} else if (cur == NULL) {
			return vfo_errf(err, errlen,
					"--%s comes before any --vf/--backup; give it after the "
					"--vf/--backup pair of its uplink",
					s->opt);
		}
		if (set_value(s, cur, todo[i].val, where, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * Names the unnamed uplinks first..nb_uplinks of cfg after the first free
 * "uN" and checks that each has both members.  Returns 0 or -1 with err set.
 */
static int
finish_cli_uplinks(struct vfo_app_config *cfg, unsigned int first, char *err, size_t errlen)
{
	struct vfo_uplink_conf *u;
	unsigned int i, k, j;

	for (i = first; i < cfg->nb_uplinks; i++) {
		u = &cfg->uplink[i];
		for (k = 0; u->name[0] == '\0'; k++) {
			snprintf(u->name, sizeof(u->name), "u%u", k);
			for (j = 0; j < cfg->nb_uplinks; j++) {
				if (j != i && strcmp(cfg->uplink[j].name, u->name) == 0)
					u->name[0] = '\0';
			}
		}
		if (uplink_check_members(u, true, "", err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * Parses the application options (see args.h), starting from
 * vfo_config_defaults(): --config first, then the other options in order,
 * then the checks.  Returns 0 or -1 with one line in err.
 */
int
vfo_args_parse(int argc, char **argv, struct vfo_app_config *cfg, char *err, size_t errlen)
{
	const char *config = NULL;
	struct pending *todo;
	unsigned int n = 0, first_cli;
	int rc;

	vfo_config_defaults(cfg);
	if (argc < 1)
		return vfo_errf(err, errlen,
				"no uplink: give --vf DEVARGS --backup DEVARGS or "
				"--config FILE");
	todo = calloc((size_t)argc, sizeof(*todo));
	if (todo == NULL)
		return vfo_errf(err, errlen, "out of memory");
	rc = scan_options(argc, argv, cfg, todo, &n, &config, err, errlen);
	if (rc == 0 && !cfg->help) {
		if (config != NULL)
			rc = vfo_config_load(config, cfg, err, errlen);
		first_cli = cfg->nb_uplinks;
		if (rc == 0)
			rc = apply_options(cfg, todo, n, err, errlen);
		if (rc == 0)
			rc = finish_cli_uplinks(cfg, first_cli, err, errlen);
		if (rc == 0 && cfg->nb_uplinks == 0)
			rc = vfo_errf(
				err, errlen,
				"no uplink: give --vf DEVARGS --backup DEVARGS or --config FILE");
		if (rc == 0)
			rc = uplinks_check_names(cfg, "", err, errlen);
		if (rc == 0 && !rte_is_power_of_2(cfg->idle_poll))
			rc = vfo_errf(err, errlen,
				      "--idle-poll %u: give a power of 2 (1, 2, 4, 8, 16 or %u)",
				      cfg->idle_poll, VFO_FWD_IDLE_EVERY_MAX);
		if (rc == 0 && cfg->link_poll_us == 0)
			cfg->link_poll_us = vfo_yield_uses_intr(cfg->idle_yield)
						    ? LINK_POLL_YIELD_US
						    : LINK_POLL_DEF_US;
	}
	free(todo);
	return rc;
}

/*
 * Prints text to f, starting each line after the first at column USAGE_COL.
 */
static void
print_wrapped(FILE *f, const char *text)
{
	const char *nl;

	while ((nl = strchr(text, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - text), text, USAGE_COL, "");
		text = nl + 1;
	}
	fprintf(f, "%s\n", text);
}

/* Prints the usage text (options, defaults, INI format, examples) to f. */
void
vfo_args_usage(FILE *f, const char *prog)
{
	char head[64], keys[KEY_LIST_MAX];
	unsigned int i;
	int w;

	fprintf(f,
		"Usage: %s [EAL options] -- [options]\n\n"
		"Forwards packets over uplinks; each uplink is an SR-IOV VF and a virtio-net\n"
		"backup, and traffic fails over from one to the other.\n",
		prog);
	for (i = 0; i < RTE_DIM(settings); i++) {
		if (settings[i].group != NULL)
			fprintf(f, "\n%s\n", settings[i].group);
		w = snprintf(head, sizeof(head), "  --%s%s%s", settings[i].opt,
			     settings[i].arg != NULL ? " " : "",
			     settings[i].arg != NULL ? settings[i].arg : "");
		fprintf(f, "%s%*s", head, w < USAGE_COL - 1 ? USAGE_COL - w : 1, "");
		print_wrapped(f, settings[i].help);
	}
	fprintf(f, "\nConfiguration file (--config FILE), INI format; ';' starts a comment\n"
		   "anywhere on a line, '#' at the start of a line.  Sections and their keys:\n");
	key_list(SCOPE_GLOBAL, USAGE_WRAP - USAGE_COL, keys, sizeof(keys));
	fprintf(f, "%-*s", USAGE_COL, "  [global]");
	print_wrapped(f, keys);
	fprintf(f, "%*s(at most once)\n", USAGE_COL, "");
	key_list(SCOPE_UPLINK, USAGE_WRAP - USAGE_COL, keys, sizeof(keys));
	fprintf(f, "%-*s", USAGE_COL, "  [uplink NAME]");
	print_wrapped(f, keys);
	fprintf(f,
		"%*s(one section per uplink, in order)\n"
		"  Values are as for the options; promisc and tx-first take\n"
		"  yes/no/true/false/1/0.  The file is read first wherever --config stands:\n"
		"  the other options override its [global] values, and --vf/--backup\n"
		"  uplinks come after its uplinks.  For example:\n"
		"    [global]\n"
		"    fwd = macswap\n"
		"    ctl = /tmp/vfailover.sock\n"
		"    [uplink u0]\n"
		"    vf = 0000:00:05.0\n"
		"    backup = 0000:00:04.0\n"
		"\nExamples:\n"
		"  %s -l 0-1 --no-pci -- \\\n"
		"      --vf net_memif0,role=client,socket=/tmp/vfo-demo-vf.sock,id=0 \\\n"
		"      --backup net_memif1,role=client,socket=/tmp/vfo-demo-bk.sock,id=0 \\\n"
		"      --fwd macswap --ctl /tmp/vfailover-demo.sock\n"
		"  %s -l 0-2 -- --config configs/two-uplinks.ini --stats-interval 0\n",
		USAGE_COL, "", prog, prog);
}
