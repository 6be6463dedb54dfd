/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ctl.c — libFuzzer harness of the control protocol as vfailover
 * serves it: the protocol library (common/ctl: parse, dispatch over the
 * command table, reply; the transport's line framing) with vfailover's
 * real command table: status, stats, flows and quit (app/app_ctl.c), and
 * prepare, attach (with its policy), prefer and timeline (the failover
 * engine), over two uplinks without ports: their failover machines drive
 * fake ports (attach fails for devargs holding "fail", times out for
 * "slow", finds its PMD busy for "busy"), their flow tables are real.  No
 * failover thread: the harness runs the engine's queued commands itself
 * (vfo_fo_engine_run_commands), and the dispatcher's commands without a
 * peer run at once.
 *
 * Input: a mode byte, then request lines.  Mode byte & 7 == 1 (an input in
 * eight): the bytes go over a connection to the control socket, whose
 * transport (shared with the serial port) frames them (long lines, missing
 * newlines, NULs) and answers (prepare, attach and prefer deferred, as
 * vfailover does); otherwise each line is handed to the dispatcher
 * (vfo_ctl_handle_line), which costs a connection less.  Each input starts
 * from the same state: machines on the VF, both members up, empty flow
 * tables.
 *
 * Checks: every reply is one line of a JSON object with a boolean "ok", an
 * "error" string when not ok, and the request's "id" when it had one; the
 * machines stay in a valid state; over the socket, one valid reply per line.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rte_lcore.h>

#include "app.h"
#include "fuzz_eal.h"
#include "vfo_flow.h"

/* Uplinks of the fake application. */
#define UPLINKS 2

/* The fake ports of one uplink. */
struct fake_port {
	bool present[VFO_MEMBER_COUNT]; /* member has a port */
	uint64_t now_us;		/* virtual clock: 1 ms per reading */
};

static struct vfo_app app;
static struct vfo_uplink uplinks[UPLINKS];
static struct fake_port ports[UPLINKS];
static char sock_path[64];

/* Returns the fake ports of the uplink whose machine has context 'ctx'. */
static struct fake_port *
port_of(void *ctx)
{
	return &ports[(struct vfo_fo_uplink_ctx *)ctx - app.fo.port];
}

static int
f_set_active(void *ctx, int id)
{
	(void)ctx;
	FUZZ_CHECK(id >= -1 && id < VFO_MEMBER_COUNT);
	return 0;
}

static int
f_attach(void *ctx, int id, const char *devargs)
{
	FUZZ_CHECK(devargs != NULL && strlen(devargs) < VFO_DEVARGS_MAX);
	if (strstr(devargs, "fail") != NULL)
		return -ENODEV;
	if (strstr(devargs, "slow") != NULL)
		return -ETIMEDOUT;
	if (strstr(devargs, "busy") != NULL)
		return -EBUSY;
	port_of(ctx)->present[id] = true;
	return 0;
}

static int
f_detach(void *ctx, int id, struct vfo_release *rel)
{
	port_of(ctx)->present[id] = false;
	*rel = (struct vfo_release){.done = true, .exact = true};
	return 0;
}

static bool
f_present(void *ctx, int id)
{
	return port_of(ctx)->present[id];
}

static uint64_t
f_rx_count(void *ctx, int id)
{
	(void)ctx;
	(void)id;
	return 0;
}

static uint64_t
f_poll_mark(void *ctx)
{
	(void)ctx;
	return 0;
}

static bool
f_polled_since(void *ctx, uint64_t mark)
{
	(void)ctx;
	(void)mark;
	return true; /* the (absent) workers never hold a view */
}

static void
f_announce(void *ctx, int id)
{
	(void)ctx;
	(void)id;
}

static uint64_t
f_now_us(void *ctx)
{
	/* The engine also reads the time with ctx NULL. */
	return ctx == NULL ? 0 : (port_of(ctx)->now_us += 1000);
}

static int
f_probe(void *ctx, int id, uint32_t target)
{
	(void)ctx;
	(void)id;
	(void)target;
	return 0;
}

static uint64_t
f_path_replies(void *ctx, int id)
{
	(void)ctx;
	(void)id;
	return 0;
}

static const struct vfo_fo_ops fake_ops = {
	.set_active = f_set_active,
	.attach = f_attach,
	.detach = f_detach,
	.present = f_present,
	.link_up = f_present,
	.rx_count = f_rx_count,
	.poll_mark = f_poll_mark,
	.polled_since = f_polled_since,
	.tx_done_known = f_present, /* known: drains stay short */
	.announce = f_announce,
	.now_us = f_now_us,
	.probe = f_probe,
	.path_replies = f_path_replies,
};

/* The machines' settings: a drain ends at its first tick, so "prepare"
 * never sleeps. */
static struct vfo_fo_engine_conf engine_conf = {.tick_us = 1000};

/* Puts every machine on its VF with both members up, tables empty. */
static void
reset_state(void)
{
	unsigned int i;

	for (i = 0; i < UPLINKS; i++) {
		const struct vfo_uplink_params *p = &uplinks[i].params;

		ports[i] = (struct fake_port){.present = {true, true}};
		vfo_flow_reset(uplinks[i].flows);
		vfo_fo_init(&app.fo.fo[i], p->name, &engine_conf.fo, &fake_ops, &app.fo.port[i],
			    (const char(*)[VFO_DEVARGS_MAX])p->devargs, VFO_FO_VF_ACTIVE);
	}
	__atomic_store_n(&app.quit, false, __ATOMIC_RELAXED);
}

/* Removes the control socket file (at exit). */
static void
remove_socket(void)
{
	unlink(sock_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const drivers[UPLINKS] = {"net_memif", "net_memif"};
	char err[512];
	unsigned int i;

	(void)argc;
	(void)argv;
	fuzz_eal_init("fuzz_ctl");
	vfo_config_defaults(&app.cfg);
	app.nb_uplinks = UPLINKS;
	for (i = 0; i < UPLINKS; i++) {
		struct vfo_uplink *u = &uplinks[i];
		unsigned int id;

		snprintf(u->params.name, sizeof(u->params.name), "u%u", i);
		snprintf(u->params.devargs[VFO_MEMBER_VF], VFO_DEVARGS_MAX,
			 "net_memif%u,role=client,socket=/tmp/fuzz-vf%u.sock", 2 * i, i);
		snprintf(u->params.devargs[VFO_MEMBER_BACKUP], VFO_DEVARGS_MAX,
			 "net_memif%u,role=client,socket=/tmp/fuzz-bk%u.sock", 2 * i + 1, i);
		for (id = 0; id < VFO_MEMBER_COUNT; id++) {
			u->member[id].port_id = VFO_PORT_NONE;
			memcpy(u->member[id].devargs, u->params.devargs[id], VFO_DEVARGS_MAX);
		}
		u->views[0].tx_port = VFO_PORT_NONE;
		u->view = &u->views[0];
		u->active = -1;
		FUZZ_CHECK(vfo_mutex_init(&u->lock) == 0);
		u->flows = vfo_flow_create(u->params.name, 64, 1, SOCKET_ID_ANY);
		FUZZ_CHECK(u->flows != NULL);
		app.uplink[i] = u;
	}
	/* The protocol on a socket of this process's own, removed at exit. */
	snprintf(sock_path, sizeof(sock_path), "/tmp/vfo-fuzz-ctl-%d.sock", (int)getpid());
	snprintf(app.cfg.ctl_path, sizeof(app.cfg.ctl_path), "%s", sock_path);
	atexit(remove_socket);
	FUZZ_CHECK(vfo_app_ctl_setup(&app, err, sizeof(err)) == 0);
	vfo_ctl_set_idle_timeout(app.ctl, 0);
	vfo_fo_conf_defaults(&engine_conf.fo);
	engine_conf.fo.settle_us = 0;
	engine_conf.fo.max_drain_us = 0;
	snprintf(engine_conf.attach_allow, sizeof(engine_conf.attach_allow), "net_null");
	FUZZ_CHECK(vfo_fo_engine_init(&app.fo, app.uplink, UPLINKS, &engine_conf, &fake_ops,
				      drivers, app.ctl, err, sizeof(err)) == 0);
	vfo_fo_engine_register(&app.fo, app.ctl);
	return 0;
}

/* Checks one reply line (len bytes, no newline) to request 'req' (NULL: unknown). */
static void
check_reply(const char *reply, size_t len, const json_t *req)
{
	json_error_t jerr;
	json_t *r = json_loadb(reply, len, 0, &jerr), *ok, *id;

	FUZZ_CHECK(r != NULL && json_is_object(r));
	FUZZ_CHECK(memchr(reply, '\n', len) == NULL);
	ok = json_object_get(r, "ok");
	FUZZ_CHECK(json_is_boolean(ok));
	if (json_is_false(ok)) {
		const char *e = json_string_value(json_object_get(r, "error"));

		FUZZ_CHECK(e != NULL && e[0] != '\0');
	}
	id = json_is_object(req) ? json_object_get(req, "id") : NULL;
	if (id != NULL)
		FUZZ_CHECK(json_equal(id, json_object_get(r, "id")));
	json_decref(r);
}

/* Hands each line of data[0..size) to the dispatcher and checks its reply. */
static void
run_lines(const uint8_t *data, size_t size)
{
	size_t start = 0;

	while (start <= size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl != NULL ? (size_t)(nl - data) - start : size - start;
		json_t *req = json_loadb((const char *)data + start, len,
					 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		char *reply = vfo_ctl_handle_line(app.ctl, (const char *)data + start, len);

		FUZZ_CHECK(reply != NULL);
		check_reply(reply, strlen(reply), req);
		free(reply);
		json_decref(req);
		start += len + 1;
	}
}

/* Reads what connection 'fd' answered; checks and counts each line.
 * Returns false at EOF. */
static bool
drain_replies(int fd, char *buf, size_t *got, size_t cap, size_t *replies)
{
	ssize_t n;
	char *nl;

	while ((n = read(fd, buf + *got, cap - *got)) > 0) {
		*got += (size_t)n;
		while ((nl = memchr(buf, '\n', *got)) != NULL) {
			check_reply(buf, (size_t)(nl - buf), NULL);
			(*replies)++;
			*got -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, *got);
		}
		FUZZ_CHECK(*got < cap); /* a reply is never that long */
	}
	return n != 0;
}

/* One turn of vfailover's control side: the socket, then the commands the
 * failover thread would run, then their deferred replies. */
static void
serve(void)
{
	vfo_ctl_poll(app.ctl, 0);
	vfo_fo_engine_run_commands(&app.fo);
	vfo_fo_engine_complete(&app.fo);
}

/*
 * Sends data[0..size) and a final newline on a new connection, then EOF,
 * and checks the replies until vfailover closes it: exactly one per newline
 * (a line too long for the buffer gets its one refusal, and its newline
 * ends the discarding silently).
 */
static void
run_socket(const uint8_t *data, size_t size)
{
	static char buf[1 << 20];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t sent = 0, got = 0, replies = 0, want = 1, i;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), polls = 0;
	bool open = true;

	FUZZ_CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	FUZZ_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	for (i = 0; i < size; i++)
		want += data[i] == '\n';
	while (sent <= size) {
		const void *p = sent < size ? (const void *)(data + sent) : "\n";
		ssize_t n = send(fd, p, sent < size ? size - sent : 1, MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		serve();
		drain_replies(fd, buf, &got, sizeof(buf), &replies);
	}
	FUZZ_CHECK(shutdown(fd, SHUT_WR) == 0);
	/* Socket delivery is immediate: a few polls answer everything. */
	while (open && polls++ < 100000) {
		serve();
		open = drain_replies(fd, buf, &got, sizeof(buf), &replies);
	}
	FUZZ_CHECK(!open);
	FUZZ_CHECK(replies == want);
	FUZZ_CHECK(got == 0); /* every reply ends with its newline */
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i;

	if (size == 0)
		return 0;
	reset_state();
	if ((data[0] & 7) == 1)
		run_socket(data + 1, size - 1);
	else
		run_lines(data + 1, size - 1);
	for (i = 0; i < UPLINKS; i++)
		FUZZ_CHECK(app.fo.fo[i].state < VFO_FO_STATE_COUNT);
	return 0;
}
