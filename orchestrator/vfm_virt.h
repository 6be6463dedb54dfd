/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_virt.h — vfmigrate's libvirt side: the XML it reads and builds
 * (vfm_xml.c), its connections and event loop, and the per-domain
 * context behind vfm_domain_ops (vfm_virt.c, vfm_guest.c, vfm_hook.c).
 *
 * Thread-safety: a struct vfm_domain belongs to its worker thread, except
 * its removal fields, which the event-loop thread sets under 'lock'.
 */
#ifndef VFM_VIRT_H
#define VFM_VIRT_H

#include <libvirt/libvirt.h>

#include "vfm.h"
#include "vfo_ctl_conn.h"
#include "vfo_tsa.h"

/** What vfmigrate knows of the domain's VF interface (from its live XML). */
struct vfm_iface {
	char alias[64];	    /**< <alias name>, "" when none */
	char mac[18];	    /**< <mac address> */
	char type[16];	    /**< interface type: hostdev, network, ... */
	char network[64];   /**< <source network>, "" when none */
	char host_pci[16];  /**< hostdev source PCI address (0000:03:10.2), "" */
	char target[64];    /**< <target dev> (tap of a virtio interface), "" */
	char model[32];	    /**< <model type> (a stand-in's virtio/e1000), "" */
	char *guest_addr;   /**< its guest <address .../> element (malloc'd), or NULL */
	char *reattach_xml; /**< XML attaching the same device again (malloc'd) */
};

/** The other interfaces of the domain (the virtio backup and its peers). */
struct vfm_others {
	char backup_tap[64];	  /**< tap of the backup interface ("" when none) */
	char backup_mac[18];	  /**< its MAC */
	char backup_alias[64];	  /**< its alias (the same on both hosts) */
	char networks[8][64];	  /**< <source network> of each (deduplicated) */
	unsigned int nb_networks; /**< entries used in networks */
};

/**
 * Finds in domain XML 'xml' the interface whose alias (or, with 'is_mac',
 * MAC) is 'vf', skipping the one with alias 'skip' (not NULL: the backup,
 * which may share the VF's MAC), and fills 'out' (free with
 * vfm_iface_clear).  Returns 0, or -1 with 'err' naming the interfaces
 * there are (or, for a MAC on two of them, asking for the alias).
 */
int vfm_xml_find_vf(const char *xml, const char *vf, bool is_mac, const char *skip,
		    struct vfm_iface *out, char *err, size_t errlen);

/** Frees what vfm_xml_find_vf allocated in 'f'. */
void vfm_iface_clear(struct vfm_iface *f);

/**
 * Fills 'out' with the interfaces of domain XML 'xml' other than the one
 * with MAC 'vf_mac' and alias 'vf_alias'; the backup is the first of them
 * with the VF's MAC, else the first.  Returns the number of interfaces.
 */
int vfm_xml_others(const char *xml, const struct vfm_iface *vf, struct vfm_others *out);

/**
 * Returns the host-side UNIX socket path of the <channel type='unix'> of
 * domain XML 'xml' whose virtio target is called 'name' (malloc'd), or
 * NULL when there is none.
 */
char *vfm_xml_channel_path(const char *xml, const char *name);

/**
 * Returns the XML of an interface from network pool 'network' with the
 * MAC, user alias, guest address and model (a stand-in's; a real VF has
 * none) of 'vf' (malloc'd), or NULL when memory is short.
 */
char *vfm_xml_pool_iface(const char *network, const struct vfm_iface *vf);

/**
 * Returns the device XML of file 'path' (an <interface>) with its MAC set
 * to vf's, and vf's user alias and guest address added when it has none
 * (malloc'd), or NULL with 'err' set.
 */
char *vfm_xml_file_iface(const char *path, const struct vfm_iface *vf, char *err, size_t errlen);

/**
 * Names the device that interface XML 'iface' (an <interface> element)
 * attaches, so that it can be counted among a host's domains: "pci:ADDR"
 * for one with a host PCI <source><address> (a VF), else
 * "dev:TYPE:SOURCE:MODEL" (an emulated stand-in: its type, source network,
 * bridge or dev, and model).  Returns 0, or -1 when it is not an interface.
 */
int vfm_xml_dev_key(const char *iface, char *key, size_t len);

/**
 * Counts the interfaces of domain XML 'xml' that attach device 'key'
 * (vfm_xml_dev_key) and, into *mac_hits, those with MAC 'mac'.  Returns
 * the count (0 when the XML does not parse).
 */
int vfm_xml_count_dev(const char *xml, const char *key, const char *mac, int *mac_hits);

/**
 * Reads network XML 'xml': its forward mode into 'mode' ("" when none),
 * the devices of its pool into *total and those in use into *used.
 * Returns 0, or -1 when the XML does not parse.
 */
int vfm_xml_pool(const char *xml, char *mode, size_t modelen, int *total, int *used);

/** The libvirt connections of a run (shared by the workers). */
struct vfm_conns {
	virConnectPtr src;   /**< the source host */
	virConnectPtr dst;   /**< the destination host */
	virConnectPtr check; /**< test:///default: validates device XML offline */
};

/**
 * Registers libvirt's default event loop and starts a thread running it.
 * Call before opening any connection.  Returns 0, or -1 with 'err' set.
 */
int vfm_events_start(char *err, size_t errlen);

/** Stops the event-loop thread. */
void vfm_events_stop(void);

/** Returns libvirt's last error message of this thread (never NULL). */
const char *vfm_virt_error(void);

/** Opens 'uri' (NULL: default).  Returns it, or NULL with 'err' set. */
virConnectPtr vfm_open(const char *uri, const char *what, char *err, size_t errlen);

/**
 * Checks device XML 'dev' against libvirt's schema and parser by defining
 * (and at once undefining) a throwaway domain on 'check' (test:///default).
 * Returns 0, or -1 with libvirt's complaint in 'err'.
 */
int vfm_validate_device(virConnectPtr check, const char *dev, char *err, size_t errlen);

/**
 * Checks that network 'name' exists and is active on 'conn', and, when it
 * is a hostdev pool, has a free device.  Adds what it saw to 'detail'.
 * Returns 0, or -1 with 'err' set.
 */
int vfm_check_network(virConnectPtr conn, const char *name, const char *where, json_t *detail,
		      char *err, size_t errlen);

/** One domain's migration: the context of vfm_domain_ops. */
struct vfm_domain {
	const struct vfm_opts *o;      /**< the run's options */
	const struct vfm_conns *conns; /**< the run's connections */
	const char *name;	       /**< the domain's name */
	struct vfm_timeline *tl;       /**< its timeline (progress notes) */
	volatile sig_atomic_t *cancel; /**< Ctrl-C flag */
	virDomainPtr src;	       /**< the domain on the source */
	virDomainPtr dst;	       /**< the domain on the destination, once there */
	struct vfm_iface vf;	       /**< its VF interface (preflight) */
	struct vfm_others others;      /**< its other interfaces (preflight) */
	char *dst_attach_xml;	       /**< what attaches its VF on the destination */
	char *dest_xml;		       /**< --xml file's content, or NULL */
	char channel[2][108];	       /**< guest channel per side ("": not known yet) */
	struct vfo_ctl_conn *guest;    /**< open guest channel connection, or NULL */
	enum vfm_side guest_side;      /**< which side 'guest' is connected on */
	char dst_key[200];	       /**< names its VF reservations: host UUID (preflight) */
	char resv_id[40];	       /**< this run's VF reservation there, "": none */
	/* Written by libvirt's event thread, read by the domain's worker, both
	 * with 'lock' held. */
	struct vfo_mutex lock; /**< guards removed / removal_failed */
	pthread_cond_t cond;   /**< signalled when one of them is set (CLOCK_MONOTONIC) */
	bool removed;	       /**< DEVICE_REMOVED for the VF's alias came */
	bool removal_failed;   /**< DEVICE_REMOVAL_FAILED came */
};

/** Prepares 'd' for domain 'name'.  Returns 0, or -1 when 'lock' fails. */
int vfm_domain_init(struct vfm_domain *d, const char *name, const struct vfm_opts *o,
		    const struct vfm_conns *conns, struct vfm_timeline *tl,
		    volatile sig_atomic_t *cancel);

/** Frees what 'd' holds (domains, XML, guest connection). */
void vfm_domain_fini(struct vfm_domain *d);

/** The real actions: libvirt, the guest channel, the hooks. */
extern const struct vfm_ops vfm_domain_ops;

/* The guest's actions (vfm_guest.c), as in struct vfm_ops. */
int vfm_guest_check(void *ctx, json_t *detail, char *err, size_t errlen);
int vfm_guest_prepare(void *ctx, json_t *detail, char *err, size_t errlen);
int vfm_guest_vf(void *ctx, enum vfm_side side, json_t *detail, char *err, size_t errlen);

/* The steering hook (vfm_hook.c), as in struct vfm_ops. */
int vfm_hook_steer(void *ctx, enum vfm_steer to, enum vfm_side side, json_t *detail, char *err,
		   size_t errlen);

#endif /* VFM_VIRT_H */
