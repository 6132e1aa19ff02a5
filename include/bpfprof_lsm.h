/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The contract of bpf/lsm.bpf.c: the map keys userspace fills and what a
 * denial record says. Files are keyed like the verdict cache (bp_file_key). */
#ifndef BPFPROF_LSM_EVENT_H
#define BPFPROF_LSM_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum bp_lsm_denial {
	BP_LSM_DENY_MMAP_EXEC = 1, /* mmap(PROT_EXEC) of a quarantined file */
	BP_LSM_DENY_MPROTECT_EXEC, /* mprotect(PROT_EXEC) of a quarantined file's mapping */
	BP_LSM_DENY_EXEC,          /* execve of a quarantined file (or interpreter) */
	BP_LSM_DENY_CONNECT,       /* connect by a restricted process */
};

struct bp_lsm_event {
	__u32 kind;     /* enum bp_lsm_denial */
	__u32 pid;      /* tgid */
	__u64 dev;      /* file denials: kernel s_dev encoding (major << 20 | minor) */
	__u64 ino;
	__u32 family;   /* connect: socket address family */
	__u32 port;     /* connect: host order */
	__u32 addr4;    /* connect: network order */
	__u32 pad;
	__u8 addr6[16];
	char comm[16];
};

#endif
