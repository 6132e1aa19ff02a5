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
#include "respond/hooks.h"
#include "respond/sandbox.h"
#include "kernel/tracer.h"
#include "score/verdict.h"
#include "pipeline/window.h"

struct mitigate_opts {
	bool act;                    /* false: monitor only, high verdicts just alert */
	struct tracer *tracer;       /* kernel verdict cache and signals */
	enum sandbox_net net;        /* medium: what network the sandbox leaves */
	const char *block;           /* medium: hooked calls that kill (see hooks.h) */
	const char *alert_log;       /* high: JSON lines appended here (NULL: none) */
	const char *webhook_url;     /* high: alerts POSTed there (NULL: none) */
	const char *outbox;          /* where undelivered webhook alerts wait */
	const char *quarantine_dir;  /* high: move the object here (NULL: leave it) */
	/* reports from the backends: hooked calls, sandbox denials */
	void (*on_hook)(void *ctx, const struct hook_event *e, const char *func);
	void (*on_denial)(void *ctx, const struct sandbox_event *e);
	void *ctx;
};

struct mitigation {
	const char *action;      /* "allow", "hook+confine", "quarantine", "alert" */
	const char *backend;     /* "none", "uprobe+cgroup_bpf", "signal", ... */
	char detail[256];        /* why the action is less than the level asked for */
	bool failed;             /* a backend failed (not merely: the process was gone) */
	bool alerted;            /* written to the alert log or queued for the webhook */
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
