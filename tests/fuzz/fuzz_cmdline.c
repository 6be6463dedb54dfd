/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cmdline.c — libFuzzer harness of vfailover's application options
 * (app/args.c, vfo_args_parse).
 *
 * Input: [INI TEXT 0x01] ARG 0x00 ARG 0x00 ...  The arguments follow the
 * program name; an argument "@" stands for a file holding INI TEXT (so that
 * --config @ reads it).  Inputs naming /dev/, /proc/ or /sys/ are skipped:
 * --config would open them (a device that never ends is refused by the
 * regular-file check, but /proc files are regular and some block).
 * Checks: see fuzz_args.h.
 */
#include "fuzz_args.h"

/* Most arguments taken from one input. */
#define MAX_ARGS 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0x01, size);
	static struct fuzz_file file;
	char *argv[MAX_ARGS + 1], *buf, *ini_path = NULL;
	size_t start = 0, i;
	int argc = 0;

	if (sep != NULL) {
		ini_path = (char *)fuzz_file_fill(&file, data, (size_t)(sep - data));
		start = (size_t)(sep - data) + 1;
	}
	/* The arguments, NUL-terminated in a copy of their own. */
	buf = malloc(size - start + 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data + start, size - start);
	buf[size - start] = '\0';
	argv[argc++] = "vfailover";
	for (i = 0; i < size - start && argc < MAX_ARGS; i += strlen(buf + i) + 1) {
		char *a = buf + i;

		if (strstr(a, "/dev/") || strstr(a, "/proc/") || strstr(a, "/sys/"))
			goto out;
		argv[argc++] = strcmp(a, "@") == 0 && ini_path != NULL ? ini_path : a;
	}
	argv[argc] = NULL;
	fuzz_parse_twice(argc, argv);
out:
	free(buf);
	return 0;
}
