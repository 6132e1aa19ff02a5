/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* risk = (w_seq*sequence + w_src*source + w_dcam*dcam) / (sum of the
 * weights of the components present), and its level. A component may be
 * unavailable (no database, no object to read): missing is not zero — the
 * weights renormalise over the components the decision has, and the
 * decision names what was missing (docs/scoring.md). */
#ifndef BPFPROF_VERDICT_H
#define BPFPROF_VERDICT_H

#include <stdbool.h>

enum verdict_component { VERDICT_SEQUENCE, VERDICT_SOURCE, VERDICT_DCAM, VERDICT_NCOMPONENTS };
enum verdict_level { VERDICT_LOW, VERDICT_MEDIUM, VERDICT_HIGH };

struct verdict_policy {
	double weight[VERDICT_NCOMPONENTS]; /* 0.5, 0.25, 0.25 */
	double medium;                      /* risk >= medium: medium level */
	double high;                        /* risk >= high: high level */
	bool uncertain_escalates;           /* an uncertain window is at least medium */
};

struct verdict {
	double component[VERDICT_NCOMPONENTS];
	bool have[VERDICT_NCOMPONENTS];
	double risk;
	double weight_used[VERDICT_NCOMPONENTS]; /* the renormalised weights (0: missing) */
	enum verdict_level level;
	bool uncertain;
	bool quarantined;    /* the object is known bad (quarantined before): high */
};

void verdict_policy_default(struct verdict_policy *p);
void verdict_set(struct verdict *v, enum verdict_component c, double value);
/* Fills v->risk and v->level from the components present. */
void verdict_decide(struct verdict *v, const struct verdict_policy *p);
const char *verdict_level_name(enum verdict_level l);
const char *verdict_component_name(enum verdict_component c);

#endif
