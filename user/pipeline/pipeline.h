/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A load's way through userspace, shared by `trace` and the agent: ring
 * buffer records -> window assembly and the loaded object -> the gate's
 * decisions -> verdicts -> mitigation. The front end owns the loop: it
 * polls the tracer with pipeline_on_record as the consumer, and sees
 * events, gate actions and decisions through the hooks, to print or store. */
#ifndef BPFPROF_PIPELINE_H
#define BPFPROF_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include "bpfprof_event.h"
#include "decision/decision.h"
#include "kernel/verdict_cache.h"
#include "respond/gate.h"
#include "respond/mitigate.h"
#include "score/scorer.h"
#include "pipeline/window.h"

/* What the gate did with a process the kernel stopped or a cache hit killed. */
struct pipeline_gate_report {
	const struct bp_event_hdr *hdr;
	const struct window *window;      /* NULL: its open record was lost */
	enum gate_trigger trigger;
	enum gate_decision action;        /* what finally happened to the process */
	const char *reason;
	bool timed_out;                   /* judged after the gate timeout: the fail policy
					   * acted first (gate_decide) */
	const struct decision *decision;  /* NULL when the kernel's cache decided */
};

struct pipeline_hooks {
	/* every record, once assembled (w: its open window, or NULL) */
	void (*on_event)(void *ctx, const void *data, size_t size, const struct window *w);
	void (*on_gate)(void *ctx, const struct pipeline_gate_report *g);
	/* a closed window, judged and acted on */
	void (*on_decision)(void *ctx, const struct decision *d);
	void *ctx;
};

struct pipeline_opts {
	struct scorer *scorer;
	struct gate *gate;                  /* NULL: the gate is off */
	const struct verdict_cache *cache;  /* the kernel's, written at the gate */
	struct mitigate *mitigate;          /* NULL: judge and report only; else it acts at
					     * the gate too (mitigate_gate) */
	bool gate_kills_high;               /* without a mitigation: a high verdict at the gate
					     * kills (else resumes) */
	unsigned int follow_ms;             /* quiet windows close this long after dlopen returned */
	unsigned int watch_ms;              /* tasks the code created are watched this long
					     * (0: PIPELINE_WATCH_MS_DEFAULT) */
	const struct exceptions *exceptions; /* an operator's allow/deny rules; NULL: none */
	struct pipeline_hooks hooks;
};

#define PIPELINE_WATCH_MS_DEFAULT 30000

struct pipeline;

int pipeline_new(const struct pipeline_opts *opts, struct pipeline **out);
void pipeline_free(struct pipeline *p);
/* The consumer of tracer_poll (tracer_record_fn, ctx = the pipeline). */
void pipeline_on_record(void *pipeline, const void *data, size_t size);
/* A reload may change what mitigates and whether a high verdict at the
 * gate kills. */
void pipeline_set_mitigate(struct pipeline *p, struct mitigate *m);
void pipeline_set_gate_kills(struct pipeline *p, bool kills);
/* Once per poll loop, with the kernel's counters: window deadlines, gate
 * timeouts, mitigation reports. */
void pipeline_tick(struct pipeline *p, const struct bp_stats *kernel);
/* After the last poll (the ring buffer drained): closes every window. */
void pipeline_close_all(struct pipeline *p, const struct bp_stats *kernel);
/* Whether tasks some loaded code created are still watched (their horizon
 * has not passed): a one-shot run should wait for them. */
bool pipeline_watching(struct pipeline *p);

#endif
