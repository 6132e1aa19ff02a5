/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler report`: the decisions the agent stored, read straight from
 * its SQLite database (read-only), so it works whether or not the agent runs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "agent/config.h"
#include "decision/decision_store.h"
#include "lib/jsonout.h"
#include "lib/timefmt.h"
#include "lib/util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpf-profiler report [OPTIONS]\n\n"
		"Shows the decisions stored by the agent, newest first.\n\n"
		"Options:\n"
		"  -c, --config FILE  agent config to take db_path from (default %s, if present)\n"
		"      --store PATH   decision database (overrides the config's store.db_path)\n"
		"  -s, --since T      only decisions since T: RFC 3339, an age (90s, 15m, 2h, 7d)\n"
		"                     or epoch seconds\n"
		"  -l, --level L      only decisions of level L or higher (low, medium, high)\n"
		"  -n, --limit N      at most N decisions (default 50, at most %d)\n"
		"  -i, --id ID        one decision's full explanation\n"
		"      --container ID  only decisions in this container (an id, a prefix\n"
		"                     of one, or a glob)\n"
		"      --exe PATH     only decisions of processes running PATH (or a glob)\n"
		"      --unit UNIT    only decisions in this systemd unit (or a glob)\n"
		"      --pod UID      only decisions in this Kubernetes pod\n"
		"      --object PATH  only decisions on this loaded object (or a glob)\n"
		"      --uid UID      only decisions of processes of this user id\n"
		"  -j, --json         one decision per line as JSON (the objects GET\n"
		"                     /v1/decisions/ID returns), newest first\n"
		"  -h, --help         this help\n",
		CONFIG_DEFAULT_PATH, DECISION_QUERY_MAX);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static void print_number(const char *label, const json_t *v)
{
	if (json_is_number(v))
		printf("  %-12s %.3f\n", label, json_number_value(v));
	else
		printf("  %-12s n/a\n", label);
}

static void print_token_list(const json_t *arr)
{
	size_t i;
	json_t *t;

	if (!json_array_size(arr))
		printf(" -");
	json_array_foreach(arr, i, t)
		printf("%s%s", i ? " > " : " ", json_string_value(t) ? json_string_value(t) : "?");
	putchar('\n');
}

static void print_tokens(const char *label, const json_t *arr)
{
	printf("  %-12s", label);
	print_token_list(arr);
}

/* The attribution lines: only what the decision has. */
static void print_process(const json_t *p, const char *host)
{
	const json_t *uid = json_object_get(p, "uid");

	if (!p)
		return;
	if (json_is_integer(uid) && json_is_integer(json_object_get(p, "gid")))
		printf("  user         uid %lld, gid %lld\n", (long long)json_integer_value(uid),
		       (long long)json_integer_value(json_object_get(p, "gid")));
	else if (json_is_integer(uid))
		printf("  user         uid %lld\n", (long long)json_integer_value(uid));
	if (json_object_get(p, "ppid"))
		printf("  parent       %s (pid %lld)\n", str(p, "parent_comm"),
		       (long long)json_integer_value(json_object_get(p, "ppid")));
	if (json_object_get(p, "cmdline"))
		printf("  cmdline      %s\n", str(p, "cmdline"));
	if (json_object_get(p, "container_id"))
		printf("  container    %s (%s)\n", str(p, "container_id"), str(p, "container_runtime"));
	if (json_object_get(p, "pod_uid"))
		printf("  pod          %s\n", str(p, "pod_uid"));
	if (json_object_get(p, "unit"))
		printf("  unit         %s\n", str(p, "unit"));
	if (json_object_get(p, "cgroup"))
		printf("  cgroup       %s (id %lld)\n", str(p, "cgroup"),
		       (long long)json_integer_value(json_object_get(p, "cgroup_id")));
	printf("  host         %s\n", host);
}

static void print_explanation(const json_t *d)
{
	const json_t *c = json_object_get(d, "components"), *w = json_object_get(d, "window");
	const json_t *v;
	size_t i;

	printf("decision %lld  %s  %s at %s\n", (long long)json_integer_value(json_object_get(d, "id")),
	       str(d, "time"), str(d, "verdict_point"), str(d, "path"));
	printf("  process      %s (pid %lld) %s\n", str(d, "comm"),
	       (long long)json_integer_value(json_object_get(d, "pid")), str(d, "exe"));
	print_process(json_object_get(d, "process"), str(d, "host"));
	printf("  sha256       %s\n", str(d, "sha256"));
	printf("  level        %s (risk %.3f)\n", str(d, "level"),
	       json_number_value(json_object_get(d, "risk")));
	printf("  action       %s via %s", str(d, "action"), str(d, "backend"));
	if (json_object_get(d, "would"))
		printf(" (monitoring: enforcement would %s)", str(d, "would"));
	if (json_object_get(d, "file_kept"))
		printf(" (file kept: %s ships these bytes)", str(d, "file_kept"));
	putchar('\n');
	print_number("sequence", json_object_get(c, "sequence"));
	print_number("source", json_object_get(c, "source"));
	print_number("dcam", json_object_get(c, "dcam"));
	if (w) {
		print_tokens("lookback", json_object_get(w, "lookback"));
		print_tokens("load", json_object_get(w, "load"));
		print_tokens("follow", json_object_get(w, "follow"));
		if (json_is_true(json_object_get(w, "uncertain")))
			printf("  uncertain    yes: %lld events lost\n",
			       (long long)json_integer_value(json_object_get(w, "lost_events")));
	}
	json_array_foreach(json_object_get(d, "matches"), i, v) {
		printf("  match        entry %lld, similarity %.2f, risk %.2f, confidence %.2f, %s:",
		       (long long)json_integer_value(json_object_get(v, "entry_id")),
		       json_number_value(json_object_get(v, "similarity")),
		       json_number_value(json_object_get(v, "risk_score")),
		       json_number_value(json_object_get(v, "confidence")), str(v, "label"));
		print_token_list(json_object_get(v, "ngram"));
	}
	json_array_foreach(json_object_get(d, "findings"), i, v) {
		json_t *where = json_object_get(v, "where");

		printf("  finding      %s: %s in %s %s (weight %.2f)\n", str(v, "category"),
		       str(v, "what"), str(where, "entry_kind"), str(where, "entry"),
		       json_number_value(json_object_get(v, "weight")));
	}
	json_array_foreach(json_object_get(d, "reputation_reasons"), i, v)
		printf("  reputation   %s: %s (weight %.2f)\n", str(v, "code"), str(v, "detail"),
		       json_number_value(json_object_get(v, "weight")));
}

static void print_table(const json_t *arr)
{
	size_t i;
	json_t *d;

	if (!json_array_size(arr)) {
		printf("no decisions\n");
		return;
	}
	printf("%-8s %-27s %-6s %5s %-10s %-10s %7s %-16s %s\n", "ID", "TIME", "LEVEL", "RISK",
	       "ACTION", "BACKEND", "PID", "COMM", "OBJECT");
	json_array_foreach(arr, i, d)
		printf("%-8lld %-27s %-6s %5.2f %-10s %-10s %7lld %-16s %s\n",
		       (long long)json_integer_value(json_object_get(d, "id")), str(d, "time"),
		       str(d, "level"), json_number_value(json_object_get(d, "risk")),
		       str(d, "action"), str(d, "backend"),
		       (long long)json_integer_value(json_object_get(d, "pid")), str(d, "comm"),
		       str(d, "path"));
}

/* JSON lines, as every other --json of the CLI: a decision per line. */
static void print_json_lines(const json_t *d)
{
	size_t i;
	json_t *x;

	if (json_is_object(d)) {
		json_dumpf(d, stdout, JSONOUT_FLAGS);
		putchar('\n');
		return;
	}
	json_array_foreach(d, i, x) {
		json_dumpf(x, stdout, JSONOUT_FLAGS);
		putchar('\n');
	}
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || !*s || *end || *out < min || *out > max ? -EINVAL : 0;
}

int cmd_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "store", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 's' },  { "level", required_argument, NULL, 'l' },
		{ "limit", required_argument, NULL, 'n' },  { "id", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ "container", required_argument, NULL, 'C' }, { "exe", required_argument, NULL, 'E' },
		{ "unit", required_argument, NULL, 'U' },   { "pod", required_argument, NULL, 'P' },
		{ "object", required_argument, NULL, 'O' }, { "uid", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct decision_query q = { .limit = 50 };
	struct decision_store_opts so = { .sz = sizeof(so), .read_only = 1 };
	const char *config_path = NULL, *db = NULL;
	struct decision_store *store;
	struct config cfg;
	char err[512], next[DECISION_CURSOR_LEN];
	int json = 0, opt, ret;
	long id = 0, n;
	json_t *out;

	while ((opt = getopt_long(argc, argv, "c:s:l:n:i:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'd': db = optarg; break;
		case 'D':
			/* in `db` and `score`, --db is the behavioral database */
			fprintf(stderr, "bpf-profiler report: the decision database is --store PATH "
				"(--db names the behavioral database in other commands)\n");
			return EXIT_USAGE;
		case 's':
			if (timefmt_parse_since(optarg, (int64_t)util_now_real_ns(), &q.since_ns)) {
				fprintf(stderr, "bpf-profiler report: --since '%s' is not an RFC 3339 "
						"time, an age (15m, 2h, 7d) or epoch seconds\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if ((q.min_level = decision_level_parse(optarg)) < 0) {
				fprintf(stderr, "bpf-profiler report: --level must be low, medium or high\n");
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_long(optarg, 1, DECISION_QUERY_MAX, &n)) {
				fprintf(stderr, "bpf-profiler report: --limit must be 1..%d\n",
					DECISION_QUERY_MAX);
				return EXIT_USAGE;
			}
			q.limit = (unsigned)n;
			break;
		case 'i':
			if (parse_long(optarg, 1, __LONG_MAX__, &id)) {
				fprintf(stderr, "bpf-profiler report: --id must be a positive integer\n");
				return EXIT_USAGE;
			}
			break;
		case 'j': json = 1; break;
		case 'C': q.container = optarg; break;
		case 'E': q.exe = optarg; break;
		case 'U': q.unit = optarg; break;
		case 'P': q.pod = optarg; break;
		case 'O': q.object = optarg; break;
		case 'u':
			if (parse_long(optarg, 0, UINT32_MAX, &n)) {
				fprintf(stderr, "bpf-profiler report: --uid must be 0..%u\n", UINT32_MAX);
				return EXIT_USAGE;
			}
			q.uid = n;
			q.uid_set = true;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'bpf-profiler report --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bpf-profiler report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	config_defaults(&cfg);
	if (!config_path && !access(CONFIG_DEFAULT_PATH, F_OK))
		config_path = CONFIG_DEFAULT_PATH;
	if (config_path && config_load(config_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler report: %s\n", err);
		return EXIT_FAIL;
	}
	if (!db)
		db = cfg.store.db_path;
	ret = decision_store_open(db, &so, &store, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler report: %s\n", err);
		return EXIT_FAIL;
	}
	if (id) {
		ret = decision_store_get(store, id, &out);
		if (ret == -ENOENT)
			fprintf(stderr, "bpf-profiler report: no decision %ld in %s\n", id, db);
	} else {
		json_t *arr;

		ret = decision_store_query(store, &q, &arr, next);
		out = ret ? NULL : json_pack("{s:o, s:o}", "decisions", arr, "next_cursor",
					     *next ? json_string(next) : json_null());
	}
	if (ret == -ENOTSUP)
		fprintf(stderr, "bpf-profiler report: %s predates the attribution filters: start "
			"the agent on it once to add them\n", db);
	else if (ret && ret != -ENOENT)
		fprintf(stderr, "bpf-profiler report: reading %s: %s\n", db, strerror(-ret));
	decision_store_close(store);
	if (ret)
		return EXIT_FAIL;
	if (json) {
		print_json_lines(id ? out : json_object_get(out, "decisions"));
	} else if (id) {
		print_explanation(out);
	} else {
		print_table(json_object_get(out, "decisions"));
	}
	json_decref(out);
	return EXIT_OK;
}
