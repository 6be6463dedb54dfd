/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_main.c — vfmigrate: parses the options, opens the libvirt
 * connections and the event loop, finds the domains to evacuate
 * (--evacuate, after the load threshold if any), migrates the domains
 * (--parallel N at a time, one worker thread each; after a failure no
 * new one starts unless --on-failure continue), turns Ctrl-C into a clean
 * cancel, and writes the report (--json) and one summary line per domain.
 *
 * Thread-safety: the workers share the connections (thread-safe), the
 * cancel flag (written by the signal handler) and the progress lock; each
 * writes only its own result slot.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vfm_evac.h"

/* Set by Ctrl-C / SIGTERM: running migrations are aborted and rolled back. */
static volatile sig_atomic_t cancel_flag;

/** What the workers share. */
struct workers {
	const struct vfm_opts *o;	  /**< the options */
	const struct vfm_conns *conns;	  /**< the connections */
	FILE *progress;			  /**< progress lines, or NULL */
	pthread_mutex_t out_lock;	  /**< serializes output lines */
	unsigned int next;		  /**< next domain to take (atomic) */
	bool stop;			  /**< a domain failed: start no more (atomic) */
	json_t *result[VFM_MAX_DOMAINS];  /**< each domain's report */
	int exit_status[VFM_MAX_DOMAINS]; /**< each domain's exit status */
};

/* Signal handler: asks every run to stop; a second signal kills (default action). */
static void
on_signal(int sig)
{
	cancel_flag = 1;
	signal(sig, SIG_DFL);
}

/* Migrates domain number 'i' and stores its report and exit status in 'w'. */
static void
run_domain(struct workers *w, unsigned int i)
{
	const char *name = w->o->domains[i];
	struct vfm_timeline tl;
	struct vfm_domain d;
	struct vfm_run r = {.ops = &vfm_domain_ops,
			    .ctx = &d,
			    .no_guest = w->o->no_guest,
			    .no_vf_backup = w->o->no_vf_backup,
			    .cancel = &cancel_flag,
			    .tl = &tl};
	enum vfm_outcome o;

	if (vfm_tl_init(&tl, name, w->progress, &w->out_lock) != 0 ||
	    vfm_domain_init(&d, name, w->o, w->conns, &tl, &cancel_flag) != 0) {
		w->exit_status[i] = vfm_outcome_exit(VFM_NOT_STARTED);
		return;
	}
	o = vfm_seq_run(&r);
	w->exit_status[i] = vfm_outcome_exit(o);
	if (o != VFM_DONE && !w->o->keep_going)
		__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	w->result[i] =
		json_pack("{ss ss si ss sI sO}", "domain", name, "outcome", vfm_outcome_name(o),
			  "exit", w->exit_status[i], "error", r.error, "total_ms",
			  (json_int_t)(vfo_mono_ms() - tl.t0_ms), "timeline", tl.steps);
	pthread_mutex_lock(&w->out_lock);
	if (o == VFM_DONE)
		fprintf(stderr, "vfmigrate: %s: done in %llu ms\n", name,
			(unsigned long long)(vfo_mono_ms() - tl.t0_ms));
	else
		fprintf(stderr, "vfmigrate: %s: %s (exit %d): %s\n", name, vfm_outcome_name(o),
			w->exit_status[i], r.error);
	pthread_mutex_unlock(&w->out_lock);
	vfm_domain_fini(&d);
	vfm_tl_free(&tl);
}

/* A worker thread: takes the next domain until none is left. */
static void *
worker_main(void *arg)
{
	struct workers *w = arg;
	unsigned int i;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED) &&
	       (i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->o->nb_domains)
		run_domain(w, i);
	return NULL;
}

/*
 * Writes the report of 'w' to --json (if given).  Returns the highest
 * exit status of the domains.
 */
static int
report(struct workers *w, uint64_t t0_ms, json_t *load)
{
	const struct vfm_opts *o = w->o;
	json_t *doms = json_array(), *rep;
	int worst = 0;
	unsigned int i;

	for (i = 0; i < o->nb_domains; i++) {
		if (w->result[i] == NULL && w->exit_status[i] == 0) {
			/* Not started: an earlier domain failed (--on-failure stop). */
			w->exit_status[i] = vfm_outcome_exit(VFM_NOT_STARTED);
			w->result[i] = json_pack("{ss ss si ss sI s[]}", "domain", o->domains[i],
						 "outcome", "skipped", "exit", w->exit_status[i],
						 "error", "not started: an earlier domain failed",
						 "total_ms", (json_int_t)0, "timeline");
		}
		if (w->exit_status[i] > worst)
			worst = w->exit_status[i];
		if (w->result[i] != NULL)
			json_array_append_new(doms, w->result[i]);
	}
	rep = json_pack("{ss? ss si so}", "src", o->src_uri, "dst", o->dst_uri, "exit", worst,
			"domains", doms);
	if (o->evacuate) {
		json_t *sum = vfm_evac_summary(doms, vfo_mono_ms() - t0_ms);

		json_object_set_new(sum, "load_samples", load);
		json_object_set_new(sum, "on_failure",
				    json_string(o->keep_going ? "continue" : "stop"));
		json_object_set_new(sum, "parallel", json_integer(o->parallel));
		vfm_evac_print(stderr, sum, o->src_uri, o->dst_uri);
		json_object_set_new(rep, "evacuation", sum);
	} else {
		json_decref(load);
	}
	if (o->json_path != NULL) {
		bool out = strcmp(o->json_path, "-") == 0;
		int rc = out ? json_dumpf(rep, stdout, JSON_INDENT(2))
			     : json_dump_file(rep, o->json_path, JSON_INDENT(2));

		if (out && rc == 0 && puts("") < 0)
			rc = -1;

		if (rc != 0) {
			fprintf(stderr, "vfmigrate: cannot write the report to %s\n", o->json_path);
			worst = worst != 0 ? worst : 1;
		}
	}
	json_decref(rep);
	return worst;
}

/*
 * Opens the source, destination and check connections into 'c'.
 * Returns 0, or -1 with 'err' set.
 */
static int
open_conns(const struct vfm_opts *o, struct vfm_conns *c, char *err, size_t errlen)
{
	c->src = vfm_open(o->src_uri, "source", err, errlen);
	if (c->src == NULL)
		return -1;
	c->dst = vfm_open(o->dst_uri, "destination", err, errlen);
	if (c->dst == NULL)
		return -1;
	c->check = vfm_open("test:///default", "XML checker", err, errlen);
	return c->check != NULL ? 0 : -1;
}

/* Closes what open_conns opened. */
static void
close_conns(struct vfm_conns *c)
{
	if (c->src != NULL)
		virConnectClose(c->src);
	if (c->dst != NULL)
		virConnectClose(c->dst);
	if (c->check != NULL)
		virConnectClose(c->check);
}

/*
 * --evacuate: waits for the load threshold (if any, samples into 'load'),
 * then puts the source's vfailover domains into o->domains (names[] holds
 * them).  Returns 0, or -1 with 'err' (none found is an error: nothing to
 * do is not what the user expected).
 */
static int
find_domains(struct vfm_opts *o, const struct vfm_conns *c, char **names, json_t *load, char *err,
	     size_t errlen)
{
	int n, i;

	if (o->load_threshold != 0 &&
	    vfm_evac_wait_load(c->src, o, &cancel_flag, load, err, errlen) != 0)
		return -1;
	n = vfm_evac_domains(c->src, o, names, VFM_MAX_DOMAINS, err, errlen);
	if (n < 0)
		return -1;
	if (n == 0)
		return vfo_errf(err, errlen,
				"--evacuate: no running domain of the source has the guest "
				"channel '%s' and the VF interface '%s'; nothing to migrate",
				o->channel_name, o->vf);
	for (i = 0; i < n; i++)
		o->domains[i] = names[i];
	o->nb_domains = (unsigned int)n;
	if (!o->quiet)
		fprintf(stderr, "vfmigrate: evacuating %d domain(s), %u at a time\n", n,
			o->parallel);
	return 0;
}

/* vfmigrate: returns the highest exit status of the domains (see --help). */
int
main(int argc, char **argv)
{
	static struct workers w;
	static char *names[VFM_MAX_DOMAINS]; /* --evacuate's domains */
	json_t *load;			     /* --load-threshold's samples */
	pthread_t th[VFM_MAX_DOMAINS];
	uint64_t t0_ms;
	struct vfm_conns conns = {0};
	struct vfm_opts o;
	unsigned int i, n;
	char err[1024];
	int rc;

	if (vfm_args_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfmigrate: %s\n", err);
		return 2;
	}
	if (o.help) {
		vfm_args_usage(stdout);
		return 0;
	}
	xmlInitParser();
	/* libxml2's RELAX NG type tables are built on first use without a
	 * lock: libvirt's test driver validates each worker's XML against its
	 * schema, and two workers doing it first at once each built the
	 * tables, one copy leaking (ASan, --parallel 2).  Built here, before
	 * the workers start. */
	xmlRelaxNGInitTypes();
	if (vfm_events_start(err, sizeof(err)) != 0 || open_conns(&o, &conns, err, sizeof(err))) {
		fprintf(stderr, "vfmigrate: %s\n", err);
		close_conns(&conns);
		vfm_events_stop();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0_ms = vfo_mono_ms();
	load = json_array(); /* handed to report(), which frees it */
	if (o.evacuate && find_domains(&o, &conns, names, load, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfmigrate: %s\n", err);
		json_decref(load);
		close_conns(&conns);
		vfm_events_stop();
		return 1;
	}
	w.o = &o;
	w.conns = &conns;
	w.progress = !o.quiet && isatty(STDERR_FILENO) ? stderr : NULL;
	pthread_mutex_init(&w.out_lock, NULL);
	n = o.parallel < o.nb_domains ? o.parallel : o.nb_domains;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker_main, &w) != 0)
			break;
	if (i == 0)
		worker_main(&w);
	n = i;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	rc = report(&w, t0_ms, load);
	for (i = 0; i < VFM_MAX_DOMAINS; i++)
		free(names[i]);
	close_conns(&conns);
	vfm_events_stop();
	xmlCleanupParser();
	return rc;
}
