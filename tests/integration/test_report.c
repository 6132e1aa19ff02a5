/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler report` reads the store the agent writes, while the agent
 * holds it open and after it is gone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "decision/decision_store.h"
#include "decision_sample.h"
#include "tmpdir.h"

#define T0 1795764095000000000LL
#define SEC 1000000000LL

static char dir[64], db[128];
static struct decision_store *store;

static void setup(void)
{
	struct decision_store_opts o = { .sz = sizeof(o) };
	char err[256];
	const char *levels[] = { "low", "high", "medium" };

	strcpy(dir, "/tmp/bpfprof-report-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/d.db", dir);
	cr_assert_eq(decision_store_open(db, &o, &store, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 3; i++) {
		char path[64];
		json_t *d;

		snprintf(path, sizeof(path), "/tmp/lib%s.so", levels[i]);
		d = decision_sample(T0 + i * SEC, levels[i], 0.2 + 0.3 * i, path);
		if (i == 2) /* taken while monitoring */
			json_object_set_new(d, "would", json_string("hook+confine"));
		cr_assert_eq(decision_store_put(store, d, NULL, err, sizeof(err)), 0, "%s", err);
		json_decref(d);
	}
}

static void teardown(void)
{
	decision_store_close(store);
	cr_expect_eq(tmpdir_remove(dir), 0);
}

TestSuite(report, .init = setup, .fini = teardown);

/* Runs bpf-profiler report ARGS; returns its exit status, stdout in *out. */
static int run(const char *args, char **out)
{
	char cmd[512];
	size_t cap = 0, len = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s report --config /dev/null %s 2>&1", BPFPROF_BIN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	*out = NULL;
	len = getdelim(out, &cap, '\0', p);
	if ((ssize_t)len < 0) {
		free(*out);
		*out = calloc(1, 1);
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(report, table_lists_decisions_newest_first_while_the_agent_holds_the_store)
{
	char args[256], *out;

	snprintf(args, sizeof(args), "--store %s", db);
	cr_assert_eq(run(args, &out), 0, "%s", out);
	cr_assert(strstr(out, "ID") && strstr(out, "LEVEL") && strstr(out, "OBJECT"), "%s", out);
	cr_assert(strstr(out, "/tmp/libmedium.so") < strstr(out, "/tmp/libhigh.so") &&
		  strstr(out, "/tmp/libhigh.so") < strstr(out, "/tmp/liblow.so") &&
		  strstr(out, "/tmp/libmedium.so"), "%s", out);
	free(out);
}

Test(report, level_and_since_filter_like_the_api)
{
	char args[256], *out;

	snprintf(args, sizeof(args), "--store %s --level high", db);
	cr_assert_eq(run(args, &out), 0, "%s", out);
	cr_assert(strstr(out, "/tmp/libhigh.so") && !strstr(out, "/tmp/liblow.so") &&
		  !strstr(out, "/tmp/libmedium.so"), "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--store %s --since 2026-11-27T07:21:36Z", db);
	cr_assert_eq(run(args, &out), 0, "%s", out);
	cr_assert(strstr(out, "/tmp/libhigh.so") && !strstr(out, "/tmp/liblow.so"), "%s", out);
	free(out);
}

Test(report, json_is_one_decision_per_line_and_works_after_the_agent_is_gone)
{
	char args[256], *out, *line, *save = NULL;
	int n = 0;

	decision_store_close(store);
	store = NULL;
	snprintf(args, sizeof(args), "--store %s --json --limit 2", db);
	cr_assert_eq(run(args, &out), 0, "%s", out);
	/* JSON lines like every other --json: `| jq` and line tools work */
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *d = json_loads(line, 0, NULL);

		cr_assert_not_null(d, "not one JSON document per line: %s", line);
		cr_assert_eq(decision_validate(d, NULL, 0), 0, "%s", line);
		cr_assert(json_is_integer(json_object_get(d, "id")), "%s", line);
		/* 15 significant digits at most: 0.5, never 0.50000000000000000 */
		cr_assert_null(strstr(line, "0000000000"), "long float: %s", line);
		json_decref(d);
		n++;
	}
	cr_assert_eq(n, 2, "expected 2 lines");
	free(out);
}

Test(report, db_is_refused_with_a_pointer_to_store)
{
	char args[256], *out;

	snprintf(args, sizeof(args), "--db %s", db);
	cr_assert_eq(run(args, &out), 2, "%s", out);
	cr_assert(strstr(out, "--store"), "%s", out);
	free(out);
}

Test(report, id_prints_the_full_explanation)
{
	char args[256], *out;

	snprintf(args, sizeof(args), "--store %s --id 2", db);
	cr_assert_eq(run(args, &out), 0, "%s", out);
	cr_assert(strstr(out, "decision 2") && strstr(out, "/tmp/libhigh.so"), "%s", out);
	cr_assert(strstr(out, "match        entry 7"), "%s", out);
	cr_assert(strstr(out, "finding      network: connect in init_array evil_init"), "%s", out);
	cr_assert(strstr(out, "reputation   tmp_dir"), "%s", out);
	cr_assert(strstr(out, "lookback     connect:inet > openat:write > mprotect:exec"), "%s", out);
	cr_assert_null(strstr(out, "monitoring"), "an enforced decision: %s", out);
	free(out);
	snprintf(args, sizeof(args), "--store %s --id 3", db);
	cr_assert_eq(run(args, &out), 0, "%s", out);
	cr_assert(strstr(out, "action       quarantine via signal (monitoring: enforcement would "
			 "hook+confine)"), "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--store %s --id 99", db);
	cr_assert_eq(run(args, &out), 1, "%s", out);
	cr_assert(strstr(out, "no decision 99"), "%s", out);
	free(out);
}

Test(report, usage_errors_exit_2_and_a_missing_database_1)
{
	char *out;

	cr_assert_eq(run("--level severe", &out), 2, "%s", out);
	free(out);
	cr_assert_eq(run("--limit 0", &out), 2, "%s", out);
	free(out);
	cr_assert_eq(run("--since tomorrow", &out), 2, "%s", out);
	free(out);
	cr_assert_eq(run("--store /nonexistent/x.db", &out), 1, "%s", out);
	cr_assert(strstr(out, "/nonexistent/x.db"), "%s", out);
	free(out);
	cr_assert_eq(run("--help", &out), 0, "%s", out);
	cr_assert(strstr(out, "Usage: bpf-profiler report"), "%s", out);
	free(out);
}
