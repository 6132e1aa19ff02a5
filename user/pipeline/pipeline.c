/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The orchestration both front ends share. A quarantined object's SHA-256
 * is remembered here, so the same bytes under another name are high next
 * time, whichever path (gate or window) quarantined it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline/objfile.h"
#include "pipeline/pipeline.h"
#include "lib/util.h"

struct pipeline {
	struct pipeline_opts o;
	struct tracer *tracer;
	struct mitigate *mitigate;  /* NULL: judge and report only */
	struct window_set *windows;
	struct bp_stats stats;
};

static void remember_quarantine(struct pipeline *p, json_t *details)
{
	const char *sha = json_string_value(json_object_get(details, "sha256"));

	if (sha)
		scorer_quarantine_hash(p->o.scorer, sha);
}

static void on_window_closed(void *ctx, struct window *w)
{
	struct pipeline *p = ctx;
	struct verdict v = { 0 };
	struct mitigation m = { .action = "allow", .backend = "none" };
	json_t *details = NULL;

	scorer_judge(p->o.scorer, w, &v, &details);
	if (p->mitigate)
		mitigate_apply(p->mitigate, w, &v, details, &m);
	else if (w->gate_action == BP_GATE_KILLED)
		m = (struct mitigation){ .action = "quarantine", .backend = "signal" };
	if (!strcmp(m.action, "quarantine"))
		remember_quarantine(p, details);
	if (p->o.hooks.on_verdict)
		p->o.hooks.on_verdict(p->o.hooks.ctx, w, &v, details, &m);
	json_decref(details);
}

int pipeline_new(const struct pipeline_opts *opts, struct pipeline **out)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->o = *opts;
	p->windows = window_set_new(on_window_closed, p);
	if (!p->windows) {
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	window_set_free(p->windows);
	free(p);
}

void pipeline_attach(struct pipeline *p, struct tracer *t, struct mitigate *m)
{
	p->tracer = t;
	p->mitigate = m;
}

void pipeline_set_gate_kills(struct pipeline *p, bool kills)
{
	p->o.gate_kills_high = kills;
}

static void report_gate(struct pipeline *p, const struct bp_event_hdr *h, const struct window *w,
			const struct verdict *v, json_t *details, const char *action,
			const char *reason)
{
	if (p->o.hooks.on_gate)
		p->o.hooks.on_gate(p->o.hooks.ctx, h, w, v, details, action, reason);
}

/* The kernel stopped the process at the loader's executable mapping of a
 * file: judge what is known now (lookback, the load so far, the file's
 * exact bytes) and resume or kill. The verdict goes into the kernel's
 * cache, so the same file does not stop anyone again. */
static void on_gate(struct pipeline *p, const struct bp_ev_gate *e)
{
	struct window *w = window_set_get(p->windows, e->hdr.window_id);
	struct verdict v = { 0 };
	json_t *details = NULL;
	bool kill_it;

	if (e->action == BP_GATE_KILLED) {
		report_gate(p, &e->hdr, w, NULL, NULL, "kill", "verdict cache: quarantined file");
		return;
	}
	if (!p->o.gate)
		return;
	gate_hold(p->o.gate, e->hdr.pid, e->hdr.window_id);
	if (!w) { /* its open record was lost: nothing to judge with */
		gate_decide(p->o.gate, e->hdr.pid, GATE_RESUME);
		report_gate(p, &e->hdr, NULL, NULL, NULL, "resume", "no window");
		return;
	}
	objfile_track(w, e, sizeof(*e));
	scorer_judge(p->o.scorer, w, &v, &details);
	kill_it = p->o.gate_kills_high && v.level == VERDICT_HIGH;
	if (kill_it) {
		w->gate_action = BP_GATE_KILLED;
		remember_quarantine(p, details);
	}
	tracer_cache_verdict(p->tracer, &e->file, kill_it ? BP_VERDICT_DENY : BP_VERDICT_ALLOW);
	gate_decide(p->o.gate, e->hdr.pid, kill_it ? GATE_KILL : GATE_RESUME);
	report_gate(p, &e->hdr, w, &v, details, kill_it ? "kill" : "resume",
		    verdict_level_name(v.level));
	json_decref(details);
}

void pipeline_on_record(void *pipeline, const void *data, size_t size)
{
	struct pipeline *p = pipeline;
	const struct bp_event_hdr *h = data;
	struct window *w;

	if (h->type == BP_EV_EXEC) {
		tracer_watch_exec(p->tracer, h->pid);
		return;
	}
	window_set_on_record(p->windows, data, size, p->stats.events_lost);
	w = h->window_id ? window_set_get(p->windows, h->window_id) : NULL;
	if (w)
		objfile_track(w, data, size);
	if (p->o.hooks.on_event)
		p->o.hooks.on_event(p->o.hooks.ctx, data, size, w);
	if (h->type == BP_EV_GATE && size >= sizeof(struct bp_ev_gate))
		on_gate(p, data);
}

static void refresh_stats(struct pipeline *p)
{
	struct bp_stats s;

	if (!tracer_stats(p->tracer, &s))
		p->stats = s;
}

void pipeline_tick(struct pipeline *p)
{
	uint64_t now = util_now_mono_ns();

	refresh_stats(p);
	window_set_expire(p->windows, now, p->o.follow_ms * 1000000ull, p->stats.events_lost);
	tracer_tick(p->tracer);
	if (p->o.gate)
		gate_expire(p->o.gate, now);
	if (p->mitigate)
		mitigate_poll(p->mitigate);
}

void pipeline_drain(struct pipeline *p)
{
	while (tracer_poll(p->tracer, 0) > 0)
		;
	refresh_stats(p);
	window_set_close_all(p->windows, p->stats.events_lost);
}

const struct bp_stats *pipeline_stats(const struct pipeline *p)
{
	return &p->stats;
}
