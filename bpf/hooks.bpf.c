// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Selective function hooking (medium risk): uprobes on a process's
 * dangerous libc functions and on the new object's flagged exports log each
 * call with its arguments. Uprobes cannot rewrite registers on this kernel
 * (docs/kernel.md), so a blocked call is blocked by SIGKILL before it runs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpfprof_hooks.h"
#include "lib/consts.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} hook_events SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(hook_call, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), id = bpf_get_current_pid_tgid();
	struct hook_event *e;

	if (cookie & HOOK_COOKIE_BLOCK)
		bpf_send_signal(SIGKILL);
	e = bpf_ringbuf_reserve(&hook_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = cookie;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->args[3] = a3;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->blocked = !!(cookie & HOOK_COOKIE_BLOCK);
	e->pad = 0;
	e->str[0] = '\0';
	if (cookie & HOOK_COOKIE_STR)
		bpf_probe_read_user_str(e->str, sizeof(e->str), (const void *)a0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
