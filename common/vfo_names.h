/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_names.h — names of enum values kept in a table indexed by value: the
 * name of a value and the value of a name (options, status).  Plain C.
 */
#ifndef VFO_NAMES_H
#define VFO_NAMES_H

#include <stddef.h>
#include <string.h>

/** Returns names[i], or "?" when i is not below n or has no name. */
static inline const char *
vfo_name_of(const char *const *names, unsigned int n, unsigned int i)
{
	return i < n && names[i] != NULL ? names[i] : "?";
}

/** Returns the index of name 's' in names[0..n), or -1. */
static inline int
vfo_name_find(const char *const *names, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

#endif /* VFO_NAMES_H */
