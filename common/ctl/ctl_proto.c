/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_proto.c — the command table and the JSON-lines protocol of the
 * control socket: one request object in, one compact reply object out.
 *
 * Thread-safety: a struct vfo_ctl is used by one thread at a time (see
 * vfo_ctl.h); vfo_ctl_error() only touches the reply it is given.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vfo_ctl.h"
#include "ctl_internal.h"

/** Longest part of a client-supplied name quoted back in an error. */
#define NAME_QUOTE_MAX 64

/** How a client is told to discover the commands. */
#define HELP_HINT "send {\"cmd\":\"help\"} for the list"

/*
 * Returns a new JSON string holding 's'; when 's' is not valid UTF-8 (a
 * message that quotes raw bytes, or a quote cut inside a character), every
 * non-ASCII byte is replaced by '?' first.  Changes 's' in that case.
 * Returns NULL only when memory is short.
 */
static json_t *
string_or_ascii(char *s)
{
	json_t *j = json_string(s);
	char *p;

	if (j != NULL)
		return j;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(s);
}

/*
 * Sets "ok":false and "error" (printf-style message) in 'reply'.  Returns
 * -1, so that a handler can end with "return vfo_ctl_error(...)".  When
 * memory is short the reply may lack "error"; the caller then reports a
 * generic one.
 */
int
vfo_ctl_error(json_t *reply, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (reply == NULL)
		return -1;
	json_object_set_new(reply, "ok", json_false());
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	json_object_set_new(reply, "error", string_or_ascii(msg));
	free(msg);
	return -1;
}

/*
 * Handler of the built-in "help": adds "commands", an object mapping each
 * registered command to its help text, in registration order.  Returns 0,
 * or -1 when memory is short.
 */
static int
help_handler(const json_t *req, json_t *reply, void *arg)
{
	const struct vfo_ctl *c = arg;
	json_t *list = json_object();
	size_t i;

	(void)req;
	if (list == NULL)
		return -1;
	for (i = 0; i < c->nb_cmds; i++)
		json_object_set_new(list, c->cmds[i].name, json_string(c->cmds[i].help));
	return json_object_set_new(reply, "commands", list);
}

/*
 * Creates an empty control object with the built-in "help" registered and
 * no socket.  Returns it, or NULL when memory is short.
 */
struct vfo_ctl *
vfo_ctl_create(void)
{
	struct vfo_ctl *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL)
		return NULL;
	c->listen_fd = -1;
	c->wake_fd = -1;
	c->idle_ms = VFO_CTL_IDLE_DEFAULT_MS;
	for (i = 0; i < VFO_CTL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	for (i = 0; i < VFO_CTL_MAX_SERIAL; i++)
		c->serial[i].fd = -1;
	if (vfo_ctl_register(c, "help", help_handler, c,
			     "lists the commands with their help text") != 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* Returns the command of 'c' called 'name', or NULL. */
static const struct vfo_ctl_cmd *
find_cmd(const struct vfo_ctl *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nb_cmds; i++)
		if (strcmp(c->cmds[i].name, name) == 0)
			return &c->cmds[i];
	return NULL;
}

/*
 * Adds command 'name' to the table of 'c' (a NULL 'help' counts as "").
 * Returns 0, or -1 when an argument is missing, the name is empty or
 * taken, or memory is short; the table is unchanged then.
 */
int
vfo_ctl_register(struct vfo_ctl *c, const char *name, vfo_ctl_handler_t fn, void *arg,
		 const char *help)
{
	struct vfo_ctl_cmd cmd = {.fn = fn, .arg = arg};

	if (c == NULL || name == NULL || name[0] == '\0' || fn == NULL || find_cmd(c, name))
		return -1;
	if (c->nb_cmds == c->cap_cmds) {
		size_t cap = c->cap_cmds ? 2 * c->cap_cmds : 8;
		struct vfo_ctl_cmd *t = realloc(c->cmds, cap * sizeof(*t));

		if (t == NULL)
			return -1;
		c->cmds = t;
		c->cap_cmds = cap;
	}
	cmd.name = strdup(name);
	cmd.help = strdup(help != NULL ? help : "");
	if (cmd.name == NULL || cmd.help == NULL) {
		free(cmd.name);
		free(cmd.help);
		return -1;
	}
	c->cmds[c->nb_cmds++] = cmd;
	return 0;
}

/* Frees the command table of 'c' (declared in ctl_internal.h). */
void
vfo_ctl__free_cmds(struct vfo_ctl *c)
{
	size_t i;

	for (i = 0; i < c->nb_cmds; i++) {
		free(c->cmds[i].name);
		free(c->cmds[i].help);
	}
	free(c->cmds);
	c->cmds = NULL;
	c->nb_cmds = 0;
	c->cap_cmds = 0;
}

/*
 * Turns what a handler left in 'reply' after returning 'rc' into the
 * reply: {"ok":true,"cmd":NAME,...result...} or {"ok":false,"error":..}
 * (a failed handler's half result is dropped, its reason kept, and its
 * "detail" object when it set one: what the failure left done).
 */
static void
finish_reply(json_t *reply, const char *name, int rc)
{
	json_t *err, *detail;

	if (rc == 0) {
		json_object_set_new(reply, "ok", json_true());
		json_object_set_new(reply, "cmd", json_string(name));
		return;
	}
	err = json_incref(json_object_get(reply, "error"));
	detail = json_incref(json_object_get(reply, "detail"));
	json_object_clear(reply);
	if (json_is_string(err)) {
		json_object_set_new(reply, "ok", json_false());
		json_object_set_new(reply, "error", err);
	} else {
		json_decref(err);
		vfo_ctl_error(reply,
			      "command '%s' failed without giving a reason; see the "
			      "vfailover log",
			      name);
	}
	if (json_is_object(detail))
		json_object_set(reply, "detail", detail);
	json_decref(detail);
}

/*
 * Runs the command named in 'req' (an object with a string "cmd").  Returns
 * the reply: {"ok":true,"cmd":NAME,...result...} or {"ok":false,"error":..};
 * NULL when memory is short, or when the handler deferred its reply (then
 * c->deferred holds the request).
 */
static json_t *
run_cmd(struct vfo_ctl *c, const json_t *req, const char *name)
{
	const struct vfo_ctl_cmd *cmd = find_cmd(c, name);
	json_t *reply = json_object();
	int rc;

	if (reply == NULL)
		return NULL;
	if (cmd == NULL) {
		vfo_ctl_error(reply, "unknown command '%.*s'; " HELP_HINT, NAME_QUOTE_MAX, name);
		return reply;
	}
	json_object_set_new(reply, "ok", json_true());
	json_object_set_new(reply, "cmd", json_string(cmd->name));
	rc = cmd->fn(req, reply, cmd->arg);
	if (rc == VFO_CTL_DEFERRED && c->deferred != NULL) {
		c->deferred->cmd = strdup(cmd->name);
		c->deferred->id = json_incref(json_object_get(req, "id"));
		json_decref(reply);
		return NULL;
	}
	free(c->deferred); /* deferred, then answered at once after all */
	c->deferred = NULL;
	finish_reply(reply, cmd->name, rc == 0 ? 0 : -1);
	return reply;
}

struct vfo_ctl_pending *
vfo_ctl_defer(struct vfo_ctl *c)
{
	if (c->serving == NULL || c->deferred != NULL)
		return NULL;
	c->deferred = calloc(1, sizeof(*c->deferred));
	if (c->deferred != NULL)
		c->deferred->client = c->serving;
	return c->deferred;
}

void
vfo_ctl_complete(struct vfo_ctl *c, struct vfo_ctl_pending *p, const json_t *result, int rc)
{
	json_t *reply = json_object();
	struct vfo_ctl_client *cl = p->client;
	char *line = NULL;

	if (reply != NULL && result != NULL)
		json_object_update(reply, (json_t *)result);
	if (reply != NULL) {
		finish_reply(reply, p->cmd != NULL ? p->cmd : "?", rc);
		if (p->id != NULL)
			json_object_set(reply, "id", p->id);
		line = json_dumps(reply, JSON_COMPACT);
	}
	json_decref(reply);
	if (cl != NULL) {
		cl->waiting = NULL;
		vfo_ctl__reply(cl, line);
		vfo_ctl__resume(c, cl);
	}
	free(line);
	json_decref(p->id);
	free(p->cmd);
	free(p);
}

/*
 * Parses one request line and runs it.  Returns the reply object (with the
 * request's "id" copied when it has one), or NULL when memory is short.
 */
static json_t *
handle_request(struct vfo_ctl *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *reply, *id;
	const char *name;

	if (len == 0) {
		reply = json_object();
		vfo_ctl_error(reply, "empty request line; " HELP_HINT);
		return reply;
	}
	req = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		reply = json_object();
		vfo_ctl_error(reply,
			      "malformed JSON at column %d: %s; send one JSON object per line, "
			      "e.g. {\"cmd\":\"help\"}",
			      jerr.column, jerr.text);
		return reply;
	}
	name = json_string_value(json_object_get(req, "cmd"));
	if (name == NULL) {
		reply = json_object();
		vfo_ctl_error(reply, "request must be a JSON object with a string \"cmd\", "
				     "e.g. {\"cmd\":\"help\"}");
	} else {
		reply = run_cmd(c, req, name);
	}
	id = json_object_get(req, "id");
	if (reply != NULL && id != NULL)
		json_object_set(reply, "id", id);
	json_decref(req);
	return reply;
}

char *
vfo_ctl__handle_line(struct vfo_ctl *c, const char *line, size_t len, bool *deferred)
{
	json_t *reply;
	char *s;

	c->deferred = NULL;
	reply = handle_request(c, line, len);
	*deferred = reply == NULL && c->deferred != NULL;
	if (reply == NULL)
		return NULL;
	/* JSON_COMPACT emits no newline, and strings escape theirs. */
	s = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return s;
}

/*
 * Runs one request line (no newline) and returns the compact one-line
 * reply in a malloc'd string the caller frees, or NULL when memory is
 * short.  Changes nothing but what the command's handler changes.
 */
char *
vfo_ctl_handle_line(struct vfo_ctl *c, const char *line, size_t len)
{
	bool deferred;

	return vfo_ctl__handle_line(c, line, len, &deferred);
}
