/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* bpf-profiler: dispatches to the subcommands in user/cli/cmd_*.c. */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/util.h"

static const struct command commands[] = {
	/* keep in the order `bpf-profiler --help` should list them */
	{ "trace", "trace a command or process and judge the code it loads", cmd_trace_main },
	{ "agent", "the daemon: judge every process's loads, serve decisions and metrics", cmd_agent_main },
	{ "probe", "report which kernel features and mitigation backends work here", cmd_probe_main },
	{ "analyze", "static analysis and source reputation of ELF objects", cmd_analyze_main },
	{ "report", "decisions stored by the agent (runs with or without it)", cmd_report_main },
	{ "db", "manage the behavioral database (stats, add, rm, import, export, learn)", cmd_db_main },
	{ "fleet", "status of a fleet of agents on NATS JetStream (docs/fleet.md)", cmd_fleet_main },
	{ "score", "score a recorded trace against the behavioral database", cmd_score_main },
	{ "eval", "learn from labelled dataset traces and measure detection", cmd_eval_main },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: bpf-profiler COMMAND [OPTIONS]\n\n"
		     "Predicts what dynamically loaded code is about to do, with eBPF.\n\n"
		     "Commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'bpf-profiler COMMAND --help' for a command's options.\n"
		     "Exit codes: see docs/cli.md.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bpf-profiler %s\n", BPFPROF_VERSION);
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	fprintf(stderr, "bpf-profiler: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
