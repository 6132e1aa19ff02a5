/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Questions about tasks that more than one program asks, answered one way. */
#ifndef BPFPROF_BPF_TASK_H
#define BPFPROF_BPF_TASK_H

#include <bpf/bpf_core_read.h>

/* Whether the whole thread group is gone once this task exits: in do_exit
 * signal->live reaches 0 before sched_process_exit fires, in the last
 * thread to leave. Comparing tgid with pid would be wrong: after the main
 * thread calls pthread_exit, the group lives on in its other threads. */
static __always_inline bool task_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

#endif
