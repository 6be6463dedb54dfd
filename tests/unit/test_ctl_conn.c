/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctl_conn.c — unit tests of the control protocol's client side
 * (vfo_ctl_conn): against the real server (vfo_ctl on a UNIX socket, run
 * by a thread) for replies, refusals and ids; against a scripted raw
 * server for a stale reply with another id (skipped), a line that is not
 * JSON, a peer that closes, one that stays silent (timeout); and a path
 * nobody listens on.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "vfo_clock.h"
#include "vfo_ctl.h"
#include "vfo_ctl_conn.h"

/** A server thread and where it listens. */
struct server {
	char dir[64];	     /**< temporary directory */
	char path[128];	     /**< socket path */
	struct vfo_ctl *ctl; /**< the real server, or NULL: raw */
	int listen_fd;	     /**< raw server's socket */
	const char *script;  /**< raw: what to answer ("stale", "junk", "close", "mute") */
	bool stop;	     /**< tells the thread to end (atomic) */
	pthread_t thread;    /**< the thread */
};

/* Handler "echo": copies "x" into the reply. */
static int
echo_handler(const json_t *req, json_t *reply, void *arg)
{
	(void)arg;
	json_object_set(reply, "echo", json_object_get(req, "x"));
	return 0;
}

/* The real server's thread: polls until told to stop. */
static void *
ctl_main(void *arg)
{
	struct server *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		vfo_ctl_poll(s->ctl, 5);
	return NULL;
}

/* Reads one request line from 'fd' and returns its "id" (-1: none). */
static json_int_t
read_id(int fd)
{
	char buf[4096];
	size_t got = 0;
	json_t *j;
	json_int_t id;

	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	j = json_loadb(buf, (size_t)(strchr(buf, '\n') - buf), 0, NULL);
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	return id;
}

/* The raw server's thread: one connection, answered as s->script says. */
static void *
raw_main(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->listen_fd, NULL, NULL);
	json_int_t id = fd >= 0 ? read_id(fd) : -1;
	char out[256];
	int n = 0;

	if (strcmp(s->script, "stale") == 0)
		n = snprintf(out, sizeof(out),
			     "{\"ok\":true,\"id\":%lld,\"late\":true}\n{\"ok\":true,\"id\":%lld}\n",
			     (long long)id - 1, (long long)id);
	else if (strcmp(s->script, "junk") == 0)
		n = snprintf(out, sizeof(out), "hello there\n");
	if (n > 0 && write(fd, out, (size_t)n) != n)
		fail_msg("raw server: write failed");
	if (strcmp(s->script, "mute") == 0)
		while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
			usleep(1000);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Starts a server in a temporary directory: real when 'script' is NULL. */
static struct server *
start(const char *script)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256];

	assert_non_null(s);
	strcpy(s->dir, "/tmp/vfo_conn_test.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/s.sock", s->dir);
	s->script = script;
	if (script == NULL) {
		s->ctl = vfo_ctl_create();
		assert_non_null(s->ctl);
		assert_int_equal(vfo_ctl_register(s->ctl, "echo", echo_handler, NULL, "x"), 0);
		assert_int_equal(vfo_ctl_listen(s->ctl, s->path, err, sizeof(err)), 0);
	} else {
		s->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
		strcpy(sa.sun_path, s->path);
		assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(s->listen_fd, 4), 0);
	}
	assert_int_equal(pthread_create(&s->thread, NULL, script ? raw_main : ctl_main, s), 0);
	return s;
}

/* Stops and removes server 's'. */
static void
stop(struct server *s)
{
	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	if (s->ctl != NULL)
		vfo_ctl_destroy(s->ctl);
	else
		close(s->listen_fd);
	unlink(s->path);
	rmdir(s->dir);
	free(s);
}

static void
test_real_server(void **state)
{
	struct server *s = start(NULL);
	char err[256] = "";
	struct vfo_ctl_conn *c = vfo_ctl_conn_open(s->path, err, sizeof(err));
	json_t *q = json_pack("{ss si}", "cmd", "echo", "x", 7),
	       *q2 = json_pack("{ss}", "cmd", "nope");
	json_t *r, *r2;

	(void)state;
	assert_non_null(c);
	assert_string_equal(vfo_ctl_conn_path(c), s->path);
	r = vfo_ctl_conn_request(c, q, 2000, err, sizeof(err));
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "echo")), 7);
	/* A refusal is a reply, not a failure; ids never repeat. */
	r2 = vfo_ctl_conn_request(c, q2, 2000, err, sizeof(err));
	assert_non_null(r2);
	assert_true(json_is_false(json_object_get(r2, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(r2, "error")), "unknown command"));
	assert_true(json_integer_value(json_object_get(r2, "id")) >
		    json_integer_value(json_object_get(r, "id")));
	/* The request stays the caller's; its "id" was set. */
	assert_int_equal(json_integer_value(json_object_get(q, "id")),
			 json_integer_value(json_object_get(r, "id")));
	json_decref(q);
	json_decref(q2);
	json_decref(r);
	json_decref(r2);
	vfo_ctl_conn_close(c);
	vfo_ctl_conn_close(NULL);
	stop(s);
}

/* Runs one request against raw server 'script'; returns the reply and err. */
static json_t *
raw_request(const char *script, int timeout_ms, char *err, size_t errlen)
{
	struct server *s = start(script);
	struct vfo_ctl_conn *c = vfo_ctl_conn_open(s->path, err, errlen);
	json_t *q, *r;

	assert_non_null(c);
	q = json_pack("{ss}", "cmd", "status");
	r = vfo_ctl_conn_request(c, q, timeout_ms, err, errlen);
	json_decref(q);
	vfo_ctl_conn_close(c);
	stop(s);
	return r;
}

static void
test_stale_reply_skipped(void **state)
{
	char err[256] = "";
	json_t *r = raw_request("stale", 2000, err, sizeof(err));

	(void)state;
	assert_non_null(r);
	assert_null(json_object_get(r, "late"));
	json_decref(r);
}

static void
test_bad_peers(void **state)
{
	char err[256] = "";
	uint64_t t0, ms;

	(void)state;
	assert_null(raw_request("junk", 2000, err, sizeof(err)));
	assert_non_null(strstr(err, "sent a line that is not a JSON object: hello there"));
	assert_null(raw_request("close", 2000, err, sizeof(err)));
	assert_non_null(strstr(err, "closed the connection"));
	t0 = vfo_mono_ms();
	assert_null(raw_request("mute", 100, err, sizeof(err)));
	ms = vfo_mono_ms() - t0;
	assert_non_null(strstr(err, "timed out"));
	/* It waited for its timeout, not less. */
	assert_true(ms >= 100);
}

static void
test_nobody_there(void **state)
{
	char err[256] = "";
	char longpath[200];

	(void)state;
	assert_null(vfo_ctl_conn_open("/nonexistent/vfo.sock", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot connect to control socket /nonexistent/vfo.sock"));
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(vfo_ctl_conn_open(longpath, err, sizeof(err)));
	assert_non_null(strstr(err, "it must be 1 to 107"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_server),
		cmocka_unit_test(test_stale_reply_skipped),
		cmocka_unit_test(test_bad_peers),
		cmocka_unit_test(test_nobody_there),
	};

	return cmocka_run_group_tests_name("ctl_conn", tests, NULL, NULL);
}
