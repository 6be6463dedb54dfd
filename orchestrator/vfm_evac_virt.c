/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_evac_virt.c — host evacuation's libvirt side: which running domains
 * of a host are vfailover domains, the host's CPU time, and the wait for
 * a load threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfm_evac.h"

/* qsort order of domain names. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
vfm_evac_domains(virConnectPtr src, const struct vfm_opts *o, char **names, unsigned int max,
		 char *err, size_t errlen)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(src, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	unsigned int found = 0;
	int i;

	if (n < 0)
		return vfo_errf(err, errlen, "cannot list the source's domains: %s",
				vfm_virt_error());
	for (i = 0; i < n; i++) {
		char *xml = virDomainGetXMLDesc(doms[i], 0), *chan = NULL, why[256];
		struct vfm_iface vf = {0};
		bool ok = xml != NULL;

		/* A vfailover domain: the guest channel (unless --no-guest)
		 * and the --vf interface. */
		if (ok && !o->no_guest) {
			chan = vfm_xml_channel_path(xml, o->channel_name);
			ok = chan != NULL;
		}
		if (ok)
			ok = vfm_xml_find_vf(xml, o->vf, o->vf_is_mac, NULL, &vf, why,
					     sizeof(why)) == 0;
		vfm_iface_clear(&vf);
		free(chan);
		free(xml);
		if (ok && found < max)
			names[found++] = strdup(virDomainGetName(doms[i]));
		else if (ok)
			fprintf(stderr,
				"vfmigrate: --evacuate: more than %u vfailover domains; %s is left "
				"for another run\n",
				max, virDomainGetName(doms[i]));
		virDomainFree(doms[i]);
	}
	free(doms);
	for (i = 0; i < (int)found; i++)
		if (names[i] == NULL)
			return vfo_errf(err, errlen, "out of memory");
	qsort(names, found, sizeof(names[0]), name_cmp);
	return (int)found;
}

int
vfm_node_cpu(virConnectPtr c, struct vfm_cpu_sample *s, char *err, size_t errlen)
{
	virNodeCPUStatsPtr p = NULL;
	int n = 0, i;

	if (virNodeGetCPUStats(c, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) < 0 || n <= 0)
		return vfo_errf(err, errlen, "the source's CPU statistics: %s", vfm_virt_error());
	p = calloc((size_t)n, sizeof(*p));
	if (p == NULL)
		return vfo_errf(err, errlen, "out of memory");
	if (virNodeGetCPUStats(c, VIR_NODE_CPU_STATS_ALL_CPUS, p, &n, 0) < 0) {
		free(p);
		return vfo_errf(err, errlen, "the source's CPU statistics: %s", vfm_virt_error());
	}
	*s = (struct vfm_cpu_sample){0};
	for (i = 0; i < n; i++) {
		if (strcmp(p[i].field, VIR_NODE_CPU_STATS_KERNEL) == 0 ||
		    strcmp(p[i].field, VIR_NODE_CPU_STATS_USER) == 0)
			s->busy += p[i].value;
		if (strcmp(p[i].field, VIR_NODE_CPU_STATS_KERNEL) == 0 ||
		    strcmp(p[i].field, VIR_NODE_CPU_STATS_USER) == 0 ||
		    strcmp(p[i].field, VIR_NODE_CPU_STATS_IDLE) == 0 ||
		    strcmp(p[i].field, VIR_NODE_CPU_STATS_IOWAIT) == 0)
			s->total += p[i].value;
	}
	free(p);
	if (s->total == 0)
		return vfo_errf(err, errlen,
				"the source's CPU statistics have no kernel/user/idle time");
	return 0;
}

int
vfm_evac_wait_load(virConnectPtr src, const struct vfm_opts *o, volatile sig_atomic_t *cancel,
		   json_t *trace, char *err, size_t errlen)
{
	struct vfm_cpu_sample a, b;
	unsigned int above = 0;

	if (vfm_node_cpu(src, &a, err, errlen) != 0)
		return -1;
	while (above < o->load_samples) {
		double pct;
		unsigned int s;

		for (s = 0; s < o->load_interval_s; s++) {
			if (*cancel)
				return vfo_errf(err, errlen,
						"cancelled while waiting for the load threshold");
			sleep(1);
		}
		if (vfm_node_cpu(src, &b, err, errlen) != 0)
			return -1;
		pct = vfm_cpu_busy_pct(&a, &b);
		a = b;
		above = pct >= o->load_threshold ? above + 1 : 0;
		json_array_append_new(trace, json_pack("{sI sf}", "t_ms", (json_int_t)vfo_mono_ms(),
						       "busy_pct", pct));
		if (!o->quiet)
			fprintf(stderr,
				"vfmigrate: source CPUs %.1f %% busy (threshold %u %%, %u of %u "
				"samples)\n",
				pct, o->load_threshold, above, o->load_samples);
	}
	return 0;
}
