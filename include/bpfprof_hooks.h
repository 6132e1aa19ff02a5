/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The contract of bpf/hooks.bpf.c: a hooked function call of a process
 * under medium-risk monitoring. */
#ifndef BPFPROF_HOOKS_EVENT_H
#define BPFPROF_HOOKS_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HOOK_STR_LEN 64

/* The attach cookie: the low 32 bits index userspace's function names,
 * these bits say what the program does on a hit. */
#define HOOK_COOKIE_STR (1ull << 32)   /* the first argument is a string worth copying */
#define HOOK_COOKIE_BLOCK (1ull << 33) /* policy blocks this call: kill before it runs */

struct hook_event {
	__u64 ts_ns;
	__u64 cookie;   /* which hook: an index userspace chose at attach time */
	__u64 args[4];
	__u32 pid;
	__u32 tid;
	__u32 blocked;  /* the process was killed instead of making the call */
	__u32 pad;
	char str[HOOK_STR_LEN]; /* first argument as a string, for path-taking calls */
};

#endif
