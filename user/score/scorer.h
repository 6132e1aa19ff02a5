/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Judges a window: gathers the sequence, source and static-analysis
 * components and applies the verdict policy. The result is a struct the
 * later stages read; scorer_result_explain_json renders it where it leaves
 * the process. */
#ifndef BPFPROF_SCORER_H
#define BPFPROF_SCORER_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "analysis/dcam.h"
#include "lib/filehash.h"
#include "pipeline/window.h"
#include "score/exceptions.h"
#include "score/reputation.h"
#include "score/seqscore.h"
#include "score/verdict.h"

struct scorer;

struct bdindex;
struct tokens;

/* A judged window: the verdict and what made it. */
struct scorer_result {
	struct verdict verdict;
	struct verdict_policy policy;     /* the weights and thresholds it was judged with */
	const struct tokens *tok;         /* names the matched entries' tokens */
	/* The sequence component is the larger of what was observed (the
	 * window's calls) and what the static analysis predicts the object's
	 * load-time code will call, scored the same way (docs/scoring.md): at
	 * the gate, before the code ran, the prediction is all there is. */
	struct seqscore_result sequence;  /* observed; valid when have_observed */
	struct seqscore_result predicted; /* lookback + pivot + predicted calls */
	bool have_observed, have_predicted;
	size_t n_predicted;               /* predicted calls (dcam->predicted) */
	struct reputation_result source;  /* valid when verdict.have[VERDICT_SOURCE] */
	struct dcam_result *dcam;         /* a reference, NULL without static analysis */
	char sha256_hex[FILEHASH_HEX_LEN]; /* the object's, "" when unknown */
	/* the static component read only the load-time code (dcam->partial)
	 * and the rest of the analysis is queued or running: judge the window
	 * again when scorer_take_landed names the digest */
	bool static_pending;
	bool quarantined_hash;            /* the same bytes were quarantined before */
	/* an operator's exception decided the level (score/exceptions.h);
	 * exception.value points at exception_value */
	bool excepted;
	struct exception_match exception;
	char exception_value[PATH_MAX];
};

/* policy: weights and thresholds (NULL: the defaults). tok and idx: the
 * behavioral database the sequence component matches against; borrowed,
 * and may be NULL (then that component is missing). */
int scorer_new(const struct verdict_policy *policy, struct tokens *tok, const struct bdindex *idx,
	       struct scorer **out, char *err, size_t errlen);
void scorer_free(struct scorer *s);
/* New weights and thresholds (SIGHUP); judged windows keep theirs. */
void scorer_set_policy(struct scorer *s, const struct verdict_policy *policy);
/* Marks the object with this SHA-256 (hex) quarantined: any later window
 * loading the same bytes, under any name, is high. */
int scorer_quarantine_hash(struct scorer *s, const char *sha256_hex);
/* Takes the hash out of the quarantined set (an analyst released it);
 * -ENOENT when it was not in it. */
int scorer_release_hash(struct scorer *s, const char *sha256_hex);
/* "observed", "predicted": which decided the sequence component. */
const char *scorer_result_sequence_source(const struct scorer_result *r);
/* How much static analysis a judgement may wait for. */
enum scorer_static {
	/* a process waits (the gate), or the reader of the ring buffer must
	 * not stall: what is cached, full or partial, else the load-time code
	 * with the rest queued on a worker */
	SCORER_STATIC_LOAD_TIME,
	/* all of it, now (selective hooks need the exports; a run's end) */
	SCORER_STATIC_FULL,
};

/* Fills *out; release it with scorer_result_release. */
void scorer_judge(struct scorer *s, const struct window *w, enum scorer_static depth,
		  struct scorer_result *out);
/* Objects whose full analysis landed since the last call (up to max),
 * for the windows judged on their partial one (static_pending). */
size_t scorer_take_landed(struct scorer *s, struct dcam_landed *out, size_t max);
/* A process waits at the gate for a judgement: background analyses keep
 * out of its way for a moment. */
void scorer_gate_busy(struct scorer *s);
/* Waits for the queued analyses, at most timeout_ms: 0 or -ETIMEDOUT. */
int scorer_wait_analyses(struct scorer *s, unsigned int timeout_ms);
/* A result with no component (an operator's exception decides instead). */
void scorer_result_unscored(const struct scorer *s, const struct window *w,
			    struct scorer_result *out);
void scorer_result_release(struct scorer_result *r);
/* Exported functions the static analysis flagged (where a hook is worth
 * it), each once; returns how many went to names[0..max). */
size_t scorer_result_flagged_exports(const struct scorer_result *r, const char **names,
				     size_t max);
/* Adds the explanation members of a decision (schemas/decision.schema.json:
 * missing, weights_used, and matches, findings, reputation_reasons, sha256
 * and quarantined_hash where present) to obj. */
void scorer_result_explain_json(const struct scorer_result *r, json_t *obj);

#endif
