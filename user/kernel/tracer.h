/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The BPF side's lifecycle: load bpf/profiler.bpf.c, attach its tracepoints
 * and the dlopen uprobes of every libc met, and hand ring buffer records to
 * the consumer a poll names. Nothing is pinned: closing the tracer detaches
 * everything. */
#ifndef BPFPROF_TRACER_H
#define BPFPROF_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "bpfprof_event.h"
#include "kernel/verdict_cache.h"

/* Called for every ring buffer record (a struct bp_event_hdr first). */
typedef void (*tracer_record_fn)(void *ctx, const void *data, size_t size);

struct tracer_opts {
	bool filter_traced;      /* only processes added with tracer_trace_pid (and children) */
	bool emit_traced_calls;  /* traced processes send every call, not only windows */
	bool pivot_codeload;     /* exec mappings of anonymous/memfd memory open windows */
	bool gate;               /* stop at the first exec mapping of each file in dlopen */
	unsigned int lookback_k; /* 1..BP_LOOKBACK_MAX */
	unsigned int follow_m;
	unsigned int follow_ms;
	unsigned int wakeup_batch;
	size_t ringbuf_bytes;    /* power of two */
};

#define TRACER_OPTS_DEFAULT { .pivot_codeload = true, .lookback_k = 16, .follow_m = 32, \
			      .follow_ms = 200, .wakeup_batch = 64, .ringbuf_bytes = 4u << 20 }

struct tracer;

int tracer_open(const struct tracer_opts *opts, struct tracer **out, char *err, size_t errlen);
void tracer_close(struct tracer *t);

/* Attaches the dlopen/dlmopen uprobes (for all processes) to every object
 * pid maps executable that exports dlopen, whatever its name; an object
 * seen before is skipped. New loaders are found from then on as processes
 * map them (the records the tracer polls). Returns the number of new
 * loaders or -errno. */
int tracer_find_loaders_of(struct tracer *t, pid_t pid);
/* The same for every process now running (the agent's start). */
int tracer_find_all_loaders(struct tracer *t);
/* Housekeeping from the poll loop: past a soft limit, loaders no live
 * process maps lose their probes. */
void tracer_tick(struct tracer *t);
/* The loaded programs (name and fd), for run-time statistics. */
size_t tracer_programs(struct tracer *t, const char **names, int *fds, size_t max);
/* Number of loaders (objects exporting dlopen) with probes. */
int tracer_loader_count(const struct tracer *t);

int tracer_trace_pid(struct tracer *t, pid_t tgid);

/* Waits up to timeout_ms for records and hands each to fn(ctx, ...);
 * timeout 0 takes what is there. Records the tracer acts on itself (exec:
 * libc rescans) are not handed on. Returns the number of records or -errno
 * (-EINTR when interrupted). */
int tracer_poll(struct tracer *t, int timeout_ms, tracer_record_fn fn, void *ctx);

/* The kernel's verdict cache, valid until tracer_close. */
const struct verdict_cache *tracer_verdict_cache(const struct tracer *t);

/* Detaches every program the tracer attached at open (the dlopen uprobes
 * stay), or attaches them again: the programs' price measured against no
 * programs seconds apart, on one loaded object (tests/bench). Returns 0 or
 * -errno. */
int tracer_set_attached(struct tracer *t, bool on);

/* Sum of the per-CPU counters. */
int tracer_stats(struct tracer *t, struct bp_stats *sum);

#endif
