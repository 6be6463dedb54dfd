/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_hook.c — the host steering hooks: --steer-backup before the VF is
 * detached, --steer-vf once the guest is on a VF again (and in a
 * rollback).  A hook runs as  sh -c CMD vfm-hook DOMAIN MAC BACKUP_TAP SIDE
 * with the VFM_* variables below added to vfmigrate's environment, under
 * a deadline (--hook-timeout; its process group is killed after it, so
 * nothing it started is left behind).  Exit status 0 = done.
 *
 *   VFM_STEER       backup | vf
 *   VFM_SIDE        src | dst: the host the hook acts on
 *   VFM_URI         that host's libvirt URI
 *   VFM_DOMAIN      the domain
 *   VFM_MAC         the guest's VF MAC
 *   VFM_BACKUP_TAP  the backup interface's tap on that host (from its live XML)
 *   VFM_VF_HOST_PCI the VF's host PCI address there, when attached
 *
 * Thread-safety: posix_spawn only; builds its environment per call.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "vfm_virt.h"

extern char **environ;

/** How many VFM_* variables a hook gets. */
#define HOOK_VARS 7

/** How often a running hook is checked (ms). */
#define HOOK_POLL_MS 2

/*
 * Returns the environment for a hook: 'environ' plus 'vars' (n of them).
 * The array is malloc'd, its strings borrowed.  NULL when memory is short.
 */
static char **
hook_env(char **vars, size_t n)
{
	size_t count = 0, i;
	char **env;

	while (environ[count] != NULL)
		count++;
	env = calloc(count + n + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		env[i] = vars[i];
	for (i = 0; i < count; i++)
		env[n + i] = environ[i];
	return env;
}

/*
 * Waits for hook 'pid' until 'timeout_ms'; kills it after.  Returns its
 * wait status, or -1 when it was killed for the timeout.
 */
static int
wait_hook(pid_t pid, unsigned int timeout_ms)
{
	uint64_t deadline = vfo_mono_ms() + timeout_ms;
	struct timespec ts = {.tv_nsec = HOOK_POLL_MS * 1000000L};
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (vfo_mono_ms() >= deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
}

/*
 * Reads from the live XML of the domain on 'side' its backup tap and the
 * VF's host PCI address into the buffers ("" when unknown).
 */
static void
side_devices(struct vfm_domain *d, enum vfm_side side, char *tap, size_t taplen, char *pci,
	     size_t pcilen)
{
	virDomainPtr dom = side == VFM_SRC ? d->src : d->dst;
	char *xml = dom != NULL ? virDomainGetXMLDesc(dom, 0) : NULL, err[256];
	struct vfm_iface f;

	tap[0] = pci[0] = '\0';
	if (xml == NULL)
		return;
	/* The backup keeps its alias across the migration; the VF may not. */
	if (vfm_xml_find_vf(xml, d->others.backup_alias, false, NULL, &f, err, sizeof(err)) == 0)
		snprintf(tap, taplen, "%s", f.target);
	vfm_iface_clear(&f);
	if (vfm_xml_find_vf(xml, d->vf.mac, true, d->others.backup_alias, &f, err, sizeof(err)) ==
	    0)
		snprintf(pci, pcilen, "%s", f.host_pci);
	vfm_iface_clear(&f);
	free(xml);
}

/* Op "steer": runs the hook for 'to' on 'side' (none given: done at once). */
int
vfm_hook_steer(void *ctx, enum vfm_steer to, enum vfm_side side, json_t *detail, char *err,
	       size_t errlen)
{
	struct vfm_domain *d = ctx;
	const char *cmd = to == VFM_STEER_BACKUP ? d->o->steer_backup : d->o->steer_vf;
	const char *sname = side == VFM_SRC ? "src" : "dst";
	const char *uri = side == VFM_SRC ? d->o->src_uri : d->o->dst_uri;
	char tap[64], pci[16], *vars[HOOK_VARS] = {NULL}, **env = NULL;
	char *argv[] = {"sh",	   "-c", (char *)cmd,	"vfm-hook", (char *)d->name,
			d->vf.mac, tap,	 (char *)sname, NULL};
	uint64_t t0 = vfo_mono_ms();
	int status = -1, rc = VFM_STEP_FAIL, i;
	posix_spawnattr_t attr;
	pid_t pid;

	if (cmd == NULL) {
		json_object_set_new(detail, "hook", json_string("none"));
		return VFM_STEP_OK;
	}
	side_devices(d, side, tap, sizeof(tap), pci, sizeof(pci));
	if (asprintf(&vars[0], "VFM_STEER=%s", to == VFM_STEER_BACKUP ? "backup" : "vf") < 0 ||
	    asprintf(&vars[1], "VFM_SIDE=%s", sname) < 0 ||
	    asprintf(&vars[2], "VFM_URI=%s", uri != NULL ? uri : "") < 0 ||
	    asprintf(&vars[3], "VFM_DOMAIN=%s", d->name) < 0 ||
	    asprintf(&vars[4], "VFM_MAC=%s", d->vf.mac) < 0 ||
	    asprintf(&vars[5], "VFM_BACKUP_TAP=%s", tap) < 0 ||
	    asprintf(&vars[6], "VFM_VF_HOST_PCI=%s", pci) < 0 ||
	    (env = hook_env(vars, HOOK_VARS)) == NULL) {
		snprintf(err, errlen, "hook: out of memory");
		goto out;
	}
	json_object_set_new(detail, "hook", json_string(cmd));
	json_object_set_new(detail, "backup_tap", json_string(tap));
	json_object_set_new(detail, "vf_host_pci", json_string(pci));
	/* Its own process group, so that a timeout kills what it started too. */
	errno = posix_spawnattr_init(&attr);
	if (errno == 0 && (errno = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP)) == 0)
		errno = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	if (errno != 0) {
		snprintf(err, errlen, "cannot run hook '%s': %s", cmd, strerror(errno));
		goto out;
	}
	status = wait_hook(pid, d->o->hook_timeout_ms);
	json_object_set_new(detail, "hook_ms", json_integer((json_int_t)(vfo_mono_ms() - t0)));
	if (status == -1)
		snprintf(err, errlen, "hook '%s' ran over %u ms and was killed (--hook-timeout)",
			 cmd, d->o->hook_timeout_ms);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "hook '%s' failed (exit status %d)", cmd,
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	else
		rc = VFM_STEP_OK;
	json_object_set_new(
		detail, "exit",
		json_integer(status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1));
out:
	free(env);
	for (i = 0; i < HOOK_VARS; i++)
		free(vars[i]);
	return rc;
}
