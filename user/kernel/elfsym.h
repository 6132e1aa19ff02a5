/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Finds the file offset of a dynamic symbol, for attaching uprobes by offset:
 * libbpf 1.1's lookup by name fails on glibc's versioned dlopen (docs/kernel.md). */
#ifndef BPFPROF_ELFSYM_H
#define BPFPROF_ELFSYM_H

#include <stddef.h>

/* File offset of the defined function `name` (any version) in .dynsym of the
 * ELF file at path: st_value - p_vaddr + p_offset of its executable PT_LOAD.
 * Returns 0, -ENOENT when the object does not define it, or -errno. */
int elfsym_offset(const char *path, const char *name, size_t *offset);

#endif
