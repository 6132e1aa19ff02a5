/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Submitter trust (user/fleet/fleet_trust.c) and stream messages
 * (fleet_msg.c): a flood of good entries from an untrusted submitter
 * cannot pull the demo dropper's verdict down; the same flood from a
 * fully trusted one can (so the test can fail). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "fleet/fleet_msg.h"
#include "fleet/fleet_pending.h"
#include "fleet/fleet_trust.h"
#include "score/seqscore.h"
#include "score/verdict.h"
#include "tmpdir.h"

/* tests/fixtures/dropper with libevil.so, as `trace --json` records it
 * (the window tests/unit/test_curated_windows.c scores) */
static const char *const dropper[] = {
	"execve", "openat:read", "openat:read", "mmap:exec_file", "socket:inet", "bind:inet",
	"listen", "clone:process", "socket:inet", "connect:inet", "openat:write_tmp", "recvfrom",
	"recvfrom", "fchmodat:exec", "dlopen", "openat:read", "mmap:exec_file", "socket:inet",
	"connect:inet", "mprotect:exec", "openat:write", "openat:read", "unlinkat", "exit_group",
};
#define NDROP (sizeof(dropper) / sizeof(*dropper))

static char dir[64], db[96], token[96];

static void setup(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/bpfprof-trust-%d", (int)getpid());
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(db, sizeof(db), "%s/bd.sqlite", dir);
	snprintf(token, sizeof(token), "%s/token", dir);
	f = fopen(token, "w");
	cr_assert_not_null(f);
	fputs("untrusted-submitter-token\n", f);
	fclose(f);
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(fleet_trust, .init = setup, .fini = teardown);

/* Every n-gram (2..5) of the dropper's window as a "good" entry with full
 * confidence: the flood an attacker would send to hide the dropper. */
static json_t *flood(const char *who)
{
	json_t *entries = json_array();

	for (size_t n = 2; n <= 5; n++)
		for (size_t i = 0; i + n <= NDROP; i++) {
			json_t *seq = json_array();

			for (size_t k = 0; k < n; k++)
				json_array_append_new(seq, json_string(dropper[i + k]));
			json_array_append_new(entries, json_pack("{s:o, s:f, s:f, s:s}", "sequence", seq,
								 "risk_score", 0.0, "confidence", 1.0,
								 "label", "good"));
		}
	return json_pack("{s:s, s:o}", "submitter", who, "entries", entries);
}

/* The verdict on the dropper's load with the database as the flood left it
 * (source and static analysis as the demo measures them: 1.00 and 0.85). */
static enum verdict_level dropper_verdict(double trust, size_t *pending, double *seq_score)
{
	struct fleet_trust_submitter sub = { .name = "acme", .token_file = token, .trust = trust,
					     .rate = 0, .max_entries = 10000 };
	struct fleet_trust *t;
	struct bdstore *st;
	struct tokens *tok;
	struct bdindex *idx;
	struct seqscore_result r;
	struct verdict_policy p;
	struct verdict v = { 0 };
	token_id ids[NDROP];
	json_t *sub_json = flood("acme"), *held = NULL, *ids_json = NULL, *list;
	char err[512];

	unlink(db);
	cr_assert_eq(fleet_trust_new(&sub, 1, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(fleet_trust_who(t, "untrusted-submitter-token"), "acme");
	cr_assert_null(fleet_trust_who(t, "another-token-of-16"));
	cr_assert_eq(tokens_load_default(&tok), 0);
	cr_assert_eq(bdstore_open(db, 0, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fleet_pending_setup(st), 0);
	cr_assert_eq(fleet_trust_screen(t, "acme", st, sub_json, &held), 0);
	cr_assert_eq(fleet_pending_add(st, "acme", held, &ids_json), 0);
	if (json_array_size(json_object_get(sub_json, "entries")))
		cr_assert_eq(bd_submit(st, NULL, tok, sub_json, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fleet_pending_list(st, &list), 0);
	*pending = json_array_size(list);
	cr_assert_eq(bdindex_create(tok, &idx), 0);
	cr_assert_eq(bdstore_load_index(st, tok, idx), 0);
	for (size_t i = 0; i < NDROP; i++)
		ids[i] = (token_id)tokens_intern(tok, dropper[i]);
	cr_assert_eq(seqscore_window(idx, ids, NDROP, &r), 0);
	*seq_score = r.score;
	verdict_policy_default(&p);
	verdict_set(&v, VERDICT_SEQUENCE, r.score);
	verdict_set(&v, VERDICT_SOURCE, 1.0);
	verdict_set(&v, VERDICT_DCAM, 0.85);
	verdict_decide(&v, &p);
	json_decref(list);
	json_decref(held);
	json_decref(ids_json);
	json_decref(sub_json);
	bdindex_free(idx);
	bdstore_close(st);
	tokens_free(tok);
	fleet_trust_free(t);
	return v.level;
}

Test(fleet_trust, a_flood_of_good_entries_from_an_untrusted_submitter_leaves_the_dropper_high)
{
	size_t pending;
	double s;

	cr_assert_eq(dropper_verdict(0.3, &pending, &s), VERDICT_HIGH, "sequence %.3f", s);
	cr_assert_geq(s, 0.8, "the dropper's sequence score fell to %.3f", s);
	cr_assert_gt(pending, 50, "the good entries did not wait for an analyst (%zu)", pending);
}

Test(fleet_trust, the_same_flood_from_a_fully_trusted_submitter_pulls_it_down)
{
	size_t pending;
	double s;

	/* what the policy prevents: without it the flood wins */
	cr_assert_neq(dropper_verdict(1.0, &pending, &s), VERDICT_HIGH, "sequence %.3f", s);
	cr_assert_eq(pending, 0);
}

Test(fleet_trust, confidence_is_capped_and_a_rate_and_size_are_enforced)
{
	struct fleet_trust_submitter sub = { .name = "acme", .token_file = token, .trust = 0.4,
					     .rate = 60, .max_entries = 10 };
	struct fleet_trust *t;
	struct bdstore *st;
	json_t *s = json_pack("{s:s, s:[{s:[s,s], s:f, s:f, s:s}]}", "submitter", "acme", "entries",
			      "sequence", "socket:inet", "connect:inet", "risk_score", 0.9,
			      "confidence", 0.95, "label", "malicious"), *held;
	unsigned int retry;
	char err[256];

	cr_assert_eq(fleet_trust_new(&sub, 1, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bdstore_open(db, 0, &st, err, sizeof(err)), 0);
	cr_assert_eq(fleet_trust_screen(t, "acme", st, s, &held), 0);
	cr_assert_eq(json_array_size(held), 0);
	cr_assert_float_eq(json_real_value(json_object_get(json_array_get(json_object_get(s,
			   "entries"), 0), "confidence")), 0.4, 1e-9);
	cr_assert_eq(fleet_trust_admit(t, "acme", 11, &retry, err, sizeof(err)), -E2BIG);
	cr_assert_eq(fleet_trust_admit(t, "acme", 10, &retry, err, sizeof(err)), 0);
	for (int i = 0; i < 5; i++)
		fleet_trust_admit(t, "acme", 10, &retry, err, sizeof(err));
	cr_assert_eq(fleet_trust_admit(t, "acme", 10, &retry, err, sizeof(err)), -EAGAIN);
	cr_assert_gt(retry, 0);
	json_decref(held);
	json_decref(s);
	bdstore_close(st);
	fleet_trust_free(t);
}

Test(fleet_trust, stream_messages_are_refused_whole_for_one_bad_operation)
{
	struct fleet_change c;
	char err[256];
	const char *ok = "{\"v\":1,\"host\":\"h\",\"ops\":[{\"op\":\"add\",\"entry\":{\"sequence\":"
			 "[\"a\",\"b\"],\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\"}}]}";
	const char *bad = "{\"v\":1,\"host\":\"h\",\"ops\":[{\"op\":\"add\",\"entry\":{\"sequence\":"
			  "[\"a\",\"b\"],\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\"}},"
			  "{\"op\":\"add\",\"entry\":{\"id\":3,\"sequence\":[\"a\",\"b\"],\"risk_score\":0.9,"
			  "\"confidence\":0.5,\"label\":\"malicious\"}}]}";

	cr_assert_eq(fleet_change_parse(ok, strlen(ok), &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.nops, 1);
	fleet_change_clear(&c);
	cr_assert_eq(fleet_change_parse(bad, strlen(bad), &c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "ops[1].entry.id: not allowed (ids are each host's own)");
	cr_assert_eq(c.nops, 0);
	cr_assert_eq(fleet_change_parse("x", 1, &c, err, sizeof(err)), -EINVAL);
	cr_assert_eq(fleet_change_parse(ok, FLEET_MSG_MAX + 1, &c, err, sizeof(err)), -E2BIG);
}
