/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* One behavioral database entry as stored and exchanged, and its JSON form
 * (schemas/behavior-entry.schema.json). Validation names the offending
 * field, e.g. "entries[3].risk_score: must be a number in 0..1". */
#ifndef BPFPROF_BDENTRY_H
#define BPFPROF_BDENTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "behaviors/bdindex.h"

#define BDENTRY_STR_MAX 4096

struct bd_entry {
	int64_t id;            /* 0: not stored yet */
	char *tokens[BDINDEX_MAX_LEN]; /* token names (a {call, params} item: its call) */
	size_t len;
	char *sequence;        /* the sequence as given (compact JSON) */
	double risk, confidence;
	enum bd_label label;
	char *origin;          /* compact JSON object or NULL */
	char *source;          /* NULL when unknown */
	char *added_at;        /* RFC 3339 UTC or NULL (set when stored) */
	char *submitter;       /* NULL unless it came in a submission */
};

enum bdentry_mode {
	BDENTRY_FULL,       /* behavior-entry: sequence, risk, confidence, label, source, added_at */
	BDENTRY_SUBMISSION, /* submission item: only sequence, risk, confidence, label */
};

/* A view of one token name inside a sequence's text. */
struct bdentry_name {
	const char *p;
	size_t len;
};

#define BDENTRY_LABEL_RULE "must be <= 0.5 for a good entry and >= 0.5 for a malicious one"

/* Parse and validate; on -EINVAL err says "<where>.<field>: <problem>". */
int bdentry_from_json(const json_t *j, enum bdentry_mode mode, const char *where,
		      struct bd_entry *e, char *err, size_t errlen);
json_t *bdentry_to_json(const struct bd_entry *e);
/* Whether label agrees with risk (BDENTRY_LABEL_RULE). */
bool bdentry_label_agrees(enum bd_label label, double risk);
/* The fast path for stored and exchanged sequences: when text (len bytes)
 * is the canonical compact JSON of 2..8 plain token names (["a","b"]: what
 * the store writes for such a sequence), fills names with views into text
 * and returns their number. 0 for anything else (escapes, {call, params}
 * items, spacing), which needs the full parser. */
size_t bdentry_plain_sequence(const char *text, size_t len,
			      struct bdentry_name names[BDINDEX_MAX_LEN]);
/* A text field of an entry as stored or exchanged (len bytes, not
 * NUL-terminated): "origin" the compact JSON of an origin object, "source",
 * "added_at" (RFC 3339) or "submitter" a string. Checks what
 * bdentry_from_json checks of that field, plus UTF-8 without NUL bytes, so
 * a snapshot cannot store what the store would not read back. */
int bdentry_check_text(const char *field, const char *text, size_t len, const char *where,
		       char *err, size_t errlen);
void bdentry_clear(struct bd_entry *e);
/* Deep copy. */
int bdentry_copy(struct bd_entry *dst, const struct bd_entry *src);
/* Intern the entry's tokens into ids (seq has BDINDEX_MAX_LEN room). */
int bdentry_token_ids(const struct bd_entry *e, struct tokens *tok, token_id *seq);
/* The current time as RFC 3339 UTC (timefmt_format_rfc3339; buf of at
 * least TIMEFMT_RFC3339_LEN bytes). */
void bdentry_now(char *buf, size_t len);

#endif
