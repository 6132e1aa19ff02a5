/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Writes go straight to the map fd: one syscall, safe from any thread. */
#include <errno.h>
#include <bpf/bpf.h>
#include "kernel/kdev.h"
#include "kernel/verdict_cache.h"

int verdict_cache_set(const struct verdict_cache *c, const struct bp_file_key *file,
		      const struct bp_file_marker *marker, unsigned int verdict)
{
	struct bp_verdict v = { .verdict = verdict, .marker = *marker };

	if (!c || c->map_fd < 0)
		return -EBADF;
	return bpf_map_update_elem(c->map_fd, file, &v, BPF_ANY) ? -errno : 0;
}

int verdict_cache_forget(const struct verdict_cache *c, const struct bp_file_key *file)
{
	if (!c || c->map_fd < 0)
		return -EBADF;
	return bpf_map_delete_elem(c->map_fd, file) ? -errno : 0;
}

void verdict_cache_key(const struct stat *st, struct bp_file_key *key,
		       struct bp_file_marker *marker)
{
	key->dev = kdev_from_dev(st->st_dev);
	key->ino = st->st_ino;
	*marker = (struct bp_file_marker){ .ctime_sec = st->st_ctim.tv_sec,
					   .ctime_nsec = (uint32_t)st->st_ctim.tv_nsec,
					   .size = (uint64_t)st->st_size };
}
