/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_ctl.c — vfprobe's control socket (the project's vfo_ctl JSON-lines
 * server) on a control thread: "switch", "stats", "stop".  The handlers
 * only set request flags and read published counters (see vfp_live.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "vfp_live.h"

/* How long "switch" waits for the TX lcore to take the request (ms). */
#define SWITCH_WAIT_MS 1000
/* Longest the control thread sleeps in poll (ms). */
#define CTL_TICK_MS 10

/* Relaxed load of a counter another thread writes. */
#define READ(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

void
vfp_live_request_switch(struct vfp_live *l, uint16_t idx)
{
	__atomic_store_n(&l->tx_req, idx, __ATOMIC_RELAXED);
}

/* Returns the --tx index of port number 'port', or -1. */
static int
tx_index(const struct vfp_live *l, json_int_t port)
{
	for (unsigned int i = 0; i < l->o->ntx; i++)
		if (l->o->tx[i] == port)
			return (int)i;
	return -1;
}

/* Command "switch" {"port":N}: sends on port N (default: the next --tx
 * port) from the next burst; replies when the TX lcore took it, with the
 * first sequence number sent there.  Returns 0 or -1 with the error. */
static int
cmd_switch(const json_t *req, json_t *reply, void *arg)
{
	struct vfp_live *l = arg;
	const json_t *jp = json_object_get(req, "port");
	uint16_t cur = __atomic_load_n(&l->tx.cur, __ATOMIC_ACQUIRE);
	uint64_t end;
	int idx;

	if (!__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&l->tx_done, __ATOMIC_ACQUIRE) || l->o->ntx == 0)
		return vfo_ctl_error(reply, "not sending now: switch only while the run sends");
	if (jp != NULL && !json_is_integer(jp))
		return vfo_ctl_error(reply,
				     "\"port\" must be a port number (0,1,.. in --port order)");
	idx = jp ? tx_index(l, json_integer_value(jp)) : (int)((cur + 1) % l->o->ntx);
	if (idx < 0)
		return vfo_ctl_error(reply,
				     "port %" JSON_INTEGER_FORMAT " is not a --tx port; give it in "
				     "--tx to switch to it",
				     json_integer_value(jp));
	vfp_live_request_switch(l, (uint16_t)idx);
	end = rte_get_timer_cycles() + rte_get_timer_hz() * SWITCH_WAIT_MS / 1000;
	while (__atomic_load_n(&l->tx.cur, __ATOMIC_ACQUIRE) != idx) {
		if (rte_get_timer_cycles() > end)
			return vfo_ctl_error(reply,
					     "the TX lcore did not take the switch within "
					     "%d ms (is sending over?)",
					     SWITCH_WAIT_MS);
		rte_delay_us_sleep(100);
	}
	json_object_set_new(reply, "port", json_integer(l->o->tx[idx]));
	json_object_set_new(reply, "previous", json_integer(l->o->tx[cur]));
	if (idx != cur) {
		unsigned int n = __atomic_load_n(&l->nev, __ATOMIC_ACQUIRE);

		if (n != 0)
			json_object_set_new(reply, "seq",
					    json_integer((json_int_t)l->ev[n - 1].seq));
	}
	return 0;
}

/* Returns a JSON array of the published per-port counters 'c'. */
static json_t *
port_array(const struct vfp_live *l, const uint64_t *c)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < l->o->nports; i++)
		json_array_append_new(a, json_integer((json_int_t)READ(c[i])));
	return a;
}

/* Command "stats": live counters of the run. */
static int
cmd_stats(const json_t *req, json_t *reply, void *arg)
{
	struct vfp_live *l = arg;
	bool running = __atomic_load_n(&l->running, __ATOMIC_ACQUIRE);
	uint64_t start = READ(l->tx.start_tsc), last = READ(l->tx.last_tsc);
	uint64_t sent = READ(l->tx.sent), probes = READ(l->rx.probes);
	double el = start && last > start ? (double)(last - start) / (double)l->tsc_hz : 0;
	json_t *tx = json_object(), *rx = json_object();

	(void)req;
	json_object_set_new(reply, "running", json_boolean(running));
	json_object_set_new(reply, "sending",
			    json_boolean(running && l->o->ntx != 0 &&
					 !__atomic_load_n(&l->tx_done, __ATOMIC_ACQUIRE)));
	if (l->o->ntx != 0)
		json_object_set_new(
			tx, "port",
			json_integer(l->o->tx[__atomic_load_n(&l->tx.cur, __ATOMIC_ACQUIRE)]));
	json_object_set_new(tx, "sent", json_integer((json_int_t)sent));
	json_object_set_new(tx, "ports", port_array(l, l->tx.port_tx));
	json_object_set_new(tx, "refused", json_integer((json_int_t)READ(l->tx.refused)));
	json_object_set_new(tx, "nombuf", json_integer((json_int_t)READ(l->tx.nombuf)));
	json_object_set_new(tx, "seconds", json_real(el));
	json_object_set_new(tx, "rate_pps", json_real(el > 0 ? (double)sent / el : 0));
	json_object_set_new(rx, "ports", port_array(l, l->rx.port_rx));
	json_object_set_new(rx, "probe_ports", port_array(l, l->rx.port_probes));
	json_object_set_new(rx, "probes", json_integer((json_int_t)probes));
	json_object_set_new(rx, "gaps", json_integer((json_int_t)READ(l->rx.gaps)));
	json_object_set_new(reply, "tx", tx);
	json_object_set_new(reply, "rx", rx);
	json_object_set_new(reply, "not_received",
			    json_integer(sent > probes ? (json_int_t)(sent - probes) : 0));
	return 0;
}

/* Command "mark" {"text":T}: puts event "mark: T" in the run's timeline
 * (e.g. the phases of a migration, as the harness sees them). */
static int
cmd_mark(const json_t *req, json_t *reply, void *arg)
{
	struct vfp_live *l = arg;
	const char *text = json_string_value(json_object_get(req, "text"));
	struct vfp_mark *m;

	uint64_t t_us;

	if (text == NULL)
		return vfo_ctl_error(reply, "give \"text\": the event's text");
	/* Under the run lock: the run cannot start or end (and read the
	 * marks) while one is added. */
	pthread_mutex_lock(&l->run_lock);
	if (!__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) || l->nmarks == VFP_MARKS) {
		bool running = __atomic_load_n(&l->running, __ATOMIC_ACQUIRE);

		pthread_mutex_unlock(&l->run_lock);
		if (!running)
			return vfo_ctl_error(reply,
					     "no run in progress: marks go in a run's timeline");
		return vfo_ctl_error(reply, "%d marks already: no more in this run", VFP_MARKS);
	}
	m = &l->marks[l->nmarks];
	m->tsc = rte_rdtsc();
	snprintf(m->text, sizeof(m->text), "%s", text);
	l->nmarks++;
	t_us = vfp_live_us(l, m->tsc) - vfp_live_us(l, l->run_tsc);
	pthread_mutex_unlock(&l->run_lock);
	json_object_set_new(reply, "t_us", json_integer((json_int_t)t_us));
	return 0;
}

/* Command "stop": ends sending now; the run ends after --linger-ms. */
static int
cmd_stop(const json_t *req, json_t *reply, void *arg)
{
	struct vfp_live *l = arg;

	(void)req;
	(void)reply;
	__atomic_store_n(&l->stopped, true, __ATOMIC_RELAXED);
	__atomic_store_n(&l->stop, true, __ATOMIC_RELAXED);
	return 0;
}

/* Control thread: serves the socket until ctl_quit.  Returns NULL. */
static void *
ctl_main(void *arg)
{
	struct vfp_live *l = arg;

	while (!__atomic_load_n(&l->ctl_quit, __ATOMIC_RELAXED))
		if (vfo_ctl_poll(l->ctl, CTL_TICK_MS) < 0)
			break;
	return NULL;
}

int
vfp_ctl_start(struct vfp_live *l, char *err, size_t errlen)
{
	int ret;

	l->ctl = vfo_ctl_create();
	if (l->ctl == NULL ||
	    vfo_ctl_register(l->ctl, "switch", cmd_switch, l,
			     "{\"port\":N}: send on --tx port N (default: the next one)") != 0 ||
	    vfo_ctl_register(l->ctl, "stats", cmd_stats, l, "live TX/RX counters") != 0 ||
	    vfo_ctl_register(l->ctl, "stop", cmd_stop, l,
			     "stop sending; the run ends after --linger-ms") != 0 ||
	    vfo_ctl_register(l->ctl, "mark", cmd_mark, l,
			     "{\"text\":T}: put event 'mark: T' in the run's timeline") != 0) {
		snprintf(err, errlen, "control socket: out of memory");
		goto fail;
	}
	if (vfo_ctl_listen(l->ctl, l->o->ctl, err, errlen) != 0)
		goto fail;
	ret = rte_ctrl_thread_create(&l->ctl_thread, "vfp-ctl", NULL, ctl_main, l);
	if (ret != 0) {
		snprintf(err, errlen, "control thread: %s", strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	vfo_ctl_destroy(l->ctl);
	l->ctl = NULL;
	return -1;
}

void
vfp_ctl_stop(struct vfp_live *l)
{
	if (l->ctl == NULL)
		return;
	__atomic_store_n(&l->ctl_quit, true, __ATOMIC_RELAXED);
	pthread_join(l->ctl_thread, NULL);
	vfo_ctl_destroy(l->ctl);
	l->ctl = NULL;
}
