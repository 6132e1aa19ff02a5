/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /proc/PID/maps lists "start-end perms offset major:minor inode path";
 * the matching line's range names the map_files entry to open. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "objfile.h"

int objfile_open_mapped(pid_t pid, uint64_t dev, uint64_t ino, char *path, size_t len)
{
	char maps[64], line[4096 + 128], mf[128];
	int fd = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, inode;
		unsigned int major, minor;
		int n = 0;

		if (sscanf(line, "%llx-%llx %*4s %llx %x:%x %llu %n", &start, &end, &off, &major,
			   &minor, &inode, &n) < 6 || inode != ino ||
		    ((uint64_t)major << 20 | minor) != dev)
			continue;
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)pid, start, end);
		fd = open(mf, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		if (path && len) {
			size_t l = strcspn(line + n, "\n");

			snprintf(path, len, "%.*s", (int)l, line + n);
		}
		break;
	}
	fclose(f);
	return fd;
}
