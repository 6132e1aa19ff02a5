/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A load's way through userspace, shared by `trace` and the agent: ring
 * buffer records -> window assembly and the loaded object -> the gate's
 * decisions -> verdicts -> mitigation. Callers see events, gate decisions
 * and verdicts through callbacks and decide what to print or store. */
#ifndef BPFPROF_PIPELINE_H
#define BPFPROF_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "bpfprof_event.h"
#include "respond/gate.h"
#include "respond/mitigate.h"
#include "score/scorer.h"
#include "kernel/tracer.h"
#include "score/verdict.h"
#include "pipeline/window.h"

struct pipeline_hooks {
	/* every record, once assembled (w: its open window, or NULL) */
	void (*on_event)(void *ctx, const void *data, size_t size, const struct window *w);
	/* the gate resumed or killed a process ("resume"/"kill", and why); v
	 * and details are NULL when the kernel's verdict cache decided */
	void (*on_gate)(void *ctx, const struct bp_event_hdr *h, const struct window *w,
			const struct verdict *v, json_t *details, const char *action,
			const char *reason);
	/* a closed window, judged and acted on */
	void (*on_verdict)(void *ctx, const struct window *w, const struct verdict *v,
			   json_t *details, const struct mitigation *m);
	void *ctx;
};

struct pipeline_opts {
	struct scorer *scorer;
	struct gate *gate;          /* NULL: the gate is off */
	bool gate_kills_high;       /* a high verdict at the gate kills (else resumes) */
	unsigned int follow_ms;     /* quiet windows close this long after dlopen returned */
	struct pipeline_hooks hooks;
};

struct pipeline;

int pipeline_new(const struct pipeline_opts *opts, struct pipeline **out);
void pipeline_free(struct pipeline *p);
/* The tracer's callback (struct tracer_opts.on_event, ctx = the pipeline). */
void pipeline_on_record(void *pipeline, const void *data, size_t size);
/* The tracer is opened with the pipeline as its callback's context, and
 * the mitigation needs the tracer: both are handed over once they exist,
 * before the first tracer_poll. */
void pipeline_attach(struct pipeline *p, struct tracer *t, struct mitigate *m);
/* Whether a high verdict at the gate kills (a reload may change it). */
void pipeline_set_gate_kills(struct pipeline *p, bool kills);
/* Once per poll loop: window deadlines, gate timeouts, mitigation reports,
 * libc rescans after exec. */
void pipeline_tick(struct pipeline *p);
/* Before detaching: drains the ring buffer and closes every window. */
void pipeline_drain(struct pipeline *p);
/* The kernel's counters as of the last tick or drain. */
const struct bp_stats *pipeline_stats(const struct pipeline *p);

#endif
