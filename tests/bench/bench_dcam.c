/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM over many objects (scripts/bench.sh dcam): time per object (p50,
 * p99, max), peak RSS, how many have a predicted sequence and each kind of
 * finding, and the objects behind the rare findings (interposition,
 * section headers that disagree) so a person can judge them.
 * With -l, only what the gate waits for (dcam_analyze_fd_load_time).
 * Usage: bench_dcam [-v] [-l] FILE...   (or NUL-separated names on stdin) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "analysis/dcam.h"
#include "lib/util.h"

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static char *next_name(int argc, char **argv, int *i, char **line, size_t *cap)
{
	if (*i < argc)
		return argv[(*i)++];
	if (*i > argc || isatty(STDIN_FILENO))
		return NULL;
	if (getdelim(line, cap, '\0', stdin) <= 0)
		return NULL;
	return *line;
}

int main(int argc, char **argv)
{
	uint64_t *ns = NULL, bytes = 0;
	size_t n = 0, cap = 0, lcap = 0, predicted = 0, errors = 0, high = 0;
	size_t cats[DCAM_CAT_COUNT] = { 0 }, pred_trunc = 0, walk_trunc = 0;
	char *line = NULL, *path;
	bool verbose = false, load_time = false;
	int i = 1;
	struct rusage ru;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] && !argv[i][2]; i++) {
		if (argv[i][1] == 'v')
			verbose = true;
		else if (argv[i][1] == 'l')
			load_time = true;
		else
			break;
	}

	if (argc == 1 && isatty(STDIN_FILENO)) {
		fprintf(stderr, "usage: bench_dcam [-v] [-l] FILE... (or NUL-separated names on stdin)\n");
		return 2;
	}
	if (i >= argc)
		i = argc + 0; /* names from stdin */
	while ((path = next_name(argc, argv, &i, &line, &lcap))) {
		struct dcam_result *r;
		char err[256];
		uint64_t t0;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), ret;
		unsigned seen = 0;

		if (fd < 0)
			continue;
		t0 = util_now_mono_ns();
		ret = (load_time ? dcam_analyze_fd_load_time : dcam_analyze_fd)(NULL, fd, path, &r, err,
									       sizeof(err));
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			ns = realloc(ns, cap * sizeof(*ns));
			if (!ns)
				return 1;
		}
		ns[n++] = util_now_mono_ns() - t0;
		close(fd);
		if (ret) {
			errors++;
			printf("error %s: %s\n", path, err);
			continue;
		}
		bytes += r->size;
		predicted += r->n_predicted > 0;
		pred_trunc += r->predicted_truncated;
		walk_trunc += r->truncated;
		high += r->score >= 0.7;
		for (size_t k = 0; k < r->n_findings; k++) {
			const struct dcam_finding *f = &r->findings[k];

			if (!(seen & (1u << f->category)))
				cats[f->category]++;
			seen |= 1u << f->category;
			if (f->category == DCAM_CAT_INTERPOSITION ||
			    (f->category == DCAM_CAT_STRUCTURE && verbose))
				printf("%s %s: %.2f %s\n", dcam_category_name(f->category), path,
				       f->weight, f->what);
		}
		if (verbose && r->n_predicted) {
			printf("predicted %s:", path);
			for (size_t k = 0; k < r->n_predicted; k++)
				printf(" %s", r->predicted[k].token);
			printf("%s\n", r->predicted_truncated ? " ..." : "");
		}
		dcam_result_free(r);
	}
	free(line);
	if (!n) {
		fprintf(stderr, "bench_dcam: no file analysed\n");
		return 1;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	getrusage(RUSAGE_SELF, &ru);
	printf("dcam: %zu objects, %.1f MB, %zu I/O errors; per object p50 %.2f ms, p99 %.2f ms, "
	       "max %.2f ms; peak RSS %ld MB\n", n, (double)bytes / 1e6, errors,
	       (double)ns[n / 2] / 1e6, (double)ns[(n * 99) / 100] / 1e6, (double)ns[n - 1] / 1e6,
	       ru.ru_maxrss / 1024);
	printf("dcam: %zu with a predicted sequence (%zu cut at a bound), %zu walks bounded, "
	       "%zu scoring >= 0.7\n", predicted, pred_trunc, walk_trunc, high);
	printf("dcam: objects with a finding of each kind:");
	for (int c = 0; c < DCAM_CAT_COUNT; c++)
		printf(" %s %zu", dcam_category_name(c), cats[c]);
	printf("\n");
	free(ns);
	return 0;
}
