/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Judges windows. Each component is computed where its input exists: the
 * static analysis and reputation need the loaded object (an fd userspace
 * opened while the process had it mapped, else its path); a component that
 * cannot be computed is left out and named as missing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/dcam.h"
#include "lib/log.h"
#include "score/reputation.h"
#include "score/scorer.h"
#include "score/seqscore.h"
#include "behaviors/tokens.h"
#include "lib/util.h"

struct scorer {
	struct verdict_policy policy;
	struct tokens *tok;
	const struct bdindex *idx;
	char (*quarantined)[FILEHASH_HEX_LEN];
	size_t nquarantined;
	struct dcam_cache *dcam;
	struct reputation_lists lists;
};

int scorer_new(const struct verdict_policy *policy, struct tokens *tok, const struct bdindex *idx,
	       struct scorer **out, char *err, size_t errlen)
{
	struct scorer *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->tok = tok;
	s->idx = idx;
	if (policy)
		s->policy = *policy;
	else
		verdict_policy_default(&s->policy);
	s->dcam = dcam_cache_new(4096);
	if (!s->dcam) {
		snprintf(err, errlen, "cannot allocate the analysis cache");
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void scorer_free(struct scorer *s)
{
	if (!s)
		return;
	dcam_cache_free(s->dcam);
	free(s->quarantined);
	reputation_lists_clear(&s->lists);
	free(s);
}

void scorer_set_policy(struct scorer *s, const struct verdict_policy *policy)
{
	s->policy = *policy;
}

int scorer_quarantine_hash(struct scorer *s, const char *sha256_hex)
{
	char (*n)[FILEHASH_HEX_LEN];

	if (strlen(sha256_hex) != FILEHASH_HEX_LEN - 1)
		return -EINVAL;
	for (size_t i = 0; i < s->nquarantined; i++)
		if (!strcmp(s->quarantined[i], sha256_hex))
			return 0;
	n = realloc(s->quarantined, (s->nquarantined + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->quarantined = n;
	snprintf(n[s->nquarantined++], FILEHASH_HEX_LEN, "%s", sha256_hex);
	return 0;
}

static bool is_quarantined(const struct scorer *s, const char *sha256_hex)
{
	for (size_t i = 0; sha256_hex[0] && i < s->nquarantined; i++)
		if (!strcmp(s->quarantined[i], sha256_hex))
			return true;
	return false;
}

/* The object as the loader named it: the mapping's path when known. */
static const char *object_path(const struct window *w)
{
	return w->file_path[0] ? w->file_path : w->path;
}

static void judge_static(struct scorer *s, const struct window *w, struct verdict *v,
			 json_t *details, char *sha_hex, size_t sha_len)
{
	struct dcam_result *r = NULL;
	char err[256];
	json_t *j;

	if (w->file_fd < 0) {
		log_debug("window %llu: %s was not opened: no static analysis",
			  (unsigned long long)w->id, object_path(w));
		return;
	}
	if (dcam_analyze_fd(s->dcam, w->file_fd, object_path(w), &r, err, sizeof(err))) {
		log_debug("window %llu: no static analysis of %s: %s", (unsigned long long)w->id,
			  object_path(w), err);
		return;
	}
	verdict_set(v, VERDICT_DCAM, r->score);
	snprintf(sha_hex, sha_len, "%s", r->sha256_hex);
	j = dcam_result_to_json(r);
	json_object_set(details, "findings", json_object_get(j, "findings"));
	json_object_set_new(details, "sha256", json_string(r->sha256_hex));
	json_decref(j);
	dcam_result_free(r);
}

static void judge_source(struct scorer *s, const struct window *w, struct verdict *v,
			 json_t *details, const char *sha_hex)
{
	struct reputation_input in = {
		.path = object_path(w), .fd = w->file_fd, .pid = w->pid, .uid = w->uid,
		.sha256_hex = sha_hex[0] ? sha_hex : NULL, .lists = &s->lists,
	};
	struct reputation_result r;
	json_t *j;

	/* a relative name (dlopen("libm.so.6")) says nothing without the fd,
	 * and a load that failed without a file found loaded nothing */
	if (w->file_fd < 0 && (in.path[0] != '/' || w->ok == 0))
		return;
	if (reputation_score(&in, &r))
		return;
	verdict_set(v, VERDICT_SOURCE, r.score);
	j = reputation_result_to_json(&r);
	json_object_set(details, "reputation_reasons", json_object_get(j, "reasons"));
	json_decref(j);
}

/* The window's matches in the decision's shape (schemas/decision.schema.json). */
static json_t *matches_json(const struct seqscore_result *r, const struct tokens *tok)
{
	json_t *out = json_array(), *m, *src = seqscore_result_to_json(r, tok);
	size_t i;

	json_array_foreach(json_object_get(src, "matches"), i, m)
		json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
			"entry_id", json_object_get(m, "id"), "ngram", json_object_get(m, "sequence"),
			"similarity", json_object_get(m, "similarity"),
			"risk_score", json_object_get(m, "risk"),
			"confidence", json_object_get(m, "confidence"),
			"label", json_object_get(m, "label"), "evidence", json_object_get(m, "evidence")));
	json_decref(src);
	return out;
}

static void judge_sequence(struct scorer *s, const struct window *w, struct verdict *v,
			   json_t *details)
{
	const char *names[3 * WINDOW_PART_MAX + BP_LOOKBACK_MAX + 1];
	token_id ids[3 * WINDOW_PART_MAX + BP_LOOKBACK_MAX + 1];
	struct seqscore_result r;
	size_t n = window_sequence(w, names, ARRAY_SIZE(names)), k = 0;

	if (!s->idx)
		return;
	for (size_t i = 0; i < n; i++) {
		int id = tokens_intern(s->tok, names[i]);

		if (id >= 0)
			ids[k++] = (token_id)id;
	}
	if (seqscore_window(s->idx, ids, k, &r))
		return;
	verdict_set(v, VERDICT_SEQUENCE, r.score);
	json_object_set_new(details, "matches", matches_json(&r, s->tok));
}

void scorer_judge(struct scorer *s, const struct window *w, struct verdict *v, json_t **details)
{
	char sha_hex[FILEHASH_HEX_LEN] = "";

	*details = json_object();
	v->uncertain = w->uncertain;
	judge_sequence(s, w, v, *details);
	judge_static(s, w, v, *details, sha_hex, sizeof(sha_hex));
	judge_source(s, w, v, *details, sha_hex);
	if (is_quarantined(s, sha_hex)) {
		v->quarantined = true;
		json_object_set_new(*details, "quarantined_hash", json_true());
	}
	verdict_decide(v, &s->policy);
}
