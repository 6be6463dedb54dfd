/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_conn.c — a client connection of the JSON-lines control protocol
 * (see vfo_ctl_conn.h): send one request line, read reply lines until the
 * one with the request's id, all under a deadline in poll(2).
 *
 * Request ids come from one process-wide counter (atomic) that starts at
 * the wall-clock µs of the first request, so that a late reply meant for an
 * earlier connection, or an earlier run, never matches a new request (a
 * virtio-serial guest hands a reply it could not send to the host's next
 * connection).
 *
 * Thread-safety: one thread at a time per connection; the id counter is
 * atomic.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vfo_clock.h"
#include "vfo_ctl_conn.h"

/** A connection (opaque in vfo_ctl_conn.h). */
struct vfo_ctl_conn {
	int fd;	       /**< connected socket (nonblocking) */
	char *path;    /**< where it is connected (malloc'd) */
	char *in;      /**< VFO_CTL_CONN_REPLY_MAX bytes of unparsed input */
	size_t in_len; /**< bytes used in 'in' */
};

/* The next request id; 0 until the first request (see the top). */
static json_int_t next_id;

/* Returns a request id no other request of this process had. */
static json_int_t
new_id(void)
{
	json_int_t zero = 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	__atomic_compare_exchange_n(&next_id, &zero,
				    (json_int_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

/* Connects to UNIX socket 'path'; returns the connection or NULL with 'err' set. */
struct vfo_ctl_conn *
vfo_ctl_conn_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vfo_ctl_conn *c;
	size_t len = strlen(path);
	int fd;

	if (len == 0 || len >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path '%s' is %zu bytes; it must be 1 to %zu",
			 path, len, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		snprintf(err, errlen,
			 "cannot connect to control socket %s: %s; check the path (for a guest: "
			 "the host end of its virtio-serial channel) and that the peer runs",
			 path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL) {
		c->path = strdup(path);
		c->in = malloc(VFO_CTL_CONN_REPLY_MAX);
	}
	if (c == NULL || c->path == NULL || c->in == NULL) {
		snprintf(err, errlen, "control connection to %s: out of memory", path);
		close(fd);
		if (c != NULL) {
			free(c->path);
			free(c->in);
			free(c);
		}
		return NULL;
	}
	c->fd = fd;
	return c;
}

/*
 * Waits until 'fd' has 'events' or 'deadline' (vfo_mono_ms) passes.  Returns
 * 1 when ready, 0 on timeout, -1 on a poll error.
 */
static int
wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline - (long long)vfo_mono_ms();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc;
	}
}

/*
 * Sends all 'len' bytes of 's' before 'deadline'.  Returns 0, or -1 with
 * 'err' set.
 */
static int
send_all(struct vfo_ctl_conn *c, const char *s, size_t len, long long deadline, char *err,
	 size_t errlen)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, s + done, len - done, MSG_NOSIGNAL);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(c->fd, POLLOUT, deadline) > 0)
			continue;
		snprintf(err, errlen, "cannot send to %s: %s", c->path,
			 n < 0 && errno != EAGAIN ? strerror(errno) : "timed out");
		return -1;
	}
	return 0;
}

/*
 * Takes the first complete line out of the input buffer of 'c' into
 * '*line' (malloc'd, NUL-terminated, newline removed).  Returns true when
 * there was one.
 */
static bool
take_line(struct vfo_ctl_conn *c, char **line)
{
	char *nl = memchr(c->in, '\n', c->in_len);
	size_t len;

	if (nl == NULL)
		return false;
	len = (size_t)(nl - c->in);
	*line = strndup(c->in, len);
	memmove(c->in, nl + 1, c->in_len - len - 1);
	c->in_len -= len + 1;
	return *line != NULL;
}

/*
 * Reads lines until one is a JSON object whose "id" is 'id', before
 * 'deadline'.  Returns it (new reference), or NULL with 'err' set.
 */
static json_t *
read_reply(struct vfo_ctl_conn *c, json_int_t id, long long deadline, char *err, size_t errlen)
{
	for (;;) {
		char *line;
		ssize_t n;

		while (take_line(c, &line)) {
			json_t *j = json_loads(line, 0, NULL);

			if (j == NULL || !json_is_object(j)) {
				snprintf(err, errlen,
					 "%s sent a line that is not a JSON object: %.80s", c->path,
					 line);
				free(line);
				json_decref(j);
				return NULL;
			}
			free(line);
			if (json_integer_value(json_object_get(j, "id")) == id)
				return j;
			json_decref(j); /* the late answer to an earlier request */
		}
		if (c->in_len == VFO_CTL_CONN_REPLY_MAX) {
			snprintf(err, errlen, "%s sent a reply line over %d bytes", c->path,
				 VFO_CTL_CONN_REPLY_MAX);
			return NULL;
		}
		n = recv(c->fd, c->in + c->in_len, VFO_CTL_CONN_REPLY_MAX - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s closed the connection", c->path);
			return NULL;
		}
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(c->fd, POLLIN, deadline) > 0)
			continue;
		snprintf(err, errlen, "no reply from %s: %s", c->path,
			 errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		return NULL;
	}
}

/* Sends 'req' with a new "id" and returns its reply, or NULL with 'err' set. */
json_t *
vfo_ctl_conn_request(struct vfo_ctl_conn *c, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = (long long)vfo_mono_ms() + timeout_ms;
	json_int_t id = new_id();
	char *line;
	int rc;

	json_object_set_new(req, "id", json_integer(id));
	line = json_dumps(req, JSON_COMPACT);
	if (line == NULL) {
		snprintf(err, errlen, "request to %s: out of memory", c->path);
		return NULL;
	}
	rc = send_all(c, line, strlen(line), deadline, err, errlen);
	if (rc == 0)
		rc = send_all(c, "\n", 1, deadline, err, errlen);
	free(line);
	return rc == 0 ? read_reply(c, id, deadline, err, errlen) : NULL;
}

/* Returns the socket path of 'c'. */
const char *
vfo_ctl_conn_path(const struct vfo_ctl_conn *c)
{
	return c->path;
}

/* Closes 'c' and frees it (NULL: no-op). */
void
vfo_ctl_conn_close(struct vfo_ctl_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->path);
	free(c->in);
	free(c);
}
