// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* The restricted cgroup of the mitigation ladder: processes moved into it
 * lose the network (all of it, or all but loopback) and device access; each
 * denial is reported. Attached to one cgroup, so other processes pay nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpfprof_sandbox.h"
#include "lib/consts.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool allow_loopback = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} denials SEC(".maps");

static __always_inline void report(__u32 kind, __u32 family, __u32 port, __u32 addr4,
				   const __u32 *addr6)
{
	struct sandbox_event *e = bpf_ringbuf_reserve(&denials, sizeof(*e), 0);

	if (!e)
		return;
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->family = family;
	e->port = port;
	e->addr4 = addr4;
	e->pad = 0;
	if (addr6)
		__builtin_memcpy(e->addr6, addr6, 16);
	else
		__builtin_memset(e->addr6, 0, 16);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline bool loopback4(__u32 ip_be)
{
	return (bpf_ntohl(ip_be) >> 24) == 127;
}

static __always_inline bool loopback6(const struct bpf_sock_addr *ctx)
{
	return ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 && ctx->user_ip6[2] == 0 &&
	       ctx->user_ip6[3] == bpf_htonl(1);
}

static __always_inline int judge4(struct bpf_sock_addr *ctx, __u32 kind)
{
	__u32 ip = ctx->user_ip4;

	if (allow_loopback && loopback4(ip))
		return 1;
	report(kind, AF_INET, bpf_ntohs((__u16)ctx->user_port), ip, NULL);
	return 0;
}

static __always_inline int judge6(struct bpf_sock_addr *ctx, __u32 kind)
{
	__u32 ip6[4];

	if (allow_loopback && loopback6(ctx))
		return 1;
	ip6[0] = ctx->user_ip6[0];
	ip6[1] = ctx->user_ip6[1];
	ip6[2] = ctx->user_ip6[2];
	ip6[3] = ctx->user_ip6[3];
	report(kind, AF_INET6, bpf_ntohs((__u16)ctx->user_port), 0, ip6);
	return 0;
}

SEC("cgroup/connect4")
int sandbox_connect4(struct bpf_sock_addr *ctx) { return judge4(ctx, SANDBOX_DENY_CONNECT); }

SEC("cgroup/connect6")
int sandbox_connect6(struct bpf_sock_addr *ctx) { return judge6(ctx, SANDBOX_DENY_CONNECT); }

SEC("cgroup/sendmsg4")
int sandbox_sendmsg4(struct bpf_sock_addr *ctx) { return judge4(ctx, SANDBOX_DENY_SENDMSG); }

SEC("cgroup/sendmsg6")
int sandbox_sendmsg6(struct bpf_sock_addr *ctx) { return judge6(ctx, SANDBOX_DENY_SENDMSG); }

/* No new network sockets at all unless loopback is allowed. */
SEC("cgroup/sock_create")
int sandbox_sock_create(struct bpf_sock *ctx)
{
	if (allow_loopback || (ctx->family != AF_INET && ctx->family != AF_INET6))
		return 1;
	report(SANDBOX_DENY_SOCKET, ctx->family, 0, 0, NULL);
	return 0;
}

/* Devices: the harmless character devices a program needs to run. */
SEC("cgroup/dev")
int sandbox_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff, major = ctx->major, minor = ctx->minor;

	if (type == DEV_CHAR) {
		if (major == 1 && (minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9))
			return 1; /* null zero full random urandom */
		if (major == 5 && (minor == 0 || minor == 2))
			return 1; /* tty ptmx */
		if (major == 136)
			return 1; /* pts */
	}
	report(SANDBOX_DENY_DEVICE, type, major, minor, NULL);
	return 0;
}
