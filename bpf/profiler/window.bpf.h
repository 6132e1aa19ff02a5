/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Windows: the lookback ring, opening and closing, the load, follow and
 * watch parts, and what a recorded call becomes. A window belongs to the
 * loaded code: tasks it creates inherit it (process.bpf.h) and are watched
 * for watch_ns; past watch_max calls a watched task sends only the calls
 * that matter, and counts the rest. */
#ifndef BPFPROF_PROFILER_WINDOW_H
#define BPFPROF_PROFILER_WINDOW_H

#define O_ACCMODE_BITS	0x3
#define O_CREAT_BIT	0x40
#define O_TRUNC_BIT	0x200

/* The task's own window closed: back to the watch it paused, if its
 * horizon has not passed. */
static __always_inline void resume_watch(struct task_state *st)
{
	if (!st->watch_id)
		return;
	if (bpf_ktime_get_ns() >= st->watch_deadline_ns) {
		st->watch_id = 0;
		return;
	}
	st->window_id = st->watch_id;
	st->state = ST_WATCH;
	st->deadline_ns = st->watch_deadline_ns;
	st->follow_left = st->watch_left;
	st->lost = 0;
	st->dropped = 0;
}

static __always_inline void close_window(struct task_state *st, __u32 reason)
{
	struct bp_ev_window_close *e;
	struct bp_stats *s = cpu_stats();

	if (!st->window_id)
		return;
	if (st->state == ST_WATCH) {
		/* a watched task leaves quietly: the window is its creator's.
		 * A window of its own (the image it execs, what it loads) only
		 * pauses the watch of a task a constructor made: the loaded
		 * code's child is still its child. A task made after the load
		 * (an application's worker, a shell's pipeline) may be the
		 * application's: its own windows end its watch */
		bool over = reason == BP_CLOSE_TIMEOUT || reason == BP_CLOSE_EXIT ||
			    !st->watch_resumes;

		st->watch_id = over ? 0 : st->window_id;
		st->watch_deadline_ns = st->deadline_ns;
		st->watch_left = st->follow_left;
		st->window_id = 0;
		st->state = ST_IDLE;
		return;
	}
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
	resume_watch(st);
}

static __always_inline void fill_lookback(struct bp_ev_window_open *e, const struct task_state *src)
{
	__u32 n = src->head < lookback_k ? src->head : lookback_k;

	e->nlookback = n > BP_LOOKBACK_MAX ? BP_LOOKBACK_MAX : n;
	for (__u32 i = 0; i < BP_LOOKBACK_MAX; i++) {
		if (i < n)
			e->lookback[i] = src->ring[(src->head - n + i) & RING_MASK];
		else
			__builtin_memset(&e->lookback[i], 0, sizeof(e->lookback[i]));
	}
}

/* The loading process's identity, while it is certainly alive. */
static __always_inline void fill_identity(struct bp_ev_window_open *e)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 ug = bpf_get_current_uid_gid();
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 n = end > start ? end - start : 0;

	e->uid = (__u32)ug;
	e->gid = ug >> 32;
	e->euid = BPF_CORE_READ(task, cred, euid.val);
	e->egid = BPF_CORE_READ(task, cred, egid.val);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->cgroup_id = bpf_get_current_cgroup_id();
	/* the mask is for the verifier: at most BP_ARGS_LEN - 1 bytes */
	if (n > BP_ARGS_LEN - 1)
		n = BP_ARGS_LEN - 1;
	n &= BP_ARGS_LEN - 1;
	e->args_len = 0;
	if (n && !bpf_probe_read_user(e->args, n, (const void *)start))
		e->args_len = n;
}

static __always_inline void begin_window(struct task_state *st, __u32 pivot)
{
	struct bp_stats *s = cpu_stats();

	st->window_id = __sync_fetch_and_add(&next_window_id, 1) + 1;
	st->lost = 0;
	st->dropped = 0;
	st->nload = 0;
	st->nfollow = 0;
	st->pivot = pivot;
	if (s)
		s->windows_opened++;
}

/* Opens a window of the current thread: sends its lookback ring (oldest
 * first) and the pivot. */
static __always_inline void open_window(struct task_state *st, __u32 pivot,
					const char *upath, __u64 flags,
					const struct bp_call_rec *pivot_rec)
{
	struct bp_ev_window_open *e;

	begin_window(st, pivot);
	e = reserve(sizeof(*e), st);
	if (!e)
		return;
	fill_hdr(&e->hdr, BP_EV_WINDOW_OPEN, st);
	fill_identity(e);
	e->watched_by = st->watch_id;
	e->flags = flags;
	e->from_pid = 0;
	e->from_tid = 0;
	__builtin_memset(e->from_comm, 0, sizeof(e->from_comm));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path[0] = '\0';
	if (upath)
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
	if (pivot_rec)
		e->pivot_rec = *pivot_rec;
	else
		__builtin_memset(&e->pivot_rec, 0, sizeof(e->pivot_rec));
	fill_lookback(e, st);
	submit(e, true);
}

/* A follow part ends after follow_m calls or follow_ns; the timeout is seen
 * here, at the thread's next call (userspace closes quiet windows itself).
 * A watch ends at its horizon. */
static __always_inline void expire_window(struct task_state *st, __u64 now)
{
	if ((st->state == ST_FOLLOW || st->state == ST_WATCH) && now > st->deadline_ns)
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

/* The calls a watched task always sends: what attackers do, not what every
 * program does (reads, pipes, IPC, threads, exit). */
static __always_inline bool call_matters(const struct bp_call_rec *r)
{
	switch (r->call) {
	case BP_CALL_OPENAT:
		return (r->arg[0] & O_ACCMODE_BITS) || (r->arg[0] & (O_CREAT_BIT | O_TRUNC_BIT));
	case BP_CALL_CLONE:
	case BP_CALL_CLONE3:
		return !(r->arg[0] & CLONE_THREAD);
	case BP_CALL_RECVFROM:
	case BP_CALL_PIPE2:
	case BP_CALL_SHMGET:
	case BP_CALL_SHMAT:
	case BP_CALL_MSGSND:
	case BP_CALL_MREMAP:
	case BP_CALL_EXIT_GROUP:
		return false;
	default:
		return true;
	}
}

static __always_inline __u8 current_part(const struct task_state *st)
{
	return st->state == ST_LOAD ? BP_PART_LOAD : st->state == ST_FOLLOW ? BP_PART_FOLLOW :
	       st->state == ST_WATCH ? BP_PART_WATCH : BP_PART_NONE;
}

/* Sends a recorded call when it belongs to a window or a traced process. */
static __always_inline void emit_call(struct task_state *st, struct bp_call_rec *rec)
{
	struct bp_ev_call *e;
	__u8 part = current_part(st);

	if (part == BP_PART_NONE && !emit_traced_calls)
		return;
	if (part == BP_PART_WATCH) {
		if (st->follow_left) {
			st->follow_left--;
		} else if (!call_matters(rec)) {
			struct bp_stats *s = cpu_stats();

			st->dropped++;
			if (s)
				s->calls_dropped++;
			return;
		}
	}
	e = reserve(sizeof(*e), st);
	if (!e)
		return;
	fill_hdr(&e->hdr, BP_EV_CALL, st);
	e->hdr.part = part;
	e->rec = *rec;
	/* the loader mapping a file: userspace should open it now */
	submit(e, part == BP_PART_LOAD && bp_rec_maps_file(rec));
}

static __always_inline void file_key(struct inode *inode, struct bp_file_key *key);

struct code_file {
	struct bp_file_key key;
	bool found;
};

static long vma_code_file(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct code_file *c = data;
	struct file *f = BPF_CORE_READ(vma, vm_file);

	if (f && (BPF_CORE_READ(vma, vm_flags) & VM_EXEC)) {
		file_key(BPF_CORE_READ(f, f_inode), &c->key);
		c->found = true;
	}
	return 0;
}

/* The file whose executable mapping holds addr. */
static __always_inline bool code_file_at(__u64 addr, struct bp_file_key *key)
{
	struct code_file c = {};

	bpf_find_vma(bpf_get_current_task_btf(), addr, vma_code_file, &c, 0);
	*key = c.key;
	return c.found;
}

#define CALLER_STACK_WORDS 16

/* Which object's code made this call. ld.so maps every start-up object
 * (LD_PRELOAD, DT_NEEDED) before it runs any constructor, so their calls
 * all come in the follow part of the window of the last object mapped;
 * userspace gives each call to the window of the object whose code made
 * it (the window follows the loaded code, not the thread). The system
 * call instruction's file, then the first other file whose code a word
 * of the user stack points into: a libc wrapper's caller. A stale or
 * spilled word can name a wrong file; userspace only moves a call to
 * another window of this process whose object it names. */
static __always_inline void note_code(struct bp_call_rec *rec)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct bp_file_key code, other;
	__u64 sp = PT_REGS_SP_CORE(regs), word;

	if (!code_file_at(PT_REGS_IP_CORE(regs), &code))
		return;
	rec->flags |= BP_REC_CODE;
	rec->code_dev = (__u32)code.dev;
	rec->code_ino = code.ino;
	for (int i = 0; i < CALLER_STACK_WORDS; i++) {
		if (bpf_probe_read_user(&word, sizeof(word), (const void *)(sp + 8 * i)))
			break;
		if (code_file_at(word, &other) && (other.dev != code.dev || other.ino != code.ino)) {
			rec->caller_dev = (__u32)other.dev;
			rec->caller_ino = other.ino;
			break;
		}
	}
}

static __always_inline void after_record(struct task_state *st, struct bp_call_rec *rec)
{
	if (st->state == ST_LOAD)
		st->nload++;
	else if (st->state == ST_FOLLOW || st->state == ST_WATCH)
		st->nfollow++;
	if (st->state == ST_FOLLOW && st->pivot == BP_PIVOT_EXEC_FILE)
		note_code(rec);
	emit_call(st, rec);
	if (st->state == ST_FOLLOW && --st->follow_left == 0)
		close_window(st, BP_CLOSE_FOLLOW_DONE);
}

/* A window someone else opened in this process (an injection): the
 * process's next calls are its follow part, for as long as a watch. */
static __always_inline void join_injected(struct task_state *st, __u64 now)
{
	__u64 id = bpf_get_current_pid_tgid(), *wid;
	__u32 tgid = id >> 32, tid = (__u32)id, key = tgid;

	wid = bpf_map_lookup_elem(&inject_pending, &key);
	if (!wid) {
		key = tid;
		wid = bpf_map_lookup_elem(&inject_pending, &key);
	}
	if (!wid || st->state == ST_LOAD)
		return;
	if (st->window_id)
		close_window(st, BP_CLOSE_NEXT_LOAD);
	st->window_id = *wid;
	st->pivot = BP_PIVOT_INJECT;
	st->state = ST_FOLLOW;
	st->follow_left = watch_max;
	st->deadline_ns = now + watch_ns;
	st->lost = 0;
	st->dropped = 0;
	st->nload = 0;
	st->nfollow = 0;
	bpf_map_delete_elem(&inject_pending, &key);
	__sync_fetch_and_add(&injections_pending, -1);
}

/* Records a call into the thread's ring and returns the slot for the caller
 * to fill in more; the caller then calls after_record(). */
static __always_inline struct bp_call_rec *record(struct task_state *st, __u16 call,
						  __u64 a0, __u64 a1)
{
	struct bp_call_rec *rec = &st->ring[st->head & RING_MASK];
	struct bp_stats *s = cpu_stats();
	__u64 now = bpf_ktime_get_ns();

	expire_window(st, now);
	if (injections_pending)
		join_injected(st, now);
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
	rec->code_ino = rec->caller_ino = 0;
	rec->code_dev = rec->caller_dev = 0;
	if (s)
		s->calls_seen++;
	return rec;
}

/* Copies a user string into the record. A string on a page the process
 * has not touched yet cannot be read here (no page faults in this
 * context): the record then waits for the syscall's exit, when the kernel
 * has copied the string and the page is in (calls.bpf.h). Returns whether
 * the record waits. */
static __always_inline bool read_str(struct task_state *st, struct bp_call_rec *rec,
				     const void *ustr)
{
	long n = bpf_probe_read_user_str(rec->str, sizeof(rec->str), ustr);

	if (n == sizeof(rec->str))
		rec->flags |= BP_REC_STR_TRUNC;
	if (n >= 0)
		return false;
	rec->str[0] = '\0';
	st->pending_str = (__u64)ustr;
	st->pending_slot = st->head;
	return true;
}

static __always_inline struct bp_call_rec *pending_record(struct task_state *st)
{
	if (!st->pending_slot)
		return NULL;
	return &st->ring[(st->pending_slot - 1) & RING_MASK];
}

/* The syscall exits: a record waiting for its string reads it now and
 * goes out. */
static __always_inline void finish_pending(struct task_state *st)
{
	struct bp_call_rec *rec = pending_record(st);

	if (!rec)
		return;
	st->pending_slot = 0;
	if (bpf_probe_read_user_str(rec->str, sizeof(rec->str), (const void *)st->pending_str) ==
	    sizeof(rec->str))
		rec->flags |= BP_REC_STR_TRUNC;
	after_record(st, rec);
}

static __always_inline int simple_call(__u16 call, __u64 a0, __u64 a1, const void *ustr)
{
	struct task_state *st = state_of_current(true);
	struct bp_call_rec *rec;

	if (!st)
		return 0;
	rec = record(st, call, a0, a1);
	if (ustr && read_str(st, rec, ustr))
		return 0;
	after_record(st, rec);
	return 0;
}

#endif
