/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* bpf-profiler eval: learn a database from labelled dataset traces, score
 * held-out traces through seqscore_window (the runtime scorer) and report
 * ROC AUC and detection at 1/5/10 % false positives. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "learn/bdlearn.h"
#include "cli/commands.h"
#include "learn/evalmetrics.h"
#include "lib/progress.h"
#include "score/seqscore.h"
#include "learn/tracefile.h"
#include "lib/jsonout.h"

enum set { NORMAL_TRAIN, MALICIOUS_TRAIN, NORMAL_TEST, MALICIOUS_TEST, NSETS };

static const char *set_opt[NSETS] = { "--normal-train", "--malicious-train",
				      "--normal-test", "--malicious-test" };

struct dirs {
	const char **d;
	size_t n;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpf-profiler eval --syscall-table FILE --normal-train DIR --malicious-train DIR\n"
		"                         --normal-test DIR --malicious-test DIR [--scores OUT.tsv] [--json]\n\n"
		"Learn a behavioral database from labelled traces, score every test trace as one\n"
		"window with the runtime scorer, and print ROC AUC and the detection rate at 1 %%,\n"
		"5 %% and 10 %% false positives. Traces are ADFA-LD *.txt files (syscall numbers\n"
		"separated by whitespace), found recursively; each DIR option may be repeated.\n\n"
		"Options:\n"
		"  --syscall-table FILE  number<TAB>name per line (e.g. syscalls_i386.tsv)\n"
		"  --normal-train DIR    normal traces to learn from\n"
		"  --malicious-train DIR malicious traces to learn from\n"
		"  --normal-test DIR     normal traces to score (negatives)\n"
		"  --malicious-test DIR  malicious traces to score (positives)\n"
		"  --scores FILE         write path<TAB>score per test trace; the score is the\n"
		"                        log-odds L the metrics rank by (score prints tanh(L/2))\n"
		"  --json                print the metrics as one JSON object\n"
		BDLEARN_OPTS_HELP
		"  -h, --help            this help\n");
}

static int add_dir(struct dirs *d, const char *dir)
{
	const char **p = realloc(d->d, (d->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	d->d = p;
	d->d[d->n++] = dir;
	return 0;
}

struct traceset {
	char **paths;
	size_t n;
};

static int load_set(const struct dirs *d, struct traceset *ts)
{
	for (size_t i = 0; i < d->n; i++) {
		int ret = tracefile_find(d->d[i], ".txt", &ts->paths, &ts->n);

		if (ret) {
			fprintf(stderr, "bpf-profiler eval: %s: %s\n", d->d[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int learn_set(struct bdlearn *l, const struct traceset *ts, enum bd_label label,
		     const struct syscall_table *tab, struct tokens *tok, struct progress *pr,
		     size_t *done)
{
	for (size_t i = 0; i < ts->n; i++) {
		char err[512] = "";
		token_id *seq;
		size_t n;
		int ret = tracefile_read_numbers(ts->paths[i], tab, tok, &seq, &n, err, sizeof(err));

		if (!ret)
			ret = bdlearn_add_trace(l, seq, n, label);
		free(seq);
		if (ret) {
			fprintf(stderr, "bpf-profiler eval: %s\n", *err ? err : strerror(-ret));
			return ret;
		}
		progress_update(pr, ++*done);
	}
	return 0;
}

static int score_set(const struct bdindex *idx, const struct traceset *ts,
		     const struct syscall_table *tab, struct tokens *tok, double *out,
		     FILE *scores, struct progress *pr, size_t *done)
{
	for (size_t i = 0; i < ts->n; i++) {
		char err[512] = "";
		struct seqscore_result res;
		token_id *seq;
		size_t n;
		int ret = tracefile_read_numbers(ts->paths[i], tab, tok, &seq, &n, err, sizeof(err));

		if (!ret)
			ret = seqscore_window(idx, seq, n, &res);
		free(seq);
		if (ret) {
			fprintf(stderr, "bpf-profiler eval: %s\n", *err ? err : strerror(-ret));
			return ret;
		}
		/* rank by the unsquashed log-odds: squashing clips all benign-
		 * looking traces to 0 and would make them ties */
		out[i] = res.logodds;
		if (scores)
			fprintf(scores, "%s\t%.6f\n", ts->paths[i], res.logodds);
		progress_update(pr, ++*done);
	}
	return 0;
}

int cmd_eval_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syscall-table", required_argument, NULL, 't' },
		{ "normal-train", required_argument, NULL, 0 + 256 },
		{ "malicious-train", required_argument, NULL, 1 + 256 },
		{ "normal-test", required_argument, NULL, 2 + 256 },
		{ "malicious-test", required_argument, NULL, 3 + 256 },
		{ "scores", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		BDLEARN_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bdlearn_opts lo = BDLEARN_OPTS_DEFAULT;
	struct dirs dirs[NSETS] = { 0 };
	struct traceset sets[NSETS] = { 0 };
	const char *table_path = NULL, *scores_path = NULL;
	struct syscall_table tab = { 0 };
	struct tokens *tok = NULL;
	struct bdlearn *learn = NULL;
	struct bdindex *idx = NULL;
	double *sc[2] = { NULL, NULL };
	FILE *scores = NULL;
	char scores_tmp[PATH_MAX];
	struct progress pr;
	bool json = false;
	char err[512] = "";
	int c, ret = EXIT_FAIL;
	size_t done = 0;

	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		int r = bdlearn_opt(&lo, c, optarg, err, sizeof(err));

		if (r <= 0) {
			if (!r)
				continue;
			fprintf(stderr, "bpf-profiler eval: %s\n", err);
			ret = EXIT_USAGE;
			goto out;
		}
		switch (c) {
		case 't': table_path = optarg; break;
		case 256: case 257: case 258: case 259:
			if (add_dir(&dirs[c - 256], optarg))
				goto out;
			break;
		case 's': scores_path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); ret = EXIT_OK; goto out;
		default:
			fprintf(stderr, "Try 'bpf-profiler eval --help'.\n");
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bpf-profiler eval: unexpected argument '%s'\n", argv[optind]);
		ret = EXIT_USAGE;
		goto out;
	}
	if (!table_path) {
		fprintf(stderr, "bpf-profiler eval: --syscall-table is required\n");
		ret = EXIT_USAGE;
		goto out;
	}
	for (int s = 0; s < NSETS; s++)
		if (!dirs[s].n) {
			fprintf(stderr, "bpf-profiler eval: %s is required\n", set_opt[s]);
			ret = EXIT_USAGE;
			goto out;
		}
	if (tracefile_table_load(table_path, &tab, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler eval: %s\n", err);
		goto out;
	}
	/* an unwritable --scores is found before the work, and a failed run
	 * leaves an earlier scores file as it was: written beside, renamed */
	if (scores_path) {
		if (snprintf(scores_tmp, sizeof(scores_tmp), "%s.tmp.%d", scores_path,
			     (int)getpid()) >= (int)sizeof(scores_tmp))
			errno = ENAMETOOLONG;
		else
			scores = fopen(scores_tmp, "w");
		if (!scores) {
			fprintf(stderr, "bpf-profiler eval: %s: %s\n", scores_path, strerror(errno));
			goto out;
		}
	}
	for (int s = 0; s < NSETS; s++) {
		if (load_set(&dirs[s], &sets[s]))
			goto out;
		if (!sets[s].n) {
			fprintf(stderr, "bpf-profiler eval: %s: no *.txt traces found\n", set_opt[s]);
			goto out;
		}
	}
	if (tokens_load_default(&tok) || bdlearn_create(&lo, &learn) || bdindex_create(tok, &idx)) {
		fprintf(stderr, "bpf-profiler eval: out of memory\n");
		goto out;
	}
	progress_begin(&pr, "learning", sets[NORMAL_TRAIN].n + sets[MALICIOUS_TRAIN].n);
	if (learn_set(learn, &sets[NORMAL_TRAIN], BD_LABEL_GOOD, &tab, tok, &pr, &done) ||
	    learn_set(learn, &sets[MALICIOUS_TRAIN], BD_LABEL_MALICIOUS, &tab, tok, &pr, &done))
		goto out;
	progress_end(&pr);
	progress_begin(&pr, "fitting", lo.fit_iters);
	c = bdlearn_fit(learn, progress_step, &pr);
	progress_end(&pr);
	if (c || (c = bdlearn_to_index(learn, idx, 1))) {
		fprintf(stderr, "bpf-profiler eval: learning the database: %s\n", strerror(-c));
		goto out;
	}
	sc[0] = calloc(sets[NORMAL_TEST].n, sizeof(double));
	sc[1] = calloc(sets[MALICIOUS_TEST].n, sizeof(double));
	if (!sc[0] || !sc[1])
		goto out;
	done = 0;
	progress_begin(&pr, "scoring", sets[NORMAL_TEST].n + sets[MALICIOUS_TEST].n);
	if (score_set(idx, &sets[NORMAL_TEST], &tab, tok, sc[0], scores, &pr, &done) ||
	    score_set(idx, &sets[MALICIOUS_TEST], &tab, tok, sc[1], scores, &pr, &done))
		goto out;
	progress_end(&pr);
	{
		size_t nn = sets[NORMAL_TEST].n, nm = sets[MALICIOUS_TEST].n;
		double auc = evalmetrics_auc(sc[0], nn, sc[1], nm);
		double d1 = evalmetrics_detection_at(sc[0], nn, sc[1], nm, 0.01);
		double d5 = evalmetrics_detection_at(sc[0], nn, sc[1], nm, 0.05);
		double d10 = evalmetrics_detection_at(sc[0], nn, sc[1], nm, 0.10);

		if (json) {
			json_t *o = json_pack("{s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I}",
				"auc", auc, "detection_at_1pct_fp", d1,
				"detection_at_5pct_fp", d5, "detection_at_10pct_fp", d10,
				"normal_train", (json_int_t)sets[NORMAL_TRAIN].n,
				"malicious_train", (json_int_t)sets[MALICIOUS_TRAIN].n,
				"normal_test", (json_int_t)nn, "malicious_test", (json_int_t)nm,
				"entries", (json_int_t)bdindex_count(idx));

			json_dumpf(o, stdout, JSONOUT_FLAGS);
			putchar('\n');
			json_decref(o);
		} else {
			printf("traces      train %zu normal + %zu malicious, test %zu normal + %zu malicious\n",
			       sets[NORMAL_TRAIN].n, sets[MALICIOUS_TRAIN].n, nn, nm);
			printf("entries     %zu (%zu..%zu-grams)\n", bdindex_count(idx),
			       lo.n_min ? lo.n_min : lo.n, lo.n);
			printf("ROC AUC     %.4f\n", auc);
			printf("detection   %.1f %% at 1 %% FP, %.1f %% at 5 %% FP, %.1f %% at 10 %% FP\n",
			       100 * d1, 100 * d5, 100 * d10);
		}
	}
	ret = EXIT_OK;
out:
	if (scores) {
		int bad = fclose(scores);

		if (!bad && ret == EXIT_OK)
			bad = rename(scores_tmp, scores_path);
		if (bad && ret == EXIT_OK) {
			fprintf(stderr, "bpf-profiler eval: %s: %s\n", scores_path, strerror(errno));
			ret = EXIT_FAIL;
		}
		if (ret != EXIT_OK)
			unlink(scores_tmp);
	}
	free(sc[0]);
	free(sc[1]);
	bdindex_free(idx);
	bdlearn_free(learn);
	tokens_free(tok);
	tracefile_table_free(&tab);
	for (int s = 0; s < NSETS; s++) {
		tracefile_paths_free(sets[s].paths, sets[s].n);
		free(dirs[s].d);
	}
	return ret;
}
