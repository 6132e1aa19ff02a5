/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* pipeline_load all|filtered: loads the agent's BPF programs and consumes
 * the ring buffer until SIGTERM, then prints the counters. `all` records
 * every process's lookback (the agent's mode); `filtered` traces nobody. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	struct tracer_opts o = TRACER_OPTS_DEFAULT;
	struct tracer *t;
	struct bp_stats s;
	unsigned long seen = 0;
	char err[256];

	o.filter_traced = argc > 1 && !strcmp(argv[1], "filtered");
	if (tracer_open(&o, &t, err, sizeof(err))) {
		fprintf(stderr, "pipeline_load: %s\n", err);
		return 1;
	}
	tracer_find_loaders_of(t, getpid());
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
	return 0;
}
