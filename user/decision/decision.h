/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A decision: a judged window, the point it was judged at and what the
 * mitigation did. decision_to_json makes the document that is stored and
 * served (schemas/decision.schema.json). */
#ifndef BPFPROF_DECISION_H
#define BPFPROF_DECISION_H

#include <jansson.h>
#include "pipeline/window.h"
#include "respond/mitigate.h"
#include "score/scorer.h"

enum decision_point {
	DECISION_GATE,    /* the process stopped before the object's code ran */
	DECISION_RETURN,  /* dlopen returned (the constructors ran) and the window closed */
	DECISION_WINDOW,  /* a window without dlopen (code loaded another way) closed */
	DECISION_WATCH,   /* tasks the loaded code created did more: the risk rose */
};

struct decision {
	enum decision_point point;
	const struct window *window;
	const struct scorer_result *result;
	struct mitigation mitigation;
};

const char *decision_point_name(enum decision_point p);
/* The verdict point of a closed window. */
enum decision_point decision_point_of(const struct window *w);
json_t *decision_to_json(const struct decision *d);
/* What a mitigation adds to a decision's JSON object j beyond its action:
 * mitigation_error, file_kept, alerted, would (each only when it says
 * something). */
void decision_mitigation_json(const struct mitigation *m, json_t *j);
/* A window part's tokens, as a JSON array of names. */
json_t *decision_tokens_json(const struct window *w, enum window_part part);

#endif
