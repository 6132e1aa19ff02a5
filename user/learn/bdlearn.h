/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* db learn: database entries from labelled traces. Every n-gram's risk is
 * the smoothed share of its per-trace frequency that falls in malicious
 * traces (classes balanced), its confidence grows with its support; see
 * docs/scoring.md for the formulas and the measured results. */
#ifndef BPFPROF_BDLEARN_H
#define BPFPROF_BDLEARN_H

#include <getopt.h>
#include <stddef.h>
#include "behaviors/bdindex.h"

struct bdlearn_opts {
	size_t n;          /* n-gram length, 2..BDINDEX_MAX_LEN (the longest) */
	size_t n_min;      /* shortest length learnt (0: only n) */
	double alpha;      /* additive smoothing of the per-class frequencies */
	double min_support; /* n-grams with less support (traces) are dropped */
	size_t fit_iters;  /* discriminative refinement steps (0: counts only) */
	double fit_rate;   /* its step size */
	double fit_l2;     /* its L2 penalty (towards zero evidence) */
};
#define BDLEARN_OPTS_DEFAULT { .n = 3, .n_min = 2, .alpha = 0.0005, .min_support = 1, \
			       .fit_iters = 1000, .fit_rate = 0.1, .fit_l2 = 5e-6 }

/* The learning options shared by `db learn` and `eval`: put
 * BDLEARN_LONG_OPTIONS in the getopt_long table ("n:" in the short ones)
 * and pass every option to bdlearn_opt first. */
#define BDLEARN_OPT_BASE 0x400
#define BDLEARN_LONG_OPTIONS \
	{ "ngram", required_argument, NULL, 'n' }, \
	{ "alpha", required_argument, NULL, BDLEARN_OPT_BASE + 0 }, \
	{ "fit", required_argument, NULL, BDLEARN_OPT_BASE + 1 }, \
	{ "fit-rate", required_argument, NULL, BDLEARN_OPT_BASE + 2 }, \
	{ "fit-l2", required_argument, NULL, BDLEARN_OPT_BASE + 3 }
#define BDLEARN_FIT_MAX 1000000 /* steps: about 8 hours on ADFA-LD */
#define BDLEARN_RATE_MAX 10.0   /* a larger Adam step only overshoots */
#define BDLEARN_OPTS_HELP \
	"  -n, --ngram N|MIN-MAX n-gram length(s) learnt (default 2-3)\n" \
	"  --alpha A             risk smoothing of the counted risk, > 0 (default 0.0005)\n" \
	"  --fit STEPS           logistic fit of the risks, 0..1000000 steps (default 1000;\n" \
	"                        0: counted risks)\n" \
	"  --fit-rate R          its step size, > 0 and <= 10 (default 0.1)\n" \
	"  --fit-l2 L            its L2 penalty, >= 0 (default 5e-6)\n"
/* 0: opt was a learning option and arg is valid; -EINVAL: it was, and err
 * says what is wrong with arg; 1: not a learning option. */
int bdlearn_opt(struct bdlearn_opts *o, int opt, const char *arg, char *err, size_t errlen);

struct bdlearn;

int bdlearn_create(const struct bdlearn_opts *o, struct bdlearn **out);
void bdlearn_free(struct bdlearn *l);
/* Count the n-grams of one labelled trace. */
int bdlearn_add_trace(struct bdlearn *l, const token_id *seq, size_t n, enum bd_label label);
size_t bdlearn_traces(const struct bdlearn *l, enum bd_label label);

struct bdlearn_entry {
	const token_id *seq;
	size_t len;
	double risk, confidence;
	enum bd_label label;
};
/* Fit the risks to the traces added so far (the --fit steps; a no-op with
 * fit 0 or when already fitted). step, if set, is called after each step
 * with the number done, for progress. bdlearn_foreach fits first if this
 * was not called. */
int bdlearn_fit(struct bdlearn *l, void (*step)(size_t done, void *arg), void *arg);
/* Compute the entries; fn is called once per entry (stop on nonzero). */
int bdlearn_foreach(struct bdlearn *l, int (*fn)(const struct bdlearn_entry *e, void *arg),
		    void *arg);
/* The scoring parameters a learnt database carries (unknown n-grams). */
void bdlearn_params(const struct bdlearn *l, struct bdindex_params *p);
/* Learn straight into an index, ids first_id, first_id+1, ... */
int bdlearn_to_index(struct bdlearn *l, struct bdindex *idx, int64_t first_id);

#endif
