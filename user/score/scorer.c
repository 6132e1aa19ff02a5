/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Judges windows. Each component is computed where its input exists: the
 * static analysis and reputation need the loaded object (an fd userspace
 * opened while the process had it mapped, else its path); a component that
 * cannot be computed is left out and named as missing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/dcam.h"
#include "kernel/kdev.h"
#include "lib/log.h"
#include "score/pkgindex.h"
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
	struct dcam_cache *code; /* memory made executable: judged at the gate, then again
				  * when its window closes */
	struct dcam_worker *worker; /* the rest of what the gate judged on load-time code */
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
	pkgindex_warm(); /* the source component's first use must not wait */
	s->dcam = dcam_cache_new(4096);
	s->code = dcam_cache_new(256);
	if (!s->dcam || !s->code || dcam_worker_new(s->dcam, &s->worker)) {
		snprintf(err, errlen, "cannot allocate the analysis cache and its worker");
		dcam_cache_free(s->dcam);
		dcam_cache_free(s->code);
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
	dcam_worker_free(s->worker); /* before the cache it fills */
	dcam_cache_free(s->dcam);
	dcam_cache_free(s->code);
	free(s->quarantined);
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

int scorer_release_hash(struct scorer *s, const char *sha256_hex)
{
	for (size_t i = 0; i < s->nquarantined; i++)
		if (!strcmp(s->quarantined[i], sha256_hex)) {
			memmove(&s->quarantined[i], &s->quarantined[i + 1],
				(s->nquarantined - i - 1) * sizeof(*s->quarantined));
			s->nquarantined--;
			return 0;
		}
	return -ENOENT;
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
	return window_object_name(w);
}

/* The object's static analysis at the depth asked. A partial one has its
 * rest queued on the worker; a full queue (or a worker gone) means it is
 * done here and now, slow rather than incomplete. */
static int analyze_file(struct scorer *s, const struct window *w, enum scorer_static depth,
			struct scorer_result *out, char *err, size_t errlen)
{
	struct dcam_result *full = NULL;
	int ret;

	if (depth == SCORER_STATIC_FULL)
		return dcam_analyze_fd(s->dcam, w->file_fd, object_path(w), &out->dcam, err, errlen);
	ret = dcam_analyze_fd_load_time(s->dcam, w->file_fd, object_path(w), &out->dcam, err,
					errlen);
	if (ret || !out->dcam->partial)
		return ret;
	if (dcam_worker_has(s->worker, out->dcam->sha256) ||
	    !dcam_worker_submit(s->worker, w->file_fd, out->dcam->sha256, object_path(w))) {
		out->static_pending = true;
		return 0;
	}
	/* not queued: it landed meanwhile, or the queue is full */
	ret = dcam_analyze_fd(s->dcam, w->file_fd, object_path(w), &full, err, errlen);
	if (ret)
		return 0; /* the partial result stands */
	dcam_result_free(out->dcam);
	out->dcam = full;
	return 0;
}

static void judge_static(struct scorer *s, const struct window *w, enum scorer_static depth,
			 struct scorer_result *out)
{
	char err[256];
	int ret;

	if (w->file_fd >= 0)
		ret = analyze_file(s, w, depth, out, err, sizeof(err));
	else if (w->code_len) /* memory made executable, no file to open */
		ret = dcam_analyze_code(s->code, w->code, w->code_len, &out->dcam, err,
					sizeof(err));
	else {
		log_debug("window %llu: %s was not opened: no static analysis",
			  (unsigned long long)w->id, object_path(w));
		return;
	}
	if (ret) {
		log_debug("window %llu: no static analysis of %s: %s", (unsigned long long)w->id,
			  object_path(w), err);
		out->dcam = NULL;
		return;
	}
	snprintf(out->sha256_hex, sizeof(out->sha256_hex), "%s", out->dcam->sha256_hex);
	/* a page of memory in which nothing was found is no evidence of
	 * safety (a stub that decodes its payload calls nothing yet): the
	 * component is missing, not 0. A file has a structure to vouch for. */
	if (w->file_fd < 0 && !out->dcam->n_findings)
		return;
	verdict_set(&out->verdict, VERDICT_DCAM, out->dcam->score);
}

static void judge_source(const struct window *w, struct scorer_result *out)
{
	struct reputation_input in = {
		.path = object_path(w), .fd = w->file_fd, .pid = w->pid, .uid = w->uid,
		.dev = w->file_ino ? kdev_to_dev(w->file_dev) : 0, .ino = w->file_ino,
		.sha256_hex = out->sha256_hex[0] ? out->sha256_hex : NULL,
	};
	const struct window_call *wrote = window_wrote_object(w);

	if (wrote) {
		in.written_by_loader = true;
		in.written_ms_before = w->open_ns > wrote->ts_ns ?
			(double)(w->open_ns - wrote->ts_ns) / 1e6 : 0;
	}

	/* a relative name (dlopen("libm.so.6")) says nothing without the fd,
	 * and a load that failed without a file found loaded nothing */
	if (w->file_fd < 0 && (in.path[0] != '/' || w->ok == 0))
		return;
	if (reputation_score(&in, &out->source))
		return;
	verdict_set(&out->verdict, VERDICT_SOURCE, out->source.score);
}

#define SEQ_MAX (WINDOW_NPARTS * WINDOW_PART_MAX + BP_LOOKBACK_MAX + 1)

static int score_names(struct scorer *s, const char **names, size_t n, struct seqscore_result *r)
{
	static __thread token_id ids[SEQ_MAX + DCAM_PRED_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n && k < ARRAY_SIZE(ids); i++) {
		int id = tokens_intern(s->tok, names[i]);

		if (id >= 0)
			ids[k++] = (token_id)id;
	}
	return seqscore_window(s->idx, ids, k, r);
}

static void judge_observed(struct scorer *s, const struct window *w, struct scorer_result *out)
{
	static __thread const char *names[SEQ_MAX];
	size_t n = window_sequence(w, names, ARRAY_SIZE(names));

	out->have_observed = !score_names(s, names, n, &out->sequence);
}

/* What the object's load-time code will call, after what led to its load:
 * the lookback, the pivot, then the predicted calls. */
static void judge_predicted(struct scorer *s, const struct window *w, struct scorer_result *out)
{
	static __thread const char *names[BP_LOOKBACK_MAX + 1 + DCAM_PRED_MAX];
	size_t n = 0;

	if (!out->dcam)
		return;
	for (size_t i = 0; i < w->ncalls[WINDOW_LOOKBACK] && n < BP_LOOKBACK_MAX; i++)
		names[n++] = w->calls[WINDOW_LOOKBACK][i].token;
	names[n++] = w->pivot == BP_PIVOT_DLOPEN ? "dlopen" : w->pivot_call.token;
	out->n_predicted = dcam_result_predicted(out->dcam, names + n, DCAM_PRED_MAX);
	if (!out->n_predicted)
		return;
	out->have_predicted = !score_names(s, names, n + out->n_predicted, &out->predicted);
}

static void judge_sequence(struct scorer *s, const struct window *w, struct scorer_result *out)
{
	double v = 0;

	if (!s->idx)
		return;
	judge_observed(s, w, out);
	judge_predicted(s, w, out);
	if (out->have_observed)
		v = out->sequence.score;
	if (out->have_predicted && out->predicted.score > v)
		v = out->predicted.score;
	if (out->have_observed || out->have_predicted)
		verdict_set(&out->verdict, VERDICT_SEQUENCE, v);
}

const char *scorer_result_sequence_source(const struct scorer_result *r)
{
	return r->have_predicted && (!r->have_observed || r->predicted.score > r->sequence.score)
		       ? "predicted" : "observed";
}

void scorer_result_unscored(const struct scorer *s, const struct window *w,
			     struct scorer_result *out)
{
	memset(out, 0, sizeof(*out));
	out->policy = s->policy;
	out->tok = s->tok;
	out->verdict.uncertain = w->uncertain;
}

void scorer_judge(struct scorer *s, const struct window *w, enum scorer_static depth,
		  struct scorer_result *out)
{
	scorer_result_unscored(s, w, out);
	judge_static(s, w, depth, out);
	judge_sequence(s, w, out);
	judge_source(w, out);
	if (is_quarantined(s, out->sha256_hex)) {
		out->verdict.quarantined = true;
		out->quarantined_hash = true;
	}
	verdict_decide(&out->verdict, &s->policy);
}

size_t scorer_take_landed(struct scorer *s, struct dcam_landed *out, size_t max)
{
	return dcam_worker_take_landed(s->worker, out, max);
}

void scorer_gate_busy(struct scorer *s)
{
	dcam_worker_gate_busy(s->worker);
}

int scorer_wait_analyses(struct scorer *s, unsigned int timeout_ms)
{
	return dcam_worker_wait_idle(s->worker, timeout_ms);
}

void scorer_result_release(struct scorer_result *r)
{
	dcam_result_free(r->dcam);
	r->dcam = NULL;
}

size_t scorer_result_flagged_exports(const struct scorer_result *r, const char **names,
				     size_t max)
{
	size_t n = 0;

	for (size_t i = 0; r->dcam && i < r->dcam->n_findings && n < max; i++) {
		const struct dcam_finding *f = &r->dcam->findings[i];
		bool seen = false;

		if (!f->entry_kind || strcmp(f->entry_kind, "export") || !f->entry[0])
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = !strcmp(names[k], f->entry);
		if (!seen)
			names[n++] = f->entry;
	}
	return n;
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

void scorer_result_explain_json(const struct scorer_result *r, json_t *obj)
{
	const struct verdict *v = &r->verdict;
	json_t *missing = json_array(), *used = json_object();

	for (int c = 0; c < VERDICT_NCOMPONENTS; c++) {
		if (!v->have[c])
			json_array_append_new(missing, json_string(verdict_component_name(c)));
		json_object_set_new(used, verdict_component_name(c), json_real(v->weight_used[c]));
	}
	json_object_set_new(obj, "missing", missing);
	json_object_set_new(obj, "weights_used", used);

	if (r->have_observed)
		json_object_set_new(obj, "matches", matches_json(&r->sequence, r->tok));
	if (r->have_observed || r->have_predicted) {
		json_t *seq = json_object();

		if (r->have_observed)
			json_object_set_new(seq, "observed", json_real(r->sequence.score));
		if (r->have_predicted) {
			json_object_set_new(seq, "predicted", json_real(r->predicted.score));
			json_object_set_new(seq, "predicted_matches", matches_json(&r->predicted, r->tok));
		}
		json_object_set_new(seq, "rule", json_string("max(observed, predicted)"));
		json_object_set_new(seq, "decided_by", json_string(scorer_result_sequence_source(r)));
		json_object_set_new(obj, "sequence", seq);
	}
	if (r->dcam && r->n_predicted) {
		const char *names[DCAM_PRED_MAX];
		size_t n = dcam_result_predicted(r->dcam, names, DCAM_PRED_MAX);
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(names[i]));
		json_object_set_new(obj, "predicted", a);
		if (r->have_predicted)
			json_object_set_new(obj, "predicted_score", json_real(r->predicted.score));
	}
	if (r->dcam && r->dcam->partial)
		json_object_set_new(obj, "static_load_time_only", json_true());
	if (r->dcam) {
		json_t *j = dcam_result_to_json(r->dcam);

		json_object_set(obj, "findings", json_object_get(j, "findings"));
		json_decref(j);
	}
	if (v->have[VERDICT_SOURCE]) {
		json_t *j = reputation_result_to_json(&r->source);

		json_object_set(obj, "reputation_reasons", json_object_get(j, "reasons"));
		json_decref(j);
	}
	if (r->sha256_hex[0])
		json_object_set_new(obj, "sha256", json_string(r->sha256_hex));
	if (r->quarantined_hash)
		json_object_set_new(obj, "quarantined_hash", json_true());
	if (r->excepted) {
		struct exception_match m = r->exception;

		m.value = r->exception_value;
		json_object_set_new(obj, "exception", exception_match_to_json(&m));
	}
}
