/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_num.h — the number parser of every command line and config file of
 * the project (vfailover's options and INI file, vfprobe's and
 * vfprobe-offline's options, vfmigrate's): plain decimal digits, a range,
 * and which of the two was wrong.  Plain C (no DPDK).
 */
#ifndef VFO_NUM_H
#define VFO_NUM_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/**
 * Parses 's', a plain decimal number (digits only: no sign, space, prefix
 * or suffix), into *out when it lies in [min, max].  Returns 0, -EINVAL
 * when 's' is not such a number, or -ERANGE when it is one outside
 * [min, max] (or beyond 64 bits); *out is unchanged then.
 */
static inline int
vfo_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

#endif /* VFO_NUM_H */
