/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz.h — what the fuzz harnesses share: the libFuzzer entry points, a
 * check that turns a broken invariant into a crash (a finding), and input
 * helpers (a reusable memory-backed file, a cursor over the input bytes).
 *
 * Each harness is built twice: with -fsanitize=fuzzer (meson -Dfuzz=true,
 * clang) for scripts/fuzz, and with replay_main.c in every build, where the
 * unit suite runs it over its committed seed corpus (tests/fuzz/corpus/NAME)
 * as a regression test.
 */
#ifndef VFO_FUZZ_H
#define VFO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/** libFuzzer's entry point: runs one input; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** libFuzzer's optional one-time set-up. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/** Aborts (a finding, with the input saved by libFuzzer) unless 'cond'. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/** A memory-backed file that a harness makes once and refills per input. */
struct fuzz_file {
	int fd;	       /**< the memfd, valid once 'made' */
	bool made;     /**< fd and path are set */
	char path[32]; /**< a path that opens it: "/proc/self/fd/N" */
};

/**
 * Makes data[0..size) the whole content of 'f' (creating its memfd on the
 * first call, reusing it afterwards: a new memfd per input cost more than
 * the parse under test) and returns f->path.  Aborts when that fails: a
 * harness that cannot make its file is broken, not the code under test.
 * Not thread-safe (harnesses run one input at a time).
 */
static inline const char *
fuzz_file_fill(struct fuzz_file *f, const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (!f->made) {
		f->fd = memfd_create("vfo-fuzz", MFD_CLOEXEC);
		FUZZ_CHECK(f->fd >= 0);
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
		f->made = true;
	}
	FUZZ_CHECK(ftruncate(f->fd, (off_t)size) == 0);
	while (done < size) {
		ssize_t n = pwrite(f->fd, data + done, size - done, (off_t)done);

		FUZZ_CHECK(n > 0);
		done += (size_t)n;
	}
	return f->path;
}

/** A cursor over the input bytes. */
struct fuzz_in {
	const uint8_t *p; /**< next byte */
	size_t left;	  /**< bytes left */
};

/** Returns the next byte, or 0 once the input is used up. */
static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/** Returns the next 16-bit little-endian value (missing bytes are 0). */
static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

/**
 * Returns a malloc'd copy of the next min(n, left) bytes, exactly that long
 * (so that ASan catches a read past its end), in *len; never NULL.
 */
static inline uint8_t *
fuzz_bytes(struct fuzz_in *in, size_t n, size_t *len)
{
	uint8_t *b;

	*len = n < in->left ? n : in->left;
	b = malloc(*len ? *len : 1);
	FUZZ_CHECK(b != NULL);
	memcpy(b, in->p, *len);
	in->p += *len;
	in->left -= *len;
	return b;
}

#endif /* VFO_FUZZ_H */
