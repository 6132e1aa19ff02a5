/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Judges a closed window: gathers the sequence, source and static-analysis
 * components and applies the verdict policy. */
#ifndef BPFPROF_SCORER_H
#define BPFPROF_SCORER_H

#include <jansson.h>
#include <stddef.h>
#include "verdict.h"
#include "window.h"

struct scorer;

/* policy: weights and thresholds; NULL for the defaults */
int scorer_new(const struct verdict_policy *policy, struct scorer **out, char *err, size_t errlen);
void scorer_free(struct scorer *s);
/* Fills v; *details (may stay NULL) gets the explanation: matched entries,
 * findings, reputation reasons, as JSON members to merge into a verdict. */
void scorer_judge(struct scorer *s, const struct window *w, struct verdict *v, json_t **details);

#endif
