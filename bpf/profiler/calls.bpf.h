/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The system calls of the token vocabulary (schemas/tokens.json), one
 * tracepoint each, and the exits of those that take a path: a path the
 * process never touched (a string on a fresh page, as after fork) is read
 * there, once the kernel has copied it. */
#ifndef BPFPROF_PROFILER_CALLS_H
#define BPFPROF_PROFILER_CALLS_H

#define ARG(i) (ctx->args[i])

#define S_IFMT_BITS	0170000
#define S_IFSOCK_BITS	0140000

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int tp_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_UNLINKAT, ARG(2), 0, (const void *)ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_renameat2")
int tp_renameat2(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_RENAMEAT2, ARG(4), 0, (const void *)ARG(3));
}

SEC("tracepoint/syscalls/sys_enter_fchmodat")
int tp_fchmodat(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_FCHMODAT, ARG(2), 0, (const void *)ARG(1));
}

/* x86-64 keeps the pre-*at calls, and glibc uses some of them (chmod,
 * unlink, rename): they map to the same calls. Userspace skips them where
 * the architecture or kernel lacks the tracepoint. */
SEC("tracepoint/syscalls/sys_enter_open")
int tp_open(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_OPENAT, ARG(1), ARG(2), (const void *)ARG(0));
}

SEC("tracepoint/syscalls/sys_enter_creat")
int tp_creat(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_OPENAT, 0x241 /* O_WRONLY|O_CREAT|O_TRUNC */, ARG(1),
			   (const void *)ARG(0));
}

SEC("tracepoint/syscalls/sys_enter_chmod")
int tp_chmod(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_FCHMODAT, ARG(1), 0, (const void *)ARG(0));
}

SEC("tracepoint/syscalls/sys_enter_fchmodat2")
int tp_fchmodat2(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_FCHMODAT, ARG(2), 0, (const void *)ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int tp_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_UNLINKAT, 0, 0, (const void *)ARG(0));
}

SEC("tracepoint/syscalls/sys_enter_rename")
int tp_rename(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_RENAMEAT2, 0, 0, (const void *)ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_renameat")
int tp_renameat(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_RENAMEAT2, 0, 0, (const void *)ARG(3));
}

SEC("tracepoint/syscalls/sys_enter_fchmod")
int tp_fchmod(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_FCHMOD, ARG(1), ARG(0), NULL);
}

/* The exits of the path-taking calls: a record waiting for its string
 * goes out now. */
static __always_inline int path_exit(void)
{
	struct task_state *st = state_of_current(false);

	if (st)
		finish_pending(st);
	return 0;
}

#define PATH_EXIT(name) \
SEC("tracepoint/syscalls/sys_exit_" #name) \
int tp_exit_##name(struct trace_event_raw_sys_exit *ctx) { return path_exit(); }

PATH_EXIT(unlinkat)
PATH_EXIT(renameat2)
PATH_EXIT(fchmodat)
PATH_EXIT(open)
PATH_EXIT(creat)
PATH_EXIT(chmod)
PATH_EXIT(fchmodat2)
PATH_EXIT(unlink)
PATH_EXIT(rename)
PATH_EXIT(renameat)
PATH_EXIT(execveat)

/* openat is recorded at its exit alone, one program per open instead of
 * two (each run costs 0.25-0.3 us here: docs/kernel.md): the arguments
 * are still in the task's registers, the kernel has copied the path (its
 * page is in), and the fd says which file an open for writing names. That
 * file's verdict is dropped (its next executable mapping is judged again),
 * the record carries its identity (a process that maps what it just wrote
 * is dropping code: docs/scoring.md), and an open of another process's
 * memory for writing is an injection into it. */
SEC("tracepoint/syscalls/sys_exit_openat")
int tp_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	struct task_state *st = state_of_current(true);
	struct pt_regs *regs;
	struct bp_call_rec *rec;
	struct bp_file_key key;
	struct file *f = NULL;
	__u32 target;

	if (!st)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	rec = record(st, BP_CALL_OPENAT, PT_REGS_PARM3_CORE_SYSCALL(regs),
		     PT_REGS_PARM4_CORE_SYSCALL(regs));
	if (bpf_probe_read_user_str(rec->str, sizeof(rec->str),
				    (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs)) == sizeof(rec->str))
		rec->flags |= BP_REC_STR_TRUNC;
	if (ctx->ret >= 0 && (rec->arg[0] & O_ACCMODE_BITS))
		f = fd_file((int)ctx->ret);
	if (f) {
		describe_file(rec, f);
		file_key(BPF_CORE_READ(f, f_inode), &key);
		bpf_map_delete_elem(&verdict_cache, &key);
	}
	after_record(st, rec);
	target = f ? procmem_pid(rec->str) : 0;
	if (target)
		inject_window(st, target, rec);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int tp_mremap(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_MREMAP, ARG(2), ARG(3), NULL);
}

SEC("tracepoint/syscalls/sys_enter_memfd_create")
int tp_memfd_create(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_MEMFD_CREATE, ARG(1), 0, (const void *)ARG(0));
}

SEC("tracepoint/syscalls/sys_exit_memfd_create")
int tp_exit_memfd_create(struct trace_event_raw_sys_exit *ctx)
{
	return path_exit();
}

SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int tp_process_vm_writev(struct trace_event_raw_sys_enter *ctx)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;

	if (!st)
		return 0;
	rec = record(st, BP_CALL_PROCESS_VM_WRITEV, ARG(0), 0);
	after_record(st, rec);
	inject_window(st, (__u32)ARG(0), rec);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int tp_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;

	if (!st)
		return 0;
	rec = record(st, BP_CALL_PTRACE, ARG(0), ARG(1));
	after_record(st, rec);
	if (ptrace_writes(ARG(0)))
		inject_window(st, (__u32)ARG(1), rec);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_socket")
int tp_socket(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_SOCKET, ARG(0), ARG(1), NULL);
}

/* connect/bind: family, port and IPv4 address in args; unix path or IPv6
 * address bytes in str. */
static __always_inline void sockaddr_fill(struct task_state *st, struct bp_call_rec *rec,
					  const void *uaddr)
{
	__u16 family = 0;

	bpf_probe_read_user(&family, sizeof(family), uaddr);
	rec->arg[0] = family;
	if (family == AF_INET) {
		struct sockaddr_in sin = {};

		bpf_probe_read_user(&sin, sizeof(sin), uaddr);
		rec->arg[1] = sin.sin_port;
		rec->arg[2] = sin.sin_addr.s_addr;
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};

		bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
		rec->arg[1] = sin6.sin6_port;
		__builtin_memcpy(rec->str, &sin6.sin6_addr, 16);
	} else if (family == AF_UNIX) {
		/* abstract sockets start with a NUL: keep the name after it */
		const char *p = (const char *)uaddr + 2;
		char first = 0;

		bpf_probe_read_user(&first, 1, p);
		rec->arg[2] = first == 0;
		if (bpf_probe_read_user_str(rec->str, sizeof(rec->str), first ? p : p + 1) < 0)
			rec->str[0] = '\0';
	}
}

static __always_inline int sockaddr_call(__u16 call, const void *uaddr)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;

	if (!st)
		return 0;
	rec = record(st, call, 0, 0);
	sockaddr_fill(st, rec, uaddr);
	after_record(st, rec);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int tp_connect(struct trace_event_raw_sys_enter *ctx)
{
	return sockaddr_call(BP_CALL_CONNECT, (const void *)ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_bind")
int tp_bind(struct trace_event_raw_sys_enter *ctx)
{
	return sockaddr_call(BP_CALL_BIND, (const void *)ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_listen(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_LISTEN, ARG(0), ARG(1), NULL);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int tp_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_ACCEPT4, ARG(0), 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int tp_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_SENDTO, ARG(0), ARG(2), NULL);
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int tp_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_SENDMSG, ARG(0), 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int tp_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_RECVFROM, ARG(0), ARG(2), NULL);
}

/* A socket duplicated onto stdin, stdout or stderr is a remote shell's
 * plumbing (dup2:socket). */
static __always_inline int dup_call(__u16 call, __u64 oldfd, __u64 newfd)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;
	struct file *f;

	if (!st)
		return 0;
	rec = record(st, call, oldfd, newfd);
	if (newfd <= 2 && (f = fd_file((int)oldfd)) &&
	    (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_BITS) == S_IFSOCK_BITS)
		rec->flags |= BP_REC_SOCKET;
	after_record(st, rec);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_dup2")
int tp_dup2(struct trace_event_raw_sys_enter *ctx)
{
	return dup_call(BP_CALL_DUP2, ARG(0), ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_dup3")
int tp_dup3(struct trace_event_raw_sys_enter *ctx)
{
	return dup_call(BP_CALL_DUP3, ARG(0), ARG(1));
}

SEC("tracepoint/syscalls/sys_enter_pipe2")
int tp_pipe2(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_PIPE2, ARG(1), 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_shmget")
int tp_shmget(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_SHMGET, ARG(0), ARG(1), NULL);
}

SEC("tracepoint/syscalls/sys_enter_shmat")
int tp_shmat(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_SHMAT, ARG(0), ARG(2), NULL);
}

SEC("tracepoint/syscalls/sys_enter_msgsnd")
int tp_msgsnd(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_MSGSND, ARG(0), ARG(2), NULL);
}

SEC("tracepoint/syscalls/sys_enter_kill")
int tp_kill(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_KILL, ARG(0), ARG(1), NULL);
}

/* A successful execve returns into the new image, where the old path is
 * gone: a record still waiting then reads the name the kernel kept
 * (process.bpf.h); a failed one exits here with its memory intact. */
SEC("tracepoint/syscalls/sys_enter_execve")
int tp_execve(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_EXECVE, 0, 0, (const void *)ARG(0));
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? path_exit() : 0;
}

SEC("tracepoint/syscalls/sys_enter_clone")
int tp_clone(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_CLONE, ARG(0), 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_clone3")
int tp_clone3(struct trace_event_raw_sys_enter *ctx)
{
	__u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags), (const void *)ARG(0));
	return simple_call(BP_CALL_CLONE3, flags, 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_exit_group")
int tp_exit_group(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_EXIT_GROUP, ARG(0), 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_io_uring_setup")
int tp_io_uring_setup(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_IO_URING_SETUP, ARG(0), 0, NULL);
}

#endif
