/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /proc/PID/maps readers. Paths are prefixed with /proc/PID/root so that
 * a container's own libc is the file we open and probe, not ours. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "procmaps.h"

bool procmaps_is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "libdl.so", 8) || !strncmp(base, "ld-musl", 7);
}

int procmaps_for_each_libc(pid_t pid, void (*fn)(void *ctx, const char *path), void *ctx)
{
	char maps[64], line[PATH_MAX + 128], root_path[PATH_MAX + 64];
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (!path || !strstr(line, " r-xp ") || !procmaps_is_libc(path))
			continue;
		path[strcspn(path, "\n")] = '\0';
		snprintf(root_path, sizeof(root_path), "/proc/%d/root%s", (int)pid, path);
		fn(ctx, root_path);
	}
	fclose(f);
	return 0;
}
