/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The maps and the per-thread state every program of profiler.bpf.c
 * shares, and the ring buffer discipline: reserve, count what fails,
 * submit without a wakeup unless a batch is full or the event is urgent. */
#ifndef BPFPROF_PROFILER_STATE_H
#define BPFPROF_PROFILER_STATE_H

#define RING_MASK	(BP_LOOKBACK_MAX - 1)

enum window_state {
	ST_IDLE,
	ST_LOAD,    /* inside dlopen: the loader's mappings and the constructors */
	ST_FOLLOW,  /* the first calls after the load */
	ST_WATCH,   /* a thread or process the loaded code created: its calls, for a while */
};

struct task_state {
	__u64 window_id;
	__u64 deadline_ns;   /* FOLLOW: its end; WATCH: the end of the watch horizon */
	/* a watched task's own windows (an exec'd image, its dlopens) pause its
	 * watch when the task came from a constructor (watch_resumes): the
	 * inherited window, its horizon and budget, resumed when they close
	 * (window.bpf.h) */
	__u64 watch_id;
	__u64 watch_deadline_ns;
	__u64 pending_str;   /* a user string to read again at the syscall's exit */
	__u32 head;          /* calls recorded so far; ring slot = head & RING_MASK */
	__u32 lost;
	__u32 follow_left;   /* FOLLOW: calls left; WATCH: calls left to send in full */
	__u32 nload;
	__u32 nfollow;
	__u32 dropped;       /* WATCH: calls not sent (past watch_max, not important) */
	__u16 state;
	__u16 depth;         /* nested dlopen calls inside the load part */
	__u32 pivot;
	__u32 pending_slot;  /* head + 1 of the record waiting for its string; 0: none */
	__u32 watch_left;    /* the paused watch's follow_left */
	__u32 watch_resumes; /* created in a load part (or by such a task) */
	__u32 pad;
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

/* Files already judged, by content (files.bpf.h): a hit costs no window
 * and no stop. Written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct bp_file_key);
	__type(value, struct bp_verdict);
} verdict_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} unwoken SEC(".maps");

/* Windows an injector opened in another process, waiting for the target's
 * first call (inject.bpf.h): pid or tid -> window id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} inject_pending SEC(".maps");

__u64 next_window_id = 0;
__u32 injections_pending = 0; /* entries in inject_pending, roughly */

static __always_inline struct bp_stats *cpu_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

static __always_inline bool tgid_ignored(__u32 tgid)
{
	return tgid == self_tgid || (filter_traced && !is_traced(tgid));
}

/* The thread's state, created on first use; NULL for threads we ignore. */
static __always_inline struct task_state *state_of_current(bool create)
{
	if (tgid_ignored(bpf_get_current_pid_tgid() >> 32))
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
	h->dropped = st ? st->dropped : 0;
	h->pad = 0;
	h->window_id = st ? st->window_id : 0;
	h->ts_ns = bpf_ktime_get_ns();
}

#endif
