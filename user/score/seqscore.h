/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* sequence_match_score: how much a window of tokens looks like the
 * malicious rather than the benign behaviour in the database, in 0..1, with
 * the entries that made it so. A known-good entry weighs against a
 * malicious one only on the calls they share. The formula is
 * docs/scoring.md, exactly. */
#ifndef BPFPROF_SEQSCORE_H
#define BPFPROF_SEQSCORE_H

#include <jansson.h>
#include "behaviors/bdindex.h"

#define SEQSCORE_TOP 8
#define SEQSCORE_LOGIT_MAX 6.9 /* |logit(risk)| is clamped here (risk 0.001..0.999) */
/* Fuzzy matches less similar are ignored: a 2- or 3-gram matches fuzzily
 * only by a same-group substitution, longer n-grams by any one edit. */
#define SEQSCORE_MIN_SIMILARITY 0.75

struct seqscore_match {
	struct bdindex_match m; /* the entry, its edit and similarity at its first position */
	uint32_t pos;           /* first window position it matched at */
	uint32_t count;         /* window positions where it was the best match */
	double evidence;        /* its contribution c * f(sum of s) * logit(risk) */
};

struct seqscore_result {
	double score;     /* 0..1 */
	double logodds;   /* L = max(window, malicious), before squashing */
	double logodds_window;    /* every match and the unexplained part */
	double logodds_malicious; /* the malicious matches and the good ones on their calls */
	size_t positions; /* window positions scored */
	size_t matched;   /* positions with a match */
	size_t ntop;
	struct seqscore_match top[SEQSCORE_TOP]; /* by |evidence|, largest first */
};

/* Score seq[0..n). 0 or negative errno. An empty window scores 0. */
int seqscore_window(const struct bdindex *idx, const token_id *seq, size_t n,
		    struct seqscore_result *res);
/* {"score":..,"logodds":..,"positions":..,"matched":..,"matches":[{"id":..,
 *  "sequence":[names],"similarity":..,"risk":..,"confidence":..,"label":..,
 *  "edit":..,"position":..,"count":..,"evidence":..}]} */
json_t *seqscore_result_to_json(const struct seqscore_result *res, const struct tokens *tok);

/* The two halves of the formula, exposed for tests and docs. */
double seqscore_logit(double risk);
double seqscore_squash(double logodds);
/* f(S): S up to 1, then 1 + ln(1 + ln S). */
double seqscore_count_weight(double S);

#endif
