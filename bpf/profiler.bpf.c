// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Kernel half of bpf-profiler: syscall tracepoints keep a per-thread lookback
 * ring in task storage; the dlopen uprobes (and code loading outside dlopen)
 * open a window, and only open windows and traced processes reach the ring
 * buffer, with batched wakeups. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfprof_event.h"
#include "lib/consts.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define RING_MASK	(BP_LOOKBACK_MAX - 1)

/* Set through the skeleton before load (the verifier drops what is off). */
const volatile bool filter_traced = false;   /* only pids in `traced` */
const volatile bool emit_traced_calls = false; /* traced pids send every call */
const volatile bool pivot_codeload = true;   /* exec anon/memfd memory opens a window */
const volatile __u32 self_tgid = 0;
const volatile __u32 lookback_k = 16;
const volatile __u32 follow_m = 32;
const volatile __u64 follow_ns = 200 * 1000 * 1000ull;
const volatile __u32 wakeup_batch = 64;
const volatile bool gate_enabled = false;    /* stop at the first exec mapping in dlopen */

enum window_state { ST_IDLE, ST_LOAD, ST_FOLLOW };

struct task_state {
	__u64 window_id;
	__u64 deadline_ns;
	__u32 head;        /* calls recorded so far; ring slot = head & RING_MASK */
	__u32 lost;
	__u32 follow_left;
	__u32 nload;
	__u32 nfollow;
	__u16 state;
	__u16 depth;       /* nested dlopen calls inside the load part */
	__u32 pivot;
	struct bp_call_rec ring[BP_LOOKBACK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tgid */
	__type(value, __u8);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bp_stats);
} stats SEC(".maps");

/* Files already judged: a hit costs no stop. Written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct bp_file_key);
	__type(value, __u32);
} verdict_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} unwoken SEC(".maps");

__u64 next_window_id = 0;

static __always_inline struct bp_stats *cpu_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

/* The thread's state, created on first use; NULL for threads we ignore. */
static __always_inline struct task_state *state_of_current(bool create)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid == self_tgid)
		return NULL;
	if (filter_traced && !is_traced(tgid))
		return NULL;
	return bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

static __always_inline void *reserve(__u64 size, struct task_state *st)
{
	void *p = bpf_ringbuf_reserve(&events, size, 0);
	struct bp_stats *s;

	if (p)
		return p;
	s = cpu_stats();
	if (s)
		s->events_lost++;
	if (st && st->window_id)
		st->lost++;
	return NULL;
}

/* Wake the consumer every wakeup_batch events, or now when urgent: a wakeup
 * per event costs ~1.4 us (docs/kernel.md). */
static __always_inline void submit(void *p, bool urgent)
{
	struct bp_stats *s = cpu_stats();
	__u32 zero = 0, *pending = bpf_map_lookup_elem(&unwoken, &zero);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (pending && (urgent || ++*pending >= wakeup_batch)) {
		*pending = 0;
		flags = BPF_RB_FORCE_WAKEUP;
		if (s)
			s->wakeups++;
	}
	if (s)
		s->events_sent++;
	bpf_ringbuf_submit(p, flags);
}

static __always_inline void fill_hdr(struct bp_event_hdr *h, __u16 type,
				     struct task_state *st)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->part = BP_PART_NONE;
	h->pivot = st ? st->pivot : 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->lost = st ? st->lost : 0;
	h->window_id = st ? st->window_id : 0;
	h->ts_ns = bpf_ktime_get_ns();
}

static __always_inline void close_window(struct task_state *st, __u32 reason)
{
	struct bp_ev_window_close *e;
	struct bp_stats *s = cpu_stats();

	if (!st->window_id)
		return;
	e = reserve(sizeof(*e), st);
	if (e) {
		fill_hdr(&e->hdr, BP_EV_WINDOW_CLOSE, st);
		e->reason = reason;
		e->nload = st->nload;
		e->nfollow = st->nfollow;
		e->pad = 0;
		submit(e, true);
	}
	if (s) {
		s->windows_closed++;
		if (st->lost || !e)
			s->windows_lossy++;
	}
	st->window_id = 0;
	st->state = ST_IDLE;
	st->depth = 0;
	st->pivot = 0;
}

/* Opens a window: sends the lookback ring (oldest first) and the pivot. */
static __always_inline void open_window(struct task_state *st, __u32 pivot,
					const char *upath, __u64 flags,
					const struct bp_call_rec *pivot_rec)
{
	struct bp_ev_window_open *e;
	struct bp_stats *s = cpu_stats();
	__u32 n = st->head < lookback_k ? st->head : lookback_k;

	st->window_id = __sync_fetch_and_add(&next_window_id, 1) + 1;
	st->lost = 0;
	st->nload = 0;
	st->nfollow = 0;
	st->pivot = pivot;
	if (s)
		s->windows_opened++;
	e = reserve(sizeof(*e), st);
	if (!e)
		return;
	fill_hdr(&e->hdr, BP_EV_WINDOW_OPEN, st);
	e->nlookback = n > BP_LOOKBACK_MAX ? BP_LOOKBACK_MAX : n;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->flags = flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path[0] = '\0';
	if (upath)
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
	if (pivot_rec)
		e->pivot_rec = *pivot_rec;
	else
		__builtin_memset(&e->pivot_rec, 0, sizeof(e->pivot_rec));
	for (__u32 i = 0; i < BP_LOOKBACK_MAX; i++) {
		if (i < n)
			e->lookback[i] = st->ring[(st->head - n + i) & RING_MASK];
		else
			__builtin_memset(&e->lookback[i], 0, sizeof(e->lookback[i]));
	}
	submit(e, true);
}

/* A follow part ends after follow_m calls or follow_ns; the timeout is seen
 * here, at the thread's next call (userspace closes quiet windows itself). */
static __always_inline void expire_follow(struct task_state *st, __u64 now)
{
	if (st->state == ST_FOLLOW && now > st->deadline_ns)
		close_window(st, BP_CLOSE_TIMEOUT);
}

static __always_inline void start_follow(struct task_state *st)
{
	st->state = ST_FOLLOW;
	st->follow_left = follow_m;
	st->deadline_ns = bpf_ktime_get_ns() + follow_ns;
	if (!follow_m)
		close_window(st, BP_CLOSE_FOLLOW_DONE);
}

/* Sends a recorded call when it belongs to a window or a traced process. */
static __always_inline void emit_call(struct task_state *st, struct bp_call_rec *rec)
{
	struct bp_ev_call *e;
	__u8 part = st->state == ST_LOAD ? BP_PART_LOAD :
		    st->state == ST_FOLLOW ? BP_PART_FOLLOW : BP_PART_NONE;

	if (part == BP_PART_NONE && !emit_traced_calls)
		return;
	e = reserve(sizeof(*e), st);
	if (!e)
		return;
	fill_hdr(&e->hdr, BP_EV_CALL, st);
	e->hdr.part = part;
	e->rec = *rec;
	/* the loader mapping a file: userspace should open it now */
	submit(e, part == BP_PART_LOAD && (rec->flags & BP_REC_FILE));
}

static __always_inline void after_record(struct task_state *st, struct bp_call_rec *rec)
{
	if (st->state == ST_LOAD)
		st->nload++;
	else if (st->state == ST_FOLLOW)
		st->nfollow++;
	emit_call(st, rec);
	if (st->state == ST_FOLLOW && --st->follow_left == 0)
		close_window(st, BP_CLOSE_FOLLOW_DONE);
}

/* Records a call into the thread's ring and returns the slot for the caller
 * to fill in more; the caller then calls after_record(). */
static __always_inline struct bp_call_rec *record(struct task_state *st, __u16 call,
						  __u64 a0, __u64 a1)
{
	struct bp_call_rec *rec = &st->ring[st->head & RING_MASK];
	struct bp_stats *s = cpu_stats();
	__u64 now = bpf_ktime_get_ns();

	expire_follow(st, now);
	st->head++;
	rec->ts_ns = now;
	rec->call = call;
	rec->flags = 0;
	rec->tid = (__u32)bpf_get_current_pid_tgid();
	rec->arg[0] = a0;
	rec->arg[1] = a1;
	rec->arg[2] = 0;
	rec->arg[3] = 0;
	rec->str[0] = '\0';
	if (s)
		s->calls_seen++;
	return rec;
}

static __always_inline void read_str(struct bp_call_rec *rec, const void *ustr)
{
	long n = bpf_probe_read_user_str(rec->str, sizeof(rec->str), ustr);

	if (n == sizeof(rec->str))
		rec->flags |= BP_REC_STR_TRUNC;
	else if (n < 0)
		rec->str[0] = '\0';
}

static __always_inline int simple_call(__u16 call, __u64 a0, __u64 a1, const void *ustr)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;

	if (!st)
		return 0;
	rec = record(st, call, a0, a1);
	if (ustr)
		read_str(rec, ustr);
	after_record(st, rec);
	return 0;
}

#define ARG(i) (ctx->args[i])

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_OPENAT, ARG(2), ARG(3), (const void *)ARG(1));
}

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

/* Fills dev/ino and memfd/deleted flags of the file behind fd. */
static __always_inline void describe_fd(struct bp_call_rec *rec, int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct dentry *d;
	char name[7] = {};

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return;
	rec->flags |= BP_REC_FILE;
	rec->arg[2] = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	rec->arg[3] = BPF_CORE_READ(f, f_inode, i_ino);
	d = BPF_CORE_READ(f, f_path.dentry);
	if (!BPF_CORE_READ(d, d_hash.pprev))
		rec->flags |= BP_REC_FILE_DELETED;
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	    name[4] == 'd' && name[5] == ':')
		rec->flags |= BP_REC_FILE_MEMFD;
}

/* Executable mappings of files that are not files any more, or of no file
 * at all, load code without dlopen: open a window of their own. */
static __always_inline void maybe_codeload_pivot(struct task_state *st,
						 struct bp_call_rec *rec, __u32 pivot)
{
	if (!pivot_codeload || !pivot || st->state != ST_IDLE)
		return;
	open_window(st, pivot, NULL, 0, rec);
	start_follow(st);
}

/* The gate: inside dlopen, the loader's executable mapping of a file is the
 * last moment before that file's code can run (constructors run after all
 * mappings and relocations). The signal is delivered when mmap returns. */
static __always_inline void gate(struct task_state *st, struct bp_call_rec *rec, int fd)
{
	struct bp_file_key key = { .dev = rec->arg[2], .ino = rec->arg[3] };
	struct bp_stats *s = cpu_stats();
	struct bp_ev_gate *e;
	__u32 *cached, action;

	if (!gate_enabled)
		return;
	cached = bpf_map_lookup_elem(&verdict_cache, &key);
	if (cached && *cached == BP_VERDICT_ALLOW) {
		if (s)
			s->gate_cache_hits++;
		return;
	}
	action = cached && *cached == BP_VERDICT_DENY ? BP_GATE_KILLED : BP_GATE_STOPPED;
	if (s && action == BP_GATE_KILLED)
		s->gate_cache_hits++;
	e = reserve(sizeof(*e), st);
	if (!e) {
		/* never stop a process userspace will not hear of: the window is
		 * already uncertain (a lost event), so its verdict escalates */
		if (action == BP_GATE_KILLED)
			bpf_send_signal(SIGKILL);
		return;
	}
	bpf_send_signal(action == BP_GATE_KILLED ? SIGKILL : SIGSTOP);
	if (s && action == BP_GATE_STOPPED)
		s->gate_stops++;
	fill_hdr(&e->hdr, BP_EV_GATE, st);
	e->fd = fd;
	e->action = action;
	e->file = key;
	e->file_flags = rec->flags;
	e->pad = 0;
	submit(e, true);
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int tp_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct task_state *st;
	struct bp_call_rec *rec;
	__u32 pivot = 0;
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
	if (!(flags & MAP_ANONYMOUS))
		describe_fd(rec, (int)ARG(4));
	if (flags & MAP_ANONYMOUS)
		pivot = BP_PIVOT_EXEC_ANON;
	else if (rec->flags & (BP_REC_FILE_MEMFD | BP_REC_FILE_DELETED))
		pivot = BP_PIVOT_EXEC_MEMFD;
	after_record(st, rec);
	if (st->state == ST_LOAD && (rec->flags & BP_REC_FILE))
		gate(st, rec, (int)ARG(4));
	maybe_codeload_pivot(st, rec, pivot);
	return 0;
}

static long vma_is_anon(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(bool *)data = BPF_CORE_READ(vma, vm_file) == NULL;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mprotect")
int tp_mprotect(struct trace_event_raw_sys_enter *ctx)
{
	struct task_state *st;
	struct bp_call_rec *rec;
	bool anon = false;

	if (!(ARG(2) & PROT_EXEC))
		return 0;
	st = state_of_current(true);
	if (!st)
		return 0;
	rec = record(st, BP_CALL_MPROTECT, ARG(2), ARG(1));
	bpf_find_vma(bpf_get_current_task_btf(), ARG(0), vma_is_anon, &anon, 0);
	if (anon)
		rec->arg[2] = 1; /* anonymous memory */
	after_record(st, rec);
	maybe_codeload_pivot(st, rec, anon ? BP_PIVOT_EXEC_ANON : 0);
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

SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int tp_process_vm_writev(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_PROCESS_VM_WRITEV, ARG(0), 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int tp_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_PTRACE, ARG(0), ARG(1), NULL);
}

SEC("tracepoint/syscalls/sys_enter_socket")
int tp_socket(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_SOCKET, ARG(0), ARG(1), NULL);
}

/* connect/bind: family, port and IPv4 address in args; unix path or IPv6
 * address bytes in str. */
static __always_inline int sockaddr_call(__u16 call, const void *uaddr)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;
	__u16 family = 0;

	if (!st)
		return 0;
	bpf_probe_read_user(&family, sizeof(family), uaddr);
	rec = record(st, call, family, 0);
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
		read_str(rec, first ? p : p + 1);
	}
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

SEC("tracepoint/syscalls/sys_enter_dup2")
int tp_dup2(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_DUP2, ARG(0), ARG(1), NULL);
}

SEC("tracepoint/syscalls/sys_enter_dup3")
int tp_dup3(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_DUP3, ARG(0), ARG(1), NULL);
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

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_execve(struct trace_event_raw_sys_enter *ctx)
{
	return simple_call(BP_CALL_EXECVE, 0, 0, (const void *)ARG(0));
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
	read_str(rec, (const void *)ARG(1));
	if (flags & AT_EMPTY_PATH)
		describe_fd(rec, (int)ARG(0));
	after_record(st, rec);
	maybe_codeload_pivot(st, rec, (flags & AT_EMPTY_PATH) ? BP_PIVOT_EXECVEAT_FD : 0);
	return 0;
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
		read_str(rec, path);
		after_record(st, rec);
		return 0;
	}
	if (st->state == ST_FOLLOW)
		close_window(st, BP_CLOSE_NEXT_DLOPEN);
	open_window(st, BP_PIVOT_DLOPEN, path, flags, NULL);
	st->state = ST_LOAD;
	st->depth = 1;
	/* the dlopen itself is part of later windows' lookback */
	rec = record(st, BP_CALL_DLOPEN, flags, 0);
	read_str(rec, path);
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

/* Children of traced processes are traced too. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (filter_traced && ptgid != ctgid && is_traced(ptgid))
		bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	struct task_state *st = state_of_current(false);
	struct bp_ev_proc *e;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (st)
		close_window(st, BP_CLOSE_EXEC);
	if (tgid == self_tgid || (filter_traced && !is_traced(tgid)))
		return 0;
	e = reserve(sizeof(*e), NULL);
	if (!e)
		return 0;
	fill_hdr(&e->hdr, BP_EV_EXEC, NULL);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->exit_code = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit(e, true);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	struct task_state *st = state_of_current(false);
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (st)
		close_window(st, BP_CLOSE_EXIT);
	if (filter_traced && task_group_dead(p))
		bpf_map_delete_elem(&traced, &tgid);
	return 0;
}
