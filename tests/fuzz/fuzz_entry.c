/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for behaviour entries and submissions as they arrive (JSON
 * from POST /v1/behaviors and `db add`) and for the store's fast path.
 * Properties: validation never crashes and a refusal names a field; a
 * submission lands in the store and the live index together or not at all;
 * a sequence text the fast path takes (bdentry_plain_sequence) is one the
 * full validation takes, with the same names; and the canonical text of a
 * plain ASCII sequence is taken by it. */
#include <stdint.h>
#include <string.h>
#include "behaviors/bd.h"
#include "behaviors/bdentry.h"
#include "fuzz_common.h"

static bool plain_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '\\')
			return false;
	return true;
}

static void entry(const json_t *j)
{
	struct bd_entry e;
	char err[512];

	for (int mode = BDENTRY_FULL; mode <= BDENTRY_SUBMISSION; mode++) {
		*err = '\0';
		if (bdentry_from_json(j, (enum bdentry_mode)mode, "e", &e, err, sizeof(err)) == 0) {
			json_t *back = bdentry_to_json(&e);

			FUZZ_CHECK(back, "a valid entry does not serialise");
			json_decref(back);
			bdentry_clear(&e);
		} else {
			FUZZ_CHECK(*err, "refused without naming a field");
		}
	}
}

/* The fast path against the full validation, for text as the sequence. */
static void sequence(const char *text, size_t len, json_t *seq)
{
	struct bdentry_name names[BDINDEX_MAX_LEN];
	size_t n = bdentry_plain_sequence(text, len, names);
	json_t *o = json_pack("{s:O, s:f, s:f, s:s}", "sequence", seq, "risk_score", 0.9,
			      "confidence", 0.5, "label", "malicious");
	struct bd_entry e;
	char err[512] = "";
	int ret;

	if (!o)
		return;
	ret = bdentry_from_json(o, BDENTRY_SUBMISSION, "e", &e, err, sizeof(err));
	json_decref(o);
	if (n) {
		FUZZ_CHECK(!ret, "fast path took '%.*s', full validation refused: %s", (int)len,
			   text, err);
		FUZZ_CHECK(e.len == n, "fast path found %zu names, full validation %zu", n, e.len);
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(strlen(e.tokens[k]) == names[k].len &&
				   !memcmp(e.tokens[k], names[k].p, names[k].len),
				   "name %zu differs: '%s' / '%.*s'", k, e.tokens[k],
				   (int)names[k].len, names[k].p);
	}
	if (!ret) {
		bool canonical = strlen(e.sequence) == len && !memcmp(e.sequence, text, len);
		bool objects = false;

		for (size_t k = 0; k < json_array_size(seq); k++)
			objects |= !json_is_string(json_array_get(seq, k));
		FUZZ_CHECK(n || !canonical || objects || !plain_ascii(e.sequence),
			   "the canonical plain sequence '%s' missed the fast path", e.sequence);
		bdentry_clear(&e);
	}
}

/* What POST /v1/behaviors does with a body: one store and index for many
 * inputs, started afresh before they grow large. */
static void submission(const json_t *j)
{
	static struct bdstore *st;
	static struct tokens *tok;
	static struct bdindex *idx;
	char err[512] = "";
	json_t *res = NULL;
	int ret;

	if (st && (bdstore_count(st) > 20000 ||
		   tokens_count(tok) > tokens_listed_count(tok) + 4096)) {
		bdindex_free(idx);
		tokens_free(tok);
		bdstore_close(st);
		st = NULL;
	}
	if (!st && (bdstore_open(":memory:", BDSTORE_NO_SEED, &st, err, sizeof(err)) ||
		    tokens_load_default(&tok) || bdindex_create(tok, &idx)))
		abort();
	ret = bd_submit(st, idx, tok, j, &res, err, sizeof(err));
	FUZZ_CHECK(ret || res, "accepted without a result");
	FUZZ_CHECK(!ret || *err, "refused without a reason");
	FUZZ_CHECK(bdindex_count(idx) == bdstore_count(st), "store %zu entries, index %zu",
		   bdstore_count(st), bdindex_count(idx));
	json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	char err[512];

	for (int f = 0; f < 4; f++) {
		static const char *const fields[] = { "origin", "source", "added_at", "submitter" };

		bdentry_check_text(fields[f], (const char *)data, size, "e", err, sizeof(err));
	}
	if (!j) {
		struct bdentry_name names[BDINDEX_MAX_LEN];

		/* not JSON: the fast path must not take it either */
		FUZZ_CHECK(!bdentry_plain_sequence((const char *)data, size, names),
			   "the fast path took text that is not JSON");
		return 0;
	}
	entry(j);
	if (json_is_object(j) && json_object_get(j, "entries"))
		submission(j);
	if (json_is_array(j))
		sequence((const char *)data, size, j);
	json_decref(j);
	return 0;
}
