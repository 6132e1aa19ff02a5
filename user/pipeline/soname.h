/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A bare soname ("libz.so.1") as the dynamic loader would find it, so a
 * load by soname can be attributed to a file when the loader's own records
 * do not name one (the object was loaded already, the process is gone). */
#ifndef BPFPROF_SONAME_H
#define BPFPROF_SONAME_H

#include <stddef.h>
#include <sys/types.h>

/* Writes to path the file name resolves to for pid (0, or a process that
 * has exited: the host), as a path this process can open: the host's
 * ld.so.cache (`ldconfig -p`) first, then the standard library directories;
 * for a process in another root (a container) only those directories,
 * under /proc/PID/root. Returns 0, -ENOENT when nothing matches, -EINVAL
 * for a name with a '/'. */
int soname_resolve(pid_t pid, const char *name, char *path, size_t len);

#endif
