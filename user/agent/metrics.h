/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A small Prometheus registry: counters, gauges and histograms with
 * labels, updated lock-free from any thread (atomics), rendered in the
 * text exposition format 0.0.4. Collectors run at render time to mirror
 * values kept elsewhere (kernel BPF run stats, database sizes). */
#ifndef BPFPROF_METRICS_H
#define BPFPROF_METRICS_H

#include <stddef.h>
#include <stdio.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRIC_MAX_LABELS 4
#define METRIC_MAX_BUCKETS 24

struct metrics;
struct metric_family;
struct metric; /* one labelled series: keep the pointer, it stays valid */

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Registers a family. labels: comma-separated label names or NULL;
 * buckets: strictly increasing upper bounds (histograms; +Inf is added).
 * NULL on an invalid name or label (a programming error, logged). */
struct metric_family *metrics_family(struct metrics *m, enum metric_type type,
				     const char *name, const char *help, const char *labels,
				     const double *buckets, size_t nbuckets);
/* The series with these label values (as many as the family has labels),
 * created at first use. NULL only when out of memory. */
struct metric *metric_get(struct metric_family *f, ...);

void metric_inc(struct metric *s);
void metric_add(struct metric *s, double v);     /* counters: v >= 0 */
void metric_set(struct metric *s, double v);     /* gauges, or counters mirrored
						    from a cumulative source */
void metric_observe(struct metric *s, double v); /* histograms */
double metric_value(const struct metric *s);     /* counters and gauges */

/* fn(m, ctx) runs at the start of every metrics_render. */
int metrics_add_collector(struct metrics *m, void (*fn)(struct metrics *m, void *ctx),
			  void *ctx);

/* Writes the text exposition (HELP, TYPE, samples) of every family. */
int metrics_render(struct metrics *m, FILE *out);

#endif
