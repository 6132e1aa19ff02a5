/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Opens the exact object a process mapped, by device and inode, through
 * /proc/PID/map_files: no path race, and deleted or memfd files work. */
#ifndef BPFPROF_OBJFILE_H
#define BPFPROF_OBJFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* dev is the kernel's s_dev (major << 20 | minor), as the BPF side reads it.
 * On success returns an O_RDONLY fd and, if path is given, the mapping's
 * path as the process sees it. -ENOENT when no mapping matches. */
int objfile_open_mapped(pid_t pid, uint64_t dev, uint64_t ino, char *path, size_t len);

#endif
