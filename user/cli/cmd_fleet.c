/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler fleet status`: the hosts of a fleet (docs/fleet.md), their
 * last decision, database stream position and consumer lag, read from the
 * NATS server (the agents need not be reachable). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "agent/config.h"
#include "cli/commands.h"
#include "fleet/fleet_status.h"
#include "lib/log.h"
#include "lib/jsonout.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: bpf-profiler fleet status [--url URL] [--config FILE] [--json]\n\n"
"Hosts seen in the fleet (from their heartbeats, every 5 s), each one's last\n"
"decision, the database stream position it applied and its consumer's lag.\n\n"
"Options:\n"
"  -u, --url URL       NATS server(s) (default: [fleet] url of the config)\n"
"  -c, --config FILE   agent config for url, credentials, TLS and stream_prefix\n"
"                      (default %s if it exists)\n"
"      --json          one JSON document\n"
"  -h, --help          this help\n\n"
"Exit status: 0; 1 no server or no fleet streams; 2 usage.\n", CONFIG_DEFAULT_PATH);
}

static void print_text(const json_t *st)
{
	const json_t *stream = json_object_get(st, "stream"), *h;
	size_t i;

	printf("database stream %s: %lld messages, last sequence %lld; %lld quarantined hash(es)\n",
	       json_string_value(json_object_get(stream, "name")),
	       (long long)json_integer_value(json_object_get(stream, "messages")),
	       (long long)json_integer_value(json_object_get(stream, "last_seq")),
	       (long long)json_integer_value(json_object_get(st, "quarantined")));
	printf("%-24s %-20s %8s %6s %6s  %s\n", "HOST", "SEEN", "APPLIED", "LAG", "OUTBOX",
	       "LAST DECISION");
	json_array_foreach(json_object_get(st, "hosts"), i, h) {
		const json_t *d = json_object_get(h, "last_decision");
		json_t *lag = json_object_get(h, "consumer_lag");

		printf("%-24s %-20s %8lld %6lld %6lld  ", json_string_value(json_object_get(h, "host")),
		       json_string_value(json_object_get(h, "time")),
		       (long long)json_integer_value(json_object_get(h, "applied_seq")),
		       (long long)json_integer_value(lag ? lag : json_object_get(h, "lag")),
		       (long long)json_integer_value(json_object_get(h, "outbox")));
		if (d)
			printf("%s %s %s %s\n", json_string_value(json_object_get(d, "time")),
			       json_string_value(json_object_get(d, "level")),
			       json_string_value(json_object_get(d, "action")),
			       json_string_value(json_object_get(d, "path")));
		else
			printf("-\n");
	}
}

int cmd_fleet_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *url = NULL, *conf = NULL;
	struct config cfg;
	json_t *st;
	char err[512];
	int c, json = 0;

	while ((c = getopt_long(argc, argv, "u:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'c': conf = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "status") || optind + 1 != argc) {
		fprintf(stderr, "bpf-profiler fleet: expected the command 'status'\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	config_defaults(&cfg);
	if (!conf && !access(CONFIG_DEFAULT_PATH, R_OK))
		conf = CONFIG_DEFAULT_PATH;
	if (conf && config_load(conf, &cfg, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler fleet: %s\n", err);
		return EXIT_USAGE;
	}
	if (!url)
		url = cfg.fleet.url;
	if (!*url) {
		fprintf(stderr, "bpf-profiler fleet: no NATS URL: give --url or set [fleet] url in "
			"the config\n");
		return EXIT_USAGE;
	}
	log_set_level(LOG_LVL_ERROR);
	if (fleet_status_collect(&(struct fleet_status_opts){
		    .url = url, .creds_file = cfg.fleet.creds_file[0] ? cfg.fleet.creds_file : NULL,
		    .token_file = cfg.fleet.token_file[0] ? cfg.fleet.token_file : NULL,
		    .tls_ca = cfg.fleet.tls_ca[0] ? cfg.fleet.tls_ca : NULL,
		    .prefix = cfg.fleet.stream_prefix }, &st, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler fleet: %s\n", err);
		return EXIT_FAIL;
	}
	if (json) {
		json_dumpf(st, stdout, JSONOUT_FLAGS);
		putchar('\n');
	} else {
		print_text(st);
	}
	json_decref(st);
	return EXIT_OK;
}
