/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler agent`: the daemon. Every process's dlopen is judged;
 * decisions are stored, served over HTTP and counted in /metrics. SIGHUP
 * reloads config and policy (the BPF programs stay loaded, so no event is
 * lost); SIGTERM drains the ring buffer and detaches. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include "agent/agent_metrics.h"
#include "agent/api.h"
#include "agent/api_behaviors.h"
#include "agent/api_fleet.h"
#include "behaviors/bdstore.h"
#include "behaviors/bdwatch.h"
#include "cli/commands.h"
#include "agent/config.h"
#include "decision/attribution.h"
#include "decision/decision.h"
#include "decision/decision_store.h"
#include "fleet/fleet.h"
#include "fleet/fleet_trust.h"
#include "respond/alert.h"
#include "respond/gate.h"
#include "score/exceptions.h"
#include "lib/log.h"
#include "agent/metrics.h"
#include "respond/mitigate.h"
#include "pipeline/pipeline.h"
#include "kernel/probe.h"
#include "score/scorer.h"
#include "kernel/tracer.h"
#include "lib/util.h"
#include "pipeline/window.h"

struct agent {
	struct config cfg;
	const char *config_path;
	struct verdict_policy policy;
	struct tracer *tracer;
	struct pipeline *pipeline;
	struct scorer *scorer;
	struct gate *gate;
	struct mitigate *mitigate;
	struct decision_store *store;
	struct tokens *tokens;
	struct bdstore *bd;
	struct bdindex *bdidx;
	struct api_behaviors behaviors;
	bool behaviors_ready;
	struct bdwatch *bdwatch;        /* applies other processes' changes to bdidx */
	struct agent_metrics *metrics;
	struct api *api;
	struct fleet *fleet;            /* [fleet] url set: NATS JetStream */
	struct fleet_trust *trust;      /* [submitter.NAME] sections */
	struct decision_sink sinks[2];  /* the local store, then the fleet */
	size_t nsinks;
	int stats_fd;
	unsigned long decisions;
	struct exceptions *exceptions;  /* the live rules the pipeline reads */
	uint64_t next_prune_ns;
};

/* how soon a `db import` or `db add` by another process reaches the live index */
#define BDWATCH_INTERVAL_MS 1000

/* how often old decisions are pruned ([retention]) */
#define PRUNE_INTERVAL_NS (60 * 1000000000ull)

static volatile sig_atomic_t stop_requested, reload_requested, reopen_requested;

/* SIGUSR1 (logrotate): reopen the decision log, nothing else */
static void on_usr1(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: bpf-profiler agent [OPTIONS]\n\n"
"Watches every process's dlopen (and code loading outside it), judges each\n"
"load, applies the policy and serves decisions, metrics and the analyst\n"
"report page over HTTP. Runs until SIGTERM/SIGINT; SIGHUP reloads the\n"
"config (scoring weights, thresholds, enforcement, alerts, log files);\n"
"window sizes and the gate take effect at the next start.\n\n"
"Options:\n"
"  -c, --config FILE       config file (default %s if it exists;\n"
"                          reference: docs/operations.md)\n"
"      --store PATH        decision database (overrides [store] db_path)\n"
"      --listen-unix PATH  API unix socket (overrides [api] listen_unix)\n"
"      --listen-tcp A:P    API TCP listener, needs a token (overrides [api] listen_tcp)\n"
"      --token-file FILE   bearer token for TCP (overrides [api] token_file)\n"
"  -v, --verbose           more diagnostics on stderr\n"
"  -h, --help              this help\n\n"
"Exit status: 0 after a clean stop; 2 usage or config error; 3 privileges;\n"
"4 kernel feature missing; 1 other errors (docs/cli.md).\n", CONFIG_DEFAULT_PATH);
}

/* Fleet mode: a quarantine stops the same bytes on every host (not bytes a
 * package shipped: mitigate_keeps_file), and what alerts here alerts the
 * fleet's consumers. */
static void publish_verdict(struct agent *a, const struct decision *d, const json_t *doc)
{
	const char *sha = d->result ? d->result->sha256_hex : "";
	enum mitigate_action act = d->mitigation.action;
	json_t *al;

	if (sha[0] && act == MITIGATE_QUARANTINE && !d->mitigation.file_kept[0] &&
	    fleet_quarantine(a->fleet, sha, doc))
		log_error("fleet: cannot queue the quarantine of %s", sha);
	if ((act != MITIGATE_QUARANTINE && act != MITIGATE_ALERT) || !d->result)
		return;
	al = alert_build(d->window, d->result, &d->mitigation);
	if (!al || fleet_alert(a->fleet, al))
		log_error("fleet: cannot queue the alert on %s", d->window->path);
	json_decref(al);
}

static void record(struct agent *a, const struct decision *d)
{
	json_t *doc = decision_to_json(d);
	char err[256];
	int64_t id;

	if (!doc)
		return;
	/* [retention] record_level: below it a decision is counted, not kept
	 * (nor published: the fleet's consumers see what the host keeps); a
	 * quarantine is still shared */
	for (size_t i = 0; (int)d->result->verdict.level >= a->cfg.retention.record_level &&
			   i < a->nsinks; i++) {
		if (a->sinks[i].record(a->sinks[i].ctx, doc, &id, err, sizeof(err)))
			log_error("cannot %s the decision on %s: %s", i ? "publish" : "store",
				  d->window->path, err);
		else if (!i)
			a->decisions++;
	}
	if (a->fleet)
		publish_verdict(a, d, doc);
	agent_metrics_decision(a->metrics, doc);
	json_decref(doc);
}

/* A verdict from the fleet's bucket, on the main loop (the scorer's thread). */
static void on_fleet_verdict(void *ctx, const char *sha256, bool quarantined)
{
	struct agent *a = ctx;

	if (quarantined)
		scorer_quarantine_hash(a->scorer, sha256);
	else
		scorer_release_hash(a->scorer, sha256);
	log_info("fleet: %s %s", quarantined ? "quarantined" : "released", sha256);
}

static void fleet_numbers(void *ctx, struct agent_metrics_fleet *out)
{
	struct fleet_stats s;

	fleet_stats(ctx, &s);
	out->connected = s.connected;
	out->lag = (double)s.lag;
	out->applied_seq = (double)s.applied_seq;
	out->outbox = (double)s.outbox_depth;
	out->quarantined = (double)s.quarantined;
	out->applied = (double)s.applied_entries;
	out->refused = (double)s.refused_messages;
	for (int i = 0; i < 4; i++)
		out->published[i] = (double)s.published[i];
}

static void on_bd_applied(void *ctx)
{
	struct agent *a = ctx;

	api_behaviors_count(&a->behaviors);
}

static const char *submitter_of(void *ctx, const char *token)
{
	return fleet_trust_who(ctx, token);
}

/* [submitter.NAME] sections: their tokens and trust for the API. */
static int open_trust(struct agent *a, char *err, size_t errlen)
{
	struct fleet_trust_submitter subs[CONFIG_SUBMITTERS_MAX];
	const struct config *c = &a->cfg;

	if (!c->nsubmitters)
		return 0;
	for (size_t i = 0; i < c->nsubmitters; i++)
		subs[i] = (struct fleet_trust_submitter){
			.name = c->submitters[i].name, .token_file = c->submitters[i].token_file,
			.trust = c->submitters[i].trust, .rate = c->submitters[i].rate,
			.max_entries = c->submitters[i].max_entries };
	return fleet_trust_new(subs, c->nsubmitters, &a->trust, err, errlen);
}

/* [fleet] url set: the database stream, the outbox, the verdict bucket. */
static int open_fleet(struct agent *a, char *err, size_t errlen)
{
	const struct config *c = &a->cfg;
	char outbox[PATH_MAX + 16];
	int ret;

	if (!c->fleet.url[0])
		return 0;
	if (c->fleet.outbox[0])
		snprintf(outbox, sizeof(outbox), "%s", c->fleet.outbox);
	else
		snprintf(outbox, sizeof(outbox), "%s.fleet", c->store.db_path);
	ret = fleet_open(&(struct fleet_opts){
		.sz = sizeof(struct fleet_opts), .url = c->fleet.url, .host_id = c->fleet.host_id,
		.creds_file = c->fleet.creds_file, .token_file = c->fleet.token_file,
		.tls_ca = c->fleet.tls_ca, .prefix = c->fleet.stream_prefix,
		.replicas = c->fleet.replicas, .outbox = outbox, .bd = a->bd, .idx = a->bdidx,
		.tok = a->tokens, .bd_lock = &a->behaviors.lock, .bd_applied = on_bd_applied,
		.ctx = a }, &a->fleet, err, errlen);
	if (ret)
		return ret;
	a->sinks[a->nsinks++] = fleet_decision_sink(a->fleet);
	return agent_metrics_watch_fleet(a->metrics, fleet_numbers, a->fleet);
}

static void on_decision(void *ctx, const struct decision *d)
{
	struct agent *a = ctx;

	metric_inc(a->metrics->windows_closed);
	if (d->window->uncertain)
		metric_inc(a->metrics->windows_uncertain);
	record(a, d);
}

/* A judged gate is a decision of its own (verdict point "gate"). */
static void on_gate(void *ctx, const struct pipeline_gate_report *g)
{
	struct agent *a = ctx;

	if (!g->decision) {
		log_info("gate: %s pid %u (%s)", gate_decision_name(g->action), g->hdr->pid,
			 g->reason);
		return;
	}
	record(a, g->decision);
}

static void on_event(void *ctx, const void *data, size_t size, const struct window *w)
{
	struct agent *a = ctx;
	const struct bp_event_hdr *h = data;
	static const char *const names[] = {
		[BP_EV_CALL] = "call", [BP_EV_WINDOW_OPEN] = "window_open",
		[BP_EV_DLOPEN_RET] = "dlopen_return", [BP_EV_WINDOW_CLOSE] = "window_close",
		[BP_EV_GATE] = "gate", [BP_EV_CODE] = "code",
	};

	(void)size;
	(void)w;
	if (h->type < ARRAY_SIZE(names) && names[h->type])
		metric_inc(metric_get(a->metrics->events, names[h->type]));
	if (h->type == BP_EV_WINDOW_OPEN) {
		metric_inc(a->metrics->windows_opened);
		/* a short-lived loader may be gone when its decision is built */
		attribution_remember((pid_t)h->pid);
	}
}

static size_t list_programs(void *ctx, struct agent_metrics_prog *out, size_t max)
{
	struct agent *a = ctx;
	const char *names[64];
	int fds[64];
	size_t n = tracer_programs(a->tracer, names, fds, max < 64 ? max : 64);

	for (size_t i = 0; i < n; i++)
		out[i] = (struct agent_metrics_prog){ .name = names[i], .fd = fds[i] };
	return n;
}

/* The command line's overrides of the file (cmd_agent_main fills them). */
enum { OV_STORE, OV_LISTEN_UNIX, OV_LISTEN_TCP, OV_TOKEN_FILE, OV_N };

static int load_config(struct agent *a, struct config *cfg, const char *const *overrides,
		       char *err, size_t errlen)
{
	const struct config_override ov[OV_N] = {
		[OV_STORE] = { "store", "db_path", overrides[OV_STORE] },
		[OV_LISTEN_UNIX] = { "api", "listen_unix", overrides[OV_LISTEN_UNIX] },
		[OV_LISTEN_TCP] = { "api", "listen_tcp", overrides[OV_LISTEN_TCP] },
		[OV_TOKEN_FILE] = { "api", "token_file", overrides[OV_TOKEN_FILE] },
	};
	int ret;

	config_defaults(cfg);
	if (a->config_path) {
		ret = config_load(a->config_path, cfg, err, errlen);
		if (ret)
			return ret;
	}
	/* all at once: --listen-tcp needs --token-file, and each alone fails */
	return config_apply_overrides(cfg, ov, OV_N, err, errlen);
}

static int start_mitigation(struct agent *a, char *err, size_t errlen)
{
	struct mitigate_opts mo = {
		.act = a->cfg.policy.enforce == CONFIG_ENFORCE_ON,
		.cache = tracer_verdict_cache(a->tracer), .net = SANDBOX_NET_NONE,
		.alert_log = a->cfg.alerts.alert_log[0] ? a->cfg.alerts.alert_log : NULL,
		.webhook_url = a->cfg.alerts.webhook_url[0] ? a->cfg.alerts.webhook_url : NULL,
	};
	char outbox[PATH_MAX + 16];

	snprintf(outbox, sizeof(outbox), "%s.outbox", a->cfg.store.db_path);
	mo.outbox = outbox;
	return mitigate_open(&mo, &a->mitigate, err, errlen);
}

/* `db import`, `db add`, ... while the agent runs: the live index follows. */
static void on_bd_changed(void *arg)
{
	struct agent *a = arg;
	struct bd_sync_stats st;
	uint64_t t0 = util_now_mono_ns();
	int ret = api_behaviors_sync(&a->behaviors, &st);

	metric_inc(metric_get(a->metrics->db_resyncs, ret ? "failed" : "applied"));
	if (ret)
		log_error("behavioral database %s changed on disk, but the change cannot be "
			  "applied (%s): the agent scores with the entries it has",
			  a->cfg.store.bd_path, bdstore_strerror(a->bd, ret));
	else
		log_info("behavioral database %s changed on disk: %zu added, %zu replaced, "
			 "%zu removed, %zu entries (%.0f ms)", a->cfg.store.bd_path, st.added,
			 st.replaced, st.removed, bdindex_count(a->bdidx),
			 (double)(util_now_mono_ns() - t0) / 1e6);
}

/* The vocabulary, the behavioral database and its live index. */
static int open_behaviors(struct agent *a, char *err, size_t errlen)
{
	uint64_t version = 0;
	int ret;

	if (a->cfg.tokens.file[0])
		ret = tokens_load_file(a->cfg.tokens.file, &a->tokens, err, errlen);
	else
		ret = tokens_load_default(&a->tokens);
	if (ret)
		return ret;
	ret = bdstore_open(a->cfg.store.bd_path, 0, &a->bd, err, errlen);
	if (!ret && (ret = bdstore_data_version(a->bd, &version)))
		snprintf(err, errlen, "%.200s: %s", a->cfg.store.bd_path, bdstore_errmsg(a->bd));
	if (!ret)
		ret = bdindex_create(a->tokens, &a->bdidx);
	if (!ret && (ret = bdstore_load_index(a->bd, a->tokens, a->bdidx)))
		snprintf(err, errlen, "%.200s: cannot load the behavioral database: %s",
			 a->cfg.store.bd_path, bdstore_strerror(a->bd, ret));
	if (!ret && !(ret = api_behaviors_init(&a->behaviors, a->bd, a->bdidx, a->tokens, a->metrics)))
		a->behaviors_ready = true;
	if (!ret && !(ret = open_trust(a, err, errlen)))
		a->behaviors.trust = a->trust;
	if (!ret && (ret = bdwatch_start(a->bd, version, BDWATCH_INTERVAL_MS, on_bd_changed, a,
					 &a->bdwatch)))
		snprintf(err, errlen, "cannot watch %.200s: %s", a->cfg.store.bd_path, strerror(-ret));
	return ret;
}

/* The config's [exceptions] become the live set the pipeline reads (its
 * handle stays the same; the rules are swapped). */
static void take_exceptions(struct agent *a)
{
	struct exceptions *fresh = a->cfg.exceptions ? a->cfg.exceptions : exceptions_new();

	if (!fresh)
		return;
	exceptions_swap(a->exceptions, fresh);
	exceptions_free(fresh); /* the previous rules */
	a->cfg.exceptions = NULL;
}

/* [retention]: old decisions go, low first (shorter defaults). */
static void prune(struct agent *a, uint64_t now_mono)
{
	struct decision_retention r;
	int64_t gone[DECISION_LEVELS];

	if (now_mono < a->next_prune_ns)
		return;
	a->next_prune_ns = now_mono + PRUNE_INTERVAL_NS;
	for (int l = 0; l < DECISION_LEVELS; l++) {
		r.max_age_ns[l] = (int64_t)a->cfg.retention.max_age_s[l] * 1000000000LL;
		r.max_count[l] = a->cfg.retention.max_count[l];
	}
	if (decision_store_prune(a->store, &r, (int64_t)util_now_real_ns(), gone)) {
		log_warn("pruning old decisions failed; they are kept");
		return;
	}
	for (int l = 0; l < DECISION_LEVELS; l++)
		if (gone[l]) {
			metric_add(metric_get(a->metrics->pruned, verdict_level_name(l)), (double)gone[l]);
			log_info("retention: %lld %s decisions removed", (long long)gone[l],
				 verdict_level_name(l));
		}
}

/* SIGHUP: a new config replaces the old one only if it is valid whole. */
static void reload(struct agent *a, const char *const *overrides)
{
	struct config cfg;
	char err[512];

	if (load_config(a, &cfg, overrides, err, sizeof(err))) {
		log_error("reload refused, keeping the running config: %s", err);
		return;
	}
	config_free(&a->cfg);
	a->cfg = cfg;
	take_exceptions(a);
	config_verdict_policy(&a->cfg, &a->policy);
	scorer_set_policy(a->scorer, &a->policy);
	mitigate_close(a->mitigate);
	a->mitigate = NULL;
	if (start_mitigation(a, err, sizeof(err)))
		log_error("reload: enforcement off: %s", err);
	pipeline_set_mitigate(a->pipeline, a->mitigate);
	pipeline_set_gate_kills(a->pipeline, a->cfg.policy.enforce == CONFIG_ENFORCE_ON);
	decision_store_reopen_log(a->store);
	log_info("config reloaded%s%s: %zu exceptions", a->config_path ? " from " : "",
		 a->config_path ? a->config_path : "", exceptions_count(a->exceptions));
}

/* Where the config puts files, the directories must exist (systemd's
 * StateDirectory/LogsDirectory make them too; a hand start should work). */
static void make_state_dirs(const struct config *cfg)
{
	const char *paths[] = { cfg->store.db_path, cfg->store.bd_path, cfg->store.decision_log,
				cfg->alerts.alert_log, cfg->api.listen_unix };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		int ret = paths[i][0] ? util_mkdir_parents(paths[i], 0750) : 0;

		if (ret)
			log_warn("cannot create the directory of %s: %s", paths[i], strerror(-ret));
	}
}

/* Up to 1000 API connections (api.c) beside a few hundred BPF fds: the
 * soft limit of 1024 is too low, the hard one is the administrator's. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void update_gauges(struct agent *a, const struct bp_stats *kernel)
{
	metric_set(a->metrics->ringbuf_lost, (double)kernel->events_lost);
}

int cmd_agent_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'D' },
		{ "listen-unix", required_argument, NULL, 'u' },
		{ "listen-tcp", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *overrides[OV_N] = { 0 };
	struct agent a = { .stats_fd = -1 };
	struct tracer_opts topts = TRACER_OPTS_DEFAULT;
	struct bp_stats kernel = { 0 };
	struct decision_store_opts so = { .sz = sizeof(so) };
	struct api_opts ao = { .sz = sizeof(ao) };
	struct api_route routes[API_BEHAVIORS_NROUTES + API_FLEET_NROUTES];
	char err[512];
	int opt, ret, exit_code = EXIT_OK;

	/* a daemon says what it does: start, reload, stop are info lines */
	log_set_level(LOG_LVL_INFO);
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': a.config_path = optarg; break;
		case 'd': overrides[OV_STORE] = optarg; break;
		case 'D':
			/* --db names the behavioral database in `db` and `score` */
			fprintf(stderr, "bpf-profiler agent: --db is not an agent option: the decision "
				"database is --store PATH, the behavioral database [store] bd_path\n");
			return EXIT_USAGE;
		case 'u': overrides[OV_LISTEN_UNIX] = optarg; break;
		case 't': overrides[OV_LISTEN_TCP] = optarg; break;
		case 'k': overrides[OV_TOKEN_FILE] = optarg; break;
		case 'v': log_set_level(log_get_level() + 1); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bpf-profiler agent: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!a.config_path && !access(CONFIG_DEFAULT_PATH, F_OK))
		a.config_path = CONFIG_DEFAULT_PATH;
	if (load_config(&a, &a.cfg, overrides, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler agent: %s\n", err);
		return EXIT_USAGE;
	}
	if (exceptions_count(a.cfg.exceptions))
		log_info("%zu exceptions ([exceptions] of %s)", exceptions_count(a.cfg.exceptions),
			 a.config_path ? a.config_path : "the config");
	ret = probe_require_tracing(err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler agent: %s\n", err);
		return ret == -EPERM ? EXIT_PRIVILEGE : EXIT_KERNEL;
	}
	a.exceptions = exceptions_new();
	if (!a.exceptions) {
		config_free(&a.cfg);
		return EXIT_FAIL;
	}
	take_exceptions(&a);
	config_verdict_policy(&a.cfg, &a.policy);
	/* what it writes (logs, databases, the outbox) is not for other users;
	 * the decision database is the owner's alone (decision_store_open) */
	umask(umask(0) | 027);
	raise_fd_limit();
	make_state_dirs(&a.cfg);

	/* the gate's watchdog is forked before any BPF fd exists */
	if (a.cfg.policy.gate &&
	    (ret = gate_new(a.cfg.policy.fail == CONFIG_FAIL_CLOSED ? GATE_FAIL_CLOSED : GATE_FAIL_OPEN,
			    a.cfg.policy.gate_timeout_ms, &a.gate))) {
		fprintf(stderr, "bpf-profiler agent: cannot start the gate watchdog: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	so.decision_log = a.cfg.store.decision_log[0] ? a.cfg.store.decision_log : NULL;
	so.sync_full = a.cfg.store.sync_full;
	ret = decision_store_open(a.cfg.store.db_path, &so, &a.store, err, sizeof(err));
	a.metrics = agent_metrics_new();
	if (!ret && !a.metrics)
		ret = -ENOMEM;
	if (!ret)
		ret = open_behaviors(&a, err, sizeof(err));
	if (!ret)
		ret = scorer_new(&a.policy, a.tokens, a.bdidx, &a.scorer, err, sizeof(err));
	if (!ret) {
		a.sinks[a.nsinks++] = decision_store_sink(a.store);
		ret = open_fleet(&a, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "bpf-profiler agent: %s\n", err[0] ? err : strerror(-ret));
		exit_code = EXIT_FAIL;
		goto out;
	}

	topts.lookback_k = a.cfg.window.lookback;
	topts.follow_m = a.cfg.window.follow;
	topts.follow_ms = a.cfg.window.follow_ms;
	topts.gate = a.cfg.policy.gate;
	ret = tracer_open(&topts, &a.tracer, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler agent: %s\n", err);
		exit_code = ret == -EPERM ? EXIT_PRIVILEGE : EXIT_KERNEL;
		goto out;
	}
	tracer_find_all_loaders(a.tracer);
	a.stats_fd = agent_metrics_enable_bpf_stats();
	agent_metrics_watch_progs(a.metrics, list_programs, &a);
	if (start_mitigation(&a, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler agent: %s\n", err);
		exit_code = EXIT_FAIL;
		goto out;
	}
	ret = pipeline_new(&(struct pipeline_opts){
		.scorer = a.scorer, .gate = a.gate, .cache = tracer_verdict_cache(a.tracer),
		.mitigate = a.mitigate, .gate_kills_high = a.cfg.policy.enforce == CONFIG_ENFORCE_ON,
		.follow_ms = a.cfg.window.follow_ms, .exceptions = a.exceptions,
		.hooks = { .on_event = on_event, .on_gate = on_gate, .on_decision = on_decision,
			   .ctx = &a } }, &a.pipeline);
	if (ret) {
		exit_code = EXIT_FAIL;
		goto out;
	}

	ao.listen_unix = a.cfg.api.listen_unix[0] ? a.cfg.api.listen_unix : NULL;
	ao.unix_mode = a.cfg.api.unix_mode;
	ao.listen_tcp = a.cfg.api.listen_tcp[0] ? a.cfg.api.listen_tcp : NULL;
	ao.token_file = a.cfg.api.token_file[0] ? a.cfg.api.token_file : NULL;
	ao.max_body = a.cfg.api.max_body;
	ao.store = a.store;
	ao.metrics = a.metrics;
	api_behaviors_routes(&a.behaviors, routes);
	api_behaviors_count(&a.behaviors);
	ao.routes = routes;
	ao.nroutes = API_BEHAVIORS_NROUTES;
	if (a.fleet) {
		api_fleet_routes(a.fleet, routes + ao.nroutes);
		ao.nroutes += API_FLEET_NROUTES;
	}
	if (a.trust) {
		ao.principal = submitter_of;
		ao.principal_ctx = a.trust;
	}
	ret = api_start(&ao, &a.api, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler agent: %s\n", err);
		exit_code = EXIT_FAIL;
		goto out;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, on_hup);
	signal(SIGUSR1, on_usr1);
	signal(SIGPIPE, SIG_IGN);
	log_info("agent running: %d dlopen loader(s) watched, API on %s%s%s (port %d)",
		 tracer_loader_count(a.tracer), ao.listen_unix ? ao.listen_unix : "-",
		 ao.listen_tcp ? " and " : "", ao.listen_tcp ? ao.listen_tcp : "",
		 api_tcp_port(a.api));
	sd_notify(0, "READY=1");

	while (!stop_requested) {
		ret = tracer_poll(a.tracer, 100, pipeline_on_record, a.pipeline);
		if (ret < 0 && ret != -EINTR) {
			log_error("reading the ring buffer: %s", strerror(-ret));
			exit_code = EXIT_FAIL;
			break;
		}
		tracer_stats(a.tracer, &kernel);
		pipeline_tick(a.pipeline, &kernel);
		tracer_tick(a.tracer);
		if (a.fleet)
			fleet_verdicts_take(a.fleet, on_fleet_verdict, &a);
		update_gauges(&a, &kernel);
		prune(&a, util_now_mono_ns());
		if (reopen_requested) {
			reopen_requested = 0;
			if (decision_store_reopen_log(a.store))
				log_error("cannot reopen the decision log %s", a.cfg.store.decision_log);
			else
				log_info("decision log reopened");
		}
		if (reload_requested) {
			reload_requested = 0;
			sd_notify(0, "RELOADING=1");
			reload(&a, overrides);
			sd_notify(0, "READY=1");
		}
	}
	sd_notify(0, "STOPPING=1");
	while (tracer_poll(a.tracer, 0, pipeline_on_record, a.pipeline) > 0)
		;
	tracer_stats(a.tracer, &kernel);
	pipeline_close_all(a.pipeline, &kernel);
	update_gauges(&a, &kernel);
	log_info("agent stopped: %lu decisions stored", a.decisions);
out:
	api_stop(a.api);
	fleet_close(a.fleet);
	bdwatch_stop(a.bdwatch);
	gate_free(a.gate);
	mitigate_close(a.mitigate);
	tracer_close(a.tracer);
	pipeline_free(a.pipeline);
	scorer_free(a.scorer);
	if (a.behaviors_ready)
		api_behaviors_destroy(&a.behaviors);
	fleet_trust_free(a.trust);
	bdindex_free(a.bdidx);
	bdstore_close(a.bd);
	tokens_free(a.tokens);
	if (a.stats_fd >= 0)
		close(a.stats_fd);
	agent_metrics_free(a.metrics);
	decision_store_close(a.store);
	exceptions_free(a.exceptions);
	config_free(&a.cfg);
	return exit_code;
}
