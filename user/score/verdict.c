/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The risk formula (docs/scoring.md). */
#include "score/verdict.h"

void verdict_policy_default(struct verdict_policy *p)
{
	p->weight[VERDICT_SEQUENCE] = 0.5;
	p->weight[VERDICT_SOURCE] = 0.25;
	p->weight[VERDICT_DCAM] = 0.25;
	p->medium = 0.4;
	p->high = 0.7;
	p->uncertain_escalates = true;
}

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

void verdict_set(struct verdict *v, enum verdict_component c, double value)
{
	v->component[c] = clamp01(value);
	v->have[c] = true;
}

void verdict_decide(struct verdict *v, const struct verdict_policy *p)
{
	double sum = 0, wsum = 0;

	for (int c = 0; c < VERDICT_NCOMPONENTS; c++)
		if (v->have[c])
			wsum += p->weight[c];
	for (int c = 0; c < VERDICT_NCOMPONENTS; c++) {
		v->weight_used[c] = v->have[c] && wsum > 0 ? p->weight[c] / wsum : 0;
		sum += v->weight_used[c] * v->component[c];
	}
	v->risk = clamp01(sum);
	if (v->quarantined && v->risk < p->high)
		v->risk = p->high;
	v->level = v->risk >= p->high ? VERDICT_HIGH :
		   v->risk >= p->medium ? VERDICT_MEDIUM : VERDICT_LOW;
	if (v->uncertain && p->uncertain_escalates && v->level == VERDICT_LOW)
		v->level = VERDICT_MEDIUM;
}

const char *verdict_level_name(enum verdict_level l)
{
	return l == VERDICT_HIGH ? "high" : l == VERDICT_MEDIUM ? "medium" : "low";
}

const char *verdict_component_name(enum verdict_component c)
{
	return c == VERDICT_SEQUENCE ? "sequence" : c == VERDICT_SOURCE ? "source" : "dcam";
}
