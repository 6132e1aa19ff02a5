/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Injection is a load into the target: ptrace writes, process_vm_writev
 * and opening another process's /proc/PID/mem for writing open a window
 * that belongs to the target, with the injector's identity and lookback.
 * The injector's program cannot reach the target's task storage, so it
 * leaves the window id in inject_pending and the target's first call
 * joins it (join_injected, from record()); a global count keeps that
 * lookup off every call while nothing waits. Under the gate the target
 * is stopped before the injected bytes land (inject_gate). */
#ifndef BPFPROF_PROFILER_INJECT_H
#define BPFPROF_PROFILER_INJECT_H

/* Kfuncs of newer kernels, weak so that older ones load the program:
 * bpf_task_from_vpid resolves the target in the injector's own pid
 * namespace, bpf_send_signal_task (6.13) stops it (probe reports which). */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern struct task_struct *bpf_task_from_vpid(s32 vpid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				u64 value) __ksym __weak;
#ifndef bpf_ksym_exists /* libbpf < 1.2 */
#define bpf_ksym_exists(sym) (!!(sym))
#endif

#define PTRACE_POKETEXT		4
#define PTRACE_POKEDATA		5
#define PTRACE_POKEUSR		6
#define PTRACE_SETREGS		13
#define PTRACE_SETFPREGS	15
#define PTRACE_SETREGSET	0x4205

static __always_inline bool ptrace_writes(__u64 request)
{
	return request == PTRACE_POKETEXT || request == PTRACE_POKEDATA ||
	       request == PTRACE_POKEUSR || request == PTRACE_SETREGS ||
	       request == PTRACE_SETFPREGS || request == PTRACE_SETREGSET;
}

/* The gate for an injection: the injector is still in the call that
 * writes (ptrace, process_vm_writev) or has only opened /proc/PID/mem, so
 * the target is stopped before any injected byte can run; userspace judges
 * the window on the injector's lookback and kills the target or resumes
 * it. A ptrace-stopped target takes the stop once it is detached. */
static __always_inline void inject_gate(struct task_struct *t, __u32 tgid, __u64 wid)
{
	struct bp_ev_gate *e;
	struct bp_stats *s;

	if (!gate_enabled || !bpf_ksym_exists(bpf_send_signal_task))
		return;
	e = reserve(sizeof(*e), NULL);
	if (!e)
		return; /* never stop a process userspace will not hear of */
	bpf_send_signal_task(t, SIGSTOP, PIDTYPE_TGID, 0);
	s = cpu_stats();
	if (s)
		s->gate_stops++;
	fill_hdr(&e->hdr, BP_EV_GATE, NULL);
	e->hdr.pid = tgid;
	e->hdr.tid = tgid;
	e->hdr.pivot = BP_PIVOT_INJECT;
	e->hdr.window_id = wid;
	e->fd = -1;
	e->action = BP_GATE_STOPPED;
	__builtin_memset(&e->file, 0, sizeof(e->file));
	e->file_flags = 0;
	e->pad = 0;
	__builtin_memset(&e->marker, 0, sizeof(e->marker));
	submit(e, true);
}

/* The injector names its target in its own pid namespace (a container's
 * gdb attaches to its pid 42, not the host's 42): its task, or NULL when
 * this kernel cannot resolve that namespace. The caller releases it. */
static __always_inline struct task_struct *inject_target(__u32 target, bool init_ns)
{
	if (bpf_ksym_exists(bpf_task_from_vpid))
		return bpf_task_from_vpid(target);
	if (bpf_ksym_exists(bpf_task_from_pid) && init_ns)
		return bpf_task_from_pid(target);
	return NULL;
}

/* Opens the target's window: tgid and tid are the host's. Returns its id,
 * or 0 when none was opened. */
static __always_inline __u64 inject_open(struct task_state *st, __u32 tgid, __u32 tid,
					 const struct bp_call_rec *rec)
{
	__u64 id = bpf_get_current_pid_tgid(), wid;
	struct bp_ev_window_open *e;
	struct bp_stats *s;
	__u8 one = 1;

	if (!tid || tgid == (__u32)(id >> 32))
		return 0;
	if (bpf_map_lookup_elem(&inject_pending, &tid))
		return 0; /* one window per injection, not one per word poked */
	wid = __sync_fetch_and_add(&next_window_id, 1) + 1;
	if (bpf_map_update_elem(&inject_pending, &tid, &wid, BPF_NOEXIST))
		return 0;
	__sync_fetch_and_add(&injections_pending, 1);
	if (filter_traced) /* trace follows what its command injected into */
		bpf_map_update_elem(&traced, &tgid, &one, BPF_ANY);
	s = cpu_stats();
	if (s) {
		s->injections++;
		s->windows_opened++;
	}
	e = reserve(sizeof(*e), NULL);
	if (!e)
		return wid;
	fill_hdr(&e->hdr, BP_EV_WINDOW_OPEN, NULL);
	e->hdr.pid = tgid;
	e->hdr.tid = tid;
	e->hdr.pivot = BP_PIVOT_INJECT;
	e->hdr.window_id = wid;
	/* the target's identity: userspace reads it */
	e->uid = e->gid = e->euid = e->egid = e->ppid = 0;
	e->cgroup_id = 0;
	e->watched_by = 0;
	e->args_len = 0;
	e->flags = 0;
	e->from_pid = id >> 32;
	e->from_tid = (__u32)id;
	bpf_get_current_comm(e->from_comm, sizeof(e->from_comm));
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	e->path[0] = '\0';
	e->pivot_rec = *rec;
	fill_lookback(e, st); /* what the injector did first */
	submit(e, true);
	return wid;
}

/* An injection into target (a pid or a tid, as the injector names it:
 * ptrace takes a tid): the target's window, and its gate. An injector in
 * another pid namespace whose target this kernel cannot resolve opens
 * nothing: a window, or a stop, on the host's process of that number
 * would hit a bystander. */
static __always_inline void inject_window(struct task_state *st, __u32 target,
					  const struct bp_call_rec *rec)
{
	bool init_ns = BPF_CORE_READ(bpf_get_current_task_btf(), thread_pid, level) == 0;
	__u32 tgid = target, tid = target;
	struct task_struct *t;
	__u64 wid;

	if (!pivot_codeload || !target)
		return;
	t = inject_target(target, init_ns);
	if (t) {
		tgid = BPF_CORE_READ(t, tgid);
		tid = BPF_CORE_READ(t, pid);
	} else if (!init_ns) {
		return;
	}
	wid = inject_open(st, tgid, tid, rec);
	if (t) {
		if (wid)
			inject_gate(t, tgid, wid);
		bpf_task_release(t);
	}
}

/* "/proc/<pid>/mem" -> pid; 0 for anything else ("self", tasks, ...). */
static __always_inline __u32 procmem_pid(const char *p)
{
	__u32 pid = 0;
	int i;

	if (p[0] != '/' || p[1] != 'p' || p[2] != 'r' || p[3] != 'o' || p[4] != 'c' ||
	    p[5] != '/')
		return 0;
	for (i = 6; i < 16; i++) {
		char c = p[i];

		if (c < '0' || c > '9')
			break;
		pid = pid * 10 + (c - '0');
	}
	if (i == 6 || i >= 16 || p[i] != '/' || p[i + 1] != 'm' || p[i + 2] != 'e' ||
	    p[i + 3] != 'm' || p[i + 4] != '\0')
		return 0;
	return pid;
}

#endif
