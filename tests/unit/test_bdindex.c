/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The fuzzy n-gram index: exact hits, each kind of edit, group-weighted
 * substitution, replace/remove, and lookups racing a writer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "behaviors/bdindex.h"
#include "bd_fixture.h"

TestSuite(bdindex, .init = setup, .fini = teardown);

static const struct bdindex_match *find_id(const struct bdindex_match *m, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (m[i].id == id)
			return &m[i];
	return NULL;
}

static void add_dropper(void)
{
	SEQ(e, "connect:inet", "recvfrom", "openat:write_tmp", "fchmodat:exec");
	cr_assert_eq(bdindex_add(idx, 7, e, e_n, 0.9, 0.8, BD_LABEL_MALICIOUS), 0);
}

Test(bdindex, exact_query_finds_the_entry_with_its_values)
{
	struct bdindex_match m[8];
	SEQ(q, "connect:inet", "recvfrom", "openat:write_tmp", "fchmodat:exec");
	int n;

	add_dropper();
	n = bdindex_lookup_fuzzy(idx, q, q_n, m, 8);
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].id, 7);
	cr_assert_eq(m[0].edit, BDINDEX_EXACT);
	cr_assert_float_eq(m[0].similarity, 1.0, 1e-9);
	cr_assert_float_eq(m[0].risk, 0.9, 1e-3);
	cr_assert_float_eq(m[0].confidence, 0.8, 1e-3);
	cr_assert_eq(m[0].label, BD_LABEL_MALICIOUS);
	cr_assert_eq(m[0].len, 4);
	cr_assert_eq(memcmp(m[0].seq, q, 4 * sizeof(token_id)), 0);
	cr_assert_eq(bdindex_lookup_exact(idx, q, q_n, m), 1);
}

Test(bdindex, substitution_within_a_group_costs_half)
{
	struct bdindex_match m[8];
	/* openat:write for openat:write_tmp: both group file_write */
	SEQ(q, "connect:inet", "recvfrom", "openat:write", "fchmodat:exec");
	int n;

	add_dropper();
	n = bdindex_lookup_fuzzy(idx, q, q_n, m, 8);
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].edit, BDINDEX_SUBST);
	cr_assert_eq(m[0].edit_pos, 2);
	cr_assert_float_eq(m[0].cost, 0.5, 1e-9);
	cr_assert_float_eq(m[0].similarity, 1 - 0.5 / 4, 1e-9);
	cr_assert_eq(bdindex_lookup_exact(idx, q, q_n, m), 0);
}

Test(bdindex, substitution_across_groups_costs_one)
{
	struct bdindex_match m[8];
	SEQ(q, "connect:inet", "recvfrom", "execve", "fchmodat:exec");

	add_dropper();
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, q_n, m, 8), 1);
	cr_assert_eq(m[0].edit, BDINDEX_SUBST);
	cr_assert_float_eq(m[0].cost, 1.0, 1e-9);
	cr_assert_float_eq(m[0].similarity, 0.75, 1e-9);
}

Test(bdindex, query_with_an_extra_token_matches)
{
	struct bdindex_match m[8];
	SEQ(q, "connect:inet", "recvfrom", "kill", "openat:write_tmp", "fchmodat:exec");

	add_dropper();
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, q_n, m, 8), 1);
	cr_assert_eq(m[0].edit, BDINDEX_EXTRA);
	cr_assert_eq(m[0].edit_pos, 2);
	cr_assert_float_eq(m[0].similarity, 1 - 1.0 / 5, 1e-9);
}

Test(bdindex, query_missing_a_token_matches)
{
	struct bdindex_match m[8];
	SEQ(q, "connect:inet", "openat:write_tmp", "fchmodat:exec");

	add_dropper();
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, q_n, m, 8), 1);
	cr_assert_eq(m[0].edit, BDINDEX_MISSING);
	cr_assert_eq(m[0].edit_pos, 1);
	cr_assert_float_eq(m[0].similarity, 0.75, 1e-9);
}

Test(bdindex, two_edits_do_not_match)
{
	struct bdindex_match m[8];
	SEQ(q1, "connect:inet", "execve", "execve", "fchmodat:exec");
	SEQ(q2, "recvfrom", "connect:inet", "openat:write_tmp", "fchmodat:exec");
	SEQ(q3, "connect:inet", "fchmodat:exec");

	add_dropper();
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q1, q1_n, m, 8), 0);
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q2, q2_n, m, 8), 0, "a swap is two edits");
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q3, q3_n, m, 8), 0);
}

Test(bdindex, a_query_reports_every_entry_within_one_edit_once)
{
	struct bdindex_match m[8];
	SEQ(a, "socket:inet", "connect:inet", "dup2", "dup2");
	SEQ(b, "socket:inet", "connect:inet", "dup2", "execve");
	SEQ(c, "socket:inet", "connect:inet", "dup2");
	SEQ(q, "socket:inet", "connect:inet", "dup2", "dup2");
	int n;

	cr_assert_eq(bdindex_add(idx, 1, a, a_n, 0.9, 1, BD_LABEL_MALICIOUS), 0);
	cr_assert_eq(bdindex_add(idx, 2, b, b_n, 0.9, 1, BD_LABEL_MALICIOUS), 0);
	cr_assert_eq(bdindex_add(idx, 3, c, c_n, 0.9, 1, BD_LABEL_MALICIOUS), 0);
	n = bdindex_lookup_fuzzy(idx, q, q_n, m, 8);
	cr_assert_eq(n, 3);
	cr_assert_eq(find_id(m, n, 1)->edit, BDINDEX_EXACT);
	cr_assert_eq(find_id(m, n, 2)->edit, BDINDEX_SUBST);
	cr_assert_eq(find_id(m, n, 3)->edit, BDINDEX_EXTRA);
	cr_assert_eq(bdindex_lengths(idx), (1u << 3) | (1u << 4));
}

Test(bdindex, remove_and_replace_take_effect)
{
	struct bdindex_match m[8];
	SEQ(q, "connect:inet", "recvfrom", "openat:write_tmp", "fchmodat:exec");

	add_dropper();
	cr_assert_eq(bdindex_add(idx, 7, q, q_n, 0.2, 0.5, BD_LABEL_GOOD), 0);
	cr_assert_eq(bdindex_count(idx), 1);
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, q_n, m, 8), 1);
	cr_assert_float_eq(m[0].risk, 0.2, 1e-3);
	cr_assert_eq(m[0].label, BD_LABEL_GOOD);
	cr_assert_eq(bdindex_remove(idx, 7), 0);
	cr_assert_eq(bdindex_remove(idx, 7), -ENOENT);
	cr_assert_eq(bdindex_count(idx), 0);
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, q_n, m, 8), 0);
}

Test(bdindex, bad_lengths_and_ids_are_refused)
{
	token_id s[BDINDEX_MAX_LEN + 1] = { 0 };

	cr_assert_eq(bdindex_add(idx, 1, s, 1, 0.5, 0.5, BD_LABEL_GOOD), -EINVAL);
	cr_assert_eq(bdindex_add(idx, 1, s, BDINDEX_MAX_LEN + 1, 0.5, 0.5, BD_LABEL_GOOD), -EINVAL);
	cr_assert_eq(bdindex_add(idx, 0, s, 3, 0.5, 0.5, BD_LABEL_GOOD), -ERANGE);
	cr_assert_eq(bdindex_add(idx, BDINDEX_MAX_ID + 1, s, 3, 0.5, 0.5, BD_LABEL_GOOD), -ERANGE);
}

Test(bdindex, many_entries_survive_growth)
{
	struct bdindex_match m[8];

	for (int i = 0; i < 20000; i++) {
		token_id s[5] = { (token_id)(i % 300), (token_id)(i / 300), 1, 2, (token_id)(i % 7) };

		cr_assert_eq(bdindex_add(idx, i + 1, s, 5, 0.5, 0.5, BD_LABEL_GOOD), 0);
	}
	cr_assert_eq(bdindex_count(idx), 20000);
	for (int i = 0; i < 20000; i += 97) {
		token_id s[5] = { (token_id)(i % 300), (token_id)(i / 300), 1, 2, (token_id)(i % 7) };

		cr_assert_eq(bdindex_lookup_exact(idx, s, 5, m), 1);
		cr_assert_eq(m[0].id, i + 1);
	}
}

/* Readers look up a fixed entry while the writer adds and removes others
 * (forcing table growth): the fixed entry is always found, nothing else
 * is ever reported wrongly. */
static atomic_bool stop;
static atomic_long reader_errors;

static void *reader(void *arg)
{
	token_id q[4] = { 5, 6, 7, 8 };
	struct bdindex_match m[16];

	(void)arg;
	while (!atomic_load(&stop)) {
		int n = bdindex_lookup_fuzzy(idx, q, 4, m, 16);

		if (n < 1 || !find_id(m, n < 16 ? n : 16, 424242))
			atomic_fetch_add(&reader_errors, 1);
		for (int i = 0; i < n && i < 16; i++)
			if (m[i].id != 424242 && m[i].seq[0] != 5)
				atomic_fetch_add(&reader_errors, 1);
	}
	return NULL;
}

Test(bdindex, lookups_run_while_entries_are_added_and_removed)
{
	token_id fixed[4] = { 5, 6, 7, 8 };
	pthread_t th[3];

	cr_assert_eq(bdindex_add(idx, 424242, fixed, 4, 0.9, 0.9, BD_LABEL_MALICIOUS), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, reader, NULL), 0);
	for (int i = 0; i < 60000; i++) {
		token_id s[4] = { (token_id)(100 + i % 200), (token_id)(i / 200), 3, 4 };

		cr_assert_eq(bdindex_add(idx, i + 1, s, 4, 0.5, 0.5, BD_LABEL_GOOD), 0);
		if (i % 3 == 0)
			cr_assert_eq(bdindex_remove(idx, i + 1), 0);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(atomic_load(&reader_errors), 0);
	cr_assert_eq(bdindex_count(idx), 1 + 40000);
}

Test(bdindex, a_batch_finds_what_single_lookups_find)
{
	SEQ(q0, "connect:inet", "recvfrom", "openat:write_tmp", "fchmodat:exec");
	SEQ(q1, "connect:inet", "recvfrom", "openat:write", "fchmodat:exec");
	SEQ(q2, "kill", "kill", "kill");
	SEQ(q3, "connect:inet", "openat:write_tmp", "fchmodat:exec");
	const token_id *qs[4] = { q0, q1, q2, q3 };
	size_t ns[4] = { q0_n, q1_n, q2_n, q3_n };
	struct bdindex_match out[4 * 4], one[4];
	int counts[4];

	add_dropper();
	cr_assert_eq(bdindex_lookup_fuzzy_batch(idx, qs, ns, 4, out, 4, counts), 0);
	for (int b = 0; b < 4; b++) {
		int n = bdindex_lookup_fuzzy(idx, qs[b], ns[b], one, 4);

		cr_assert_eq(counts[b], n, "query %d", b);
		for (int k = 0; k < n; k++) {
			cr_assert_eq(out[b * 4 + k].id, one[k].id);
			cr_assert_eq(out[b * 4 + k].edit, one[k].edit);
		}
	}
	cr_assert_eq(counts[2], 0);
	cr_assert_eq(bdindex_lookup_fuzzy_batch(idx, qs, ns, BDINDEX_BATCH_MAX + 1, out, 4, counts),
		     -EINVAL);
}

Test(bdindex, replacing_entries_while_the_index_grows_keeps_one_per_id)
{
	struct bdindex_match m[8];

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			token_id s[4] = { (token_id)(i % 70), (token_id)(i / 70), 9, (token_id)round };

			cr_assert_eq(bdindex_add(idx, i + 1, s, 4, round ? 0.9 : 0.1, 0.5,
						 round ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD), 0);
		}
	cr_assert_eq(bdindex_count(idx), 5000);
	for (int i = 0; i < 5000; i += 7) {
		token_id old[4] = { (token_id)(i % 70), (token_id)(i / 70), 9, 0 };
		token_id cur[4] = { (token_id)(i % 70), (token_id)(i / 70), 9, 1 };

		cr_assert_eq(bdindex_lookup_exact(idx, old, 4, m), 0, "id %d kept its old entry", i + 1);
		cr_assert_eq(bdindex_lookup_exact(idx, cur, 4, m), 1);
		cr_assert_eq(m[0].id, i + 1);
		cr_assert_float_eq(m[0].risk, 0.9, 1e-3);
	}
	cr_assert_eq(bdindex_remove(idx, 77), 0);
	cr_assert_eq(bdindex_count(idx), 4999);
}

/* Entries keep their tokens inline when every token fits the width its
 * length allows (16 bits up to 4 tokens, 12 for 5, ... 8 for 8) and in the
 * token arena otherwise: both kinds are found, by every kind of edit, with
 * their tokens intact. */
Test(bdindex, entries_with_wide_tokens_are_found_like_narrow_ones)
{
	token_id narrow[8] = { 1, 2, 3, 4, 5, 6, 7, 200 };
	token_id wide[8] = { 1, 2, 3, 4, 5, 6, 7, 60000 }; /* 60000 fits no width below 16 */
	struct bdindex_match m[8];

	for (size_t len = BDINDEX_MIN_LEN; len <= BDINDEX_MAX_LEN; len++) {
		cr_assert_eq(bdindex_add(idx, (int64_t)len, narrow + 8 - len, len, 0.5, 0.5,
					 BD_LABEL_GOOD), 0);
		cr_assert_eq(bdindex_add(idx, 100 + (int64_t)len, wide + 8 - len, len, 0.5, 0.5,
					 BD_LABEL_MALICIOUS), 0);
	}
	for (size_t len = BDINDEX_MIN_LEN; len <= BDINDEX_MAX_LEN; len++) {
		const token_id *src[2] = { narrow + 8 - len, wide + 8 - len };

		for (int w = 0; w < 2; w++) {
			token_id q[BDINDEX_MAX_LEN + 1];
			const struct bdindex_match *f;
			int64_t id = w ? 100 + (int64_t)len : (int64_t)len;
			int n;

			cr_assert_eq(bdindex_lookup_exact(idx, src[w], len, m), 1);
			cr_assert_eq(m[0].id, id);
			cr_assert_eq(m[0].len, len);
			cr_assert_arr_eq(m[0].seq, src[w], len * sizeof(token_id));
			/* one substitution at the last position */
			memcpy(q, src[w], len * sizeof(token_id));
			q[len - 1] = 999;
			n = bdindex_lookup_fuzzy(idx, q, len, m, 8);
			f = find_id(m, n < 8 ? n : 8, id);
			cr_assert_not_null(f, "len %zu wide %d: substitution", len, w);
			cr_assert_eq(f->edit, BDINDEX_SUBST);
			cr_assert_eq(f->edit_pos, len - 1);
			cr_assert_arr_eq(f->seq, src[w], len * sizeof(token_id));
			/* one extra token in front */
			q[0] = 999;
			memcpy(q + 1, src[w], len * sizeof(token_id));
			n = bdindex_lookup_fuzzy(idx, q, len + 1, m, 8);
			f = find_id(m, n < 8 ? n : 8, id);
			cr_assert_not_null(f, "len %zu wide %d: extra token", len, w);
			cr_assert_eq(f->edit, BDINDEX_EXTRA);
			cr_assert_eq(f->edit_pos, 0);
		}
	}
	cr_assert_eq(bdindex_remove(idx, 105), 0);
	cr_assert_eq(bdindex_lookup_exact(idx, wide + 3, 5, m), 0);
	cr_assert_eq(bdindex_lookup_exact(idx, narrow + 3, 5, m), 1);
}

Test(bdindex, a_full_batch_finds_what_single_lookups_find)
{
	static struct bdindex_match out[BDINDEX_BATCH_MAX * 4];
	token_id q[BDINDEX_BATCH_MAX][5];
	const token_id *qs[BDINDEX_BATCH_MAX];
	size_t ns[BDINDEX_BATCH_MAX];
	int counts[BDINDEX_BATCH_MAX];
	struct bdindex_match one[4];

	for (int i = 0; i < 1000; i++) {
		token_id s[5] = { (token_id)(i % 10), (token_id)(i / 10), 3, 4, 5 };

		cr_assert_eq(bdindex_add(idx, i + 1, s, 5, 0.5, 0.5, BD_LABEL_GOOD), 0);
	}
	for (int b = 0; b < BDINDEX_BATCH_MAX; b++) {
		/* exact, substituted, shortened (missing a token) and unknown */
		token_id s[5] = { (token_id)(b % 10), (token_id)(b * 3), 3, (token_id)(b % 4 == 1 ? 9 : 4), 5 };

		memcpy(q[b], s, sizeof(s));
		qs[b] = q[b];
		ns[b] = b % 4 == 2 ? 4 : 5;
		if (b % 4 == 3)
			q[b][2] = q[b][3] = 77;
	}
	cr_assert_eq(bdindex_lookup_fuzzy_batch(idx, qs, ns, BDINDEX_BATCH_MAX, out, 4, counts), 0);
	for (int b = 0; b < BDINDEX_BATCH_MAX; b++) {
		int n = bdindex_lookup_fuzzy(idx, qs[b], ns[b], one, 4);

		cr_assert_eq(counts[b], n, "query %d", b);
		cr_assert_eq(n > 0, b % 4 != 3, "query %d", b);
		for (int k = 0; k < n && k < 4; k++) {
			cr_assert_eq(out[b * 4 + k].id, one[k].id);
			cr_assert_eq(out[b * 4 + k].edit, one[k].edit);
		}
	}
}

static size_t rnd(uint64_t *r, size_t n)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return (size_t)((*r >> 11) % n);
}

/* Is e within one edit of q? Sets the kind of edit (brute force). */
static bool one_edit(const token_id *q, size_t n, const token_id *e, size_t len,
		     enum bdindex_edit *edit)
{
	size_t i = 0;

	if (len == n) {
		size_t diff = 0;

		for (size_t k = 0; k < n; k++)
			diff += q[k] != e[k];
		*edit = diff ? BDINDEX_SUBST : BDINDEX_EXACT;
		return diff <= 1;
	}
	if (len + 1 == n || n + 1 == len) { /* the longer minus one token */
		const token_id *lo = len < n ? e : q, *hi = len < n ? q : e;
		size_t ln = len < n ? len : n;

		while (i < ln && lo[i] == hi[i])
			i++;
		for (; i < ln; i++)
			if (lo[i] != hi[i + 1])
				return false;
		*edit = len < n ? BDINDEX_EXTRA : BDINDEX_MISSING;
		return true;
	}
	return false;
}

/* A random database (24 tokens, lengths 2..8, some entries replaced or
 * removed; dense enough that a query has many candidates, not so dense
 * that one exceeds the lookup's candidate bound): every lookup, single and batched, reports exactly the
 * entries a brute-force comparison finds within one edit, with the same
 * kind of edit. */
Test(bdindex, lookups_find_exactly_what_brute_force_finds)
{
	enum { N = 3000, V = 24, Q = 640 };
	static token_id ent[N + 1][BDINDEX_MAX_LEN];
	static size_t elen[N + 1];
	static bool gone[N + 1];
	static struct bdindex_match out[BDINDEX_BATCH_MAX * 64];
	uint64_t r = 0x1234567887654321ull;

	for (int i = 1; i <= N; i++) {
		elen[i] = 2 + rnd(&r, BDINDEX_MAX_LEN - 1);
		for (size_t k = 0; k < elen[i]; k++)
			ent[i][k] = (token_id)(1 + rnd(&r, V) * 7); /* some tokens > 12 bits apart */
		if (i % 97 == 0)
			ent[i][0] = 60000; /* a few in the token arena */
		cr_assert_eq(bdindex_add(idx, i, ent[i], elen[i], 0.5, 0.5, BD_LABEL_GOOD), 0);
	}
	for (int i = 1; i <= N; i += 13) { /* replace: same id, new tokens */
		ent[i][elen[i] - 1] = (token_id)(1 + rnd(&r, V) * 7);
		cr_assert_eq(bdindex_add(idx, i, ent[i], elen[i], 0.5, 0.5, BD_LABEL_GOOD), 0);
	}
	for (int i = 5; i <= N; i += 17) {
		cr_assert_eq(bdindex_remove(idx, i), 0);
		gone[i] = true;
	}
	for (int b0 = 0; b0 < Q; b0 += BDINDEX_BATCH_MAX) {
		token_id q[BDINDEX_BATCH_MAX][BDINDEX_MAX_LEN + 1];
		const token_id *qs[BDINDEX_BATCH_MAX];
		size_t ns[BDINDEX_BATCH_MAX];
		int counts[BDINDEX_BATCH_MAX];

		for (int b = 0; b < BDINDEX_BATCH_MAX; b++) {
			const int src = 1 + (int)rnd(&r, N);

			ns[b] = elen[src] + (b % 3 == 1) - (b % 3 == 2 && elen[src] > 2);
			for (size_t k = 0; k < ns[b]; k++)
				q[b][k] = k < elen[src] ? ent[src][k] : (token_id)(1 + rnd(&r, V) * 7);
			if (b % 4 == 0)
				q[b][rnd(&r, ns[b])] = (token_id)(1 + rnd(&r, V) * 7);
			qs[b] = q[b];
		}
		cr_assert_eq(bdindex_lookup_fuzzy_batch(idx, qs, ns, BDINDEX_BATCH_MAX, out, 64,
							counts), 0);
		for (int b = 0; b < BDINDEX_BATCH_MAX; b++) {
			struct bdindex_match one[64];
			int want = 0, n = bdindex_lookup_fuzzy(idx, qs[b], ns[b], one, 64);

			cr_assert_eq(n, counts[b]);
			cr_assert_leq(n, 64);
			for (int i = 1; i <= N; i++) {
				enum bdindex_edit edit;
				const struct bdindex_match *f;

				if (gone[i] || !one_edit(qs[b], ns[b], ent[i], elen[i], &edit))
					continue;
				want++;
				f = find_id(one, n, i);
				cr_assert_not_null(f, "query %d misses entry %d", b0 + b, i);
				cr_assert_eq(f->edit, edit, "query %d entry %d", b0 + b, i);
				cr_assert_not_null(find_id(out + b * 64, counts[b], i));
			}
			cr_assert_eq(n, want, "query %d: %d matches, brute force %d", b0 + b, n, want);
		}
	}
}

/* A short query can share its deletion key with very many entries (here
 * the key "7" of 100 2-grams "7 x"): past the lookup's candidate bound they
 * are verified in place instead of being dropped. */
Test(bdindex, a_query_with_very_many_candidates_finds_every_match)
{
	static struct bdindex_match m[32];
	token_id q[2] = { 7, 999 };

	for (int i = 0; i < 100; i++) {
		token_id s[2] = { 7, (token_id)(1000 + i) };

		cr_assert_eq(bdindex_add(idx, i + 1, s, 2, 0.5, 0.5, BD_LABEL_GOOD), 0);
	}
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, 2, m, 32), 100);
	for (int k = 0; k < 32; k++)
		cr_assert_eq(m[k].edit, BDINDEX_SUBST);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* More matches than the caller keeps: the best are kept (exact, then
 * similarity x confidence, then the lower id), not the first the hash table
 * yields. So what a lookup keeps is the same whatever ids the tokens got:
 * here the same entries under token ids shifted by 7 (a vocabulary with
 * more tokens before the dataset's own). */
Test(bdindex, past_max_the_best_matches_are_kept_whatever_the_token_ids)
{
	static struct bdindex_match m[16];
	struct bdindex *shifted;
	int64_t want[16], got[2][16];

	cr_assert_eq(bdindex_create(tok, &shifted), 0);
	for (int pass = 0; pass < 2; pass++) {
		struct bdindex *ix = pass ? shifted : idx;
		token_id base = pass ? 7 : 0, q[3] = { base + 300, base + 301, base + 302 };

		for (int i = 0; i < 100; i++) {
			/* one substitution from the query each; every third one is
			 * surer, and entries of equal weight differ only by id */
			token_id e[3] = { base + 300, base + 301, (token_id)(base + 400 + i) };

			cr_assert_eq(bdindex_add(ix, i + 1, e, 3, 0.9, i % 3 ? 0.5 : 0.8,
						 BD_LABEL_MALICIOUS), 0);
		}
		cr_assert_eq(bdindex_lookup_fuzzy(ix, q, 3, m, 16), 100);
		for (int k = 0; k < 16; k++)
			got[pass][k] = m[k].id;
	}
	/* confidence 0.8: ids 1, 4, 7, ... (34 of them): the 16 lowest */
	for (int k = 0; k < 16; k++)
		want[k] = 1 + 3 * k;
	for (int pass = 0; pass < 2; pass++) {
		qsort(got[pass], 16, sizeof(int64_t), cmp_id);
		for (int k = 0; k < 16; k++)
			cr_assert_eq(got[pass][k], want[k], "pass %d, match %d: id %lld", pass, k,
				     (long long)got[pass][k]);
	}
	bdindex_free(shifted);
}

/* Past the candidate bound, a query with two equal neighbouring tokens
 * ("7 7 8") leaves the same sequence out at two positions: the entry "7 8"
 * it holds one extra token of is still one match, not two. */
Test(bdindex, a_repeated_token_reports_an_extra_token_match_once_past_the_bound)
{
	static struct bdindex_match m[128];
	token_id q[3] = { 7, 7, 8 }, e2[2] = { 7, 8 };
	int n, extra = 0;

	for (int i = 0; i < 100; i++) { /* "x 7 8": a substitution of q at 0 */
		token_id s[3] = { (token_id)(1000 + i), 7, 8 };

		cr_assert_eq(bdindex_add(idx, i + 1, s, 3, 0.5, 0.5, BD_LABEL_GOOD), 0);
	}
	cr_assert_eq(bdindex_add(idx, 1000, e2, 2, 0.5, 0.5, BD_LABEL_GOOD), 0);
	n = bdindex_lookup_fuzzy(idx, q, 3, m, 128);
	cr_assert_eq(n, 101);
	for (int k = 0; k < n; k++)
		extra += m[k].id == 1000;
	cr_assert_eq(extra, 1);
}

/* Version v of entry id: ids differ in their first two tokens, versions in
 * the third. */
static void versioned(int64_t id, int v, token_id s[4])
{
	s[0] = (token_id)(id % 50);
	s[1] = (token_id)(50 + id / 50);
	s[2] = (token_id)(100 + v);
	s[3] = (token_id)(150 + id % 13);
}

/* Version v of id as a len-token entry: 4 tokens fit in the record; 8 with
 * one past 255 do not, and keep their tokens in the token arena. */
static void versioned_len(int64_t id, int v, size_t len, token_id s[8])
{
	memset(s, 0, 8 * sizeof(*s));
	versioned(id, v, s);
	if (len == 8)
		s[4] = (token_id)(256 + v);
}

/* Replace every one of 150 k entries six times; the index must not grow
 * after the second round, and each id keeps exactly its newest version. */
static void replace_rounds(size_t len)
{
	enum { N = 150000 };
	struct bdindex_match m[4];
	size_t mem = 0;

	for (int v = 0; v < 6; v++) {
		for (int64_t id = 1; id <= N; id++) {
			token_id s[8];

			versioned_len(id, v, len, s);
			cr_assert_eq(bdindex_add(idx, id, s, len, 0.5 + v / 20.0, 0.5,
						 BD_LABEL_MALICIOUS), 0);
		}
		if (v == 1)
			mem = bdindex_memory(idx);
	}
	cr_assert_leq(bdindex_memory(idx), mem, "the index grew from %zu to %zu bytes", mem,
		      bdindex_memory(idx));
	cr_assert_eq(bdindex_count(idx), N);
	for (int64_t id = 1; id <= N; id += 101) {
		token_id old[8], cur[8];

		versioned_len(id, 4, len, old);
		versioned_len(id, 5, len, cur);
		cr_assert_eq(bdindex_lookup_exact(idx, old, len, m), 0,
			     "id %lld kept an old version", (long long)id);
		cr_assert_eq(bdindex_lookup_exact(idx, cur, len, m), 1, "id %lld", (long long)id);
		cr_assert_eq(m[0].id, id);
		cr_assert_arr_eq(m[0].seq, cur, len * sizeof(*cur));
		cr_assert_float_eq(m[0].risk, 0.75, 1e-3);
	}
}

/* A replaced entry's record is reused once no reader can hold it, so
 * replacing entries again and again (a resync, resubmissions) does not grow
 * the index. Without reuse: 7 record chunks of 131072 more. */
Test(bdindex, replaced_entries_records_are_reused)
{
	replace_rounds(4);
}

/* A reused record gives back its room in the token arena too. Without:
 * 1.2 M arena tokens a round, a 2 MiB chunk more per 1 M of them. */
Test(bdindex, replaced_wide_entries_arena_is_reused)
{
	replace_rounds(8);
}

/* Readers look up entries while the writer replaces them over and over, so
 * records are unlinked and reused under them: every match a reader sees must
 * be a version of the id it carries (a record reused too early would show
 * one entry's id with another's tokens) and within one edit of the query.
 * 8-token entries with tokens past 255 keep their tokens in the arena,
 * whose room is reused with the record. */
enum { RACE_IDS = 3000 };
static size_t race_len;

static void race_seq(int64_t id, int v, token_id s[8])
{
	versioned(id, v, s);
	for (int i = 4; i < 8; i++)
		s[i] = (token_id)(256 + (id + i) % 40);
}

static void *racing_reader(void *arg)
{
	uint64_t r = (uintptr_t)arg;
	struct bdindex_match m[16];
	size_t len = race_len;

	while (!atomic_load(&stop)) {
		int64_t id = 1 + (int64_t)rnd(&r, RACE_IDS);
		token_id q[8];
		int n;

		race_seq(id, (int)rnd(&r, 2), q);
		n = bdindex_lookup_fuzzy(idx, q, len, m, 16);
		for (int i = 0; i < n && i < 16; i++) {
			token_id a[8], b[8];
			enum bdindex_edit edit;

			race_seq(m[i].id, 0, a);
			race_seq(m[i].id, 1, b);
			if (m[i].len != len ||
			    (memcmp(m[i].seq, a, len * sizeof(*a)) &&
			     memcmp(m[i].seq, b, len * sizeof(*b))) ||
			    !one_edit(q, len, m[i].seq, len, &edit))
				atomic_fetch_add(&reader_errors, 1);
		}
	}
	return NULL;
}

static void race(size_t len)
{
	pthread_t th[2];

	race_len = len;
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, racing_reader,
					    (void *)(uintptr_t)(i * 7919 + 1)), 0);
	for (int round = 0; round < 40; round++) {
		bool removes = round % 5 == 4;

		for (int64_t id = 1; id <= RACE_IDS; id++) {
			token_id s[8];

			race_seq(id, round % 2, s);
			if (removes && id % 3 == 0)
				cr_assert_eq(bdindex_remove(idx, id), 0);
			else
				cr_assert_eq(bdindex_add(idx, id, s, len, 0.9, 0.5,
							 BD_LABEL_MALICIOUS), 0);
		}
		/* no two entries were given the same room: each has its own */
		for (int64_t id = 1; id <= RACE_IDS; id++) {
			struct bdindex_match m[2];
			token_id s[8];
			bool removed = removes && id % 3 == 0;

			race_seq(id, round % 2, s);
			cr_assert_eq(bdindex_lookup_exact(idx, s, len, m), !removed,
				     "round %d: id %lld", round, (long long)id);
			if (!removed)
				cr_assert_arr_eq(m[0].seq, s, len * sizeof(*s));
		}
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(atomic_load(&reader_errors), 0, "%ld matches of a wrong record",
		     atomic_load(&reader_errors));
}

Test(bdindex, readers_never_see_a_reused_record_of_another_entry)
{
	race(4);
}

Test(bdindex, readers_never_see_reused_arena_tokens_of_another_entry)
{
	race(8);
}
