/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* How `trace` prints: JSON lines (schemas/trace-event.schema.json) or a
 * human timeline. */
#ifndef BPFPROF_TRACE_OUTPUT_H
#define BPFPROF_TRACE_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "bpfprof_event.h"
#include "decision/decision.h"
#include "pipeline/pipeline.h"
#include "pipeline/window.h"

struct trace_output {
	FILE *out;
	bool json;
	bool color;
};

/* described: the call's decoder_describe() text when the window assembler
 * has it already, else NULL; given_to: the window the call was given to
 * (its code's object), NULL: the event's own. */
void trace_output_call(struct trace_output *o, const struct bp_ev_call *e, const char *described,
		       const struct window *given_to);
void trace_output_window_open(struct trace_output *o, const struct bp_ev_window_open *e);
void trace_output_dlopen(struct trace_output *o, const struct bp_event_hdr *h,
			 const char *path, bool ok);
void trace_output_window(struct trace_output *o, const struct window *w);
/* The gate's action on a stopped process, and why. */
void trace_output_gate(struct trace_output *o, const struct pipeline_gate_report *g);
/* A judged window, its explanation and what was done about it. */
void trace_output_verdict(struct trace_output *o, const struct decision *d);
/* A hooked call of a medium-risk process, and a sandbox denial. */
void trace_output_hook(struct trace_output *o, const struct hook_event *e, const char *func);
void trace_output_denial(struct trace_output *o, const struct sandbox_event *e);
void trace_output_summary(struct trace_output *o, const struct bp_stats *s,
			  unsigned long windows, unsigned long uncertain, int libcs);

#endif
