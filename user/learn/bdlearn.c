/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* n-gram statistics of labelled traces and the entries they make. Counts are
 * per trace (document frequency) and per class, so one long trace cannot
 * outvote many short ones and the two classes weigh the same whatever their
 * sizes. How often a trace brings an n-gram no other trace has (novelty)
 * becomes the evidence of an unknown n-gram at scoring time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "learn/bdlearn.h"
#include "score/seqscore.h"

struct gram {
	token_id seq[BDINDEX_MAX_LEN];
	uint8_t len;
	uint32_t used;       /* 0: empty slot, else gram id + 1 */
	uint32_t last_trace; /* trace that counted it last (df once per trace) */
	uint32_t df[2];      /* traces containing it, per label */
	uint32_t cnt[2];     /* occurrences, per label */
	double tf[2];        /* sum over traces of its share of the trace */
};

/* A trace as (gram id, count) pairs, kept for the discriminative fit. */
struct tvec {
	uint32_t off, n; /* into bdlearn.pairs */
	uint8_t label;
};

struct bdlearn {
	struct bdlearn_opts o;
	struct gram *g;
	size_t nslots, ngrams;
	uint32_t traces[2];
	uint64_t positions[2];
	struct tvec *tv;
	size_t ntv, captv;
	uint32_t (*pairs)[2];
	size_t npairs, cappairs;
	double *logit; /* fitted evidence per gram id (NULL: not fitted) */
};

static int add_grams(struct bdlearn *l, const token_id *seq, size_t n, enum bd_label label);

static uint64_t gram_hash(const token_id *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

int bdlearn_opt(struct bdlearn_opts *o, int opt, const char *arg, char *err, size_t errlen)
{
	static const char *const names[] = { "alpha", "fit", "fit-rate", "fit-l2" };
	double *dst[] = { &o->alpha, NULL, &o->fit_rate, &o->fit_l2 };
	char *end;
	int k = opt - BDLEARN_OPT_BASE;

	if (opt == 'n') { /* N or MIN-MAX */
		unsigned long lo = strtoul(arg, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (*end || lo < BDINDEX_MIN_LEN || hi > BDINDEX_MAX_LEN || lo > hi) {
			snprintf(err, errlen, "--ngram must be N or MIN-MAX within %d..%d",
				 BDINDEX_MIN_LEN, BDINDEX_MAX_LEN);
			return -EINVAL;
		}
		o->n_min = lo;
		o->n = hi;
		return 0;
	}
	if (k < 0 || k > 3)
		return 1;
	if (!dst[k]) {
		unsigned long v;

		/* strtoul would take "-1" as ULONG_MAX steps */
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (*end || !*arg || *arg == '-' || errno || v > BDLEARN_FIT_MAX) {
			snprintf(err, errlen, "--fit must be a number of steps in 0..%d",
				 BDLEARN_FIT_MAX);
			return -EINVAL;
		}
		o->fit_iters = v;
		return 0;
	}
	*dst[k] = strtod(arg, &end);
	/* inf or a huge rate made the fit NaN, which its clamp turned into
	 * risk 0.999 for every n-gram, normal ones included */
	if (*end || !*arg || !isfinite(*dst[k]) || !(*dst[k] >= 0) ||
	    (k != 3 && !(*dst[k] > 0)) || (k == 2 && *dst[k] > BDLEARN_RATE_MAX)) {
		if (k == 2)
			snprintf(err, errlen, "--fit-rate must be a number above 0, at most %g",
				 BDLEARN_RATE_MAX);
		else
			snprintf(err, errlen, "--%s must be a finite number%s", names[k],
				 k == 3 ? ", 0 or more" : " above 0");
		return -EINVAL;
	}
	return 0;
}

int bdlearn_create(const struct bdlearn_opts *o, struct bdlearn **out)
{
	struct bdlearn *l;

	if (o->n < BDINDEX_MIN_LEN || o->n > BDINDEX_MAX_LEN || o->n_min > o->n ||
	    (o->n_min && o->n_min < BDINDEX_MIN_LEN) || !(o->alpha > 0))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->o = *o;
	l->nslots = 1 << 12;
	l->g = calloc(l->nslots, sizeof(*l->g));
	if (!l->g) {
		free(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

void bdlearn_free(struct bdlearn *l)
{
	if (!l)
		return;
	free(l->g);
	free(l->tv);
	free(l->pairs);
	free(l->logit);
	free(l);
}

static struct gram *slot(struct gram *g, size_t nslots, const token_id *s, size_t n)
{
	size_t i = gram_hash(s, n) & (nslots - 1);

	while (g[i].used && (g[i].len != n || memcmp(g[i].seq, s, n * sizeof(*s))))
		i = (i + 1) & (nslots - 1);
	return &g[i];
}

static int grow(struct bdlearn *l)
{
	size_t n = l->nslots * 2;
	struct gram *g = calloc(n, sizeof(*g));

	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < l->nslots; i++)
		if (l->g[i].used)
			*slot(g, n, l->g[i].seq, l->g[i].len) = l->g[i];
	free(l->g);
	l->g = g;
	l->nslots = n;
	return 0;
}

static int push_gid(struct bdlearn *l, uint32_t gid)
{
	if (l->npairs == l->cappairs) {
		size_t c = l->cappairs ? l->cappairs * 2 : 1 << 16;
		uint32_t (*p)[2] = realloc(l->pairs, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->pairs = p;
		l->cappairs = c;
	}
	l->pairs[l->npairs][0] = gid;
	l->pairs[l->npairs][1] = 1;
	l->npairs++;
	return 0;
}

static int cmp_pair(const void *a, const void *b)
{
	uint32_t x = ((const uint32_t *)a)[0], y = ((const uint32_t *)b)[0];

	return (x > y) - (x < y);
}

/* Sort the trace's gram ids and fold repeats into counts. */
static int close_trace(struct bdlearn *l, size_t start, int label)
{
	size_t w = start;

	qsort(l->pairs + start, l->npairs - start, sizeof(*l->pairs), cmp_pair);
	for (size_t r = start; r < l->npairs; r++) {
		if (w > start && l->pairs[w - 1][0] == l->pairs[r][0])
			l->pairs[w - 1][1]++;
		else
			memcpy(l->pairs[w++], l->pairs[r], sizeof(*l->pairs));
	}
	l->npairs = w;
	if (l->ntv == l->captv) {
		size_t c = l->captv ? l->captv * 2 : 1024;
		struct tvec *t = realloc(l->tv, c * sizeof(*t));

		if (!t)
			return -ENOMEM;
		l->tv = t;
		l->captv = c;
	}
	l->tv[l->ntv++] = (struct tvec){ (uint32_t)start, (uint32_t)(w - start), (uint8_t)label };
	return 0;
}

int bdlearn_add_trace(struct bdlearn *l, const token_id *seq, size_t n, enum bd_label label)
{
	size_t start = l->npairs;
	int ret = add_grams(l, seq, n, label);

	if (!ret && l->o.fit_iters)
		ret = close_trace(l, start, label == BD_LABEL_MALICIOUS);
	free(l->logit);
	l->logit = NULL;
	return ret;
}

static int add_grams(struct bdlearn *l, const token_id *seq, size_t n, enum bd_label label)
{
	int c = label == BD_LABEL_MALICIOUS;
	uint32_t trace = l->traces[0] + l->traces[1] + 1;

	if (label != BD_LABEL_GOOD && label != BD_LABEL_MALICIOUS)
		return -EINVAL;
	l->traces[c]++;
	for (size_t len = l->o.n_min ? l->o.n_min : l->o.n; len <= l->o.n; len++) {
		size_t grams = n >= len ? n - len + 1 : 0;

		l->positions[c] += grams;
		for (size_t i = 0; i < grams; i++) {
			struct gram *g;

			if ((l->ngrams + 1) * 2 > l->nslots) {
				int ret = grow(l);

				if (ret)
					return ret;
			}
			g = slot(l->g, l->nslots, seq + i, len);
			if (!g->used) {
				memcpy(g->seq, seq + i, len * sizeof(*seq));
				g->len = (uint8_t)len;
				g->used = (uint32_t)++l->ngrams;
			}
			if (l->o.fit_iters && push_gid(l, g->used - 1))
				return -ENOMEM;
			if (g->last_trace != trace) {
				g->last_trace = trace;
				g->df[c]++;
			}
			g->cnt[c]++;
			g->tf[c] += 1.0 / (double)grams;
		}
	}
	return 0;
}

size_t bdlearn_traces(const struct bdlearn *l, enum bd_label label)
{
	return l->traces[label == BD_LABEL_MALICIOUS];
}

/* risk: smoothed, class-balanced share of the n-gram's trace frequency that
 * is malicious; confidence: support / (support + k). */
static void gram_entry(const struct bdlearn *l, const struct gram *g, struct bdlearn_entry *e)
{
	double fn = l->traces[0] ? (double)g->df[0] / l->traces[0] : 0;
	double fm = l->traces[1] ? (double)g->df[1] / l->traces[1] : 0;
	double support = (double)g->df[0] + g->df[1];
	double ntr = (double)l->traces[0] + l->traces[1];

	e->seq = g->seq;
	e->len = g->len;
	e->risk = (fm + l->o.alpha) / (fm + fn + 2 * l->o.alpha);
	/* specificity: inverse document frequency over all training traces,
	 * scaled so an n-gram seen in one trace has confidence ~1 */
	e->confidence = (log((1 + ntr) / (1 + support)) + 1) / (log((1 + ntr) / 2) + 1);
	if (e->confidence > 1)
		e->confidence = 1;
	if (l->logit)
		e->risk = 1 / (1 + exp(-l->logit[g->used - 1]));
	e->label = e->risk > 0.5 ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD;
}

/* Discriminative fit: the log-odds of every n-gram's risk is fitted so that
 * the scorer's own L (exact matches, length_norm 1) separates the labelled
 * traces under a class-balanced logistic loss, from zero with a light L2
 * penalty towards zero. Adam, full batch; the default 1000 steps reach what
 * a converged solver (L-BFGS) reaches on ADFA-LD (docs/scoring.md). */
static int fit(struct bdlearn *l, void (*step)(size_t done, void *arg), void *arg)
{
	size_t ng = l->ngrams;
	double *lg = calloc(ng, sizeof(double));
	double *conf = calloc(ng, sizeof(double)), *grad = calloc(ng, sizeof(double));
	double *m1 = calloc(ng, sizeof(double)), *m2 = calloc(ng, sizeof(double));
	double b = 0, bm1 = 0, bm2 = 0, cw[2];
	int ret = -ENOMEM;

	if (!lg || !conf || !grad || !m1 || !m2)
		goto out;
	for (size_t i = 0; i < l->nslots; i++) {
		struct bdlearn_entry e;

		if (!l->g[i].used)
			continue;
		gram_entry(l, &l->g[i], &e);
		conf[l->g[i].used - 1] = e.confidence;
	}
	for (int c = 0; c < 2; c++)
		cw[c] = l->traces[c] ? 0.5 * (double)l->ntv / l->traces[c] : 0;
	for (size_t it = 1; it <= l->o.fit_iters; it++) {
		double gb = 0, lr = l->o.fit_rate;

		memset(grad, 0, ng * sizeof(double));
		for (size_t t = 0; t < l->ntv; t++) {
			const struct tvec *tv = &l->tv[t];
			double den = 0, z = b, p;

			/* the scorer's features: c * f(count) / (1 + ||c * f(count)||) */
			for (uint32_t k = 0; k < tv->n; k++) {
				double w = conf[l->pairs[tv->off + k][0]] *
					   seqscore_count_weight(l->pairs[tv->off + k][1]);

				den += w * w;
			}
			den = 1 + sqrt(den);
			for (uint32_t k = 0; k < tv->n; k++) {
				uint32_t gid = l->pairs[tv->off + k][0];

				z += seqscore_count_weight(l->pairs[tv->off + k][1]) * conf[gid] *
				     lg[gid] / den;
			}
			p = 1 / (1 + exp(-z));
			p = (p - tv->label) * cw[tv->label] / (double)l->ntv;
			gb += p;
			for (uint32_t k = 0; k < tv->n; k++) {
				uint32_t gid = l->pairs[tv->off + k][0];

				grad[gid] += p * seqscore_count_weight(l->pairs[tv->off + k][1]) *
					     conf[gid] / den;
			}
		}
		for (size_t g = 0; g < ng; g++) {
			double gr = grad[g] + l->o.fit_l2 * lg[g];

			m1[g] = 0.9 * m1[g] + 0.1 * gr;
			m2[g] = 0.999 * m2[g] + 0.001 * gr * gr;
			lg[g] -= lr * (m1[g] / (1 - pow(0.9, (double)it))) /
				 (sqrt(m2[g] / (1 - pow(0.999, (double)it))) + 1e-8);
			lg[g] = fmax(-6.9, fmin(6.9, lg[g]));
		}
		bm1 = 0.9 * bm1 + 0.1 * gb;
		bm2 = 0.999 * bm2 + 0.001 * gb * gb;
		b -= lr * (bm1 / (1 - pow(0.9, (double)it))) /
		     (sqrt(bm2 / (1 - pow(0.999, (double)it))) + 1e-8);
		if (step)
			step(it, arg);
	}
	free(l->logit);
	l->logit = lg;
	lg = NULL;
	ret = 0;
out:
	free(lg);
	free(conf);
	free(grad);
	free(m1);
	free(m2);
	return ret;
}

int bdlearn_fit(struct bdlearn *l, void (*step)(size_t done, void *arg), void *arg)
{
	if (!l->o.fit_iters || l->logit || !l->ntv)
		return 0;
	return fit(l, step, arg);
}

int bdlearn_foreach(struct bdlearn *l, int (*fn)(const struct bdlearn_entry *e, void *arg),
		    void *arg)
{
	int ret = bdlearn_fit(l, NULL, NULL);

	if (ret)
		return ret;
	for (size_t i = 0; i < l->nslots; i++) {
		const struct gram *g = &l->g[i];
		struct bdlearn_entry e;

		if (!g->used || (double)g->df[0] + g->df[1] < l->o.min_support)
			continue;
		gram_entry(l, g, &e);
		ret = fn(&e, arg);
		if (ret)
			return ret;
	}
	return 0;
}

void bdlearn_params(const struct bdlearn *l, struct bdindex_params *p)
{
	/* novelty: share of a class's positions whose n-gram no other trace
	 * has, i.e. that would be unknown had the trace not been learnt */
	double novel[2] = { 0, 0 }, rate[2];

	for (size_t i = 0; i < l->nslots; i++) {
		const struct gram *g = &l->g[i];

		if (g->used && g->df[0] + g->df[1] == 1)
			novel[g->df[1] ? 1 : 0] += g->cnt[0] + g->cnt[1];
	}
	for (int c = 0; c < 2; c++)
		rate[c] = (novel[c] + 1) / ((double)l->positions[c] + 2);
	p->unknown_logit = log(rate[1] / rate[0]);
	/* measured and kept, but weightless: with weight 1 the ADFA-LD splits
	 * scored lower on 5 of 6 (docs/scoring.md) */
	p->unknown_weight = 0;
	p->length_norm = 1; /* a trace-long window: average, length must not decide */
}

struct to_index {
	struct bdindex *idx;
	int64_t id;
};

static int add_one(const struct bdlearn_entry *e, void *arg)
{
	struct to_index *t = arg;

	return bdindex_add(t->idx, t->id++, e->seq, e->len, e->risk, e->confidence, e->label);
}

int bdlearn_to_index(struct bdlearn *l, struct bdindex *idx, int64_t first_id)
{
	struct to_index t = { idx, first_id };
	struct bdindex_params p;
	int ret = bdindex_reserve(idx, l->ngrams, l->ngrams * l->o.n);

	if (ret)
		return ret;
	ret = bdlearn_foreach(l, add_one, &t);
	if (ret)
		return ret;
	bdlearn_params(l, &p);
	bdindex_params_set(idx, &p);
	return 0;
}
