/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Which libcs a process maps, as paths usable from our mount namespace. */
#ifndef BPFPROF_PROCMAPS_H
#define BPFPROF_PROCMAPS_H

#include <stdbool.h>
#include <sys/types.h>

/* True for libc.so*, libc-*, libdl.so* and ld-musl* file names. */
bool procmaps_is_libc(const char *path);
/* Calls fn(ctx, "/proc/PID/root/...libc...") for each executable libc
 * mapping of pid (once per line: callers dedupe). Returns 0 or -errno. */
int procmaps_for_each_libc(pid_t pid, void (*fn)(void *ctx, const char *path), void *ctx);

#endif
