/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The in-memory behavioral database: n-gram entries in one open-addressing
 * table that holds each entry's exact key and its deletion neighbourhood (the
 * entry with each one position deleted), so a fuzzy lookup (edit distance
 * <= 1) is len+1 hash probes whatever the size. One writer at a time, any
 * number of lock-free readers: entries are never moved, tables are swapped
 * and retired after a two-epoch grace period. */
#ifndef BPFPROF_BDINDEX_H
#define BPFPROF_BDINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "behaviors/tokens.h"

#define BDINDEX_MIN_LEN 2
#define BDINDEX_MAX_LEN 8
/* A slot stores a 24-bit entry index; ids are stored in 32 bits. */
#define BDINDEX_MAX_ENTRIES ((1u << 24) - 2)
#define BDINDEX_MAX_ID 0xffffffffll

/* Edit costs: substituting a token by one of its group is cheaper. */
#define BDINDEX_COST_SUB_GROUP 0.5
#define BDINDEX_COST_SUB 1.0
#define BDINDEX_COST_INDEL 1.0

enum bd_label { BD_LABEL_GOOD = 0, BD_LABEL_MALICIOUS = 1 };

enum bdindex_edit {
	BDINDEX_EXACT = 0,
	BDINDEX_SUBST,  /* one token substituted (cost by group) */
	BDINDEX_EXTRA,  /* the query has one token the entry lacks */
	BDINDEX_MISSING /* the query lacks one token of the entry */
};

struct bdindex_match {
	int64_t id;
	token_id seq[BDINDEX_MAX_LEN];
	uint8_t len;
	enum bd_label label;
	enum bdindex_edit edit;
	uint8_t edit_pos;  /* position in the entry (SUBST, MISSING) or query (EXTRA) */
	double cost;       /* 0, 0.5 or 1 */
	double similarity; /* 1 - cost / max(query len, entry len) */
	double risk, confidence;
};

/* How the scorer weighs a database (docs/scoring.md). A learnt database of
 * normal behaviour is complete enough that an n-gram it lacks is evidence;
 * the curated one is not (unknown_weight 0). */
struct bdindex_params {
	double unknown_logit;  /* evidence of a window position nothing matches */
	double unknown_weight; /* its weight; 0: unmatched positions are ignored */
	double length_norm;    /* 0: evidence adds up; 1: it is averaged over the window */
};
#define BDINDEX_LENGTH_NORM 0.0

struct bdindex;

/* tok gives token groups for substitution costs; it must outlive the index. */
int bdindex_create(const struct tokens *tok, struct bdindex **out);
void bdindex_free(struct bdindex *idx);

/* Add an entry, or replace the one with the same id. risk and confidence
 * are clamped to 0..1 and stored with 12-bit precision. -EINVAL for a length
 * outside BDINDEX_MIN_LEN..BDINDEX_MAX_LEN, -ERANGE for an id outside
 * 1..BDINDEX_MAX_ID, -ENOSPC when full. */
int bdindex_add(struct bdindex *idx, int64_t id, const token_id *seq, size_t len,
		double risk, double confidence, enum bd_label label);
/* Size the tables for nentries more entries of ntokens tokens in all, so a
 * bulk load (import, learn) does no rebuilds and ends at full load. */
int bdindex_reserve(struct bdindex *idx, size_t nentries, size_t ntokens);
/* -ENOENT when no entry has that id. */
int bdindex_remove(struct bdindex *idx, int64_t id);
size_t bdindex_count(const struct bdindex *idx);
/* Bit n set when some entry has length n. */
uint32_t bdindex_lengths(const struct bdindex *idx);
/* Bytes held by the index (tables, entries, token arena). */
size_t bdindex_memory(const struct bdindex *idx);

/* Whether match a goes before b: an exact match (the n-gram itself is
 * known), then the higher similarity x confidence (what the scorer
 * weighs), then the lower id. Never the order the hash table yields, which
 * moves with every token added to the vocabulary. */
bool bdindex_match_better(const struct bdindex_match *a, const struct bdindex_match *b);
/* Entries within edit cost 1 of q (one substitution, insertion or deletion).
 * Fills at most max matches, in no particular order; when more are found,
 * the max best are kept (bdindex_match_better). Returns the number of
 * matches found (may exceed max) or a negative errno. */
int bdindex_lookup_fuzzy(const struct bdindex *idx, const token_id *q, size_t n,
			 struct bdindex_match *out, size_t max);
/* nq <= BDINDEX_BATCH_MAX lookups at once (their memory accesses overlap):
 * query b's matches go to out[b * max ...], their number to counts[b]. */
#define BDINDEX_BATCH_MAX 32
int bdindex_lookup_fuzzy_batch(const struct bdindex *idx, const token_id *const *qs,
			       const size_t *ns, size_t nq, struct bdindex_match *out,
			       size_t max, int *counts);
/* Only the exact entry for q: 1 and *out filled, or 0. */
int bdindex_lookup_exact(const struct bdindex *idx, const token_id *q, size_t n,
			 struct bdindex_match *out);

const struct tokens *bdindex_tokens(const struct bdindex *idx);
void bdindex_params_get(const struct bdindex *idx, struct bdindex_params *p);
void bdindex_params_set(struct bdindex *idx, const struct bdindex_params *p);
/* False for parameters the scorer cannot use (not finite, a negative weight
 * or normalisation): what a snapshot or an edited store must not bring. */
bool bdindex_params_valid(const struct bdindex_params *p);

/* v (a risk or confidence) as the index keeps it: 12-bit fixed point. Equal
 * to what a lookup or bdindex_foreach reports for an entry added with v. */
double bdindex_quantize(double v);

/* Call fn for every live entry (writer side: not concurrent with add/remove). */
int bdindex_foreach(const struct bdindex *idx,
		    int (*fn)(const struct bdindex_match *e, void *arg), void *arg);

#endif
