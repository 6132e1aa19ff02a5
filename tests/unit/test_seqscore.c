/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* sequence_match_score against values computed by hand from the formula in
 * docs/scoring.md (risk and confidence are stored with 12-bit precision,
 * hence the 5e-3 tolerance). */
#include <criterion/criterion.h>
#include <math.h>
#include "score/seqscore.h"
#include "bd_fixture.h"

TestSuite(seqscore, .init = setup, .fini = teardown);

static void add(int64_t id, const token_id *s, size_t n, double r, double c)
{
	cr_assert_eq(bdindex_add(idx, id, s, n, r, c,
				 r > 0.5 ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD), 0);
}

Test(seqscore, one_exact_malicious_match_scores_by_hand)
{
	SEQ(e, "socket:inet", "connect:inet", "dup2", "execve");
	SEQ(w, "openat:read", "socket:inet", "connect:inet", "dup2", "execve", "exit_group");
	struct seqscore_result r;
	/* one position matches exactly: a = 1 * 0.8, ev = 0.8 * ln(0.9/0.1);
	 * L = ev / (1 + length_norm 0 * a); score = tanh(L / 2) */
	double ev = 0.8 * log(9.0), L = ev;

	add(1, e, e_n, 0.9, 0.8);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_eq(r.positions, 6);
	cr_assert_eq(r.matched, 1);
	cr_assert_float_eq(r.logodds, L, 5e-3);
	cr_assert_float_eq(r.score, tanh(L / 2), 5e-3);
	cr_assert_eq(r.ntop, 1);
	cr_assert_eq(r.top[0].m.id, 1);
	cr_assert_eq(r.top[0].pos, 1);
	cr_assert_eq(r.top[0].count, 1);
}

/* The runtime rule: a good entry explains the calls it covers, no others.
 * Elsewhere in the window it cannot pull a malicious match down. */
Test(seqscore, a_benign_match_elsewhere_does_not_cancel_a_malicious_one)
{
	SEQ(bad, "socket:inet", "connect:inet", "dup2", "execve");
	SEQ(good, "openat:read", "mmap:exec_file", "dlopen");
	SEQ(w, "openat:read", "mmap:exec_file", "dlopen", "socket:inet", "connect:inet",
	    "dup2", "execve");
	struct seqscore_result r, r0;
	/* positions 0 (good, exact, calls 0-2) and 3 (bad, exact, calls 3-6):
	 * no shared call. Window: L_w = evb + evg; malicious: L_m = evb;
	 * L = max(L_w, L_m) = evb */
	double evb = 0.8 * log(9.0), evg = 0.6 * log(1.0 / 9.0);

	add(1, bad, bad_n, 0.9, 0.8);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r0), 0);
	add(2, good, good_n, 0.1, 0.6);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_float_eq(r.logodds_window, evb + evg, 5e-3);
	cr_assert_float_eq(r.logodds_malicious, evb, 5e-3);
	cr_assert_float_eq(r.logodds, evb, 5e-3);
	cr_assert_float_eq(r.score, r0.score, 1e-9, "boilerplate changed nothing");
	cr_assert_eq(r.ntop, 2);
	cr_assert_eq(r.top[0].m.id, 1, "largest |evidence| first");
}

/* On the calls they share, good and malicious evidence compete. */
Test(seqscore, a_benign_match_on_the_same_calls_pulls_the_score_down)
{
	SEQ(bad, "socket:inet", "connect:inet", "dup2", "execve");
	SEQ(good, "connect:inet", "dup2", "execve");
	SEQ(w, "socket:inet", "connect:inet", "dup2", "execve");
	struct seqscore_result r, r0;
	/* bad at 0 (calls 0-3), good at 1 (calls 1-3): they share calls 1-3.
	 * L_m = L_w = evb + evg */
	double evb = 0.8 * log(9.0), evg = 0.6 * log(1.0 / 9.0);

	add(1, bad, bad_n, 0.9, 0.8);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r0), 0);
	add(2, good, good_n, 0.1, 0.6);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_float_eq(r.logodds_malicious, evb + evg, 5e-3);
	cr_assert_float_eq(r.logodds, evb + evg, 5e-3);
	cr_assert_float_eq(r.score, tanh((evb + evg) / 2), 5e-3);
	cr_assert_lt(r.score, r0.score);
}

Test(seqscore, only_benign_matches_score_zero)
{
	SEQ(good, "openat:read", "mmap:exec_file", "dlopen");
	struct seqscore_result r;

	add(2, good, good_n, 0.1, 0.6);
	cr_assert_eq(seqscore_window(idx, good, good_n, &r), 0);
	cr_assert_lt(r.logodds, 0);
	cr_assert_float_eq(r.score, 0, 1e-12);
}

Test(seqscore, a_fuzzy_match_counts_by_its_similarity)
{
	SEQ(e, "socket:inet", "connect:inet", "dup2", "execve");
	SEQ(w, "socket:inet", "connect:inet", "dup3", "execve"); /* dup3: same group */
	struct seqscore_result r;
	double s = 1 - 0.5 / 4, a = s * 0.8, L = a * log(9.0);

	add(1, e, e_n, 0.9, 0.8);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_float_eq(r.logodds, L, 5e-3);
	cr_assert_eq(r.top[0].m.edit, BDINDEX_SUBST);
}

Test(seqscore, an_exact_match_wins_over_a_fuzzy_one_with_more_weight)
{
	SEQ(known, "socket:inet", "connect:inet", "dup3", "execve");
	SEQ(near, "socket:inet", "connect:inet", "dup2", "execve");
	struct seqscore_result r;
	/* the fuzzy neighbour weighs s * c = 0.875 * 1.0, more than the exact
	 * entry's 1 * 0.5; the window is the known n-gram itself, so its own
	 * (benign) entry decides: L = 0.5 * ln(0.2 / 0.8) */
	double L = 0.5 * log(0.25);

	add(1, near, near_n, 0.9, 1.0);
	add(2, known, known_n, 0.2, 0.5);
	cr_assert_eq(seqscore_window(idx, known, known_n, &r), 0);
	cr_assert_float_eq(r.logodds, L, 5e-3);
	cr_assert_eq(r.ntop, 1);
	cr_assert_eq(r.top[0].m.id, 2);
	cr_assert_eq(r.top[0].m.edit, BDINDEX_EXACT);
}

Test(seqscore, unknown_positions_count_when_the_database_says_so)
{
	SEQ(e, "socket:inet", "connect:inet", "dup2");
	SEQ(w, "socket:inet", "connect:inet", "dup2", "kill", "kill", "kill", "kill");
	struct bdindex_params p = { .unknown_logit = 2, .unknown_weight = 0.5, .length_norm = 1 };
	struct seqscore_result r;
	/* position 0 exact (w = 1, ev = ln 9); positions 1..4 (where a 3-gram
	 * fits) have no match within one edit, 5 and 6 are too close to the
	 * end: U = 4, w_u = 0.5 * (1 + ln(1 + ln 4)); L2 normalisation (gamma 1) */
	double wu = 0.5 * (1 + log(1 + log(4.0)));
	double L = (log(9.0) + wu * 2) / (1 + sqrt(1 + wu * wu));

	add(1, e, e_n, 0.9, 1.0);
	bdindex_params_set(idx, &p);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_eq(r.matched, 1);
	cr_assert_float_eq(r.logodds, L, 5e-3);
}

Test(seqscore, each_entry_length_gives_its_own_best_match)
{
	SEQ(e3, "socket:inet", "connect:inet", "dup2");
	SEQ(e2, "socket:inet", "connect:inet");
	SEQ(w, "socket:inet", "connect:inet", "dup2");
	struct seqscore_result r;
	/* position 0: the 3-gram (a = 0.8) and the 2-gram (a = 0.5, risk 0.2)
	 * both count; position 1 has no 2-gram "connect dup2" */
	double L = 0.8 * log(9.0) + 0.5 * log(0.25);

	add(1, e3, e3_n, 0.9, 0.8);
	add(2, e2, e2_n, 0.2, 0.5);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_float_eq(r.logodds, L, 5e-3);
	cr_assert_eq(r.ntop, 2);
}

Test(seqscore, repeats_of_an_entry_count_sublinearly)
{
	SEQ(e, "socket:inet", "connect:inet", "dup2");
	SEQ(w, "socket:inet", "connect:inet", "dup2", "socket:inet", "connect:inet", "dup2",
	    "socket:inet", "connect:inet", "dup2");
	struct seqscore_result r;
	/* three exact occurrences: w = 0.8 * (1 + ln(1 + ln 3)) */
	double L = 0.8 * (1 + log(1 + log(3.0))) * log(9.0);

	add(1, e, e_n, 0.9, 0.8);
	cr_assert_eq(seqscore_window(idx, w, w_n, &r), 0);
	cr_assert_float_eq(r.logodds, L, 5e-3);
	cr_assert_eq(r.top[0].count, 3);
}

Test(seqscore, short_entries_match_fuzzily_only_within_a_group)
{
	SEQ(e, "sendto", "exit_group");
	SEQ(w1, "sendmsg", "exit_group"); /* same group: similarity 0.75 */
	SEQ(w2, "execve", "exit_group");  /* across groups: 0.5, ignored */
	struct seqscore_result r;

	add(1, e, e_n, 0.9, 1.0);
	cr_assert_eq(seqscore_window(idx, w1, w1_n, &r), 0);
	cr_assert_float_eq(r.logodds, 0.75 * log(9.0), 5e-3);
	cr_assert_eq(seqscore_window(idx, w2, w2_n, &r), 0);
	cr_assert_eq(r.matched, 0);
	cr_assert_float_eq(r.score, 0, 1e-12);
}

Test(seqscore, empty_window_scores_zero_and_json_explains)
{
	SEQ(e, "socket:inet", "connect:inet", "dup2", "execve");
	struct seqscore_result r;
	json_t *j;

	cr_assert_eq(seqscore_window(idx, e, 0, &r), 0);
	cr_assert_float_eq(r.score, 0, 1e-12);
	add(1, e, e_n, 0.9, 0.8);
	cr_assert_eq(seqscore_window(idx, e, e_n, &r), 0);
	j = seqscore_result_to_json(&r, tok);
	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(
		json_array_get(json_object_get(j, "matches"), 0), "sequence"), 1)), "connect:inet");
	cr_assert_str_eq(json_string_value(json_object_get(
		json_array_get(json_object_get(j, "matches"), 0), "label")), "malicious");
	json_decref(j);
}
