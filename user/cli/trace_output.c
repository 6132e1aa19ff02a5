/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `trace` output. JSON lines are built with jansson, one object per line
 * and flushed at once, so a consumer sees each event as it happens. */
#include <string.h>
#include "pipeline/decoder.h"
#include "cli/trace_output.h"
#include "lib/jsonout.h"

static void emit_json(struct trace_output *o, json_t *obj)
{
	char *s = json_dumps(obj, JSONOUT_FLAGS);

	if (s) {
		fprintf(o->out, "%s\n", s);
		free(s);
	}
	json_decref(obj);
	fflush(o->out);
}

static json_t *event_base(const char *type, const struct bp_event_hdr *h)
{
	return json_pack("{s:s, s:I, s:I, s:I}", "type", type, "pid", (json_int_t)h->pid,
			 "tid", (json_int_t)h->tid, "ts_ns", (json_int_t)h->ts_ns);
}

static const char *part_name(unsigned int part)
{
	return part == BP_PART_LOAD ? "load" : part == BP_PART_FOLLOW ? "follow" :
	       part == BP_PART_WATCH ? "watch" : "none";
}

static const char *paint(const struct trace_output *o, const char *code)
{
	return o->color ? code : "";
}

void trace_output_call(struct trace_output *o, const struct bp_ev_call *e, const char *described,
		       const struct window *given_to)
{
	char buf[DECODER_ARG_LEN];
	const char *arg = described ? described : decoder_describe(&e->rec, buf, sizeof(buf));
	uint8_t part = given_to ? BP_PART_WATCH : e->hdr.part;

	if (o->json) {
		json_t *j = event_base("call", &e->hdr);

		json_object_set_new(j, "token", json_string(decoder_token(&e->rec)));
		json_object_set_new(j, "arg", json_string(arg));
		json_object_set_new(j, "part", json_string(part_name(part)));
		if (given_to) {
			json_object_set_new(j, "window", json_integer((json_int_t)given_to->id));
			json_object_set_new(j, "from_window", json_integer(e->hdr.window_id));
		} else if (e->hdr.window_id) {
			json_object_set_new(j, "window", json_integer(e->hdr.window_id));
		}
		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %s%-6s%s %-18s %s", e->hdr.tid, paint(o, part ? "\033[36m" : ""),
		part ? part_name(part) : "", paint(o, part ? "\033[0m" : ""),
		decoder_token(&e->rec), arg);
	if (given_to)
		fprintf(o->out, "  [code of %s]", window_object_name(given_to));
	fputc('\n', o->out);
}

void trace_output_window_open(struct trace_output *o, const struct bp_ev_window_open *e)
{
	if (o->json)
		return; /* the window line carries the lookback */
	fprintf(o->out, "%7u %s>>> window %llu opens: %s %.*s%s (lookback %u calls)\n",
		e->hdr.tid, paint(o, "\033[1m"), (unsigned long long)e->hdr.window_id,
		decoder_pivot_name(e->hdr.pivot), BP_PATH_LEN, e->path, paint(o, "\033[0m"),
		e->nlookback);
}

void trace_output_dlopen(struct trace_output *o, const struct bp_event_hdr *h,
			 const char *path, bool ok)
{
	if (o->json) {
		json_t *j = event_base("dlopen", h);

		json_object_set_new(j, "path", json_string(path));
		json_object_set_new(j, "ok", json_boolean(ok));
		json_object_set_new(j, "window", json_integer(h->window_id));
		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %s--- dlopen(%s) %s%s\n", h->tid, paint(o, "\033[1m"), path,
		ok ? "loaded" : "FAILED", paint(o, "\033[0m"));
}

/* {"sequence": x, "source": x, "dcam": x}, null for a missing component */
static json_t *components_json(const struct verdict *v)
{
	json_t *comp = json_object();

	for (int c = 0; c < VERDICT_NCOMPONENTS; c++)
		json_object_set_new(comp, verdict_component_name(c),
				    v->have[c] ? json_real(v->component[c]) : json_null());
	return comp;
}

void trace_output_gate(struct trace_output *o, const struct pipeline_gate_report *g)
{
	const struct bp_event_hdr *h = g->hdr;
	const struct mitigation *m = g->decision ? &g->decision->mitigation : NULL;
	const char *path = g->window ? window_object_name(g->window) : "";
	const char *action = gate_decision_name(g->action), *reason = g->reason;

	if (o->json) {
		json_t *j = event_base("gate", h);

		json_object_set_new(j, "path", json_string(path));
		json_object_set_new(j, "action", json_string(action));
		json_object_set_new(j, "reason", json_string(reason));
		json_object_set_new(j, "trigger", json_string(gate_trigger_name(g->trigger)));
		json_object_set_new(j, "backend", json_string("signal"));
		json_object_set_new(j, "window", json_integer(h->window_id));
		if (g->timed_out)
			json_object_set_new(j, "timed_out", json_true());
		if (g->decision) { /* what the gate judged on: the risk before any code ran */
			const struct verdict *v = &g->decision->result->verdict;

			json_object_set_new(j, "risk", json_real(v->risk));
			json_object_set_new(j, "components", components_json(v));
			if (g->decision->result->dcam && g->decision->result->dcam->partial)
				json_object_set_new(j, "static_load_time_only", json_true());
		}
		if (m) {
			json_object_set_new(j, "mitigation", json_string(mitigate_action_name(m->action)));
			decision_mitigation_json(m, j);
		}
		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %s=== gate: %s %s%s (%s", h->tid, paint(o, "\033[1m"), action, path,
		g->trigger == GATE_AT_CODE ? " [code it made executable]" : "", reason);
	if (g->decision)
		fprintf(o->out, ", risk %.2f", g->decision->result->verdict.risk);
	if (g->timed_out)
		fprintf(o->out, ", after the gate timeout");
	fprintf(o->out, ")");
	if (m && m->action != MITIGATE_ALLOW && m->action != MITIGATE_QUARANTINE)
		fprintf(o->out, ", %s (%s) before it runs", mitigate_action_name(m->action),
			mitigate_backend_name(m->backends));
	if (m && m->monitored)
		fprintf(o->out, " [would %s]", mitigate_action_name(m->would_action));
	fprintf(o->out, "%s\n", paint(o, "\033[0m"));
}

void trace_output_window(struct trace_output *o, const struct window *w)
{
	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:I, s:s}",
			"type", "window", "pid", (json_int_t)w->pid, "tid", (json_int_t)w->tid,
			"window", (json_int_t)w->id, "path", window_object_name(w), "comm", w->comm,
			"pivot", decoder_pivot_name(w->pivot),
			"lookback", decision_tokens_json(w, WINDOW_LOOKBACK),
			"load", decision_tokens_json(w, WINDOW_LOAD),
			"follow", decision_tokens_json(w, WINDOW_FOLLOW),
			"uncertain", w->uncertain, "lost", (json_int_t)w->lost,
			"closed_by", w->close_reason ? decoder_close_reason(w->close_reason) : "idle");

		if (w->ok >= 0)
			json_object_set_new(j, "ok", json_boolean(w->ok));
		if (w->ncalls[WINDOW_WATCH])
			json_object_set_new(j, "watch", decision_tokens_json(w, WINDOW_WATCH));
		/* the token between lookback and load in the scored sequence */
		if (w->pivot != BP_PIVOT_DLOPEN && w->pivot_call.token)
			json_object_set_new(j, "pivot_token", json_string(w->pivot_call.token));
		if (w->from_pid)
			json_object_set_new(j, "injector", json_pack("{s:I, s:I, s:s}",
					    "pid", (json_int_t)w->from_pid, "tid", (json_int_t)w->from_tid,
					    "comm", w->from_comm));
		if (w->dropped)
			json_object_set_new(j, "calls_not_kept", json_integer(w->dropped));
		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %s<<< window %llu %s (%s): lookback %zu, load %zu, follow %zu, watch %zu calls%s%s\n",
		w->tid, paint(o, "\033[1m"), (unsigned long long)w->id,
		w->closed ? "watched" : "closed",
		w->close_reason ? decoder_close_reason(w->close_reason) : "idle",
		w->ncalls[WINDOW_LOOKBACK], w->ncalls[WINDOW_LOAD], w->ncalls[WINDOW_FOLLOW],
		w->ncalls[WINDOW_WATCH],
		w->uncertain ? ", UNCERTAIN (events lost or calls not kept)" : "", paint(o, "\033[0m"));
}

void trace_output_verdict(struct trace_output *o, const struct decision *d)
{
	static const char *const level_color[] = { "\033[32m", "\033[33m", "\033[31m" };
	const struct window *w = d->window;
	const struct verdict *v = &d->result->verdict;
	const struct mitigation *m = &d->mitigation;
	const char *action = mitigate_action_name(m->action);
	const char *backend = mitigate_backend_name(m->backends);

	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:s, s:f, s:s, s:o, s:b}",
			      "type", "verdict", "pid", (json_int_t)w->pid, "tid", (json_int_t)w->tid,
			      "window", (json_int_t)w->id, "path", window_object_name(w), "risk", v->risk,
			      "level", verdict_level_name(v->level), "components", components_json(v),
			      "uncertain", v->uncertain);
		json_object_set_new(j, "point", json_string(decision_point_name(d->point)));
		json_object_set_new(j, "action", json_string(action));
		json_object_set_new(j, "backend", json_string(backend));
		decision_mitigation_json(m, j);
		scorer_result_explain_json(d->result, j);
		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %sVERDICT %s: risk %.2f (%s)%s  [", w->tid,
		paint(o, level_color[v->level]), window_object_name(w), v->risk, verdict_level_name(v->level),
		paint(o, "\033[0m"));
	for (int c = 0; c < VERDICT_NCOMPONENTS; c++) {
		if (v->have[c])
			fprintf(o->out, "%s%s %.2f", c ? ", " : "", verdict_component_name(c),
				v->component[c]);
		else
			fprintf(o->out, "%s%s n/a", c ? ", " : "", verdict_component_name(c));
	}
	fprintf(o->out, "]%s -> %s (%s)%s%s", v->uncertain ? " uncertain" : "", action,
		backend, m->detail[0] ? ": " : "", m->detail);
	if (m->monitored)
		fprintf(o->out, " [would %s]", mitigate_action_name(m->would_action));
	if (m->file_kept[0])
		fprintf(o->out, " [file kept: %s ships these bytes]", m->file_kept);
	fputc('\n', o->out);
}

void trace_output_summary(struct trace_output *o, const struct bp_stats *s,
			  unsigned long windows, unsigned long uncertain, int libcs)
{
	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:I}", "type", "summary",
				      "events", (json_int_t)s->events_sent,
				      "lost", (json_int_t)s->events_lost,
				      "windows", (json_int_t)windows,
				      "uncertain_windows", (json_int_t)uncertain,
				      "libcs", libcs, "wakeups", (json_int_t)s->wakeups,
				      "gate_stops", (json_int_t)s->gate_stops,
				      "gate_cache_hits", (json_int_t)s->gate_cache_hits);

		json_object_set_new(j, "loads_cached", json_integer((json_int_t)s->loads_cached));
		json_object_set_new(j, "injections", json_integer((json_int_t)s->injections));
		json_object_set_new(j, "calls_dropped", json_integer((json_int_t)s->calls_dropped));
		emit_json(o, j);
		return;
	}
	fprintf(stderr, "bpf-profiler: %llu events, %llu lost, %lu windows (%lu uncertain), "
		"%d dlopen loader(s) watched\n", (unsigned long long)s->events_sent,
		(unsigned long long)s->events_lost, windows, uncertain, libcs);
}

void trace_output_hook(struct trace_output *o, const struct hook_event *e, const char *func)
{
	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:[I,I,I,I], s:s, s:b}", "type", "hook",
				      "pid", (json_int_t)e->pid, "tid", (json_int_t)e->tid,
				      "func", func, "args", (json_int_t)e->args[0],
				      (json_int_t)e->args[1], (json_int_t)e->args[2],
				      (json_int_t)e->args[3], "str", e->str, "blocked", e->blocked);

		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %shook%s   %s(%s%s0x%llx, 0x%llx, 0x%llx)%s\n", e->tid,
		paint(o, "\033[35m"), paint(o, "\033[0m"), func, e->str, e->str[0] ? ", " : "",
		(unsigned long long)e->args[0], (unsigned long long)e->args[1],
		(unsigned long long)e->args[2], e->blocked ? " BLOCKED (process killed)" : "");
}

void trace_output_denial(struct trace_output *o, const struct sandbox_event *e)
{
	static const char *const kinds[] = { "", "connect", "sendmsg", "socket", "device" };
	const char *kind = e->kind < 5 ? kinds[e->kind] : "unknown";

	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:s, s:I, s:I}", "type", "denial",
				      "pid", (json_int_t)e->pid, "denied", kind,
				      "family", (json_int_t)e->family, "port", (json_int_t)e->port);

		emit_json(o, j);
		return;
	}
	fprintf(o->out, "%7u %sdenied%s %s (family/type %u, port/major %u)\n", e->pid,
		paint(o, "\033[31m"), paint(o, "\033[0m"), kind, e->family, e->port);
}
