/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_evac.h — host evacuation's libvirt side (vfm_evac_virt.c): the
 * vfailover domains of a host, its CPU time, the wait for a load
 * threshold.  The summary is in vfm.h (no libvirt).
 *
 * Thread-safety: called by vfmigrate's main thread before the workers
 * start.
 */
#ifndef VFM_EVAC_H
#define VFM_EVAC_H

#include "vfm_virt.h"
#include "vfo_errf.h"

/**
 * Fills names[0..max) with the running domains of 'src' that are
 * vfailover domains: their live XML has the guest channel
 * (o->channel_name; not needed with o->no_guest) and the VF interface
 * o->vf.  Names are malloc'd, sorted.  Returns how many, or -1 with 'err'.
 */
int vfm_evac_domains(virConnectPtr src, const struct vfm_opts *o, char **names, unsigned int max,
		     char *err, size_t errlen);

/** Samples the CPU time of host 'c' into 's'.  Returns 0, or -1 with 'err'. */
int vfm_node_cpu(virConnectPtr c, struct vfm_cpu_sample *s, char *err, size_t errlen);

/**
 * Waits until the CPUs of 'src' have been o->load_threshold percent busy
 * or more in o->load_samples samples in a row, o->load_interval_s apart,
 * adding each sample ({t_ms, busy_pct}) to array 'trace'.  Returns 0, or
 * -1 with 'err' (the statistics fail, or *cancel was set).
 */
int vfm_evac_wait_load(virConnectPtr src, const struct vfm_opts *o, volatile sig_atomic_t *cancel,
		       json_t *trace, char *err, size_t errlen);

#endif /* VFM_EVAC_H */
