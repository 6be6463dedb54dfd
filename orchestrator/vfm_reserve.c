/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_reserve.c — reservations of destination VFs.  Before it changes
 * anything, a run reserves the VF it will attach on the destination (and
 * the MAC it will carry there); the reservation is an entry in
 * DIR/dst-KEY.json (KEY: the destination's host UUID), read and written
 * only under an exclusive flock on DIR/dst-KEY.lock.  Whoever holds the
 * lock counts the destination's free VFs (libvirt's view, vfm_virt.c)
 * minus the entries, and adds its own, so two concurrent runs never count
 * the same free VF.  An entry goes when the VF is attached (libvirt
 * counts it then) or the run ends without it; entries of runs on this
 * machine that died are dropped by the next holder.
 *
 * Thread-safety: see struct vfm_resv (vfm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfm.h"
#include "vfo_errf.h"

/* Sequence numbers of this process's reservations (ids). */
static unsigned int resv_seq;

/* Returns this machine's name in 'buf' ("?" when unknown). */
static const char *
host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0 || buf[0] == '\0')
		snprintf(buf, len, "?");
	buf[len - 1] = '\0';
	return buf;
}

/* Returns true when entry 'e' belongs to a run on this machine that is gone. */
static bool
stale(const struct vfm_resv_entry *e)
{
	char me[64];

	return strcmp(e->host, host_name(me, sizeof(me))) == 0 && e->pid > 0 &&
	       kill((pid_t)e->pid, 0) != 0 && errno == ESRCH;
}

/* Copies string member 'key' of 'o' into buf[len]; false when it is missing. */
static bool
get_str(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || strlen(v) >= len)
		return false;
	memcpy(buf, v, strlen(v) + 1);
	return true;
}

/*
 * Reads the entries of file r->path (a missing or empty file: none).
 * Returns 0, or -1 with 'err' set when it is not a reservation file.
 */
static int
load(struct vfm_resv *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *a, *o;
	struct stat st;
	size_t i;

	if (stat(r->path, &st) != 0 || st.st_size == 0)
		return 0;
	root = json_load_file(r->path, 0, &je);
	a = json_object_get(root, "reservations");
	if (!json_is_array(a)) {
		json_decref(root);
		return vfo_errf(err, errlen,
				"%s is not a vfmigrate reservation file (%s); remove it when no "
				"vfmigrate runs",
				r->path, root == NULL ? je.text : "no \"reservations\" array");
	}
	json_array_foreach(a, i, o)
	{
		struct vfm_resv_entry *e = &r->e[r->n];
		json_t *pid = json_object_get(o, "pid");

		memset(e, 0, sizeof(*e));
		if (r->n == VFM_RESV_MAX || !get_str(o, "id", e->id, sizeof(e->id)) ||
		    !get_str(o, "vf", e->vf, sizeof(e->vf)) ||
		    !get_str(o, "mac", e->mac, sizeof(e->mac)) ||
		    !get_str(o, "domain", e->domain, sizeof(e->domain)) ||
		    !get_str(o, "host", e->host, sizeof(e->host)) || !json_is_integer(pid)) {
			json_decref(root);
			return vfo_errf(err, errlen,
					"%s: entry %zu is not a reservation; remove the file when "
					"no vfmigrate runs",
					r->path, i);
		}
		e->pid = (long)json_integer_value(pid);
		if (stale(e)) {
			r->dropped++;
			r->dirty = true;
			continue;
		}
		r->n++;
	}
	json_decref(root);
	return 0;
}

int
vfm_resv_open(struct vfm_resv *r, const char *dir, const char *key, char *err, size_t errlen)
{
	char lock[sizeof(r->path)];

	r->fd = -1;
	r->n = r->dropped = 0;
	r->dirty = false;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return vfo_errf(err, errlen, "cannot create the reservation directory %s: %s%s",
				dir, strerror(errno),
				errno == EACCES ? " (run as root, or give --lock-dir)" : "");
	if ((size_t)snprintf(r->path, sizeof(r->path), "%s/dst-%s.json", dir, key) >=
		    sizeof(r->path) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s/dst-%s.lock", dir, key) >= sizeof(lock))
		return vfo_errf(err, errlen, "--lock-dir %s: the path is too long", dir);
	r->fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (r->fd < 0)
		return vfo_errf(err, errlen, "cannot open the reservation lock %s: %s", lock,
				strerror(errno));
	while (flock(r->fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int e = errno;

			close(r->fd);
			r->fd = -1;
			return vfo_errf(err, errlen, "cannot lock %s: %s", lock, strerror(e));
		}
	}
	if (load(r, err, errlen) != 0) {
		flock(r->fd, LOCK_UN);
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	return 0;
}

unsigned int
vfm_resv_count(const struct vfm_resv *r, const char *vf, const char *except)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += strcmp(r->e[i].vf, vf) == 0 && (except == NULL || strcmp(r->e[i].id, except));
	return n;
}

const struct vfm_resv_entry *
vfm_resv_mac(const struct vfm_resv *r, const char *mac, const char *except)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (strcasecmp(r->e[i].mac, mac) == 0 &&
		    (except == NULL || strcmp(r->e[i].id, except) != 0))
			return &r->e[i];
	return NULL;
}

int
vfm_resv_add(struct vfm_resv *r, const char *vf, const char *mac, const char *domain, char *id)
{
	struct vfm_resv_entry *e;
	char host[sizeof(e->host)];

	if (r->n == VFM_RESV_MAX)
		return -1;
	e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	host_name(host, sizeof(host));
	memcpy(e->host, host, sizeof(host));
	e->pid = (long)getpid();
	snprintf(e->id, sizeof(e->id), "%.16s-%ld-%u", host, e->pid,
		 __atomic_fetch_add(&resv_seq, 1, __ATOMIC_RELAXED));
	snprintf(e->vf, sizeof(e->vf), "%s", vf);
	snprintf(e->mac, sizeof(e->mac), "%s", mac);
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	memcpy(id, e->id, sizeof(e->id));
	r->dirty = true;
	return 0;
}

bool
vfm_resv_remove(struct vfm_resv *r, const char *id)
{
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->e[i].id, id) != 0)
			continue;
		memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(r->e[0]));
		r->n--;
		r->dirty = true;
		return true;
	}
	return false;
}

/* Writes the entries to r->path (a new file renamed over it); 0 or -1. */
static int
save(const struct vfm_resv *r, char *err, size_t errlen)
{
	json_t *a = json_array(), *root;
	char tmp[sizeof(r->path) + 8];
	unsigned int i;
	int rc;

	for (i = 0; i < r->n; i++) {
		const struct vfm_resv_entry *e = &r->e[i];

		json_array_append_new(a, json_pack("{ss ss ss ss ss sI}", "id", e->id, "vf", e->vf,
						   "mac", e->mac, "domain", e->domain, "host",
						   e->host, "pid", (json_int_t)e->pid));
	}
	root = json_pack("{so}", "reservations", a);
	snprintf(tmp, sizeof(tmp), "%s.new", r->path);
	rc = json_dump_file(root, tmp, JSON_INDENT(1));
	json_decref(root);
	if (rc != 0 || rename(tmp, r->path) != 0) {
		unlink(tmp);
		return vfo_errf(err, errlen, "cannot write the reservations to %s: %s", r->path,
				strerror(errno));
	}
	return 0;
}

int
vfm_resv_close(struct vfm_resv *r, char *err, size_t errlen)
{
	int rc = 0;

	if (r->fd < 0)
		return 0;
	if (r->dirty)
		rc = save(r, err, errlen);
	flock(r->fd, LOCK_UN);
	close(r->fd);
	r->fd = -1;
	return rc;
}
