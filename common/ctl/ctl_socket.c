/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_socket.c — the transports of the control protocol: the UNIX stream
 * socket (listening, accepting) and serial ports (a guest's virtio-serial
 * channel), with the line framing and buffered, nonblocking replies they
 * share.
 *
 * Every socket and port is nonblocking and vfo_ctl_poll() only waits in
 * poll(2), so the control thread is never stuck on a slow or silent peer.
 * A serial port is a peer that never leaves: when its host end closes
 * (virtio-serial: reads return 0 and poll says POLLHUP until the host
 * reconnects; a pty: EIO), its half-read request is dropped and the port
 * is not polled for VFO_CTL_SERIAL_HOLD_MS, so a closed host end costs a
 * few wake-ups a second, not a spinning thread.  Complete requests are
 * still answered and unsent replies wait for the next host connection:
 * virtio-serial can deliver a request before the news that the host end
 * (re)opened, so a read of 0 right after a request does not mean its
 * sender is gone.  Replies carry their request's id for the host to match.  A client
 * whose replies pile up (it does not read) is not read from until they
 * drain, which bounds the memory it can make us use.
 *
 * Time limits (vfo_ctl_set_idle_timeout): a socket client that stays silent,
 * or leaves a request line unfinished, for the idle timeout is told so and
 * closed; a serial port's unfinished line is dropped (and answered with an
 * error) after the same time.  With every slot taken, a new client takes the
 * slot of the one idle the longest (VFO_CTL_EVICT_IDLE_MS at least), so
 * silent clients cannot lock the others out.
 *
 * Thread-safety: one thread at a time per struct vfo_ctl (see vfo_ctl.h).
 * vfo_ctl_listen() briefly changes the process umask (see there).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "vfo_clock.h"
#include "vfo_ctl.h"
#include "ctl_internal.h"

/** Stop reading a client's requests while this many reply bytes wait. */
#define OUT_HIGH (256 * 1024)

/** Bytes read from a client per recv(). */
#define READ_CHUNK 16384

/** Reply when a request line does not fit in VFO_CTL_LINE_MAX. */
#define OVERLONG_REPLY_FMT                                                                         \
	"{\"ok\":false,\"error\":\"request line longer than %d bytes refused\"}\n"

/** Reply when vfo_ctl_handle_line() ran out of memory. */
#define NOMEM_REPLY "{\"ok\":false,\"error\":\"out of memory in vfailover; retry later\"}\n"

/** Last line to a client closed for silence (format: the timeout in ms). */
#define IDLE_REPLY_FMT                                                                             \
	"{\"ok\":false,\"error\":\"closed: nothing sent or read for %u ms (the control "           \
	"socket's idle timeout, --ctl-idle-ms); reconnect to send a request\"}\n"

/** Last line to a client whose request line stayed unfinished (format: ms). */
#define SLOW_LINE_REPLY_FMT                                                                        \
	"{\"ok\":false,\"error\":\"closed: a request line was not finished within %u ms "          \
	"(--ctl-idle-ms); end each request with a newline\"}\n"

/** Reply on a serial port whose unfinished line was dropped (format: ms). */
#define SERIAL_LINE_REPLY_FMT                                                                      \
	"{\"ok\":false,\"error\":\"an unfinished request line was dropped after %u ms "            \
	"(--ctl-idle-ms); end each request with a newline\"}\n"

/** Last line to a client whose slot a new client took (format: its idle ms). */
#define EVICT_REPLY_FMT                                                                            \
	"{\"ok\":false,\"error\":\"closed: idle for %llu ms while every control slot was "         \
	"taken; reconnect to send a request\"}\n"

/** Reply (format: the limit) to a connection beyond VFO_CTL_MAX_CLIENTS. */
#define BUSY_REPLY_FMT                                                                             \
	"{\"ok\":false,\"error\":\"too many control clients (the limit is %d); close one "         \
	"and retry\"}\n"

/*
 * Binds and listens on 'path' with a socket file of mode 0600.  Returns
 * the listening socket (nonblocking), or -1 with 'err' set.
 *
 * The umask is set to 0177 around bind() so the file never exists with
 * wider permissions; this briefly affects files other threads create (they
 * can only get narrower permissions, never wider).
 */
static int
bind_listener(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	mode_t old;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	umask(old);
	if (rc != 0) {
		snprintf(err, errlen,
			 "cannot bind the control socket to %s: %s; check the "
			 "directory exists and is writable, or choose another --ctl path",
			 sa->sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(sa->sun_path, 0600) != 0 || listen(fd, VFO_CTL_MAX_CLIENTS) != 0) {
		snprintf(err, errlen, "cannot set up the control socket %s: %s", sa->sun_path,
			 strerror(errno));
		unlink(sa->sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Makes 'sa' free to bind: nothing there is fine; a socket file nobody
 * answers on (left by a process that died) is removed.  Returns 0, or -1
 * with 'err' set when another process is listening there, the path is not
 * a socket, or it cannot be checked.
 */
static int
clear_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(sa->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot check control socket path %s: %s", sa->sun_path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s exists and is not a socket; remove it or choose another "
			 "--ctl path",
			 sa->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	/* EAGAIN: a live listener whose backlog is full. */
	if (rc == 0 || e == EAGAIN) {
		snprintf(err, errlen,
			 "another process is listening on %s; stop it or choose "
			 "another --ctl path",
			 sa->sun_path);
		return -1;
	}
	if (e != ECONNREFUSED || unlink(sa->sun_path) != 0) {
		snprintf(err, errlen,
			 "cannot replace the stale control socket %s: %s; remove it "
			 "or choose another --ctl path",
			 sa->sun_path, strerror(e != ECONNREFUSED ? e : errno));
		return -1;
	}
	return 0;
}

/*
 * Binds the control socket of 'c' at 'path' (mode 0600) and listens.  A
 * stale socket file is replaced; a live one is an error.  Returns 0, or -1
 * with 'err' set ('c' unchanged).  Changes: c->listen_fd, c->path and the
 * file system.
 */
int
vfo_ctl_listen(struct vfo_ctl *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	size_t len = strlen(path);
	int fd;

	if (c->listen_fd >= 0) {
		snprintf(err, errlen, "control socket already listening on %s", c->path);
		return -1;
	}
	if (len == 0 || len >= sizeof(sa.sun_path)) {
		snprintf(err, errlen,
			 "control socket path '%s' is %zu bytes long; it must be 1 to "
			 "%zu bytes: choose a shorter --ctl path",
			 path, len, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, len + 1);
	if (clear_stale(&sa, err, errlen) != 0)
		return -1;
	fd = bind_listener(&sa, err, errlen);
	if (fd < 0)
		return -1;
	if (stat(sa.sun_path, &st) != 0 || (c->path = strdup(sa.sun_path)) == NULL) {
		snprintf(err, errlen, "cannot set up the control socket %s: %s", sa.sun_path,
			 strerror(errno));
		unlink(sa.sun_path);
		close(fd);
		return -1;
	}
	c->path_dev = st.st_dev;
	c->path_ino = st.st_ino;
	c->listen_fd = fd;
	return 0;
}

/* Closes client 'cl' and frees its buffers; the slot becomes free.  A
 * reply it still waits for is dropped when it comes. */
static void
drop_client(struct vfo_ctl_client *cl)
{
	if (cl->waiting != NULL)
		cl->waiting->client = NULL;
	close(cl->fd);
	free(cl->in);
	free(cl->out);
	*cl = (struct vfo_ctl_client){.fd = -1};
}

/*
 * Appends 'len' bytes to the output buffer of 'cl'.  Returns 0, or -1 when
 * memory is short (the client should then be dropped).
 */
static int
queue_out(struct vfo_ctl_client *cl, const char *s, size_t len)
{
	if (cl->out_len + len > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 4096;
		char *p;

		while (cap < cl->out_len + len)
			cap *= 2;
		p = realloc(cl->out, cap);
		if (p == NULL)
			return -1;
		cl->out = p;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, s, len);
	cl->out_len += len;
	return 0;
}

/* Returns the smaller of 'a' and 'b'. */
static inline uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Sends 'msg' (one JSON line) to socket client 'cl' if it takes it now, then drops it. */
static void
say_and_drop(struct vfo_ctl_client *cl, const char *msg)
{
	/* Best effort: the client sees the close anyway. */
	(void)send(cl->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	drop_client(cl);
}

/*
 * The host end of serial port 'cl' is closed: drops its half-read input
 * (replies not sent yet stay queued) and leaves the port unpolled for
 * VFO_CTL_SERIAL_HOLD_MS.  The port stays open.
 */
static void
serial_hangup(struct vfo_ctl_client *cl)
{
	cl->in_len = 0;
	cl->discarding = false;
	cl->eof = false;
	cl->line_ms = 0;
	cl->hold_until_ms = vfo_mono_ms() + VFO_CTL_SERIAL_HOLD_MS;
}

/*
 * Sends as much of the output of 'cl' as the socket or port takes now.
 * Returns 0, or -1 when the peer is gone (the caller drops it).
 */
static int
flush_out(struct vfo_ctl_client *cl)
{
	size_t done = 0;

	while (done < cl->out_len) {
		/* send() for sockets: MSG_NOSIGNAL spares us SIGPIPE. */
		ssize_t n =
			cl->serial ? write(cl->fd, cl->out + done, cl->out_len - done)
				   : send(cl->fd, cl->out + done, cl->out_len - done, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		done += (size_t)n;
	}
	if (done == 0)
		return 0;
	memmove(cl->out, cl->out + done, cl->out_len - done);
	cl->out_len -= done;
	cl->last_ms = vfo_mono_ms();
	return 0;
}

/*
 * Answers request line 'line' ('len' bytes, newline excluded; a CR before
 * it is JSON whitespace) of 'cl'.  Returns 0, or -1 when memory is short.
 */
static int
answer_line(struct vfo_ctl *c, struct vfo_ctl_client *cl, const char *line, size_t len)
{
	bool deferred;
	char *reply;
	int rc;

	c->serving = cl;
	reply = vfo_ctl__handle_line(c, line, len, &deferred);
	c->serving = NULL;
	if (deferred) {
		/* The reply comes with vfo_ctl_complete(); later lines wait. */
		cl->waiting = c->deferred;
		c->deferred = NULL;
		return 0;
	}
	if (reply == NULL)
		return queue_out(cl, NOMEM_REPLY, strlen(NOMEM_REPLY));
	rc = queue_out(cl, reply, strlen(reply));
	free(reply);
	return rc == 0 ? queue_out(cl, "\n", 1) : -1;
}

/*
 * Answers the complete lines buffered for 'cl', in order, while its unsent
 * replies stay under OUT_HIGH; refuses a line that overflows the buffer
 * and discards it up to its newline.  At EOF, a last line without newline
 * is answered too.  Returns the number of requests answered, or -1 when
 * memory is short.  Changes the client's buffers and flags.
 */
static int
process_input(struct vfo_ctl *c, struct vfo_ctl_client *cl)
{
	size_t start = 0;
	int handled = 0;

	while (cl->out_len < OUT_HIGH && start < cl->in_len && cl->waiting == NULL) {
		char *line = cl->in + start;
		char *nl = memchr(line, '\n', cl->in_len - start);
		size_t len = nl ? (size_t)(nl - line) : cl->in_len - start;
		bool overlong = nl == NULL && len >= VFO_CTL_LINE_MAX;

		if (nl == NULL && !overlong && !cl->eof && !cl->discarding)
			break; /* wait for the rest of the line */
		if (cl->discarding) {
			cl->discarding = nl == NULL; /* the overlong line ends at nl */
		} else if (overlong) {
			char msg[128];
			int n = snprintf(msg, sizeof(msg), OVERLONG_REPLY_FMT, VFO_CTL_LINE_MAX);

			if (queue_out(cl, msg, (size_t)n) != 0)
				return -1;
			cl->discarding = true;
			handled++;
		} else {
			if (answer_line(c, cl, line, len) != 0)
				return -1;
			handled++;
		}
		start += nl ? len + 1 : len;
	}
	memmove(cl->in, cl->in + start, cl->in_len - start);
	cl->in_len -= start;
	/* A line left unfinished starts its clock now; none: no clock. */
	if (start > 0)
		cl->line_ms = cl->in_len > 0 || cl->discarding ? vfo_mono_ms() : 0;
	return handled;
}

/*
 * Reads what peer 'cl' sent into its input buffer (until the buffer is
 * full or the socket or port is empty).  Returns 0, or -1 on an error; EOF
 * sets cl->eof.
 */
static int
read_in(struct vfo_ctl_client *cl)
{
	while (cl->in_len < VFO_CTL_LINE_MAX) {
		size_t room = VFO_CTL_LINE_MAX - cl->in_len;
		ssize_t n =
			read(cl->fd, cl->in + cl->in_len, room < READ_CHUNK ? room : READ_CHUNK);

		if (n == 0) {
			cl->eof = true;
			return 0;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		cl->last_ms = vfo_mono_ms();
		if (cl->line_ms == 0)
			cl->line_ms = cl->last_ms;
		cl->in_len += (size_t)n;
		if (cl->discarding && memchr(cl->in, '\n', cl->in_len) == NULL)
			cl->in_len = 0; /* still inside the overlong line */
	}
	return 0;
}

/*
 * Returns a slot for a new client of 'c': a free one, else the slot of the
 * client idle the longest (nothing half-read, nothing unsent, no reply
 * deferred, idle for VFO_CTL_EVICT_IDLE_MS at least), which is told so and
 * closed; NULL when every client is busy.
 */
static struct vfo_ctl_client *
free_slot(struct vfo_ctl *c)
{
	struct vfo_ctl_client *oldest = NULL;
	uint64_t now = vfo_mono_ms();
	char msg[256];
	size_t i;

	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++) {
		struct vfo_ctl_client *cl = &c->clients[i];

		if (cl->fd < 0)
			return cl;
		if (cl->in_len == 0 && !cl->discarding && cl->out_len == 0 && cl->waiting == NULL &&
		    now - cl->last_ms >= VFO_CTL_EVICT_IDLE_MS &&
		    (oldest == NULL || cl->last_ms < oldest->last_ms))
			oldest = cl;
	}
	if (oldest != NULL) {
		snprintf(msg, sizeof(msg), EVICT_REPLY_FMT,
			 (unsigned long long)(now - oldest->last_ms));
		say_and_drop(oldest, msg);
	}
	return oldest;
}

/*
 * Accepts every pending connection on the listener of 'c' into free slots
 * (free_slot); one beyond the limit, with every client busy, is told so and
 * closed.  Returns 0, or -1 when the listener failed.
 */
static int
accept_clients(struct vfo_ctl *c)
{
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vfo_ctl_client *cl;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors or memory: retry at the next poll. */
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				return 0;
			return -1;
		}
		cl = free_slot(c);
		if (cl == NULL) {
			char msg[128];
			int n = snprintf(msg, sizeof(msg), BUSY_REPLY_FMT, VFO_CTL_MAX_CLIENTS);

			/* Best effort: the client sees the close anyway. */
			(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		cl->in = malloc(VFO_CTL_LINE_MAX);
		if (cl->in == NULL) {
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->last_ms = vfo_mono_ms();
	}
}

/*
 * Applies the idle timeout of 'c' at 'now': closes socket clients silent,
 * or with a line unfinished, for that long; drops a serial port's
 * unfinished line.  Returns the poll timeout to use instead of 'timeout_ms'
 * (-1: forever), shortened so that the next expiry is not missed.
 */
static int
expire_idle(struct vfo_ctl *c, uint64_t now, int timeout_ms)
{
	uint64_t idle = c->idle_ms, next = UINT64_MAX;
	char msg[256];
	size_t i;

	if (idle == 0)
		return timeout_ms;
	for (i = 0; i < VFO_CTL_MAX_CLIENTS + VFO_CTL_MAX_SERIAL; i++) {
		struct vfo_ctl_client *cl = i < VFO_CTL_MAX_CLIENTS
						    ? &c->clients[i]
						    : &c->serial[i - VFO_CTL_MAX_CLIENTS];

		/* A client waiting for a deferred reply waits for us, not idle. */
		if (cl->fd < 0 || cl->waiting != NULL)
			continue;
		if (!cl->serial && now - cl->last_ms >= idle) {
			snprintf(msg, sizeof(msg), IDLE_REPLY_FMT, c->idle_ms);
			say_and_drop(cl, msg);
			continue;
		}
		if (cl->line_ms != 0 && now - cl->line_ms >= idle) {
			if (!cl->serial) {
				snprintf(msg, sizeof(msg), SLOW_LINE_REPLY_FMT, c->idle_ms);
				say_and_drop(cl, msg);
				continue;
			}
			cl->in_len = 0;
			cl->discarding = false;
			cl->line_ms = 0;
			snprintf(msg, sizeof(msg), SERIAL_LINE_REPLY_FMT, c->idle_ms);
			if (queue_out(cl, msg, strlen(msg)) == 0)
				flush_out(cl);
		}
		if (!cl->serial)
			next = min_u64(next, cl->last_ms + idle);
		if (cl->line_ms != 0)
			next = min_u64(next, cl->line_ms + idle);
	}
	if (next != UINT64_MAX && (timeout_ms < 0 || next - now < (uint64_t)timeout_ms))
		timeout_ms = (int)(next - now);
	return timeout_ms;
}

/*
 * Serves peer 'cl' after poll() reported 'revents': sends waiting
 * replies, reads, answers complete lines, and drops a socket client once
 * it is gone or has sent EOF and got every answer; a serial port whose
 * host end closed is held instead (serial_hangup).  Returns the number of
 * requests answered.
 */
static int
serve_client(struct vfo_ctl *c, struct vfo_ctl_client *cl, short revents)
{
	int handled = 0;
	bool hup;

	if ((revents & POLLOUT) && flush_out(cl) != 0)
		goto gone;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && read_in(cl) != 0)
		goto gone;
	/* A port's input never ends: answer its complete lines only. */
	hup = cl->serial && cl->eof;
	cl->eof &= !hup;
	handled = process_input(c, cl);
	if (handled < 0) {
		handled = 0;
		goto gone;
	}
	if (flush_out(cl) != 0)
		goto gone;
	if (hup)
		serial_hangup(cl);
	else if (cl->eof && cl->in_len == 0 && cl->out_len == 0 && cl->waiting == NULL)
		drop_client(cl);
	return handled;
gone:
	if (cl->serial)
		serial_hangup(cl);
	else
		drop_client(cl);
	return handled;
}

void
vfo_ctl__reply(struct vfo_ctl_client *cl, const char *line)
{
	int rc = line != NULL ? queue_out(cl, line, strlen(line)) : -1;

	if (rc == 0)
		rc = queue_out(cl, "\n", 1);
	if (rc != 0)
		queue_out(cl, NOMEM_REPLY, strlen(NOMEM_REPLY));
}

void
vfo_ctl__resume(struct vfo_ctl *c, struct vfo_ctl_client *cl)
{
	/* What came meanwhile is answered as if it had just arrived. */
	serve_client(c, cl, 0);
}

/*
 * Returns the poll(2) events peer 'cl' waits for: input while it has room
 * and its replies are under OUT_HIGH, output while replies wait.
 */
static short
client_events(const struct vfo_ctl_client *cl)
{
	short ev = 0;

	if (!cl->eof && cl->in_len < VFO_CTL_LINE_MAX && cl->out_len < OUT_HIGH)
		ev |= POLLIN;
	if (cl->out_len > 0)
		ev |= POLLOUT;
	return ev;
}

/*
 * Adds the serial ports of 'c' that are not held to pfd/who (from *n on)
 * and returns the poll timeout to use instead of 'timeout_ms' (-1: forever),
 * shortened so that no held port waits past its hold.
 */
static int
poll_serial(struct vfo_ctl *c, struct pollfd *pfd, struct vfo_ctl_client **who, nfds_t *n,
	    int timeout_ms)
{
	uint64_t now = vfo_mono_ms();
	unsigned int i;

	for (i = 0; i < c->nb_serial; i++) {
		struct vfo_ctl_client *cl = &c->serial[i];

		if (cl->hold_until_ms > now) {
			int left = (int)(cl->hold_until_ms - now);

			if (timeout_ms < 0 || left < timeout_ms)
				timeout_ms = left;
			continue;
		}
		pfd[*n] = (struct pollfd){.fd = cl->fd, .events = client_events(cl)};
		who[(*n)++] = cl;
	}
	return timeout_ms;
}

/*
 * Waits up to 'timeout_ms' (-1: forever) for the listener or a client,
 * then accepts, reads, answers and writes what is ready.  Returns the
 * number of requests answered, or -1 when poll() or the listener failed.
 */
int
vfo_ctl_poll(struct vfo_ctl *c, int timeout_ms)
{
	struct pollfd pfd[VFO_CTL_MAX_CLIENTS + VFO_CTL_MAX_SERIAL + 2];
	struct vfo_ctl_client *who[VFO_CTL_MAX_CLIENTS + VFO_CTL_MAX_SERIAL + 2];
	nfds_t n = 0, i;
	int handled = 0, rc;

	/* Before the poll set is built: a client closed here is not in it. */
	timeout_ms = expire_idle(c, vfo_mono_ms(), timeout_ms);
	if (c->listen_fd >= 0) {
		pfd[n] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
		who[n++] = NULL;
	}
	if (c->wake_fd >= 0) {
		/* Only wakes the poll; whoever owns the fd reads it. */
		pfd[n] = (struct pollfd){.fd = c->wake_fd, .events = POLLIN};
		who[n++] = NULL;
	}
	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++) {
		struct vfo_ctl_client *cl = &c->clients[i];

		if (cl->fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = cl->fd, .events = client_events(cl)};
		who[n++] = cl;
	}
	timeout_ms = poll_serial(c, pfd, who, &n, timeout_ms);
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* A client dropped since the poll (evicted) leaves its slot. */
		if (who[i] != NULL && who[i]->fd == pfd[i].fd)
			handled += serve_client(c, who[i], pfd[i].revents);
		else if (who[i] == NULL && pfd[i].fd == c->listen_fd && accept_clients(c) != 0)
			return -1;
	}
	return handled;
}

void
vfo_ctl_set_idle_timeout(struct vfo_ctl *c, unsigned int ms)
{
	c->idle_ms = ms;
}

/*
 * Closes every client and the listener of 'c', removes the socket file if
 * we created it and it is still ours, and frees 'c'.  NULL is a no-op.
 */
void
vfo_ctl_destroy(struct vfo_ctl *c)
{
	struct stat st;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			drop_client(&c->clients[i]);
	for (i = 0; i < c->nb_serial; i++)
		drop_client(&c->serial[i]);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	/* Another process may have replaced our file: leave theirs alone. */
	if (c->path != NULL && stat(c->path, &st) == 0 && st.st_dev == c->path_dev &&
	    st.st_ino == c->path_ino)
		unlink(c->path);
	free(c->path);
	vfo_ctl__free_cmds(c);
	free(c);
}

/*
 * Makes vfo_ctl_poll() also return when 'fd' becomes readable (-1: no such
 * fd).  The poll does not read it.
 */
void
vfo_ctl_set_wake_fd(struct vfo_ctl *c, int fd)
{
	c->wake_fd = fd;
}

/*
 * Opens serial port 'path' (read-write, nonblocking, not as controlling
 * tty; a tty is set raw) and adds it to the peers of 'c'.  Returns 0, or
 * -1 with 'err' set ('c' unchanged).  Changes: c->serial, c->nb_serial.
 */
int
vfo_ctl_open_serial(struct vfo_ctl *c, const char *path, char *err, size_t errlen)
{
	struct vfo_ctl_client *cl;
	struct termios tio;
	int fd;

	if (c->nb_serial >= VFO_CTL_MAX_SERIAL) {
		snprintf(err, errlen, "too many control serial ports (%s); at most %d", path,
			 VFO_CTL_MAX_SERIAL);
		return -1;
	}
	fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen,
			 "cannot open control serial port %s: %s; in a guest, give the domain a "
			 "virtio-serial <channel> with a virtio target (it appears as "
			 "/dev/virtio-ports/NAME), or fix --ctl-serial",
			 path, strerror(errno));
		return -1;
	}
	/* A tty would echo and edit lines: make it a plain byte pipe. */
	if (isatty(fd) && tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	cl = &c->serial[c->nb_serial];
	cl->in = malloc(VFO_CTL_LINE_MAX);
	if (cl->in == NULL) {
		snprintf(err, errlen, "control serial port %s: out of memory", path);
		close(fd);
		return -1;
	}
	cl->fd = fd;
	cl->serial = true;
	c->nb_serial++;
	return 0;
}
