/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Decision documents. The explanation members (matches, findings,
 * reputation_reasons, sha256) are the scorer's, rendered by it. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "decision/attribution.h"
#include "decision/decision.h"
#include "lib/timefmt.h"
#include "lib/util.h"

const char *decision_point_name(enum decision_point p)
{
	static const char *const names[] = { [DECISION_GATE] = "gate", [DECISION_RETURN] = "return",
					     [DECISION_WINDOW] = "window", [DECISION_WATCH] = "watch" };

	return (unsigned int)p < ARRAY_SIZE(names) ? names[p] : "?";
}

enum decision_point decision_point_of(const struct window *w)
{
	return w->pivot == BP_PIVOT_DLOPEN ? DECISION_RETURN : DECISION_WINDOW;
}

json_t *decision_tokens_json(const struct window *w, enum window_part part)
{
	json_t *a = json_array();

	for (size_t i = 0; i < w->ncalls[part]; i++)
		json_array_append_new(a, json_string(w->calls[part][i].token));
	return a;
}

static json_t *component(const struct verdict *v, enum verdict_component c)
{
	return v->have[c] ? json_real(v->component[c]) : json_null();
}

json_t *decision_to_json(const struct decision *d)
{
	const struct window *w = d->window;
	const struct verdict *v = &d->result->verdict;
	const struct verdict_policy *policy = &d->result->policy;
	const struct mitigation *m = &d->mitigation;
	char when[64], host[256];
	struct attribution at;
	json_t *j;

	timefmt_format_rfc3339((int64_t)util_now_real_ns(), when, sizeof(when));
	attribution_of_window(w, &at);
	attribution_hostname(host, sizeof(host));
	j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s,"
		      " s:{s:o, s:o, s:o, s:b, s:I},"
		      " s:{s:o, s:o, s:o}, s:{s:f, s:f, s:f},"
		      " s:f, s:s, s:s, s:s}",
		      "time", when, "verdict_point", decision_point_name(d->point),
		      "pid", (json_int_t)w->pid, "tid", (json_int_t)w->tid, "comm", w->comm,
		      "exe", at.exe, "path", window_object_name(w),
		      "window", "lookback", decision_tokens_json(w, WINDOW_LOOKBACK),
		      "load", decision_tokens_json(w, WINDOW_LOAD),
		      "follow", decision_tokens_json(w, WINDOW_FOLLOW),
		      "uncertain", v->uncertain, "lost_events", (json_int_t)w->lost,
		      "components", "sequence", component(v, VERDICT_SEQUENCE),
		      "source", component(v, VERDICT_SOURCE), "dcam", component(v, VERDICT_DCAM),
		      "weights", "sequence", policy->weight[VERDICT_SEQUENCE],
		      "source", policy->weight[VERDICT_SOURCE], "dcam", policy->weight[VERDICT_DCAM],
		      "risk", v->risk, "level", verdict_level_name(v->level),
		      "action", mitigate_action_name(m->action),
		      "backend", mitigate_backend_name(m->backends));
	if (!j)
		return NULL;
	json_object_set_new(json_object_get(j, "window"), "watch",
			    decision_tokens_json(w, WINDOW_WATCH));
	if (w->from_pid)
		json_object_set_new(j, "injector", json_pack("{s:I, s:I, s:s}",
				    "pid", (json_int_t)w->from_pid, "tid", (json_int_t)w->from_tid,
				    "comm", w->from_comm));
	scorer_result_explain_json(d->result, j);
	json_object_set_new(j, "process", attribution_to_json(&at));
	json_object_set_new(j, "host", json_string(host));
	decision_mitigation_json(m, j);
	return j;
}

void decision_mitigation_json(const struct mitigation *m, json_t *j)
{
	if (m->detail[0])
		json_object_set_new(j, "mitigation_error", json_string(m->detail));
	if (m->file_kept[0])
		json_object_set_new(j, "file_kept", json_string(m->file_kept));
	if (m->alerted)
		json_object_set_new(j, "alerted", json_true());
	if (m->monitored)
		json_object_set_new(j, "would", json_string(mitigate_action_name(m->would_action)));
}
