/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* AUC by the rank-sum (Mann-Whitney) statistic after one sort, so ties are
 * exact and the cost is O(n log n). */
#include <math.h>
#include <stdlib.h>
#include "learn/evalmetrics.h"

struct scored {
	double s;
	int pos;
};

static int cmp_scored(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;

	return (x > y) - (x < y);
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

double evalmetrics_auc(const double *neg, size_t nneg, const double *pos, size_t npos)
{
	size_t n = nneg + npos;
	struct scored *all;
	double ranksum = 0;

	if (!nneg || !npos)
		return NAN;
	all = malloc(n * sizeof(*all));
	if (!all)
		return NAN;
	for (size_t i = 0; i < nneg; i++)
		all[i] = (struct scored){ neg[i], 0 };
	for (size_t i = 0; i < npos; i++)
		all[nneg + i] = (struct scored){ pos[i], 1 };
	qsort(all, n, sizeof(*all), cmp_scored);
	for (size_t i = 0; i < n;) {
		size_t j = i, p = 0;

		while (j < n && all[j].s == all[i].s)
			p += all[j++].pos;
		ranksum += (double)p * ((double)(i + 1 + j) / 2.0); /* mean rank of the tie */
		i = j;
	}
	free(all);
	return (ranksum - (double)npos * (npos + 1) / 2.0) / ((double)npos * nneg);
}

double evalmetrics_detection_at(const double *neg, size_t nneg, const double *pos,
				size_t npos, double fpr)
{
	double *s, thr;
	size_t k, hit = 0;

	if (!nneg || !npos)
		return NAN;
	s = malloc(nneg * sizeof(*s));
	if (!s)
		return NAN;
	for (size_t i = 0; i < nneg; i++)
		s[i] = neg[i];
	qsort(s, nneg, sizeof(*s), cmp_desc);
	k = (size_t)floor(fpr * (double)nneg + 1e-9);
	thr = k < nneg ? s[k] : -INFINITY;
	free(s);
	for (size_t i = 0; i < npos; i++)
		hit += pos[i] > thr;
	return (double)hit / (double)npos;
}
