/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* pipeline_load all|filtered: loads the agent's BPF programs and consumes
 * the ring buffer until SIGTERM, then prints the counters. `all` records
 * every process's lookback (the agent's mode); `filtered` traces nobody.
 *
 * pipeline_load alternate all|filtered PAIRS WORKLOAD ARGS...: loads them
 * once and runs WORKLOAD (which prints ns per iteration) PAIRS times with
 * the programs detached and PAIRS times attached, in ABBA order, a second
 * or so apart: each pair's ratio sees the same machine speed, where
 * separate loads of the programs minutes apart saw this host's drift.
 * Prints each pair, then the median ratio and its quartiles. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/tracer.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_event(void *ctx, const void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(unsigned long *)ctx;
}

/* ns per iteration the workload printed, or a negative number */
static double run_workload(char **argv)
{
	double ns = -1;
	int fds[2], status;
	char buf[64] = "";
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	n = pid > 0 ? read(fds[0], buf, sizeof(buf) - 1) : -1;
	close(fds[0]);
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status) && n > 0)
		ns = atof(buf);
	return ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int alternate(struct tracer *t, int pairs, char **workload)
{
	double *ratio = calloc(pairs, sizeof(*ratio));
	unsigned long seen = 0;

	if (!ratio)
		return 1;
	for (int i = 0; i < pairs; i++) {
		double ns[2]; /* [0] detached, [1] attached */

		/* the order flips every pair (ABBA), so a steady drift cancels */
		for (int k = 0; k < 2; k++) {
			bool on = (k == 1) == (i % 2 == 0);

			if (tracer_set_attached(t, on))
				goto fail;
			ns[on] = run_workload(workload);
		}
		tracer_poll(t, 0, on_event, &seen);
		if (ns[0] <= 0 || ns[1] <= 0)
			goto fail;
		ratio[i] = ns[1] / ns[0];
		printf("pair %d: %.1f ns without, %.1f ns with the programs: %.3fx\n", i + 1, ns[0],
		       ns[1], ratio[i]);
		fflush(stdout);
	}
	qsort(ratio, pairs, sizeof(*ratio), cmp_double);
	printf("median %.3f q1 %.3f q3 %.3f pairs %d\n", ratio[pairs / 2], ratio[pairs / 4],
	       ratio[(3 * pairs) / 4], pairs);
	free(ratio);
	return 0;
fail:
	fprintf(stderr, "pipeline_load: the workload or the programs' attach failed\n");
	free(ratio);
	return 1;
}

int main(int argc, char **argv)
{
	struct tracer_opts o = TRACER_OPTS_DEFAULT;
	bool alt = argc > 1 && !strcmp(argv[1], "alternate");
	const char *mode = alt ? (argc > 2 ? argv[2] : "") : (argc > 1 ? argv[1] : "all");
	struct tracer *t;
	struct bp_stats s;
	unsigned long seen = 0;
	char err[256];
	int ret = 0;

	if (alt && (argc < 5 || atoi(argv[3]) < 2)) {
		fprintf(stderr, "usage: pipeline_load all|filtered\n"
				"       pipeline_load alternate all|filtered PAIRS WORKLOAD [ARGS...]\n");
		return 2;
	}
	o.filter_traced = !strcmp(mode, "filtered");
	if (tracer_open(&o, &t, err, sizeof(err))) {
		fprintf(stderr, "pipeline_load: %s\n", err);
		return 1;
	}
	tracer_find_loaders_of(t, getpid());
	if (alt) {
		ret = alternate(t, atoi(argv[3]), argv + 4);
		tracer_close(t);
		return ret;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		tracer_poll(t, 100, on_event, &seen);
	tracer_stats(t, &s);
	fprintf(stderr, "pipeline_load: calls %llu, events %lu, lost %llu\n",
		(unsigned long long)s.calls_seen, seen, (unsigned long long)s.events_lost);
	tracer_close(t);
	return ret;
}
