/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_service.c — what vfailover does for systemd: where its rte_log lines
 * go, and telling the service manager when it is ready and stopping.
 *
 * Logs.  DPDK 22.11 writes every rte_log line to stderr and copies it to syslog.
 * Under systemd both reach the journal: every line twice, and all at one
 * priority.  When stderr is the journal (systemd sets JOURNAL_STREAM to its
 * device and inode), vfailover gives rte_log a stream of its own instead:
 * stderr only, each line prefixed with "<N>", its syslog priority, which
 * the journal strips and files the line under (sd-daemon(3)).  Elsewhere
 * DPDK's default stays.
 *
 * Readiness.  Under a Type=notify unit (NOTIFY_SOCKET set), vfailover sends
 * "READY=1" once it forwards and "STOPPING=1" when it stops: one datagram
 * each, as sd_notify(3) does, so that units ordered after it start once
 * traffic flows.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_log.h>

#include "app.h"
#include "vfo_log.h"

RTE_LOG_REGISTER(vfo_stats_logtype, vfailover.stats, INFO);

/* True when the next byte written starts a line (the stream is unbuffered,
 * so a line can arrive in pieces; writes are serialised by the FILE lock,
 * which TSan does not see inside glibc: hence the atomic accesses). */
static bool at_line_start = true;

/*
 * fopencookie write function: copies 'buf' to stderr, starting each line
 * with the syslog priority of the rte_log message being written.
 */
static ssize_t
journal_write(void *cookie, const char *buf, size_t size)
{
	int prio = (int)rte_log_cur_msg_loglevel() - 1; /* RTE_LOG_EMERG is 1, LOG_EMERG 0 */
	size_t off = 0, len;
	const char *nl;

	(void)cookie;
	if (prio < 0 || prio > 7)
		prio = 6; /* LOG_INFO */
	while (off < size) {
		nl = memchr(buf + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (buf + off)) + 1 : size - off;
		if (__atomic_load_n(&at_line_start, __ATOMIC_RELAXED))
			fprintf(stderr, "<%d>", prio);
		fwrite(buf + off, 1, len, stderr);
		__atomic_store_n(&at_line_start, nl != NULL, __ATOMIC_RELAXED);
		off += len;
	}
	fflush(stderr);
	return (ssize_t)size;
}

/* Returns true when JOURNAL_STREAM names the file stderr is open on. */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
vfo_app_log_init(void)
{
	static const cookie_io_functions_t io = {.write = journal_write};
	FILE *f;

	if (!stderr_is_journal())
		return;
	f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return; /* DPDK's default stream still works */
	setvbuf(f, NULL, _IONBF, 0);
	rte_openlog_stream(f);
}

void
vfo_app_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len;
	int fd;

	if (path == NULL)
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		VFO_LOG(WARNING, "NOTIFY_SOCKET '%s' is not a socket path; systemd not told", path);
		return;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		VFO_LOG(WARNING, "cannot tell systemd '%s' through %s: %s", state, path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}
