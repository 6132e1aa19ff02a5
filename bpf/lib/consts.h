/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* UAPI constants the BPF programs compare against: vmlinux.h carries the
 * kernel's types but none of its #defines, and the UAPI headers cannot be
 * included beside it. One list for every program. */
#ifndef BPFPROF_BPF_CONSTS_H
#define BPFPROF_BPF_CONSTS_H

#define EPERM		1

#define SIGKILL		9
#define SIGSTOP		19

#define VM_EXEC		0x4	/* vm_area_struct.vm_flags */

#define PROT_WRITE	0x2
#define PROT_EXEC	0x4
#define MAP_ANONYMOUS	0x20

#define AT_EMPTY_PATH	0x1000
#define CLONE_THREAD	0x10000

#define AF_UNIX		1
#define AF_INET		2
#define AF_INET6	10

/* BPF_DEVCG_DEV_* of cgroup/dev programs */
#define DEV_BLOCK	1
#define DEV_CHAR	2

#endif
