/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Shared by the fuzz targets: inputs go to the code under test through a
 * memfd, because the parsers read files by path, as the commands do. */
#ifndef BPFPROF_FUZZ_COMMON_H
#define BPFPROF_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A property the target checks broke: report and abort (libFuzzer saves
 * the input as a crash). */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "property broken: " __VA_ARGS__);       \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* data as a file: its fd (path in path, "/proc/self/fd/N"), or -1. */
static inline int fuzz_file(const void *data, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
