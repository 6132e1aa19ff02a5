/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /proc/PID/maps, parsed once here: which libcs a process maps (as paths
 * usable from our mount namespace) and which mapping holds a file, opened
 * through /proc/PID/map_files. */
#ifndef BPFPROF_PROCMAPS_H
#define BPFPROF_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct procmaps_entry {
	unsigned long long start, end, offset, inode;
	unsigned int major, minor;
	char perms[5];    /* "r-xp" */
	const char *path; /* "" for anonymous mappings; valid during the call */
};

/* Calls fn(ctx, entry) for each mapping of pid until fn returns nonzero,
 * which is then returned. Returns 0 at the end, or -errno. */
int procmaps_foreach(pid_t pid, int (*fn)(void *ctx, const struct procmaps_entry *e), void *ctx);
/* True for libc.so*, libc-*, libdl.so* and ld-musl* file names. */
bool procmaps_is_libc(const char *path);
/* Calls fn(ctx, "/proc/PID/root/...libc...") for each executable libc
 * mapping of pid (once per line: callers dedupe). Returns 0 or -errno. */
int procmaps_for_each_libc(pid_t pid, void (*fn)(void *ctx, const char *path), void *ctx);

/* dev in the kernel's encoding (kernel/kdev.h). Returns an O_RDONLY fd
 * on the mapping of pid with that device and inode (or, with ino 0, with
 * that file name), its path in path; or -ENOENT when no mapping matches. */
int procmaps_open_mapped(pid_t pid, uint64_t dev, uint64_t ino, const char *name,
			 char *path, size_t len);

#endif
