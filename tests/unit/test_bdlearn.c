/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* db learn's statistics by hand (docs/scoring.md), and a fitted database
 * ranking traces like their labels through the runtime scorer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include "learn/bdlearn.h"
#include "score/seqscore.h"
#include "bd_fixture.h"

TestSuite(bdlearn, .init = setup, .fini = teardown);

struct want {
	token_id a, b;
	double risk, confidence;
	int found;
};

static int check(const struct bdlearn_entry *e, void *arg)
{
	struct want *w = arg;

	if (e->len == 2 && e->seq[0] == w->a && e->seq[1] == w->b) {
		w->risk = e->risk;
		w->confidence = e->confidence;
		w->found++;
	}
	return 0;
}

Test(bdlearn, counted_risk_and_specificity_by_hand)
{
	struct bdlearn_opts o = BDLEARN_OPTS_DEFAULT;
	struct bdlearn *l;
	SEQ(n1, "openat:read", "mmap:exec_file", "dlopen");
	SEQ(n2, "openat:read", "mmap:exec_file", "exit_group");
	SEQ(m1, "connect:inet", "dup2", "execve", "openat:read", "mmap:exec_file");
	struct want w = { n1[0], n1[1], 0, 0, 0 }, x = { m1[0], m1[1], 0, 0, 0 };

	o.n = 2;
	o.n_min = 2;
	o.fit_iters = 0;
	cr_assert_eq(bdlearn_create(&o, &l), 0);
	cr_assert_eq(bdlearn_add_trace(l, n1, n1_n, BD_LABEL_GOOD), 0);
	cr_assert_eq(bdlearn_add_trace(l, n2, n2_n, BD_LABEL_GOOD), 0);
	cr_assert_eq(bdlearn_add_trace(l, m1, m1_n, BD_LABEL_MALICIOUS), 0);
	cr_assert_eq(bdlearn_foreach(l, check, &w), 0);
	cr_assert_eq(bdlearn_foreach(l, check, &x), 0);
	cr_assert_eq(w.found, 1);
	/* "openat:read mmap:exec_file": in 2/2 normal and 1/1 malicious traces:
	 * risk (1 + a) / (1 + 1 + 2a) = 0.5; df 3 of T = 3 traces:
	 * confidence (ln(4/4) + 1) / (ln(4/2) + 1) */
	cr_assert_float_eq(w.risk, 0.5, 1e-9);
	cr_assert_float_eq(w.confidence, 1 / (log(2.0) + 1), 1e-9);
	/* "connect:inet dup2": only in the malicious trace, df 1:
	 * risk (1 + a) / (1 + 2a), confidence 1 */
	cr_assert_float_eq(x.risk, (1 + 0.0005) / (1 + 0.001), 1e-9);
	cr_assert_float_eq(x.confidence, 1, 1e-9);
	bdlearn_free(l);
}

Test(bdlearn, a_fitted_database_ranks_traces_by_label)
{
	struct bdlearn_opts o = BDLEARN_OPTS_DEFAULT;
	struct bdlearn *l;
	struct seqscore_result rn, rm;
	SEQ(n1, "openat:read", "mmap:exec_file", "dlopen", "openat:read", "exit_group");
	SEQ(n2, "openat:read", "openat:read", "mmap:exec_file", "dlopen", "exit_group");
	SEQ(m1, "connect:inet", "recvfrom", "openat:write_tmp", "fchmodat:exec", "dlopen");
	SEQ(m2, "recvfrom", "openat:write_tmp", "fchmodat:exec", "dlopen", "exit_group");
	SEQ(tn, "openat:read", "mmap:exec_file", "dlopen", "exit_group");
	SEQ(tm, "connect:inet", "recvfrom", "openat:write_tmp", "fchmodat:exec", "exit_group");
	struct bdindex_params p;

	cr_assert_eq(bdlearn_create(&o, &l), 0);
	cr_assert_eq(bdlearn_add_trace(l, n1, n1_n, BD_LABEL_GOOD), 0);
	cr_assert_eq(bdlearn_add_trace(l, n2, n2_n, BD_LABEL_GOOD), 0);
	cr_assert_eq(bdlearn_add_trace(l, m1, m1_n, BD_LABEL_MALICIOUS), 0);
	cr_assert_eq(bdlearn_add_trace(l, m2, m2_n, BD_LABEL_MALICIOUS), 0);
	cr_assert_eq(bdlearn_to_index(l, idx, 1), 0);
	bdindex_params_get(idx, &p);
	cr_assert_float_eq(p.length_norm, 1, 1e-12);
	cr_assert_eq(bdindex_lengths(idx), (1u << 2) | (1u << 3));
	cr_assert_eq(seqscore_window(idx, tn, tn_n, &rn), 0);
	cr_assert_eq(seqscore_window(idx, tm, tm_n, &rm), 0);
	cr_assert_gt(rm.logodds, 0.5, "%f", rm.logodds);
	cr_assert_lt(rn.logodds, -0.5, "%f", rn.logodds);
	bdlearn_free(l);
}

/* The learning options of `db learn` and `eval`: what the fit cannot use is
 * refused with its range. Before, "--fit -1" meant ULONG_MAX steps (a run
 * that never ends) and "--fit-rate inf" a NaN fit that clamped every
 * n-gram, normal ones included, to risk 0.999. */
Test(bdlearn, options_out_of_range_are_refused_with_the_range)
{
	static const struct {
		int opt;
		const char *arg, *why;
	} bad[] = {
		{ BDLEARN_OPT_BASE + 0, "0", "--alpha must be a finite number above 0" },
		{ BDLEARN_OPT_BASE + 0, "inf", "--alpha must be a finite number above 0" },
		{ BDLEARN_OPT_BASE + 1, "-1", "--fit must be a number of steps in 0..1000000" },
		{ BDLEARN_OPT_BASE + 1, "99999999999999999999", "--fit must be a number of steps" },
		{ BDLEARN_OPT_BASE + 1, "1000001", "--fit must be a number of steps" },
		{ BDLEARN_OPT_BASE + 1, "", "--fit must be a number of steps" },
		{ BDLEARN_OPT_BASE + 2, "inf", "--fit-rate must be a number above 0, at most 10" },
		{ BDLEARN_OPT_BASE + 2, "0", "--fit-rate must be a number above 0, at most 10" },
		{ BDLEARN_OPT_BASE + 2, "10.5", "--fit-rate must be a number above 0, at most 10" },
		{ BDLEARN_OPT_BASE + 3, "nan", "--fit-l2 must be a finite number, 0 or more" },
		{ BDLEARN_OPT_BASE + 3, "-1e-9", "--fit-l2 must be a finite number, 0 or more" },
		{ 'n', "1", "--ngram must be N or MIN-MAX within 2..8" },
		{ 'n', "3-2", "--ngram must be N or MIN-MAX within 2..8" },
	};
	static const struct {
		int opt;
		const char *arg;
	} good[] = { { BDLEARN_OPT_BASE + 1, "0" },      { BDLEARN_OPT_BASE + 1, "1000000" },
		     { BDLEARN_OPT_BASE + 2, "10" },     { BDLEARN_OPT_BASE + 3, "0" },
		     { BDLEARN_OPT_BASE + 0, "1e-300" }, { 'n', "2-8" } };
	struct bdlearn_opts o = BDLEARN_OPTS_DEFAULT;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		*err = '\0';
		cr_assert_eq(bdlearn_opt(&o, bad[i].opt, bad[i].arg, err, sizeof(err)), -EINVAL,
			     "%s was taken", bad[i].arg);
		cr_assert(strstr(err, bad[i].why), "%s: %s", bad[i].arg, err);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(bdlearn_opt(&o, good[i].opt, good[i].arg, err, sizeof(err)), 0,
			     "%s: %s", good[i].arg, err);
	cr_assert_eq(o.fit_iters, 1000000);
	cr_assert_eq(bdlearn_opt(&o, 'x', "1", err, sizeof(err)), 1, "not a learning option");
}
