/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The mitigation ladder (DESIGN.md section 7): low allows; medium hooks
 * the process's dangerous calls and moves it into the restricted cgroup;
 * high quarantines (kill, never again load the file, optionally move it
 * aside) and alerts. Each decision says which backend acted. */
#ifndef BPFPROF_MITIGATE_H
#define BPFPROF_MITIGATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "hooks.h"
#include "sandbox.h"
#include "tracer.h"
#include "verdict.h"
#include "window.h"

struct mitigate_opts {
	struct tracer *tracer;       /* kernel verdict cache and signals */
	enum sandbox_net net;        /* medium: what network the sandbox leaves */
	const char *block;           /* medium: hooked calls that kill (see hooks.h) */
	const char *alert_log;       /* high: JSON lines appended here (NULL: none) */
	const char *quarantine_dir;  /* high: move the object here (NULL: leave it) */
	/* reports from the backends: hooked calls, sandbox denials */
	void (*on_hook)(void *ctx, const struct hook_event *e, const char *func);
	void (*on_denial)(void *ctx, const struct sandbox_event *e);
	void *ctx;
};

struct mitigation {
	const char *action;      /* "allow", "hook+confine", "quarantine" */
	const char *backend;     /* "none", "uprobe+cgroup_bpf", "signal", ... */
	char detail[256];        /* what went wrong, if a backend failed */
	bool alerted;
};

struct mitigate;

int mitigate_open(const struct mitigate_opts *opts, struct mitigate **out, char *err, size_t errlen);
void mitigate_close(struct mitigate *m);
/* Acts on a judged window. details: the scorer's explanation (findings name
 * the flagged exports to hook). */
void mitigate_apply(struct mitigate *m, const struct window *w, const struct verdict *v,
		    json_t *details, struct mitigation *out);
/* Collects reports of hooked calls and sandbox denials. */
void mitigate_poll(struct mitigate *m);

#endif
