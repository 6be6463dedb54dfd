/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_dut.c — a tiny device under test for vfprobe's integration tests:
 * reflects what each port receives back out of the same port, dropping
 * on purpose so that the probe's loss figures can be checked exactly.
 *
 *   vfp_dut [EAL options with --vdev ports] -- [--drop-every K] [--max-pps R]
 *
 *   --drop-every K  drops every K-th packet received (counted over all ports:
 *                   packets K, 2K, 3K...)
 *   --max-pps R     forwards at most R packets/s (token bucket holding 20 ms
 *                   of tokens); the excess is dropped
 *
 * Transmission retries until the port takes every packet, so there is no
 * loss other than the deliberate one.  Runs on one lcore until SIGINT or
 * SIGTERM, then prints one line: "vfp_dut: rx N drop_k D drop_rate E tx T".
 * Exit status: 0, 2 bad options, 1 start-up failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define BURST	32
#define NB_DESC 1024
/* Token bucket depth, ms of tokens. */
#define BUCKET_MS 20

static volatile bool quit; /* set by SIGINT/SIGTERM */

/* SIGINT/SIGTERM: end the loop. */
static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

/* What the loop counts. */
struct dut_stats {
	uint64_t rx;	    /* packets received */
	uint64_t drop_k;    /* dropped by --drop-every */
	uint64_t drop_rate; /* dropped by --max-pps */
	uint64_t tx;	    /* packets sent back */
};

/* Configures and starts port 'port' with one queue pair from pool 'mp'.
 * Returns 0 or -1 after printing why. */
static int
port_init(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, NB_DESC, rte_socket_id(), NULL, mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, NB_DESC, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret != 0) {
		fprintf(stderr, "vfp_dut: port %u: %s\n", port, rte_strerror(-ret));
		return -1;
	}
	return 0;
}

/* Sends pkts[0..n) on port, retrying until taken or quitting (then the
 * rest is freed).  Returns the packets sent. */
static uint16_t
send_all(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	while (sent < n && !quit)
		sent += rte_eth_tx_burst(port, 0, pkts + sent, n - sent);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

/* The forwarding loop: drop_every (0: none), max_pps (0: unlimited). */
static void
run(uint64_t drop_every, double max_pps, struct dut_stats *s)
{
	uint64_t hz = rte_get_tsc_hz(), last = rte_rdtsc();
	double tokens = 0, depth = max_pps * BUCKET_MS / 1000.0;
	struct rte_mbuf *pkts[BURST], *keep[BURST];
	uint16_t port, n, k;

	if (depth < BURST)
		depth = BURST;
	tokens = depth;
	while (!quit) {
		RTE_ETH_FOREACH_DEV(port)
		{
			n = rte_eth_rx_burst(port, 0, pkts, BURST);
			if (n == 0)
				continue;
			if (max_pps > 0) {
				uint64_t now = rte_rdtsc();

				tokens += (double)(now - last) * max_pps / (double)hz;
				if (tokens > depth)
					tokens = depth;
				last = now;
			}
			k = 0;
			for (uint16_t i = 0; i < n; i++) {
				s->rx++;
				if (drop_every != 0 && s->rx % drop_every == 0) {
					s->drop_k++;
					rte_pktmbuf_free(pkts[i]);
				} else if (max_pps > 0 && tokens < 1) {
					s->drop_rate++;
					rte_pktmbuf_free(pkts[i]);
				} else {
					tokens -= max_pps > 0;
					keep[k++] = pkts[i];
				}
			}
			s->tx += send_all(port, keep, k);
		}
	}
}

/* Parses the options after "--".  Returns 0 or -1 after printing why. */
static int
parse(int argc, char **argv, uint64_t *drop_every, double *max_pps)
{
	for (int i = 1; i < argc; i++) {
		char *end;

		if (i + 1 >= argc)
			goto bad;
		errno = 0;
		if (strcmp(argv[i], "--drop-every") == 0) {
			*drop_every = strtoull(argv[++i], &end, 10);
			if (errno || *end || *drop_every < 2)
				goto bad;
		} else if (strcmp(argv[i], "--max-pps") == 0) {
			*max_pps = strtod(argv[++i], &end);
			if (errno || *end || *max_pps < 1)
				goto bad;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "vfp_dut: usage: vfp_dut [EAL] -- [--drop-every K>=2] [--max-pps R>=1]\n");
	return -1;
}

int
main(int argc, char **argv)
{
	struct dut_stats s = {0};
	struct rte_mempool *mp;
	uint64_t drop_every = 0;
	double max_pps = 0;
	uint16_t port;
	int ret = rte_eal_init(argc, argv);

	if (ret < 0) {
		fprintf(stderr, "vfp_dut: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse(argc - ret, argv + ret, &drop_every, &max_pps) != 0)
		return 2;
	mp = rte_pktmbuf_pool_create("dut", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL || rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "vfp_dut: %s\n", mp ? "no port: give --vdev" : "no mbuf pool");
		return 1;
	}
	RTE_ETH_FOREACH_DEV(port)
	if (port_init(port, mp) != 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("vfp_dut: forwarding\n");
	fflush(stdout);
	run(drop_every, max_pps, &s);
	printf("vfp_dut: rx %" PRIu64 " drop_k %" PRIu64 " drop_rate %" PRIu64 " tx %" PRIu64 "\n",
	       s.rx, s.drop_k, s.drop_rate, s.tx);
	RTE_ETH_FOREACH_DEV(port)
	{
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	return 0;
}
