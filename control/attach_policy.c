/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attach_policy.c — which devargs "attach" may probe (vfo_attach_policy.h).
 * Text only: nothing here probes, opens or stores a device.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vfo_attach_policy.h"
#include "vfo_errf.h"

/* DPDK 22.11's buses, as a devargs "BUS:" prefix names them. */
static const char *const known_buses[] = {
	"pci", "vdev", "auxiliary", "vmbus", "fslmc", "dpaa_bus", "ifpga",
};

/* Returns true when s[0..len) is one of known_buses. */
static bool
is_bus(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(known_buses) / sizeof(known_buses[0]); i++)
		if (strlen(known_buses[i]) == len && strncmp(known_buses[i], s, len) == 0)
			return true;
	return false;
}

/* Skips hex digits at *s; returns how many. */
static size_t
hex_run(const char **s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)**s)) {
		(*s)++;
		n++;
	}
	return n;
}

/* Returns true when 'name' is a PCI address: [DOMAIN:]BUS:DEV.FN in hex. */
static bool
is_pci_addr(const char *name)
{
	const char *p = name;
	size_t a = hex_run(&p), b, c;

	if (a == 0 || *p++ != ':')
		return false;
	b = hex_run(&p);
	if (b == 0)
		return false;
	if (*p == ':') { /* with a domain: a was it */
		p++;
		c = hex_run(&p);
		if (c == 0)
			return false;
	}
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return false;
	p++;
	return *p == '\0';
}

int
vfo_devargs_split(const char *devargs, char *bus, size_t buslen, char *name, size_t namelen,
		  char *err, size_t errlen)
{
	const char *colon, *start = devargs;
	size_t len;

	if (devargs == NULL || devargs[0] == '\0')
		return vfo_errf(err, errlen, "empty devargs; give BUS:NAME,ARGS or NAME,ARGS");
	len = strcspn(devargs, ",");
	if (memchr(devargs, '=', len) != NULL)
		return vfo_errf(err, errlen,
				"devargs '%.64s' use the key=value form; give the "
				"[BUS:]NAME[,ARGS] form (e.g. net_memif0,socket=... or "
				"0000:00:05.0)",
				devargs);
	colon = memchr(devargs, ':', len);
	if (colon != NULL && is_bus(devargs, (size_t)(colon - devargs))) {
		if ((size_t)(colon - devargs) >= buslen)
			return vfo_errf(err, errlen, "devargs '%.64s': bus name too long", devargs);
		memcpy(bus, devargs, (size_t)(colon - devargs));
		bus[colon - devargs] = '\0';
		start = colon + 1;
		len = strcspn(start, ",");
	} else {
		bus[0] = '\0';
	}
	if (len == 0)
		return vfo_errf(err, errlen, "devargs '%.64s' name no device", devargs);
	if (len >= namelen)
		return vfo_errf(err, errlen,
				"devargs '%.64s': device name longer than %zu characters", devargs,
				namelen - 1);
	memcpy(name, start, len);
	name[len] = '\0';
	if (bus[0] == '\0')
		snprintf(bus, buslen, "%s", is_pci_addr(name) ? "pci" : "vdev");
	return 0;
}

int
vfo_attach_allow_parse(const char *list, struct vfo_attach_policy *p, char *err, size_t errlen)
{
	unsigned int n = 0;
	const char *s = list;

	if (list != NULL && strlen(list) >= VFO_ATTACH_ALLOW_LEN)
		return vfo_errf(err, errlen, "list longer than %d characters",
				VFO_ATTACH_ALLOW_LEN - 1);
	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ","), i;

		if (len == 0 || len >= VFO_ATTACH_NAME_MAX)
			return vfo_errf(err, errlen,
					"'%.64s' has %s entry; give driver or bus names "
					"separated by commas, e.g. net_pcap,pci",
					list, len == 0 ? "an empty" : "a too long");
		for (i = 0; i < len; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '_')
				return vfo_errf(err, errlen,
						"'%.*s' is not a driver or bus name; use "
						"letters, digits and '_' (net_pcap, pci, any)",
						(int)len, s);
		if (n == VFO_ATTACH_ALLOW_MAX)
			return vfo_errf(err, errlen, "more than %d entries", VFO_ATTACH_ALLOW_MAX);
		if (p != NULL) {
			memcpy(p->allow[n], s, len);
			p->allow[n][len] = '\0';
		}
		n++;
		s += len;
		if (*s == ',' && *++s == '\0')
			return vfo_errf(err, errlen, "'%.64s' ends with a comma", list);
	}
	if (p != NULL)
		p->nb_allow = n;
	return 0;
}

/* Writes vdev device 'name' less its instance number ("net_memif0" ->
 * "net_memif"): the driver it most likely names. */
static void
name_driver(const char *name, char *drv, size_t len)
{
	size_t n = strlen(name);

	while (n > 0 && isdigit((unsigned char)name[n - 1]))
		n--;
	snprintf(drv, len, "%.*s", (int)n, name);
}

int
vfo_attach_policy_init(struct vfo_attach_policy *p, const char *devargs, const char *driver,
		       const char *allow, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (vfo_devargs_split(devargs, p->bus, sizeof(p->bus), p->name, sizeof(p->name), err,
			      errlen) < 0)
		return -1;
	if (driver != NULL && driver[0] != '\0') {
		snprintf(p->driver, sizeof(p->driver), "%s", driver);
	} else if (strcmp(p->bus, "vdev") == 0) {
		name_driver(p->name, p->driver, sizeof(p->driver)); /* unknown: a guess */
	}
	return vfo_attach_allow_parse(allow, p, err, errlen);
}

/* Returns true when vdev device 'name' belongs to driver 'drv' (or its eth_ alias). */
static bool
vdev_of(const char *name, const char *drv)
{
	size_t len = strlen(drv);

	if (len == 0)
		return false;
	if (strncmp(name, drv, len) == 0)
		return true;
	/* DPDK's vdev drivers answer to "eth_X" for "net_X" too. */
	return strncmp(drv, "net_", 4) == 0 && strncmp(name, "eth_", 4) == 0 &&
	       strncmp(name + 4, drv + 4, len - 4) == 0;
}

/* Returns true when the operator's list lets device 'name' on 'bus' through. */
static bool
allowed_extra(const struct vfo_attach_policy *p, const char *bus, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->nb_allow; i++) {
		const char *a = p->allow[i];

		if (strcmp(a, "any") == 0 || strcmp(a, bus) == 0)
			return true;
		if (strcmp(bus, "vdev") == 0 && vdev_of(name, a))
			return true;
	}
	return false;
}

int
vfo_attach_policy_check(const struct vfo_attach_policy *p, const char *devargs, char *why,
			size_t whylen)
{
	char bus[VFO_ATTACH_NAME_MAX], name[VFO_ATTACH_NAME_MAX], vf[VFO_ATTACH_NAME_MAX + 16];
	char extra[VFO_ATTACH_NAME_MAX];

	if (vfo_devargs_split(devargs, bus, sizeof(bus), name, sizeof(name), why, whylen) < 0)
		return -1;
	if (allowed_extra(p, bus, name))
		return 0;
	if (strcmp(bus, p->bus) == 0) {
		if (strcmp(bus, "pci") == 0 || strcmp(name, p->name) == 0)
			return 0;
		if (strcmp(bus, "vdev") == 0 && vdev_of(name, p->driver))
			return 0;
	}
	if (strcmp(p->bus, "vdev") == 0)
		snprintf(vf, sizeof(vf), "a %s device", p->driver);
	else
		snprintf(vf, sizeof(vf), "a %s device", p->bus);
	if (strcmp(bus, "vdev") == 0)
		name_driver(name, extra, sizeof(extra));
	else
		snprintf(extra, sizeof(extra), "%s", bus);
	return vfo_errf(why, whylen,
			"devargs '%.80s' name %s device '%s', but this VF is %s (started as '%s'); "
			"attach probes only the VF's own bus and driver: give devargs of %s, or "
			"start vfailover with --attach-allow %s to allow that",
			devargs, bus, name, vf, p->name, vf, extra);
}
