// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Kernel half of bpf-profiler: syscall tracepoints keep a per-thread lookback
 * ring in task storage; every load of code (dlopen, a file made executable,
 * anonymous or memfd code, an exec'd binary, an injection) opens a window,
 * threads and processes the loaded code creates inherit it, and only open
 * windows and traced processes reach the ring buffer, with batched wakeups.
 * One object, one program file per concern below (bpf/profiler/). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfprof_event.h"
#include "lib/consts.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set through the skeleton before load (the verifier drops what is off). */
const volatile bool filter_traced = false;   /* only pids in `traced` */
const volatile bool emit_traced_calls = false; /* traced pids send every call */
const volatile bool pivot_codeload = true;   /* code loaded outside dlopen opens a window */
const volatile __u32 self_tgid = 0;
const volatile __u32 lookback_k = 16;
const volatile __u32 follow_m = 32;
const volatile __u64 follow_ns = 200 * 1000 * 1000ull;
const volatile __u64 watch_ns = 30 * 1000 * 1000 * 1000ull; /* inherited windows */
const volatile __u32 watch_max = 512;        /* calls a watched task sends in full */
const volatile __u32 wakeup_batch = 64;
const volatile bool gate_enabled = false;    /* stop at the first exec mapping of new code */

#include "profiler/state.bpf.h"    /* maps, per-thread state, ring buffer discipline */
#include "profiler/window.bpf.h"   /* windows: lookback, load/follow/watch parts */
#include "profiler/files.bpf.h"    /* files, content-keyed verdict cache, the gate */
#include "profiler/inject.bpf.h"   /* injection opens a window in the target */
#include "profiler/calls.bpf.h"    /* the vocabulary's system calls */
#include "profiler/loads.bpf.h"    /* every way code becomes executable */
#include "profiler/iouring.bpf.h"  /* io_uring operations as the calls they stand for */
#include "profiler/process.bpf.h"  /* fork (inheritance), exec, exit */
