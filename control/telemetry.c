/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry.c — publishes JSON-producing functions as rte_telemetry
 * commands, so dpdk-telemetry.py shows what the control socket shows.
 *
 * DPDK 22.11 telemetry callbacks get no user argument, so a static table
 * maps each command path to its function and argument, and one shared
 * callback looks the command up.
 *
 * JSON -> rte_tel_data mapping (what DPDK 22.11 can represent):
 *   object                 -> dict (nested objects: dict containers)
 *   array of integers >= 0 -> u64 array; with negatives (>= INT_MIN) -> int array
 *   array of booleans      -> int array of 0/1
 *   array of objects/arrays-> dict keyed "0", "1", ... (22.11 cannot put a
 *                             dict, or an array of containers, in an array)
 *   any other array        -> string array (non-strings as compact JSON text)
 *   integer >= 0           -> u64;  negative: int, or string below INT_MIN
 *   boolean                -> int 0/1 (numbers suit telemetry collectors)
 *   real                   -> string, "%.15g"-like ("1.5", "0.1")
 *   null                   -> string "null"
 *   string                 -> string
 * Dict names keep only [A-Za-z0-9_/] (anything else becomes '_') and are
 * cut to RTE_TEL_MAX_STRING_LEN - 1 bytes.  Strings (and help texts) are
 * cut to the same length and made printable ASCII: each non-ASCII
 * character becomes '?' and each control character ' ' (22.11 emits
 * invalid JSON for non-ASCII bytes).  Entries beyond 22.11's limits
 * (256 per dict, 512 per array) are left out; nesting deeper than
 * TEL_MAX_DEPTH is given as compact JSON text.
 *
 * Thread-safety: vfo_telemetry_register() may be called from any thread,
 * before or after rte_eal_init().  The functions it publishes are called on
 * DPDK's telemetry thread, concurrently with everything else, so they must
 * take whatever locks their data needs.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_telemetry.h>

#include "vfo_telemetry.h"
#include "vfo_tsa.h"

/** Most commands published. */
#define TEL_MAX_CMDS 32
/** Longest command path kept, with its NUL (22.11 accepts up to 55 bytes). */
#define TEL_PATH_MAX 64
/** Deepest nesting converted to containers; deeper values become text. */
#define TEL_MAX_DEPTH 8

/** A published command. */
struct tel_cmd {
	char path[TEL_PATH_MAX];  /**< telemetry command, e.g. "/vfailover/status" */
	json_t *(*fn)(void *arg); /**< produces the data */
	void *arg;		  /**< fn's argument */
};

/** Guards tel_cmds and tel_nb. */
static struct vfo_mutex tel_lock = VFO_MUTEX_INITIALIZER;
/** Published commands; entries [0, tel_nb) are valid; an unpublished one
 * keeps its path (22.11 cannot unregister a command) with fn NULL. */
static struct tel_cmd tel_cmds[TEL_MAX_CMDS] VFO_GUARDED_BY(tel_lock);
/** Number of valid entries in tel_cmds. */
static unsigned int tel_nb VFO_GUARDED_BY(tel_lock);

static int fill(struct rte_tel_data *d, const json_t *v, unsigned int depth);

/*
 * Copies 's' into 'dst' ('size' > 0 bytes, NUL included) as printable
 * ASCII, cut to fit: each non-ASCII character becomes '?' and each control
 * character ' ', because 22.11's telemetry emits broken JSON for them.
 */
static void
copy_ascii(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n < size - 1; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch & 0xC0) == 0x80)
			continue; /* rest of a multi-byte character */
		dst[n++] = ch >= 0x80 ? '?' : (ch < 0x20 || ch == 0x7F) ? ' ' : (char)ch;
	}
	dst[n] = '\0';
}

/*
 * Writes 'v' as text into 'dst' ('size' bytes): a string as itself,
 * anything else as compact JSON ("true", "null", "1.5", {"a":1}).
 */
static void
to_text(char *dst, size_t size, const json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		copy_ascii(dst, size, json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
	copy_ascii(dst, size, s != NULL ? s : "");
	free(s);
}

/* Writes 'key' into 'dst' as a valid telemetry dict name (see the top). */
static void
to_name(char dst[RTE_TEL_MAX_STRING_LEN], const char *key)
{
	size_t i;

	for (i = 0; i < RTE_TEL_MAX_STRING_LEN - 1 && key[i] != '\0'; i++) {
		char ch = key[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '_' || ch == '/';

		dst[i] = ok ? ch : '_';
	}
	dst[i] = '\0';
}

/* Returns true when 'v' is an object or an array. */
static bool
is_container(const json_t *v)
{
	return json_is_object(v) || json_is_array(v);
}

/*
 * Adds 'v' to dict 'd' under 'key' (sanitised), as a container, number or
 * string (see the top).  Returns >= 0, or a negative errno.
 */
static int
add_to_dict(struct rte_tel_data *d, const char *key, const json_t *v, unsigned int depth)
{
	char name[RTE_TEL_MAX_STRING_LEN];
	char text[RTE_TEL_MAX_STRING_LEN];
	json_int_t x = json_integer_value(v);

	to_name(name, key);
	if (is_container(v) && depth < TEL_MAX_DEPTH) {
		struct rte_tel_data *sub = rte_tel_data_alloc();
		int rc;

		if (sub == NULL)
			return -ENOMEM;
		rc = fill(sub, v, depth + 1);
		if (rc >= 0)
			rc = rte_tel_data_add_dict_container(d, name, sub, 0);
		if (rc < 0)
			rte_tel_data_free(sub);
		return rc;
	}
	if (json_is_boolean(v))
		return rte_tel_data_add_dict_int(d, name, json_is_true(v));
	if (json_is_integer(v) && x >= 0)
		return rte_tel_data_add_dict_u64(d, name, (uint64_t)x);
	if (json_is_integer(v) && x >= INT_MIN)
		return rte_tel_data_add_dict_int(d, name, (int)x);
	to_text(text, sizeof(text), v);
	return rte_tel_data_add_dict_string(d, name, text);
}

/*
 * Makes 'd' a dict of the members of object 'o', or of the elements of
 * array 'o' keyed by index.  Returns >= 0, or a negative errno.
 */
static int
fill_dict(struct rte_tel_data *d, const json_t *o, unsigned int depth)
{
	size_t n = json_array_size(o), i;
	void *it;
	int rc = rte_tel_data_start_dict(d);

	if (json_is_array(o)) {
		for (i = 0; rc >= 0 && i < n && i < RTE_TEL_MAX_DICT_ENTRIES; i++) {
			char idx[24];

			snprintf(idx, sizeof(idx), "%zu", i);
			rc = add_to_dict(d, idx, json_array_get(o, i), depth);
		}
		return rc;
	}
	for (it = json_object_iter((json_t *)o), i = 0;
	     it != NULL && rc >= 0 && i < RTE_TEL_MAX_DICT_ENTRIES;
	     it = json_object_iter_next((json_t *)o, it), i++)
		rc = add_to_dict(d, json_object_iter_key(it), json_object_iter_value(it), depth);
	return rc;
}

/*
 * Makes 'd' an array of the elements of array 'a', typed by what all of
 * them are (see the top); an array of containers becomes a dict.  Returns
 * >= 0, or a negative errno.
 */
static int
fill_array(struct rte_tel_data *d, const json_t *a, unsigned int depth)
{
	size_t n = json_array_size(a), i;
	bool all_u64 = true, all_int = true, all_bool = true, all_cont = true;
	enum rte_tel_value_type type;
	json_t *v;
	int rc;

	if (n > RTE_TEL_MAX_ARRAY_ENTRIES)
		n = RTE_TEL_MAX_ARRAY_ENTRIES;
	for (i = 0; i < n; i++) {
		json_int_t x = json_integer_value(v = json_array_get(a, i));

		all_u64 = all_u64 && json_is_integer(v) && x >= 0;
		all_int = all_int && json_is_integer(v) && x >= INT_MIN && x <= INT_MAX;
		all_bool = all_bool && json_is_boolean(v);
		all_cont = all_cont && is_container(v);
	}
	if (n > 0 && all_cont)
		return fill_dict(d, a, depth);
	type = all_u64		       ? RTE_TEL_U64_VAL
	       : (all_int || all_bool) ? RTE_TEL_INT_VAL
				       : RTE_TEL_STRING_VAL;
	rc = rte_tel_data_start_array(d, type);
	for (i = 0; rc >= 0 && i < n; i++) {
		char text[RTE_TEL_MAX_STRING_LEN];

		v = json_array_get(a, i);
		if (type == RTE_TEL_U64_VAL) {
			rc = rte_tel_data_add_array_u64(d, (uint64_t)json_integer_value(v));
		} else if (type == RTE_TEL_INT_VAL) {
			rc = rte_tel_data_add_array_int(d, all_bool ? json_is_true(v)
								    : (int)json_integer_value(v));
		} else {
			to_text(text, sizeof(text), v);
			rc = rte_tel_data_add_array_string(d, text);
		}
	}
	return rc;
}

/*
 * Fills the fresh 'd' with 'v' at nesting 'depth': an object or array as
 * described at the top, anything else as a single string.  Returns >= 0,
 * or a negative errno.
 */
static int
fill(struct rte_tel_data *d, const json_t *v, unsigned int depth)
{
	char text[RTE_TEL_MAX_STRING_LEN];

	if (json_is_object(v))
		return fill_dict(d, v, depth);
	if (json_is_array(v))
		return fill_array(d, v, depth);
	to_text(text, sizeof(text), v);
	return rte_tel_data_string(d, text);
}

/*
 * Fills the fresh 'd' with 'v' (see the mapping at the top).  Returns 0,
 * or a negative errno ('d' then holds part of 'v').  Declared in
 * ctl_internal.h for the unit tests.
 */
int
vfo_telemetry_from_json(struct rte_tel_data *d, const json_t *v)
{
	int rc = fill(d, v, 0);

	return rc < 0 ? rc : 0;
}

/*
 * The telemetry callback of every published command: runs the function
 * registered for 'cmd' and converts its result into 'd'.  Returns 0, or a
 * negative errno (telemetry then answers null).
 */
static int
tel_callback(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *v = NULL;
	unsigned int i;
	int rc = -ENOENT;

	(void)params;
	/* fn runs with the lock held: vfo_telemetry_unregister() returns only
	 * once no call of it is running, so its data may then be freed. */
	vfo_mutex_lock(&tel_lock);
	for (i = 0; i < tel_nb && rc == -ENOENT; i++) {
		if (strcmp(tel_cmds[i].path, cmd) == 0 && tel_cmds[i].fn != NULL) {
			v = tel_cmds[i].fn(tel_cmds[i].arg);
			rc = v == NULL ? -ENODATA : 0;
		}
	}
	vfo_mutex_unlock(&tel_lock);
	if (v == NULL)
		return rc;
	rc = vfo_telemetry_from_json(d, v);
	json_decref(v);
	return rc;
}

void
vfo_telemetry_unregister(const char *path)
{
	unsigned int i;

	vfo_mutex_lock(&tel_lock);
	for (i = 0; i < tel_nb; i++) {
		if (strcmp(tel_cmds[i].path, path) == 0) {
			tel_cmds[i].fn = NULL;
			tel_cmds[i].arg = NULL;
		}
	}
	vfo_mutex_unlock(&tel_lock);
}

/*
 * Publishes 'fn' as telemetry command 'path' (a NULL 'help' counts as "";
 * a long one is cut).  Returns 0, -EINVAL (missing argument, or a path
 * telemetry refuses), -ENAMETOOLONG, -EEXIST (path taken), -ENOSPC (table
 * full) or what rte_telemetry_register_cmd() returns.
 */
int
vfo_telemetry_register(const char *path, json_t *(*fn)(void *arg), void *arg, const char *help)
{
	char help_cut[RTE_TEL_MAX_STRING_LEN];
	struct tel_cmd *t;
	unsigned int i;
	int rc = 0;

	if (path == NULL || fn == NULL)
		return -EINVAL;
	if (strlen(path) >= TEL_PATH_MAX)
		return -ENAMETOOLONG;
	copy_ascii(help_cut, sizeof(help_cut), help != NULL ? help : "");
	vfo_mutex_lock(&tel_lock);
	for (i = 0; i < tel_nb && rc == 0; i++) {
		if (strcmp(tel_cmds[i].path, path) != 0)
			continue;
		rc = -EEXIST;
		if (tel_cmds[i].fn == NULL) {
			/* Unpublished: telemetry still routes it here. */
			tel_cmds[i].fn = fn;
			tel_cmds[i].arg = arg;
			vfo_mutex_unlock(&tel_lock);
			return 0;
		}
	}
	if (rc == 0 && tel_nb == TEL_MAX_CMDS)
		rc = -ENOSPC;
	if (rc == 0) {
		/* Not visible to tel_callback until tel_nb counts it. */
		t = &tel_cmds[tel_nb];
		strcpy(t->path, path);
		t->fn = fn;
		t->arg = arg;
		rc = rte_telemetry_register_cmd(path, tel_callback, help_cut);
		if (rc == 0)
			tel_nb++;
	}
	vfo_mutex_unlock(&tel_lock);
	return rc;
}
