/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The orchestration both front ends share. A quarantined object's SHA-256
 * is remembered here, so the same bytes under another name are high next
 * time, whichever path (gate or window) quarantined it. Nothing here calls
 * back into the tracer: the kernel is reached only through its verdict
 * cache and the mitigation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decision/attribution.h"
#include "pipeline/objfile.h"
#include "pipeline/pipeline.h"
#include "score/exceptions.h"
#include "lib/log.h"
#include "lib/util.h"

struct pipeline {
	struct pipeline_opts o;
	struct window_set *windows;
	uint64_t events_lost;        /* the kernel's count as of the last tick */
	/* the run ends: judgements wait for all of the static analysis */
	bool finishing;
};

/* How long a run's end waits for the analyses still running. */
#define PIPELINE_FINISH_WAIT_MS 30000

/* A quarantine stops these bytes wherever they load next — unless their
 * package shipped them (mitigate_keeps_file): then only the process was
 * stopped. */
static void remember_quarantine(struct pipeline *p, const struct scorer_result *r,
				const struct mitigation *m)
{
	if (r->sha256_hex[0] && !m->file_kept[0])
		scorer_quarantine_hash(p->o.scorer, r->sha256_hex);
}

static void excepted(struct scorer_result *r, const struct exception_match *m)
{
	r->excepted = true;
	r->exception = *m;
	snprintf(r->exception_value, sizeof(r->exception_value), "%s", m->value);
	r->exception.value = NULL; /* the subject is gone: exception_value holds it */
	r->verdict.level = m->effect == EXCEPTION_DENY ? VERDICT_HIGH : VERDICT_LOW;
}

/* The operator's exceptions, then the scorer: a rule on the path, the
 * executable, the container or the unit decides before anything is scored
 * (deny first; an allow waits for the hash when a hash rule could deny);
 * a hash rule needs the hash the scorer reads, so it is matched after. The
 * decision says which rule. */
static void judge_window(struct pipeline *p, struct window *w, enum scorer_static depth,
			 struct scorer_result *r)
{
	struct exception_subject s = { .path = window_object_name(w) };
	struct attribution *at = NULL;
	struct exception_match m;
	bool hash_rules;

	if (p->finishing)
		depth = SCORER_STATIC_FULL;
	if (!exceptions_count(p->o.exceptions)) {
		scorer_judge(p->o.scorer, w, depth, r);
		goto out;
	}
	if ((exceptions_need(p->o.exceptions, EXCEPTION_EXE) ||
	     exceptions_need(p->o.exceptions, EXCEPTION_CONTAINER) ||
	     exceptions_need(p->o.exceptions, EXCEPTION_UNIT)) && (at = malloc(sizeof(*at)))) {
		attribution_of_window(w, at);
		s.exe = at->exe;
		s.container_id = at->container_id;
		s.unit = at->unit;
	}
	hash_rules = exceptions_need(p->o.exceptions, EXCEPTION_SHA256);
	if (exceptions_match(p->o.exceptions, &s, &m) &&
	    (m.effect == EXCEPTION_DENY || !hash_rules)) {
		scorer_result_unscored(p->o.scorer, w, r);
		excepted(r, &m);
	} else {
		scorer_judge(p->o.scorer, w, depth, r);
		s.sha256 = r->sha256_hex[0] ? r->sha256_hex : NULL;
		if (exceptions_match(p->o.exceptions, &s, &m))
			excepted(r, &m);
	}
	free(at);
out:
	/* judged again when the rest of the analysis lands */
	if (r->static_pending) {
		w->analysis_pending = true;
		memcpy(w->analysis_sha, r->dcam->sha256, FILEHASH_LEN);
	}
}

/* Whether the static component read all of the object (or none). */
static bool static_complete(const struct scorer_result *r)
{
	return !r->dcam || !r->dcam->partial;
}

/* A low object is allowed for good: its next loads open no window and
 * pass the gate, until its bytes change (the kernel compares the marker).
 * Not one the gate judged higher (and confined): each of its loads is
 * judged, and confined, before it runs. An object judged on its load-time
 * code is allowed on that until the rest of its analysis lands
 * (forget_allowed, if that raises it). */
static void cache_allow(struct pipeline *p, const struct window *w,
			const struct scorer_result *r)
{
	struct bp_file_marker marker;
	struct bp_file_key key;

	if (r->verdict.level == VERDICT_LOW && w->level <= (int)VERDICT_LOW &&
	    !r->verdict.uncertain && w->pivot != BP_PIVOT_INJECT &&
	    !objfile_cache_key(w, &key, &marker))
		verdict_cache_set(p->o.cache, &key, &marker, BP_VERDICT_ALLOW);
}

/* A verdict above low on an object the cache allowed (on its load-time
 * code, or before its tasks did more): its next loads stop at the gate
 * again. A quarantine replaced the entry with a deny already. */
static void forget_allowed(struct pipeline *p, const struct window *w)
{
	struct bp_file_marker marker;
	struct bp_file_key key;

	if (!objfile_cache_key(w, &key, &marker))
		verdict_cache_forget(p->o.cache, &key);
}

/* Judges a window at point and acts on it; a watch decision is made only
 * when the risk rose to a higher level than decided before (the calls of
 * the tasks its code created, or the rest of its static analysis). */
static void judge(struct pipeline *p, struct window *w, enum decision_point point)
{
	struct scorer_result r;
	struct decision d = { .point = point, .window = w, .result = &r };

	judge_window(p, w, SCORER_STATIC_LOAD_TIME, &r);
	if (point == DECISION_WATCH && (int)r.verdict.level <= w->level) {
		scorer_result_release(&r);
		return;
	}
	if (p->o.mitigate) {
		mitigate_apply(p->o.mitigate, w, &r, &d.mitigation);
	} else if (w->gate_action == BP_GATE_KILLED) {
		d.mitigation.action = MITIGATE_QUARANTINE;
		d.mitigation.backends = MITIGATE_BY_SIGNAL;
		mitigate_keeps_file(w, &r, d.mitigation.file_kept, sizeof(d.mitigation.file_kept));
	}
	if (d.mitigation.action == MITIGATE_QUARANTINE)
		remember_quarantine(p, &r, &d.mitigation);
	else if (r.verdict.level > VERDICT_LOW)
		forget_allowed(p, w);
	if (point != DECISION_WATCH)
		cache_allow(p, w, &r);
	if ((int)r.verdict.level > w->level)
		w->level = (int)r.verdict.level;
	if (p->o.hooks.on_decision)
		p->o.hooks.on_decision(p->o.hooks.ctx, &d);
	scorer_result_release(&r);
}

static void on_window_closed(void *ctx, struct window *w)
{
	/* an exec'd image names the process's executable for its later loads,
	 * even once it has exited: the file it mapped, or else (gone before
	 * the file was opened) the absolute name the kernel ran it by */
	if (window_is_exec_image(w)) {
		const char *exe = w->file_path[0] == '/' ? w->file_path : w->pivot_call.arg;

		if (decoder_arg_is_whole_path(exe))
			attribution_note_exe((pid_t)w->pid, exe);
	}
	judge(ctx, w, decision_point_of(w));
}

/* Threads and processes the loaded code created called on after its
 * window closed: a later verdict may escalate the earlier one. */
static void on_window_watched(void *ctx, struct window *w)
{
	judge(ctx, w, DECISION_WATCH);
}

int pipeline_new(const struct pipeline_opts *opts, struct pipeline **out)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->o = *opts;
	p->windows = window_set_new(on_window_closed, on_window_watched,
				    (uint64_t)(opts->watch_ms ? opts->watch_ms : PIPELINE_WATCH_MS_DEFAULT) *
					    1000000ull, p);
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

void pipeline_set_mitigate(struct pipeline *p, struct mitigate *m)
{
	p->o.mitigate = m;
}

void pipeline_set_gate_kills(struct pipeline *p, bool kills)
{
	p->o.gate_kills_high = kills;
}

static void report_gate(struct pipeline *p, const struct pipeline_gate_report *g)
{
	if (p->o.hooks.on_gate)
		p->o.hooks.on_gate(p->o.hooks.ctx, g);
}

/* The kernel stopped the process at the loader's executable mapping of a
 * file, at anonymous code that calls the kernel itself, or at an
 * injection into it: judge what is known now (lookback,
 * the load so far, the file's exact bytes; the injector's calls) and act
 * before any of that code runs: kill (high), hook and confine then resume
 * (medium), or resume. A low or a killed file goes into the kernel's
 * cache, so it does not stop anyone again; any other stays out of it, so
 * the next process that loads it is judged (and confined) before it runs
 * too. Injected bytes and anonymous code have no file to cache. */
static void on_gate(struct pipeline *p, const struct bp_ev_gate *e)
{
	struct window *w = window_set_get(p->windows, e->hdr.window_id);
	struct pipeline_gate_report g = {
		.hdr = &e->hdr, .window = w,
		.trigger = e->hdr.pivot == BP_PIVOT_INJECT ? GATE_AT_INJECTION
			   : e->file.ino ? GATE_AT_FILE : GATE_AT_CODE,
	};
	struct scorer_result r;
	struct decision d = { .point = DECISION_GATE, .window = w, .result = &r };
	bool kill_it;

	if (e->action == BP_GATE_KILLED) {
		g.action = GATE_KILL;
		g.reason = "verdict cache: quarantined file";
		report_gate(p, &g);
		return;
	}
	if (!p->o.gate)
		return;
	gate_hold(p->o.gate, e->hdr.pid, e->hdr.window_id);
	if (!w) { /* its open record was lost: nothing to judge with */
		gate_decide(p->o.gate, e->hdr.pid, GATE_RESUME);
		g.action = GATE_RESUME;
		g.reason = "no window";
		report_gate(p, &g);
		return;
	}
	objfile_track(w, e, sizeof(*e));
	scorer_gate_busy(p->o.scorer); /* no background analysis starts meanwhile */
	judge_window(p, w, SCORER_STATIC_LOAD_TIME, &r);
	/* a medium verdict hooks the exports the analysis flags: read them */
	if (r.verdict.level == VERDICT_MEDIUM && !static_complete(&r)) {
		scorer_result_release(&r);
		judge_window(p, w, SCORER_STATIC_FULL, &r);
	}
	if (p->o.mitigate) {
		kill_it = mitigate_gate(p->o.mitigate, w, &r, &d.mitigation) == GATE_KILL;
	} else {
		kill_it = p->o.gate_kills_high && r.verdict.level == VERDICT_HIGH;
		d.mitigation.action = kill_it ? MITIGATE_QUARANTINE : MITIGATE_ALLOW;
		d.mitigation.backends = kill_it ? MITIGATE_BY_SIGNAL : 0;
		if (kill_it)
			mitigate_keeps_file(w, &r, d.mitigation.file_kept,
					    sizeof(d.mitigation.file_kept));
	}
	if (kill_it) {
		w->gate_action = BP_GATE_KILLED;
		remember_quarantine(p, &r, &d.mitigation);
	}
	if (e->file.ino && (r.verdict.level == VERDICT_LOW || (kill_it && !d.mitigation.file_kept[0])))
		verdict_cache_set(p->o.cache, &e->file, &e->marker,
				  kill_it ? BP_VERDICT_DENY : BP_VERDICT_ALLOW);
	if ((int)r.verdict.level > w->level)
		w->level = (int)r.verdict.level;
	g.timed_out = gate_decide(p->o.gate, e->hdr.pid, kill_it ? GATE_KILL : GATE_RESUME) > 0;
	scorer_gate_busy(p->o.scorer); /* from its end: the next stop may come soon */
	g.action = kill_it ? GATE_KILL : GATE_RESUME;
	g.reason = verdict_level_name(r.verdict.level);
	if (g.timed_out && gate_fail_policy(p->o.gate) == GATE_FAIL_CLOSED) {
		g.action = GATE_KILL;
		g.reason = "timeout";
	}
	g.decision = &d;
	report_gate(p, &g);
	scorer_result_release(&r);
}

void pipeline_on_record(void *pipeline, const void *data, size_t size)
{
	struct pipeline *p = pipeline;
	const struct bp_event_hdr *h = data;
	struct window *w;

	window_set_on_record(p->windows, data, size, p->events_lost);
	w = h->window_id ? window_set_get(p->windows, h->window_id) : NULL;
	if (w)
		objfile_track(w, data, size);
	if (p->o.hooks.on_event)
		p->o.hooks.on_event(p->o.hooks.ctx, data, size, w);
	if (h->type == BP_EV_GATE && size >= sizeof(struct bp_ev_gate))
		on_gate(p, data);
}

/* The windows judged on part of an object's analysis whose rest landed
 * are judged again at the next expiry if it changed anything, else let go. */
static void take_landed(struct pipeline *p)
{
	struct dcam_landed l[64];
	size_t n;

	while ((n = scorer_take_landed(p->o.scorer, l, ARRAY_SIZE(l))))
		for (size_t i = 0; i < n; i++)
			window_set_analysis_landed(p->windows, l[i].sha, l[i].changed);
}

void pipeline_tick(struct pipeline *p, const struct bp_stats *kernel)
{
	uint64_t now = util_now_mono_ns();

	take_landed(p);
	p->events_lost = kernel->events_lost;
	window_set_expire(p->windows, now, p->o.follow_ms * 1000000ull, p->events_lost);
	if (p->o.mitigate)
		mitigate_poll(p->o.mitigate);
}

bool pipeline_watching(struct pipeline *p)
{
	return window_set_watching(p->windows, util_now_mono_ns());
}

void pipeline_close_all(struct pipeline *p, const struct bp_stats *kernel)
{
	/* the last verdicts are on all of each object's code */
	p->finishing = true;
	if (scorer_wait_analyses(p->o.scorer, PIPELINE_FINISH_WAIT_MS))
		log_warn("analyses still running after %d s: the last verdicts of their "
			 "objects stand on their load-time code", PIPELINE_FINISH_WAIT_MS / 1000);
	take_landed(p);
	p->events_lost = kernel->events_lost;
	window_set_close_all(p->windows, p->events_lost);
}
