/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_ctl.h — the control socket: a UNIX stream socket (mode 0600) that
 * speaks one JSON object per line in each direction; the same protocol is
 * also served on serial ports (a guest's virtio-serial channel to its host).
 *
 * Request:  {"cmd":"NAME", ...arguments..., "id":ANY}   ("id" is optional)
 * Reply:    {"ok":true, "cmd":"NAME", ...result..., "id":ANY}
 *      or   {"ok":false, "error":"what went wrong and what to do", "id":ANY}
 *
 * A malformed line, an unknown command or a line over VFO_CTL_LINE_MAX bytes
 * gets an error reply and changes nothing.  Commands are registered by the
 * application (vfo_ctl_register); "help" lists them.
 *
 * Thread-safety: a struct vfo_ctl is used by one thread (the control
 * thread); handlers run on that thread.
 */
#ifndef VFO_CTL_H
#define VFO_CTL_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest request line accepted, newline included. */
#define VFO_CTL_LINE_MAX (64 * 1024)

struct vfo_ctl;

/**
 * A command handler.  'req' is the request object; the handler adds its
 * result fields to 'reply'.  Returns 0 on success, or -1 after setting
 * "error" in 'reply' with vfo_ctl_error(), or VFO_CTL_DEFERRED after
 * vfo_ctl_defer() (the reply comes later).
 */
typedef int (*vfo_ctl_handler_t)(const json_t *req, json_t *reply, void *arg);

/** A handler's return value: its reply comes later (see vfo_ctl_defer). */
#define VFO_CTL_DEFERRED 1

/** A request whose reply its handler deferred (vfo_ctl_defer). */
struct vfo_ctl_pending;

/**
 * Creates a command table with no socket yet (so the protocol can be used
 * and tested without one).  Returns NULL on allocation failure.
 */
struct vfo_ctl *vfo_ctl_create(void);

/**
 * Adds command 'name' with its handler, argument and one-line help text.
 * Returns 0, or -1 when the name is taken or memory is short.
 */
int vfo_ctl_register(struct vfo_ctl *c, const char *name, vfo_ctl_handler_t fn, void *arg,
		     const char *help);

/**
 * Runs one request line (without its newline) and returns the reply line
 * (without newline) in a malloc'd string the caller frees.
 */
char *vfo_ctl_handle_line(struct vfo_ctl *c, const char *line, size_t len);

/**
 * From a handler, on the thread of 'c': defers the reply to the request
 * being handled, for work that takes a while (the handler hands it to
 * another thread and returns VFO_CTL_DEFERRED).  Meanwhile 'c' serves its
 * other peers; the same peer's later requests wait, so that its replies
 * stay in order.  The reply is given with vfo_ctl_complete().  Returns NULL
 * when the request did not come from a peer (vfo_ctl_handle_line) or
 * memory is short: the handler must then answer at once.
 */
struct vfo_ctl_pending *vfo_ctl_defer(struct vfo_ctl *c);

/**
 * On the thread of 'c': gives the reply of deferred request 'p'.  'result'
 * holds what a handler adds to its reply (its fields, or "ok":false and
 * "error" set by vfo_ctl_error()) and 'rc' what it would have returned (0
 * or -1); "cmd" and "id" are added as for any reply.  A peer that went away
 * meanwhile gets nothing.  The peer's next requests are answered.  Frees
 * 'p'; 'result' stays the caller's.
 */
void vfo_ctl_complete(struct vfo_ctl *c, struct vfo_ctl_pending *p, const json_t *result, int rc);

/** Sets "ok":false and "error":<formatted message> in 'reply'; returns -1. */
int vfo_ctl_error(json_t *reply, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Binds the UNIX socket at 'path' (mode 0600) and starts listening.  A stale
 * socket file is replaced; a live one (another process answers) is an error.
 * Returns 0, or -1 with 'err' set.
 */
int vfo_ctl_listen(struct vfo_ctl *c, const char *path, char *err, size_t errlen);

/**
 * Also serves the protocol on the character device 'path': a virtio-serial
 * port (/dev/virtio-ports/org.vfailover.0 in a guest), a serial line or a
 * pty, as one always-connected peer.  A tty is put in raw mode.  While the
 * host end is closed (reads return 0 or fail, POLLHUP), the port is
 * left alone for VFO_CTL_SERIAL_HOLD_MS at a time and a half-read request
 * is dropped; replies not yet sent wait for the host's next connection
 * (they carry their request's "id"); the port is never closed.  Returns 0, or -1
 * with 'err' set.
 */
int vfo_ctl_open_serial(struct vfo_ctl *c, const char *path, char *err, size_t errlen);

/** Default of vfo_ctl_set_idle_timeout() (ms). */
#define VFO_CTL_IDLE_DEFAULT_MS 60000

/**
 * Bounds how long a peer may hold the protocol without using it (ms, 0:
 * forever; default VFO_CTL_IDLE_DEFAULT_MS):
 *   - a socket client silent that long (nothing sent, nothing read of its
 *     replies), or whose request line is not finished that long after it
 *     began, is told so in an error line and closed;
 *   - a serial port's request line not finished that long after it began
 *     is dropped and answered with an error (the port stays open: its peer
 *     is always there, silence is normal).
 * Independently, with every socket slot taken a new client takes the slot
 * of the client idle the longest, once that one has been idle a second.
 */
void vfo_ctl_set_idle_timeout(struct vfo_ctl *c, unsigned int ms);

/**
 * Waits up to 'timeout_ms' for activity, accepts clients, reads their lines
 * and answers them, and closes clients idle past the timeout.  Returns the
 * number of requests handled, or -1 on a fatal socket error.
 */
int vfo_ctl_poll(struct vfo_ctl *c, int timeout_ms);

/**
 * Makes vfo_ctl_poll() also return as soon as 'fd' is readable (-1: none),
 * without reading it: the control thread's event queue wakes it this way.
 */
void vfo_ctl_set_wake_fd(struct vfo_ctl *c, int fd);

/** Closes every client and the socket, removes the socket file, frees 'c'. */
void vfo_ctl_destroy(struct vfo_ctl *c);

#ifdef __cplusplus
}
#endif

#endif /* VFO_CTL_H */
