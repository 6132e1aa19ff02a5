/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* sequence_match_score (docs/scoring.md): every window position takes its
 * best fuzzy match per entry length; each matched entry adds its log-odds,
 * weighted by confidence and a sublinear count of its similarity-weighted
 * occurrences, so benign entries (risk < 0.5) pull the sum down; the
 * database decides whether the sum is normalised (L2) over the window; the
 * result is squashed to 0..1. Runtime, `score` and `eval` all call this. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "score/seqscore.h"
#include "lib/util.h"

#define PER_QUERY 64  /* matches kept per query */
#define CAND_MAX 192  /* matches kept per window position */

double seqscore_logit(double risk)
{
	double l;

	if (risk <= 0)
		return -SEQSCORE_LOGIT_MAX;
	if (risk >= 1)
		return SEQSCORE_LOGIT_MAX;
	l = log(risk / (1 - risk));
	return fmax(-SEQSCORE_LOGIT_MAX, fmin(SEQSCORE_LOGIT_MAX, l));
}

double seqscore_squash(double logodds)
{
	return logodds > 0 ? tanh(logodds / 2) : 0;
}

/* Every distinct entry matched in the window, by id (open addressing). */
struct acc {
	struct seqscore_match sm; /* sm.count: positions; sm.m: first match */
	double S;                 /* summed similarity of its occurrences */
	bool used;
	bool near_malicious;      /* a good entry with an occurrence on malicious calls */
};

/* Where an entry was kept: [pos, pos + len) of the window. */
struct occurrence {
	struct acc *a;
	uint32_t pos, len;
};

struct accmap {
	struct acc *a;
	size_t cap, n;
};

static struct acc *acc_add(struct accmap *m, const struct bdindex_match *bm, uint32_t pos)
{
	size_t i = (size_t)(((uint64_t)bm->id * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);

	while (m->a[i].used && m->a[i].sm.m.id != bm->id)
		i = (i + 1) & (m->cap - 1);
	if (!m->a[i].used) {
		m->a[i].used = true;
		m->a[i].sm.m = *bm;
		m->a[i].sm.pos = pos;
		m->n++;
	}
	m->a[i].sm.count++;
	m->a[i].S += bm->similarity;
	return &m->a[i];
}

static bool is_malicious(const struct acc *a)
{
	return a->sm.m.risk > 0.5;
}

/* A good entry explains the calls it covers and no others: it may weigh
 * against a malicious match only where their occurrences share a call.
 * Marks the good entries that do. */
static int mark_good_near_malicious(const struct occurrence *occ, size_t nocc, size_t n)
{
	uint8_t *bad = calloc(n ? n : 1, 1);

	if (!bad)
		return -ENOMEM;
	for (size_t k = 0; k < nocc; k++)
		if (is_malicious(occ[k].a))
			memset(bad + occ[k].pos, 1, occ[k].len);
	for (size_t k = 0; k < nocc; k++) {
		struct acc *a = occ[k].a;

		for (uint32_t i = occ[k].pos; !is_malicious(a) && i < occ[k].pos + occ[k].len; i++)
			if (bad[i]) {
				a->near_malicious = true;
				break;
			}
	}
	free(bad);
	return 0;
}

/* Sublinear count: one occurrence counts 1, many grow like the logarithm
 * of a logarithm (smooth at 1). On ADFA-LD this saturation ranked traces
 * better than 1 + ln S in 11 of 12 evaluations (docs/scoring.md): how
 * often a known n-gram repeats says less than which n-grams there are. */
double seqscore_count_weight(double S)
{
	return S <= 1 ? S : 1 + log(1 + log(S));
}

/* Query lengths: entries of length L match queries of L-1, L and L+1. */
static uint32_t query_lengths(uint32_t lengths)
{
	uint32_t q = lengths | lengths << 1 | lengths >> 1;

	q &= ((1u << (BDINDEX_MAX_LEN + 2)) - 1) & ~3u; /* 2 .. MAX+1 */
	return q;
}

/* Window positions looked up in one batch: up to BATCH_QUERIES queries
 * (a position makes one per entry length L-1..L+1), so the memory accesses
 * of several positions overlap (bdindex_lookup_fuzzy_batch). Measured on a
 * 1 M-entry database, 32-token windows: 8.7 us a window with one position a
 * batch, 7.9 with 8 queries, 7.2 with 16. The batch's match buffer (90 KB)
 * is on the stack: on the heap, allocated per window, it cost more than it
 * saved (glibc trims the heap top after each free). */
#define BATCH_QUERIES 16
#define RING_MAX (BATCH_QUERIES + 2)

/* All matches of any query starting at positions first .. first+npos-1, in
 * one batched lookup: position i's go to ring[i % nring], their number to
 * nc[i % nring]. */
static int candidates(const struct bdindex *idx, const token_id *seq, size_t n, size_t first,
		      size_t npos, uint32_t ql, struct bdindex_match (*ring)[CAND_MAX], size_t *nc,
		      size_t nring, struct bdindex_match *buf)
{
	const token_id *qs[BDINDEX_BATCH_MAX];
	size_t ns[BDINDEX_BATCH_MAX], at[BDINDEX_BATCH_MAX], nq = 0;
	int counts[BDINDEX_BATCH_MAX], ret;

	for (size_t i = first; i < first + npos; i++) {
		nc[i % nring] = 0;
		for (uint32_t L = 2; L <= BDINDEX_MAX_LEN + 1 && i < n; L++)
			if ((ql & (1u << L)) && i + L <= n) {
				qs[nq] = seq + i;
				ns[nq] = L;
				at[nq++] = i;
			}
	}
	if (!nq)
		return 0;
	ret = bdindex_lookup_fuzzy_batch(idx, qs, ns, nq, buf, PER_QUERY, counts);
	if (ret)
		return ret;
	for (size_t q = 0; q < nq; q++) {
		size_t r = at[q] % nring;

		for (int k = 0; k < counts[q] && k < PER_QUERY && nc[r] < CAND_MAX; k++)
			ring[r][nc[r]++] = buf[q * PER_QUERY + (size_t)k];
	}
	return 0;
}

static bool beaten(const struct bdindex_match *c, size_t n, int64_t id, double s, bool or_equal)
{
	for (size_t j = 0; j < n; j++)
		if (c[j].id == id && (c[j].similarity > s || (or_equal && c[j].similarity == s)))
			return true;
	return false;
}

int seqscore_window(const struct bdindex *idx, const token_id *seq, size_t n,
		    struct seqscore_result *res)
{
	struct bdindex_params p;
	uint32_t el = bdindex_lengths(idx), ql = query_lengths(el);
	double num = 0, den = 0, U = 0, w;
	struct accmap am = { .cap = 64 };
	struct occurrence *occ = NULL;
	size_t nocc = 0;
	double num_m = 0, den_m = 0;
	bool any_malicious = false;
	struct bdindex_match (*cand)[CAND_MAX], buf[BATCH_QUERIES * PER_QUERY];
	/* positions per batch; the ring holds them and the two around */
	size_t npos = BATCH_QUERIES / (size_t)(__builtin_popcount(ql) ? __builtin_popcount(ql) : 1);
	size_t nring = npos + 2, fetched = 0, nc[RING_MAX] = { 0 };
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if (n && !seq)
		return -EINVAL;
	while (am.cap < 2 * n * (size_t)__builtin_popcount(el) + 64)
		am.cap *= 2;
	am.a = calloc(am.cap, sizeof(*am.a));
	cand = malloc(nring * sizeof(*cand));
	occ = malloc((n ? n : 1) * (size_t)__builtin_popcount(el) * sizeof(*occ) + sizeof(*occ));
	if (!am.a || !cand || !occ) {
		free(am.a);
		free(cand);
		free(occ);
		return -ENOMEM;
	}
	bdindex_params_get(idx, &p);
	/* cand[i % nring] holds position i's matches; i-1 and i+1 are its
	 * neighbours: one occurrence of an entry also matches its neighbour
	 * positions with an edit, and must count once */
	for (size_t i = 0; i < n && !ret; i++) {
		bool matched = false;
		const struct bdindex_match *cur = cand[i % nring], *prev = cand[(i + nring - 1) % nring];
		const struct bdindex_match *best[BDINDEX_MAX_LEN + 1] = { NULL };
		const struct bdindex_match *next = cand[(i + 1) % nring];
		size_t ncur, nprev = i ? nc[(i + nring - 1) % nring] : 0, nnext;

		while (!ret && fetched <= i + 1) { /* positions up to i + 1 are needed */
			ret = candidates(idx, seq, n, fetched, npos, ql, cand, nc, nring, buf);
			fetched += npos;
		}
		if (ret)
			break;
		nnext = nc[(i + 1) % nring];
		ncur = nc[i % nring];
		for (size_t j = 0; j < ncur; j++) {
			const struct bdindex_match *m = &cur[j];

			if (m->similarity < SEQSCORE_MIN_SIMILARITY - 1e-9)
				continue;
			if (m->edit != BDINDEX_EXACT &&
			    (beaten(prev, nprev, m->id, m->similarity, true) ||
			     beaten(next, nnext, m->id, m->similarity, false)))
				continue;
			/* an exact match always wins: the n-gram itself is known */
			if (!best[m->len] || bdindex_match_better(m, best[m->len]))
				best[m->len] = m;
		}
		res->positions++;
		/* one best match per entry length: n-grams of several lengths
		 * are several views of the position (back-off is learnt) */
		for (uint32_t L = BDINDEX_MIN_LEN; L <= BDINDEX_MAX_LEN; L++) {
			if (!(el & (1u << L)))
				continue;
			if (best[L]) {
				matched = true;
				occ[nocc++] = (struct occurrence){ acc_add(&am, best[L], (uint32_t)i),
								   (uint32_t)i,
								   (uint32_t)(i + L <= n ? L : n - i) };
				U += 1 - best[L]->similarity;
			} else if (i + L <= n) {
				U += 1;
			}
		}
		res->matched += matched;
	}
	free(cand);
	if (!ret)
		ret = mark_good_near_malicious(occ, nocc, n);
	free(occ);
	if (ret) {
		free(am.a);
		return ret;
	}
	/* L = (sum_e w_e l_e + w_u u_l) / (1 + gamma * ||w||_2) */
	for (size_t k = 0; k < am.cap; k++) {
		struct acc *a = &am.a[k];

		if (!a->used)
			continue;
		w = a->sm.m.confidence * seqscore_count_weight(a->S);
		a->sm.evidence = w * seqscore_logit(a->sm.m.risk);
		num += a->sm.evidence;
		den += w * w;
		any_malicious |= is_malicious(a);
		if (is_malicious(a) || a->near_malicious) {
			num_m += a->sm.evidence;
			den_m += w * w;
		}
	}
	w = p.unknown_weight * seqscore_count_weight(U);
	num += w * p.unknown_logit;
	den += w * w;
	res->logodds_window = num / (1 + p.length_norm * sqrt(den));
	res->logodds_malicious = num_m / (1 + p.length_norm * sqrt(den_m));
	/* boilerplate elsewhere in the window cannot outvote a malicious match */
	res->logodds = any_malicious ? fmax(res->logodds_window, res->logodds_malicious)
				     : res->logodds_window;
	res->score = seqscore_squash(res->logodds);
	/* explanation: the entries with the largest |evidence| */
	for (size_t k = 0; k < SEQSCORE_TOP; k++) {
		struct acc *b = NULL;

		for (size_t i = 0; i < am.cap; i++)
			if (am.a[i].used && (!b || fabs(am.a[i].sm.evidence) > fabs(b->sm.evidence)))
				b = &am.a[i];
		if (!b)
			break;
		res->top[res->ntop++] = b->sm;
		b->used = false;
	}
	free(am.a);
	return 0;
}

static const char *edit_name(enum bdindex_edit e)
{
	static const char *names[] = { "exact", "substitution", "extra", "missing" };

	return (unsigned)e < ARRAY_SIZE(names) ? names[e] : "?";
}

json_t *seqscore_result_to_json(const struct seqscore_result *res, const struct tokens *tok)
{
	json_t *o = json_pack("{s:f, s:f, s:f, s:f, s:I, s:I}", "score", res->score,
			      "logodds", res->logodds, "logodds_window", res->logodds_window,
			      "logodds_malicious", res->logodds_malicious,
			      "positions", (json_int_t)res->positions,
			      "matched", (json_int_t)res->matched);
	json_t *arr = json_array();

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < res->ntop; i++) {
		const struct seqscore_match *sm = &res->top[i];
		json_t *seq = json_array();

		for (size_t j = 0; j < sm->m.len; j++) {
			const char *name = tokens_name(tok, sm->m.seq[j]);

			json_array_append_new(seq, json_string(name ? name : "?"));
		}
		json_array_append_new(arr, json_pack("{s:I, s:o, s:f, s:f, s:f, s:s, s:s, s:I, s:I, s:f}",
			"id", (json_int_t)sm->m.id, "sequence", seq,
			"similarity", sm->m.similarity, "risk", sm->m.risk,
			"confidence", sm->m.confidence,
			"label", sm->m.label == BD_LABEL_MALICIOUS ? "malicious" : "good",
			"edit", edit_name(sm->m.edit), "position", (json_int_t)sm->pos,
			"count", (json_int_t)sm->count, "evidence", sm->evidence));
	}
	json_object_set_new(o, "matches", arr);
	return o;
}
