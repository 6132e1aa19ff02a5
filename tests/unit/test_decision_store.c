/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "decision/decision_store.h"
#include "decision_sample.h"
#include "tmpdir.h"

#define T0 1795764095000000000LL
#define SEC 1000000000LL

static char dir[64], db[128], logp[128];
static struct decision_store *store;

static void setup(void)
{
	struct decision_store_opts o = { .sz = sizeof(o), .decision_log = logp };
	char err[256];

	strcpy(dir, "/tmp/bpfprof-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/d.db", dir);
	snprintf(logp, sizeof(logp), "%s/decisions.jsonl", dir);
	cr_assert_eq(decision_store_open(db, &o, &store, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	decision_store_close(store);
	cr_expect_eq(tmpdir_remove(dir), 0);
}

static int64_t put(int64_t t, const char *level)
{
	json_t *d = decision_sample(t, level, 0.5, "/tmp/libx.so");
	char err[256];
	int64_t id;

	cr_assert_eq(decision_store_put(store, d, &id, err, sizeof(err)), 0, "%s", err);
	json_decref(d);
	return id;
}

TestSuite(decision_store, .init = setup, .fini = teardown);

Test(decision_store, put_assigns_ids_and_get_returns_the_same_decision)
{
	json_t *d = decision_sample(T0, "high", 0.9, "/tmp/libevil.so"), *got;
	char err[256];
	int64_t id, id2;

	cr_assert_eq(decision_store_put(store, d, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(json_integer_value(json_object_get(d, "id")), id);
	cr_assert_eq(decision_store_get(store, id, &got), 0);
	cr_assert(json_equal(d, got), "stored decision differs");
	id2 = put(T0 + SEC, "low");
	cr_assert_gt(id2, id);
	json_decref(got);
	cr_assert_eq(decision_store_get(store, id2 + 100, &got), -ENOENT);
	json_decref(d);
}

Test(decision_store, put_rejects_a_decision_without_a_required_field_and_names_it)
{
	json_t *d = decision_sample(T0, "high", 0.9, "/x.so");
	char err[256] = "";
	int64_t id, counts[DECISION_LEVELS];

	json_object_del(d, "backend");
	cr_assert_eq(decision_store_put(store, d, &id, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "backend"), "%s", err);
	json_object_set_new(d, "backend", json_string("none"));
	json_object_set_new(d, "risk", json_real(1.5));
	cr_assert_eq(decision_store_put(store, d, &id, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "risk"), "%s", err);
	json_object_set_new(d, "risk", json_real(0.5));
	json_object_set_new(json_object_get(d, "components"), "dcam", json_string("n/a"));
	cr_assert_eq(decision_store_put(store, d, &id, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "components.dcam"), "%s", err);
	cr_assert_eq(decision_store_count(store, counts), 0);
	cr_assert_eq(counts[0] + counts[1] + counts[2], 0);
	json_decref(d);
}

Test(decision_store, null_components_are_accepted)
{
	json_t *d = decision_sample(T0, "medium", 0.5, "/memfd:x (deleted)");
	char err[256];
	int64_t id;

	json_object_set_new(json_object_get(d, "components"), "source", json_null());
	cr_assert_eq(decision_store_put(store, d, &id, err, sizeof(err)), 0, "%s", err);
	json_decref(d);
}

static int64_t ids_of(json_t *arr, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(arr, i), "id"));
}

Test(decision_store, query_returns_newest_first_filtered_by_level_and_since)
{
	struct decision_query q = { .limit = 100 };
	char cur[DECISION_CURSOR_LEN];
	int64_t low = put(T0, "low"), med = put(T0 + SEC, "medium"), high = put(T0 + 2 * SEC, "high");
	json_t *arr;

	cr_assert_eq(decision_store_query(store, &q, &arr, cur), 0);
	cr_assert_eq(json_array_size(arr), 3);
	cr_assert_eq(ids_of(arr, 0), high);
	cr_assert_eq(ids_of(arr, 2), low);
	cr_assert_str_eq(cur, "");
	json_decref(arr);

	q.min_level = VERDICT_MEDIUM;
	cr_assert_eq(decision_store_query(store, &q, &arr, cur), 0);
	cr_assert_eq(json_array_size(arr), 2);
	cr_assert_eq(ids_of(arr, 1), med);
	json_decref(arr);

	q.min_level = VERDICT_LOW;
	q.since_ns = T0 + 2 * SEC;
	cr_assert_eq(decision_store_query(store, &q, &arr, cur), 0);
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_eq(ids_of(arr, 0), high);
	json_decref(arr);
}

Test(decision_store, cursor_pages_through_every_decision_once)
{
	struct decision_query q = { .limit = 3 };
	char cur[DECISION_CURSOR_LEN] = "", prev[DECISION_CURSOR_LEN];
	int seen[11] = { 0 }, pages = 0, total = 0;

	for (int i = 0; i < 10; i++)
		put(T0 + (i / 2) * SEC, "low"); /* pairs share a timestamp */
	do {
		json_t *arr;

		strcpy(prev, cur);
		q.cursor = prev;
		cr_assert_eq(decision_store_query(store, &q, &arr, cur), 0);
		for (size_t i = 0; i < json_array_size(arr); i++) {
			int64_t id = ids_of(arr, i);

			cr_assert(id >= 1 && id <= 10 && !seen[id], "id %lld twice", (long long)id);
			seen[id] = 1;
			total++;
		}
		json_decref(arr);
		pages++;
	} while (*cur && pages < 10);
	cr_assert_eq(total, 10);
	cr_assert_eq(pages, 4);
	q.cursor = "garbage";
	cr_assert_eq(decision_store_query(store, &q, &(json_t *){ NULL }, cur), -EINVAL);
}

Test(decision_store, count_reports_decisions_per_level)
{
	int64_t c[DECISION_LEVELS];

	put(T0, "low");
	put(T0, "high");
	put(T0, "high");
	cr_assert_eq(decision_store_count(store, c), 0);
	cr_assert_eq(c[VERDICT_LOW], 1);
	cr_assert_eq(c[VERDICT_MEDIUM], 0);
	cr_assert_eq(c[VERDICT_HIGH], 2);
}

Test(decision_store, every_stored_decision_is_appended_to_the_decision_log_with_its_id)
{
	char *line = NULL;
	size_t cap = 0;
	int64_t ids[3] = { put(T0, "low"), put(T0, "high"), put(T0, "medium") };
	FILE *f = fopen(logp, "r");
	int n = 0;

	cr_assert_not_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *d = json_loads(line, 0, NULL);

		cr_assert_not_null(d, "line %d is not JSON", n);
		cr_assert_lt(n, 3);
		cr_assert_eq(json_integer_value(json_object_get(d, "id")), ids[n]);
		cr_assert_eq(decision_validate(d, NULL, 0), 0);
		json_decref(d);
		n++;
	}
	cr_assert_eq(n, 3);
	free(line);
	fclose(f);
}

Test(decision_store, decisions_survive_kill_9_of_the_writer)
{
	int pfd[2], status;
	int64_t last = 0, c[DECISION_LEVELS];
	pid_t pid;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		struct decision_store *s2;
		char err[256];

		close(pfd[0]);
		if (decision_store_open(db, &(struct decision_store_opts){ .sz = 32 }, &s2, err,
					sizeof(err)))
			_exit(1);
		for (int i = 0; i < 200; i++) {
			json_t *d = decision_sample(T0 + i, "medium", 0.5, "/tmp/a.so");
			int64_t id;

			if (decision_store_put(s2, d, &id, err, sizeof(err)))
				_exit(1);
			json_decref(d);
			if (write(pfd[1], &id, sizeof(id)) != sizeof(id))
				_exit(1);
		}
		raise(SIGKILL); /* no close, no checkpoint */
	}
	close(pfd[1]);
	while (read(pfd[0], &last, sizeof(last)) == sizeof(last))
		;
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	decision_store_close(store);
	store = NULL;
	{
		struct decision_store_opts o = { .sz = sizeof(o) };
		char err[256];
		json_t *d;

		cr_assert_eq(decision_store_open(db, &o, &store, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(decision_store_count(store, c), 0);
		cr_assert_eq(c[VERDICT_MEDIUM], 200);
		cr_assert_eq(decision_store_get(store, last, &d), 0);
		json_decref(d);
	}
}

Test(decision_store, read_only_open_reads_and_refuses_to_write_or_create)
{
	struct decision_store_opts ro = { .sz = sizeof(ro), .read_only = 1 };
	struct decision_store *r;
	char err[256], missing[160];
	int64_t c[DECISION_LEVELS], id;
	json_t *d = decision_sample(T0, "low", 0.1, "/x.so");

	put(T0, "high");
	decision_store_close(store);
	store = NULL;
	snprintf(missing, sizeof(missing), "%s/none.db", dir);
	cr_assert_eq(decision_store_open(missing, &ro, &r, err, sizeof(err)), -ENOENT);
	cr_assert_neq(access(missing, F_OK), 0);
	{
		/* a database another module created before any decision */
		sqlite3 *other;

		cr_assert_eq(sqlite3_open(missing, &other), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(other, "CREATE TABLE behaviors(x)", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(other);
		cr_assert_eq(decision_store_open(missing, &ro, &r, err, sizeof(err)), -ENOENT);
		cr_assert(strstr(err, "no decisions stored"), "%s", err);
	}
	cr_assert_eq(decision_store_open(db, &ro, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(decision_store_count(r, c), 0);
	cr_assert_eq(c[VERDICT_HIGH], 1);
	cr_assert_eq(decision_store_put(r, d, &id, err, sizeof(err)), -EINVAL);
	decision_store_close(r);
	json_decref(d);
}

Test(decision_store, text_query_is_the_json_query_spliced_without_parsing)
{
	struct decision_query q = { .limit = 2, .min_level = VERDICT_MEDIUM };
	char cur_j[DECISION_CURSOR_LEN], cur_t[DECISION_CURSOR_LEN], *text;
	json_t *arr, *parsed;
	size_t len;

	put(T0, "low");
	put(T0 + SEC, "high");
	put(T0 + 2 * SEC, "medium");
	put(T0 + 3 * SEC, "high");
	cr_assert_eq(decision_store_query(store, &q, &arr, cur_j), 0);
	cr_assert_eq(decision_store_query_text(store, &q, &text, &len, cur_t), 0);
	cr_assert_eq(strlen(text), len);
	parsed = json_loads(text, 0, NULL);
	cr_assert_not_null(parsed, "%s", text);
	cr_assert(json_equal(arr, parsed), "%s", text);
	cr_assert_str_eq(cur_j, cur_t);
	json_decref(arr);
	json_decref(parsed);
	free(text);
	q.since_ns = T0 + 10 * SEC;
	cr_assert_eq(decision_store_query_text(store, &q, &text, &len, cur_t), 0);
	cr_assert_str_eq(text, "[]");
	free(text);
	cr_assert_eq(decision_store_ping(store), 0);
}

Test(decision_store, recording_through_the_sink_stores_the_decision)
{
	struct decision_sink sink = decision_store_sink(store);
	json_t *d = decision_sample(T0, "medium", 0.5, "/tmp/s.so"), *got;
	char err[256];
	int64_t id;

	cr_assert_eq(sink.record(sink.ctx, d, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(decision_store_get(store, id, &got), 0);
	cr_assert(json_equal(d, got));
	json_decref(got);
	json_decref(d);
}

#define CID "3f4a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"

static void put_attributed(int64_t t, const char *path, const char *container, const char *exe,
			   const char *unit, int uid)
{
	json_t *d = decision_sample(t, "medium", 0.5, path);
	json_t *p = json_pack("{s:i, s:i, s:s, s:i}", "pid", 4242, "tid", 4243, "exe", exe,
			      "uid", uid);
	char err[256];

	if (container)
		json_object_set_new(p, "container_id", json_string(container));
	if (unit)
		json_object_set_new(p, "unit", json_string(unit));
	json_object_set_new(d, "process", p);
	cr_assert_eq(decision_store_put(store, d, NULL, err, sizeof(err)), 0, "%s", err);
	json_decref(d);
}

/* The ids a query returns, newest first, as "3,1". */
static char *filtered_ids(struct decision_query q)
{
	static char out[256];
	char next[DECISION_CURSOR_LEN];
	json_t *arr, *d;
	size_t i, n = 0;

	q.limit = q.limit ? q.limit : 100;
	cr_assert_eq(decision_store_query(store, &q, &arr, next), 0);
	out[0] = '\0';
	json_array_foreach(arr, i, d)
		n += snprintf(out + n, sizeof(out) - n, "%s%lld", i ? "," : "",
			      (long long)json_integer_value(json_object_get(d, "id")));
	json_decref(arr);
	return out;
}

Test(decision_store, attribution_filters_select_by_container_exe_unit_object_and_uid)
{
	struct decision_query q = { .exe = "/usr/bin/python3*", .limit = 1 };
	char next[DECISION_CURSOR_LEN];
	json_t *arr;

	put_attributed(T0, "/tmp/liba.so", CID, "/usr/bin/python3.11", "docker-" CID ".scope", 0);
	put_attributed(T0 + SEC, "/opt/lib/libb.so", NULL, "/usr/sbin/nginx", "nginx.service", 33);
	put_attributed(T0 + 2 * SEC, "/tmp/libc2.so", NULL, "/usr/bin/python3.11",
		       "session-3.scope", 1000);

	cr_assert_str_eq(filtered_ids((struct decision_query){ .container = CID }), "1");
	/* docker ps shows 12 digits */
	cr_assert_str_eq(filtered_ids((struct decision_query){ .container = "3f4a1b2c3d4e" }), "1");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .container = "ffff" }), "");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .exe = "/usr/bin/python3.11" }), "3,1");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .exe = "/usr/bin/python3" }), "",
			 "without a glob, exe must be equal");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .exe = "/usr/bin/python3*" }), "3,1");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .unit = "nginx.service" }), "2");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .object = "/tmp/*" }), "3,1");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .uid = 0, .uid_set = true }), "1");
	cr_assert_str_eq(filtered_ids((struct decision_query){ .uid = 1000, .uid_set = true,
							       .exe = "/usr/bin/*" }), "3");
	/* filters page like the rest: limit 1 then the cursor */
	cr_assert_eq(decision_store_query(store, &q, &arr, next), 0);
	cr_assert_eq(json_array_size(arr), 1);
	json_decref(arr);
	q.cursor = next;
	cr_assert_str_eq(filtered_ids(q), "1");
}

Test(decision_store, retention_removes_by_age_and_count_per_level)
{
	struct decision_retention r = { .max_age_ns = { 3600 * SEC, 0, 0 },
					.max_count = { 3, 0, 1 } };
	int64_t now = T0 + 10000 * SEC, gone[DECISION_LEVELS], c[DECISION_LEVELS];

	/* low: 2 too old, 4 recent of which the oldest goes by count */
	put(now - 7200 * SEC, "low");
	put(now - 5000 * SEC, "low");
	for (int i = 4; i >= 1; i--)
		put(now - i * SEC, "low");
	put(now - 7200 * SEC, "medium");
	put(now - 9 * SEC, "high");
	put(now - 8 * SEC, "high");
	cr_assert_eq(decision_store_prune(store, &r, now, gone), 0);
	cr_assert_eq(gone[0], 3, "low removed: %lld", (long long)gone[0]);
	cr_assert_eq(gone[1], 0, "medium has no limits");
	cr_assert_eq(gone[2], 1, "high keeps its newest 1");
	cr_assert_eq(decision_store_count(store, c), 0);
	cr_assert_eq(c[0], 3);
	cr_assert_eq(c[1], 1);
	cr_assert_eq(c[2], 1);
	cr_assert_eq(decision_store_prune(store, &r, now, gone), 0);
	cr_assert_eq(gone[0] + gone[1] + gone[2], 0, "pruning again removes nothing");
}
