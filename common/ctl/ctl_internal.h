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
	char *out;		/**< replies not yet sent */
	size_t out_len;		/**< bytes waiting in 'out' */
	size_t out_cap;		/**< bytes allocated for 'out' */
};

/** A control socket and its command table (opaque in vfo_ctl.h). */
struct vfo_ctl {
	struct vfo_ctl_cmd *cmds; /**< registered commands, "help" first */
	size_t nb_cmds;		  /**< entries used in cmds */
	size_t cap_cmds;	  /**< entries allocated in cmds */
	int listen_fd;		  /**< listening socket, -1 before vfo_ctl_listen */
	int wake_fd;		  /**< extra fd that ends vfo_ctl_poll when readable, -1: none */
	char *path;		  /**< socket file we created (malloc'd), or NULL */
	dev_t path_dev;		  /**< device of the socket file we created */
	ino_t path_ino;		  /**< inode of the socket file we created */
	struct vfo_ctl_client clients[VFO_CTL_MAX_CLIENTS]; /**< connection slots */
	struct vfo_ctl_client serial[VFO_CTL_MAX_SERIAL];   /**< open serial ports */
	unsigned int nb_serial;				    /**< entries used in serial */
};

/**
 * Frees the command table of 'c' (not 'c' itself).  Used by
 * vfo_ctl_destroy().  Changes: c->cmds, c->nb_cmds, c->cap_cmds.
 */
void vfo_ctl__free_cmds(struct vfo_ctl *c);

#endif /* VFO_CTL_INTERNAL_H */
