// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* BPF LSM enforcement, the strongest backend: quarantined files cannot be
 * mapped executable or exec'ed (the process gets -EPERM and lives on), and
 * restricted processes cannot connect. Only loaded where probe finds BPF LSM
 * usable; every denial is reported through the ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "bpfprof_event.h"
#include "bpfprof_lsm.h"
#include "lib/consts.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool allow_loopback = false;

/* Files that must not run, keyed like profiler.bpf.c's verdict cache.
 * Written by userspace; a plain hash: a quarantine is never evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bp_file_key);
	__type(value, __u32);
} quarantined SEC(".maps");

/* Restricted processes by tgid; children inherit at fork, the entry goes
 * when the whole thread group is gone (a reused pid starts free). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} restricted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} denials SEC(".maps");

__u64 lost_reports = 0;

static __always_inline struct bp_lsm_event *report(__u32 kind)
{
	struct bp_lsm_event *e = bpf_ringbuf_reserve(&denials, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&lost_reports, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* s_dev is the kernel's encoding (major << 20 | minor), as in the cache. */
static __always_inline int deny_if_quarantined(struct file *file, __u32 kind)
{
	struct bp_file_key key = {};
	struct bp_lsm_event *e;

	if (!file)
		return 0;
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	if (!bpf_map_lookup_elem(&quarantined, &key))
		return 0;
	e = report(kind);
	if (e) {
		e->dev = key.dev;
		e->ino = key.ino;
		bpf_ringbuf_submit(e, 0);
	}
	return -EPERM;
}

SEC("lsm/mmap_file")
int BPF_PROG(lsm_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	return deny_if_quarantined(file, BP_LSM_DENY_MMAP_EXEC);
}

SEC("lsm/file_mprotect")
int BPF_PROG(lsm_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	return deny_if_quarantined(BPF_CORE_READ(vma, vm_file), BP_LSM_DENY_MPROTECT_EXEC);
}

/* Called for the file and again for each interpreter (#!, binfmt_misc). */
SEC("lsm/bprm_check_security")
int BPF_PROG(lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return deny_if_quarantined(BPF_CORE_READ(bprm, file), BP_LSM_DENY_EXEC);
}

static __always_inline bool loopback(__u16 family, struct sockaddr *address)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)address;
	struct sockaddr_in *in = (struct sockaddr_in *)address;

	if (family == AF_INET)
		return (bpf_ntohl(BPF_CORE_READ(in, sin_addr.s_addr)) >> 24) == 127;
	return BPF_CORE_READ(in6, sin6_addr.in6_u.u6_addr32[0]) == 0 &&
	       BPF_CORE_READ(in6, sin6_addr.in6_u.u6_addr32[1]) == 0 &&
	       BPF_CORE_READ(in6, sin6_addr.in6_u.u6_addr32[2]) == 0 &&
	       BPF_CORE_READ(in6, sin6_addr.in6_u.u6_addr32[3]) == bpf_htonl(1);
}

/* Every family but AF_UNIX (local IPC, as the cgroup sandbox leaves it). */
SEC("lsm/socket_connect")
int BPF_PROG(lsm_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sockaddr_in *in = (struct sockaddr_in *)address;
	struct bp_lsm_event *e;
	__u16 family;

	if (ret)
		return ret;
	if (!bpf_map_lookup_elem(&restricted, &tgid))
		return 0;
	family = BPF_CORE_READ(address, sa_family);
	if (family == AF_UNIX)
		return 0;
	if (allow_loopback && (family == AF_INET || family == AF_INET6) &&
	    loopback(family, address))
		return 0;
	e = report(BP_LSM_DENY_CONNECT);
	if (e) {
		e->family = family;
		if (family == AF_INET || family == AF_INET6)
			e->port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
		if (family == AF_INET)
			e->addr4 = BPF_CORE_READ(in, sin_addr.s_addr);
		else if (family == AF_INET6)
			BPF_CORE_READ_INTO(&e->addr6, (struct sockaddr_in6 *)address,
					   sin6_addr.in6_u.u6_addr8);
		bpf_ringbuf_submit(e, 0);
	}
	return -EPERM;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lsm_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u32 inherited = 2;

	if (ptgid == ctgid || !bpf_map_lookup_elem(&restricted, &ptgid))
		return 0;
	bpf_map_update_elem(&restricted, &ctgid, &inherited, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lsm_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (task_group_dead(task))
		bpf_map_delete_elem(&restricted, &tgid);
	return 0;
}
