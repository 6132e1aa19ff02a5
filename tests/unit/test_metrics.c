/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "agent/agent_metrics.h"
#include "agent/metrics.h"

static char *render(struct metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(metrics_render(m, f), 0);
	fclose(f);
	return buf;
}

#define assert_contains(text, needle) \
	cr_assert(strstr(text, needle), "missing:\n%s\nin:\n%s", needle, text)

Test(metrics, counter_renders_help_type_and_labelled_samples)
{
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_family(m, METRIC_COUNTER, "x_requests_total",
						 "Requests.", "code,route", NULL, 0);
	char *out;

	metric_inc(metric_get(f, "200", "/a"));
	metric_add(metric_get(f, "200", "/a"), 2);
	metric_inc(metric_get(f, "404", "/b"));
	out = render(m);
	cr_assert(!strncmp(out, "# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\n",
			   65), "%s", out);
	assert_contains(out, "x_requests_total{code=\"200\",route=\"/a\"} 3\n");
	assert_contains(out, "x_requests_total{code=\"404\",route=\"/b\"} 1\n");
	free(out);
	metrics_free(m);
}

Test(metrics, unlabelled_families_render_zero_before_first_use)
{
	struct metrics *m = metrics_new();
	char *out;

	metrics_family(m, METRIC_GAUGE, "x_up", "Up.", NULL, NULL, 0);
	out = render(m);
	assert_contains(out, "# TYPE x_up gauge\nx_up 0\n");
	free(out);
	metrics_free(m);
}

Test(metrics, label_values_are_escaped)
{
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_family(m, METRIC_GAUGE, "x_g", "A \\ help\nline.", "path",
						 NULL, 0);
	char *out;

	metric_set(metric_get(f, "a\"b\\c\nd"), 0.25);
	out = render(m);
	assert_contains(out, "# HELP x_g A \\\\ help\\nline.\n");
	assert_contains(out, "x_g{path=\"a\\\"b\\\\c\\nd\"} 0.25\n");
	free(out);
	metrics_free(m);
}

Test(metrics, histogram_buckets_are_cumulative_with_sum_and_count)
{
	static const double b[] = { 0.1, 0.5, 1 };
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_family(m, METRIC_HISTOGRAM, "x_score", "Score.", NULL, b, 3);
	struct metric *s = metric_get(f);
	char *out;

	metric_observe(s, 0.05);
	metric_observe(s, 0.1); /* le is inclusive */
	metric_observe(s, 0.7);
	metric_observe(s, 3);
	out = render(m);
	assert_contains(out, "# TYPE x_score histogram\n"
			     "x_score_bucket{le=\"0.1\"} 2\n"
			     "x_score_bucket{le=\"0.5\"} 2\n"
			     "x_score_bucket{le=\"1\"} 3\n"
			     "x_score_bucket{le=\"+Inf\"} 4\n"
			     "x_score_sum 3.85\n"
			     "x_score_count 4\n");
	free(out);
	metrics_free(m);
}

Test(metrics, invalid_names_and_labels_are_refused)
{
	struct metrics *m = metrics_new();

	cr_assert_null(metrics_family(m, METRIC_COUNTER, "9lives", "", NULL, NULL, 0));
	cr_assert_null(metrics_family(m, METRIC_COUNTER, "a-b", "", NULL, NULL, 0));
	cr_assert_null(metrics_family(m, METRIC_COUNTER, "ok", "", "le", NULL, 0));
	cr_assert_null(metrics_family(m, METRIC_COUNTER, "ok", "", "__x", NULL, 0));
	cr_assert_null(metrics_family(m, METRIC_HISTOGRAM, "ok", "", NULL, NULL, 0));
	cr_assert_null(metrics_family(m, METRIC_HISTOGRAM, "ok", "", NULL, (double[]){ 1, 1 }, 2));
	metrics_free(m);
}

struct hammer {
	struct metric_family *f;
	struct metric *h;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 50000; i++) {
		metric_inc(metric_get(h->f, i & 1 ? "odd" : "even"));
		metric_observe(h->h, 0.5);
	}
	return NULL;
}

Test(metrics, concurrent_updates_are_not_lost)
{
	static const double b[] = { 1 };
	struct metrics *m = metrics_new();
	struct hammer h = {
		metrics_family(m, METRIC_COUNTER, "x_total", "", "parity", NULL, 0),
		metric_get(metrics_family(m, METRIC_HISTOGRAM, "x_h", "", NULL, b, 1)),
	};
	pthread_t t[4];
	char *out;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, &h);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(metric_value(metric_get(h.f, "odd")), 100000);
	cr_assert_eq(metric_value(metric_get(h.f, "even")), 100000);
	out = render(m);
	assert_contains(out, "x_h_sum 100000\nx_h_count 200000\n");
	free(out);
	metrics_free(m);
}

static void collect(struct metrics *m, void *ctx)
{
	(void)m;
	metric_set(ctx, metric_value(ctx) + 1);
}

Test(metrics, collectors_run_at_every_render)
{
	struct metrics *m = metrics_new();
	struct metric *g = metric_get(metrics_family(m, METRIC_GAUGE, "x_renders", "", NULL, NULL, 0));
	char *out;

	metrics_add_collector(m, collect, g);
	free(render(m));
	out = render(m);
	assert_contains(out, "x_renders 2\n");
	free(out);
	metrics_free(m);
}

Test(agent_metrics, design_families_are_registered_and_decisions_counted)
{
	struct agent_metrics *am = agent_metrics_new();
	json_t *d = json_pack("{s:s, s:f, s:s, s:s}", "level", "high", "risk", 0.95, "action",
			      "quarantine", "backend", "signal");
	const char *names[] = {
		"bpf_profiler_events_total", "bpf_profiler_ringbuf_lost_events_total 0",
		"bpf_profiler_windows_opened_total 0", "bpf_profiler_windows_closed_total 0",
		"bpf_profiler_windows_uncertain_total 0", "bpf_profiler_decisions_total{level=\"low\"} 0",
		"bpf_profiler_decisions_total{level=\"high\"} 1",
		"bpf_profiler_mitigations_total{action=\"quarantine\",backend=\"signal\"} 1",
		"bpf_profiler_risk_score_bucket{le=\"0.9\"} 0", "bpf_profiler_risk_score_bucket{le=\"1\"} 1",
		"# TYPE bpf_profiler_database_entries gauge",
		"# TYPE bpf_profiler_bpf_program_run_time_seconds_total counter",
		"# TYPE bpf_profiler_bpf_program_runs_total counter",
		"# TYPE bpf_profiler_api_requests_total counter", "bpf_profiler_build_info{version=",
	};
	char *out;

	cr_assert_not_null(am);
	agent_metrics_decision(am, d);
	out = render(am->reg);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_contains(out, names[i]);
	free(out);
	json_decref(d);
	agent_metrics_free(am);
}

Test(agent_metrics, an_allow_is_not_a_mitigation)
{
	struct agent_metrics *am = agent_metrics_new();
	json_t *d = json_pack("{s:s, s:f, s:s, s:s}", "level", "low", "risk", 0.1, "action",
			      "allow", "backend", "none");
	char *out;

	cr_assert_not_null(am);
	agent_metrics_decision(am, d);
	out = render(am->reg);
	assert_contains(out, "bpf_profiler_decisions_total{level=\"low\"} 1");
	cr_assert_null(strstr(out, "bpf_profiler_mitigations_total{action=\"allow\""),
		       "an allow was counted as a mitigation: %s", out);
	free(out);
	json_decref(d);
	agent_metrics_free(am);
}
