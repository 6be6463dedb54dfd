/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_internal.h — what the control-socket sources share and only their
 * unit tests see: the layout of struct vfo_ctl.
 *
 * Thread-safety: as for struct vfo_ctl (vfo_ctl.h), one thread at a time.
 */
#ifndef VFO_CTL_INTERNAL_H
#define VFO_CTL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfo_ctl.h"

/** Most clients connected at once; more are told so and closed. */
#define VFO_CTL_MAX_CLIENTS 16

/** Most serial ports (vfo_ctl_open_serial) served at once. */
#define VFO_CTL_MAX_SERIAL 4

/** How long a serial port whose host end closed is left unpolled (ms). */
#define VFO_CTL_SERIAL_HOLD_MS 20

/**
 * With every slot taken, a new client takes the slot of the one idle the
 * longest, if that one has been idle (nothing half-read, nothing unsent)
 * for at least this long (ms).
 */
#define VFO_CTL_EVICT_IDLE_MS 1000

/** A registered command. */
struct vfo_ctl_cmd {
	char *name;	      /**< what "cmd" must say (malloc'd) */
	vfo_ctl_handler_t fn; /**< its handler */
	void *arg;	      /**< handler's argument */
	char *help;	      /**< one-line help text (malloc'd) */
};

/**
 * One peer of the control protocol: a client of the UNIX socket, or a
 * serial port (always "connected"; its host end may close and come back).
 */
struct vfo_ctl_client {
	int fd;	     /**< connected socket or open port, -1 when the slot is free */
	bool serial; /**< a serial port: never dropped; EOF / hang-up = host end closed */
	uint64_t hold_until_ms; /**< serial: not polled before this CLOCK_MONOTONIC ms */
	char *in;		/**< VFO_CTL_LINE_MAX bytes of unanswered input */
	size_t in_len;		/**< bytes used in 'in' */
	bool discarding;	/**< dropping the rest of an overlong line */
	bool eof;		/**< the client sent EOF: answer what is left, then close */
	uint64_t last_ms;	/**< CLOCK_MONOTONIC ms of its last byte in or out (accept) */
	uint64_t line_ms;	/**< when its unanswered partial line began, 0: none */
	struct vfo_ctl_pending *waiting; /**< its request whose reply is deferred: its
					  * later requests wait, NULL: none */
	char *out;			 /**< replies not yet sent */
	size_t out_len;			 /**< bytes waiting in 'out' */
	size_t out_cap;			 /**< bytes allocated for 'out' */
};

/** A control socket and its command table (opaque in vfo_ctl.h). */
/** A deferred request (vfo_ctl_defer): whose it is and what its reply carries. */
struct vfo_ctl_pending {
	struct vfo_ctl_client *client; /**< the peer, NULL once it went away */
	char *cmd;		       /**< the command's name (malloc'd) */
	json_t *id;		       /**< the request's "id", NULL: none */
};

struct vfo_ctl {
	struct vfo_ctl_cmd *cmds;	  /**< registered commands, "help" first */
	struct vfo_ctl_client *serving;	  /**< peer whose request a handler runs, NULL: none */
	struct vfo_ctl_pending *deferred; /**< set by vfo_ctl_defer() during a handler */
	size_t nb_cmds;			  /**< entries used in cmds */
	size_t cap_cmds;		  /**< entries allocated in cmds */
	int listen_fd;			  /**< listening socket, -1 before vfo_ctl_listen */
	int wake_fd;	/**< extra fd that ends vfo_ctl_poll when readable, -1: none */
	char *path;	/**< socket file we created (malloc'd), or NULL */
	dev_t path_dev; /**< device of the socket file we created */
	ino_t path_ino; /**< inode of the socket file we created */
	struct vfo_ctl_client clients[VFO_CTL_MAX_CLIENTS]; /**< connection slots */
	struct vfo_ctl_client serial[VFO_CTL_MAX_SERIAL];   /**< open serial ports */
	unsigned int nb_serial;				    /**< entries used in serial */
	unsigned int idle_ms; /**< vfo_ctl_set_idle_timeout(), 0: none */
};

/**
 * Frees the command table of 'c' (not 'c' itself).  Used by
 * vfo_ctl_destroy().  Changes: c->cmds, c->nb_cmds, c->cap_cmds.
 */
void vfo_ctl__free_cmds(struct vfo_ctl *c);

/**
 * Runs one request line like vfo_ctl_handle_line(); sets *deferred and
 * returns NULL when its handler deferred the reply (c->deferred holds it).
 */
char *vfo_ctl__handle_line(struct vfo_ctl *c, const char *line, size_t len, bool *deferred);

/** Queues reply line 'line' (no newline; NULL: out of memory) for 'cl' and sends what it can. */
void vfo_ctl__reply(struct vfo_ctl_client *cl, const char *line);

/** Answers the buffered requests of 'cl' (after a deferred reply). */
void vfo_ctl__resume(struct vfo_ctl *c, struct vfo_ctl_client *cl);

#endif /* VFO_CTL_INTERNAL_H */
