/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_xml.c — the libvirt XML vfmigrate reads and writes, with libxml2:
 * the domain's VF interface and its other interfaces, the guest channel's
 * host end, a network's hostdev pool, and the <interface> that attaches a
 * VF with the same MAC (from a pool or a file).
 *
 * Thread-safety: libxml2's parser is thread-safe once initialized
 * (xmlInitParser, called by vfm_main before the workers start); nothing
 * here keeps state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vfm_virt.h"

/* Parses 'xml' (a string).  Returns the document, or NULL. */
static xmlDocPtr
parse(const char *xml)
{
	return xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* Returns true when 'n' is an element called 'name'. */
static bool
is_elem(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

/* Returns the first child element of 'n' called 'name', or NULL. */
static xmlNodePtr
child(const xmlNode *n, const char *name)
{
	xmlNodePtr c;

	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

/*
 * Copies attribute 'attr' of 'n' (may be NULL) into 'buf' (truncated to
 * 'len'); "" when it is absent.  Returns buf.
 */
static char *
attr(const xmlNode *n, const char *attr, char *buf, size_t len)
{
	xmlChar *v = n != NULL ? xmlGetProp(n, BAD_CAST attr) : NULL;

	snprintf(buf, len, "%s", v != NULL ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

/* Returns the serialized XML of node 'n' of 'doc' (malloc'd), or NULL. */
static char *
dump(xmlDocPtr doc, xmlNodePtr n)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *s = NULL;

	if (b != NULL && xmlNodeDump(b, doc, n, 0, 0) >= 0)
		s = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return s;
}

/* Returns the <devices> element of domain document 'doc', or NULL. */
static xmlNodePtr
devices(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);

	return is_elem(root, "domain") ? child(root, "devices") : NULL;
}

/*
 * Formats the PCI <address> element 'a' as 0000:03:10.2 into 'buf' ("" when
 * it is not a PCI address).
 */
static void
pci_of(const xmlNode *a, char *buf, size_t len)
{
	char v[4][16];

	buf[0] = '\0';
	if (a == NULL || strcmp(attr(a, "type", v[0], sizeof(v[0])), "pci") != 0)
		return;
	snprintf(buf, len, "%04lx:%02lx:%02lx.%lx", strtoul(attr(a, "domain", v[0], 16), NULL, 0),
		 strtoul(attr(a, "bus", v[1], 16), NULL, 0),
		 strtoul(attr(a, "slot", v[2], 16), NULL, 0),
		 strtoul(attr(a, "function", v[3], 16), NULL, 0));
}

/*
 * Removes from interface copy 'n' what only the running domain has (its
 * tap <target>, a system-assigned <alias>, the network port id), so that
 * it can be attached again.
 */
static void
strip_live(xmlNodePtr n)
{
	xmlNodePtr c = n->children, next;
	char alias[64];

	for (; c != NULL; c = next) {
		next = c->next;
		if (is_elem(c, "target") ||
		    (is_elem(c, "alias") &&
		     strncmp(attr(c, "name", alias, sizeof(alias)), "ua-", 3) != 0)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (is_elem(c, "source")) {
			xmlUnsetProp(c, BAD_CAST "portid");
		}
	}
}

/*
 * Fills 'f' from interface element 'n' of 'doc'.  Returns 0, or -1 when
 * memory is short.
 */
static int
fill_iface(xmlDocPtr doc, xmlNodePtr n, struct vfm_iface *f)
{
	xmlNodePtr src = child(n, "source"), addr = child(n, "address"), copy;

	attr(child(n, "alias"), "name", f->alias, sizeof(f->alias));
	attr(child(n, "mac"), "address", f->mac, sizeof(f->mac));
	attr(n, "type", f->type, sizeof(f->type));
	attr(src, "network", f->network, sizeof(f->network));
	attr(child(n, "target"), "dev", f->target, sizeof(f->target));
	attr(child(n, "model"), "type", f->model, sizeof(f->model));
	pci_of(child(src, "address"), f->host_pci, sizeof(f->host_pci));
	f->guest_addr = addr != NULL ? dump(doc, addr) : NULL;
	if (f->network[0] != '\0') {
		f->reattach_xml = vfm_xml_pool_iface(f->network, f);
	} else {
		copy = xmlDocCopyNode(n, doc, 1);
		if (copy == NULL)
			return -1;
		strip_live(copy);
		f->reattach_xml = dump(doc, copy);
		xmlFreeNode(copy);
	}
	return f->reattach_xml != NULL && (addr == NULL || f->guest_addr != NULL) ? 0 : -1;
}

/* Finds the VF interface in domain XML 'xml' into 'out'; 0, or -1 with 'err'. */
int
vfm_xml_find_vf(const char *xml, const char *vf, bool is_mac, const char *skip,
		struct vfm_iface *out, char *err, size_t errlen)
{
	xmlDocPtr doc = parse(xml);
	xmlNodePtr n, found = NULL;
	size_t used = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (doc == NULL) {
		snprintf(err, errlen, "the domain XML does not parse");
		return -1;
	}
	used = (size_t)snprintf(err, errlen, "no interface with %s %s; the domain has:",
				is_mac ? "MAC" : "alias", vf);
	for (n = devices(doc) ? devices(doc)->children : NULL; n != NULL; n = n->next) {
		char alias[64], mac[18];

		if (!is_elem(n, "interface"))
			continue;
		attr(child(n, "alias"), "name", alias, sizeof(alias));
		attr(child(n, "mac"), "address", mac, sizeof(mac));
		if (skip != NULL && strcmp(alias, skip) == 0)
			continue;
		if (is_mac ? strcasecmp(mac, vf) == 0 : strcmp(alias, vf) == 0) {
			if (found != NULL) {
				snprintf(err, errlen,
					 "MAC %s is on two interfaces (aliases %s and %s); give "
					 "--vf ALIAS",
					 vf, out->alias, alias);
				found = NULL;
				break;
			}
			found = n;
			snprintf(out->alias, sizeof(out->alias), "%s", alias);
		}
		if (used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, " alias %s MAC %s;",
						 alias[0] ? alias : "(none)", mac);
	}
	if (found != NULL) {
		rc = fill_iface(doc, found, out);
		if (rc != 0)
			snprintf(err, errlen, "out of memory reading the domain XML");
	}
	xmlFreeDoc(doc);
	if (rc != 0)
		vfm_iface_clear(out);
	return rc;
}

/* Frees what vfm_xml_find_vf allocated in 'f'. */
void
vfm_iface_clear(struct vfm_iface *f)
{
	free(f->guest_addr);
	free(f->reattach_xml);
	f->guest_addr = NULL;
	f->reattach_xml = NULL;
}

/* Fills 'out' with the interfaces other than 'vf'; returns their number. */
int
vfm_xml_others(const char *xml, const struct vfm_iface *vf, struct vfm_others *out)
{
	xmlDocPtr doc = parse(xml);
	xmlNodePtr n;
	int count = 0;
	bool same_mac = false;

	memset(out, 0, sizeof(*out));
	for (n = doc != NULL && devices(doc) ? devices(doc)->children : NULL; n; n = n->next) {
		char alias[64], mac[18], tap[64], net[64];
		unsigned int i;

		if (!is_elem(n, "interface"))
			continue;
		attr(child(n, "alias"), "name", alias, sizeof(alias));
		attr(child(n, "mac"), "address", mac, sizeof(mac));
		if (strcasecmp(mac, vf->mac) == 0 && strcmp(alias, vf->alias) == 0)
			continue; /* the VF itself */
		count++;
		attr(child(n, "target"), "dev", tap, sizeof(tap));
		if (count == 1 || (!same_mac && strcasecmp(mac, vf->mac) == 0)) {
			same_mac = strcasecmp(mac, vf->mac) == 0;
			snprintf(out->backup_tap, sizeof(out->backup_tap), "%s", tap);
			snprintf(out->backup_mac, sizeof(out->backup_mac), "%s", mac);
			snprintf(out->backup_alias, sizeof(out->backup_alias), "%s", alias);
		}
		attr(child(n, "source"), "network", net, sizeof(net));
		for (i = 0; i < out->nb_networks && strcmp(out->networks[i], net) != 0; i++)
			;
		if (net[0] != '\0' && i == out->nb_networks && i < 8)
			memcpy(out->networks[out->nb_networks++], net, sizeof(net));
	}
	xmlFreeDoc(doc);
	return count;
}

/* Returns the host end of guest channel 'name' in 'xml' (malloc'd), or NULL. */
char *
vfm_xml_channel_path(const char *xml, const char *name)
{
	xmlDocPtr doc = parse(xml);
	xmlNodePtr n;
	char *path = NULL;

	for (n = doc != NULL && devices(doc) ? devices(doc)->children : NULL; n; n = n->next) {
		xmlNodePtr t = child(n, "target");
		char v[3][128];

		if (is_elem(n, "channel") && strcmp(attr(n, "type", v[0], 128), "unix") == 0 &&
		    strcmp(attr(t, "type", v[1], 128), "virtio") == 0 &&
		    strcmp(attr(t, "name", v[2], 128), name) == 0) {
			xmlChar *p = xmlGetProp(child(n, "source"), BAD_CAST "path");

			path = p != NULL ? strdup((const char *)p) : NULL;
			xmlFree(p);
			break;
		}
	}
	xmlFreeDoc(doc);
	return path;
}

/*
 * Gives interface 'iface' (of 'doc') the identity of 'vf' in the guest:
 * its MAC, its user alias ("ua-...", when 'iface' has none; libvirt keeps
 * only those, so that the next migration finds the VF by the same alias)
 * and its guest <address> (when 'iface' has none).  Returns 0, or -1 when
 * memory is short or the address does not parse.
 */
static int
set_identity(xmlDocPtr doc, xmlNodePtr iface, const struct vfm_iface *vf)
{
	xmlNodePtr m = child(iface, "mac"), a;
	xmlDocPtr addr;

	if (m == NULL)
		m = xmlNewChild(iface, NULL, BAD_CAST "mac", NULL);
	if (m == NULL || xmlSetProp(m, BAD_CAST "address", BAD_CAST vf->mac) == NULL)
		return -1;
	if (strncmp(vf->alias, "ua-", 3) == 0 && child(iface, "alias") == NULL &&
	    xmlSetProp(xmlNewChild(iface, NULL, BAD_CAST "alias", NULL), BAD_CAST "name",
		       BAD_CAST vf->alias) == NULL)
		return -1;
	if (vf->guest_addr == NULL || child(iface, "address") != NULL)
		return 0;
	addr = parse(vf->guest_addr);
	a = addr != NULL ? xmlDocCopyNode(xmlDocGetRootElement(addr), doc, 1) : NULL;
	xmlFreeDoc(addr);
	return a != NULL && xmlAddChild(iface, a) != NULL ? 0 : -1;
}

/* Returns an interface of pool 'network' with the identity of 'vf' (malloc'd). */
char *
vfm_xml_pool_iface(const char *network, const struct vfm_iface *vf)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr n = xmlNewNode(NULL, BAD_CAST "interface"), s;
	char *out = NULL;

	if (doc == NULL || n == NULL) {
		xmlFreeNode(n);
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, n);
	xmlSetProp(n, BAD_CAST "type", BAD_CAST "network");
	s = xmlNewChild(n, NULL, BAD_CAST "source", NULL);
	if (s != NULL && xmlSetProp(s, BAD_CAST "network", BAD_CAST network) != NULL &&
	    (vf->model[0] == '\0' || xmlSetProp(xmlNewChild(n, NULL, BAD_CAST "model", NULL),
						BAD_CAST "type", BAD_CAST vf->model) != NULL) &&
	    set_identity(doc, n, vf) == 0)
		out = dump(doc, n);
	xmlFreeDoc(doc);
	return out;
}

/* Returns the <interface> of file 'path' with the identity of 'vf' (malloc'd). */
char *
vfm_xml_file_iface(const char *path, const struct vfm_iface *vf, char *err, size_t errlen)
{
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	char *out = NULL;

	if (doc == NULL)
		snprintf(err, errlen, "--vf-xml %s: cannot read it or it is not XML", path);
	else if (!is_elem(root, "interface"))
		snprintf(err, errlen,
			 "--vf-xml %s: the root element must be <interface> (e.g. <interface "
			 "type='hostdev'>), so that the VF gets the guest's MAC",
			 path);
	else if (set_identity(doc, root, vf) != 0 || (out = dump(doc, root)) == NULL)
		snprintf(err, errlen, "--vf-xml %s: out of memory", path);
	xmlFreeDoc(doc);
	return out;
}

/* Writes the device key of interface element 'n' into 'key' (see vfm_virt.h). */
static void
dev_key(const xmlNode *n, char *key, size_t len)
{
	xmlNodePtr src = child(n, "source");
	char pci[16], type[16], where[64], model[32];

	pci_of(child(src, "address"), pci, sizeof(pci));
	if (pci[0] != '\0') {
		snprintf(key, len, "pci:%s", pci);
		return;
	}
	/* A running domain's XML gives an interface on a network the type it
	 * got there (type='bridge' on a <forward mode='bridge'> network), with
	 * the network still named in its source: the network is the key. */
	attr(n, "type", type, sizeof(type));
	if (attr(src, "network", where, sizeof(where))[0] != '\0')
		snprintf(type, sizeof(type), "network");
	else if (attr(src, "bridge", where, sizeof(where))[0] == '\0')
		attr(src, "dev", where, sizeof(where));
	attr(child(n, "model"), "type", model, sizeof(model));
	snprintf(key, len, "dev:%s:%s:%s", type, where, model);
}

/* Names the device interface XML 'iface' attaches; 0, or -1. */
int
vfm_xml_dev_key(const char *iface, char *key, size_t len)
{
	xmlDocPtr doc = parse(iface);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	int rc = -1;

	if (is_elem(root, "interface")) {
		dev_key(root, key, len);
		rc = 0;
	}
	xmlFreeDoc(doc);
	return rc;
}

/* Counts the interfaces of domain XML 'xml' with device 'key' (and MAC 'mac'). */
int
vfm_xml_count_dev(const char *xml, const char *key, const char *mac, int *mac_hits)
{
	xmlDocPtr doc = parse(xml);
	xmlNodePtr n;
	int count = 0;

	*mac_hits = 0;
	for (n = doc != NULL && devices(doc) ? devices(doc)->children : NULL; n; n = n->next) {
		char k[160], m[18];

		if (!is_elem(n, "interface"))
			continue;
		dev_key(n, k, sizeof(k));
		count += strcmp(k, key) == 0;
		*mac_hits += strcasecmp(attr(child(n, "mac"), "address", m, sizeof(m)), mac) == 0;
	}
	xmlFreeDoc(doc);
	return count;
}

/* Reads a network's forward mode and pool use from its XML; 0, or -1. */
int
vfm_xml_pool(const char *xml, char *mode, size_t modelen, int *total, int *used)
{
	xmlDocPtr doc = parse(xml);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr fwd = is_elem(root, "network") ? child(root, "forward") : NULL, c;
	char v[16];

	*total = 0;
	*used = 0;
	if (doc == NULL || !is_elem(root, "network")) {
		xmlFreeDoc(doc);
		return -1;
	}
	attr(fwd, "mode", mode, modelen);
	for (c = fwd != NULL ? fwd->children : NULL; c != NULL; c = c->next) {
		if (!is_elem(c, "address") && !is_elem(c, "interface"))
			continue;
		(*total)++;
		*used += atoi(attr(c, "connections", v, sizeof(v)));
	}
	if (*used == 0)
		*used = atoi(attr(fwd, "connections", v, sizeof(v)));
	xmlFreeDoc(doc);
	return 0;
}
