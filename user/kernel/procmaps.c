/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /proc/PID/maps reader. Paths handed out for opening are prefixed with
 * /proc/PID/root so that a container's own libc is the file we open and
 * probe, not ours. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "kernel/kdev.h"
#include "kernel/procmaps.h"
#include "lib/safeopen.h"

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

/* The mapping matches by device and inode, or with ino 0 by file name. */
static bool mapping_matches(const struct procmaps_entry *e, uint64_t dev, uint64_t ino,
			    const char *name)
{
	const char *base;

	if (ino)
		return e->inode == ino && kdev_make(e->major, e->minor) == dev;
	if (!name || e->path[0] != '/')
		return false;
	base = strrchr(e->path, '/') + 1;
	return !strcmp(base, name);
}

struct mapped_find {
	pid_t pid;
	uint64_t dev, ino;
	const char *name;
	char *path;
	size_t len;
	int fd;
};

static int mapped_one(void *ctx, const struct procmaps_entry *e)
{
	struct mapped_find *m = ctx;
	char mf[128];
	int fd;

	if (!mapping_matches(e, m->dev, m->ino, m->name))
		return 0;
	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)m->pid, e->start, e->end);
	fd = safeopen_read(mf);
	if (fd < 0) {
		m->fd = fd;
		return 0;
	}
	m->fd = fd;
	if (m->path && m->len)
		snprintf(m->path, m->len, "%s", e->path);
	return 1;
}

int procmaps_open_mapped(pid_t pid, uint64_t dev, uint64_t ino, const char *name,
			char *path, size_t len)
{
	struct mapped_find m = { pid, dev, ino, name, path, len, -ENOENT };
	int ret = procmaps_foreach(pid, mapped_one, &m);

	return ret < 0 ? ret : m.fd;
}
