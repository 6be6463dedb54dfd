/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_report.c — vfprobe's reports of a run: the analyzer's JSON report
 * (same schema as vfprobe-offline's) plus the generator's side ("tx") and
 * the ports; and the human summary.  Main thread, after the run.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_ether.h>

#include "vfp_live.h"
#include "vfp_report.h"
#include "vfp_run_report.h"

/* Returns the seconds the run sent for (first to last burst). */
static double
tx_seconds(const struct vfp_live *l)
{
	return l->tx_done_tsc > l->tx.start_tsc
		       ? (double)(l->tx_done_tsc - l->tx.start_tsc) / (double)l->tsc_hz
		       : 0;
}

double
vfp_live_tx_pps(const struct vfp_live *l)
{
	double s = tx_seconds(l);

	return s > 0 ? (double)l->tx.sent / s : 0;
}

/* Returns the "tx" object: settings and counters of the generator. */
static json_t *
tx_json(const struct vfp_live *l)
{
	const struct vfp_opts *o = l->o;
	json_t *t = json_object(), *ports = json_array(), *per = json_array();
	double pps = vfp_live_tx_pps(l);

	for (unsigned int i = 0; i < o->ntx; i++)
		json_array_append_new(ports, json_integer(o->tx[i]));
	for (unsigned int i = 0; i < o->nports; i++)
		json_array_append_new(per, json_integer((json_int_t)l->tx.port_tx[i]));
	json_object_set_new(t, "ports", ports);
	json_object_set_new(t, "stream", json_integer(l->trial.stream));
	json_object_set_new(t, "size", json_integer(o->size));
	json_object_set_new(t, "burst", json_integer(o->burst));
	json_object_set_new(t, "flows", json_integer(o->flows));
	json_object_set_new(t, "rate_pps", json_real(l->trial.pps));
	json_object_set_new(t, "sent", json_integer((json_int_t)l->tx.sent));
	json_object_set_new(t, "port_sent", per);
	json_object_set_new(t, "seconds", json_real(tx_seconds(l)));
	json_object_set_new(t, "achieved_pps", json_real(pps));
	json_object_set_new(t, "line_rate_pct", json_real(100.0 * pps / vfp_line_pps(o->size)));
	json_object_set_new(t, "refused_bursts", json_integer((json_int_t)l->tx.refused));
	json_object_set_new(t, "nombuf", json_integer((json_int_t)l->tx.nombuf));
	return t;
}

/* Returns the "ports" array: devargs, driver, MAC, frames received, where
 * receive times come from ("kernel" stamps or the "poll"), and the frames
 * the port dropped before vfprobe saw them (the PMD's imissed: net_pcap's
 * is libpcap's ring overflowing while the RX lcore did not poll; rx_nombuf;
 * ierrors), which vfprobe counts as lost; null where the PMD cannot say. */
static json_t *
ports_json(const struct vfp_live *l)
{
	json_t *a = json_array();
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	for (unsigned int i = 0; i < l->o->nports; i++) {
		struct rte_eth_stats st;
		const bool have = i < l->nports_up && rte_eth_stats_get(l->ports[i].id, &st) == 0;

		rte_ether_format_addr(mac, sizeof(mac), &l->ports[i].mac);
		json_array_append_new(
			a, json_pack("{s:i,s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:o}", "port", (int)i,
				     "devargs", l->o->ports[i], "driver", l->ports[i].driver, "mac",
				     mac, "rx_frames", (json_int_t)l->rx.port_rx[i], "rx_time",
				     l->ports[i].kstamp ? "kernel" : "poll", "rx_missed",
				     have ? json_integer((json_int_t)st.imissed) : json_null(),
				     "rx_nombuf",
				     have ? json_integer((json_int_t)st.rx_nombuf) : json_null(),
				     "rx_errors",
				     have ? json_integer((json_int_t)st.ierrors) : json_null()));
	}
	return a;
}

json_t *
vfp_live_json(const struct vfp_live *l)
{
	struct vfp_report_info info = {.mode = "live", .source = l->o->ports[0]};
	json_t *j = vfp_report_json(l->an, &info);

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "tx", tx_json(l));
	json_object_set_new(j, "ports", ports_json(l));
	json_object_set_new(j, "stopped",
			    json_boolean(__atomic_load_n(&l->stopped, __ATOMIC_RELAXED)));
	return j;
}

void
vfp_live_summary(const struct vfp_live *l, FILE *f)
{
	const struct vfp_opts *o = l->o;
	double pps = vfp_live_tx_pps(l);

	if (o->ntx != 0) {
		fprintf(f,
			"vfprobe: sent %" PRIu64
			" packets of %u B in %.3f s: %.0f pps, %.3f Gbit/s "
			"(%.2f%% of 10GbE)%s\n",
			l->tx.sent, o->size, tx_seconds(l), pps, pps * (double)o->size * 8 / 1e9,
			100.0 * pps / vfp_line_pps(o->size),
			__atomic_load_n(&l->stopped, __ATOMIC_RELAXED) ? ", stopped" : "");
		for (unsigned int i = 0; i < o->nports; i++)
			if (l->tx.port_tx[i] != 0)
				fprintf(f, "  port %u sent %" PRIu64 "\n", i, l->tx.port_tx[i]);
	}
	for (unsigned int i = 0; i < o->nports; i++)
		if (l->rx.port_rx[i] != 0)
			fprintf(f, "  port %u received %" PRIu64 " frames\n", i, l->rx.port_rx[i]);
	if (o->nrx != 0)
		vfp_report_text(l->an, f, o->max_gaps_print);
}
