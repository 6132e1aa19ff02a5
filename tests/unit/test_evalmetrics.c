/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* eval's metrics on tiny examples computed by hand, and the eval command on
 * a tiny dataset. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "learn/evalmetrics.h"
#include "tmpdir.h"

Test(evalmetrics, auc_counts_pairs_and_half_ties)
{
	/* pairs (pos > neg): 0.9 beats 0.1,0.4,0.8 (3); 0.4 ties 0.4 (0.5), beats
	 * 0.1 (1); 0.05 beats none: (3 + 1.5) / (3 * 3) = 0.5 */
	double neg[] = { 0.1, 0.4, 0.8 }, pos[] = { 0.9, 0.4, 0.05 };

	cr_assert_float_eq(evalmetrics_auc(neg, 3, pos, 3), 4.5 / 9, 1e-12);
}

Test(evalmetrics, perfect_and_inverted_separation)
{
	double lo[] = { 1, 2, 3 }, hi[] = { 4, 5 };

	cr_assert_float_eq(evalmetrics_auc(lo, 3, hi, 2), 1.0, 1e-12);
	cr_assert_float_eq(evalmetrics_auc(hi, 2, lo, 3), 0.0, 1e-12);
	cr_assert(isnan(evalmetrics_auc(lo, 0, hi, 2)));
}

Test(evalmetrics, detection_at_a_false_positive_budget)
{
	/* 10 negatives 1..10; at 10 % FP one negative may score above the
	 * threshold: threshold 9; positives above 9: 9.5, 12 -> 2 of 4 */
	double neg[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, pos[] = { 9.5, 12, 9, 3 };

	cr_assert_float_eq(evalmetrics_detection_at(neg, 10, pos, 4, 0.10), 0.5, 1e-12);
	/* at 0 %: threshold 10 -> only 12 */
	cr_assert_float_eq(evalmetrics_detection_at(neg, 10, pos, 4, 0.0), 0.25, 1e-12);
	/* at 1 % of 10 negatives: floor(0.1) = 0 negatives allowed */
	cr_assert_float_eq(evalmetrics_detection_at(neg, 10, pos, 4, 0.01), 0.25, 1e-12);
	/* at 100 %: every negative may score above: no threshold left */
	cr_assert_float_eq(evalmetrics_detection_at(neg, 10, pos, 4, 1.0), 1.0, 1e-12);
}

static void write_trace(const char *dir, const char *name, const char *body)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(body, f);
	fclose(f);
}

Test(evalmetrics, eval_separates_a_tiny_dataset_and_writes_scores)
{
	char tmp[] = "/tmp/bpfprof-eval-XXXXXX", cmd[4096], sub[6][600], line[4096];
	const char *names[] = { "table", "ntrain", "mtrain", "ntest", "mtest", "scores.tsv" };
	FILE *p;

	cr_assert_not_null(mkdtemp(tmp));
	for (int i = 0; i < 6; i++) {
		snprintf(sub[i], sizeof(sub[i]), "%s/%s", tmp, names[i]);
		if (i >= 1 && i <= 4)
			cr_assert_eq(mkdir(sub[i], 0700), 0);
	}
	write_trace(tmp, "table", "1\texit\n3\tread\n4\twrite\n5\topen\n11\texecve\n102\tsocketcall\n");
	/* normal: open read write loops; malicious: socketcall/execve heavy */
	write_trace(sub[1], "a.txt", "5 3 3 4 3 3 4 1\n");
	write_trace(sub[1], "b.txt", "5 3 4 3 4 3 3 4 1");
	write_trace(sub[2], "x.txt", "102 102 11 102 11 102 102 11 1");
	write_trace(sub[3], "c.txt", "5 3 3 4 3 4 1");
	write_trace(sub[4], "y.txt", "102 11 102 102 11 102 11 1");
	snprintf(cmd, sizeof(cmd), "%s eval --syscall-table %s --normal-train %s --malicious-train %s "
		 "--normal-test %s --malicious-test %s --scores %s --json -n 3", BPFPROF_BIN, sub[0],
		 sub[1], sub[2], sub[3], sub[4], sub[5]);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p));
	cr_assert_eq(pclose(p), 0);
	cr_assert(strstr(line, "\"auc\":1.0"), "%s", line);
	cr_assert(strstr(line, "\"detection_at_1pct_fp\":1.0"), "%s", line);
	p = fopen(sub[5], "r");
	cr_assert_not_null(p);
	for (int i = 0; i < 2; i++) {
		cr_assert_not_null(fgets(line, sizeof(line), p));
		cr_assert(strchr(line, '\t'));
	}
	cr_assert_null(fgets(line, sizeof(line), p));
	fclose(p);
	/* a run that fails (a test trace that is not numbers) leaves the
	 * scores of the last good run as they were, and no temporary file */
	write_trace(sub[3], "d.txt", "5 3 x");
	cr_assert_neq(system(cmd), 0);
	p = fopen(sub[5], "r");
	cr_assert_not_null(p);
	for (int i = 0; i < 2; i++)
		cr_assert_not_null(fgets(line, sizeof(line), p), "the earlier scores were lost");
	fclose(p);
	snprintf(cmd, sizeof(cmd), "ls %s | grep -c tmp", tmp);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p));
	pclose(p);
	cr_assert_str_eq(line, "0\n", "a temporary scores file was left behind");
	/* an unwritable --scores is refused, naming it */
	snprintf(cmd, sizeof(cmd), "%s eval --syscall-table %s --normal-train %s --malicious-train %s "
		 "--normal-test %s --malicious-test %s --scores %s/no/such/dir.tsv 2>&1", BPFPROF_BIN,
		 sub[0], sub[1], sub[2], sub[3], sub[4], tmp);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p));
	cr_assert_neq(pclose(p), 0);
	cr_assert(strstr(line, "/no/such/dir.tsv: No such file or directory"), "%s", line);
	cr_assert_eq(tmpdir_remove(tmp), 0);
}

/* A small slice of ADFA-LD (../shared/data/adfa-ld) through eval: 150
 * normal and one attack run to learn from, 300 normal and another run of the
 * same family to score. A broken scorer lands near AUC 0.5. */
Test(evalmetrics, eval_on_an_adfa_slice_separates_attacks, .timeout = 60)
{
	const char *data = BPFPROF_SRCDIR "/../shared/data/adfa-ld";
	char tmp[] = "/tmp/bpfprof-adfa-XXXXXX", cmd[8192], line[4096];
	FILE *p;

	if (access(data, R_OK))
		cr_skip_test("ADFA-LD data not found at %s", data);
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir ntrain ntest && ls %s/train/*.txt | head -150 | xargs -I{} ln -s {} ntrain/ && "
		 "ls %s/validation/*.txt | head -300 | xargs -I{} ln -s {} ntest/", tmp, data, data);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s eval --json --syscall-table %s/syscalls_i386.tsv "
		 "--normal-train %s/ntrain --malicious-train %s/attack/Adduser_1 "
		 "--normal-test %s/ntest --malicious-test %s/attack/Adduser_2", BPFPROF_BIN, data,
		 tmp, data, tmp, data);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p));
	cr_assert_eq(pclose(p), 0);
	cr_assert_gt(strtod(strstr(line, "\"auc\":") + 6, NULL), 0.7, "%s", line); /* measured 0.85 */
	cr_assert_eq(tmpdir_remove(tmp), 0);
}
