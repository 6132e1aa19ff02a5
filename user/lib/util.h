/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Small helpers every module needs: whole-file reads, UTF-8, time. */
#ifndef BPFPROF_UTIL_H
#define BPFPROF_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Read a whole file (at most max bytes; -EFBIG past that) into a
 * NUL-terminated malloc'd buffer. Returns 0 or -errno. */
int util_read_file(const char *path, size_t max, char **buf, size_t *len);
/* Bytes of text that are well-formed UTF-8 (no overlong forms, surrogates
 * or code points past U+10FFFF) without NUL bytes, what jansson takes as a
 * string: len when all of it is, else where the first bad character starts. */
size_t util_utf8_len(const void *text, size_t len);
/* The part of path after its last '/' (all of it without one). */
const char *util_base_name(const char *path);
/* Whether s is one of the n strings of list. */
bool util_in_list(const char *s, const char *const *list, size_t n);
/* Creates the directories above path (not path itself) with mode, like
 * mkdir -p of its dirname. Returns 0 or -errno. */
int util_mkdir_parents(const char *path, unsigned int mode);
/* CLOCK_MONOTONIC / CLOCK_REALTIME in nanoseconds. */
uint64_t util_now_mono_ns(void);
uint64_t util_now_real_ns(void);
/* ns since the clock's epoch as a timespec (pthread_cond_timedwait). */
struct timespec util_timespec(uint64_t ns);
/* A condition variable whose timed waits use clock. */
void util_cond_init(pthread_cond_t *cond, clockid_t clock);

#endif
