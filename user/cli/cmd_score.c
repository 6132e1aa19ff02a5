/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* bpf-profiler score: replay recorded traces through the runtime scorer
 * (seqscore_window) and print each score with the entries that made it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/bd.h"
#include "behaviors/bdsnapshot.h"
#include "cli/commands.h"
#include "score/seqscore.h"
#include "learn/tracefile.h"
#include "lib/jsonout.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpf-profiler score [--db PATH | --snapshot FILE] [--syscall-table FILE] [--json] FILE...\n\n"
		"Score each trace as one window with the runtime scorer and print the score\n"
		"(0..1) and the matched entries. A trace file holds token names separated by\n"
		"whitespace (e.g. \"connect:inet recvfrom openat:write_tmp fchmodat:exec dlopen\"),\n"
		"or a JSON array of names or {\"call\": name} objects; with --syscall-table, syscall\n"
		"numbers (ADFA-LD). '-' reads standard input.\n\n"
		"Options:\n"
		"  --db PATH            score against this SQLite database\n"
		"  --snapshot FILE      score against a database snapshot (db export)\n"
		"                       (neither: the curated default database built in)\n"
		"  --syscall-table FILE traces are syscall numbers; number<TAB>name per line\n"
		"  --json               one JSON object per trace\n"
		"  -h, --help           this help\n");
}

/* A name neither the vocabulary nor the database knows can match nothing
 * (often a typo, or the wrong --syscall-table): say which, once per trace. */
static void note_unknown_tokens(const struct tokens *tok, size_t known, const char *trace,
				const token_id *seq, size_t n)
{
	size_t extra = tokens_count(tok) - known, used = 0, count = 0;
	bool *seen = extra ? calloc(extra, sizeof(*seen)) : NULL;
	char names[512] = "";

	if (!seen)
		return;
	for (size_t i = 0; i < n; i++)
		if (seq[i] >= known)
			seen[seq[i] - known] = true;
	for (size_t k = 0; k < extra; k++) {
		const char *name = tokens_name(tok, (token_id)(known + k));
		char alt[160];

		if (!seen[k])
			continue;
		count++;
		tokens_listed_variants(tok, name, alt, sizeof(alt));
		if (used < sizeof(names) - 1)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s%s%s%s",
						 used ? ", " : "", name, *alt ? " (the vocabulary has " : "",
						 alt, *alt ? ")" : "");
	}
	free(seen);
	if (count)
		fprintf(stderr, "bpf-profiler score: note: %s: %zu name%s known to neither the "
			"token vocabulary nor the database, matching nothing: %s%s\n", trace, count,
			count == 1 ? "" : "s", names, used >= sizeof(names) - 1 ? "..." : "");
}

int cmd_score_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "syscall-table", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *snap = NULL, *table = NULL;
	struct syscall_table tab = { 0 };
	struct tokens *tok = NULL;
	struct bdindex *idx = NULL;
	bool json = false;
	char err[512];
	size_t known;
	int c, ret = EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 's': snap = optarg; break;
		case 't': table = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'bpf-profiler score --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || (db && snap)) {
		fprintf(stderr, "bpf-profiler score: %s\n", optind >= argc ?
			"expected at least one trace FILE" : "--db and --snapshot exclude each other");
		return EXIT_USAGE;
	}
	if (table && tracefile_table_load(table, &tab, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler score: %s\n", err);
		return EXIT_FAIL;
	}
	if (tokens_load_default(&tok))
		goto out;
	/* --snapshot takes any file name; bd_index_load knows snapshots by
	 * their .bdsnap suffix */
	if (snap ? bdindex_create(tok, &idx) ||
		   bdsnapshot_load_index(snap, tok, idx, NULL, err, sizeof(err)) :
		   bd_index_load(db, tok, &idx, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler score: %s\n", idx || !snap ? err : "out of memory");
		goto out;
	}
	/* every name the vocabulary or the database knows has an id by now */
	known = tokens_count(tok);
	for (int i = optind; i < argc; i++) {
		const char *path = strcmp(argv[i], "-") ? argv[i] : "/dev/stdin";
		struct seqscore_result res;
		token_id *seq = NULL;
		size_t n;

		*err = '\0';
		c = table ? tracefile_read_numbers(path, &tab, tok, &seq, &n, err, sizeof(err)) :
			    tracefile_read_tokens(path, tok, &seq, &n, err, sizeof(err));
		if (!c)
			c = seqscore_window(idx, seq, n, &res);
		if (!c)
			note_unknown_tokens(tok, known, argv[i], seq, n);
		free(seq);
		if (c) {
			fprintf(stderr, "bpf-profiler score: %s\n", *err ? err : strerror(-c));
			goto out;
		}
		if (json) {
			json_t *o = seqscore_result_to_json(&res, tok);

			json_object_set_new(o, "trace", json_string(argv[i]));
			json_dumpf(o, stdout, JSONOUT_FLAGS);
			putchar('\n');
			json_decref(o);
			continue;
		}
		printf("%s: score %.3f (log-odds %.3f, %zu of %zu positions matched)\n", argv[i],
		       res.score, res.logodds, res.matched, res.positions);
		for (size_t k = 0; k < res.ntop; k++) {
			const struct seqscore_match *m = &res.top[k];

			printf("  #%-6lld %-9s risk %.2f conf %.2f sim %.2f x%u at %u:",
			       (long long)m->m.id, m->m.label == BD_LABEL_MALICIOUS ? "malicious" : "good",
			       m->m.risk, m->m.confidence, m->m.similarity, m->count, m->pos);
			for (size_t t = 0; t < m->m.len; t++)
				printf(" %s", tokens_name(tok, m->m.seq[t]));
			putchar('\n');
		}
	}
	ret = EXIT_OK;
out:
	bdindex_free(idx);
	tokens_free(tok);
	tracefile_table_free(&tab);
	return ret;
}
