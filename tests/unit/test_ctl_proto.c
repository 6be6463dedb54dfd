/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctl_proto.c — unit tests of the control socket: the JSON-lines
 * protocol (vfo_ctl_handle_line), the UNIX socket around it
 * (vfo_ctl_listen/poll/destroy), serial ports (on a pty) and the JSON -> rte_tel_data converter
 * (which needs no EAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef RTE_DIM
#define RTE_DIM(a) (sizeof(a) / sizeof((a)[0]))
#endif
#include <jansson.h>
#include <rte_telemetry.h>

#include "vfo_clock.h"
#include "vfo_ctl.h"
#include "ctl_internal.h"
#include "vfo_telemetry.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* Telemetry frees nested containers only when it prints them. */
#define LSAN_OFF() __lsan_disable()
#define LSAN_ON()  __lsan_enable()
#else
#define LSAN_OFF() ((void)0)
#define LSAN_ON()  ((void)0)
#endif

/* Handler "echo": copies the request's "x" into the reply; returns 0. */
static int
echo_handler(const json_t *req, json_t *reply, void *arg)
{
	(void)arg;
	json_object_set(reply, "echo", json_object_get(req, "x"));
	return 0;
}

/* Handler "fail": adds a field (and with "x" a detail {"done": x}), then
 * fails with a reason; returns -1. */
static int
fail_handler(const json_t *req, json_t *reply, void *arg)
{
	(void)arg;
	json_object_set_new(reply, "partial", json_true());
	if (json_object_get(req, "x") != NULL)
		json_object_set_new(reply, "detail",
				    json_pack("{sO}", "done", json_object_get(req, "x")));
	return vfo_ctl_error(reply, "uplink '%s' not found; see {\"cmd\":\"status\"}", "u9");
}

/* Handler "mute": fails without a reason; returns -1. */
static int
mute_handler(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	(void)reply;
	(void)arg;
	return -1;
}

/* Deferred requests of handler "later" (tests complete them). */
static struct vfo_ctl_pending *later_pending[4];
static unsigned int later_n;

/* Handler "later": defers its reply when it can, else answers at once. */
static int
later_handler(const json_t *req, json_t *reply, void *arg)
{
	struct vfo_ctl_pending *p = vfo_ctl_defer(arg);

	(void)req;
	if (p == NULL || later_n == RTE_DIM(later_pending)) {
		json_object_set_new(reply, "at_once", json_true());
		return 0;
	}
	later_pending[later_n++] = p;
	return VFO_CTL_DEFERRED;
}

/* Returns a new control object with echo, fail, mute and later registered. */
static struct vfo_ctl *
make_ctl(void)
{
	struct vfo_ctl *c = vfo_ctl_create();

	assert_non_null(c);
	assert_int_equal(vfo_ctl_register(c, "echo", echo_handler, NULL, "echoes x"), 0);
	assert_int_equal(vfo_ctl_register(c, "fail", fail_handler, NULL, "always fails"), 0);
	assert_int_equal(vfo_ctl_register(c, "mute", mute_handler, NULL, "fails silently"), 0);
	assert_int_equal(vfo_ctl_register(c, "later", later_handler, c, "answers later"), 0);
	return c;
}

/* Stores a new control object (make_ctl) in *state. */
static int
setup_ctl(void **state)
{
	*state = make_ctl();
	return 0;
}

/* Destroys the control object in *state. */
static int
teardown_ctl(void **state)
{
	vfo_ctl_destroy(*state);
	return 0;
}

/*
 * Runs 'line' through vfo_ctl_handle_line and checks the reply is one line
 * of valid JSON.  Returns the malloc'd reply text.
 */
static char *
run(struct vfo_ctl *c, const char *line)
{
	char *s = vfo_ctl_handle_line(c, line, strlen(line));
	json_t *j;

	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	json_decref(j);
	return s;
}

/* Asserts that 'line' gets exactly the reply 'want'. */
static void
expect_reply(struct vfo_ctl *c, const char *line, const char *want)
{
	char *s = run(c, line);

	assert_string_equal(s, want);
	free(s);
}

/* Asserts that 'line' gets an error reply whose message starts with 'prefix'. */
static void
expect_error_prefix(struct vfo_ctl *c, const char *line, const char *prefix)
{
	char *s = run(c, line);
	json_t *j = json_loads(s, 0, NULL);
	const char *err = json_string_value(json_object_get(j, "error"));

	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_non_null(err);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	json_decref(j);
	free(s);
}

static void
test_good_command(void **state)
{
	expect_reply(*state, "{\"cmd\":\"echo\",\"x\":5}",
		     "{\"ok\":true,\"cmd\":\"echo\",\"echo\":5}");
	expect_reply(*state, "{\"id\":\"abc\",\"cmd\":\"echo\",\"x\":[1,\"a\"]}",
		     "{\"ok\":true,\"cmd\":\"echo\",\"echo\":[1,\"a\"],\"id\":\"abc\"}");
	expect_reply(*state, "  {\"cmd\":\"echo\",\"id\":{\"n\":7}}  ",
		     "{\"ok\":true,\"cmd\":\"echo\",\"id\":{\"n\":7}}");
}

static void
test_unknown_command(void **state)
{
	expect_reply(*state, "{\"cmd\":\"stauts\"}",
		     "{\"ok\":false,\"error\":\"unknown command 'stauts'; send {\\\"cmd\\\":"
		     "\\\"help\\\"} for the list\"}");
	expect_reply(*state, "{\"cmd\":\"stauts\",\"id\":3}",
		     "{\"ok\":false,\"error\":\"unknown command 'stauts'; send {\\\"cmd\\\":"
		     "\\\"help\\\"} for the list\",\"id\":3}");
}

static void
test_malformed_json(void **state)
{
	expect_error_prefix(*state, "{\"cmd\":}", "malformed JSON at column 8: ");
	expect_error_prefix(*state, "{\"cmd\":\"echo\"} trailing", "malformed JSON at column");
	expect_error_prefix(*state, "{\"cmd\":\"echo\",\"cmd\":\"help\"}", "malformed JSON at");
	expect_error_prefix(*state, "", "empty request line; send {\"cmd\":\"help\"}");
}

static void
test_not_an_object(void **state)
{
	static const char *const bad[] = {
		"[1,2]", "42",		"\"help\"",	  "null",
		"{}",	 "{\"cmd\":5}", "{\"cmd\":null}", "{\"command\":\"help\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reply(*state, bad[i],
			     "{\"ok\":false,\"error\":\"request must be a JSON object with a "
			     "string \\\"cmd\\\", e.g. {\\\"cmd\\\":\\\"help\\\"}\"}");
}

static void
test_handler_error(void **state)
{
	expect_reply(*state, "{\"cmd\":\"fail\",\"id\":1}",
		     "{\"ok\":false,\"error\":\"uplink 'u9' not found; see {\\\"cmd\\\":"
		     "\\\"status\\\"}\",\"id\":1}");
	/* A failure's "detail" (what it left done) is kept; the rest is not. */
	expect_reply(*state, "{\"cmd\":\"fail\",\"x\":2}",
		     "{\"ok\":false,\"error\":\"uplink 'u9' not found; see {\\\"cmd\\\":"
		     "\\\"status\\\"}\",\"detail\":{\"done\":2}}");
	expect_reply(*state, "{\"cmd\":\"mute\"}",
		     "{\"ok\":false,\"error\":\"command 'mute' failed without giving a "
		     "reason; see the vfailover log\"}");
}

static void
test_help_lists_commands(void **state)
{
	expect_reply(*state, "{\"cmd\":\"help\"}",
		     "{\"ok\":true,\"cmd\":\"help\",\"commands\":{\"help\":\"lists the commands "
		     "with their help text\",\"echo\":\"echoes x\",\"fail\":\"always fails\","
		     "\"mute\":\"fails silently\",\"later\":\"answers later\"}}");
}

static void
test_duplicate_registration(void **state)
{
	assert_int_equal(vfo_ctl_register(*state, "echo", mute_handler, NULL, "again"), -1);
	assert_int_equal(vfo_ctl_register(*state, "help", mute_handler, NULL, "again"), -1);
	assert_int_equal(vfo_ctl_register(*state, "", mute_handler, NULL, "empty"), -1);
	assert_int_equal(vfo_ctl_register(*state, "nofn", NULL, NULL, "no handler"), -1);
	/* The original is still the one that runs. */
	expect_reply(*state, "{\"cmd\":\"echo\",\"x\":1}",
		     "{\"ok\":true,\"cmd\":\"echo\",\"echo\":1}");
	assert_int_equal(vfo_ctl_register(*state, "new", echo_handler, NULL, NULL), 0);
	expect_reply(*state, "{\"cmd\":\"new\"}", "{\"ok\":true,\"cmd\":\"new\"}");
}

static void
test_reply_has_no_newline(void **state)
{
	char *s;

	/* run() asserts there is no raw newline and the reply parses. */
	free(run(*state, "{\"cmd\":\"echo\",\"x\":\"a\\nb\",\"id\":\"c\\nd\"}"));
	free(run(*state, "{\"cmd\":\"no\\nsuch\\r\\n\"}"));
	free(run(*state, "{\"cmd\":\"help\"}"));
	s = run(*state, "{\n\"cmd\":\"echo\"\n}");
	assert_string_equal(s, "{\"ok\":true,\"cmd\":\"echo\"}");
	free(s);
}

static void
test_error_with_bad_utf8(void **state)
{
	json_t *reply = json_object();

	(void)state;
	assert_int_equal(vfo_ctl_error(reply, "bad name '%s'", "a\xff\xfe"), -1);
	assert_string_equal(json_string_value(json_object_get(reply, "error")), "bad name 'a?"
										"?'");
	assert_true(json_is_false(json_object_get(reply, "ok")));
	json_decref(reply);
}

/* ------------------------------------------------------------------------
 * Socket level.
 */

/** A listening control object on a temporary path. */
struct sock_fixture {
	struct vfo_ctl *c; /**< listening on path */
	char dir[64];	   /**< temporary directory */
	char path[128];	   /**< socket path inside dir */
};

/* Creates a temp dir and a control object listening in it. */
static int
setup_sock(void **state)
{
	struct sock_fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/vfo_ctl_test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	f->c = make_ctl();
	if (vfo_ctl_listen(f->c, f->path, err, sizeof(err)) != 0) {
		print_error("listen: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

/* Destroys the control object (if the test did not) and the temp dir. */
static int
teardown_sock(void **state)
{
	struct sock_fixture *f = *state;

	vfo_ctl_destroy(f->c);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Returns a nonblocking client socket connected to 'path'. */
static int
connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/*
 * Sends 'len' bytes of 'data' on socket or pty 'fd' (then shuts its writing side if
 * 'shut'), running vfo_ctl_poll meanwhile; then reads until 'nlines'
 * newlines arrived.  Fails the test after 10 s.  Returns the text read
 * (malloc'd, NUL-terminated).
 */
static char *
talk(struct vfo_ctl *c, int fd, const char *data, size_t len, int nlines, int shut)
{
	size_t sent = 0, got = 0, cap = 4096, end;
	char *buf = malloc(cap);
	long deadline = (long)vfo_mono_ms() + 10000;
	int lines = 0;

	assert_non_null(buf);
	while (sent < len) {
		ssize_t n = write(fd, data + sent, len - sent);

		if (n > 0)
			sent += (size_t)n;
		else
			assert_true(errno == EAGAIN);
		assert_true(vfo_ctl_poll(c, 1) >= 0);
		assert_true((long)vfo_mono_ms() < deadline);
	}
	if (shut)
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
	while (lines < nlines) {
		ssize_t n;

		if (cap - got < 65536) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + got, cap - got - 1);
		if (n > 0) {
			for (end = got + (size_t)n; got < end; got++)
				lines += buf[got] == '\n';
		} else {
			assert_true(n < 0 && errno == EAGAIN);
		}
		assert_true(vfo_ctl_poll(c, 1) >= 0);
		if ((long)vfo_mono_ms() > deadline)
			fail_msg("timeout: %d of %d replies", lines, nlines);
	}
	buf[got] = '\0';
	return buf;
}

/*
 * A deferred reply: other peers are answered meanwhile; the same peer's
 * next request waits for it (replies stay in order); the completion carries
 * the request's id; a peer gone before its completion gets nothing.
 */
static void
test_socket_deferred(void **state)
{
	struct sock_fixture *f = *state;
	const char two[] = "{\"cmd\":\"later\",\"id\":7}\n{\"cmd\":\"echo\",\"x\":3}\n";
	const char one_echo[] = "{\"cmd\":\"echo\",\"x\":1}\n", later[] = "{\"cmd\":\"later\"}\n";
	json_t *result = json_object();
	char buf[256];
	char *r;
	int a, b, i;
	ssize_t n;

	later_n = 0;
	a = connect_to(f->path);
	b = connect_to(f->path);
	assert_int_equal(write(a, two, strlen(two)), (ssize_t)strlen(two));
	for (i = 0; i < 50 && later_n == 0; i++)
		vfo_ctl_poll(f->c, 1);
	assert_int_equal(later_n, 1);
	/* b is served while a waits; a has no reply yet, not even to its echo. */
	r = talk(f->c, b, one_echo, strlen(one_echo), 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":1}\n");
	free(r);
	assert_true(read(a, buf, sizeof(buf)) < 0 && errno == EAGAIN);
	/* Completing it sends its reply, then the waiting echo's. */
	json_object_set_new(result, "done", json_true());
	vfo_ctl_complete(f->c, later_pending[0], result, 0);
	r = talk(f->c, a, "", 0, 2, 0);
	assert_string_equal(r, "{\"done\":true,\"ok\":true,\"cmd\":\"later\",\"id\":7}\n"
			       "{\"ok\":true,\"cmd\":\"echo\",\"echo\":3}\n");
	free(r);
	/* A failed completion; then a peer that leaves before its reply. */
	assert_int_equal(write(b, later, strlen(later)), (ssize_t)strlen(later));
	for (i = 0; i < 50 && later_n == 1; i++)
		vfo_ctl_poll(f->c, 1);
	assert_int_equal(later_n, 2);
	json_object_clear(result);
	vfo_ctl_error(result, "timed out after %d ms", 5);
	vfo_ctl_complete(f->c, later_pending[1], result, -1);
	r = talk(f->c, b, "", 0, 1, 0);
	assert_string_equal(r, "{\"ok\":false,\"error\":\"timed out after 5 ms\"}\n");
	free(r);
	assert_int_equal(write(b, later, strlen(later)), (ssize_t)strlen(later));
	for (i = 0; i < 50 && later_n == 2; i++)
		vfo_ctl_poll(f->c, 1);
	assert_int_equal(later_n, 3);
	close(b);
	for (i = 0; i < 20; i++)
		vfo_ctl_poll(f->c, 1);
	vfo_ctl_complete(f->c, later_pending[2], result, -1); /* dropped, no crash */
	/* Outside a peer's request (no socket), a handler cannot defer. */
	r = vfo_ctl_handle_line(f->c, later, strlen(later) - 1);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"later\",\"at_once\":true}");
	free(r);
	n = read(a, buf, sizeof(buf));
	assert_true(n < 0 && errno == EAGAIN);
	close(a);
	json_decref(result);
}

static void
test_socket_mode_and_pairs(void **state)
{
	struct sock_fixture *f = *state;
	const char req[] =
		"{\"cmd\":\"echo\",\"x\":1,\"id\":1}\n{\"cmd\":\"echo\",\"x\":2,\"id\":2}\n";
	struct stat st;
	char *r;
	int fd;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	fd = connect_to(f->path);
	r = talk(f->c, fd, req, strlen(req), 2, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":1,\"id\":1}\n"
			       "{\"ok\":true,\"cmd\":\"echo\",\"echo\":2,\"id\":2}\n");
	free(r);
	/* CRLF line endings are accepted too. */
	r = talk(f->c, fd, "{\"cmd\":\"echo\"}\r\n", 16, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\"}\n");
	free(r);
	close(fd);
}

/* Returns a request line of exactly 'len' bytes plus its newline. */
static char *
padded_request(size_t len)
{
	static const char head[] = "{\"cmd\":\"echo\",\"pad\":\"";
	char *s = malloc(len + 2);

	assert_non_null(s);
	memset(s, 'A', len);
	memcpy(s, head, strlen(head));
	memcpy(s + len - 2, "\"}\n", 4);
	return s;
}

static void
test_socket_overlong_line(void **state)
{
	struct sock_fixture *f = *state;
	int fd = connect_to(f->path);
	char *big = padded_request(70000);
	char *r;

	r = talk(f->c, fd, big, strlen(big), 1, 0);
	assert_string_equal(r, "{\"ok\":false,\"error\":\"request line longer than 65536 bytes "
			       "refused\"}\n");
	free(r);
	free(big);
	/* The connection still works. */
	r = talk(f->c, fd, "{\"cmd\":\"echo\",\"x\":3}\n", 21, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":3}\n");
	free(r);
	/* Exactly VFO_CTL_LINE_MAX with the newline is accepted; one more is not. */
	big = padded_request(VFO_CTL_LINE_MAX - 1);
	r = talk(f->c, fd, big, strlen(big), 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\"}\n");
	free(r);
	free(big);
	big = padded_request(VFO_CTL_LINE_MAX);
	r = talk(f->c, fd, big, strlen(big), 1, 0);
	assert_non_null(strstr(r, "longer than 65536 bytes refused"));
	free(r);
	free(big);
	r = talk(f->c, fd, "{\"cmd\":\"echo\",\"x\":4}\n", 21, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":4}\n");
	free(r);
	close(fd);
}

static void
test_socket_flood_and_eof(void **state)
{
	struct sock_fixture *f = *state;
	enum { N = 3000 };
	char *req = malloc(N * 40), *r, *p;
	size_t len = 0;
	int fd = connect_to(f->path), i;

	assert_non_null(req);
	for (i = 0; i < N; i++)
		len += (size_t)sprintf(req + len, "{\"cmd\":\"help\",\"id\":%d}\n", i);
	/* All sent before any reply is read: replies pile up on the server. */
	r = talk(f->c, fd, req, len, N, 1);
	for (i = 0, p = r; i < N; i++) {
		char tail[32];
		char *nl = strchr(p, '\n');

		assert_non_null(nl);
		snprintf(tail, sizeof(tail), ",\"id\":%d}", i);
		assert_memory_equal(nl - strlen(tail), tail, strlen(tail));
		p = nl + 1;
	}
	assert_string_equal(p, "");
	free(r);
	free(req);
	close(fd);
	/* A last line without newline before EOF is answered too. */
	fd = connect_to(f->path);
	r = talk(f->c, fd, "{\"cmd\":\"echo\",\"x\":9}", 20, 1, 1);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":9}\n");
	free(r);
	/* After EOF and the last reply the server closes the connection. */
	for (i = 0; i < 100; i++) {
		char ch;
		ssize_t n = recv(fd, &ch, 1, 0);

		if (n == 0)
			break;
		assert_true(n < 0 && errno == EAGAIN);
		vfo_ctl_poll(f->c, 5);
	}
	assert_true(i < 100);
	close(fd);
}

static void
test_socket_disconnect_and_reconnect(void **state)
{
	struct sock_fixture *f = *state;
	int fds[VFO_CTL_MAX_CLIENTS + 1], i;
	char *r;

	/* A client that leaves with a half-sent line and unread replies. */
	fds[0] = connect_to(f->path);
	assert_true(send(fds[0], "{\"cmd\":\"help\"}\n{\"cmd\"", 21, 0) == 21);
	vfo_ctl_poll(f->c, 10);
	close(fds[0]);
	for (i = 0; i < 5; i++)
		assert_true(vfo_ctl_poll(f->c, 1) >= 0);
	/* Every slot can be used again; one more client is refused politely. */
	for (i = 0; i <= VFO_CTL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(f->path);
		vfo_ctl_poll(f->c, 1);
	}
	r = talk(f->c, fds[VFO_CTL_MAX_CLIENTS], "", 0, 1, 0);
	assert_string_equal(r, "{\"ok\":false,\"error\":\"too many control clients (the limit "
			       "is 16); close one and retry\"}\n");
	free(r);
	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++) {
		r = talk(f->c, fds[i], "{\"cmd\":\"echo\",\"x\":0}\n", 21, 1, 0);
		assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":0}\n");
		free(r);
	}
	for (i = 0; i <= VFO_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
}

/*
 * Opens a pty master (nonblocking) and writes its slave's path to 'path'.
 * Returns the master fd.
 */
static int
open_pty(char *path, size_t len)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);

	assert_true(fd >= 0);
	assert_int_equal(grantpt(fd), 0);
	assert_int_equal(unlockpt(fd), 0);
	assert_int_equal(ptsname_r(fd, path, len), 0);
	return fd;
}

static void
test_serial_pty(void **state)
{
	struct sock_fixture *f = *state;
	struct vfo_ctl_client *port = &f->c->serial[0];
	char pts[64], err[512], *r;
	int master = open_pty(pts, sizeof(pts)), fd, calls = 0;
	long until;

	assert_int_equal(vfo_ctl_open_serial(f->c, pts, err, sizeof(err)), 0);
	/* Raw mode: no echo, no line editing; the replies come back in order. */
	r = talk(f->c, master, "{\"cmd\":\"echo\",\"x\":1}\n{\"cmd\":\"echo\",\"x\":2}\n", 42, 2,
		 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":1}\n"
			       "{\"ok\":true,\"cmd\":\"echo\",\"echo\":2}\n");
	free(r);
	/* The host end goes away with half a request sent: it is dropped, the
	 * port stays open and is held rather than polled in a loop. */
	assert_int_equal(write(master, "{\"cmd\"", 6), 6);
	vfo_ctl_poll(f->c, 10);
	close(master);
	vfo_ctl_poll(f->c, 10);
	assert_true(port->fd >= 0);
	assert_int_equal(port->in_len, 0);
	assert_true(port->hold_until_ms > 0);
	until = (long)vfo_mono_ms() + 200;
	while ((long)vfo_mono_ms() < until) {
		assert_true(vfo_ctl_poll(f->c, 100) >= 0);
		calls++;
	}
	/* Held for VFO_CTL_SERIAL_HOLD_MS at a time: about 2 wake-ups per hold. */
	if (calls > 4 * 200 / VFO_CTL_SERIAL_HOLD_MS)
		fail_msg("%d polls in 200 ms: the closed port is spun on", calls);
	/* The socket still answers meanwhile. */
	fd = connect_to(f->path);
	r = talk(f->c, fd, "{\"cmd\":\"echo\",\"x\":3}\n", 21, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":3}\n");
	free(r);
	close(fd);
}

static void
test_serial_errors(void **state)
{
	struct sock_fixture *f = *state;
	char pts[64], err[512];
	int masters[VFO_CTL_MAX_SERIAL], i;

	assert_int_equal(vfo_ctl_open_serial(f->c, "/nonexistent/vfo-port", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open control serial port /nonexistent/vfo-port"));
	assert_non_null(strstr(err, "--ctl-serial"));
	for (i = 0; i < VFO_CTL_MAX_SERIAL; i++) {
		masters[i] = open_pty(pts, sizeof(pts));
		assert_int_equal(vfo_ctl_open_serial(f->c, pts, err, sizeof(err)), 0);
	}
	assert_int_equal(vfo_ctl_open_serial(f->c, pts, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many control serial ports"));
	assert_int_equal(f->c->nb_serial, VFO_CTL_MAX_SERIAL);
	for (i = 0; i < VFO_CTL_MAX_SERIAL; i++)
		close(masters[i]);
}

static void
test_socket_listen_errors(void **state)
{
	struct sock_fixture *f = *state;
	struct vfo_ctl *c2 = vfo_ctl_create();
	char err[512], want[512], longpath[200];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	assert_non_null(c2);
	/* A live socket is refused and left alone. */
	assert_int_equal(vfo_ctl_listen(c2, f->path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "another process is listening on %s; stop it or choose another --ctl path",
		 f->path);
	assert_string_equal(err, want);
	assert_int_equal(stat(f->path, &st), 0);
	/* Too long a path. */
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(vfo_ctl_listen(c2, longpath, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is 199 bytes long; it must be 1 to 107 bytes: choose a "
				    "shorter --ctl path"));
	/* Not a socket. */
	snprintf(want, sizeof(want), "%s/plain", f->dir);
	fd = open(want, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vfo_ctl_listen(c2, want, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists and is not a socket; remove it or choose another "
				    "--ctl path"));
	unlink(want);
	/* A stale socket (its process died) is replaced. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(vfo_ctl_listen(c2, sa.sun_path, err, sizeof(err)), 0);
	assert_int_equal(vfo_ctl_listen(c2, sa.sun_path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already listening"));
	vfo_ctl_destroy(c2);
	assert_int_equal(stat(sa.sun_path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* After destroy the socket file is gone. */
	vfo_ctl_destroy(f->c);
	f->c = NULL;
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* ------------------------------------------------------------------------
 * Telemetry converter (no EAL needed for rte_tel_data).
 */

/* Converts JSON text 'text' into fresh telemetry data; returns the result. */
static int
convert(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
	struct rte_tel_data *d = rte_tel_data_alloc();
	int rc;

	if (v == NULL)
		fail_msg("test JSON: %s", jerr.text);
	assert_non_null(d);
	LSAN_OFF();
	rc = vfo_telemetry_from_json(d, v);
	LSAN_ON();
	rte_tel_data_free(d);
	json_decref(v);
	return rc;
}

static void
test_telemetry_convert(void **state)
{
	json_t *o = json_object(), *a = json_array(), *deep = json_object(), *p = deep;
	char *big, *arr, *nest;
	int i;

	(void)state;
	/* Names telemetry would refuse ("rx-missed") are made valid. */
	assert_int_equal(convert("{\"rx-missed\":1,\"a b.c\":2,\"\":3}"), 0);
	/* Every scalar kind, nested objects, 22.11-unfriendly arrays. */
	assert_int_equal(
		convert("{\"s\":\"x\",\"u\":1,\"i\":-1,\"l\":-9000000000,\"r\":0.5,"
			"\"t\":true,\"f\":false,\"n\":null,\"o\":{\"p\":{\"q\":[1,2]}},"
			"\"objs\":[{\"a\":1},{\"b\":2}],\"arrs\":[[1],[2]],\"ints\":[-1,2],"
			"\"bools\":[true,false],\"mixed\":[1,\"a\",null,{}],\"e\":[],"
			"\"utf\":\"h\\u00e9\"}"),
		0);
	/* Top-level arrays and scalars. */
	assert_int_equal(convert("[{\"a\":1}]"), 0);
	assert_int_equal(convert("[1,2,3]"), 0);
	assert_int_equal(convert("\"just text\""), 0);
	assert_int_equal(convert("12"), 0);
	/* More entries than a dict or an array holds: the extras are left out. */
	for (i = 0; i < 300; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(o, k, json_integer(i));
	}
	for (i = 0; i < 600; i++)
		json_array_append_new(a, json_integer(i));
	/* Deeper than telemetry should nest. */
	for (i = 0; i < 30; i++) {
		json_t *n = json_object();

		json_object_set_new(p, "d", n);
		p = n;
	}
	big = json_dumps(o, JSON_COMPACT);
	arr = json_dumps(a, JSON_COMPACT);
	nest = json_dumps(deep, JSON_COMPACT);
	assert_int_equal(convert(big), 0);
	assert_int_equal(convert(arr), 0);
	assert_int_equal(convert(nest), 0);
	free(big);
	free(arr);
	free(nest);
	json_decref(o);
	json_decref(a);
	json_decref(deep);
}

/* A JSON producer for vfo_telemetry_register. */
static json_t *
producer(void *arg)
{
	(void)arg;
	return json_object();
}

static void
test_telemetry_register(void **state)
{
	char longpath[80];

	(void)state;
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(vfo_telemetry_register("/vfo_test/status", producer, NULL, "test"), 0);
	assert_int_equal(vfo_telemetry_register("/vfo_test/status", producer, NULL, "x"), -EEXIST);
	assert_int_equal(vfo_telemetry_register("no_slash", producer, NULL, "x"), -EINVAL);
	assert_int_equal(vfo_telemetry_register("/vfo_test/x", NULL, NULL, "x"), -EINVAL);
	assert_int_equal(vfo_telemetry_register(longpath, producer, NULL, "x"), -ENAMETOOLONG);
	/* A refused path did not take a table slot: it can still be fixed. */
	assert_int_equal(vfo_telemetry_register("/vfo_test/other", producer, NULL, NULL), 0);
}

/* Reads what 'fd' has (nonblocking) into buf (NUL-terminated); returns -1 at EOF. */
static ssize_t
read_some(int fd, char *buf, size_t len, size_t *got)
{
	ssize_t n = read(fd, buf + *got, len - *got - 1);

	if (n > 0)
		*got += (size_t)n;
	buf[*got] = '\0';
	return n == 0 ? -1 : n < 0 ? 0 : n; /* n < 0: EAGAIN, nothing yet */
}

/*
 * The idle timeout: a silent client and one whose line never ends are told
 * so and closed; a client that keeps sending requests stays.
 */
static void
test_socket_idle_timeout(void **state)
{
	struct sock_fixture *f = *state;
	int silent = connect_to(f->path), slow = connect_to(f->path), busy = connect_to(f->path);
	char bs[512], bl[512], bb[8192];
	size_t gs = 0, gl = 0, gb = 0;
	bool eof_s = false, eof_l = false;
	long start = (long)vfo_mono_ms(), next_byte = start, next_req = start;

	vfo_ctl_set_idle_timeout(f->c, 200);
	assert_true(send(slow, "{\"cmd\"", 6, 0) == 6);
	while ((long)vfo_mono_ms() - start < 600) {
		if ((long)vfo_mono_ms() >= next_byte && !eof_l) { /* one byte every 40 ms */
			assert_true(send(slow, " ", 1, MSG_NOSIGNAL) == 1);
			next_byte += 40;
		}
		if ((long)vfo_mono_ms() >= next_req) { /* one request every 50 ms */
			assert_true(send(busy, "{\"cmd\":\"echo\",\"x\":3}\n", 21, 0) == 21);
			next_req += 50;
		}
		assert_true(vfo_ctl_poll(f->c, 5) >= 0);
		eof_s |= !eof_s && read_some(silent, bs, sizeof(bs), &gs) < 0;
		eof_l |= !eof_l && read_some(slow, bl, sizeof(bl), &gl) < 0;
		read_some(busy, bb, sizeof(bb), &gb);
	}
	assert_true(eof_s && eof_l);
	assert_non_null(strstr(bs, "closed: nothing sent or read for 200 ms"));
	assert_non_null(strstr(bl, "closed: a request line was not finished within 200 ms"));
	assert_non_null(strstr(bb, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":3}\n"));
	assert_null(strstr(bb, "closed"));
	close(silent);
	close(slow);
	close(busy);
}

/*
 * With every slot taken by clients idle over a second, a new client gets
 * the slot of the one idle the longest (told why), and is served.
 */
static void
test_socket_evicts_idle(void **state)
{
	struct sock_fixture *f = *state;
	int fds[VFO_CTL_MAX_CLIENTS + 1], i, evicted = 0;
	long until;
	char *r;

	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(f->path);
		vfo_ctl_poll(f->c, 1);
	}
	for (until = (long)vfo_mono_ms() + VFO_CTL_EVICT_IDLE_MS + 100;
	     (long)vfo_mono_ms() < until;)
		vfo_ctl_poll(f->c, 10);
	fds[i] = connect_to(f->path);
	r = talk(f->c, fds[i], "{\"cmd\":\"echo\",\"x\":9}\n", 21, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":9}\n");
	free(r);
	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++) {
		char buf[512];
		size_t got = 0;

		if (read_some(fds[i], buf, sizeof(buf), &got) > 0) {
			assert_non_null(strstr(buf, "while every control slot was taken"));
			evicted++;
		}
		close(fds[i]);
	}
	assert_int_equal(evicted, 1);
	close(fds[VFO_CTL_MAX_CLIENTS]);
}

/*
 * A serial port's unfinished line is dropped after the timeout, with an
 * error reply; the port stays open and answers the next request.
 */
static void
test_serial_unfinished_line(void **state)
{
	struct sock_fixture *f = *state;
	char pts[64], err[512], *r;
	int master = open_pty(pts, sizeof(pts));
	long until;

	assert_int_equal(vfo_ctl_open_serial(f->c, pts, err, sizeof(err)), 0);
	vfo_ctl_set_idle_timeout(f->c, 150);
	assert_int_equal(write(master, "{\"cmd\":\"ec", 10), 10);
	for (until = (long)vfo_mono_ms() + 100; (long)vfo_mono_ms() < until;)
		vfo_ctl_poll(f->c, 5);
	/* Not yet: the rest of the line completes it. */
	r = talk(f->c, master, "ho\",\"x\":5}\n", 11, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":5}\n");
	free(r);
	assert_int_equal(write(master, "{\"cmd\":\"ec", 10), 10);
	r = talk(f->c, master, "", 0, 1, 0);
	assert_non_null(strstr(r, "an unfinished request line was dropped after 150 ms"));
	free(r);
	/* The dropped half does not prefix the next request. */
	r = talk(f->c, master, "{\"cmd\":\"echo\",\"x\":6}\n", 21, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":6}\n");
	free(r);
	/* Silence alone is fine on a serial port. */
	for (until = (long)vfo_mono_ms() + 400; (long)vfo_mono_ms() < until;)
		vfo_ctl_poll(f->c, 5);
	r = talk(f->c, master, "{\"cmd\":\"echo\",\"x\":7}\n", 21, 1, 0);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":\"echo\",\"echo\":7}\n");
	free(r);
	close(master);
}

int
main(void)
{
	const struct CMUnitTest proto[] = {
		cmocka_unit_test(test_good_command),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_handler_error),
		cmocka_unit_test(test_help_lists_commands),
		cmocka_unit_test(test_duplicate_registration),
		cmocka_unit_test(test_reply_has_no_newline),
		cmocka_unit_test(test_error_with_bad_utf8),
	};
	const struct CMUnitTest sock[] = {
		cmocka_unit_test_setup_teardown(test_socket_mode_and_pairs, setup_sock,
						teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_deferred, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_overlong_line, setup_sock,
						teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_flood_and_eof, setup_sock,
						teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_disconnect_and_reconnect, setup_sock,
						teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_listen_errors, setup_sock,
						teardown_sock),
		cmocka_unit_test_setup_teardown(test_serial_pty, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_serial_errors, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_idle_timeout, setup_sock,
						teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_evicts_idle, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_serial_unfinished_line, setup_sock,
						teardown_sock),
	};
	const struct CMUnitTest tel[] = {
		cmocka_unit_test(test_telemetry_convert),
		cmocka_unit_test(test_telemetry_register),
	};
	int failed = 0;

	/* talk() writes with write(2): a dropped client must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	failed += cmocka_run_group_tests_name("ctl_proto", proto, setup_ctl, teardown_ctl);
	failed += cmocka_run_group_tests_name("ctl_socket", sock, NULL, NULL);
	failed += cmocka_run_group_tests_name("ctl_telemetry", tel, NULL, NULL);
	return failed != 0;
}
