/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A decision as stored and served (schemas/decision.schema.json): built
 * from a judged window, its explanation and what the mitigation did. */
#ifndef BPFPROF_DECISION_H
#define BPFPROF_DECISION_H

#include <jansson.h>
#include "respond/mitigate.h"
#include "score/verdict.h"
#include "pipeline/window.h"

/* verdict_point: "gate", "return" or "window". details may be NULL. */
json_t *decision_build(const struct window *w, const struct verdict *v,
		       const struct verdict_policy *policy, json_t *details,
		       const struct mitigation *m, const char *verdict_point);

#endif
