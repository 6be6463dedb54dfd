/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfo_errf.h — the error-text convention of the project's parsers: a
 * function that fails writes one line naming the culprit and the fix into a
 * caller's buffer and returns -1.  Plain C (no DPDK), so tools that do not
 * link DPDK (vfmigrate, vfprobe's option parser) share it.
 */
#ifndef VFO_ERRF_H
#define VFO_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/**
 * Formats the message into err[0..errlen) (nothing when err is NULL or
 * errlen is 0) and returns -1, so that a parser can `return vfo_errf(...)`.
 * Control characters (a newline in a quoted argument, say) become '?', so
 * the message stays one line whatever it quotes.
 */
static inline int __attribute__((format(printf, 3, 4)))
vfo_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		for (p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return -1;
}

#endif /* VFO_ERRF_H */
