/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Gets hold of the exact object a window loads, as early as the records
 * allow, so the static analysis and reputation read the bytes the process
 * mapped — even after the process exited or the file was unlinked. */
#ifndef BPFPROF_OBJFILE_H
#define BPFPROF_OBJFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pipeline/window.h"

/* Updates w->file_fd / w->file_path from one ring buffer record of the
 * window (call after window_set_on_record):
 *  - window open, absolute dlopen path: open it in the process's root now;
 *  - the loader's executable mapping (load part): open /proc/PID/fd/N, the
 *    very file being mapped, unless the fd already held is that file;
 *  - gate: the same, while the process is stopped (no race at all);
 *  - dlopen return: fall back to /proc/PID/map_files by device and inode. */
void objfile_track(struct window *w, const void *data, size_t size);

/* dev in the kernel's encoding (kernel/kdev.h). Returns an O_RDONLY fd
 * on the mapping of pid with that device and inode (or, with ino 0, with
 * that file name), its path in path; or -ENOENT when no mapping matches. */
int objfile_open_mapped(pid_t pid, uint64_t dev, uint64_t ino, const char *name,
			char *path, size_t len);

#endif
