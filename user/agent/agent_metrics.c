/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Names follow Prometheus conventions: bpf_profiler_ prefix, _total on
 * counters, seconds as the unit of time. Label values with a fixed set
 * (levels) are created up front so rate() sees them from the first scrape. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "agent/agent_metrics.h"

#define MAX_PROGS 64

static void collect_progs(struct metrics *m, void *ctx)
{
	struct agent_metrics *am = ctx;
	struct agent_metrics_prog progs[MAX_PROGS];
	size_t n;

	(void)m;
	if (!am->progs)
		return;
	n = am->progs(am->progs_ctx, progs, MAX_PROGS);
	for (size_t i = 0; i < n && i < MAX_PROGS; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		const char *name;

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(progs[i].fd, &info, &len))
			continue;
		name = progs[i].name ? progs[i].name : info.name;
		metric_set(metric_get(am->prog_run_time, name), info.run_time_ns / 1e9);
		metric_set(metric_get(am->prog_runs, name), (double)info.run_cnt);
	}
}

/* The one series of an unlabelled counter family. */
static struct metric *counter(struct metrics *r, const char *name, const char *help)
{
	struct metric_family *f = metrics_family(r, METRIC_COUNTER, name, help, NULL, NULL, 0);

	return f ? metric_get(f) : NULL;
}

struct agent_metrics *agent_metrics_new(void)
{
	static const double risk_buckets[] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1 };
	struct agent_metrics *am = calloc(1, sizeof(*am));
	struct metric_family *f;
	struct metrics *r;

	if (!am || !(am->reg = r = metrics_new()))
		goto fail;
	f = metrics_family(r, METRIC_GAUGE, "bpf_profiler_build_info",
			   "Version of the running bpf-profiler (value is always 1).", "version",
			   NULL, 0);
	if (!f)
		goto fail;
	metric_set(metric_get(f, BPFPROF_VERSION), 1);
	am->events = metrics_family(r, METRIC_COUNTER, "bpf_profiler_events_total",
				    "Kernel events decoded, by token type.", "type", NULL, 0);
	am->ringbuf_lost = counter(r, "bpf_profiler_ringbuf_lost_events_total",
				   "Events lost because the ring buffer was full.");
	am->windows_opened = counter(r, "bpf_profiler_windows_opened_total",
				     "Prediction windows opened (one per dlopen or code load).");
	am->windows_closed = counter(r, "bpf_profiler_windows_closed_total",
				     "Prediction windows closed.");
	am->windows_uncertain = counter(r, "bpf_profiler_windows_uncertain_total",
					"Prediction windows that lost events (marked uncertain).");
	am->decisions = metrics_family(r, METRIC_COUNTER, "bpf_profiler_decisions_total",
				       "Decisions taken, by risk level.", "level", NULL, 0);
	am->mitigations = metrics_family(r, METRIC_COUNTER, "bpf_profiler_mitigations_total",
					 "Mitigations applied, by action and enforcement backend.",
					 "action,backend", NULL, 0);
	f = metrics_family(r, METRIC_HISTOGRAM, "bpf_profiler_risk_score",
			   "Risk score of decisions (0..1).", NULL, risk_buckets,
			   sizeof(risk_buckets) / sizeof(risk_buckets[0]));
	am->risk = f ? metric_get(f) : NULL;
	am->db_entries = metrics_family(r, METRIC_GAUGE, "bpf_profiler_database_entries",
					"Entries in the behavioral database, by label.", "label",
					NULL, 0);
	am->db_resyncs = metrics_family(r, METRIC_COUNTER, "bpf_profiler_database_resyncs_total",
					"Changes another process made to the behavioral database, "
					"applied to the live index or not, by result.", "result",
					NULL, 0);
	am->prog_run_time = metrics_family(r, METRIC_COUNTER,
					   "bpf_profiler_bpf_program_run_time_seconds_total",
					   "Time spent in each BPF program (kernel bpf_stats).",
					   "program", NULL, 0);
	am->prog_runs = metrics_family(r, METRIC_COUNTER, "bpf_profiler_bpf_program_runs_total",
				       "Runs of each BPF program (kernel bpf_stats).", "program",
				       NULL, 0);
	am->api_requests = metrics_family(r, METRIC_COUNTER, "bpf_profiler_api_requests_total",
					  "HTTP API requests, by status code.", "code", NULL, 0);
	am->pruned = metrics_family(r, METRIC_COUNTER, "bpf_profiler_decisions_pruned_total",
				    "Stored decisions removed by retention ([retention]), by level.",
				    "level", NULL, 0);
	if (!am->pruned || !am->events || !am->ringbuf_lost || !am->windows_opened || !am->windows_closed ||
	    !am->windows_uncertain || !am->decisions || !am->mitigations || !am->risk ||
	    !am->db_entries || !am->db_resyncs || !am->prog_run_time || !am->prog_runs || !am->api_requests ||
	    metrics_add_collector(r, collect_progs, am))
		goto fail;
	for (const char *const *l = (const char *const[]){ "low", "medium", "high", NULL }; *l; l++)
		metric_get(am->decisions, *l);
	metric_get(am->db_resyncs, "applied");
	metric_get(am->db_resyncs, "failed");
	return am;
fail:
	agent_metrics_free(am);
	return NULL;
}

void agent_metrics_free(struct agent_metrics *am)
{
	if (!am)
		return;
	metrics_free(am->reg);
	free(am);
}

void agent_metrics_decision(struct agent_metrics *am, const json_t *d)
{
	const char *level = json_string_value(json_object_get(d, "level"));
	const char *action = json_string_value(json_object_get(d, "action"));
	const char *backend = json_string_value(json_object_get(d, "backend"));
	const json_t *risk = json_object_get(d, "risk");

	if (level)
		metric_inc(metric_get(am->decisions, level));
	if (json_is_number(risk))
		metric_observe(am->risk, json_number_value(risk));
	/* allowing is what happens without a mitigation: not one */
	if (action && backend && strcmp(action, "allow"))
		metric_inc(metric_get(am->mitigations, action, backend));
}

static void collect_fleet(struct metrics *m, void *ctx)
{
	static const char *const kinds[] = { "database", "decision", "alert", "verdict" };
	struct agent_metrics *am = ctx;
	struct agent_metrics_fleet f = { 0 };

	(void)m;
	am->fleet(am->fleet_ctx, &f);
	metric_set(am->fleet_connected, f.connected);
	metric_set(am->fleet_lag, f.lag);
	metric_set(am->fleet_seq, f.applied_seq);
	metric_set(am->fleet_outbox, f.outbox);
	metric_set(am->fleet_quarantined, f.quarantined);
	metric_set(am->fleet_applied, f.applied);
	metric_set(am->fleet_refused, f.refused);
	for (size_t i = 0; i < 4; i++)
		metric_set(metric_get(am->fleet_published, kinds[i]), f.published[i]);
}

static struct metric *gauge(struct metrics *r, const char *name, const char *help)
{
	struct metric_family *f = metrics_family(r, METRIC_GAUGE, name, help, NULL, NULL, 0);

	return f ? metric_get(f) : NULL;
}

int agent_metrics_watch_fleet(struct agent_metrics *am, agent_metrics_fleet_fn fn, void *ctx)
{
	struct metrics *r = am->reg;

	am->fleet = fn;
	am->fleet_ctx = ctx;
	am->fleet_connected = gauge(r, "bpf_profiler_fleet_connected",
				    "1 while connected to NATS JetStream (fleet mode).");
	am->fleet_lag = gauge(r, "bpf_profiler_fleet_lag_messages",
			      "Database stream messages not applied here yet.");
	am->fleet_seq = gauge(r, "bpf_profiler_fleet_database_sequence",
			      "Last database stream sequence applied here.");
	am->fleet_outbox = gauge(r, "bpf_profiler_fleet_outbox_depth",
				 "Decisions, alerts, verdicts and database changes waiting to be "
				 "published.");
	am->fleet_quarantined = gauge(r, "bpf_profiler_fleet_quarantined_hashes",
				      "Hashes of the fleet's verdict bucket this host's gate "
				      "enforces.");
	am->fleet_applied = counter(r, "bpf_profiler_fleet_applied_entries_total",
				    "Database operations applied from the fleet stream.");
	am->fleet_refused = counter(r, "bpf_profiler_fleet_refused_entries_total",
				    "Database stream messages refused (malformed, oversize or "
				    "invalid entries), never applied.");
	am->fleet_published = metrics_family(r, METRIC_COUNTER, "bpf_profiler_fleet_published_total",
					     "Messages the stream acknowledged, by kind.", "kind",
					     NULL, 0);
	if (!am->fleet_connected || !am->fleet_lag || !am->fleet_seq || !am->fleet_outbox ||
	    !am->fleet_quarantined || !am->fleet_applied || !am->fleet_refused ||
	    !am->fleet_published)
		return -ENOMEM;
	return metrics_add_collector(r, collect_fleet, am);
}

void agent_metrics_watch_progs(struct agent_metrics *am, agent_metrics_progs_fn list, void *ctx)
{
	am->progs_ctx = ctx;
	am->progs = list;
}

int agent_metrics_enable_bpf_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}
