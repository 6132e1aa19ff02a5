/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Detaching many BPF links at once (stop, close): every link of a
 * tracepoint or uprobe waits in the kernel for RCU grace periods. */
#ifndef BPFPROF_LINKSET_H
#define BPFPROF_LINKSET_H

#include <stddef.h>
#include <bpf/libbpf.h>

/* Destroys links[0..n) (NULLs skipped) and sets each to NULL. */
void linkset_destroy(struct bpf_link **links, size_t n);
/* Detaches extra[0..nextra) and every program link of skeleton s (may be
 * NULL) together, the same way; s's __destroy() then only closes programs
 * and maps. */
void linkset_detach(struct bpf_object_skeleton *s, struct bpf_link **extra, size_t nextra);

#endif
