/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The decision store: every verdict the agent takes, kept in SQLite and
 * optionally appended as a JSON line to a file the verification service
 * follows. This is the "record a decision" seam of docs/architecture.md (fleet). */
#ifndef BPFPROF_DECISION_STORE_H
#define BPFPROF_DECISION_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "score/verdict.h"

struct decision_store;

/* Levels are the verdict's (enum verdict_level); counts are indexed by them. */
#define DECISION_LEVELS (VERDICT_HIGH + 1)

struct decision_store_opts {
	size_t sz;                /* sizeof(struct decision_store_opts) */
	const char *decision_log; /* JSON-lines file to append to, or NULL */
	int sync_full;            /* PRAGMA synchronous=FULL (power-loss safe) */
	int read_only;            /* for `report`: never create or write */
};

/* Opens (creating unless read_only) the database at path. err says why
 * not. Returns 0 or -errno (-ENOENT: read_only and no database). */
int decision_store_open(const char *path, const struct decision_store_opts *opts,
			struct decision_store **out, char *err, size_t errlen);
void decision_store_close(struct decision_store *store);

/* Checks decision against the required fields of
 * schemas/decision.schema.json; -EINVAL with the first problem in err. */
int decision_validate(const json_t *decision, char *err, size_t errlen);

/* Validates, stores (one transaction), appends to the decision log and
 * sets "id" in decision and *id. Thread-safe. */
int decision_store_put(struct decision_store *store, json_t *decision, int64_t *id,
		       char *err, size_t errlen);

/* The stored decision with its "id" (new reference), or -ENOENT. */
int decision_store_get(struct decision_store *store, int64_t id, json_t **out);

/* Newest first. Cursors are opaque strings: pass next_cursor back to get
 * the following page. */
#define DECISION_CURSOR_LEN 48
struct decision_query {
	int64_t since_ns;   /* only decisions at or after this time; 0: all */
	int min_level;      /* enum verdict_level; VERDICT_LOW: all */
	unsigned limit;     /* 1..DECISION_QUERY_MAX */
	const char *cursor; /* NULL or "": from the newest */
	/* attribution filters, NULL: any. A value with * ? or [ is a glob
	 * (sqlite GLOB, like fnmatch), else it must equal; container also
	 * takes a prefix of the id (docker's 12-digit short ids). */
	const char *container; /* process.container_id */
	const char *exe;       /* process.exe */
	const char *unit;      /* process.unit */
	const char *pod;       /* process.pod_uid */
	const char *object;    /* the loaded object's path */
	int64_t uid;           /* process.uid; -1 (or 0 with uid_set unset): any */
	bool uid_set;
};
#define DECISION_QUERY_MAX 1000

/* Sets *decisions to a new JSON array and next_cursor to the cursor of
 * the next page ("" when this page is the last). -EINVAL: bad cursor;
 * -ENOTSUP: filters on a database too old to have their columns (read
 * only; the agent adds them when it opens it). */
int decision_store_query(struct decision_store *store, const struct decision_query *q,
			 json_t **decisions, char next_cursor[DECISION_CURSOR_LEN]);

/* The same page as JSON text ("[{...},...]", malloc'd in *text), spliced
 * from the stored bodies without parsing them: the API's fast path. */
int decision_store_query_text(struct decision_store *store, const struct decision_query *q,
			      char **text, size_t *len, char next_cursor[DECISION_CURSOR_LEN]);

/* A cheap check that the database answers (for /healthz). */
int decision_store_ping(struct decision_store *store);

/* Number of stored decisions per level (counts the level index). */
int decision_store_count(struct decision_store *store, int64_t counts[DECISION_LEVELS]);

/* Retention: per level (enum verdict_level), decisions older than
 * max_age_ns and beyond the newest max_count are deleted; 0: no limit. */
struct decision_retention {
	int64_t max_age_ns[DECISION_LEVELS];
	int64_t max_count[DECISION_LEVELS];
};
/* Applies r at now_ns, in batches so readers and the writer are never held
 * long; deleted[level] gets how many went (may be NULL). */
int decision_store_prune(struct decision_store *store, const struct decision_retention *r,
			 int64_t now_ns, int64_t deleted[DECISION_LEVELS]);

/* Re-opens the decision log (after logrotate moved it; on SIGHUP). */
int decision_store_reopen_log(struct decision_store *store);

/* "Record a decision" as one small interface (docs/architecture.md, fleet): the
 * agent records through a decision_sink; the local store is one, and a
 * JetStream publisher can sit beside it later with the same signature. */
struct decision_sink {
	int (*record)(void *ctx, json_t *decision, int64_t *id, char *err, size_t errlen);
	void *ctx;
};
struct decision_sink decision_store_sink(struct decision_store *store);

/* "low" / "medium" / "high" -> enum verdict_level, or -EINVAL (the
 * other way is verdict_level_name). */
int decision_level_parse(const char *s);

#endif
