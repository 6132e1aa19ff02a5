/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Behavioral database submissions: the one call the HTTP API makes. A batch
 * is validated whole, stored in one transaction and then applied to the
 * live index, so it lands entirely or not at all. */
#ifndef BPFPROF_BD_H
#define BPFPROF_BD_H

#include <jansson.h>
#include "behaviors/bdindex.h"
#include "behaviors/bdstore.h"

#define BD_SUBMIT_MAX_ENTRIES 10000

/* The index the agent scores with: source NULL = the curated default
 * database compiled in; a path ending in ".bdsnap" = a snapshot (db export);
 * any other path = the SQLite database there (created and seeded if new).
 * On error err says what failed. */
int bd_index_load(const char *source, struct tokens *tok, struct bdindex **out,
		  char *err, size_t errlen);

/* sub: {"submitter": "...", "entries": [entry, ...]}
 * (schemas/submission.schema.json). On success *result (if given) is
 * {"accepted": n, "ids": [...]}. -EINVAL with err naming the field
 * ("entries[2].label: ...") for a bad submission; idx may be NULL. */
int bd_submit(struct bdstore *st, struct bdindex *idx, struct tokens *tok, const json_t *sub,
	      json_t **result, char *err, size_t errlen);

/* What bd_sync_index changed in the index. */
struct bd_sync_stats {
	size_t added, replaced, removed;
};

/* Bring a live index in line with its store after another process changed
 * the store (`db import`, `db add`, ...): entries new in the store are added,
 * changed ones replaced, gone ones removed, the scoring parameters copied;
 * unchanged entries are not touched. The store is read whole before
 * the index changes, so a store that cannot be read (a bad row) changes
 * nothing. The caller is the index's one writer for the duration; lookups
 * run on meanwhile. */
int bd_sync_index(struct bdstore *st, struct tokens *tok, struct bdindex *idx,
		  struct bd_sync_stats *stats);

#endif
