/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm.h — vfmigrate, the host-side migration orchestrator: what its
 * modules share.
 *
 *   vfm_args.c      command line -> struct vfm_opts
 *   vfm_timeline.c  per-domain timeline of steps (monotonic ms), progress lines
 *   vfm_seq.c       the step sequencer and its rollback, over struct vfm_ops
 *   vfm_reserve.c   reservations of destination VFs, under a lock shared by
 *                   every vfmigrate run that migrates to that host
 *   vfm_xml.c       domain / network / device XML (libxml2): find the VF,
 *                   its backup and the guest channel, build attach XML
 *   vfm_virt.c      libvirt: connections, event loop, preflight, detach and
 *                   its DEVICE_REMOVED wait, migration with job statistics,
 *                   attach
 *   vfm_guest.c     the guest's control protocol over its virtio-serial channel
 *   vfm_hook.c      the host steering hooks
 *   vfm_evac.c      --evacuate: the summary of a run, the source's CPU load
 *   vfm_evac_virt.c --evacuate's libvirt side: the vfailover domains of a
 *                   host, its CPU time
 *   vfm_main.c      the domain list, --parallel workers, Ctrl-C, the report
 *
 * The sequencer only calls struct vfm_ops, so tests drive it with fakes;
 * vfm_domain_ops (vfm_virt.c, vfm_guest.c, vfm_hook.c) is the real one.
 *
 * Thread-safety: one struct vfm_domain and its timeline per worker thread;
 * the libvirt connections (struct vfm_conns) are shared (libvirt's are
 * thread-safe); progress lines are written under one lock.
 */
#ifndef VFM_H
#define VFM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vfo_clock.h"

/** Most domains one run migrates. */
#define VFM_MAX_DOMAINS 64
/** The guest channel's default virtio-serial target name. */
#define VFM_CHANNEL_NAME "org.vfailover.0"

/* ------------------------------------------------------------------ options */

/** What vfmigrate was told (vfm_args_parse). */
struct vfm_opts {
	const char *domains[VFM_MAX_DOMAINS]; /**< domain names, in order */
	unsigned int nb_domains;	      /**< entries in domains */
	const char *src_uri;		      /**< --src URI (NULL: libvirt's default) */
	const char *dst_uri;		      /**< --dst URI (required) */
	const char *vf;			      /**< --vf ALIAS|MAC: the VF interface */
	bool vf_is_mac;			      /**< vf is a MAC address */
	const char *vf_network;		      /**< --vf-network: destination hostdev pool */
	const char *vf_xml;		      /**< --vf-xml FILE: destination device XML */
	const char *channel;		      /**< --channel PATH: guest channel, source host end */
	const char *channel_dst;	      /**< --channel-dst PATH: same after migration */
	const char *channel_name;	      /**< --channel-name (default VFM_CHANNEL_NAME) */
	const char *uplink;		      /**< --uplink NAME: the guest uplink (NULL: all) */
	const char *steer_backup;	      /**< --steer-backup CMD hook, or NULL */
	const char *steer_vf;		      /**< --steer-vf CMD hook, or NULL */
	const char *xml;       /**< --xml FILE|DIR: destination definition (DIR/DOMAIN.xml) */
	const char *json_path; /**< --json FILE ("-": stdout), or NULL */
	bool live;	       /**< --live */
	bool p2p;	       /**< --p2p */
	bool persistent;       /**< --persistent */
	bool undefine_source;  /**< --undefine-source */
	bool no_guest;	       /**< --no-guest: no vfailover in the guest */
	bool quiet;	       /**< --quiet: no progress lines */
	bool help;	       /**< --help */
	unsigned int max_downtime_ms;	/**< --max-downtime (0: libvirt's default) */
	unsigned int bandwidth_mibs;	/**< --bandwidth MiB/s (0: unlimited) */
	unsigned int parallel;		/**< --parallel N (default 1) */
	unsigned int detach_timeout_ms; /**< --detach-timeout (default 10000) */
	unsigned int guest_timeout_ms;	/**< --guest-timeout (default 10000) */
	unsigned int hook_timeout_ms;	/**< --hook-timeout (default 30000) */
	unsigned int timeout_ms;	/**< --timeout: abort the migration job past it (0: none) */
	bool no_vf_backup;		/**< --no-vf backup: migrate without a free VF */
	const char *lock_dir;		/**< --lock-dir (default VFM_LOCK_DIR) */
	bool evacuate;			/**< --evacuate: every vfailover domain of --src */
	bool keep_going;		/**< --on-failure continue (default stop) */
	bool on_failure_given;		/**< --on-failure was given */
	unsigned int load_threshold;	/**< --load-threshold PCT: evacuate once the source's
					 * CPU is that busy (0: at once) */
	unsigned int load_interval_s;	/**< --load-interval S between CPU samples */
	unsigned int load_samples;	/**< --load-samples N in a row at or above it */
};

/** Where reservations of destination VFs live unless --lock-dir says. */
#define VFM_LOCK_DIR "/run/vfmigrate"

/**
 * Parses argv[0..argc) (argv[0]: program name) into 'o' (reset first).
 * Returns 0 (o->help set: print usage), or -1 with one line in 'err'
 * naming the culprit and the fix.
 */
int vfm_args_parse(int argc, char **argv, struct vfm_opts *o, char *err, size_t errlen);

/** Prints the usage text to 'f'. */
void vfm_args_usage(FILE *f);

/* ----------------------------------------------------------------- timeline */

/** The timeline of one domain's run. */
struct vfm_timeline {
	const char *domain;	   /**< named in progress lines */
	uint64_t t0_ms;		   /**< CLOCK_MONOTONIC ms at the start */
	json_t *steps;		   /**< array of step objects */
	FILE *progress;		   /**< where progress lines go, NULL: nowhere */
	pthread_mutex_t *out_lock; /**< serializes progress lines, or NULL */
};

/** Starts timeline 'tl' now.  Returns 0, or -1 when memory is short. */
int vfm_tl_init(struct vfm_timeline *tl, const char *domain, FILE *progress,
		pthread_mutex_t *out_lock);

/**
 * Opens step 'name' ({"step","start_ms"}; "rollback":true when 'rollback').
 * Returns the step object (borrowed; filled by vfm_tl_end, which prints
 * the step's one progress line).
 */
json_t *vfm_tl_begin(struct vfm_timeline *tl, const char *name, bool rollback);

/**
 * Closes 'step': sets "end_ms", "ms", "ok", "error" (when 'error' is not
 * NULL) and "detail" (stolen; NULL or empty: none), and prints its
 * progress line.
 */
void vfm_tl_end(struct vfm_timeline *tl, json_t *step, bool ok, const char *error, json_t *detail);

/** Prints a progress line for 'tl' (printf-style; not recorded). */
void vfm_tl_note(struct vfm_timeline *tl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Frees the steps of 'tl'. */
void vfm_tl_free(struct vfm_timeline *tl);

/* ---------------------------------------------------------------- sequencer */

/** Which host a step acts on. */
enum vfm_side {
	VFM_SRC, /**< the source host */
	VFM_DST, /**< the destination host */
};

/** Where host steering sends the guest MAC's traffic. */
enum vfm_steer {
	VFM_STEER_BACKUP, /**< to the virtio backup's tap */
	VFM_STEER_VF,	  /**< back to the VF */
};

/** How a step ended: 0 or one of these. */
enum vfm_step_rc {
	VFM_STEP_OK = 0,	 /**< done */
	VFM_STEP_FAIL = -1,	 /**< failed, err says why */
	VFM_STEP_CANCELLED = -2, /**< stopped by Ctrl-C */
	VFM_STEP_NO_VF = -3,	 /**< the destination has no free VF (reserve, attach) */
};

/**
 * The actions of a migration.  Each fills 'detail' (a JSON object it may
 * add fields to) and, on failure, 'err'; returns an enum vfm_step_rc.
 */
struct vfm_ops {
	/** Libvirt side of preflight: changes nothing. */
	int (*preflight)(void *ctx, json_t *detail, char *err, size_t errlen);
	/** The guest answers on its channel and reports its backup up. */
	int (*guest_check)(void *ctx, json_t *detail, char *err, size_t errlen);
	/** The guest moves TX to the backup and releases the VF. */
	int (*guest_prepare)(void *ctx, json_t *detail, char *err, size_t errlen);
	/** The guest takes the VF on 'side' back; waits until TX is on it. */
	int (*guest_vf)(void *ctx, enum vfm_side side, json_t *detail, char *err, size_t errlen);
	/** Runs the steering hook 'to' on 'side' (no hook: done). */
	int (*steer)(void *ctx, enum vfm_steer to, enum vfm_side side, json_t *detail, char *err,
		     size_t errlen);
	/** Detaches the VF on the source and waits until it is gone. */
	int (*detach)(void *ctx, json_t *detail, char *err, size_t errlen);
	/** Returns true while the VF is still attached on the source. */
	bool (*vf_on_source)(void *ctx);
	/** Migrates the domain (job statistics into detail); may be cancelled. */
	int (*migrate)(void *ctx, json_t *detail, char *err, size_t errlen);
	/**
	 * Attaches a VF with the same MAC on 'side'.  On the destination it
	 * takes the VF reserved for this run, or, holding none, a free one:
	 * VFM_STEP_NO_VF when there is none.
	 */
	int (*attach)(void *ctx, enum vfm_side side, json_t *detail, char *err, size_t errlen);
	/**
	 * Reserves a free VF on the destination (and the VF's MAC there), so
	 * that no concurrent run takes it: VFM_STEP_NO_VF when none is free,
	 * VFM_STEP_FAIL when the MAC is in use there or the reservation
	 * cannot be made.  Changes nothing else.
	 */
	int (*reserve)(void *ctx, json_t *detail, char *err, size_t errlen);
	/** Gives up this run's reservation, if it still holds one (idempotent). */
	void (*release)(void *ctx);
};

/** How a domain's run ended; vfm_outcome_exit() maps it to an exit status. */
enum vfm_outcome {
	VFM_DONE,	     /**< migrated, VF back, steered to it */
	VFM_NOT_STARTED,     /**< preflight failed or cancelled first: nothing changed */
	VFM_ROLLED_BACK,     /**< failed or cancelled, restored on the source */
	VFM_ON_BACKUP,	     /**< migrated, but left on the backup (attach / guest failed) */
	VFM_ROLLBACK_FAILED, /**< a rollback step failed: see the timeline */
	VFM_ON_BACKUP_NO_VF, /**< migrated, left on the backup: no free VF there */
	VFM_OUTCOME_COUNT,
};

/** One domain's run of the sequencer. */
struct vfm_run {
	const struct vfm_ops *ops;     /**< the actions */
	void *ctx;		       /**< their context */
	bool no_guest;		       /**< skip the guest steps */
	bool no_vf_backup;	       /**< no free VF at reserve: migrate anyway (else stop) */
	volatile sig_atomic_t *cancel; /**< set (Ctrl-C) to stop; NULL: never */
	struct vfm_timeline *tl;       /**< where the steps go */
	enum vfm_outcome outcome;      /**< set by vfm_seq_run */
	char error[512];	       /**< the first failure, "" when none */
};

/**
 * Runs preflight -> guest check -> reserve a VF on the destination ->
 * steer to backup -> prepare -> detach -> migrate -> attach on the
 * destination -> guest on the VF -> steer to the VF, and the rollback a
 * failure calls for; the reservation is released whenever the run ends
 * without the VF attached on the destination.  The host steers first so
 * that nothing is sent to a VF the guest has released.  Returns (and
 * sets) r->outcome.
 */
enum vfm_outcome vfm_seq_run(struct vfm_run *r);

/** Returns the outcome's name ("done", "rolled_back", ...). */
const char *vfm_outcome_name(enum vfm_outcome o);

/**
 * Returns the exit status for 'o': 0 done, 1 not started, 3 rolled back,
 * 4 on the backup, 5 rollback failed, 6 on the backup for want of a VF.
 */
int vfm_outcome_exit(enum vfm_outcome o);

/* ------------------------------------------------------------ reservations */

/** Most reservations one destination's file holds. */
#define VFM_RESV_MAX 256

/** One reservation of a destination VF. */
struct vfm_resv_entry {
	char id[40];	  /**< unique: HOST-PID-SEQ of the run that made it */
	char vf[160];	  /**< what is reserved: "pool:NAME", "pci:ADDR", "dev:..." */
	char mac[18];	  /**< the MAC the VF gets there */
	char domain[128]; /**< the domain migrating */
	char host[64];	  /**< the machine vfmigrate runs on */
	long pid;	  /**< its process id there */
};

/**
 * The reservations of one destination host, held under its lock: an
 * flock on DIR/dst-KEY.lock; the entries live in DIR/dst-KEY.json.
 * Thread-safety: one holder at a time (the flock also excludes other
 * threads of this process, each opening the lock file itself).
 */
struct vfm_resv {
	int fd;				       /**< the lock file, flock'ed; -1: not held */
	char path[512];			       /**< the JSON file */
	struct vfm_resv_entry e[VFM_RESV_MAX]; /**< the entries */
	unsigned int n;			       /**< entries in e */
	unsigned int dropped;		       /**< stale entries dropped on open */
	bool dirty;			       /**< e changed: write on close */
};

/**
 * Takes the lock of destination 'key' (its host UUID) in directory 'dir'
 * (created, mode 0700), waiting for other holders, and reads its entries,
 * dropping those of runs on this machine that are gone.  Returns 0, or
 * -1 with 'err' naming the file and the fix.
 */
int vfm_resv_open(struct vfm_resv *r, const char *dir, const char *key, char *err, size_t errlen);

/** Returns how many entries of 'r' reserve 'vf', leaving out entry 'except' (or NULL). */
unsigned int vfm_resv_count(const struct vfm_resv *r, const char *vf, const char *except);

/** Returns the entry of 'r' other than 'except' that reserves MAC 'mac', or NULL. */
const struct vfm_resv_entry *vfm_resv_mac(const struct vfm_resv *r, const char *mac,
					  const char *except);

/**
 * Adds an entry reserving 'vf' with 'mac' for 'domain' to 'r'; its id goes
 * to 'id' (40 bytes).  Returns 0, or -1 when the file is full.
 */
int vfm_resv_add(struct vfm_resv *r, const char *vf, const char *mac, const char *domain, char *id);

/** Removes entry 'id' from 'r'.  Returns true when it was there. */
bool vfm_resv_remove(struct vfm_resv *r, const char *id);

/**
 * Writes the entries if they changed (a new file renamed over the old)
 * and releases the lock.  Returns 0, or -1 with 'err' set (the lock is
 * released all the same).
 */
int vfm_resv_close(struct vfm_resv *r, char *err, size_t errlen);

/**
 * Whether the destination can give one more VF: 'capacity' VFs of that
 * kind in all (-1: no limit), 'in_use' attached to its domains, 'reserved'
 * by other runs.
 */
static inline bool
vfm_resv_free(int capacity, int in_use, unsigned int reserved)
{
	return capacity < 0 || in_use + (int)reserved < capacity;
}

/* --------------------------------------------------------------- evacuation */

/** CPU time of a host, from libvirt's node CPU statistics (ns). */
struct vfm_cpu_sample {
	uint64_t busy;	/**< kernel + user */
	uint64_t total; /**< busy + idle + iowait */
};

/**
 * Returns how busy the host's CPUs were between samples 'a' and 'b', in
 * percent (0 when no time passed).
 */
double vfm_cpu_busy_pct(const struct vfm_cpu_sample *a, const struct vfm_cpu_sample *b);

/**
 * Returns the summary of a run from its domain reports ('domains': the
 * report's array, a skipped domain has outcome "skipped") and the run's
 * length: counts by outcome, and per domain its outcome, total_ms, the
 * migration's downtime_ms and time_ms (libvirt's job statistics) and
 * vf_gap_ms (guest released the VF -> guest on the destination's VF), the
 * largest downtime and gap.  A new reference.
 */
json_t *vfm_evac_summary(const json_t *domains, uint64_t total_ms);

/** Prints 'summary' (vfm_evac_summary) as lines to 'f'. */
void vfm_evac_print(FILE *f, const json_t *summary, const char *src, const char *dst);

#endif /* VFM_H */
