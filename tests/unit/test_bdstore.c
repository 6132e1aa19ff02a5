/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The on-disk database: entry validation naming the bad field, the curated
 * defaults, submissions, and snapshots (exact round trip; corrupt and
 * truncated snapshots refused with the database unchanged). */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "behaviors/bddefault.h"
#include "behaviors/bdsnapshot.h"
#include "behaviors/bdstore.h"
#include "score/seqscore.h"
#include "curated.h"
#include "lib/filehash.h"
#include "tmpdir.h"
#include <sqlite3.h>
#include <zstd.h>

static char dir[] = "/tmp/bpfprof-bd-XXXXXX";
static char path_a[600], path_b[600], snap[600];
static struct tokens *tok;

static void setup(void)
{
	strcpy(dir, "/tmp/bpfprof-bd-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path_a, sizeof(path_a), "%s/a.sqlite", dir);
	snprintf(path_b, sizeof(path_b), "%s/b.sqlite", dir);
	snprintf(snap, sizeof(snap), "%s/a.bdsnap", dir);
	cr_assert_eq(tokens_load_default(&tok), 0);
}

static void teardown(void)
{
	tokens_free(tok);
	cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(bdstore, .init = setup, .fini = teardown);

static struct bdstore *open_or_die(const char *path, unsigned flags)
{
	struct bdstore *st;
	char err[512];

	cr_assert_eq(bdstore_open(path, flags, &st, err, sizeof(err)), 0, "%s", err);
	return st;
}

static void expect_invalid(const char *json, const char *field)
{
	json_t *j = json_loads(json, 0, NULL);
	struct bd_entry e;
	char err[512] = "";

	cr_assert_not_null(j, "%s", json);
	cr_assert_eq(bdentry_from_json(j, BDENTRY_SUBMISSION, "entries[0]", &e, err, sizeof(err)),
		     -EINVAL, "%s accepted", json);
	cr_assert(strstr(err, field), "error '%s' does not name %s", err, field);
	json_decref(j);
}

Test(bdstore, malformed_entries_are_refused_naming_the_field)
{
	expect_invalid("{\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\"}",
		       "entries[0].sequence: is required");
	expect_invalid("{\"sequence\":[\"dlopen\"],\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\"}",
		       "entries[0].sequence:");
	expect_invalid("{\"sequence\":[\"dlopen\",3],\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\"}",
		       "entries[0].sequence[1]:");
	expect_invalid("{\"sequence\":[\"dlopen\",{\"call\":\"x\",\"arg\":1}],\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\"}",
		       "entries[0].sequence[1]: unknown field");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":1.5,\"confidence\":1,\"label\":\"malicious\"}",
		       "entries[0].risk_score:");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":0.9,\"label\":\"malicious\"}",
		       "entries[0].confidence: is required");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":0.9,\"confidence\":1,\"label\":\"evil\"}",
		       "entries[0].label:");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":0.9,\"confidence\":1,\"label\":\"good\"}",
		       "entries[0].risk_score: must be <= 0.5 for a good entry");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\",\"origin\":{\"hash\":\"ab\",\"size\":\"1\"}}",
		       "entries[0].origin.size: unknown field");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\",\"added_at\":\"yesterday\"}",
		       "entries[0].added_at:");
	expect_invalid("{\"sequence\":[\"dlopen\",\"execve\"],\"risk_score\":0.9,\"confidence\":1,\"label\":\"malicious\",\"colour\":1}",
		       "entries[0].colour: unknown field");
}

static int check_text(const char *field, const char *text, size_t len)
{
	char err[256];

	return bdentry_check_text(field, text, len, "e", err, sizeof(err));
}

/* What a snapshot brings as text is held to the rules of a submission and
 * to what jansson can hand back out (UTF-8 without NUL bytes). */
Test(bdstore, stored_text_fields_must_be_what_a_submission_could_give)
{
	cr_assert_eq(check_text("source", "caf\xc3\xa9 \xf0\x9f\x90\x9b", 10), 0);
	cr_assert_eq(check_text("source", "a\0b", 3), -EINVAL, "NUL byte");
	cr_assert_eq(check_text("source", "\xc0\xaf", 2), -EINVAL, "overlong /");
	cr_assert_eq(check_text("source", "\xed\xa0\x80", 3), -EINVAL, "surrogate");
	cr_assert_eq(check_text("source", "\xf4\x90\x80\x80", 4), -EINVAL, "past U+10FFFF");
	cr_assert_eq(check_text("source", "ab\xc3", 3), -EINVAL, "cut sequence");
	cr_assert_eq(check_text("submitter", "", 0), -EINVAL, "empty");
	cr_assert_eq(check_text("added_at", "2026-11-27T08:00:00Z", 20), 0);
	cr_assert_eq(check_text("added_at", "2026-13-27T08:00:00Z", 20), -EINVAL);
	cr_assert_eq(check_text("origin", "{\"hash\":\"h\"}", 12), 0);
	cr_assert_eq(check_text("origin", "{\"hash\":1}", 10), -EINVAL);
	cr_assert_eq(check_text("origin", "{\"hash\":\"h\"", 11), -EINVAL, "not JSON");
}

Test(bdstore, params_and_call_objects_are_accepted)
{
	json_t *j = json_loads("{\"sequence\":[{\"call\":\"connect:inet\",\"params\":{\"port\":4444}},\"dup2\"],"
			       "\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\","
			       "\"origin\":{\"hash\":\"sha256:00\",\"path\":\"/tmp/*.so\",\"publisher\":\"unknown\"},"
			       "\"source\":\"test\",\"added_at\":\"2026-11-27T08:00:00Z\"}", 0, NULL);
	struct bd_entry e;
	char err[256];

	cr_assert_eq(bdentry_from_json(j, BDENTRY_FULL, "e", &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(e.len, 2);
	cr_assert_str_eq(e.tokens[0], "connect:inet");
	cr_assert(strstr(e.sequence, "4444"));
	bdentry_clear(&e);
	json_decref(j);
}

/* The fast path takes exactly what the store writes for a sequence of plain
 * names; everything else must go to the full parser (0). */
Test(bdstore, plain_sequence_fast_path_takes_only_canonical_text)
{
	static const struct {
		const char *text;
		size_t n;
	} cases[] = {
		{ "[\"socket:inet\",\"connect:inet\",\"dup2\"]", 3 },
		{ "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]", 8 },
		{ "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]", 0 }, /* 9 tokens */
		{ "[\"dlopen\"]", 0 },                                        /* 1 token */
		{ "[\"a\", \"b\"]", 0 },                                      /* spaced */
		{ "[\"a\",\"b\"] ", 0 },                                      /* trailing */
		{ "[\"a\",\"b\",]", 0 },
		{ "[\"a\",\"\"]", 0 },                                        /* empty name */
		{ "[\"a\\\"b\",\"c\"]", 0 },                                  /* escape */
		{ "[\"caf\xc3\xa9\",\"c\"]", 0 },                             /* non-ASCII */
		{ "[{\"call\":\"a\"},\"b\"]", 0 },
		{ "[\"a\",\"b\"", 0 },
		{ "", 0 },
	};
	const char *two = "[\"socket:inet\",\"dup2\"]";
	struct bdentry_name names[BDINDEX_MAX_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		cr_assert_eq(bdentry_plain_sequence(cases[i].text, strlen(cases[i].text), names),
			     cases[i].n, "%s", cases[i].text);
	cr_assert_eq(bdentry_plain_sequence(two, strlen(two), names), 2);
	cr_assert_eq(names[0].len, 11);
	cr_assert_eq(strncmp(names[0].p, "socket:inet", 11), 0);
	cr_assert_eq(names[1].len, 4);
	cr_assert_eq(strncmp(names[1].p, "dup2", 4), 0);
}

static void sql(const char *path, const char *stmt)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int load_count(const char *path, size_t *n)
{
	struct bdstore *st = open_or_die(path, BDSTORE_NO_SEED);
	struct bdindex *idx;
	int ret;

	cr_assert_eq(bdindex_create(tok, &idx), 0);
	ret = bdstore_load_index(st, tok, idx);
	*n = bdindex_count(idx);
	bdindex_free(idx);
	bdstore_close(st);
	return ret;
}

/* Rows edited behind the store's back: what is not plain is parsed and
 * validated in full, so valid odd text loads and garbage is refused. */
Test(bdstore, rows_off_the_fast_path_are_validated_before_the_index_sees_them)
{
	struct bdstore *st = open_or_die(path_a, BDSTORE_NO_SEED);
	json_t *j = json_loads("[{\"sequence\":[\"socket:inet\",\"connect:inet\",\"dup2\"],"
			       "\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\"},"
			       "{\"sequence\":[\"dlopen\",\"openat:read\"],"
			       "\"risk_score\":0.2,\"confidence\":0.5,\"label\":\"good\"}]", 0, NULL);
	json_t *sub = json_pack("{s:s, s:o}", "submitter", "t", "entries", j);
	struct bd_entry e;
	json_t *res = NULL;
	char err[512];
	size_t n, good, malicious;

	cr_assert_eq(bd_submit(st, NULL, NULL, sub, &res, err, sizeof(err)), 0, "%s", err);
	json_decref(res);
	json_decref(sub);
	bdstore_close(st);
	cr_assert_eq(load_count(path_a, &n), 0);
	cr_assert_eq(n, 2);
	st = open_or_die(path_a, BDSTORE_NO_SEED);
	cr_assert_eq(bdstore_count_labels(st, &good, &malicious), 0);
	cr_assert(good == 1 && malicious == 1, "%zu good, %zu malicious", good, malicious);
	bdstore_close(st);

	sql(path_a, "UPDATE entries SET sequence = '[ \"socket:inet\" , {\"call\":\"connect:inet\"}, \"dup2\" ]' WHERE id = 1");
	cr_assert_eq(load_count(path_a, &n), 0, "valid JSON that is not canonical must load");
	cr_assert_eq(n, 2);
	st = open_or_die(path_a, BDSTORE_NO_SEED);
	cr_assert_eq(bdstore_get(st, 1, &e), 0);
	cr_assert_eq(e.len, 3);
	cr_assert_str_eq(e.tokens[1], "connect:inet");
	cr_assert_eq(strncmp(e.sequence, "[ \"socket", 9), 0, "the stored text is kept: %s", e.sequence);
	bdentry_clear(&e);
	bdstore_close(st);

	sql(path_a, "UPDATE entries SET sequence = '[\"socket inet\",\"dup2\"]' WHERE id = 1");
	cr_assert_eq(load_count(path_a, &n), -EBADMSG, "a name with a space reached the index");
	sql(path_a, "UPDATE entries SET sequence = '[\"socket:inet\",\"dup2\"]', risk = 0.9 WHERE id = 2");
	cr_assert_eq(load_count(path_a, &n), -EBADMSG, "a good entry with risk 0.9 reached the index");
}

static int index_dump_one(const struct bdindex_match *m, void *arg)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%010lld %d %.6f %.6f", (long long)m->id, m->label,
			 m->risk, m->confidence);

	for (size_t i = 0; i < m->len; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", tokens_name(tok, m->seq[i]));
	json_array_append_new(arg, json_string(line));
	return 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Everything the index holds, one sorted line per entry, plus its params. */
static char *index_dump(struct bdindex *idx)
{
	json_t *arr = json_array();
	struct bdindex_params p;
	const char **lines;
	size_t n, i, len = 1;
	char *out;

	bdindex_foreach(idx, index_dump_one, arr);
	n = json_array_size(arr);
	lines = calloc(n + 1, sizeof(*lines));
	for (i = 0; i < n; i++) {
		lines[i] = json_string_value(json_array_get(arr, i));
		len += strlen(lines[i]) + 1;
	}
	qsort(lines, n, sizeof(*lines), by_string);
	bdindex_params_get(idx, &p);
	out = calloc(len + 128, 1);
	len = (size_t)sprintf(out, "params %.6f %.6f %.6f\n", p.unknown_logit, p.unknown_weight,
			      p.length_norm);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s\n", lines[i]);
	free(lines);
	json_decref(arr);
	return out;
}

static struct bdindex *loaded_index(const char *path)
{
	struct bdstore *st = open_or_die(path, BDSTORE_NO_SEED);
	struct bdindex *idx;

	cr_assert_eq(bdindex_create(tok, &idx), 0);
	cr_assert_eq(bdstore_load_index(st, tok, idx), 0);
	bdstore_close(st);
	return idx;
}

static void submit_json(struct bdstore *st, const char *entries)
{
	json_t *sub = json_pack("{s:s, s:o}", "submitter", "t", "entries", json_loads(entries, 0, NULL));
	json_t *res = NULL;
	char err[512];

	cr_assert_not_null(sub);
	cr_assert_eq(bd_submit(st, NULL, NULL, sub, &res, err, sizeof(err)), 0, "%s", err);
	json_decref(res);
	json_decref(sub);
}

/* Another process changes the store under a running agent: the live index
 * follows with the changes only, and ends up equal to a fresh load. */
/* The store's own reason for refusing to load, as the agent logs it. */
static void load_refused(const char *path, const char *expect)
{
	struct bdstore *st = open_or_die(path, BDSTORE_NO_SEED);
	struct bdindex *idx;
	int ret;

	cr_assert_eq(bdindex_create(tok, &idx), 0);
	ret = bdstore_load_index(st, tok, idx);
	cr_assert_neq(ret, 0, "loaded");
	cr_assert(strstr(bdstore_strerror(st, ret), expect), "'%s' lacks '%s'",
		  bdstore_strerror(st, ret), expect);
	bdindex_free(idx);
	bdstore_close(st);
}

/* A database edited behind the store's back fails to load with the row or
 * parameter at fault named, not "Bad message". */
Test(bdstore, a_row_or_parameter_the_index_cannot_take_is_named)
{
	struct bdstore *st = open_or_die(path_a, 0);
	size_t n;

	bdstore_close(st);
	sql(path_a, "UPDATE entries SET sequence = '[\"socket inet\",\"dup2\"]' WHERE id = 7");
	load_refused(path_a, "entry id 7.sequence[0]: must be a token name");
	sql(path_a, "UPDATE entries SET sequence = '[\"dup2\",\"dup2\"]', id = 4294967301 WHERE id = 7");
	load_refused(path_a, "entry id 4294967301: id out of the index's range 1..4294967295");
	sql(path_a, "DELETE FROM entries WHERE id > 4294967295");
	cr_assert_eq(load_count(path_a, &n), 0);
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('length_norm', 'nan')");
	load_refused(path_a, "scoring parameters in table meta not usable");
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('length_norm', '-1')");
	load_refused(path_a, "length_norm -1");
	/* strtod alone would read these as 0 and 1 and score with them */
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('length_norm', 'one')");
	load_refused(path_a, "scoring parameter length_norm in table meta is not a number: \"one\"");
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('length_norm', '1 ')");
	load_refused(path_a, "length_norm in table meta is not a number: \"1 \"");
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('length_norm', '1')");
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('unknown_logit', '1e999')");
	load_refused(path_a, "not usable (unknown_logit inf,");
	/* a subnormal is a number (strtod's ERANGE for it once refused a
	 * snapshot's own parameters: found by fuzz_snapshot) */
	sql(path_a, "INSERT OR REPLACE INTO meta VALUES('unknown_logit', '5.9253727683509038e-317')");
	cr_assert_eq(load_count(path_a, &n), 0);
}

Test(bdstore, sync_brings_a_live_index_in_line_with_a_store_changed_elsewhere)
{
	struct bdstore *agent, *cli;
	struct bdindex *live, *fresh;
	struct bd_sync_stats st;
	struct bdindex_params p = { -0.5, 0.25, 1 }, p0;
	char *want, *got;
	size_t mem;
	uint64_t v0, v1;

	cli = open_or_die(path_a, BDSTORE_NO_SEED);
	submit_json(cli, "[{\"sequence\":[\"socket:inet\",\"connect:inet\",\"dup2\"],\"risk_score\":0.9,"
			 "\"confidence\":0.5,\"label\":\"malicious\"},"
			 "{\"sequence\":[\"dlopen\",\"openat:read\"],\"risk_score\":0.2,"
			 "\"confidence\":0.5,\"label\":\"good\"},"
			 "{\"sequence\":[\"memfd_create\",\"execveat\"],\"risk_score\":0.95,"
			 "\"confidence\":0.8,\"label\":\"malicious\"}]");
	agent = open_or_die(path_a, BDSTORE_NO_SEED);
	live = loaded_index(path_a);
	cr_assert_eq(bd_sync_index(agent, tok, live, &st), 0);
	cr_assert(st.added == 0 && st.replaced == 0 && st.removed == 0, "+%zu ~%zu -%zu on no change",
		  st.added, st.replaced, st.removed);
	cr_assert_eq(bdstore_data_version(agent, &v0), 0);
	cr_assert_eq(bdstore_remove(agent, 99), -ENOENT);
	submit_json(agent, "[{\"sequence\":[\"dlopen\",\"openat:read\"],\"risk_score\":0.2,"
			   "\"confidence\":0.5,\"label\":\"good\"}]"); /* a resubmission: no change */
	cr_assert_eq(bdstore_params_get(agent, &p0), 0);
	cr_assert_eq(bdstore_params_set(agent, &p0), 0);
	cr_assert_eq(bdstore_data_version(agent, &v1), 0);
	cr_assert_eq(v0, v1, "the agent's own commit counted as another's");

	/* the CLI adds one, changes one's risk, removes one and sets params */
	submit_json(cli, "[{\"sequence\":[\"ptrace\",\"process_vm_writev\"],\"risk_score\":0.8,"
			 "\"confidence\":0.7,\"label\":\"malicious\"}]");
	sql(path_a, "UPDATE entries SET risk = 0.35 WHERE id = 2");
	cr_assert_eq(bdstore_remove(cli, 1), 0);
	cr_assert_eq(bdstore_params_set(cli, &p), 0);
	cr_assert_eq(bdstore_data_version(agent, &v1), 0);
	cr_assert_neq(v0, v1, "the agent's connection does not see the other's commits");

	cr_assert_eq(bd_sync_index(agent, tok, live, &st), 0);
	cr_assert_eq(st.added, 1);
	cr_assert_eq(st.replaced, 1);
	cr_assert_eq(st.removed, 1);
	fresh = loaded_index(path_a);
	want = index_dump(fresh);
	got = index_dump(live);
	cr_assert_str_eq(got, want);
	free(got);
	mem = bdindex_memory(live);
	cr_assert_eq(bd_sync_index(agent, tok, live, &st), 0);
	cr_assert(st.added == 0 && st.replaced == 0 && st.removed == 0);
	cr_assert_eq(bdindex_memory(live), mem, "a sync without changes allocated");

	/* a row nobody can index: nothing changes */
	sql(path_a, "UPDATE entries SET sequence = '[\"socket inet\",\"dup2\"]' WHERE id = 3;"
		    "DELETE FROM entries WHERE id = 4");
	mem = bdindex_memory(live);
	cr_assert_eq(bd_sync_index(agent, tok, live, &st), -EBADMSG);
	got = index_dump(live);
	cr_assert_str_eq(got, want, "a failed sync changed the index");
	cr_assert_eq(bdindex_memory(live), mem);
	free(got);
	free(want);
	bdindex_free(fresh);
	bdindex_free(live);
	bdstore_close(agent);
	bdstore_close(cli);
}

Test(bdstore, curated_default_database_is_valid_and_seeds_a_new_store)
{
	struct bd_entry *e;
	struct bdstore *st;
	size_t n;
	char err[256];

	cr_assert_eq(bddefault_entries(&e, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(n, 30);
	st = open_or_die(path_a, 0);
	cr_assert_eq(bdstore_count(st), n);
	bdstore_close(st);
	bddefault_free(e, n);
	st = open_or_die(path_b, BDSTORE_NO_SEED);
	cr_assert_eq(bdstore_count(st), 0);
	bdstore_close(st);
}

Test(bdstore, default_index_flags_a_reverse_shell_and_passes_a_plain_load)
{
	struct bdindex *idx;
	struct seqscore_result r;
	/* the tracer records a socket put on stdio as dup2:socket; plain dup2 is
	 * a pipe's (subprocess plumbing) */
	const char *shell[] = { "openat:read", "socket:inet", "connect:inet", "dup2:socket",
				"dup2:socket", "dup2:socket", "execve" };
	const char *plain[] = { "openat:read", "dlopen", "openat:read", "mmap:exec_file", "mmap:exec_file" };
	token_id s[8];

	cr_assert_eq(bdindex_load_default(tok, &idx), 0);
	for (size_t i = 0; i < 7; i++)
		s[i] = (token_id)tokens_find(tok, shell[i]);
	cr_assert_eq(seqscore_window(idx, s, 7, &r), 0);
	cr_assert_gt(r.score, 0.8, "reverse shell scored %f", r.score);
	for (size_t i = 0; i < 5; i++)
		s[i] = (token_id)tokens_find(tok, plain[i]);
	cr_assert_eq(seqscore_window(idx, s, 5, &r), 0);
	cr_assert_lt(r.score, 0.1, "plain load scored %f", r.score);
	bdindex_free(idx);
}

Test(bdstore, a_submission_is_stored_and_applied_to_the_live_index)
{
	struct bdstore *st = open_or_die(path_a, BDSTORE_NO_SEED);
	struct bdindex *idx;
	struct bdindex_match m[4];
	json_t *sub = json_loads("{\"submitter\":\"market\",\"entries\":["
				 "{\"sequence\":[\"shmget\",\"shmat\",\"kill\"],\"risk_score\":0.8,"
				 "\"confidence\":0.7,\"label\":\"malicious\"}]}", 0, NULL);
	json_t *bad = json_loads("{\"submitter\":\"market\",\"entries\":["
				 "{\"sequence\":[\"shmget\",\"kill\"],\"risk_score\":0.8,\"confidence\":0.7,\"label\":\"malicious\"},"
				 "{\"sequence\":[\"shmget\",\"kill\"],\"risk_score\":0.8,\"label\":\"malicious\"}]}", 0, NULL);
	json_t *res;
	token_id q[3];
	char err[256];
	struct bd_entry e;

	cr_assert_eq(bdindex_create(tok, &idx), 0);
	cr_assert_eq(bd_submit(st, idx, tok, sub, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(json_integer_value(json_object_get(res, "accepted")), 1);
	q[0] = (token_id)tokens_find(tok, "shmget");
	q[1] = (token_id)tokens_find(tok, "shmat");
	q[2] = (token_id)tokens_find(tok, "kill");
	cr_assert_eq(bdindex_lookup_fuzzy(idx, q, 3, m, 4), 1);
	cr_assert_eq(m[0].id, json_integer_value(json_array_get(json_object_get(res, "ids"), 0)));
	cr_assert_eq(bdstore_get(st, m[0].id, &e), 0);
	cr_assert_str_eq(e.submitter, "market");
	bdentry_clear(&e);
	/* a batch with one bad entry lands not at all */
	cr_assert_eq(bd_submit(st, idx, tok, bad, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "entries[1].confidence"), "%s", err);
	cr_assert_eq(bdstore_count(st), 1);
	cr_assert_eq(bdindex_count(idx), 1);
	json_decref(res);
	json_decref(sub);
	json_decref(bad);
	bdindex_free(idx);
	bdstore_close(st);
}

/* bdstore_find_same keeps its statement prepared across calls: it must
 * still find (and stop finding) entries after a snapshot import dropped
 * and rebuilt the sequence index under it. */
Test(bdstore, a_resubmission_is_recognised_across_a_snapshot_import_and_a_removal)
{
	struct bdstore *st = open_or_die(path_a, BDSTORE_NO_SEED);
	json_t *sub = json_loads("{\"submitter\":\"market\",\"entries\":["
				 "{\"sequence\":[\"shmget\",\"shmat\",\"kill\"],\"risk_score\":0.8,"
				 "\"confidence\":0.7,\"label\":\"malicious\"}]}", 0, NULL);
	json_t *res;
	json_int_t first, again;
	char err[512];
	size_t n;

	cr_assert_eq(bd_submit(st, NULL, tok, sub, &res, err, sizeof(err)), 0, "%s", err);
	first = json_integer_value(json_array_get(json_object_get(res, "ids"), 0));
	json_decref(res);
	cr_assert_eq(bdsnapshot_export(st, snap, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdsnapshot_import(st, snap, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(bd_submit(st, NULL, tok, sub, &res, err, sizeof(err)), 0, "%s", err);
	again = json_integer_value(json_array_get(json_object_get(res, "ids"), 0));
	json_decref(res);
	cr_assert_eq(again, first, "the resubmission got id %lld, not %lld", (long long)again,
		     (long long)first);
	cr_assert_eq(bdstore_count(st), 1);
	cr_assert_eq(bdstore_remove(st, first), 0);
	cr_assert_eq(bdstore_count(st), 0);
	cr_assert_eq(bd_submit(st, NULL, tok, sub, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdstore_count(st), 1, "the removed entry was taken as still there");
	json_decref(sub);
	bdstore_close(st);
}

static int dump_one(const struct bd_entry *e, void *arg)
{
	json_t *arr = arg;

	json_array_append_new(arr, bdentry_to_json(e));
	return 0;
}

static char *dump(struct bdstore *st)
{
	json_t *arr = json_array();
	struct bdindex_params p;
	char *s;

	cr_assert_eq(bdstore_foreach(st, dump_one, arr), 0);
	cr_assert_eq(bdstore_params_get(st, &p), 0);
	json_array_append_new(arr, json_pack("[f,f,f]", p.unknown_logit, p.unknown_weight, p.length_norm));
	s = json_dumps(arr, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	json_decref(arr);
	return s;
}

static void fill_a(void)
{
	struct bdstore *st = open_or_die(path_a, 0);
	struct bdindex_params p = { 1.0 / 3, 0.7, 1 };
	json_t *sub = json_loads("{\"submitter\":\"x\",\"entries\":[{\"sequence\":[{\"call\":\"connect:inet\","
				 "\"params\":{\"port\":4444}},\"dup2\"],\"risk_score\":0.123456789012345,"
				 "\"confidence\":0.1,\"label\":\"good\",\"origin\":{\"hash\":\"h\",\"path\":\"/tmp/*\"}}]}",
				 0, NULL);
	char err[256];

	cr_assert_eq(bd_submit(st, NULL, tok, sub, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdstore_remove(st, 3), 0); /* a gap in the ids */
	cr_assert_eq(bdstore_params_set(st, &p), 0);
	json_decref(sub);
	bdstore_close(st);
}

/* fill_a's database as the snapshot at snap. */
static void export_a(void)
{
	struct bdstore *a;
	char err[512];

	fill_a();
	a = open_or_die(path_a, 0);
	cr_assert_eq(bdsnapshot_export(a, snap, err, sizeof(err)), 0, "%s", err);
	bdstore_close(a);
}

Test(bdstore, snapshot_round_trip_is_exact)
{
	struct bdstore *a, *b;
	char err[512], *da, *db;
	size_t n;
	struct bdindex *idx;

	fill_a();
	a = open_or_die(path_a, 0);
	cr_assert_eq(bdsnapshot_export(a, snap, err, sizeof(err)), 0, "%s", err);
	b = open_or_die(path_b, BDSTORE_NO_SEED);
	cr_assert_eq(bdsnapshot_import(b, snap, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, bdstore_count(a));
	da = dump(a);
	db = dump(b);
	cr_assert_str_eq(da, db);
	free(da);
	free(db);
	cr_assert_eq(bdindex_create(tok, &idx), 0);
	cr_assert_eq(bdsnapshot_load_index(snap, tok, idx, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdindex_count(idx), bdstore_count(a));
	bdindex_free(idx);
	bdstore_close(a);
	bdstore_close(b);
}

static void refused_unchanged(const char *bad, const char *expect)
{
	struct bdstore *b = open_or_die(path_b, 0);
	char err[512] = "", *before, *after;

	before = dump(b);
	cr_assert_neq(bdsnapshot_import(b, bad, NULL, err, sizeof(err)), 0);
	cr_assert(strstr(err, expect), "error '%s' lacks '%s'", err, expect);
	after = dump(b);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
	bdstore_close(b);
}

/* The agent's snapshot path refuses what an import refuses of the fields
 * the index keeps. */
static void index_refuses(const char *bad, const char *expect)
{
	struct bdindex *idx;
	char err[512] = "";

	cr_assert_eq(bdindex_create(tok, &idx), 0);
	cr_assert_neq(bdsnapshot_load_index(bad, tok, idx, NULL, err, sizeof(err)), 0);
	cr_assert(strstr(err, expect), "error '%s' lacks '%s'", err, expect);
	bdindex_free(idx);
}

static void copy_modified(const char *to, long truncate_at, long flip_at)
{
	FILE *in = fopen(snap, "rb"), *out = fopen(to, "wb");
	long i = 0;
	int c;

	cr_assert(in && out);
	while ((c = fgetc(in)) != EOF && (truncate_at < 0 || i < truncate_at)) {
		fputc(i == flip_at ? c ^ 0x20 : c, out);
		i++;
	}
	fclose(in);
	fclose(out);
}

Test(bdstore, corrupt_and_truncated_snapshots_are_refused_and_change_nothing)
{
	char bad[700];
	long size;
	FILE *f;

	export_a();
	f = fopen(snap, "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	snprintf(bad, sizeof(bad), "%s/bad.bdsnap", dir);
	copy_modified(bad, size - 10, -1);
	refused_unchanged(bad, "truncated");
	copy_modified(bad, 30, -1);
	refused_unchanged(bad, "not a bpf-profiler database snapshot (truncated header)");
	copy_modified(bad, -1, size - 20);
	refused_unchanged(bad, "corrupt snapshot");
	copy_modified(bad, -1, 45); /* inside the stored SHA-256 */
	refused_unchanged(bad, "SHA-256 mismatch");
	copy_modified(bad, -1, 2); /* the magic */
	refused_unchanged(bad, "not a bpf-profiler database snapshot");
}

/* Rewrites snap's payload into to with a valid checksum: mutate gets the
 * payload (room for 64 more bytes) and the offset of its first entry. */
static void resnap(const char *to, void (*mutate)(unsigned char *p, size_t *len, size_t first))
{
	FILE *f = fopen(snap, "rb");
	unsigned char hdr[72], *z, *p;
	size_t clen, plen, off = 28;
	uint32_t nnames;

	cr_assert_not_null(f);
	cr_assert_eq(fread(hdr, 1, 72, f), 72);
	fseek(f, 0, SEEK_END);
	clen = (size_t)ftell(f) - 72;
	fseek(f, 72, SEEK_SET);
	z = malloc(clen);
	cr_assert_eq(fread(z, 1, clen, f), clen);
	fclose(f);
	memcpy(&plen, hdr + 24, 8); /* little-endian host */
	p = malloc(plen + 64);
	cr_assert_eq(ZSTD_decompress(p, plen, z, clen), plen);
	memcpy(&nnames, p + 24, 4);
	for (uint32_t i = 0; i < nnames; i++) {
		uint32_t l;

		memcpy(&l, p + off, 4);
		off += 4 + l;
	}
	mutate(p, &plen, off);
	z = realloc(z, ZSTD_compressBound(plen));
	clen = ZSTD_compress(z, ZSTD_compressBound(plen), p, plen, 1);
	cr_assert(!ZSTD_isError(clen));
	memcpy(hdr + 24, &plen, 8);
	memcpy(hdr + 32, &clen, 8);
	cr_assert_eq(filehash_sha256_mem(p, plen, hdr + 40), 0);
	f = fopen(to, "wb");
	cr_assert(f && fwrite(hdr, 1, 72, f) == 72 && fwrite(z, 1, clen, f) == clen);
	fclose(f);
	free(z);
	free(p);
}

/* Offset of the first entry's sequence text (after its length prefix). */
static size_t first_sequence(const unsigned char *p, size_t first)
{
	return first + 26 + 2 * (size_t)p[first + 25] + 4;
}

static void token_renamed(unsigned char *p, size_t *len, size_t first)
{
	(void)len;
	p[first_sequence(p, first) + 2] ^= 0x20; /* ["connect... -> ["Connect... */
}

static void label_flipped(unsigned char *p, size_t *len, size_t first)
{
	double risk;

	(void)len;
	memcpy(&risk, p + first + 8, 8);
	cr_assert_neq(risk, 0.5);
	p[first + 24] ^= 1;
}

static void sequence_spaced(unsigned char *p, size_t *len, size_t first)
{
	size_t s = first_sequence(p, first);
	uint32_t l;

	memcpy(&l, p + s - 4, 4);
	memmove(p + s + 2, p + s + 1, *len - s - 1);
	p[s + 1] = ' '; /* [ "a",... : valid JSON, not the canonical text */
	l++;
	memcpy(p + s - 4, &l, 4);
	(*len)++;
}

/* Offset of the length of string field k (0 sequence .. 4 submitter) of the
 * entry at e. */
static size_t entry_field(const unsigned char *p, size_t e, int k)
{
	size_t off = e + 26 + 2 * (size_t)p[e + 25];

	for (int i = 0; i < k; i++) {
		uint32_t l;

		memcpy(&l, p + off, 4);
		off += 4 + (l == 0xffffffffu ? 0 : l);
	}
	return off;
}

static void id_past_the_index(unsigned char *p, size_t *len, size_t first)
{
	uint64_t id = (1ull << 32) + 5;

	(void)len;
	memcpy(p + first, &id, 8);
}

static void id_repeated(unsigned char *p, size_t *len, size_t first)
{
	(void)len;
	memcpy(p + entry_field(p, first, 5), p + first, 8); /* the second entry's id */
}

static void params_nan(unsigned char *p, size_t *len, size_t first)
{
	double nan = NAN;

	(void)len;
	(void)first;
	memcpy(p + 16, &nan, 8); /* length_norm */
}

static void source_not_utf8(unsigned char *p, size_t *len, size_t first)
{
	(void)len;
	p[entry_field(p, first, 2) + 4] = 0xff;
}

static void added_at_not_a_time(unsigned char *p, size_t *len, size_t first)
{
	(void)len;
	p[entry_field(p, first, 3) + 4 + 5] = 'x'; /* 2026-x1-... */
}

static void origin_not_an_object(unsigned char *p, size_t *len, size_t first)
{
	unsigned char *o = memmem(p + first, *len - first, "{\"hash\"", 7);

	cr_assert_not_null(o);
	*o = '[';
}

static void id_last_of_the_index(unsigned char *p, size_t *len, size_t first)
{
	uint64_t id = 4294967295u;

	(void)len;
	memcpy(p + entry_field(p, first, 5), &id, 8); /* the second entry's id */
}

/* An imported id may be the index's last: a submission after it is refused
 * whole instead of storing an entry the agent could not load. */
Test(bdstore, a_submission_past_the_last_entry_id_is_refused_whole)
{
	struct bdstore *b;
	char err[512], bad[700];
	json_t *sub = json_loads("{\"submitter\":\"t\",\"entries\":[{\"sequence\":[\"dup2\","
				 "\"execve\"],\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\"}]}",
				 0, NULL);
	size_t n;

	export_a();
	snprintf(bad, sizeof(bad), "%s/last.bdsnap", dir);
	resnap(bad, id_last_of_the_index);
	b = open_or_die(path_b, BDSTORE_NO_SEED);
	cr_assert_eq(bdsnapshot_import(b, bad, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bd_submit(b, NULL, tok, sub, NULL, err, sizeof(err)), -ERANGE);
	cr_assert(strstr(err, "no entry id left: the database holds id 4294967295"), "%s", err);
	cr_assert_eq(bdstore_count(b), n, "the refused submission stored something");
	json_decref(sub);
	bdstore_close(b);
}

/* The checksum proves a snapshot intact, not valid: an entry whose tokens
 * disagree with its sequence text, or whose label its risk, is refused with
 * the database unchanged; a valid sequence in another spelling is taken as
 * it is written. */
Test(bdstore, checksummed_but_invalid_entries_are_refused_and_change_nothing)
{
	struct bdstore *b;
	char err[512], bad[700];
	struct bd_entry e;
	size_t n;

	export_a();
	snprintf(bad, sizeof(bad), "%s/bad.bdsnap", dir);
	resnap(bad, token_renamed);
	refused_unchanged(bad, "tokens do not match the sequence");
	resnap(bad, label_flipped);
	refused_unchanged(bad, "risk_score");
	index_refuses(bad, "risk_score");
	resnap(bad, id_past_the_index);
	refused_unchanged(bad, "entry 0: id 4294967301 outside 1..4294967295");
	index_refuses(bad, "entry 0: id 4294967301 outside 1..4294967295");
	resnap(bad, id_repeated);
	refused_unchanged(bad, "entry 1: id 1 is used by an earlier entry");
	index_refuses(bad, "entry 1: id 1 is used by an earlier entry");
	resnap(bad, params_nan);
	refused_unchanged(bad, "scoring parameters not usable");
	index_refuses(bad, "scoring parameters not usable");
	resnap(bad, source_not_utf8);
	refused_unchanged(bad, "entry 0 (id 1).source: must be a non-empty UTF-8 string");
	resnap(bad, added_at_not_a_time);
	refused_unchanged(bad, "entry 0 (id 1).added_at: must be an RFC 3339 date-time");
	resnap(bad, origin_not_an_object);
	refused_unchanged(bad, ".origin: must be an object");
	resnap(bad, sequence_spaced);
	b = open_or_die(path_b, BDSTORE_NO_SEED);
	cr_assert_eq(bdsnapshot_import(b, bad, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdstore_get(b, 1, &e), 0);
	cr_assert_eq(strncmp(e.sequence, "[ \"", 3), 0, "%s", e.sequence);
	bdentry_clear(&e);
	bdstore_close(b);
}

static uint32_t fuzz_state;

static uint32_t fuzz_next(void)
{
	fuzz_state = fuzz_state * 1103515245u + 12345u;
	return fuzz_state >> 8;
}

/* One to four random edits of the payload: a byte changed, one of the
 * bytes set to an extreme (length fields), or the tail cut or grown. */
static void fuzz_mutate(unsigned char *p, size_t *len, size_t first)
{
	(void)first;
	for (uint32_t k = 0, edits = 1 + fuzz_next() % 4; k < edits && *len; k++) {
		size_t at = fuzz_next() % *len;

		switch (fuzz_next() % 4) {
		case 0: p[at] ^= (unsigned char)(1u << (fuzz_next() % 8)); break;
		case 1: p[at] = fuzz_next() & 1 ? 0xff : 0; break;
		case 2: *len = at; break;
		default: {
			size_t more = 1 + fuzz_next() % 64;

			memset(p + *len, (int)(fuzz_next() & 0xff), more);
			*len += more;
			return; /* resnap leaves room for 64 bytes */
		}
		}
	}
}

/* A snapshot comes from another host: whatever its payload says (with a
 * checksum that matches, so only the parser stands between it and the
 * store), import either takes valid entries or refuses and changes
 * nothing, and loading it into an index never reads out of bounds (ASan
 * runs this in CI). */
Test(bdstore, mutated_snapshot_payloads_are_refused_or_taken_whole)
{
	struct bdstore *b;
	char err[512], bad[700], *before, *after;
	int refused = 0, taken = 0;

	export_a();
	snprintf(bad, sizeof(bad), "%s/fuzz.bdsnap", dir);
	b = open_or_die(path_b, 0);
	before = dump(b);
	for (fuzz_state = 1; fuzz_state && refused + taken < 400;) {
		struct bdindex *idx;
		size_t n = 0, got = 0;
		int ri, rs;

		resnap(bad, fuzz_mutate);
		cr_assert_eq(bdindex_create(tok, &idx), 0);
		ri = bdsnapshot_load_index(bad, tok, idx, &got, err, sizeof(err));
		cr_assert(ri == 0 || *err, "refused without a reason");
		bdindex_free(idx);
		*err = '\0';
		rs = bdsnapshot_import(b, bad, &n, err, sizeof(err));
		if (rs) {
			cr_assert(*err, "import refused without a reason");
			after = dump(b);
			cr_assert_str_eq(before, after, "a refused import (%s) changed the database", err);
			free(after);
			refused++;
			continue;
		}
		/* taken: what is stored reads back, and the original goes back in */
		cr_assert_eq(bdstore_count(b), n);
		cr_assert_eq(bdindex_create(tok, &idx), 0);
		if (bdstore_load_index(b, tok, idx)) {
			char *d = dump(b);
			FILE *f1 = fopen("/tmp/fz_after.json", "w"), *f2 = fopen("/tmp/fz_before.json", "w");
			fputs(d, f1); fputs(before, f2); fclose(f1); fclose(f2);
			cr_assert_fail("taken but not loadable: %s\n%s", bdstore_errmsg(b), d);
		}
		cr_assert_eq(bdindex_count(idx), n);
		bdindex_free(idx);
		cr_assert_eq(bdsnapshot_import(b, snap, &n, err, sizeof(err)), 0, "%s", err);
		free(before);
		before = dump(b);
		taken++;
	}
	cr_log_info("mutated snapshots: %d refused, %d taken", refused, taken);
	cr_assert_gt(refused, 100, "the mutations hardly reach the checks");
	free(before);
	bdstore_close(b);
}

Test(bdstore, bd_index_load_reads_the_default_a_snapshot_or_a_database)
{
	struct bdindex *idx;
	struct bdstore *a;
	char err[512], path[700];

	cr_assert_eq(bd_index_load(NULL, tok, &idx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdindex_count(idx), curated_entries());
	bdindex_free(idx);
	fill_a();
	a = open_or_die(path_a, 0);
	snprintf(path, sizeof(path), "%s/x.bdsnap", dir);
	cr_assert_eq(bdsnapshot_export(a, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bd_index_load(path, tok, &idx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdindex_count(idx), bdstore_count(a));
	bdindex_free(idx);
	cr_assert_eq(bd_index_load(path_a, tok, &idx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdindex_count(idx), bdstore_count(a));
	bdindex_free(idx);
	bdstore_close(a);
	snprintf(path, sizeof(path), "%s/missing.bdsnap", dir);
	cr_assert_neq(bd_index_load(path, tok, &idx, err, sizeof(err)), 0);
	cr_assert_null(idx);
	cr_assert(strstr(err, "missing.bdsnap"), "%s", err);
}
