/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The behavioral database on disk: SQLite in WAL mode (readers never block
 * the writer). A new store is seeded with the curated default entries. The
 * in-memory index is built from it (bdstore_load_index). */
#ifndef BPFPROF_BDSTORE_H
#define BPFPROF_BDSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "behaviors/bdentry.h"
#include "behaviors/bdindex.h"

#define BDSTORE_SCHEMA_VERSION 1

struct bdstore;

struct bdstore_stats {
	size_t entries, good, malicious;
	size_t by_length[BDINDEX_MAX_LEN + 1];
	size_t sources;        /* distinct sources */
	double mean_risk, mean_confidence;
};

enum bdstore_flags {
	BDSTORE_NO_SEED = 1, /* do not seed a new store with the default entries */
};

int bdstore_open(const char *path, unsigned flags, struct bdstore **out, char *err, size_t errlen);
void bdstore_close(struct bdstore *st);

/* Insert e (e->id 0: a new id is assigned; else that id is replaced).
 * Sets e->id, and e->added_at when it was NULL. */
int bdstore_add(struct bdstore *st, struct bd_entry *e);
/* The id of a stored entry equal to e in everything but id and added_at
 * (a resubmission), or -ENOENT. */
int bdstore_find_same(struct bdstore *st, const struct bd_entry *e, int64_t *id);
/* The highest risk of the entries with this sequence (the stored text,
 * as bdentry_from_json writes it), or -ENOENT when there is none. */
int bdstore_max_risk(struct bdstore *st, const char *sequence, double *risk);
/* -ENOENT when no entry has that id. */
int bdstore_remove(struct bdstore *st, int64_t id);
int bdstore_get(struct bdstore *st, int64_t id, struct bd_entry *e);
/* Entries in id order as the index takes them (token ids interned into
 * tok; similarity, edit and cost unset), without building a bd_entry: the
 * index load and the agent's resync. -EBADMSG for a row that is not a
 * valid entry; stops (and returns it) when fn returns nonzero. */
int bdstore_foreach_indexed(struct bdstore *st, struct tokens *tok,
			    int (*fn)(const struct bdindex_match *m, void *arg), void *arg);
/* Changes whenever another connection (another process: `db import`,
 * `db add`, ...) commits to the database; not for this one's own commits. */
int bdstore_data_version(struct bdstore *st, uint64_t *version);
/* Entries in id order; stop (and return it) when fn returns nonzero. */
int bdstore_foreach(struct bdstore *st, int (*fn)(const struct bd_entry *e, void *arg), void *arg);
int bdstore_stats(struct bdstore *st, struct bdstore_stats *s);
size_t bdstore_count(struct bdstore *st);
/* Entries by label, from SQL alone (no row is parsed): the agent's gauges. */
int bdstore_count_labels(struct bdstore *st, size_t *good, size_t *malicious);

/* The scoring parameters kept with the entries (docs/scoring.md). */
int bdstore_params_get(struct bdstore *st, struct bdindex_params *p);
int bdstore_params_set(struct bdstore *st, const struct bdindex_params *p);

/* Batches: everything between begin and commit lands or nothing does. */
int bdstore_begin(struct bdstore *st);
int bdstore_commit(struct bdstore *st);
void bdstore_rollback(struct bdstore *st);
/* Within a batch: drop every entry. */
int bdstore_clear(struct bdstore *st);

/* Bulk replacement of every entry (snapshot import): bulk_begin opens the
 * transaction, drops the entries and the sequence index; bulk_add inserts
 * one row as given (strings with their lengths, not NUL-terminated; NULL
 * for SQL NULL); bulk_end rebuilds the index, stores p and commits, or with
 * commit false rolls everything back (err: why a commit failed). Until then readers see the old rows. */
enum bdstore_col { BDSTORE_SEQUENCE, BDSTORE_ORIGIN, BDSTORE_SOURCE, BDSTORE_ADDED_AT,
		   BDSTORE_SUBMITTER, BDSTORE_NSTR };
struct bdstore_row {
	int64_t id;
	double risk, confidence;
	enum bd_label label;
	const char *str[BDSTORE_NSTR];
	int len[BDSTORE_NSTR];
};
int bdstore_bulk_begin(struct bdstore *st);
int bdstore_bulk_add(struct bdstore *st, const struct bdstore_row *r);
int bdstore_bulk_end(struct bdstore *st, const struct bdindex_params *p, bool commit,
		     char *err, size_t errlen);
/* Add every stored entry (ids = store ids) and the parameters to idx. */
int bdstore_load_index(struct bdstore *st, struct tokens *tok, struct bdindex *idx);

/* The SQLite connection, for a module that keeps its own tables in the
 * same database and commits them in the same transaction as the entries
 * (the fleet's journal and stream position). Used under the store's
 * writer lock like every other write. */
struct sqlite3 *bdstore_sqlite(struct bdstore *st);

/* The message of the last SQLite error on this store. */
const char *bdstore_errmsg(struct bdstore *st);
/* Why the last read (get, foreach, index load, params) or add failed with ret:
 * the row or parameter the store refused
 * ("entry id 7: ..."), else SQLite's message for the codes its failures
 * map to (-EIO, -EINVAL, -EBUSY, -ENOSPC), else strerror. */
const char *bdstore_strerror(struct bdstore *st, int ret);

#endif
