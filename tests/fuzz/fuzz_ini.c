/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ini.c — libFuzzer harness of vfailover's INI configuration file
 * (app/args.c over rte_cfgfile): the input is the file, read through
 * "vfailover --config FILE" and, after a first byte that picks them, a few
 * command-line options that override it.  Checks: see fuzz_args.h.
 */
#include "fuzz_args.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Overrides chosen by the first byte: the file alone, or the file
	 * under options that touch [global] values and add an uplink. */
	static char *const extra[][5] = {
		{NULL},
		{"--burst", "64", NULL},
		{"--vf", "v", "--backup", "b", NULL},
		{"--fwd", "flow", "--max-flows", "64", NULL},
	};
	static struct fuzz_file file;
	char *argv[8];
	int argc = 0, i;
	unsigned int pick;

	if (size == 0)
		return 0;
	pick = data[0] % (sizeof(extra) / sizeof(extra[0]));
	argv[argc++] = "vfailover";
	argv[argc++] = "--config";
	argv[argc++] = (char *)fuzz_file_fill(&file, data + 1, size - 1);
	for (i = 0; extra[pick][i] != NULL; i++)
		argv[argc++] = extra[pick][i];
	argv[argc] = NULL;
	fuzz_parse_twice(argc, argv);
	return 0;
}
