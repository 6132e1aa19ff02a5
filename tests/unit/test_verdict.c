/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The risk formula and levels, against hand-computed values. */
#include <criterion/criterion.h>
#include "score/verdict.h"

static struct verdict_policy p;

static void setup(void) { verdict_policy_default(&p); }

TestSuite(verdict, .init = setup);

Test(verdict, weighted_sum_with_the_default_weights)
{
	struct verdict v = { 0 };

	verdict_set(&v, VERDICT_SEQUENCE, 0.8);
	verdict_set(&v, VERDICT_SOURCE, 0.4);
	verdict_set(&v, VERDICT_DCAM, 0.2);
	verdict_decide(&v, &p);
	/* 0.5*0.8 + 0.25*0.4 + 0.25*0.2 = 0.55 */
	cr_assert_float_eq(v.risk, 0.55, 1e-9);
	cr_assert_eq(v.level, VERDICT_MEDIUM);
}

Test(verdict, thresholds_are_inclusive)
{
	struct verdict v = { 0 };

	verdict_set(&v, VERDICT_SEQUENCE, 1.0);
	verdict_set(&v, VERDICT_SOURCE, 0.8);
	verdict_set(&v, VERDICT_DCAM, 0.0);
	verdict_decide(&v, &p); /* 0.5 + 0.2 = 0.7 */
	cr_assert_float_eq(v.risk, 0.7, 1e-9);
	cr_assert_eq(v.level, VERDICT_HIGH);
}

Test(verdict, weights_renormalise_over_the_components_present)
{
	struct verdict v = { 0 };

	verdict_set(&v, VERDICT_SEQUENCE, 0.9);
	verdict_set(&v, VERDICT_DCAM, 0.6);
	verdict_decide(&v, &p);
	/* no source: (0.5*0.9 + 0.25*0.6) / 0.75 = 0.8, not 0.6 */
	cr_assert_float_eq(v.risk, 0.8, 1e-9);
	cr_assert_eq(v.level, VERDICT_HIGH);
	cr_assert_float_eq(v.weight_used[VERDICT_SEQUENCE], 2.0 / 3, 1e-9);
	cr_assert_float_eq(v.weight_used[VERDICT_DCAM], 1.0 / 3, 1e-9);
	cr_assert_float_eq(v.weight_used[VERDICT_SOURCE], 0, 1e-12);
}

Test(verdict, no_component_is_risk_zero)
{
	struct verdict v = { 0 };

	verdict_decide(&v, &p);
	cr_assert_float_eq(v.risk, 0, 1e-12);
	cr_assert_eq(v.level, VERDICT_LOW);
}

Test(verdict, components_are_clamped_to_0_1)
{
	struct verdict v = { 0 };

	verdict_set(&v, VERDICT_SEQUENCE, 3.0);
	verdict_set(&v, VERDICT_DCAM, -1.0);
	cr_assert_float_eq(v.component[VERDICT_SEQUENCE], 1.0, 1e-12);
	cr_assert_float_eq(v.component[VERDICT_DCAM], 0.0, 1e-12);
}

Test(verdict, an_uncertain_window_is_at_least_medium_unless_policy_says_no)
{
	struct verdict v = { .uncertain = true };

	verdict_set(&v, VERDICT_SEQUENCE, 0.0);
	verdict_decide(&v, &p);
	cr_assert_eq(v.level, VERDICT_MEDIUM);
	p.uncertain_escalates = false;
	verdict_decide(&v, &p);
	cr_assert_eq(v.level, VERDICT_LOW);
}

Test(verdict, custom_weights_and_thresholds)
{
	struct verdict v = { 0 };

	p.weight[VERDICT_SEQUENCE] = 0.2;
	p.weight[VERDICT_SOURCE] = 0.2;
	p.weight[VERDICT_DCAM] = 0.6;
	p.medium = 0.1;
	p.high = 0.5;
	verdict_set(&v, VERDICT_SEQUENCE, 0.1);
	verdict_set(&v, VERDICT_SOURCE, 0.0);
	verdict_set(&v, VERDICT_DCAM, 0.9);
	verdict_decide(&v, &p); /* 0.02 + 0 + 0.54 */
	cr_assert_float_eq(v.risk, 0.56, 1e-9);
	cr_assert_eq(v.level, VERDICT_HIGH);
}

Test(verdict, a_quarantined_object_is_high_whatever_its_components)
{
	struct verdict v = { .quarantined = true };

	verdict_set(&v, VERDICT_SEQUENCE, 0.0);
	verdict_decide(&v, &p);
	cr_assert_eq(v.level, VERDICT_HIGH);
	cr_assert_float_eq(v.risk, p.high, 1e-12);
}
