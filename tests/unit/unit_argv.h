/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unit_argv.h — builds an argv for the option-parser unit tests from a
 * NULL-terminated list of arguments.
 */
#ifndef UNIT_ARGV_H
#define UNIT_ARGV_H

#include <stdarg.h>
#include <stdlib.h>

/** Room for the program name, the arguments and the final NULL. */
#define UNIT_ARGV_MAX 64

/**
 * Writes 'prog' and the NULL-terminated char * arguments of 'ap' into
 * argv[0..UNIT_ARGV_MAX), NULL-terminated; returns argc.  Aborts the test
 * program when the arguments do not fit (a test written wrong).
 */
static inline int
unit_argv(char *argv[UNIT_ARGV_MAX], const char *prog, va_list ap)
{
	int argc = 0;

	argv[argc++] = (char *)prog;
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		if (++argc == UNIT_ARGV_MAX - 1)
			abort();
	return argc;
}

#endif /* UNIT_ARGV_H */
