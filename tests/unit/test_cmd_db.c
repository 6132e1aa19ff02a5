/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The db, score and eval commands through the built binary: help, usage
 * errors, a round trip through add/rm/export/import, scoring a token file. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "behaviors/bdstore.h"
#include "curated.h"
#include "tmpdir.h"

static char dir[] = "/tmp/bpfprof-cmd-XXXXXX";

static void setup(void)
{
	strcpy(dir, "/tmp/bpfprof-cmd-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(cmd_db, .init = setup, .fini = teardown);

/* Run "bpf-profiler ARGS" (a shell fragment, run in dir); returns the exit
 * status, output (stdout) in out. */
static int run(char *out, size_t outlen, const char *args)
{
	char cmd[4096];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "cd %s && BPFPROF_DB=%s/bd.sqlite %s %s 2>/dev/null", dir, dir,
		 BPFPROF_BIN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *name, const char *body)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(body, f);
	fclose(f);
}

static int mkdir_p(const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return mkdir(path, 0700);
}

Test(cmd_db, every_subcommand_has_help_and_usage_errors_exit_2)
{
	static const char *const help[] = { "db --help", "db stats --help", "db add --help",
		"db rm --help", "db import --help", "db export --help", "db learn --help",
		"score --help", "eval --help" };
	char out[8192];

	for (size_t i = 0; i < sizeof(help) / sizeof(*help); i++) {
		cr_assert_eq(run(out, sizeof(out), help[i]), 0, "%s", help[i]);
		cr_assert(strstr(out, "Usage: bpf-profiler"), "%s: %s", help[i], out);
	}
	cr_assert_eq(run(out, sizeof(out), "db"), 2);
	cr_assert_eq(run(out, sizeof(out), "db frobnicate"), 2);
	cr_assert_eq(run(out, sizeof(out), "db rm abc"), 2);
	cr_assert_eq(run(out, sizeof(out), "db learn --normal x"), 2);
	cr_assert_eq(run(out, sizeof(out), "score"), 2);
	cr_assert_eq(run(out, sizeof(out), "eval --normal-train x"), 2);
	cr_assert_eq(run(out, sizeof(out), "eval --syscall-table t --ngram 9"), 2);
}

Test(cmd_db, add_rm_export_import_round_trip)
{
	char out[8192], want[64];
	size_t n = curated_entries();

	cr_assert_eq(run(out, sizeof(out), "db stats --json"), 0);
	snprintf(want, sizeof(want), "\"entries\":%zu", n);
	cr_assert(strstr(out, want), "%s", out);
	write_file("e.json", "{\"sequence\":[\"kill\",\"execve\"],\"risk_score\":0.7,"
		   "\"confidence\":0.5,\"label\":\"malicious\"}");
	cr_assert_eq(run(out, sizeof(out), "db add e.json"), 0);
	snprintf(want, sizeof(want), "\"ids\":[%zu]", n + 1);
	cr_assert(strstr(out, want), "%s", out);
	write_file("bad.json", "[{\"sequence\":[\"kill\",\"execve\"],\"risk_score\":0.7,"
		   "\"confidence\":0.5,\"label\":\"bad\"}]");
	cr_assert_eq(run(out, sizeof(out), "db add bad.json"), 1);
	cr_assert_eq(run(out, sizeof(out), "db rm 1 2"), 0);
	cr_assert_eq(run(out, sizeof(out), "db rm 1"), 1, "already removed");
	cr_assert_eq(run(out, sizeof(out), "db export s.bdsnap"), 0);
	cr_assert_eq(run(out, sizeof(out), "db --db other.sqlite import s.bdsnap"), 0);
	/* n curated + 1 added - 2 removed */
	snprintf(want, sizeof(want), "imported %zu entries", n - 1);
	cr_assert(strstr(out, want), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "db --db other.sqlite stats --json"), 0);
	snprintf(want, sizeof(want), "\"entries\":%zu", n - 1);
	cr_assert(strstr(out, want), "%s", out);
	write_file("junk.bdsnap", "BPFPBDS\nnot really");
	cr_assert_eq(run(out, sizeof(out), "db --db other.sqlite import junk.bdsnap"), 1);
	cr_assert_eq(run(out, sizeof(out), "db --db other.sqlite stats --json"), 0);
	cr_assert(strstr(out, want), "refused import changed the database: %s", out);
}

/* Parameters nothing can score with (a store edited behind our back) do not
 * hide the rest of the database from `db stats`: it shows the entries, names
 * the parameters, exits 1; `db import` puts usable ones back. */
Test(cmd_db, stats_shows_a_database_whose_parameters_are_unusable)
{
	char out[8192], path[600], err[256], want[64];
	struct bdstore *st;

	cr_assert_eq(run(out, sizeof(out), "db export s.bdsnap"), 0);
	snprintf(path, sizeof(path), "%s/bd.sqlite", dir);
	cr_assert_eq(bdstore_open(path, 0, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdstore_params_set(st, &(struct bdindex_params){ .length_norm = NAN }), 0);
	bdstore_close(st);
	cr_assert_eq(run(out, sizeof(out), "db stats"), 1);
	snprintf(want, sizeof(want), "entries     %zu (", curated_entries());
	cr_assert(strstr(out, want), "%s", out);
	cr_assert(strstr(out, "params      none usable: scoring parameters in table meta not "
			      "usable (unknown_logit 0, unknown_weight 0, length_norm nan)"),
		  "%s", out);
	cr_assert_eq(run(out, sizeof(out), "db stats --json"), 1);
	cr_assert(strstr(out, "\"params_error\":\"scoring parameters"), "%s", out);
	cr_assert_null(strstr(out, "\"params\":"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "db import s.bdsnap"), 0);
	cr_assert_eq(run(out, sizeof(out), "db stats --json"), 0);
	cr_assert(strstr(out, "\"params\":{"), "%s", out);
}

Test(cmd_db, add_notes_a_token_the_vocabulary_does_not_list)
{
	char out[8192];

	/* "socket" is a call, not a token: the tracer records socket:inet etc. */
	write_file("s.json", "{\"sequence\":[\"socket\",\"connect:inet\",\"dup2\"],"
		   "\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\"}");
	cr_assert_eq(run(out, sizeof(out), "db add s.json 2>&1 | cat"), 0);
	cr_assert(strstr(out, "\"accepted\":1"), "the entry is still added: %s", out);
	cr_assert(strstr(out, "'socket' is not in the token vocabulary"), "%s", out);
	cr_assert(strstr(out, "socket:inet, socket:unix"), "no suggestion: %s", out);
	cr_assert_null(strstr(out, "'connect:inet'"), "a listed token was noted: %s", out);
}

/* script(1) gives the command a pseudo-terminal: the progress line is drawn. */
Test(cmd_db, export_and_import_show_their_progress_on_a_terminal)
{
	char cmd[2048], out[8192];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && script -qec 'BPFPROF_DB=%s/bd.sqlite %s db export s.bdsnap && "
		 "%s db --db other.sqlite import s.bdsnap' /dev/null", dir, dir, BPFPROF_BIN,
		 BPFPROF_BIN);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_assert(strstr(out, "exporting: "), "%s", out);
	cr_assert(strstr(out, "compressing..."), "%s", out);
	cr_assert(strstr(out, "verifying the snapshot..."), "%s", out);
	cr_assert(strstr(out, "importing: "), "%s", out);
	cr_assert(strstr(out, "building the sequence index..."), "%s", out);
	cr_assert(strstr(out, "imported "), "%s", out);
}

Test(cmd_db, score_explains_a_reverse_shell_window)
{
	char out[8192];

	write_file("w.txt", "openat:read socket:inet connect:inet dup2:socket dup2:socket dup2:socket "
		   "execve:shell\n");
	cr_assert_eq(run(out, sizeof(out), "score --json w.txt"), 0);
	cr_assert(strstr(out, "\"label\":\"malicious\""), "%s", out);
	cr_assert(strstr(out, "\"sequence\":[\"socket:inet\",\"connect:inet\",\"dup2:socket\","
			 "\"dup2:socket\",\"dup2:socket\",\"execve:shell\"]"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "score w.txt"), 0);
	cr_assert(strstr(out, "w.txt: score 0.9") || strstr(out, "w.txt: score 1.0"), "%s", out);
}

Test(cmd_db, score_names_the_tokens_that_can_match_nothing)
{
	char out[8192];

	/* "socket" is a call, not a token; "conect:inet" a typo; dup2 is known */
	write_file("w.txt", "socket conect:inet dup2 socket\n");
	write_file("v.txt", "socket:inet connect:inet dup2\n");
	cr_assert_eq(run(out, sizeof(out), "score w.txt v.txt 2>&1 | cat"), 0);
	cr_assert(strstr(out, "note: w.txt: 2 names known to neither the token vocabulary nor "
			 "the database, matching nothing: socket (the vocabulary has socket:inet, "
			 "socket:unix"), "%s", out);
	cr_assert(strstr(out, "), conect:inet\n"), "%s", out);
	cr_assert_null(strstr(out, "note: v.txt"), "a trace of known names was noted: %s", out);
}

Test(cmd_db, learn_adds_entries_and_the_learnt_parameters)
{
	char out[8192];

	cr_assert_eq(mkdir_p("n"), 0);
	cr_assert_eq(mkdir_p("m"), 0);
	write_file("n/a.txt", "openat:read mmap:exec_file dlopen exit_group\n");
	write_file("n/b.txt", "openat:read openat:read mmap:exec_file dlopen\n");
	write_file("m/x.txt", "[\"connect:inet\", \"recvfrom\", {\"call\": \"openat:write_tmp\"}, \"dlopen\"]");
	cr_assert_eq(run(out, sizeof(out), "db --db l.sqlite learn --normal n --malicious m"), 0);
	cr_assert(strstr(out, "from 2 normal and 1 malicious traces"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "db --db l.sqlite stats --json"), 0);
	cr_assert(strstr(out, "\"length_norm\":1.0"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "db --db l.sqlite learn --normal n --malicious empty"), 1);
}
