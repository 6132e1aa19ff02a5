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

/* The verdict cache's key and marker of the object a window holds open
 * (w->file_fd, checked against the device and inode the kernel saw).
 * -ENOENT when it holds none. */
int objfile_cache_key(const struct window *w, struct bp_file_key *key,
		      struct bp_file_marker *marker);

#endif
