/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * args.h — the vfailover application's settings: command-line options
 * (after EAL's "--") and the INI configuration file (--config).
 *
 * Parsing is pure: it touches no DPDK state, so it runs before rte_eal_init()
 * and a bad option never half-starts anything.
 */
#ifndef VFO_APP_ARGS_H
#define VFO_APP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>

#include "vfo_attach_policy.h"
#include "vfo_fwd.h"
#include "vfo_uplink.h"
#include "vfo_yield.h"

/** Largest --burst. */
#define VFO_MAX_BURST VFO_TXBUF_MAX
/** Longest control-socket path (sun_path). */
#define VFO_CTL_PATH_MAX 108
/** Longest control serial port path (--ctl-serial). */
#define VFO_CTL_SERIAL_PATH_MAX 256

/** One uplink as configured (command line or [uplink NAME] section). */
struct vfo_uplink_conf {
	char name[VFO_NAME_MAX];			 /**< "u0", "u1" or the section's NAME */
	char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX]; /**< vf, backup; "" = not given */
	bool has_mac;					 /**< mac was given */
	struct rte_ether_addr mac;			 /**< uplink MAC (default: the backup's) */
	uint32_t ipv4;			/**< uplink IPv4 (host order) for gratuitous ARP, 0: none */
	bool has_ipv6;			/**< ipv6 was given */
	uint8_t ipv6[16];		/**< uplink IPv6 (network order) for the unsolicited NA */
	uint32_t arp_target;		/**< path liveness: IPv4 (host order) to ARP, 0: off */
	struct vfo_vlan_list vlans;	/**< VLAN filters on both members (--vlan) */
	bool has_peer_mac;		/**< peer_mac was given */
	struct rte_ether_addr peer_mac; /**< dst MAC in --fwd mac (default 02:00:00:00:00:NN) */
};

/** Everything the application was told. */
struct vfo_app_config {
	struct vfo_uplink_conf uplink[VFO_MAX_UPLINKS]; /**< the uplinks, in order */
	unsigned int nb_uplinks;			/**< 1 or 2 once parsed */
	enum vfo_fwd_mode fwd;				/**< --fwd, default io */
	char ctl_path[VFO_CTL_PATH_MAX];		/**< --ctl, "" = no control socket */
	char ctl_serial[VFO_CTL_SERIAL_PATH_MAX];	/**< --ctl-serial, "" = no serial port */
	unsigned int stats_interval_ms; /**< --stats-interval, 0 = off, default 1000 */
	uint16_t burst;			/**< --burst, default 32 */
	uint16_t nb_rxq;		/**< --rxq, 0 = one per worker lcore */
	uint16_t nb_txq;		/**< --txq, 0 = one per worker lcore */
	uint16_t nb_rxd;		/**< --rxd, default 1024 */
	uint16_t nb_txd;		/**< --txd, default 1024 */
	bool promisc;			/**< default true; --no-promisc */
	bool allmulti;			/**< --allmulti: all-multicast mode on the members */
	unsigned int mtu;		/**< --mtu: members' MTU, 0 = the PMD's default */
	unsigned int drain_us;		/**< --drain-us, TX drain period, default 100 */
	unsigned int tx_retry_us;	/**< --tx-retry-us: retry a refusing TX ring, 0 = drop */
	unsigned int idle_poll; /**< --idle-poll: idle backup polled one turn in N, default 8 */
	enum vfo_yield_mode idle_yield; /**< --idle-yield: what idle lcores do, default off */
	unsigned int idle_yield_us;	/**< --idle-yield-us: empty this long, then sleep */
	bool tx_first;			/**< --tx-first: send one burst per uplink at start */
	unsigned int link_poll_us;	/**< --link-poll-us: link polling period (0 until parsed:
					 * 1000, 100000 with --idle-yield interrupt/auto) */
	bool announce;			/**< RARP/GARP/NA after a switch; --no-announce */
	unsigned int arp_interval_ms;	/**< --arp-interval-ms: path probe period, default 100 */
	unsigned int arp_missed;      /**< --arp-missed: unanswered intervals = failed, default 3 */
	unsigned int reprobe_down_ms; /**< --reprobe-down-ms, default 1000, 0 = never */
	unsigned int grace_timeout_ms;	/**< --grace-timeout-ms: bound of a grace period */
	unsigned int member_timeout_ms; /**< --member-timeout-ms: bound of a bring-up/tear-down */
	unsigned int tx_drain_ms;	/**< --tx-drain-ms: a peer-ring member's TX left to its peer */
	unsigned int max_flows;	      /**< --max-flows: flow table size per lcore (--fwd flow) */
	unsigned int flow_idle_ms;    /**< --flow-idle-ms: flows idle this long leave, 0: never */
	char attach_allow[VFO_ATTACH_ALLOW_LEN]; /**< --attach-allow: extra drivers/buses, "" */
	unsigned int ctl_idle_ms; /**< --ctl-idle-ms: control clients' idle timeout, 0: none */
	uint16_t tx_first_len;	  /**< --tx-first-len: their size without FCS, default 60 */
	bool help;		  /**< --help was given: print usage, exit 0 */
	char config_path[256];	  /**< --config FILE, "" = none */
};

/** Fills 'cfg' with the defaults (no uplinks). */
void vfo_config_defaults(struct vfo_app_config *cfg);

/**
 * Parses the application options argv[0..argc) (argv[0] is the program
 * name; EAL options already removed) into 'cfg', which it first resets with
 * vfo_config_defaults().  --config FILE is read first wherever
 * it stands, then the other options apply on top of it; uplinks given with
 * --vf/--backup are added after the file's.  Checks the result (1 or 2
 * complete uplinks, ranges).  --help stops the parse: cfg->help is set and
 * 0 returned, whatever follows.
 *
 * Returns 0, or -1 with one line in 'err' naming the culprit and the fix.
 */
int vfo_args_parse(int argc, char **argv, struct vfo_app_config *cfg, char *err, size_t errlen);

/**
 * Reads the INI file 'path' into 'cfg' (a [global] section and one
 * [uplink NAME] section per uplink): [global] values replace cfg's, the
 * uplinks are appended to cfg's, cfg->config_path is set.  Returns 0, or -1
 * with 'err' set.
 */
int vfo_config_load(const char *path, struct vfo_app_config *cfg, char *err, size_t errlen);

/** Prints the usage text to 'f'. */
void vfo_args_usage(FILE *f, const char *prog);

#endif /* VFO_APP_ARGS_H */
