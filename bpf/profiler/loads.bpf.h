/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Every way code becomes executable in a process is a load: dlopen
 * (uprobes on any object exporting it), an executable mapping of a file
 * or its mprotect to exec — whoever makes it: the loader's start-up
 * mappings (LD_PRELOAD, DT_NEEDED), a hand-rolled loader, a renamed libc
 * —, anonymous or memfd code, execveat of an fd, an exec'd binary
 * (process.bpf.h). A file judged before (the verdict cache, by content)
 * costs one lookup: no window, no stop. */
#ifndef BPFPROF_PROFILER_LOADS_H
#define BPFPROF_PROFILER_LOADS_H

/* Code loaded outside dlopen: its own window (the lookback and the calls
 * that follow), and the gate for a file not judged before. Inside dlopen
 * the dlopen window covers it; only the gate applies. Returns whether it
 * opened a window. */
static __always_inline bool code_load(struct task_state *st, struct bp_call_rec *rec,
				      struct file *f, int fd, __u32 pivot)
{
	struct bp_stats *s = cpu_stats();
	struct bp_file_marker now;
	struct bp_file_key key;
	__u32 cached = 0;

	if (f) {
		file_key(BPF_CORE_READ(f, f_inode), &key);
		file_marker(BPF_CORE_READ(f, f_inode), &now);
		cached = cached_verdict(&key, &now);
		if (cached == BP_VERDICT_ALLOW) {
			if (s) {
				s->loads_cached++;
				s->gate_cache_hits += gate_enabled;
			}
			return false;
		}
	}
	if (st->state == ST_LOAD) {
		gate(st, f ? &key : NULL, &now, cached, rec->flags, fd);
		return false;
	}
	if (!pivot_codeload)
		return false;
	if (st->state != ST_IDLE)
		close_window(st, BP_CLOSE_NEXT_LOAD);
	open_window(st, pivot, NULL, 0, rec);
	start_follow(st);
	gate(st, f ? &key : NULL, &now, cached, rec->flags, fd);
	return true;
}

static __always_inline __u32 file_pivot(const struct bp_call_rec *rec)
{
	return (rec->flags & (BP_REC_FILE_MEMFD | BP_REC_FILE_DELETED)) ? BP_PIVOT_EXEC_MEMFD
									: BP_PIVOT_EXEC_FILE;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int tp_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct task_state *st;
	struct bp_call_rec *rec;
	struct file *f = NULL;
	__u64 flags = ARG(3);

	/* Only executable mappings are tokens: malloc's mmaps would drown the ring. */
	if (!(ARG(2) & PROT_EXEC))
		return 0;
	st = state_of_current(true);
	if (!st)
		return 0;
	/* the fd rides in the high half of the flags: userspace opens the
	 * object through /proc/PID/fd while the loader still holds it */
	rec = record(st, BP_CALL_MMAP, ARG(2), (flags & 0xffffffff) | (ARG(4) << 32));
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_file((int)ARG(4));
		describe_file(rec, f);
	}
	after_record(st, rec);
	if (flags & MAP_ANONYMOUS)
		code_load(st, rec, NULL, -1, BP_PIVOT_EXEC_ANON);
	else if (f)
		code_load(st, rec, f, (int)ARG(4), file_pivot(rec));
	return 0;
}

struct vma_file {
	struct file *file;
	bool found;
};

static long vma_file_of(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_file *v = data;

	v->file = BPF_CORE_READ(vma, vm_file);
	v->found = true;
	return 0;
}

/* Bytes equal to c in w: the high bit of each such byte set (a byte
 * above a match may be flagged too: a false alarm costs a stop, never a
 * miss). */
static __always_inline __u64 bytes_eq(__u64 w, __u8 c)
{
	__u64 t = w ^ (0x0101010101010101ull * c);

	return (t - 0x0101010101010101ull) & ~t & 0x8080808080808080ull;
}

/* Whether code holds a system call instruction at any byte: x86-64
 * `syscall` (0f 05), `sysenter` (0f 34), `int 0x80` (cd 80); aarch64
 * `svc #0` (d4000001, aligned). Code a JIT emits calls its runtime, not
 * the kernel, so this is what sets code a process made itself apart from
 * a JIT's, at the price of about ten thousand instructions per page made
 * executable. */
static __always_inline bool holds_syscall_insn(const __u8 *code)
{
	const __u64 *w = (const __u64 *)code;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < BP_CODE_MAX / 8; i++) {
		__u64 x = w[i], next = i + 1 < BP_CODE_MAX / 8 ? w[(i + 1) & (BP_CODE_MAX / 8 - 1)] : 0;
		__u64 y = (x >> 8) | (next << 56); /* each byte's successor */

#if defined(__TARGET_ARCH_arm64)
		if ((__u32)x == 0xd4000001 || (x >> 32) == 0xd4000001)
			return true;
#else
		if ((bytes_eq(x, 0x0f) & (bytes_eq(y, 0x05) | bytes_eq(y, 0x34))) ||
		    (bytes_eq(x, 0xcd) & bytes_eq(y, 0x80)))
			return true;
#endif
	}
	return false;
}

/* The first page of memory just made executable (mprotect takes a
 * page-aligned start, so the page is all inside the region): the bytes the
 * static analysis reads, whether or not the process outlives the event. A
 * page not present (never touched) has nothing to send. Returns whether
 * the page holds a system call instruction. */
static __always_inline bool send_code(struct task_state *st, __u64 start)
{
	struct bp_ev_code *e = reserve(sizeof(*e), st);
	bool raw;

	if (!e)
		return false;
	if (bpf_probe_read_user(e->code, sizeof(e->code), (const void *)start)) {
		bpf_ringbuf_discard(e, 0);
		return false;
	}
	raw = holds_syscall_insn(e->code);
	fill_hdr(&e->hdr, BP_EV_CODE, st);
	e->addr = start;
	e->len = sizeof(e->code);
	e->pad = 0;
	submit(e, false);
	return raw;
}

/* mprotect and pkey_mprotect adding PROT_EXEC: anonymous memory made
 * executable, or a private file mapping that was not (a loader that maps
 * data and flips it). Anonymous code that calls the kernel itself is
 * stopped here like a new file (its page goes first, so userspace judges
 * it): shellcode, not a JIT. */
static __always_inline int protect_exec(__u64 start, __u64 len, __u64 prot)
{
	struct vma_file v = {};
	struct task_state *st;
	struct bp_call_rec *rec;

	if (!(prot & PROT_EXEC))
		return 0;
	st = state_of_current(true);
	if (!st)
		return 0;
	rec = record(st, BP_CALL_MPROTECT, prot, len);
	bpf_find_vma(bpf_get_current_task_btf(), start, vma_file_of, &v, 0);
	if (v.file)
		describe_file(rec, v.file);
	after_record(st, rec);
	if (!v.found)
		return 0;
	if (v.file) {
		/* a file's page too: a process gone before userspace opens the
		 * file leaves these bytes to judge */
		if (code_load(st, rec, v.file, -1, file_pivot(rec)))
			send_code(st, start);
		return 0;
	}
	/* inside dlopen, a constructor's code: the dlopen window is judged
	 * again, on what the constructor did so far */
	if ((code_load(st, rec, NULL, -1, BP_PIVOT_EXEC_ANON) || st->state == ST_LOAD) &&
	    send_code(st, start) && gate_enabled)
		gate_stop(st, NULL, NULL, 0, -1, BP_GATE_STOPPED);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mprotect")
int tp_mprotect(struct trace_event_raw_sys_enter *ctx)
{
	return protect_exec(ARG(0), ARG(1), ARG(2));
}

SEC("tracepoint/syscalls/sys_enter_pkey_mprotect")
int tp_pkey_mprotect(struct trace_event_raw_sys_enter *ctx)
{
	return protect_exec(ARG(0), ARG(1), ARG(2));
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tp_execveat(struct trace_event_raw_sys_enter *ctx)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;
	__u64 flags = ARG(4);

	if (!st)
		return 0;
	rec = record(st, BP_CALL_EXECVEAT, ARG(0), flags);
	if (flags & AT_EMPTY_PATH)
		describe_fd(rec, (int)ARG(0));
	if (read_str(st, rec, (const void *)ARG(1)))
		return 0;
	after_record(st, rec);
	/* the exec'd image is judged at sched_process_exec; a window opens here
	 * for the fileless case so its lookback is the dropper's */
	if (flags & AT_EMPTY_PATH)
		code_load(st, rec, NULL, -1, BP_PIVOT_EXECVEAT_FD);
	return 0;
}

/* dlopen(path, flags) and dlmopen(lmid, path, flags) share the window logic. */
static __always_inline int dlopen_enter(struct pt_regs *ctx, const char *path, __u64 flags)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;

	if (!st)
		return 0;
	if (st->state == ST_LOAD) {
		/* a constructor loading more: a load-part token of the outer window */
		st->depth++;
		rec = record(st, BP_CALL_DLOPEN, flags, 0);
		bpf_probe_read_user_str(rec->str, sizeof(rec->str), path);
		after_record(st, rec);
		return 0;
	}
	if (st->state != ST_IDLE)
		close_window(st, st->state == ST_FOLLOW ? BP_CLOSE_NEXT_DLOPEN : BP_CLOSE_NEXT_LOAD);
	open_window(st, BP_PIVOT_DLOPEN, path, flags, NULL);
	st->state = ST_LOAD;
	st->depth = 1;
	/* the dlopen itself is part of later windows' lookback */
	rec = record(st, BP_CALL_DLOPEN, flags, 0);
	bpf_probe_read_user_str(rec->str, sizeof(rec->str), path);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(uprobe_dlopen, const char *path, int flags)
{
	return dlopen_enter(ctx, path, flags);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_dlmopen, long lmid, const char *path, int flags)
{
	return dlopen_enter(ctx, path, flags);
}

SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_dlopen, void *handle)
{
	struct task_state *st = state_of_current(false);
	struct bp_ev_dlopen_ret *e;

	if (!st || st->state != ST_LOAD)
		return 0;
	if (--st->depth > 0)
		return 0;
	e = reserve(sizeof(*e), st);
	if (e) {
		fill_hdr(&e->hdr, BP_EV_DLOPEN_RET, st);
		e->handle = (__u64)handle;
		submit(e, true); /* userspace opens the object while it is mapped */
	}
	start_follow(st);
	return 0;
}

#endif
