/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The scorer on hand-made windows against the curated database: which
 * components a window has, how they combine, and what the result explains. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "behaviors/tokens.h"
#include "score/scorer.h"
#include "window_fixture.h"

#define DCAM_FIXTURES FIXTURE_DIR "/dcam"

static struct tokens *tok;
static struct bdindex *idx;
static struct scorer *scorer;

static void setup(void)
{
	char err[256];

	cr_assert_eq(tokens_load_default(&tok), 0);
	cr_assert_eq(bd_index_load(NULL, tok, &idx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(scorer_new(NULL, tok, idx, &scorer, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	scorer_free(scorer);
	bdindex_free(idx);
	tokens_free(tok);
}

static const char *const dropper_lookback[] = { "socket:inet", "connect:inet", "recvfrom",
						"openat:write_tmp", "fchmodat:exec", NULL };
static const char *const loader_load[] = { "openat:read", "mmap:exec_file", NULL };
static const char *const benign_lookback[] = { "openat:read", "openat:read", NULL };

static void judge(const char *const *lookback, const char *object, struct scorer_result *r)
{
	const char *const *parts[WINDOW_NPARTS] = { lookback, loader_load, NULL };
	struct window w;

	window_fixture(&w, getpid(), parts, object);
	scorer_judge(scorer, &w, SCORER_STATIC_FULL, r);
	window_fixture_free(&w);
}

TestSuite(scorer, .init = setup, .fini = teardown);

Test(scorer, a_window_without_its_object_has_only_the_sequence_component)
{
	struct scorer_result r;

	judge(dropper_lookback, NULL, &r);
	cr_assert(r.verdict.have[VERDICT_SEQUENCE]);
	cr_assert_not(r.verdict.have[VERDICT_DCAM], "no object, no static analysis");
	cr_assert_not(r.verdict.have[VERDICT_SOURCE], "a bare name says nothing of its source");
	cr_assert_gt(r.sequence.score, 0.95, "the dropper's sequence is the curated one");
	/* missing is not zero: the weights renormalise (docs/scoring.md) */
	cr_assert_float_eq(r.verdict.risk, r.verdict.component[VERDICT_SEQUENCE], 1e-9);
	cr_assert_float_eq(r.verdict.weight_used[VERDICT_SEQUENCE], 1, 1e-12);
	cr_assert_null(r.dcam);
	cr_assert_str_empty(r.sha256_hex);
	scorer_result_release(&r);
}

/* Anonymous code (no file): what its static analysis finds counts; a page
 * in which nothing is found leaves the component missing, not 0. */
Test(scorer, anonymous_code_counts_only_what_is_found_in_it)
{
	static uint8_t getpid_page[] = { 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3 };
	static uint8_t ret_page[] = { 0xc3 };
	const char *const *parts[WINDOW_NPARTS] = { dropper_lookback, NULL, NULL };
	struct scorer_result r;
	struct window w;

#if !defined(__x86_64__)
	cr_skip_test("x86-64 code bytes; memory is decoded for the host's machine");
#endif
	window_fixture(&w, getpid(), parts, NULL);
	w.pivot = BP_PIVOT_EXEC_ANON;
	w.code = getpid_page;
	w.code_len = sizeof(getpid_page);
	scorer_judge(scorer, &w, SCORER_STATIC_FULL, &r);
	cr_assert(r.verdict.have[VERDICT_DCAM], "a raw system call in anonymous code is a finding");
	cr_assert_gt(r.verdict.component[VERDICT_DCAM], 0);
	cr_assert_eq(strlen(r.sha256_hex), 64);
	scorer_result_release(&r);

	w.code = ret_page;
	w.code_len = sizeof(ret_page);
	scorer_judge(scorer, &w, SCORER_STATIC_FULL, &r);
	cr_assert_not(r.verdict.have[VERDICT_DCAM], "nothing found in memory is no evidence");
	cr_assert_float_eq(r.verdict.risk, r.verdict.component[VERDICT_SEQUENCE], 1e-9);
	scorer_result_release(&r);
	w.code = NULL;
	window_fixture_free(&w);
}

Test(scorer, the_object_gives_the_static_and_source_components)
{
	struct scorer_result r;
	json_t *j = json_object();

	judge(benign_lookback, DCAM_FIXTURES "/libdcam_net_ctor.so", &r);
	cr_assert(r.verdict.have[VERDICT_DCAM]);
	cr_assert(r.verdict.have[VERDICT_SOURCE]);
	cr_assert_not_null(r.dcam);
	cr_assert_gt(r.verdict.component[VERDICT_DCAM], 0, "a constructor that connects");
	cr_assert_eq(strlen(r.sha256_hex), 64);
	cr_assert_float_eq(r.verdict.risk,
			   0.5 * r.verdict.component[VERDICT_SEQUENCE] +
			   0.25 * r.verdict.component[VERDICT_SOURCE] +
			   0.25 * r.verdict.component[VERDICT_DCAM], 1e-9);
	scorer_result_explain_json(&r, j);
	cr_assert(json_is_array(json_object_get(j, "findings")));
	cr_assert(json_array_size(json_object_get(j, "findings")) >= 2, "socket and connect");
	cr_assert(json_is_array(json_object_get(j, "reputation_reasons")));
	cr_assert(json_is_array(json_object_get(j, "matches")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "sha256")), r.sha256_hex);
	cr_assert_null(json_object_get(j, "quarantined_hash"));
	json_decref(j);
	scorer_result_release(&r);
}

static bool has_reason(const struct scorer_result *r, const char *code)
{
	for (size_t i = 0; i < r->source.n_reasons; i++)
		if (!strcmp(r->source.reasons[i].code, code))
			return true;
	return false;
}

/* The thread that maps a file it opened for writing moments before is
 * running code it dropped: known by device and inode, whatever the name. */
Test(scorer, an_object_its_loader_wrote_in_the_lookback_loses_reputation)
{
	static const char *const wrote_lookback[] = { "openat:write", "openat:read", NULL };
	const char *const *parts[WINDOW_NPARTS] = { wrote_lookback, loader_load, NULL };
	struct scorer_result before, after;
	struct window w;

	window_fixture(&w, getpid(), parts, DCAM_FIXTURES "/libdcam_net_ctor.so");
	w.open_ns = 5000000;
	w.calls[WINDOW_LOOKBACK][0].ts_ns = 2000000;
	scorer_judge(scorer, &w, SCORER_STATIC_FULL, &before);
	cr_assert_null(window_wrote_object(&w), "an open for writing of another file");
	cr_assert_not(has_reason(&before, "written_by_loader"));

	w.calls[WINDOW_LOOKBACK][0].wrote_dev = w.file_dev;
	w.calls[WINDOW_LOOKBACK][0].wrote_ino = w.file_ino;
	cr_assert_eq(window_wrote_object(&w), &w.calls[WINDOW_LOOKBACK][0]);
	scorer_judge(scorer, &w, SCORER_STATIC_FULL, &after);
	cr_assert(has_reason(&after, "written_by_loader"));
	cr_assert_gt(after.verdict.component[VERDICT_SOURCE],
		     before.verdict.component[VERDICT_SOURCE]);
	scorer_result_release(&before);
	scorer_result_release(&after);
	window_fixture_free(&w);
}

Test(scorer, a_quarantined_hash_is_high_under_any_name)
{
	char copy[] = "/tmp/bpfprof-scorer-XXXXXX";
	struct scorer_result r;
	char sha[FILEHASH_HEX_LEN];
	int fd = mkstemp(copy);
	FILE *in = fopen(DCAM_FIXTURES "/libdcam_benign.so", "rb"), *out = fdopen(fd, "wb");
	char buf[4096];
	size_t n;

	cr_assert(in && out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	judge(benign_lookback, DCAM_FIXTURES "/libdcam_benign.so", &r);
	cr_assert_neq(r.verdict.level, VERDICT_HIGH, "harmless before the quarantine");
	memcpy(sha, r.sha256_hex, sizeof(sha));
	scorer_result_release(&r);

	cr_assert_eq(scorer_quarantine_hash(scorer, sha), 0);
	judge(benign_lookback, copy, &r);
	cr_assert(r.quarantined_hash);
	cr_assert_eq(r.verdict.level, VERDICT_HIGH, "the same bytes under another name");
	scorer_result_release(&r);
	unlink(copy);
	cr_assert_eq(scorer_quarantine_hash(scorer, "not-a-hash"), -EINVAL);
}

Test(scorer, flagged_exports_are_named_once_each)
{
	struct scorer_result r;
	const char *names[8];
	size_t n;

	judge(benign_lookback, DCAM_FIXTURES "/libdcam_crypto.so", &r);
	n = scorer_result_flagged_exports(&r, names, 8);
	cr_assert_eq(n, 1, "two findings in one export make one hook");
	cr_assert_str_eq(names[0], "crypto_digest");
	scorer_result_release(&r);
	judge(benign_lookback, NULL, &r);
	cr_assert_eq(scorer_result_flagged_exports(&r, names, 8), 0, "no analysis, no hooks");
	scorer_result_release(&r);
}

Test(scorer, a_new_policy_applies_to_the_next_window_and_is_kept_in_the_result)
{
	struct verdict_policy p;
	struct scorer_result r;

	verdict_policy_default(&p);
	p.weight[VERDICT_SEQUENCE] = 1.0;
	p.high = 0.9;
	scorer_set_policy(scorer, &p);
	judge(dropper_lookback, NULL, &r);
	cr_assert_float_eq(r.policy.weight[VERDICT_SEQUENCE], 1.0, 1e-12);
	cr_assert_eq(r.verdict.level, VERDICT_HIGH, "sequence alone at weight 1");
	scorer_result_release(&r);
}
