/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Processes and threads: a task created during a window's load or follow
 * part (or by a watched task) inherits the window and is watched for
 * watch_ns — a constructor that hands its work to a thread or a child
 * does not escape; an exec'd binary is a load; children of traced
 * processes are traced; exits close windows and forget processes. */
#ifndef BPFPROF_PROFILER_PROCESS_H
#define BPFPROF_PROFILER_PROCESS_H

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	struct task_state *st, *cst;
	__u8 one = 1;

	if (filter_traced && ptgid != ctgid && is_traced(ptgid))
		bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
	st = state_of_current(false);
	if (!st || !st->window_id || st->state == ST_IDLE)
		return 0;
	cst = bpf_task_storage_get(&task_states, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cst)
		return 0;
	cst->window_id = st->window_id;
	cst->pivot = st->pivot;
	cst->state = ST_WATCH;
	/* the watch runs from the load, not again from every generation */
	cst->deadline_ns = st->state == ST_WATCH ? st->deadline_ns
						 : bpf_ktime_get_ns() + watch_ns;
	cst->follow_left = watch_max;
	cst->watch_id = 0;
	cst->watch_deadline_ns = 0;
	cst->watch_left = 0;
	/* made by a constructor (inside dlopen), or by a task so made */
	cst->watch_resumes = st->state == ST_LOAD || (st->state == ST_WATCH && st->watch_resumes);
	cst->lost = 0;
	cst->dropped = 0;
	cst->depth = 0;
	cst->pending_slot = 0;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_state *st = state_of_current(false);
	struct bp_call_rec *rec;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid_ignored(tgid))
		return 0;
	if (st && (rec = pending_record(st)) && rec->call == BP_CALL_EXECVE) {
		/* the path on a page the process never touched: the kernel's copy */
		st->pending_slot = 0;
		if (bpf_probe_read_kernel_str(rec->str, sizeof(rec->str), BPF_CORE_READ(bprm, filename)) < 0)
			rec->str[0] = '\0';
		after_record(st, rec);
	}
	/* a load and follow part end with the image; a watch goes on into it */
	if (st && st->state != ST_WATCH)
		close_window(st, BP_CLOSE_EXEC);
	/* the new image is code loaded into the process: its window's pivot
	 * is the exec, with the file it runs */
	st = state_of_current(true);
	if (st) {
		struct file *f = BPF_CORE_READ(bprm, file);
		struct bp_call_rec image = { .call = BP_CALL_EXECVE };

		image.ts_ns = bpf_ktime_get_ns();
		image.tid = (__u32)bpf_get_current_pid_tgid();
		if (bpf_probe_read_kernel_str(image.str, sizeof(image.str),
					      BPF_CORE_READ(bprm, filename)) < 0)
			image.str[0] = '\0';
		describe_file(&image, f);
		code_load(st, &image, f, -1, file_pivot(&image));
	}
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

#endif
