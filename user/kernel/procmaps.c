/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /proc/PID/maps reader. Paths handed out for opening are prefixed with
 * /proc/PID/root so that a container's own libc is the file we open and
 * probe, not ours. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "kernel/procmaps.h"

int procmaps_foreach(pid_t pid, int (*fn)(void *ctx, const struct procmaps_entry *e), void *ctx)
{
	char maps[64], line[PATH_MAX + 128];
	int ret = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		struct procmaps_entry e;
		int n = 0;

		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &e.start, &e.end, e.perms,
			   &e.offset, &e.major, &e.minor, &e.inode, &n) < 7)
			continue;
		line[strcspn(line, "\n")] = '\0';
		e.path = line + n;
		ret = fn(ctx, &e);
	}
	fclose(f);
	return ret;
}

bool procmaps_is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "libdl.so", 8) || !strncmp(base, "ld-musl", 7);
}

struct libc_walk {
	pid_t pid;
	void (*fn)(void *ctx, const char *path);
	void *ctx;
};

static int libc_one(void *ctx, const struct procmaps_entry *e)
{
	struct libc_walk *w = ctx;
	char root_path[PATH_MAX + 64];

	if (e->path[0] != '/' || strcmp(e->perms, "r-xp") || !procmaps_is_libc(e->path))
		return 0;
	snprintf(root_path, sizeof(root_path), "/proc/%d/root%s", (int)w->pid, e->path);
	w->fn(w->ctx, root_path);
	return 0;
}

int procmaps_for_each_libc(pid_t pid, void (*fn)(void *ctx, const char *path), void *ctx)
{
	struct libc_walk w = { pid, fn, ctx };

	return procmaps_foreach(pid, libc_one, &w);
}
