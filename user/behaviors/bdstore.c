/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* SQLite store of behavior entries. Sequences, origins and the rest are kept
 * as given (JSON text) so export/import round trips are exact; the token
 * names are rebuilt from the sequence when the index is loaded. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/bddefault.h"
#include "behaviors/bdstore.h"
#include "lib/safeopen.h"
#include "lib/timefmt.h"

struct bdstore {
	sqlite3 *db;
	sqlite3_stmt *ins, *ins_id, *bulk, *same;
	bool guarded; /* safeopen.h: open, its locks held */
	char why[160]; /* the row or parameter the last read refused */
};

#define SEQUENCE_INDEX_SQL "CREATE INDEX IF NOT EXISTS entries_sequence ON entries(sequence);"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS entries("
	" id INTEGER PRIMARY KEY,"
	" sequence TEXT NOT NULL,"
	" risk REAL NOT NULL CHECK(risk BETWEEN 0 AND 1),"
	" confidence REAL NOT NULL CHECK(confidence BETWEEN 0 AND 1),"
	" label TEXT NOT NULL CHECK(label IN ('good','malicious')),"
	" origin TEXT, source TEXT, added_at TEXT NOT NULL, submitter TEXT);"
	/* resubmissions look their entry up by sequence */
	SEQUENCE_INDEX_SQL;

static int sqlerr(struct bdstore *st)
{
	int rc = sqlite3_errcode(st->db);

	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY :
	       rc == SQLITE_NOMEM ? -ENOMEM :
	       rc == SQLITE_FULL ? -ENOSPC :
	       rc == SQLITE_CONSTRAINT ? -EINVAL : -EIO;
}

struct sqlite3 *bdstore_sqlite(struct bdstore *st)
{
	return st->db;
}

const char *bdstore_errmsg(struct bdstore *st)
{
	return sqlite3_errmsg(st->db);
}

const char *bdstore_strerror(struct bdstore *st, int ret)
{
	if (*st->why)
		return st->why;
	/* the codes sqlerr() maps SQLite's failures to */
	if (ret == -EIO || ret == -EINVAL || ret == -EBUSY || ret == -ENOSPC)
		return sqlite3_errmsg(st->db);
	return strerror(-ret);
}

static int exec(struct bdstore *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sqlerr(st);
}

static int meta_get(struct bdstore *st, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s;
	int ret = -ENOENT;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &s, NULL))
		return sqlerr(st);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
		ret = 0;
	}
	sqlite3_finalize(s);
	return ret;
}

static int meta_set(struct bdstore *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)",
			       -1, &s, NULL))
		return sqlerr(st);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : sqlerr(st);
}

static int seed(struct bdstore *st)
{
	struct bd_entry *e;
	size_t n;
	char err[256];
	int ret = bddefault_entries(&e, &n, err, sizeof(err));

	if (ret)
		return ret;
	for (size_t i = 0; !ret && i < n; i++)
		ret = bdstore_add(st, &e[i]);
	bddefault_free(e, n);
	return ret;
}

int bdstore_open(const char *path, unsigned flags, struct bdstore **out, char *err, size_t errlen)
{
	struct bdstore *st = calloc(1, sizeof(*st));
	char v[32];
	int ret;

	if (!st)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		ret = -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	ret = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
	if (!ret)
		ret = exec(st, "BEGIN IMMEDIATE");
	if (!ret)
		ret = exec(st, schema_sql);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if (meta_get(st, "schema_version", v, sizeof(v)) == 0) {
		if (atoi(v) != BDSTORE_SCHEMA_VERSION) {
			snprintf(err, errlen, "%s: database schema version %s, this build reads %d",
				 path, v, BDSTORE_SCHEMA_VERSION);
			exec(st, "ROLLBACK");
			ret = -EPROTO;
			goto fail;
		}
	} else {
		snprintf(v, sizeof(v), "%d", BDSTORE_SCHEMA_VERSION);
		ret = meta_set(st, "schema_version", v);
		if (!ret && !(flags & BDSTORE_NO_SEED))
			ret = seed(st);
		if (ret) {
			snprintf(err, errlen, "%s: creating the database: %s", path,
				 ret == -EIO ? sqlite3_errmsg(st->db) : strerror(-ret));
			exec(st, "ROLLBACK");
			goto fail;
		}
	}
	ret = exec(st, "COMMIT");
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	st->guarded = true;
	safeopen_guard_db(sqlite3_db_filename(st->db, "main"));
	*out = st;
	return 0;
fail:
	bdstore_close(st);
	return ret;
}

void bdstore_close(struct bdstore *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->ins);
	sqlite3_finalize(st->ins_id);
	sqlite3_finalize(st->bulk);
	sqlite3_finalize(st->same);
	if (st->guarded)
		safeopen_unguard_db(sqlite3_db_filename(st->db, "main"));
	sqlite3_close(st->db);
	free(st);
}

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Binds what makes two entries the same (parameters 1..6). */
static void bind_content(sqlite3_stmt *s, const struct bd_entry *e)
{
	sqlite3_bind_text(s, 1, e->sequence, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 2, e->risk);
	sqlite3_bind_double(s, 3, e->confidence);
	sqlite3_bind_text(s, 4, e->label == BD_LABEL_MALICIOUS ? "malicious" : "good", -1,
			  SQLITE_STATIC);
	bind_opt(s, 5, e->origin);
	bind_opt(s, 6, e->source);
}

int bdstore_find_same(struct bdstore *st, const struct bd_entry *e, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	/* kept prepared: every submitted entry and every one the fleet's
	 * stream applies is looked up first (preparing was half the cost) */
	if (!st->same && sqlite3_prepare_v2(st->db, "SELECT id FROM entries WHERE sequence = ?"
					    " AND risk = ? AND confidence = ? AND label = ?"
					    " AND origin IS ? AND source IS ? AND submitter IS ?"
					    " ORDER BY id LIMIT 1", -1, &st->same, NULL))
		return sqlerr(st);
	s = st->same;
	bind_content(s, e);
	bind_opt(s, 7, e->submitter);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sqlerr(st);
}

int bdstore_add(struct bdstore *st, struct bd_entry *e)
{
	sqlite3_stmt **sp = e->id ? &st->ins_id : &st->ins;
	sqlite3_stmt *s;
	char now[TIMEFMT_RFC3339_LEN];
	int rc;

	*st->why = '\0';
	if (!e->sequence || e->len < BDINDEX_MIN_LEN)
		return -EINVAL;
	if (!*sp && sqlite3_prepare_v2(st->db, e->id ?
		"INSERT OR REPLACE INTO entries(sequence, risk, confidence, label, origin, source,"
		" added_at, submitter, id) VALUES(?,?,?,?,?,?,?,?,?)" :
		"INSERT INTO entries(sequence, risk, confidence, label, origin, source,"
		" added_at, submitter) VALUES(?,?,?,?,?,?,?,?)", -1, sp, NULL))
		return sqlerr(st);
	s = *sp;
	if (!e->added_at) {
		bdentry_now(now, sizeof(now));
		e->added_at = strdup(now);
		if (!e->added_at)
			return -ENOMEM;
	}
	bind_content(s, e);
	bind_opt(s, 7, e->added_at);
	bind_opt(s, 8, e->submitter);
	if (e->id)
		sqlite3_bind_int64(s, 9, e->id);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sqlerr(st);
	if (!e->id)
		e->id = sqlite3_last_insert_rowid(st->db);
	/* SQLite numbers past the largest id; an imported id can be the
	 * index's last one */
	if (e->id > BDINDEX_MAX_ID) {
		snprintf(st->why, sizeof(st->why), "no entry id left: the database holds id %lld, "
			 "the index takes 1..%lld", (long long)e->id - 1, (long long)BDINDEX_MAX_ID);
		return -ERANGE;
	}
	return 0;
}

int bdstore_max_risk(struct bdstore *st, const char *sequence, double *risk)
{
	sqlite3_stmt *s;
	int ret = -ENOENT;

	if (sqlite3_prepare_v2(st->db, "SELECT max(risk) FROM entries WHERE sequence = ?", -1, &s,
			       NULL))
		return sqlerr(st);
	sqlite3_bind_text(s, 1, sequence, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*risk = sqlite3_column_double(s, 0);
		ret = 0;
	}
	sqlite3_finalize(s);
	return ret;
}

int bdstore_remove(struct bdstore *st, int64_t id)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM entries WHERE id = ?", -1, &s, NULL))
		return sqlerr(st);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sqlerr(st);
	return sqlite3_changes(st->db) ? 0 : -ENOENT;
}

/* Column i as a new string in *dst (NULL for SQL NULL); -ENOMEM. */
static int col_dup(sqlite3_stmt *s, int i, char **dst)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*dst = t ? strdup((const char *)t) : NULL;
	return t && !*dst ? -ENOMEM : 0;
}

static enum bd_label col_label(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t && !strcmp((const char *)t, "malicious") ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD;
}

/* The stored sequence's token names when it is plain (the common case, no
 * JSON parser needed; the table's CHECKs already hold risk, confidence and
 * label to their ranges); 0 when the row needs the full validation. */
static size_t row_plain_tokens(sqlite3_stmt *s, struct bdentry_name names[BDINDEX_MAX_LEN])
{
	const char *seq = (const char *)sqlite3_column_text(s, 1);

	if (!seq || !bdentry_label_agrees(col_label(s, 4), sqlite3_column_double(s, 2)))
		return 0;
	return bdentry_plain_sequence(seq, (size_t)sqlite3_column_bytes(s, 1), names);
}

/* The sequence through the same validation as a submission. */
static int row_tokens_validated(sqlite3_stmt *s, struct bd_entry *e, char *err, size_t errlen)
{
	json_t *seq = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
	json_t *o = json_pack("{s:o?, s:f, s:f, s:s}", "sequence", seq,
			      "risk_score", sqlite3_column_double(s, 2),
			      "confidence", sqlite3_column_double(s, 3),
			      "label", (const char *)sqlite3_column_text(s, 4));
	char where[48];
	int ret;

	if (!o)
		return -ENOMEM;
	snprintf(where, sizeof(where), "entry id %lld", (long long)sqlite3_column_int64(s, 0));
	ret = bdentry_from_json(o, BDENTRY_SUBMISSION, where, e, err, errlen);
	json_decref(o);
	return ret;
}

/* Row -> entry; the sequence is re-validated so a hand-edited database
 * cannot feed the index garbage. */
static int row_entry(struct bdstore *st, sqlite3_stmt *s, struct bd_entry *e)
{
	struct bdentry_name names[BDINDEX_MAX_LEN];
	size_t n = row_plain_tokens(s, names);
	int ret = 0;

	if (!n) {
		ret = row_tokens_validated(s, e, st->why, sizeof(st->why));
		if (ret)
			return ret;
		free(e->sequence); /* keep the stored text exactly (no re-serialisation) */
	} else {
		memset(e, 0, sizeof(*e));
		for (e->len = 0; e->len < n; e->len++)
			if (!(e->tokens[e->len] = strndup(names[e->len].p, names[e->len].len)))
				ret = -ENOMEM;
	}
	e->id = sqlite3_column_int64(s, 0);
	e->risk = sqlite3_column_double(s, 2);
	e->confidence = sqlite3_column_double(s, 3);
	e->label = col_label(s, 4);
	ret |= col_dup(s, 1, &e->sequence) | col_dup(s, 5, &e->origin) | col_dup(s, 6, &e->source) |
	       col_dup(s, 7, &e->added_at) | col_dup(s, 8, &e->submitter);
	if (ret)
		bdentry_clear(e);
	return ret;
}

#define SELECT_COLS "SELECT id, sequence, risk, confidence, label, origin, source, added_at, submitter FROM entries"

int bdstore_get(struct bdstore *st, int64_t id, struct bd_entry *e)
{
	sqlite3_stmt *s;
	int ret = -ENOENT;

	*st->why = '\0';
	if (sqlite3_prepare_v2(st->db, SELECT_COLS " WHERE id = ?", -1, &s, NULL))
		return sqlerr(st);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		ret = row_entry(st, s, e);
	sqlite3_finalize(s);
	return ret;
}

int bdstore_foreach(struct bdstore *st, int (*fn)(const struct bd_entry *e, void *arg), void *arg)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	*st->why = '\0';
	if (sqlite3_prepare_v2(st->db, SELECT_COLS " ORDER BY id", -1, &s, NULL))
		return sqlerr(st);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct bd_entry e;

		ret = row_entry(st, s, &e);
		if (ret) {
			ret = -EBADMSG; /* a row that is not a valid entry */
			break;
		}
		ret = fn(&e, arg);
		bdentry_clear(&e);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sqlerr(st);
	sqlite3_finalize(s);
	return ret;
}

size_t bdstore_count(struct bdstore *st)
{
	sqlite3_stmt *s;
	size_t n = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM entries", -1, &s, NULL))
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int bdstore_count_labels(struct bdstore *st, size_t *good, size_t *malicious)
{
	sqlite3_stmt *s;
	int rc;

	*good = *malicious = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT label, count(*) FROM entries GROUP BY label", -1,
			       &s, NULL))
		return sqlerr(st);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*(col_label(s, 0) == BD_LABEL_MALICIOUS ? malicious : good) =
			(size_t)sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : sqlerr(st);
}

static int stats_one(const struct bd_entry *e, void *arg)
{
	struct bdstore_stats *s = arg;

	s->entries++;
	if (e->label == BD_LABEL_MALICIOUS)
		s->malicious++;
	else
		s->good++;
	s->by_length[e->len]++;
	s->mean_risk += e->risk;
	s->mean_confidence += e->confidence;
	return 0;
}

int bdstore_stats(struct bdstore *st, struct bdstore_stats *s)
{
	sqlite3_stmt *q;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = bdstore_foreach(st, stats_one, s);
	if (ret)
		return ret;
	if (s->entries) {
		s->mean_risk /= (double)s->entries;
		s->mean_confidence /= (double)s->entries;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT count(DISTINCT source) FROM entries", -1, &q, NULL))
		return sqlerr(st);
	if (sqlite3_step(q) == SQLITE_ROW)
		s->sources = (size_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return 0;
}

/* Parameter key of table meta as a number, def when the key is absent. */
static int meta_get_double(struct bdstore *st, const char *key, double def, double *out)
{
	char v[64], *end;
	int ret = meta_get(st, key, v, sizeof(v));

	*out = def;
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	/* out of range is not refused here: an overflow reads as inf, which
	 * bdindex_params_valid refuses; an underflow is a number all the same */
	*out = strtod(v, &end);
	if (end != v && !*end)
		return 0;
	snprintf(st->why, sizeof(st->why), "scoring parameter %s in table meta is not a "
		 "number: \"%s\"", key, v);
	return -EINVAL;
}

int bdstore_params_get(struct bdstore *st, struct bdindex_params *p)
{
	int ret;

	*st->why = '\0';
	ret = meta_get_double(st, "unknown_logit", 0, &p->unknown_logit);
	ret = ret ? ret : meta_get_double(st, "unknown_weight", 0, &p->unknown_weight);
	ret = ret ? ret : meta_get_double(st, "length_norm", BDINDEX_LENGTH_NORM, &p->length_norm);
	if (ret)
		return ret;
	if (bdindex_params_valid(p))
		return 0;
	snprintf(st->why, sizeof(st->why), "scoring parameters in table meta not usable "
		 "(unknown_logit %g, unknown_weight %g, length_norm %g)", p->unknown_logit,
		 p->unknown_weight, p->length_norm);
	return -EINVAL;
}

int bdstore_params_set(struct bdstore *st, const struct bdindex_params *p)
{
	char v[64];
	int ret;

	snprintf(v, sizeof(v), "%.17g", p->unknown_logit);
	ret = meta_set(st, "unknown_logit", v);
	snprintf(v, sizeof(v), "%.17g", p->unknown_weight);
	ret = ret ? ret : meta_set(st, "unknown_weight", v);
	snprintf(v, sizeof(v), "%.17g", p->length_norm);
	return ret ? ret : meta_set(st, "length_norm", v);
}

int bdstore_begin(struct bdstore *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

int bdstore_commit(struct bdstore *st)
{
	return exec(st, "COMMIT");
}

void bdstore_rollback(struct bdstore *st)
{
	exec(st, "ROLLBACK");
}

int bdstore_clear(struct bdstore *st)
{
	return exec(st, "DELETE FROM entries");
}

/* A bulk load is one transaction into an emptied table (a row whose id is
 * taken is refused, -EINVAL), rows go in through one statement bound
 * with lengths (no copies), and the sequence index is built once at the end
 * from sorted keys instead of row by row (measured: a bigger page cache
 * made the index build slower, so it is left alone). */
int bdstore_bulk_begin(struct bdstore *st)
{
	int ret = exec(st, "BEGIN IMMEDIATE");

	if (ret)
		return ret;
	ret = exec(st, "DROP INDEX IF EXISTS entries_sequence");
	if (!ret)
		ret = bdstore_clear(st);
	if (!ret && !st->bulk &&
	    sqlite3_prepare_v2(st->db, "INSERT INTO entries(id, risk, confidence, label,"
			       " sequence, origin, source, added_at, submitter)"
			       " VALUES(?,?,?,?,?,?,?,?,?)", -1, &st->bulk, NULL))
		ret = sqlerr(st);
	if (ret)
		exec(st, "ROLLBACK");
	return ret;
}

int bdstore_bulk_add(struct bdstore *st, const struct bdstore_row *r)
{
	sqlite3_stmt *s = st->bulk;
	int rc;

	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_double(s, 2, r->risk);
	sqlite3_bind_double(s, 3, r->confidence);
	sqlite3_bind_text(s, 4, r->label == BD_LABEL_MALICIOUS ? "malicious" : "good", -1,
			  SQLITE_STATIC);
	for (int i = 0; i < BDSTORE_NSTR; i++)
		if (r->str[i])
			sqlite3_bind_text(s, 5 + i, r->str[i], r->len[i], SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 5 + i);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sqlerr(st);
}

int bdstore_bulk_end(struct bdstore *st, const struct bdindex_params *p, bool commit,
		     char *err, size_t errlen)
{
	int ret = 0;

	if (commit) {
		ret = exec(st, SEQUENCE_INDEX_SQL);
		if (!ret)
			ret = bdstore_params_set(st, p);
		if (!ret)
			ret = bdstore_commit(st);
		if (ret)
			snprintf(err, errlen, "writing the database: %s", sqlite3_errmsg(st->db));
	}
	if (!commit || ret)
		bdstore_rollback(st);
	return ret;
}

/* A row as the index takes it. A plain row goes from its column text
 * straight to token ids; only other rows pay for the JSON parser and the
 * full validation (row_entry). */
static int row_indexed(struct bdstore *st, sqlite3_stmt *s, struct tokens *tok,
		       struct bdindex_match *m)
{
	struct bdentry_name names[BDINDEX_MAX_LEN];
	size_t n = row_plain_tokens(s, names);
	struct bd_entry e;
	int ret;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->risk = sqlite3_column_double(s, 2);
	m->confidence = sqlite3_column_double(s, 3);
	m->label = col_label(s, 4);
	for (size_t k = 0; k < n; k++) {
		char name[TOKENS_NAME_MAX + 1];
		int id;

		memcpy(name, names[k].p, names[k].len);
		name[names[k].len] = '\0';
		id = tokens_intern(tok, name);
		if (id < 0)
			return id;
		m->seq[m->len++] = (token_id)id;
	}
	if (n)
		return 0;
	ret = row_entry(st, s, &e);
	if (ret)
		return ret == -ENOMEM ? ret : -EBADMSG;
	ret = bdentry_token_ids(&e, tok, m->seq);
	m->len = (uint8_t)e.len;
	bdentry_clear(&e);
	return ret;
}

int bdstore_foreach_indexed(struct bdstore *st, struct tokens *tok,
			    int (*fn)(const struct bdindex_match *m, void *arg), void *arg)
{
	struct bdindex_match m;
	sqlite3_stmt *s;
	int rc, ret = 0;

	*st->why = '\0';
	if (sqlite3_prepare_v2(st->db, SELECT_COLS " ORDER BY id", -1, &s, NULL))
		return sqlerr(st);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	       !(ret = row_indexed(st, s, tok, &m)) && !(ret = fn(&m, arg)))
		;
	/* name the row (row_entry may have said what is wrong with it) */
	if (ret && ret != -ENOMEM && !*st->why)
		snprintf(st->why, sizeof(st->why), "entry id %lld: %s",
			 (long long)sqlite3_column_int64(s, 0),
			 ret == -ERANGE ? "id out of the index's range 1..4294967295" :
			 ret == -EBADMSG ? "not a valid entry" : strerror(-ret));
	if (!ret && rc != SQLITE_DONE)
		ret = sqlerr(st);
	sqlite3_finalize(s);
	return ret;
}

int bdstore_data_version(struct bdstore *st, uint64_t *version)
{
	sqlite3_stmt *s;
	int ret = -EIO;

	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL))
		return sqlerr(st);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(s, 0);
		ret = 0;
	}
	sqlite3_finalize(s);
	return ret;
}

static int load_one(const struct bdindex_match *m, void *idx)
{
	return bdindex_add(idx, m->id, m->seq, m->len, m->risk, m->confidence, m->label);
}

int bdstore_load_index(struct bdstore *st, struct tokens *tok, struct bdindex *idx)
{
	struct bdindex_params p;
	size_t n = bdstore_count(st), ntok = n * 5;
	sqlite3_stmt *s;
	int ret;

	/* exact, so the index is sized once (0.2 s of a 1 s load at 1 M) */
	if (!sqlite3_prepare_v2(st->db, "SELECT sum(json_array_length(sequence)) FROM entries",
				-1, &s, NULL)) {
		if (sqlite3_step(s) == SQLITE_ROW)
			ntok = (size_t)sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	ret = bdindex_reserve(idx, n, ntok);
	if (!ret)
		ret = bdstore_foreach_indexed(st, tok, load_one, idx);
	if (!ret)
		ret = bdstore_params_get(st, &p);
	if (!ret)
		bdindex_params_set(idx, &p);
	return ret;
}
