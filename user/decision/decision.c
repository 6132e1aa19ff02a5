/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Decision documents. The explanation members (matches, findings,
 * reputation_reasons, sha256) are the scorer's, copied as they are. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "decision/decision.h"
#include "lib/timefmt.h"
#include "cli/trace_output.h"
#include "lib/util.h"

static json_t *component(const struct verdict *v, enum verdict_component c)
{
	return v->have[c] ? json_real(v->component[c]) : json_null();
}

json_t *decision_build(const struct window *w, const struct verdict *v,
		       const struct verdict_policy *policy, json_t *details,
		       const struct mitigation *m, const char *verdict_point)
{
	static const char *const explain[] = { "matches", "findings", "reputation_reasons", "sha256" };
	char when[64], link[64], exe[PATH_MAX] = "";
	ssize_t n;
	json_t *d;

	timefmt_format_rfc3339((int64_t)util_now_real_ns(), when, sizeof(when));
	snprintf(link, sizeof(link), "/proc/%u/exe", w->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	d = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s,"
		      " s:{s:o, s:o, s:o, s:b, s:I},"
		      " s:{s:o, s:o, s:o}, s:{s:f, s:f, s:f},"
		      " s:f, s:s, s:s, s:s}",
		      "time", when, "verdict_point", verdict_point, "pid", (json_int_t)w->pid,
		      "tid", (json_int_t)w->tid, "comm", w->comm, "exe", exe,
		      "path", w->file_path[0] ? w->file_path : w->path,
		      "window", "lookback", trace_output_tokens(w, WINDOW_LOOKBACK),
		      "load", trace_output_tokens(w, WINDOW_LOAD),
		      "follow", trace_output_tokens(w, WINDOW_FOLLOW),
		      "uncertain", v->uncertain, "lost_events", (json_int_t)w->lost,
		      "components", "sequence", component(v, VERDICT_SEQUENCE),
		      "source", component(v, VERDICT_SOURCE), "dcam", component(v, VERDICT_DCAM),
		      "weights", "sequence", policy->weight[VERDICT_SEQUENCE],
		      "source", policy->weight[VERDICT_SOURCE], "dcam", policy->weight[VERDICT_DCAM],
		      "risk", v->risk, "level", verdict_level_name(v->level),
		      "action", m->action, "backend", m->backend);
	if (!d)
		return NULL;
	for (size_t i = 0; details && i < ARRAY_SIZE(explain); i++) {
		json_t *x = json_object_get(details, explain[i]);

		if (x)
			json_object_set(d, explain[i], x);
	}
	if (m->detail[0])
		json_object_set_new(d, "mitigation_error", json_string(m->detail));
	if (m->alerted)
		json_object_set_new(d, "alerted", json_true());
	return d;
}
