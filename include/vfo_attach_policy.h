/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_attach_policy.h — which devargs the "attach" command may probe as an
 * uplink's VF.
 *
 * "attach" comes over the control socket or, in a guest, over the host's
 * virtio-serial channel; devargs name any DPDK driver, and some write files
 * or open sockets where their arguments say (net_pcap's tx_pcap=FILE wrote
 * 317 MB in half a second).  So by default attach probes only the VF's own
 * kind of device:
 *   - the same bus as the devargs the VF was started with (a PCI address
 *     stays a PCI address: any address, as a migrated VF gets a new one; the
 *     device's kernel binding picks its driver);
 *   - on the vdev bus, the same driver: the device name starts with the
 *     driver name the VF was probed with ("net_memif1" for net_memif; its
 *     "eth_" alias too), or is the VF's own name; with any arguments.
 * The operator widens this with --attach-allow (INI attach-allow): a list
 * of vdev driver names ("net_pcap"), bus names ("pci", "vdev": any device on
 * that bus) or "any".  A refused attach changes nothing: the check runs
 * before anything is probed or stored.
 *
 * Devargs are read as DPDK's "[BUS:]NAME[,KEY=VALUE...]"; the key=value
 * form that starts with "bus=" or "class=" is refused (give BUS:NAME,ARGS).
 *
 * Plain C (no DPDK): the control protocol's fuzz harness and the unit tests
 * use it as is.  Thread-safety: functions are reentrant; a policy is
 * written once (init) and then only read.
 */
#ifndef VFO_ATTACH_POLICY_H
#define VFO_ATTACH_POLICY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most entries in an allow list. */
#define VFO_ATTACH_ALLOW_MAX 8
/** Longest bus, driver or device name kept (with its NUL). */
#define VFO_ATTACH_NAME_MAX 64
/** Longest allow list accepted, as written (with its NUL). */
#define VFO_ATTACH_ALLOW_LEN 256

/** What an uplink's VF may be attached as. */
struct vfo_attach_policy {
	char bus[VFO_ATTACH_NAME_MAX];	  /**< bus of the VF as started: "pci", "vdev", ... */
	char name[VFO_ATTACH_NAME_MAX];	  /**< its device name as started ("net_memif0") */
	char driver[VFO_ATTACH_NAME_MAX]; /**< driver it was probed with, "" if unknown */
	unsigned int nb_allow;		  /**< entries in allow[] */
	char allow[VFO_ATTACH_ALLOW_MAX][VFO_ATTACH_NAME_MAX]; /**< the operator's extras */
};

/**
 * Splits 'devargs' into its bus (explicit "BUS:" prefix of a known bus, else
 * "pci" for a PCI address, else "vdev") and device name (up to the first
 * ',').  Returns 0, or -1 with 'err' naming the problem (empty, a name too
 * long, the key=value form).
 */
int vfo_devargs_split(const char *devargs, char *bus, size_t buslen, char *name, size_t namelen,
		      char *err, size_t errlen);

/**
 * Checks the allow list 'list' ("" or NULL: none; else comma-separated
 * names of letters, digits and '_', at most VFO_ATTACH_ALLOW_MAX) and, when
 * 'p' is not NULL, stores it in 'p'.  Returns 0, or -1 with 'err' naming
 * the bad entry.
 */
int vfo_attach_allow_parse(const char *list, struct vfo_attach_policy *p, char *err, size_t errlen);

/**
 * Fills 'p' for a VF started from 'devargs' and probed by 'driver' (NULL or
 * "": unknown; then vdev names must match the VF's own name up to its
 * trailing digits), with the allow list 'allow'.  Returns 0, or -1 with
 * 'err' set.
 */
int vfo_attach_policy_init(struct vfo_attach_policy *p, const char *devargs, const char *driver,
			   const char *allow, char *err, size_t errlen);

/**
 * Returns 0 when 'p' lets attach probe 'devargs', or -1 with 'why' naming
 * the culprit and the fix (the devargs' driver or bus, the VF's, and the
 * --attach-allow that would let it through).
 */
int vfo_attach_policy_check(const struct vfo_attach_policy *p, const char *devargs, char *why,
			    size_t whylen);

#ifdef __cplusplus
}
#endif

#endif /* VFO_ATTACH_POLICY_H */
