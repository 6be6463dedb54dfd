/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_ctl.c — the application's control thread: control-socket commands
 * (status, stats, flows, clock, marks, threads, quit), the same data through
 * rte_telemetry, and the periodic stats lines (rte_log type
 * "vfailover.stats").  Runs on a control thread, never on a forwarding
 * lcore.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "app.h"
#include "vfo_flow.h"
#include "vfo_log.h"
#include "vfo_numa.h"
#include "vfo_status.h"
#include "vfo_telemetry.h"

/* Longest the control thread sleeps between looks at its socket (ms); a
 * client and a command finished by the failover thread wake it at once, the
 * next stats line ends the sleep.  With --idle-yield interrupt or auto it
 * sleeps longer: quit and the link polling (100 ms there) set the bound. */
#define CTL_TICK_MS	 10
#define CTL_TICK_IDLE_MS 100

/* Returns seconds since forwarding began. */
static double
uptime_s(const struct vfo_app *a)
{
	uint64_t t0 = __atomic_load_n(&a->start_tsc, __ATOMIC_RELAXED);

	return t0 == 0 ? 0.0 : (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz();
}

/* Returns the cycles per packet of 'cycles' over 'pkts' (0 when no packet). */
static double
per_pkt(uint64_t cycles, uint64_t pkts)
{
	return pkts == 0 ? 0.0 : (double)cycles / (double)pkts;
}

/*
 * Returns a new JSON object: the --idle-yield mode, whether the lcores can
 * sleep now (every lcore polls queue k of every member, so all or none) and,
 * if not, the members that keep them awake.
 */
static json_t *
idle_yield_json(struct vfo_app *a)
{
	json_t *o = json_object(), *busy = json_array();
	unsigned int i, j, lc;

	json_object_set_new(o, "mode", json_string(vfo_yield_mode_name(a->cfg.idle_yield)));
	json_object_set_new(o, "after_us", json_integer(a->cfg.idle_yield_us));
	json_object_set_new(o, "link_poll_us", json_integer(a->cfg.link_poll_us));
	for (i = 0; i < a->nb_uplinks && a->fwd.yield_ready; i++) {
		const struct vfo_uplink_view *v = vfo_uplink_view(a->uplink[i]);
		const char *name = a->uplink[i]->params.name;
		uint32_t distrusted = 0;

		RTE_LCORE_FOREACH(lc)
		{
			distrusted |= __atomic_load_n(
				&a->fwd.sleeper[rte_lcore_index((int)lc)].distrust_mask[i],
				__ATOMIC_RELAXED);
		}
		for (j = 0; j < v->nb_rx; j++) {
			const char *m = vfo_member_name(v->rx_member[j]);

			if (!(v->rx_wake[j] & VFO_VIEW_WAKE_INTR))
				json_array_append_new(
					busy, json_sprintf("%s/%s: no RX interrupts", name, m));
			else if (distrusted & (1u << v->rx_member[j]))
				json_array_append_new(
					busy, json_sprintf("%s/%s: its RX interrupts did not wake "
							   "an lcore",
							   name, m));
		}
	}
	json_object_set_new(o, "lcores_sleep",
			    json_boolean(a->fwd.yield_ready && json_array_size(busy) == 0));
	json_object_set_new(o, "kept_awake_by", busy);
	return o;
}

unsigned int
vfo_app_numa_check(struct vfo_app *a, void (*warn)(void *arg, const char *line), void *arg)
{
	struct vfo_numa_lcore lcores[RTE_MAX_LCORE];
	struct vfo_numa_port ports[VFO_MAX_UPLINKS * VFO_MEMBER_COUNT];
	unsigned int nb_lcores = vfo_numa_gather_lcores(lcores, RTE_DIM(lcores)), nb_ports = 0, i;

	for (i = 0; i < a->nb_uplinks; i++)
		nb_ports += vfo_numa_gather_uplink(a->uplink[i], ports + nb_ports,
						   RTE_DIM(ports) - nb_ports);
	return vfo_numa_check(lcores, nb_lcores, ports, nb_ports, warn, arg);
}

/* vfo_app_numa_check() callback: appends the line to a JSON array. */
static void
numa_to_json(void *arg, const char *line)
{
	json_array_append_new(arg, json_string(line));
}

/* Returns a new JSON object: the forwarder's settings and every uplink's state. */
static json_t *
status_json(void *arg)
{
	struct vfo_app *a = arg;
	json_t *o = json_object(), *ups = json_array();
	unsigned int i;

	json_object_set_new(o, "fwd", json_string(vfo_fwd_mode_name(a->cfg.fwd)));
	json_object_set_new(o, "burst", json_integer(a->cfg.burst));
	json_object_set_new(o, "lcores", json_integer(rte_lcore_count()));
	json_object_set_new(o, "uptime_s", json_real(uptime_s(a)));
	json_object_set_new(o, "idle_yield", idle_yield_json(a));
	json_object_set_new(o, "numa_warnings", json_array());
	vfo_app_numa_check(a, numa_to_json, json_object_get(o, "numa_warnings"));
	for (i = 0; i < a->nb_uplinks; i++) {
		json_t *u = vfo_uplink_status_json(a->uplink[i]);

		json_object_set_new(u, "failover", vfo_fo_engine_json(&a->fo, i));
		json_array_append_new(ups, u);
	}
	json_object_set_new(o, "uplinks", ups);
	return o;
}

/* Returns a new JSON object: every uplink's counters and every lcore's. */
static json_t *
stats_json(void *arg)
{
	struct vfo_app *a = arg;
	json_t *o = json_object(), *ups = json_array(), *lcs = json_array();
	unsigned int i, lc;

	json_object_set_new(o, "uptime_s", json_real(uptime_s(a)));
	for (i = 0; i < a->nb_uplinks; i++)
		json_array_append_new(ups, vfo_uplink_stats_json(a->uplink[i]));
	json_object_set_new(o, "uplinks", ups);
	RTE_LCORE_FOREACH(lc)
	{
		int idx = rte_lcore_index((int)lc);
		const struct vfo_fwd_lcore_stats *s = &a->fwd.lcore[idx];
		uint64_t pkts = __atomic_load_n(&s->pkts, __ATOMIC_RELAXED);
		uint64_t busy = __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);

		json_array_append_new(
			lcs,
			json_pack("{sI sI sI sI sf sI sI sI sI sI sI}", "lcore", (json_int_t)lc,
				  "queue", (json_int_t)idx, "pkts", (json_int_t)pkts, "busy_cycles",
				  (json_int_t)busy, "cycles_per_pkt", per_pkt(busy, pkts), "sleeps",
				  (json_int_t)__atomic_load_n(&s->sleeps, __ATOMIC_RELAXED),
				  "wake_rx",
				  (json_int_t)__atomic_load_n(&s->wake_rx, __ATOMIC_RELAXED),
				  "wake_kick",
				  (json_int_t)__atomic_load_n(&s->wake_kick, __ATOMIC_RELAXED),
				  "wake_timeout",
				  (json_int_t)__atomic_load_n(&s->wake_timeout, __ATOMIC_RELAXED),
				  "sleep_us",
				  (json_int_t)(__atomic_load_n(&s->sleep_cycles, __ATOMIC_RELAXED) *
					       1000000 / rte_get_tsc_hz()),
				  "wake_missed",
				  (json_int_t)__atomic_load_n(&s->wake_missed, __ATOMIC_RELAXED)));
	}
	json_object_set_new(o, "lcores", lcs);
	json_object_set_new(o, "mbufs_in_use",
			    json_integer((json_int_t)vfo_pools_in_use(&a->pools)));
	return o;
}

/* Control command "status". */
static int
cmd_status(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	json_object_update_new(reply, status_json(arg));
	return 0;
}

/* Control command "stats". */
static int
cmd_stats(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	json_object_update_new(reply, stats_json(arg));
	return 0;
}

/* Control command "clock": the guest's CLOCK_MONOTONIC now (µs), the clock
 * of the failover timeline and of the marks; a host relates it to its own
 * by the time the round trip took. */
static int
cmd_clock(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	(void)arg;
	json_object_set_new(reply, "mono_us", json_integer((json_int_t)vfo_mono_us()));
	return 0;
}

/* Control command "marks": every lcore's marks (stalls of its loop, RX
 * resuming after a quiet spell) and the stall and quiet thresholds. */
static int
cmd_marks(const json_t *req, json_t *reply, void *arg)
{
	const struct vfo_app *a = arg;
	const uint64_t hz = rte_get_tsc_hz();

	(void)req;
	json_object_set_new(reply, "mono_us", json_integer((json_int_t)vfo_mono_us()));
	json_object_set_new(reply, "stall_us",
			    json_integer((json_int_t)(a->fwd.stall_tsc * 1000000u / hz)));
	json_object_set_new(reply, "quiet_us",
			    json_integer((json_int_t)(a->fwd.quiet_tsc * 1000000u / hz)));
	json_object_set_new(reply, "lcores", vfo_fwd_marks_json(a->fwd.marks, rte_lcore_count()));
	return 0;
}

/* Appends {"tid", "name", "run_ns", "wait_ns", "slices"} of thread 'tid'
 * (its /proc schedstat: time on a CPU, time runnable but waiting) to 'a';
 * nothing when the kernel keeps no schedstat. */
static void
thread_json(json_t *a, const char *tid)
{
	unsigned long long run, wait, slices;
	char path[320], name[32] = "";
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", tid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	n = fscanf(f, "%llu %llu %llu", &run, &wait, &slices);
	fclose(f);
	if (n != 3)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(name, sizeof(name), f) != NULL)
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	json_array_append_new(a, json_pack("{ss ss sI sI sI}", "tid", tid, "name", name, "run_ns",
					   (json_int_t)run, "wait_ns", (json_int_t)wait, "slices",
					   (json_int_t)slices));
}

/* Control command "threads": CPU time of each of vfailover's threads (the
 * lcores, the control thread, EAL's interrupt thread...), to tell who had
 * the CPU when the forwarding loop did not. */
static int
cmd_threads(const json_t *req, json_t *reply, void *arg)
{
	json_t *a = json_array();
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");

	(void)req;
	(void)arg;
	if (d == NULL)
		return vfo_ctl_error(reply, "cannot read /proc/self/task");
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			thread_json(a, e->d_name);
	closedir(d);
	json_object_set_new(reply, "mono_us", json_integer((json_int_t)vfo_mono_us()));
	json_object_set_new(reply, "threads", a);
	return 0;
}

/*
 * Command "flows": the top flows of each uplink's flow table (--fwd flow),
 * counters kept across switches.  Args: uplink, top (default 10, max 1000),
 * by ("packets" or "bytes"), reset (true: empty the tables after the reply
 * was taken, so a full or flooded table starts afresh).
 */
static int
cmd_flows(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_app *a = arg;
	const json_t *top = json_object_get(req, "top");
	const json_t *by_j = json_object_get(req, "by");
	const json_t *reset = json_object_get(req, "reset");
	const char *by = json_string_value(by_j);
	json_int_t n = top == NULL ? 10 : json_is_integer(top) ? json_integer_value(top) : -1;
	json_t *ups;
	unsigned int first, last, i;

	if (vfo_uplink_pick(a->uplink, a->nb_uplinks, req, reply, &first, &last) < 0)
		return -1;
	if (n < 1 || n > 1000)
		return vfo_ctl_error(reply, "\"top\" must be a number of flows, 1..1000");
	if (by_j != NULL &&
	    (by == NULL || (strcmp(by, "packets") != 0 && strcmp(by, "bytes") != 0)))
		return vfo_ctl_error(reply, "\"by\" must be \"packets\" or \"bytes\"");
	if (reset != NULL && !json_is_boolean(reset))
		return vfo_ctl_error(reply, "\"reset\" must be true or false");
	if (a->uplink[first]->flows == NULL)
		return vfo_ctl_error(reply, "no flow table: start vfailover with --fwd flow");
	ups = json_array();
	for (i = first; i < last; i++) {
		json_t *o = vfo_flow_top_json_by(a->uplink[i]->flows, (unsigned int)n,
						 by != NULL && strcmp(by, "bytes") == 0
							 ? VFO_FLOW_BY_BYTES
							 : VFO_FLOW_BY_PACKETS);

		if (o == NULL) {
			json_decref(ups);
			return vfo_ctl_error(reply, "out of memory reading the flow table");
		}
		json_object_set_new(o, "uplink", json_string(a->uplink[i]->params.name));
		json_array_append_new(ups, o);
	}
	for (i = first; json_is_true(reset) && i < last; i++)
		vfo_flow_reset(a->uplink[i]->flows);
	json_object_set_new(reply, "uplinks", ups);
	json_object_set_new(reply, "reset", json_boolean(json_is_true(reset)));
	return 0;
}

/* How long test_stall waits for the lcore to start spinning, in ms. */
#define STALL_START_MS 5000

/*
 * Control command "test_stall" (only with VFO_TEST_HOOKS=1 in the
 * environment): {"ms": N} makes the forwarding lcore of index 0 spin N ms
 * holding its views, as a preempted lcore would, so that the tests can
 * reach the bound of a grace period.  Answers once the lcore spins (at
 * most STALL_START_MS later: else an error).
 */
static int
cmd_test_stall(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_app *a = arg;
	json_int_t ms = json_integer_value(json_object_get(req, "ms"));
	int waited;

	(void)reply;
	if (ms < 1 || ms > 60000)
		return vfo_ctl_error(reply, "\"ms\" must be 1..60000");
	__atomic_store_n(&a->fwd.stall_ms, (uint32_t)ms, __ATOMIC_RELAXED);
	/* Replies once the lcore spins, so that what the test sends next meets
	 * a held view whatever the scheduler did (a test hook may block the
	 * control thread this briefly). */
	for (waited = 0; !__atomic_load_n(&a->fwd.stalling, __ATOMIC_ACQUIRE); waited++) {
		if (waited == STALL_START_MS)
			return vfo_ctl_error(reply, "the lcore did not start to stall within %d ms",
					     STALL_START_MS);
		rte_delay_us_sleep(1000);
	}
	return 0;
}

/* Control command "quit": stops forwarding and exits cleanly. */
static int
cmd_quit(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_app *a = arg;

	(void)req;
	(void)reply;
	vfo_app_quit(a);
	return 0;
}

int
vfo_app_ctl_setup(struct vfo_app *a, char *err, size_t errlen)
{
	a->ctl = vfo_ctl_create();
	if (a->ctl == NULL) {
		snprintf(err, errlen, "control: out of memory");
		return -1;
	}
	vfo_ctl_register(a->ctl, "status", cmd_status, a,
			 "uplinks, members, which is active, link state, MACs");
	vfo_ctl_register(a->ctl, "stats", cmd_stats, a,
			 "counters per uplink, member and lcore; drops by cause");
	vfo_ctl_register(a->ctl, "flows", cmd_flows, a,
			 "top flows per uplink (--fwd flow); args: uplink, top (10), by "
			 "packets|bytes, reset (true: empty the table after this reply)");
	vfo_ctl_register(a->ctl, "clock", cmd_clock, a,
			 "the guest's CLOCK_MONOTONIC in us (timeline and marks clock)");
	vfo_ctl_register(a->ctl, "marks", cmd_marks, a,
			 "per lcore: stalls of its loop, RX resuming after a quiet spell");
	vfo_ctl_register(a->ctl, "threads", cmd_threads, a,
			 "CPU time (schedstat) of each of vfailover's threads");
	vfo_ctl_register(a->ctl, "quit", cmd_quit, a, "stop forwarding and exit cleanly");
	vfo_ctl_set_idle_timeout(a->ctl, a->cfg.ctl_idle_ms);
	if (getenv("VFO_TEST_HOOKS") != NULL && strcmp(getenv("VFO_TEST_HOOKS"), "1") == 0)
		vfo_ctl_register(a->ctl, "test_stall", cmd_test_stall, a,
				 "test hook: the first forwarding lcore holds its views for "
				 "args: ms");
	if (a->cfg.ctl_path[0] != '\0' && vfo_ctl_listen(a->ctl, a->cfg.ctl_path, err, errlen) < 0)
		return -1;
	if (a->cfg.ctl_serial[0] != '\0' &&
	    vfo_ctl_open_serial(a->ctl, a->cfg.ctl_serial, err, errlen) < 0)
		return -1;
	vfo_telemetry_register("/vfailover/status", status_json, a,
			       "Returns vfailover's uplinks, members, active member, links, MACs");
	vfo_telemetry_register("/vfailover/stats", stats_json, a,
			       "Returns vfailover's counters per uplink, member and lcore");
	return 0;
}

/* Logs one stats block: rates since the last one, per uplink and member. */
static void
log_stats(struct vfo_app *a)
{
	uint64_t now = rte_rdtsc();
	double dt = (double)(now - a->prev_tsc) / (double)rte_get_tsc_hz();
	struct vfo_fwd_lcore_stats fw;
	char line[512];
	size_t n;
	unsigned int i;
	int id;

	if (dt <= 0)
		return;
	vfo_fwd_stats_sum(&a->fwd, &fw);
	line[0] = '\0';
	if (a->fwd.yield_ready)
		snprintf(line, sizeof(line), " asleep=%.0f%% sleeps=%" PRIu64,
			 100.0 * (double)(fw.sleep_cycles - a->prev_fwd.sleep_cycles) /
				 ((double)rte_get_tsc_hz() * dt * rte_lcore_count()),
			 fw.sleeps - a->prev_fwd.sleeps);
	VFO_STATS_LOG(INFO, "[stats] t=%.2fs fwd_pps=%.0f cycles_per_pkt=%.1f busy=%.0f%%%s",
		      uptime_s(a), (double)(fw.pkts - a->prev_fwd.pkts) / dt,
		      per_pkt(fw.busy_cycles - a->prev_fwd.busy_cycles, fw.pkts - a->prev_fwd.pkts),
		      fw.total_cycles == a->prev_fwd.total_cycles
			      ? 0.0
			      : 100.0 * (double)(fw.busy_cycles - a->prev_fwd.busy_cycles) /
					(double)(fw.total_cycles - a->prev_fwd.total_cycles),
		      line);
	for (i = 0; i < a->nb_uplinks; i++) {
		struct vfo_uplink_stats st;
		const struct vfo_uplink_stats *p = &a->prev[i];
		int active = vfo_uplink_active(a->uplink[i]);

		vfo_uplink_stats_get(a->uplink[i], &st);
		n = (size_t)snprintf(line, sizeof(line), "  %s active=%s",
				     a->uplink[i]->params.name,
				     active < 0 ? "none" : vfo_member_name(active));
		for (id = 0; id < VFO_MEMBER_COUNT && n < sizeof(line); id++)
			n += (size_t)snprintf(
				line + n, sizeof(line) - n, " | %s rx %.0f pps tx %.0f pps",
				vfo_member_name(id),
				(double)(st.member[id].rx_pkts - p->member[id].rx_pkts) / dt,
				(double)(st.member[id].tx_pkts - p->member[id].tx_pkts) / dt);
		VFO_STATS_LOG(INFO, "%s | drops tx_full %" PRIu64 " no_member %" PRIu64, line,
			      st.drop_tx_full, st.drop_no_member);
		a->prev[i] = st;
	}
	a->prev_fwd = fw;
	a->prev_tsc = now;
}

void
vfo_app_log_totals(struct vfo_app *a)
{
	struct vfo_fwd_lcore_stats fw;
	unsigned int i;
	int id;

	vfo_fwd_stats_sum(&a->fwd, &fw);
	for (i = 0; i < a->nb_uplinks; i++) {
		struct vfo_uplink_stats st;

		vfo_uplink_stats_get(a->uplink[i], &st);
		for (id = 0; id < VFO_MEMBER_COUNT; id++)
			VFO_STATS_LOG(NOTICE,
				      "totals: %s %-6s rx %" PRIu64 " pkts %" PRIu64
				      " B, tx %" PRIu64 " pkts %" PRIu64 " B, rx_missed %" PRIu64
				      " rx_nombuf %" PRIu64,
				      a->uplink[i]->params.name, vfo_member_name(id),
				      st.member[id].rx_pkts, st.member[id].rx_bytes,
				      st.member[id].tx_pkts, st.member[id].tx_bytes,
				      st.rx_missed[id], st.rx_nombuf[id]);
		VFO_STATS_LOG(NOTICE, "totals: %s drops tx_full %" PRIu64 " no_member %" PRIu64,
			      a->uplink[i]->params.name, st.drop_tx_full, st.drop_no_member);
	}
	VFO_STATS_LOG(NOTICE,
		      "totals: forwarded %" PRIu64 " pkts, %.1f cycles/pkt while busy, "
		      "%" PRIu64 " idle batches, %.3f us per loop turn",
		      fw.pkts, per_pkt(fw.busy_cycles, fw.pkts), fw.idle_batches,
		      fw.batches != 0 ? (double)fw.total_cycles * 1e6 / (double)rte_get_tsc_hz() /
						((double)fw.batches * VFO_FWD_TURNS_PER_BATCH)
				      : 0.0);
	if (a->fwd.yield_ready)
		VFO_STATS_LOG(
			NOTICE,
			"totals: idle yield %s: %" PRIu64 " sleeps (woken by rx %" PRIu64
			", by the control side %" PRIu64 ", by their %u..%u ms timeout %" PRIu64
			", %" PRIu64 " of them with packets waiting), %.3f s asleep",
			vfo_yield_mode_name(a->fwd.yield), fw.sleeps, fw.wake_rx, fw.wake_kick,
			VFO_YIELD_MIN_SLEEP_MS, VFO_YIELD_MAX_SLEEP_MS, fw.wake_timeout,
			fw.wake_missed, (double)fw.sleep_cycles / (double)rte_get_tsc_hz());
}

/* The control thread: serves the socket and prints stats until quit. */
static void *
ctl_thread_main(void *arg)
{
	struct vfo_app *a = arg;
	uint64_t interval = (uint64_t)a->cfg.stats_interval_ms * rte_get_tsc_hz() / 1000;

	a->prev_tsc = rte_rdtsc();
	while (!vfo_app_quitting(a)) {
		uint64_t wait_ms =
			vfo_yield_uses_intr(a->fwd.yield) ? CTL_TICK_IDLE_MS : CTL_TICK_MS;

		if (interval != 0) {
			uint64_t since = rte_rdtsc() - a->prev_tsc;

			wait_ms = RTE_MIN(wait_ms, since >= interval ? 0
								     : (interval - since) * 1000 /
									       rte_get_tsc_hz());
		}
		vfo_ctl_poll(a->ctl, (int)RTE_MAX(wait_ms, (uint64_t)1));
		vfo_fo_engine_complete(&a->fo);
		if (interval != 0 && rte_rdtsc() - a->prev_tsc >= interval)
			log_stats(a);
	}
	return NULL;
}

int
vfo_app_ctl_start(struct vfo_app *a)
{
	int ret = rte_ctrl_thread_create(&a->ctl_thread, "vfo-ctl", NULL, ctl_thread_main, a);

	a->ctl_running = ret == 0;
	return ret;
}

void
vfo_app_ctl_stop(struct vfo_app *a)
{
	if (a->ctl_running)
		pthread_join(a->ctl_thread, NULL);
	a->ctl_running = false;
	/* Before the uplinks and the machines it reads go. */
	vfo_telemetry_unregister("/vfailover/status");
	vfo_telemetry_unregister("/vfailover/stats");
}

void
vfo_app_ctl_close(struct vfo_app *a)
{
	vfo_ctl_destroy(a->ctl);
	a->ctl = NULL;
}
