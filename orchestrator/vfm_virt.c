/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_virt.c — vfmigrate's libvirt actions: the event loop thread,
 * connections, XML validation on the test driver, preflight, the VF's
 * detach with its wait for VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, the
 * migration with its job statistics (polled for progress, Ctrl-C and
 * --timeout, then the completed job's), the reservation of a destination
 * VF (what the destination has free, counted under the reservation lock
 * of vfm_reserve.c), and the attach of a VF with the same MAC.  Every
 * wait is on CLOCK_MONOTONIC.
 *
 * Thread-safety: libvirt connections are thread-safe and shared; event
 * callbacks run on the event-loop thread and only touch the removal
 * fields of their struct vfm_domain under its lock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "vfm_virt.h"
#include "vfo_errf.h"

/** How often the migration's job statistics are read (ms). */
#define JOB_POLL_MS 200

/* The event loop thread and its stop flag. */
static pthread_t event_thread;
static bool event_stop; /* atomic: set by the main thread, read by the event thread */
static bool event_running;

/* Returns libvirt's last error message of this thread. */
static const char *
virt_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m != NULL ? m : "unknown libvirt error";
}

const char *
vfm_virt_error(void)
{
	return virt_error();
}

/* libvirt error callback: errors are reported by the caller, not printed. */
static void
quiet_errors(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* Runs libvirt's default event loop until event_stop. */
static void *
event_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&event_stop, __ATOMIC_ACQUIRE))
		virEventRunDefaultImpl();
	return NULL;
}

/* Timer callback that only wakes the event loop (see vfm_events_stop). */
static void
wake(int timer, void *arg)
{
	(void)arg;
	virEventRemoveTimeout(timer);
}

/* Registers libvirt's default event loop and starts its thread; 0 or -1. */
int
vfm_events_start(char *err, size_t errlen)
{
	virSetErrorFunc(NULL, quiet_errors);
	if (virEventRegisterDefaultImpl() < 0) {
		snprintf(err, errlen, "cannot set up libvirt's event loop: %s", virt_error());
		return -1;
	}
	if (pthread_create(&event_thread, NULL, event_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the libvirt event thread");
		return -1;
	}
	event_running = true;
	return 0;
}

/* Wakes and joins the event loop thread. */
void
vfm_events_stop(void)
{
	if (!event_running)
		return;
	__atomic_store_n(&event_stop, true, __ATOMIC_RELEASE);
	virEventAddTimeout(0, wake, NULL, NULL);
	pthread_join(event_thread, NULL);
	event_running = false;
}

/* Opens libvirt URI 'uri'; returns it, or NULL with 'err' naming it. */
virConnectPtr
vfm_open(const char *uri, const char *what, char *err, size_t errlen)
{
	virConnectPtr c = virConnectOpen(uri);

	if (c == NULL)
		snprintf(err, errlen, "cannot connect to the %s %s: %s", what,
			 uri != NULL ? uri : "(libvirt's default URI)", virt_error());
	return c;
}

/* Checks device XML 'dev' with a throwaway domain on 'check'; 0 or -1. */
int
vfm_validate_device(virConnectPtr check, const char *dev, char *err, size_t errlen)
{
	/* Workers validate at once: each throwaway domain has its own name. */
	static unsigned int seq;
	char *xml = NULL;
	virDomainPtr dom;

	if (asprintf(&xml,
		     "<domain type='test'><name>vfmigrate-check-%u</name><memory>65536</memory>"
		     "<os><type>hvm</type></os><devices>%s</devices></domain>",
		     __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED), dev) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dom = virDomainDefineXMLFlags(check, xml, VIR_DOMAIN_DEFINE_VALIDATE);
	free(xml);
	if (dom == NULL) {
		snprintf(err, errlen, "the VF's device XML is not valid: %s", virt_error());
		return -1;
	}
	virDomainUndefine(dom);
	virDomainFree(dom);
	return 0;
}

/* Checks network 'name' on 'conn' (active, a free VF in a pool); 0 or -1. */
int
vfm_check_network(virConnectPtr conn, const char *name, const char *where, json_t *detail,
		  char *err, size_t errlen)
{
	virNetworkPtr net = virNetworkLookupByName(conn, name);
	char mode[32] = "";
	char *xml;
	int total = 0, used = 0, rc = -1;

	if (net == NULL) {
		snprintf(err, errlen, "the %s has no network '%s': define and start it there",
			 where, name);
		return -1;
	}
	xml = virNetworkGetXMLDesc(net, 0);
	if (virNetworkIsActive(net) != 1)
		snprintf(err, errlen, "network '%s' is not active on the %s: virsh net-start %s",
			 name, where, name);
	else if (xml == NULL || vfm_xml_pool(xml, mode, sizeof(mode), &total, &used) != 0)
		snprintf(err, errlen, "cannot read network '%s' on the %s: %s", name, where,
			 virt_error());
	else if (strcmp(mode, "hostdev") == 0 && total > 0 && used >= total)
		snprintf(
			err, errlen,
			"hostdev pool '%s' on the %s has no free VF (%d of %d in use): free one or "
			"add VFs to the pool",
			name, where, used, total);
	else
		rc = 0;
	json_object_set_new(detail, name,
			    json_pack("{ss sI sI}", "forward", mode, "pool", (json_int_t)total,
				      "in_use", (json_int_t)used));
	free(xml);
	virNetworkFree(net);
	return rc;
}

/* Prepares the context 'd' of domain 'name'; returns 0, or -1. */
int
vfm_domain_init(struct vfm_domain *d, const char *name, const struct vfm_opts *o,
		const struct vfm_conns *conns, struct vfm_timeline *tl,
		volatile sig_atomic_t *cancel)
{
	pthread_condattr_t ca;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->o = o;
	d->conns = conns;
	d->tl = tl;
	d->cancel = cancel;
	if (vfo_mutex_init(&d->lock) != 0)
		return -1;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&d->cond, &ca) != 0) {
		vfo_mutex_destroy(&d->lock);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	return 0;
}

/* Frees what 'd' holds. */
void
vfm_domain_fini(struct vfm_domain *d)
{
	if (d->src != NULL)
		virDomainFree(d->src);
	if (d->dst != NULL)
		virDomainFree(d->dst);
	vfm_iface_clear(&d->vf);
	free(d->dst_attach_xml);
	free(d->dest_xml);
	vfo_ctl_conn_close(d->guest);
	pthread_cond_destroy(&d->cond);
	vfo_mutex_destroy(&d->lock);
}

/* Returns the host UUID of 'conn' from its capabilities (malloc'd), or NULL. */
static char *
host_uuid(virConnectPtr conn)
{
	char *caps = virConnectGetCapabilities(conn), *p, *q, *uuid = NULL;

	p = caps != NULL ? strstr(caps, "<uuid>") : NULL;
	q = p != NULL ? strstr(p, "</uuid>") : NULL;
	if (q != NULL)
		uuid = strndup(p + 6, (size_t)(q - p - 6));
	free(caps);
	return uuid;
}

/*
 * Sets d->dst_key, the name of the destination's VF reservations: its
 * host UUID 'uuid', or, when it reports none, its URI (every character
 * but letters, digits, '.' and '-' made '_').
 */
static void
dst_key(struct vfm_domain *d, const char *uuid)
{
	const char *src = uuid != NULL ? uuid : d->o->dst_uri;
	size_t i;

	snprintf(d->dst_key, sizeof(d->dst_key), "%s%s", uuid != NULL ? "" : "uri-", src);
	for (i = 0; d->dst_key[i] != '\0'; i++)
		if (!isalnum((unsigned char)d->dst_key[i]) && d->dst_key[i] != '.' &&
		    d->dst_key[i] != '-')
			d->dst_key[i] = '_';
}

/*
 * Preflight, hosts: both connections alive and different hosts, the
 * domain running on the source and not on the destination.  Returns 0,
 * or -1 with 'err' set.
 */
static int
check_hosts(struct vfm_domain *d, json_t *detail, char *err, size_t errlen)
{
	char *su = host_uuid(d->conns->src), *du = host_uuid(d->conns->dst);
	virDomainPtr there = NULL;
	int state = 0, reason, rc = -1;

	json_object_set_new(detail, "src_host_uuid", json_string(su ? su : ""));
	json_object_set_new(detail, "dst_host_uuid", json_string(du ? du : ""));
	dst_key(d, du);
	json_object_set_new(detail, "dst_key", json_string(d->dst_key));
	d->src = virDomainLookupByName(d->conns->src, d->name);
	if (su != NULL && du != NULL && strcmp(su, du) == 0)
		snprintf(err, errlen,
			 "source and destination are the same host (host UUID %s): libvirt "
			 "refuses to migrate to itself; give another --dst (or another host_uuid "
			 "in its libvirtd.conf)",
			 su);
	else if (d->src == NULL)
		snprintf(err, errlen, "no domain '%s' on the source: %s", d->name, virt_error());
	else if (virDomainGetState(d->src, &state, &reason, 0) < 0 || state != VIR_DOMAIN_RUNNING)
		snprintf(err, errlen, "domain '%s' is not running on the source (state %d)",
			 d->name, state);
	else if ((there = virDomainLookupByName(d->conns->dst, d->name)) != NULL &&
		 virDomainIsActive(there) == 1)
		snprintf(err, errlen, "domain '%s' already runs on the destination", d->name);
	else
		rc = 0;
	if (there != NULL)
		virDomainFree(there);
	free(su);
	free(du);
	return rc;
}

/*
 * Preflight, devices: the VF interface, the other interfaces' networks on
 * the destination, what attaches a VF there (pool with a free VF, or a
 * valid XML), the guest channel.  Returns 0, or -1 with 'err' set.
 */
static int
check_devices(struct vfm_domain *d, const char *xml, json_t *detail, char *err, size_t errlen)
{
	const struct vfm_opts *o = d->o;
	json_t *nets = json_object();
	const char *pool;
	unsigned int i;
	char *ch;

	json_object_set_new(detail, "dst_networks", nets);
	if (vfm_xml_find_vf(xml, o->vf, o->vf_is_mac, NULL, &d->vf, err, errlen) != 0)
		return -1;
	vfm_xml_others(xml, &d->vf, &d->others);
	json_object_set_new(detail, "vf",
			    json_pack("{ss ss ss ss ss}", "alias", d->vf.alias, "mac", d->vf.mac,
				      "type", d->vf.type, "network", d->vf.network, "host_pci",
				      d->vf.host_pci));
	json_object_set_new(
		detail, "backup",
		json_pack("{ss ss}", "tap", d->others.backup_tap, "mac", d->others.backup_mac));
	if (d->vf.alias[0] == '\0')
		return snprintf(err, errlen,
				"the VF interface has no alias in the live XML, so its removal "
				"cannot be awaited; is the domain run by QEMU?"),
		       -1;
	for (i = 0; i < d->others.nb_networks; i++)
		if (vfm_check_network(d->conns->dst, d->others.networks[i], "destination", nets,
				      err, errlen) != 0)
			return -1;
	pool = o->vf_network != NULL ? o->vf_network : d->vf.network;
	if (o->vf_xml != NULL)
		d->dst_attach_xml = vfm_xml_file_iface(o->vf_xml, &d->vf, err, errlen);
	else if (pool[0] == '\0')
		return snprintf(err, errlen,
				"the VF (type %s) is not from a network pool: give --vf-network "
				"NAME (a <forward mode='hostdev'> network on the destination) or "
				"--vf-xml FILE",
				d->vf.type),
		       -1;
	else if (vfm_check_network(d->conns->dst, pool, "destination", nets, err, errlen) == 0)
		d->dst_attach_xml = vfm_xml_pool_iface(pool, &d->vf);
	if (d->dst_attach_xml == NULL)
		return -1;
	json_object_set_new(detail, "dst_attach_xml", json_string(d->dst_attach_xml));
	if (vfm_validate_device(d->conns->check, d->dst_attach_xml, err, errlen) != 0 ||
	    vfm_validate_device(d->conns->check, d->vf.reattach_xml, err, errlen) != 0)
		return -1;
	if (o->no_guest)
		return 0;
	ch = o->channel != NULL ? strdup(o->channel) : vfm_xml_channel_path(xml, o->channel_name);
	if (ch == NULL || strlen(ch) >= sizeof(d->channel[VFM_SRC])) {
		snprintf(err, errlen,
			 "domain '%s' has no <channel type='unix'> with <target type='virtio' "
			 "name='%s'/>: add one (see README) or give --channel PATH, or --no-guest",
			 d->name, o->channel_name);
		free(ch);
		return -1;
	}
	strcpy(d->channel[VFM_SRC], ch);
	free(ch);
	json_object_set_new(detail, "channel", json_string(d->channel[VFM_SRC]));
	return 0;
}

/* Reads file 'path' into a malloc'd string; NULL with 'err' set. */
static char *
read_file(const char *path, const char *what, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL || getdelim(&buf, &len, '\0', f) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, f ? "empty" : strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

/* Op "preflight": changes nothing. */
static int
virt_preflight(void *ctx, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	char *xml;
	int rc;

	if (check_hosts(d, detail, err, errlen) != 0)
		return VFM_STEP_FAIL;
	if (d->o->xml != NULL) {
		struct stat st;
		char *path = NULL;

		if (stat(d->o->xml, &st) == 0 && S_ISDIR(st.st_mode) &&
		    asprintf(&path, "%s/%s.xml", d->o->xml, d->name) < 0)
			path = NULL;
		d->dest_xml = read_file(path != NULL ? path : d->o->xml, "--xml", err, errlen);
		free(path);
		if (d->dest_xml == NULL)
			return VFM_STEP_FAIL;
	}
	xml = virDomainGetXMLDesc(d->src, 0);
	if (xml == NULL) {
		snprintf(err, errlen, "cannot read the XML of '%s': %s", d->name, virt_error());
		return VFM_STEP_FAIL;
	}
	rc = check_devices(d, xml, detail, err, errlen);
	free(xml);
	return rc == 0 ? VFM_STEP_OK : VFM_STEP_FAIL;
}

/*
 * Records the end of the VF's removal ('failed': the guest refused) when
 * 'alias' is the VF's, and wakes the waiter.  Runs on the event thread.
 */
static void
mark_removal(struct vfm_domain *d, const char *alias, bool failed)
{
	vfo_mutex_lock(&d->lock);
	if (strcmp(alias, d->vf.alias) == 0) {
		if (failed)
			d->removal_failed = true;
		else
			d->removed = true;
		pthread_cond_broadcast(&d->cond);
	}
	vfo_mutex_unlock(&d->lock);
}

/* Event callback: a device of the domain was removed. */
static void
on_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *arg)
{
	(void)conn;
	(void)dom;
	mark_removal(arg, alias, false);
}

/* Event callback: the guest refused to release a device. */
static void
on_removal_failed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *arg)
{
	(void)conn;
	(void)dom;
	mark_removal(arg, alias, true);
}

/*
 * Waits until the VF's removal event (or its failure) came, or until
 * 'deadline_ms' (vfo_mono_ms).  Returns 1 removed, 0 timeout, -1 failed.
 */
static int
wait_removed(struct vfm_domain *d, uint64_t deadline_ms)
{
	struct timespec ts;
	int rc;

	/* d->cond runs on CLOCK_MONOTONIC (vfm_domain_init), as vfo_mono_ms. */
	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	vfo_mutex_lock(&d->lock);
	while (!d->removed && !d->removal_failed)
		if (pthread_cond_timedwait(&d->cond, &d->lock.m, &ts) == ETIMEDOUT)
			break;
	rc = d->removal_failed ? -1 : d->removed ? 1 : 0;
	vfo_mutex_unlock(&d->lock);
	return rc;
}

/* Op "vf_on_source": the live XML on the source still has the VF's MAC. */
static bool
virt_vf_on_source(void *ctx)
{
	struct vfm_domain *d = ctx;
	char *xml = virDomainGetXMLDesc(d->src, 0), err[256];
	struct vfm_iface f;
	bool there;

	if (xml == NULL)
		return false;
	/* By MAC (a re-attached VF may have another alias), not the backup's. */
	there = vfm_xml_find_vf(xml, d->vf.mac, true, d->others.backup_alias, &f, err,
				sizeof(err)) == 0;
	vfm_iface_clear(&f);
	free(xml);
	return there;
}

/* Op "detach": detach the VF by alias, wait for DEVICE_REMOVED. */
static int
virt_detach(void *ctx, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	virConnectPtr c = d->conns->src;
	uint64_t t0 = vfo_mono_ms(), t1;
	int ok_id, fail_id, rc;

	vfo_mutex_lock(&d->lock);
	d->removed = d->removal_failed = false;
	vfo_mutex_unlock(&d->lock);
	ok_id = virConnectDomainEventRegisterAny(c, d->src, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
						 VIR_DOMAIN_EVENT_CALLBACK(on_removed), d, NULL);
	fail_id = virConnectDomainEventRegisterAny(
		c, d->src, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
		VIR_DOMAIN_EVENT_CALLBACK(on_removal_failed), d, NULL);
	if (ok_id < 0) {
		snprintf(err, errlen, "cannot watch device removals: %s", virt_error());
		rc = VFM_STEP_FAIL;
		goto out;
	}
	if (virDomainDetachDeviceAlias(d->src, d->vf.alias, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		snprintf(err, errlen, "detach of %s refused: %s", d->vf.alias, virt_error());
		rc = VFM_STEP_FAIL;
		goto out;
	}
	t1 = vfo_mono_ms();
	rc = wait_removed(d, t1 + d->o->detach_timeout_ms);
	json_object_set_new(detail, "call_ms", json_integer((json_int_t)(t1 - t0)));
	json_object_set_new(detail, "event_ms", json_integer((json_int_t)(vfo_mono_ms() - t1)));
	if (rc == 0 && !virt_vf_on_source(d)) {
		json_object_set_new(detail, "event_missed", json_true());
		rc = 1;
	}
	if (rc <= 0)
		snprintf(err, errlen,
			 rc < 0 ? "the guest refused to release %s (DEVICE_REMOVAL_FAILED)"
				: "%s still attached %u ms after the detach: the guest did not "
				  "release it",
			 d->vf.alias, d->o->detach_timeout_ms);
	rc = rc > 0 ? VFM_STEP_OK : VFM_STEP_FAIL;
out:
	if (ok_id >= 0)
		virConnectDomainEventDeregisterAny(c, ok_id);
	if (fail_id >= 0)
		virConnectDomainEventDeregisterAny(c, fail_id);
	return rc;
}

/*
 * Returns libvirt typed parameters 'p' (n of them) as a new JSON object
 * keyed by their names (time_elapsed, downtime, data_total, ...).
 */
static json_t *
params_json(const virTypedParameter *p, int n)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < n; i++) {
		json_t *v = NULL;

		switch (p[i].type) {
		case VIR_TYPED_PARAM_INT:
			v = json_integer(p[i].value.i);
			break;
		case VIR_TYPED_PARAM_UINT:
			v = json_integer(p[i].value.ui);
			break;
		case VIR_TYPED_PARAM_LLONG:
			v = json_integer(p[i].value.l);
			break;
		case VIR_TYPED_PARAM_ULLONG:
			v = json_integer((json_int_t)p[i].value.ul);
			break;
		case VIR_TYPED_PARAM_DOUBLE:
			v = json_real(p[i].value.d);
			break;
		case VIR_TYPED_PARAM_BOOLEAN:
			v = json_boolean(p[i].value.b);
			break;
		case VIR_TYPED_PARAM_STRING:
			v = json_string(p[i].value.s);
			break;
		}
		if (v != NULL)
			json_object_set_new(o, p[i].field, v);
	}
	return o;
}

/*
 * Reads the job statistics of 'dom' ('flags': 0 for the running job,
 * VIR_DOMAIN_JOB_STATS_COMPLETED for the last completed one).  Returns
 * them as a new JSON object ("type": libvirt's job type), or NULL when
 * there are none.
 */
static json_t *
job_stats(virDomainPtr dom, unsigned int flags)
{
	virTypedParameterPtr p = NULL;
	int n = 0, type = 0;
	json_t *o;

	if (dom == NULL || virDomainGetJobStats(dom, &type, &p, &n, flags) < 0)
		return NULL;
	if (type == VIR_DOMAIN_JOB_NONE) {
		virTypedParamsFree(p, n);
		return NULL;
	}
	o = params_json(p, n);
	json_object_set_new(o, "type", json_integer(type));
	virTypedParamsFree(p, n);
	return o;
}

/** What the migration's watcher thread shares with the migrating thread. */
struct job_watch {
	struct vfm_domain *d; /**< the domain migrating */
	bool done;	      /**< set when the migration call returned (atomic) */
	bool aborted;	      /**< the watcher aborted the job (Ctrl-C or --timeout) */
	bool timed_out;	      /**< ... because --timeout passed */
	uint64_t start;	      /**< vfo_mono_ms when the migration started */
	json_t *last;	      /**< the last statistics read, or NULL */
	uint64_t last_note;   /**< when the last progress line was printed */
};

/* Prints a progress line from running job statistics 'st'. */
static void
note_progress(struct vfm_domain *d, const json_t *st)
{
	json_int_t total = json_integer_value(json_object_get(st, "data_total"));
	json_int_t done = json_integer_value(json_object_get(st, "data_processed"));
	json_int_t bps = json_integer_value(json_object_get(st, "memory_bps"));

	vfm_tl_note(d->tl, "migrate: %lld of %lld MiB (%.0f %%), %.1f MiB/s, %lld ms",
		    (long long)(done >> 20), (long long)(total >> 20),
		    total > 0 ? 100.0 * (double)done / (double)total : 0.0, (double)bps / (1 << 20),
		    (long long)json_integer_value(json_object_get(st, "time_elapsed")));
}

/*
 * The watcher: every JOB_POLL_MS reads the job statistics (progress lines
 * every second), and aborts the job once Ctrl-C was pressed or --timeout
 * passed (asking again each time until libvirt takes it).
 */
static void *
watch_main(void *arg)
{
	struct job_watch *w = arg;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = JOB_POLL_MS * 1000000L};

	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		json_t *st = job_stats(w->d->src, 0);

		if (st != NULL) {
			json_decref(w->last);
			w->last = st;
			if (vfo_mono_ms() - w->last_note >= 1000) {
				note_progress(w->d, st);
				w->last_note = vfo_mono_ms();
			}
		}
		if (!w->aborted && *w->d->cancel) {
			vfm_tl_note(w->d->tl, "migrate: Ctrl-C: aborting the job");
			w->aborted = virDomainAbortJob(w->d->src) == 0;
		}
		if (!w->aborted && w->d->o->timeout_ms != 0 &&
		    vfo_mono_ms() - w->start >= w->d->o->timeout_ms) {
			vfm_tl_note(w->d->tl, "migrate: --timeout %u ms passed: aborting the job",
				    w->d->o->timeout_ms);
			w->timed_out = w->aborted = virDomainAbortJob(w->d->src) == 0;
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * Builds the migration's typed parameters into *p / *n.  Returns 0, or -1
 * when libvirt refuses one.
 */
static int
migrate_params(const struct vfm_domain *d, virTypedParameterPtr *p, int *n)
{
	int max = 0;

	if (d->dest_xml != NULL &&
	    virTypedParamsAddString(p, n, &max, VIR_MIGRATE_PARAM_DEST_XML, d->dest_xml) < 0)
		return -1;
	if (d->o->bandwidth_mibs != 0 &&
	    virTypedParamsAddULLong(p, n, &max, VIR_MIGRATE_PARAM_BANDWIDTH, d->o->bandwidth_mibs) <
		    0)
		return -1;
	return 0;
}

/* Returns the virDomainMigrate flags the options ask for. */
static unsigned int
migrate_flags(const struct vfm_opts *o)
{
	return (o->live ? VIR_MIGRATE_LIVE : 0) | (o->p2p ? VIR_MIGRATE_PEER2PEER : 0) |
	       (o->persistent ? VIR_MIGRATE_PERSIST_DEST : 0) |
	       (o->undefine_source ? VIR_MIGRATE_UNDEFINE_SOURCE : 0);
}

/* Op "migrate": migrate with the options; job statistics into 'detail'. */
static int
virt_migrate(void *ctx, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	struct job_watch w = {.d = d, .start = vfo_mono_ms(), .last_note = vfo_mono_ms()};
	virTypedParameterPtr p = NULL;
	virDomainPtr moved = NULL;
	pthread_t watcher;
	json_t *done;
	int n = 0, rc = -1;

	if (migrate_params(d, &p, &n) != 0) {
		snprintf(err, errlen, "cannot build the migration parameters: %s", virt_error());
		return VFM_STEP_FAIL;
	}
	if (d->o->max_downtime_ms != 0 &&
	    virDomainMigrateSetMaxDowntime(d->src, d->o->max_downtime_ms, 0) < 0)
		json_object_set_new(detail, "max_downtime_warning", json_string(virt_error()));
	if (pthread_create(&watcher, NULL, watch_main, &w) != 0) {
		virTypedParamsFree(p, n);
		snprintf(err, errlen, "cannot start the job watcher");
		return VFM_STEP_FAIL;
	}
	if (d->o->p2p)
		rc = virDomainMigrateToURI3(d->src, d->o->dst_uri, p, (unsigned int)n,
					    migrate_flags(d->o));
	else if ((moved = virDomainMigrate3(d->src, d->conns->dst, p, (unsigned int)n,
					    migrate_flags(d->o))) != NULL)
		rc = 0;
	if (rc < 0 && w.timed_out)
		snprintf(err, errlen, "timed out: --timeout %u ms passed, the job was aborted",
			 d->o->timeout_ms);
	else if (rc < 0)
		snprintf(err, errlen, "%s", w.aborted ? "cancelled (Ctrl-C)" : virt_error());
	if (w.timed_out)
		json_object_set_new(detail, "timed_out", json_true());
	__atomic_store_n(&w.done, true, __ATOMIC_RELEASE);
	pthread_join(watcher, NULL);
	virTypedParamsFree(p, n);
	if (rc == 0)
		d->dst = moved != NULL ? moved : virDomainLookupByName(d->conns->dst, d->name);
	/* A migration that failed has no useful completed statistics: keep the last. */
	done = rc == 0 ? job_stats(d->dst, VIR_DOMAIN_JOB_STATS_COMPLETED) : NULL;
	if (rc == 0 && done == NULL)
		done = job_stats(d->src, VIR_DOMAIN_JOB_STATS_COMPLETED);
	json_object_set_new(detail, "job_stats", done != NULL ? done : json_incref(w.last));
	json_object_set_new(detail, "job_stats_source",
			    json_string(done != NULL ? "completed" : "last_polled"));
	json_decref(w.last);
	if (rc == 0 && d->dst == NULL) {
		snprintf(err, errlen, "migrated, but '%s' is not found on the destination: %s",
			 d->name, virt_error());
		return VFM_STEP_FAIL;
	}
	return rc == 0			   ? VFM_STEP_OK
	       : w.aborted && !w.timed_out ? VFM_STEP_CANCELLED
					   : VFM_STEP_FAIL;
}

/** What the destination has for this run's VF (read under the reservation lock). */
struct supply {
	char vf[160];	    /**< what is counted: "pool:NAME", "pci:ADDR", "dev:..." */
	int capacity;	    /**< VFs of that kind in all, -1: no limit */
	int in_use;	    /**< of which attached to the destination's domains */
	char mac_user[128]; /**< a domain there with the VF's MAC, "" when none */
};

/*
 * Reads what the destination has for domain 'd''s VF into 's': with
 * --vf-xml, one device (in use when one of its running domains has it);
 * from a hostdev pool, the pool's VFs and connections; another network
 * (an emulated stand-in) has no limit.  Returns 0, or -1 with 'err' set.
 */
static int
dst_supply(struct vfm_domain *d, struct supply *s, char *err, size_t errlen)
{
	const char *pool = d->o->vf_network != NULL ? d->o->vf_network : d->vf.network;
	virDomainPtr *doms = NULL;
	int i, n;

	memset(s, 0, sizeof(*s));
	s->capacity = -1;
	if (d->o->vf_xml != NULL) {
		if (vfm_xml_dev_key(d->dst_attach_xml, s->vf, sizeof(s->vf)) != 0)
			return vfo_errf(err, errlen, "--vf-xml %s: not an <interface>",
					d->o->vf_xml);
		s->capacity = 1;
	} else {
		virNetworkPtr net = virNetworkLookupByName(d->conns->dst, pool);
		char *xml = net != NULL ? virNetworkGetXMLDesc(net, 0) : NULL, mode[32] = "";
		int total = 0, used = 0;

		if (net != NULL)
			virNetworkFree(net);
		if (xml == NULL || vfm_xml_pool(xml, mode, sizeof(mode), &total, &used) != 0) {
			free(xml);
			return vfo_errf(err, errlen,
					"cannot read network '%s' on the destination: %s", pool,
					virt_error());
		}
		free(xml);
		snprintf(s->vf, sizeof(s->vf), "pool:%s", pool);
		if (strcmp(mode, "hostdev") == 0) {
			s->capacity = total;
			s->in_use = used;
		}
	}
	n = virConnectListAllDomains(d->conns->dst, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0)
		return vfo_errf(err, errlen, "cannot list the destination's domains: %s",
				virt_error());
	for (i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		char *xml = strcmp(name, d->name) != 0 ? virDomainGetXMLDesc(doms[i], 0) : NULL;
		int hits = 0;

		if (xml != NULL && d->o->vf_xml != NULL)
			s->in_use += vfm_xml_count_dev(xml, s->vf, d->vf.mac, &hits);
		else if (xml != NULL)
			vfm_xml_count_dev(xml, "", d->vf.mac, &hits);
		if (hits > 0 && s->mac_user[0] == '\0')
			snprintf(s->mac_user, sizeof(s->mac_user), "%s", name);
		free(xml);
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

/* Adds what 's' and the reservations 'rv' say to step detail 'detail'. */
static void
supply_detail(json_t *detail, const struct supply *s, const struct vfm_resv *rv, const char *own)
{
	json_object_set_new(detail, "vf", json_string(s->vf));
	json_object_set_new(detail, "capacity", json_integer(s->capacity));
	json_object_set_new(detail, "in_use", json_integer(s->in_use));
	json_object_set_new(detail, "reserved_by_others",
			    json_integer(vfm_resv_count(rv, s->vf, own)));
	if (rv->dropped != 0)
		json_object_set_new(detail, "stale_dropped", json_integer(rv->dropped));
}

/* Writes why the destination has no VF for 's' into 'err'; returns VFM_STEP_NO_VF. */
static int
no_vf(const struct supply *s, unsigned int reserved, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "no free VF on the destination: %s has %d of %d in use and %u reserved by "
		 "other migrations",
		 s->vf, s->in_use, s->capacity, reserved);
	return VFM_STEP_NO_VF;
}

/* Opens the destination's reservations into a new *rv; 0, or -1 with 'err'. */
static int
resv_open(struct vfm_domain *d, struct vfm_resv **rv, char *err, size_t errlen)
{
	*rv = calloc(1, sizeof(**rv));
	if (*rv == NULL)
		return vfo_errf(err, errlen, "out of memory");
	if (vfm_resv_open(*rv, d->o->lock_dir, d->dst_key, err, errlen) != 0) {
		free(*rv);
		*rv = NULL;
		return -1;
	}
	return 0;
}

/* Closes and frees *rv; returns vfm_resv_close's result. */
static int
resv_close(struct vfm_resv *rv, char *err, size_t errlen)
{
	int rc = vfm_resv_close(rv, err, errlen);

	free(rv);
	return rc;
}

/* Op "reserve": a free VF (and the MAC) on the destination for this run. */
static int
virt_reserve(void *ctx, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;
	const struct vfm_resv_entry *other;
	struct vfm_resv *rv;
	struct supply s;
	unsigned int reserved;
	int rc = VFM_STEP_FAIL;

	if (resv_open(d, &rv, err, errlen) != 0)
		return VFM_STEP_FAIL;
	if (dst_supply(d, &s, err, errlen) != 0)
		goto out;
	supply_detail(detail, &s, rv, NULL);
	reserved = vfm_resv_count(rv, s.vf, NULL);
	other = vfm_resv_mac(rv, d->vf.mac, NULL);
	if (s.mac_user[0] != '\0')
		snprintf(err, errlen, "MAC %s is in use on the destination by domain '%s'",
			 d->vf.mac, s.mac_user);
	else if (other != NULL)
		snprintf(err, errlen,
			 "MAC %s is reserved on the destination for domain '%s' (vfmigrate pid %ld "
			 "on %s)",
			 d->vf.mac, other->domain, other->pid, other->host);
	else if (!vfm_resv_free(s.capacity, s.in_use, reserved))
		rc = no_vf(&s, reserved, err, errlen);
	else if (vfm_resv_add(rv, s.vf, d->vf.mac, d->name, d->resv_id) != 0)
		snprintf(err, errlen, "%s holds %d reservations already", rv->path, VFM_RESV_MAX);
	else
		rc = VFM_STEP_OK;
out:
	if (resv_close(rv, err, errlen) != 0 && rc == VFM_STEP_OK) {
		d->resv_id[0] = '\0';
		rc = VFM_STEP_FAIL;
	}
	if (rc == VFM_STEP_OK) {
		json_object_set_new(detail, "reserved", json_true());
		json_object_set_new(detail, "id", json_string(d->resv_id));
	}
	return rc;
}

/* Op "release": drops this run's reservation, if it holds one. */
static void
virt_release(void *ctx)
{
	struct vfm_domain *d = ctx;
	struct vfm_resv *rv;
	char err[512];

	if (d->resv_id[0] == '\0')
		return;
	if (resv_open(d, &rv, err, sizeof(err)) == 0) {
		vfm_resv_remove(rv, d->resv_id);
		if (resv_close(rv, err, sizeof(err)) == 0) {
			vfm_tl_note(d->tl, "reservation %s released", d->resv_id);
			d->resv_id[0] = '\0';
			return;
		}
	}
	vfm_tl_note(d->tl, "reservation %s not released: %s", d->resv_id, err);
}

/*
 * Attaches the VF on the destination under the reservation lock: the one
 * this run reserved, or, holding none, a free one (VFM_STEP_NO_VF when
 * there is none, before or - taken by someone who did not reserve - at
 * the attach).  The reservation ends with the attach either way: once
 * attached, libvirt's view counts the VF.
 */
static int
attach_dst(struct vfm_domain *d, json_t *detail, char *err, size_t errlen)
{
	const char *own = d->resv_id[0] != '\0' ? d->resv_id : NULL;
	struct vfm_resv *rv;
	struct supply s;
	int rc = VFM_STEP_FAIL;

	if (resv_open(d, &rv, err, errlen) != 0)
		return VFM_STEP_FAIL;
	if (dst_supply(d, &s, err, errlen) != 0)
		goto out;
	supply_detail(detail, &s, rv, own);
	json_object_set_new(detail, "reserved", json_boolean(own != NULL));
	if (own == NULL && !vfm_resv_free(s.capacity, s.in_use, vfm_resv_count(rv, s.vf, NULL))) {
		rc = no_vf(&s, vfm_resv_count(rv, s.vf, NULL), err, errlen);
		goto out;
	}
	if (virDomainAttachDeviceFlags(d->dst, d->dst_attach_xml, VIR_DOMAIN_AFFECT_LIVE) == 0) {
		rc = VFM_STEP_OK;
	} else {
		char why[256];

		snprintf(why, sizeof(why), "%s", virt_error());
		if (dst_supply(d, &s, err, errlen) == 0 &&
		    !vfm_resv_free(s.capacity, s.in_use, vfm_resv_count(rv, s.vf, own)))
			rc = no_vf(&s, vfm_resv_count(rv, s.vf, own), err, errlen);
		else
			snprintf(err, errlen, "attach on the destination refused: %s", why);
	}
	if (own != NULL)
		vfm_resv_remove(rv, own);
out:
	if (resv_close(rv, err, errlen) == 0)
		d->resv_id[0] = '\0';
	return rc;
}

/* Op "attach": the VF XML for 'side' attached live. */
static int
virt_attach(void *ctx, enum vfm_side side, json_t *detail, char *err, size_t errlen)
{
	struct vfm_domain *d = ctx;

	json_object_set_new(detail, "xml",
			    json_string(side == VFM_SRC ? d->vf.reattach_xml : d->dst_attach_xml));
	if (side == VFM_DST)
		return attach_dst(d, detail, err, errlen);
	if (virDomainAttachDeviceFlags(d->src, d->vf.reattach_xml, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		snprintf(err, errlen, "attach on the source refused: %s", virt_error());
		return VFM_STEP_FAIL;
	}
	return VFM_STEP_OK;
}

const struct vfm_ops vfm_domain_ops = {
	.preflight = virt_preflight,
	.guest_check = vfm_guest_check,
	.guest_prepare = vfm_guest_prepare,
	.guest_vf = vfm_guest_vf,
	.steer = vfm_hook_steer,
	.detach = virt_detach,
	.vf_on_source = virt_vf_on_source,
	.migrate = virt_migrate,
	.attach = virt_attach,
	.reserve = virt_reserve,
	.release = virt_release,
};
