/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_ctl_conn.h — the client side of the control protocol (vfo_ctl.h):
 * one connection to a UNIX stream socket that speaks JSON lines, such as
 * vfailover's --ctl socket or the host end of a guest's virtio-serial
 * channel (<channel type='unix'>), which carries the same protocol.
 *
 * Each request gets a fresh "id"; a reply is the next line carrying that
 * id (lines with another id, left over from an earlier request that timed
 * out, are skipped).  Needs jansson only, not DPDK.
 *
 * Thread-safety: a connection is used by one thread at a time.
 */
#ifndef VFO_CTL_CONN_H
#define VFO_CTL_CONN_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest reply line accepted (replies can be larger than requests). */
#define VFO_CTL_CONN_REPLY_MAX (1024 * 1024)

struct vfo_ctl_conn;

/**
 * Connects to the UNIX socket 'path'.  Returns the connection, or NULL
 * with 'err' set (naming the path and what to check).
 */
struct vfo_ctl_conn *vfo_ctl_conn_open(const char *path, char *err, size_t errlen);

/**
 * Sends 'req' (a JSON object; "id" is set on it) and waits up to
 * 'timeout_ms' for its reply.  Returns the reply (a new reference; "ok"
 * may be false: the peer refused), or NULL with 'err' set when the peer
 * did not answer in time, closed, or sent a line that is not a JSON
 * object.
 */
json_t *vfo_ctl_conn_request(struct vfo_ctl_conn *c, json_t *req, int timeout_ms, char *err,
			     size_t errlen);

/** Returns the path the connection was opened on. */
const char *vfo_ctl_conn_path(const struct vfo_ctl_conn *c);

/** Closes the connection and frees it.  NULL is a no-op. */
void vfo_ctl_conn_close(struct vfo_ctl_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* VFO_CTL_CONN_H */
