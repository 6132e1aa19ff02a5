/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* bpf-profiler db stats|add|rm|import|export|learn: manage the behavioral
 * database (SQLite, seeded with the curated defaults when created). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/bd.h"
#include "learn/bdlearn.h"
#include "behaviors/bdsnapshot.h"
#include "behaviors/bdstore.h"
#include "lib/timefmt.h"
#include "cli/commands.h"
#include "lib/progress.h"
#include "behaviors/tokens.h"
#include "fleet/fleet_pending.h"
#include "learn/tracefile.h"
#include "lib/jsonout.h"

#define DB_DEFAULT_PATH "/var/lib/bpf-profiler/bd.sqlite"

static const char *db_path(const char *opt)
{
	const char *env = getenv("BPFPROF_DB");

	return opt ? opt : env && *env ? env : DB_DEFAULT_PATH;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpf-profiler db [--db PATH] COMMAND [ARGS]\n\n"
		"Manage the behavioral database (SQLite; a new database starts with the curated\n"
		"default entries). PATH defaults to $BPFPROF_DB, else " DB_DEFAULT_PATH ".\n\n"
		"Commands:\n"
		"  stats [--json]             entry counts, labels, lengths, scoring parameters\n"
		"  add FILE|-                 add entries: one entry, an array of entries, or a\n"
		"                             submission {\"submitter\", \"entries\"} (JSON)\n"
		"  rm ID...                   remove entries by id\n"
		"  export FILE                write a checksummed, zstd-compressed snapshot\n"
		"  import FILE                replace the database by a snapshot (all or nothing)\n"
		"  learn --normal DIR --malicious DIR [--syscall-table FILE] [learning options]\n"
		"                             learn n-gram entries from labelled traces (*.txt;\n"
		"                             token names, or syscall numbers with --syscall-table)\n"
		"  pending [--json]           entries of submitters below full trust awaiting approval\n"
		"  approve ID... | reject ID... add or drop pending entries (docs/fleet.md)\n\n"
		"A running agent using the database applies changes made here within a second.\n"
		"Run 'bpf-profiler db COMMAND --help' for one command.\n");
}

static int open_store(const char *path, struct bdstore **st)
{
	char err[512];
	int ret = bdstore_open(path, 0, st, err, sizeof(err));

	if (ret)
		fprintf(stderr, "bpf-profiler db: %s\n", err);
	return ret;
}

/* Options every subcommand takes: --help only (plus its own). */
static int simple_opts(int argc, char **argv, const char *help)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (c == 'j' && strstr(help, "--json")) {
			json = 1;
			continue;
		}
		fprintf(stderr, "Try 'bpf-profiler db %s --help'.\n", argv[0]);
		return -2;
	}
	return json;
}

static int do_stats(const char *path, int argc, char **argv)
{
	struct bdstore_stats s;
	struct bdindex_params p;
	struct bdstore *st;
	char bad_params[256] = "";
	int ret, json = simple_opts(argc, argv, "Usage: bpf-profiler db stats [--json]\n\n"
				"Entry counts by label and length, mean risk and confidence, and the\n"
				"scoring parameters stored with the entries. Parameters nothing can\n"
				"score with are reported as such (exit status 1), with the rest.\n");

	if (json < 0)
		return json == -1 ? EXIT_OK : EXIT_USAGE;
	if (open_store(path, &st))
		return EXIT_FAIL;
	if ((ret = bdstore_stats(st, &s))) {
		fprintf(stderr, "bpf-profiler db: %s: %s\n", path, bdstore_strerror(st, ret));
		bdstore_close(st);
		return EXIT_FAIL;
	}
	/* stats is how such a database gets looked at: show the entries too */
	if ((ret = bdstore_params_get(st, &p)))
		snprintf(bad_params, sizeof(bad_params), "%s", bdstore_strerror(st, ret));
	if (json) {
		json_t *len = json_object(), *o;

		for (int i = BDINDEX_MIN_LEN; i <= BDINDEX_MAX_LEN; i++)
			if (s.by_length[i]) {
				char k[8];

				snprintf(k, sizeof(k), "%d", i);
				json_object_set_new(len, k, json_integer((json_int_t)s.by_length[i]));
			}
		o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:o}", "path", path, "entries",
			      (json_int_t)s.entries, "good", (json_int_t)s.good, "malicious",
			      (json_int_t)s.malicious, "sources", (json_int_t)s.sources,
			      "mean_risk", s.mean_risk, "mean_confidence", s.mean_confidence,
			      "by_length", len);
		/* NaN has no JSON spelling: unusable parameters are named instead */
		if (*bad_params)
			json_object_set_new(o, "params_error", json_string(bad_params));
		else
			json_object_set_new(o, "params",
					    json_pack("{s:f, s:f, s:f}", "unknown_logit",
						      p.unknown_logit, "unknown_weight",
						      p.unknown_weight, "length_norm",
						      p.length_norm));
		json_dumpf(o, stdout, JSONOUT_FLAGS);
		putchar('\n');
		json_decref(o);
	} else {
		printf("database    %s\n", path);
		printf("entries     %zu (%zu malicious, %zu good) from %zu sources\n", s.entries,
		       s.malicious, s.good, s.sources);
		printf("lengths    ");
		for (int i = BDINDEX_MIN_LEN; i <= BDINDEX_MAX_LEN; i++)
			if (s.by_length[i])
				printf(" %d:%zu", i, s.by_length[i]);
		printf("\nmean        risk %.3f, confidence %.3f\n", s.mean_risk, s.mean_confidence);
		if (*bad_params)
			printf("params      none usable: %s\n", bad_params);
		else
			printf("params      unknown n-gram logit %.3f weight %.3f, length norm %.3f\n",
			       p.unknown_logit, p.unknown_weight, p.length_norm);
	}
	bdstore_close(st);
	if (*bad_params) {
		fprintf(stderr, "bpf-profiler db: %s: %s; `db import` or `db learn` replaces them\n",
			path, bad_params);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* A token the vocabulary does not list is legal (learnt databases use raw
 * syscall names) but is often a typo: the entry then matches only traces
 * that record that very name, so say so once per name. */
static void note_unlisted_tokens(const json_t *sub)
{
	struct tokens *tok;
	json_t *seen = json_object(), *item;
	size_t i;

	if (!seen || tokens_load_default(&tok)) {
		json_decref(seen);
		return;
	}
	json_array_foreach(json_object_get(sub, "entries"), i, item) {
		struct bd_entry e = { 0 };

		if (bdentry_from_json(item, BDENTRY_SUBMISSION, "entry", &e, NULL, 0))
			continue;
		for (size_t k = 0; k < e.len; k++) {
			int id = tokens_find(tok, e.tokens[k]);

			if ((id < 0 || !tokens_listed(tok, (token_id)id)) &&
			    !json_object_get(seen, e.tokens[k])) {
				char alt[256];

				json_object_set_new(seen, e.tokens[k], json_true());
				tokens_listed_variants(tok, e.tokens[k], alt, sizeof(alt));
				fprintf(stderr, "bpf-profiler db add: note: entries[%zu]: '%s' is not in "
					"the token vocabulary (schemas/tokens.json); it matches only "
					"traces that record this exact name%s%s\n", i, e.tokens[k],
					*alt ? "; the vocabulary has " : "", alt);
			}
		}
		bdentry_clear(&e);
	}
	tokens_free(tok);
	json_decref(seen);
}

static int do_add(const char *path, int argc, char **argv)
{
	struct bdstore *st;
	json_error_t jerr;
	json_t *doc, *sub, *res = NULL;
	char err[512];
	int r = simple_opts(argc, argv, "Usage: bpf-profiler db add FILE|-\n\n"
			    "Add entries from JSON: one entry, an array of entries, or a submission\n"
			    "{\"submitter\": \"...\", \"entries\": [...]} (schemas/submission.schema.json).\n"
			    "The batch is validated whole and stored in one transaction; prints the ids.\n");

	if (r < 0)
		return r == -1 ? EXIT_OK : EXIT_USAGE;
	if (argc - optind != 1) {
		fprintf(stderr, "bpf-profiler db add: expected one FILE (or - for stdin)\n");
		return EXIT_USAGE;
	}
	doc = strcmp(argv[optind], "-") ? json_load_file(argv[optind], 0, &jerr) :
					  json_loadf(stdin, 0, &jerr);
	if (!doc) {
		fprintf(stderr, "bpf-profiler db add: %s:%d: %s\n", argv[optind], jerr.line, jerr.text);
		return EXIT_FAIL;
	}
	if (json_is_object(doc) && json_object_get(doc, "entries"))
		sub = json_incref(doc);
	else if (json_is_array(doc))
		sub = json_pack("{s:s, s:O}", "submitter", "cli", "entries", doc);
	else
		sub = json_pack("{s:s, s:[O]}", "submitter", "cli", "entries", doc);
	if (open_store(path, &st)) {
		json_decref(sub);
		json_decref(doc);
		return EXIT_FAIL;
	}
	r = bd_submit(st, NULL, NULL, sub, &res, err, sizeof(err));
	if (r)
		fprintf(stderr, "bpf-profiler db add: %s\n", err);
	else {
		note_unlisted_tokens(sub);
		json_dumpf(res, stdout, JSONOUT_FLAGS);
		putchar('\n');
	}
	json_decref(res);
	json_decref(sub);
	json_decref(doc);
	bdstore_close(st);
	return r ? EXIT_FAIL : EXIT_OK;
}

static int do_rm(const char *path, int argc, char **argv)
{
	struct bdstore *st;
	int r = simple_opts(argc, argv, "Usage: bpf-profiler db rm ID...\n\nRemove entries by id (all or none).\n");

	if (r < 0)
		return r == -1 ? EXIT_OK : EXIT_USAGE;
	if (optind >= argc) {
		fprintf(stderr, "bpf-profiler db rm: expected at least one ID\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		char *end;

		if (strtoll(argv[i], &end, 10) <= 0 || *end) {
			fprintf(stderr, "bpf-profiler db rm: '%s' is not an entry id\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (open_store(path, &st))
		return EXIT_FAIL;
	r = bdstore_begin(st);
	for (int i = optind; !r && i < argc; i++) {
		r = bdstore_remove(st, strtoll(argv[i], NULL, 10));
		if (r == -ENOENT)
			fprintf(stderr, "bpf-profiler db rm: no entry %s (nothing removed)\n", argv[i]);
		else if (r)
			fprintf(stderr, "bpf-profiler db rm: %s\n", bdstore_errmsg(st));
	}
	if (!r && (r = bdstore_commit(st)))
		fprintf(stderr, "bpf-profiler db rm: %s\n", bdstore_errmsg(st));
	if (r)
		bdstore_rollback(st);
	bdstore_close(st);
	return r ? EXIT_FAIL : EXIT_OK;
}

static int do_snapshot(const char *path, int argc, char **argv, bool import)
{
	struct bdstore *st;
	char err[512];
	size_t n = 0;
	int r = simple_opts(argc, argv, import ?
		"Usage: bpf-profiler db import FILE\n\n"
		"Replace the database's entries and scoring parameters by a snapshot's, in one\n"
		"transaction. The snapshot's version and SHA-256 are checked before anything is\n"
		"written and every entry as it is written: a corrupt, truncated or invalid\n"
		"snapshot is refused and the database is left untouched.\n" :
		"Usage: bpf-profiler db export FILE\n\n"
		"Write every entry and the scoring parameters as a versioned, SHA-256\n"
		"checksummed, zstd-compressed snapshot (format: docs/database.md).\n");

	if (r < 0)
		return r == -1 ? EXIT_OK : EXIT_USAGE;
	if (argc - optind != 1) {
		fprintf(stderr, "bpf-profiler db %s: expected one FILE\n", argv[0]);
		return EXIT_USAGE;
	}
	if (open_store(path, &st))
		return EXIT_FAIL;
	r = import ? bdsnapshot_import(st, argv[optind], &n, err, sizeof(err)) :
		     bdsnapshot_export(st, argv[optind], err, sizeof(err));
	if (r)
		fprintf(stderr, "bpf-profiler db %s: %s\n", argv[0], err);
	else if (import)
		printf("imported %zu entries from %s\n", n, argv[optind]);
	else
		printf("exported %zu entries to %s\n", bdstore_count(st), argv[optind]);
	bdstore_close(st);
	return r ? EXIT_FAIL : EXIT_OK;
}

struct learn_store {
	struct bdstore *st;
	const struct tokens *tok;
	char source[64];
	char now[TIMEFMT_RFC3339_LEN];
	size_t n;
	struct progress pr;
};

static int store_learnt(const struct bdlearn_entry *le, void *arg)
{
	struct learn_store *ls = arg;
	struct bd_entry e = { .len = le->len, .risk = le->risk, .confidence = le->confidence,
			      .label = le->label, .source = ls->source, .added_at = ls->now };
	json_t *seq = json_array();
	int ret;

	for (size_t i = 0; i < le->len; i++)
		json_array_append_new(seq, json_string(tokens_name(ls->tok, le->seq[i])));
	e.sequence = json_dumps(seq, JSON_COMPACT);
	json_decref(seq);
	ret = e.sequence ? bdstore_add(ls->st, &e) : -ENOMEM;
	free(e.sequence);
	progress_update(&ls->pr, ++ls->n);
	return ret;
}

static int learn_dir(struct bdlearn *l, const char *dir, enum bd_label label,
		     const struct syscall_table *tab, struct tokens *tok, struct progress *pr,
		     size_t *done)
{
	char **paths = NULL, err[512] = "";
	size_t n = 0;
	int ret = tracefile_find(dir, ".txt", &paths, &n);

	if (ret)
		snprintf(err, sizeof(err), "%s: %s", dir, strerror(-ret));
	else if (!n) {
		snprintf(err, sizeof(err), "%s: no *.txt traces found", dir);
		ret = -ENOENT;
	}
	for (size_t i = 0; !ret && i < n; i++) {
		token_id *seq;
		size_t len;

		ret = tab ? tracefile_read_numbers(paths[i], tab, tok, &seq, &len, err, sizeof(err)) :
			    tracefile_read_tokens(paths[i], tok, &seq, &len, err, sizeof(err));
		if (!ret)
			ret = bdlearn_add_trace(l, seq, len, label);
		free(seq);
		progress_update(pr, ++*done);
	}
	if (ret)
		fprintf(stderr, "bpf-profiler db learn: %s\n", *err ? err : strerror(-ret));
	tracefile_paths_free(paths, n);
	return ret;
}

static int do_learn(const char *path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "normal", required_argument, NULL, 'N' },
		{ "malicious", required_argument, NULL, 'M' },
		{ "syscall-table", required_argument, NULL, 't' },
		BDLEARN_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bdlearn_opts lo = BDLEARN_OPTS_DEFAULT;
	const char *dirs[2][16];
	size_t ndirs[2] = { 0, 0 }, done = 0;
	struct syscall_table tab = { 0 };
	struct learn_store ls = { 0 };
	struct bdlearn *l = NULL;
	struct tokens *tok = NULL;
	struct bdindex_params p;
	struct progress pr;
	char err[512];
	int c, ret = EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		int r = bdlearn_opt(&lo, c, optarg, err, sizeof(err));

		if (r <= 0) {
			if (!r)
				continue;
			fprintf(stderr, "bpf-profiler db learn: %s\n", err);
			ret = EXIT_USAGE;
			goto out;
		}
		switch (c) {
		case 'N':
		case 'M':
			if (ndirs[c == 'M'] == 16) {
				fprintf(stderr, "bpf-profiler db learn: at most 16 directories per label\n");
				return EXIT_USAGE;
			}
			dirs[c == 'M'][ndirs[c == 'M']++] = optarg;
			break;
		case 't':
			if (tab.names)
				tracefile_table_free(&tab);
			if (tracefile_table_load(optarg, &tab, err, sizeof(err))) {
				fprintf(stderr, "bpf-profiler db learn: %s\n", err);
				return EXIT_FAIL;
			}
			break;
		case 'h':
			printf("Usage: bpf-profiler db learn --normal DIR --malicious DIR [--syscall-table FILE]\n"
			       "                             [learning options]\n\n"
			       "Learn n-gram entries from labelled traces and add them (source\n"
			       "\"learned:MIN..MAX-gram\") with the learnt scoring parameters (L2-normalised\n"
			       "windows), in one transaction: learn into a database of its own.\n"
			       "Traces are *.txt files found recursively: token names separated by\n"
			       "whitespace, or syscall numbers mapped by --syscall-table (ADFA-LD).\n"
			       "Each of --normal/--malicious may be repeated. Formulas: docs/scoring.md.\n\n"
			       BDLEARN_OPTS_HELP);
			ret = EXIT_OK;
			goto out;
		default:
			fprintf(stderr, "Try 'bpf-profiler db learn --help'.\n");
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (!ndirs[0] || !ndirs[1] || optind != argc) {
		fprintf(stderr, "bpf-profiler db learn: needs --normal DIR and --malicious DIR%s\n",
			optind != argc ? " and no other arguments" : "");
		ret = EXIT_USAGE;
		goto out;
	}
	if (tokens_load_default(&tok) || bdlearn_create(&lo, &l))
		goto out;
	progress_begin(&pr, "reading traces", 0);
	for (int lab = 0; lab < 2; lab++)
		for (size_t i = 0; i < ndirs[lab]; i++)
			if (learn_dir(l, dirs[lab][i], lab ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD,
				      tab.names ? &tab : NULL, tok, &pr, &done))
				goto out;
	progress_end(&pr);
	progress_begin(&pr, "fitting", lo.fit_iters);
	c = bdlearn_fit(l, progress_step, &pr);
	progress_end(&pr);
	if (c) {
		fprintf(stderr, "bpf-profiler db learn: %s\n", strerror(-c));
		goto out;
	}
	if (open_store(path, &ls.st))
		goto out;
	ls.tok = tok;
	bdentry_now(ls.now, sizeof(ls.now));
	snprintf(ls.source, sizeof(ls.source), "learned:%zu..%zu-gram", lo.n_min ? lo.n_min : lo.n,
		 lo.n);
	bdlearn_params(l, &p);
	progress_begin(&ls.pr, "storing entries", 0);
	c = bdstore_begin(ls.st);
	if (!c)
		c = bdlearn_foreach(l, store_learnt, &ls);
	if (!c)
		c = bdstore_params_set(ls.st, &p);
	if (!c)
		c = bdstore_commit(ls.st);
	progress_end(&ls.pr);
	if (c) {
		fprintf(stderr, "bpf-profiler db learn: %s\n",
			c == -ENOMEM ? strerror(ENOMEM) : bdstore_errmsg(ls.st));
		bdstore_rollback(ls.st);
		goto out;
	}
	printf("learned %zu entries from %zu normal and %zu malicious traces\n", ls.n,
	       bdlearn_traces(l, BD_LABEL_GOOD), bdlearn_traces(l, BD_LABEL_MALICIOUS));
	ret = EXIT_OK;
out:
	bdstore_close(ls.st);
	bdlearn_free(l);
	tokens_free(tok);
	tracefile_table_free(&tab);
	return ret;
}

/* db pending | approve ID... | reject ID...: the analyst's side of
 * submitter trust (fleet_pending.c). */
static int do_pending(const char *path, int argc, char **argv)
{
	const char *cmd = argv[0];
	bool list = !strcmp(cmd, "pending");
	struct bdstore *st;
	struct tokens *tok = NULL;
	int r = simple_opts(argc, argv, list ? "Usage: bpf-profiler db pending [--json]\n\n"
			    "Entries held for an analyst: from submitters below full trust, those\n"
			    "that would lower a risk. approve or reject them by id.\n" :
			    "Usage: bpf-profiler db approve|reject ID...\n\napprove: add the pending "
			    "entries as their submitter's; reject: drop them.\n");
	int ret = 0;

	if (r < 0)
		return r == -1 ? EXIT_OK : EXIT_USAGE;
	if (!list && optind >= argc) {
		fprintf(stderr, "bpf-profiler db %s: expected at least one ID\n", cmd);
		return EXIT_USAGE;
	}
	if (open_store(path, &st))
		return EXIT_FAIL;
	if (fleet_pending_setup(st) || tokens_load_default(&tok)) {
		fprintf(stderr, "bpf-profiler db %s: %s: %s\n", cmd, path, bdstore_errmsg(st));
		bdstore_close(st);
		return EXIT_FAIL;
	}
	if (list) {
		json_t *items = NULL, *it;
		size_t i;

		ret = fleet_pending_list(st, &items);
		if (!ret && r == 1) {
			json_dumpf(items, stdout, JSONOUT_FLAGS);
			putchar('\n');
		}
		json_array_foreach(r == 1 ? NULL : items, i, it) {
			char *e = json_dumps(json_object_get(it, "entry"), JSON_COMPACT);

			printf("%lld  %s  %s  %s\n   %s\n",
			       (long long)json_integer_value(json_object_get(it, "id")),
			       json_string_value(json_object_get(it, "received_at")),
			       json_string_value(json_object_get(it, "submitter")),
			       json_string_value(json_object_get(it, "reason")), e ? e : "?");
			free(e);
		}
		json_decref(items);
	}
	for (int i = optind; !list && i < argc && !ret; i++) {
		char *end, err[512];
		long long id = strtoll(argv[i], &end, 10);

		if (id <= 0 || *end) {
			fprintf(stderr, "bpf-profiler db %s: '%s' is not a pending entry id\n", cmd, argv[i]);
			ret = -EINVAL;
			break;
		}
		ret = !strcmp(cmd, "reject") ? fleet_pending_reject(st, id) :
		      fleet_pending_approve(st, NULL, tok, id, NULL, err, sizeof(err));
		if (ret == -ENOENT)
			fprintf(stderr, "bpf-profiler db %s: no pending entry %lld\n", cmd, id);
		else if (ret)
			fprintf(stderr, "bpf-profiler db %s: %lld: %s\n", cmd, id,
				!strcmp(cmd, "reject") ? strerror(-ret) : err);
	}
	tokens_free(tok);
	bdstore_close(st);
	return ret ? EXIT_FAIL : EXIT_OK;
}

int cmd_db_main(int argc, char **argv)
{
	const char *path = NULL;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--db=", 5))
			path = argv[i] + 5;
		else {
			fprintf(stderr, "bpf-profiler db: unknown option '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "bpf-profiler db: expected a command (stats, add, rm, import, export, learn, "
			"pending, approve, reject)\n");
		return EXIT_USAGE;
	}
	path = db_path(path);
	argc -= i;
	argv += i;
	if (!strcmp(argv[0], "stats"))
		return do_stats(path, argc, argv);
	if (!strcmp(argv[0], "add"))
		return do_add(path, argc, argv);
	if (!strcmp(argv[0], "rm"))
		return do_rm(path, argc, argv);
	if (!strcmp(argv[0], "import") || !strcmp(argv[0], "export"))
		return do_snapshot(path, argc, argv, !strcmp(argv[0], "import"));
	if (!strcmp(argv[0], "learn"))
		return do_learn(path, argc, argv);
	if (!strcmp(argv[0], "pending") || !strcmp(argv[0], "approve") || !strcmp(argv[0], "reject"))
		return do_pending(path, argc, argv);
	fprintf(stderr, "bpf-profiler db: unknown command '%s'\n", argv[0]);
	return EXIT_USAGE;
}
