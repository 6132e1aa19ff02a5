/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The kernel's verdict cache (a map of bpf/profiler.bpf.c): what the gate
 * does with a file without asking userspace. Its owner is the tracer; the
 * stages that decide (the pipeline's gate, the mitigation) write it
 * through this handle and never need the tracer itself. */
#ifndef BPFPROF_VERDICT_CACHE_H
#define BPFPROF_VERDICT_CACHE_H

#include <sys/stat.h>
#include "bpfprof_event.h"

struct verdict_cache {
	int map_fd;
};

/* BP_VERDICT_ALLOW (its loads open no window and the gate lets them
 * through) or BP_VERDICT_DENY (a load of it is killed at the gate), for
 * the content the marker describes: the kernel drops the entry once the
 * file's change time, size or change counter moved. 0 or -errno. */
int verdict_cache_set(const struct verdict_cache *c, const struct bp_file_key *file,
		      const struct bp_file_marker *marker, unsigned int verdict);
/* Drops file's entry: its next load stops at the gate. 0, or -errno
 * (-ENOENT when there was none). */
int verdict_cache_forget(const struct verdict_cache *c, const struct bp_file_key *file);
/* The cache key and marker of a file as stat(2) sees it (no change
 * counter: userspace cannot read it, so it is not compared). */
void verdict_cache_key(const struct stat *st, struct bp_file_key *key,
		       struct bp_file_marker *marker);

#endif
