/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The agent's metric families (docs/api.md, metrics), on a metrics.h
 * registry: the pipeline, scorer and API update them through the pointers
 * here; BPF program run stats are read from the kernel at scrape time. */
#ifndef BPFPROF_AGENT_METRICS_H
#define BPFPROF_AGENT_METRICS_H

#include <stddef.h>
#include <jansson.h>
#include "agent/metrics.h"

struct agent_metrics_prog {
	const char *name; /* label value; NULL: the kernel's name of the program */
	int fd;
};

/* Fills out[] with up to max programs to report; returns how many. */
typedef size_t (*agent_metrics_progs_fn)(void *ctx, struct agent_metrics_prog *out, size_t max);

/* Fleet mode's numbers (user/fleet), read at scrape time. */
struct agent_metrics_fleet {
	double connected, lag, applied_seq, outbox, quarantined;
	double applied, refused;          /* counters */
	double published[4];              /* database, decision, alert, verdict */
};
typedef void (*agent_metrics_fleet_fn)(void *ctx, struct agent_metrics_fleet *out);

struct agent_metrics {
	struct metrics *reg;
	struct metric_family *events;       /* {type}: decoded kernel events, by token */
	struct metric *ringbuf_lost;        /* failed ring buffer reservations */
	struct metric *windows_opened, *windows_closed, *windows_uncertain;
	struct metric_family *decisions;    /* {level} */
	struct metric_family *mitigations;  /* {action, backend} */
	struct metric *risk;                /* histogram of decision risk */
	struct metric_family *db_entries;   /* {label}: behavioral database size */
	struct metric_family *db_resyncs;   /* {result}: another process's changes applied */
	struct metric_family *prog_run_time, *prog_runs; /* {program} */
	struct metric_family *api_requests; /* {code} */
	struct metric_family *pruned;       /* {level}: decisions removed by retention */
	agent_metrics_progs_fn progs;
	void *progs_ctx;
	agent_metrics_fleet_fn fleet;
	void *fleet_ctx;
	struct metric *fleet_connected, *fleet_lag, *fleet_seq, *fleet_outbox, *fleet_quarantined;
	struct metric *fleet_applied, *fleet_refused;
	struct metric_family *fleet_published; /* {kind} */
};

struct agent_metrics *agent_metrics_new(void);
void agent_metrics_free(struct agent_metrics *am);

/* Counts one decision: by level, its risk, and its mitigation by action
 * and backend (an "allow" is no mitigation and is not counted there). The
 * one place decisions reach the metrics: a caller must not count again. */
void agent_metrics_decision(struct agent_metrics *am, const json_t *decision);

/* Reports run time and run count of the programs list() names at every
 * scrape (bpf_obj_get_info_by_fd). Run time is only counted while kernel
 * BPF stats are on: see agent_metrics_enable_bpf_stats. */
void agent_metrics_watch_progs(struct agent_metrics *am, agent_metrics_progs_fn list, void *ctx);
/* Registers the bpf_profiler_fleet_* families, filled from fn at every
 * scrape (fleet mode only: without it they do not exist). */
int agent_metrics_watch_fleet(struct agent_metrics *am, agent_metrics_fleet_fn fn, void *ctx);
/* Turns kernel BPF run-time accounting on for as long as the returned fd
 * is open (BPF_ENABLE_STATS). Returns the fd or -errno. */
int agent_metrics_enable_bpf_stats(void);

#endif
