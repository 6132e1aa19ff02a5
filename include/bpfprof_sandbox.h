/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The contract of bpf/sandbox.bpf.c: what a denial record says. */
#ifndef BPFPROF_SANDBOX_EVENT_H
#define BPFPROF_SANDBOX_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum sandbox_denial {
	SANDBOX_DENY_CONNECT = 1,
	SANDBOX_DENY_SENDMSG,
	SANDBOX_DENY_SOCKET,
	SANDBOX_DENY_DEVICE,
};

struct sandbox_event {
	__u32 kind;     /* enum sandbox_denial */
	__u32 pid;      /* tgid */
	__u32 family;   /* socket family, or device type (1 block, 2 char) */
	__u32 port;     /* host order; device: major */
	__u32 addr4;    /* network order; device: minor */
	__u32 pad;
	__u8 addr6[16];
};

#endif
