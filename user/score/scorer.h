/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Judges a closed window: gathers the sequence, source and static-analysis
 * components and applies the verdict policy. */
#ifndef BPFPROF_SCORER_H
#define BPFPROF_SCORER_H

#include <jansson.h>
#include <stddef.h>
#include "score/verdict.h"
#include "pipeline/window.h"

struct scorer;

struct bdindex;
struct tokens;

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
/* Fills v; *details (may stay NULL) gets the explanation: matched entries,
 * findings, reputation reasons, as JSON members to merge into a verdict. */
void scorer_judge(struct scorer *s, const struct window *w, struct verdict *v, json_t **details);

#endif
