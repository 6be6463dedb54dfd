/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c — vfailover: parse options, initialise EAL, bring the uplinks up,
 * start the control thread, run the forwarding loop on every lcore, and tear
 * everything down on SIGINT/SIGTERM or the "quit" command.  Everything it
 * reports goes through rte_log ("vfailover", "vfailover.stats"); only --help
 * writes to stdout.
 *
 *   vfailover [EAL options] -- [app options]     (see --help)
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>

#include "app.h"
#include "vfo_flow.h"
#include "vfo_log.h"
#include "vfo_tsan.h"
#include "vfo_tsc.h"
#include "vfo_unmap_guard.h"

/* Exit codes: 2 for bad options, 1 for a failure to start. */
#define EXIT_USAGE 2
/* A forwarding lcore marks a stall when its loop did not read the TSC for
 * this long (µs; the guest's scheduler or the hypervisor took its CPU)... */
#define FWD_STALL_US 1000
/* ... and RX resuming when packets come after this long without (µs; the
 * end-to-end study sends 1000 packets/s). */
#define FWD_QUIET_US 2000

/* The one application (the signal handler needs to reach it). */
static struct vfo_app app;

/* SIGINT/SIGTERM: ask every loop to stop. */
static void
on_signal(int sig)
{
	(void)sig;
	vfo_app_quit(&app);
}

/*
 * Returns the index of the "--" that ends the EAL options, or 0 when there
 * is none (then every argument is an application option).
 */
static int
find_separator(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return 0;
}

/*
 * Checks the queue counts against the lcores EAL gave (one RX queue per
 * forwarding lcore) and fills in the defaults.  Returns 0 or -1 with 'err'.
 */
static int
resolve_queues(struct vfo_app_config *cfg, char *err, size_t errlen)
{
	unsigned int nb_lcores = rte_lcore_count();

	if (nb_lcores > VFO_MAX_QUEUES) {
		snprintf(err, errlen, "EAL gave %u lcores; vfailover uses at most %u (-l/--lcores)",
			 nb_lcores, VFO_MAX_QUEUES);
		return -1;
	}
	if (cfg->nb_rxq == 0)
		cfg->nb_rxq = (uint16_t)nb_lcores;
	if (cfg->nb_txq == 0)
		cfg->nb_txq = (uint16_t)nb_lcores;
	if (cfg->nb_rxq != nb_lcores) {
		snprintf(err, errlen,
			 "--rxq %u needs %u forwarding lcores but EAL gave %u: give -l with %u "
			 "cores or --rxq %u (one RX queue per lcore)",
			 cfg->nb_rxq, cfg->nb_rxq, nb_lcores, cfg->nb_rxq, nb_lcores);
		return -1;
	}
	if (cfg->nb_txq < nb_lcores) {
		snprintf(err, errlen,
			 "--txq %u is fewer than the %u forwarding lcores; give --txq %u or more",
			 cfg->nb_txq, nb_lcores, nb_lcores);
		return -1;
	}
	return 0;
}

/*
 * Creates the RCU variable, sizes the pools and brings up every uplink.
 * Returns 0, or -1 with 'err' set (what was created is torn down by
 * teardown()).
 */
static int
setup_dataplane(struct vfo_app *a, char *err, size_t errlen)
{
	const struct vfo_app_config *cfg = &a->cfg;
	struct vfo_pool_need need = {
		.nb_ports = cfg->nb_uplinks * VFO_MEMBER_COUNT,
		.nb_rxq = cfg->nb_rxq,
		.nb_rxd = cfg->nb_rxd,
		.nb_txq = cfg->nb_txq,
		.nb_txd = cfg->nb_txd,
		.nb_lcores = rte_lcore_count(),
		.burst = cfg->burst,
	};
	size_t sz = rte_rcu_qsbr_get_memsize(rte_lcore_count());
	unsigned int queue_lcore[VFO_MAX_QUEUES] = {0};
	unsigned int i, lc;

	a->qsbr = rte_zmalloc("vfo_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (a->qsbr == NULL || rte_rcu_qsbr_init(a->qsbr, rte_lcore_count()) != 0) {
		snprintf(err, errlen, "cannot allocate the RCU variable: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	/* A memif peer going away must not unmap a ring under a polling lcore. */
	vfo_unmap_guard_arm(a->qsbr, (uint64_t)cfg->grace_timeout_ms * 1000);
	vfo_pools_init(&a->pools, &need);
	/* Lcore index k polls queue k (see vfo_fwd.h). */
	RTE_LCORE_FOREACH(lc)
	{
		queue_lcore[rte_lcore_index((int)lc)] = lc;
	}
	for (i = 0; i < cfg->nb_uplinks; i++) {
		const struct vfo_uplink_conf *uc = &cfg->uplink[i];
		struct vfo_uplink_params p = {
			.has_mac = uc->has_mac,
			.mac = uc->mac,
			.nb_rxq = cfg->nb_rxq,
			.nb_txq = cfg->nb_txq,
			.nb_rxd = cfg->nb_rxd,
			.nb_txd = cfg->nb_txd,
			.promisc = cfg->promisc,
			.ipv4 = uc->ipv4,
			.has_ipv6 = uc->has_ipv6,
			.arp_target = uc->arp_target,
			.allmulti = cfg->allmulti,
			.mtu = (uint16_t)cfg->mtu,
			.vlans = uc->vlans,
			.max_flows = cfg->fwd == VFO_FWD_FLOW ? cfg->max_flows : 0,
			.tx_retry_us = cfg->tx_retry_us,
			.grace_timeout_us = (uint64_t)cfg->grace_timeout_ms * 1000,
			.member_timeout_us = (uint64_t)cfg->member_timeout_ms * 1000,
			.tx_drain_us = (uint64_t)cfg->tx_drain_ms * 1000,
			.qsbr = a->qsbr,
			.yield = cfg->idle_yield,
			.sleepers = {.wake = vfo_fwd_wake, .sync = vfo_fwd_sync, .arg = &a->fwd},
			.pool_for_socket = vfo_pools_get,
			.pool_arg = &a->pools,
		};

		memcpy(p.queue_lcore, queue_lcore, sizeof(p.queue_lcore));
		snprintf(p.name, sizeof(p.name), "%s", uc->name);
		memcpy(p.devargs, uc->devargs, sizeof(p.devargs));
		memcpy(p.ipv6, uc->ipv6, sizeof(p.ipv6));
		a->uplink[i] = vfo_uplink_create(&p, err, errlen);
		if (a->uplink[i] == NULL)
			return -1;
		if (a->uplink[i]->flows != NULL)
			vfo_flow_set_idle_timeout(a->uplink[i]->flows,
						  (uint64_t)cfg->flow_idle_ms * 1000);
		a->nb_uplinks++;
	}
	a->fwd = (struct vfo_fwd){
		.nb_uplinks = a->nb_uplinks,
		.mode = cfg->fwd,
		.burst = cfg->burst,
		.drain_tsc = vfo_us_to_tsc(cfg->drain_us),
		.idle_every = cfg->idle_poll,
		.idle_after_tsc = vfo_us_to_tsc(VFO_FWD_IDLE_AFTER_US),
		.yield = cfg->idle_yield,
		.yield_after_tsc = vfo_us_to_tsc(cfg->idle_yield_us),
		.qsbr = a->qsbr,
		.tx_first = cfg->tx_first,
		.tx_first_len = cfg->tx_first_len,
		.quit = &a->quit,
		.stall_tsc = vfo_us_to_tsc(FWD_STALL_US),
		.quiet_tsc = vfo_us_to_tsc(FWD_QUIET_US),
		.marks = rte_zmalloc("vfo_fwd_marks",
				     sizeof(struct vfo_fwd_marks) * rte_lcore_count(),
				     RTE_CACHE_LINE_SIZE),
	};
	if (a->fwd.marks == NULL) {
		snprintf(err, errlen, "out of memory for the lcores' marks");
		return -1;
	}
	for (i = 0; i < a->nb_uplinks; i++) {
		a->fwd.uplink[i] = a->uplink[i];
		a->fwd.path_liveness |= cfg->uplink[i].arp_target != 0;
		if (cfg->uplink[i].has_peer_mac)
			a->fwd.peer_mac[i] = cfg->uplink[i].peer_mac;
		else
			a->fwd.peer_mac[i] = (struct rte_ether_addr){{2, 0, 0, 0, 0, (uint8_t)i}};
	}
	return vfo_fwd_yield_setup(&a->fwd, err, errlen);
}

/* vfo_app_numa_check() callback: logs the line as a warning. */
static void
numa_warn(void *arg, const char *line)
{
	(void)arg;
	VFO_LOG(WARNING, "%s", line);
}

/*
 * Lets dpdk-dumpcap and dpdk-pdump capture on the members and
 * dpdk-proc-info read their counters: secondary processes of the same
 * --file-prefix, which reach vfailover through EAL's multi-process socket
 * (absent with --in-memory).  Nothing runs on the fast path until a capture
 * starts.  Says which --file-prefix they need, or why they cannot attach.
 */
static void
capture_init(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	const char *prefix = strrchr(dir, '/');
	char sock[PATH_MAX];

	if (rte_pdump_init() < 0) {
		VFO_LOG(WARNING, "packet capture unavailable: %s", rte_strerror(rte_errno));
		return;
	}
	snprintf(sock, sizeof(sock), "%s/mp_socket", dir);
	if (access(sock, F_OK) == 0)
		VFO_LOG(INFO,
			"dpdk-dumpcap, dpdk-pdump and dpdk-proc-info can attach with "
			"--file-prefix %s",
			prefix != NULL ? prefix + 1 : dir);
	else
		VFO_LOG(INFO, "no multi-process socket (--in-memory?): dpdk-dumpcap, dpdk-pdump "
			      "and dpdk-proc-info cannot attach");
}

/*
 * Sets up the failover engine on the uplinks with the options' tunables.
 * Returns 0, or -1 with 'err' set.
 */
static int
setup_failover(struct vfo_app *a, char *err, size_t errlen)
{
	const struct vfo_app_config *cfg = &a->cfg;
	struct vfo_fo_engine_conf ec = {.tick_us = cfg->link_poll_us};
	unsigned int i;

	vfo_fo_conf_defaults(&ec.fo);
	ec.fo.announce = cfg->announce;
	ec.fo.path_interval_us = (uint64_t)cfg->arp_interval_ms * 1000;
	ec.fo.path_missed = cfg->arp_missed;
	ec.fo.reprobe_down_us = (uint64_t)cfg->reprobe_down_ms * 1000;
	ec.fo.min_drain_us = (uint64_t)cfg->tx_drain_ms * 1000;
	for (i = 0; i < a->nb_uplinks; i++)
		ec.path_target[i] = cfg->uplink[i].arp_target;
	snprintf(ec.attach_allow, sizeof(ec.attach_allow), "%s", cfg->attach_allow);
	return vfo_fo_engine_setup(&a->fo, a->uplink, a->nb_uplinks, &ec, a->ctl, err, errlen);
}

/*
 * Releases whatever setup created, in reverse order; with 'report', logs
 * the mbufs still in use once every port is closed (what leaked).
 */
static void
teardown(struct vfo_app *a, bool report)
{
	unsigned int i;

	vfo_app_ctl_stop(a);
	vfo_fo_engine_stop(&a->fo);
	vfo_app_ctl_close(a);
	rte_pdump_uninit();
	for (i = 0; i < a->nb_uplinks; i++)
		vfo_uplink_destroy(a->uplink[i]);
	/* Every port closed has given back what its rings held: what is still
	 * in use now leaked (the soak checks it is 0). */
	if (report)
		VFO_STATS_LOG(NOTICE, "totals: mbufs in use with every port closed: %u",
			      vfo_pools_in_use(&a->pools));
	a->nb_uplinks = 0;
	vfo_fwd_yield_teardown(&a->fwd);
	vfo_pools_free(&a->pools);
	vfo_unmap_guard_arm(NULL, 0);
	rte_free(a->qsbr);
	a->qsbr = NULL;
	rte_free(a->fwd.marks);
	a->fwd.marks = NULL;
}

int
main(int argc, char **argv)
{
	char err[1024];
	int sep = find_separator(argc, argv);
	int eal_argc = sep == 0 ? 1 : sep;
	int ret;

	vfo_app_log_init();
	/* Application options first, so that bad ones start nothing. */
	argv[sep] = argv[0];
	ret = vfo_args_parse(argc - sep, argv + sep, &app.cfg, err, sizeof(err));
	if (ret < 0) {
		VFO_LOG(ERR, "%s", err);
		return EXIT_USAGE;
	}
	if (app.cfg.help) {
		vfo_args_usage(stdout, argv[0]);
		return 0;
	}
	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		VFO_LOG(ERR,
			"EAL init failed: %s; check the EAL options and hugepages "
			"(scripts/setup), or run with --in-memory",
			rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	capture_init();
	if (resolve_queues(&app.cfg, err, sizeof(err)) < 0 ||
	    setup_dataplane(&app, err, sizeof(err)) < 0 ||
	    vfo_app_ctl_setup(&app, err, sizeof(err)) < 0 ||
	    setup_failover(&app, err, sizeof(err)) < 0) {
		VFO_LOG(ERR, "%s", err);
		teardown(&app, false);
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}
	vfo_app_numa_check(&app, numa_warn, NULL);
	vfo_pools_log_memory(&app.pools);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = vfo_fo_engine_start(&app.fo);
	if (ret == 0)
		ret = vfo_app_ctl_start(&app);
	if (ret != 0) {
		VFO_LOG(ERR, "cannot start the control and failover threads: %s",
			rte_strerror(-ret));
		teardown(&app, false);
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}
	VFO_LOG(NOTICE, "forwarding (%s) on %u lcore(s), %u uplink(s); Ctrl-C to stop",
		vfo_fwd_mode_name(app.cfg.fwd), rte_lcore_count(), app.nb_uplinks);
	vfo_app_notify("READY=1\nSTATUS=forwarding");
	__atomic_store_n(&app.start_tsc, rte_rdtsc(), __ATOMIC_RELAXED);
	vfo_tsan_release(&app.fwd); /* DPDK's launch and wait, for TSan (vfo_tsan.h) */
	rte_eal_mp_remote_launch(vfo_fwd_lcore_main, &app.fwd, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	vfo_tsan_acquire(&app.fwd);
	vfo_app_quit(&app);

	VFO_LOG(NOTICE, "stopping");
	vfo_app_notify("STOPPING=1");
	vfo_app_ctl_stop(&app);
	vfo_app_log_totals(&app);
	teardown(&app, true);
	rte_eal_cleanup();
	return 0;
}
