/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Every change to the behavioral database is journaled by SQLite triggers
 * in the transaction that makes it, whichever process commits (the API,
 * `db add|rm|import|learn`), so a change made while the agent is down is
 * published when it starts. Changes applied from the stream set
 * fleet_state.applying inside their own transaction, which no other
 * connection ever sees, so they are not journaled back. The stream
 * sequence applied is kept in the same transaction as the change. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet_internal.h"

#define ENTRY_COLS "sequence, risk, confidence, label, origin, source, added_at, submitter"
#define NOT_APPLYING "(SELECT value FROM fleet_state WHERE key = 'applying') = 0"
#define JOURNAL(op, row) "INSERT INTO fleet_journal(op, " ENTRY_COLS ") VALUES('" op "', " \
	row ".sequence, " row ".risk, " row ".confidence, " row ".label, " row ".origin, " \
	row ".source, " row ".added_at, " row ".submitter);"

static const char journal_sql[] =
	"CREATE TABLE IF NOT EXISTS fleet_state(key TEXT PRIMARY KEY, value NOT NULL);"
	"INSERT OR IGNORE INTO fleet_state VALUES('applying', 0), ('applied_seq', 0),"
	" ('epoch', lower(hex(randomblob(8))));"
	/* AUTOINCREMENT: a batch id (its first row id) is never reused, so
	 * a message id is never either */
	"CREATE TABLE IF NOT EXISTS fleet_journal(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" op TEXT NOT NULL, sequence TEXT, risk REAL, confidence REAL, label TEXT, origin TEXT,"
	" source TEXT, added_at TEXT, submitter TEXT, batch INTEGER);"
	"CREATE INDEX IF NOT EXISTS fleet_journal_batch ON fleet_journal(batch);"
	"CREATE TRIGGER IF NOT EXISTS fleet_entry_added AFTER INSERT ON entries"
	" WHEN " NOT_APPLYING " BEGIN " JOURNAL("add", "NEW") " END;"
	"CREATE TRIGGER IF NOT EXISTS fleet_entry_removed AFTER DELETE ON entries"
	" WHEN " NOT_APPLYING " BEGIN " JOURNAL("remove", "OLD") " END;"
	"CREATE TRIGGER IF NOT EXISTS fleet_entry_changed AFTER UPDATE ON entries"
	" WHEN " NOT_APPLYING " BEGIN " JOURNAL("remove", "OLD") JOURNAL("add", "NEW") " END;"
	"CREATE TRIGGER IF NOT EXISTS fleet_params_set AFTER INSERT ON meta"
	" WHEN NEW.key IN ('unknown_logit', 'unknown_weight', 'length_norm') AND " NOT_APPLYING
	" BEGIN INSERT INTO fleet_journal(op) VALUES('params'); END;";

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int state_get(sqlite3 *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s;
	int ret = -ENOENT;

	if (sqlite3_prepare_v2(db, "SELECT value FROM fleet_state WHERE key = ?", -1, &s, NULL))
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
		ret = 0;
	}
	sqlite3_finalize(s);
	return ret;
}

int fleet_journal_setup(sqlite3 *db, char epoch[FLEET_EPOCH_LEN], char *err, size_t errlen)
{
	int ret = exec(db, "BEGIN IMMEDIATE");

	if (!ret && (ret = exec(db, journal_sql)))
		snprintf(err, errlen, "the fleet journal: %s", sqlite3_errmsg(db));
	if (!ret && (ret = state_get(db, "epoch", epoch, FLEET_EPOCH_LEN)))
		snprintf(err, errlen, "the fleet journal has no epoch");
	if (!ret)
		ret = exec(db, "COMMIT");
	else
		exec(db, "ROLLBACK");
	return ret;
}

int fleet_journal_applied(sqlite3 *db, uint64_t *seq)
{
	char v[32];
	int ret = state_get(db, "applied_seq", v, sizeof(v));

	*seq = ret ? 0 : strtoull(v, NULL, 10);
	return ret;
}

int fleet_journal_apply_begin(sqlite3 *db)
{
	return exec(db, "UPDATE fleet_state SET value = 1 WHERE key = 'applying'");
}

int fleet_journal_apply_end(sqlite3 *db, uint64_t seq)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "UPDATE fleet_state SET value = CASE key WHEN 'applying' THEN 0"
		 " ELSE %llu END WHERE key IN ('applying', 'applied_seq')", (unsigned long long)seq);
	return exec(db, sql);
}

/* Rows of the oldest unassigned changes up to FLEET_MSG_OPS operations and
 * about FLEET_MSG_TARGET bytes become one batch (numbered by its first
 * row): once assigned, a batch is republished the same after a crash, so
 * its message id deduplicates. */
static int assign(sqlite3 *db, int64_t *batch)
{
	sqlite3_stmt *s = NULL;
	int64_t first = 0, last = 0, bytes = 0;
	char sql[160];
	int n = 0, ret;

	if (exec(db, "BEGIN IMMEDIATE"))
		return -EIO;
	ret = sqlite3_prepare_v2(db, "SELECT id, 64 + length(sequence) + ifnull(length(origin), 0)"
				 " + ifnull(length(source), 0) + ifnull(length(submitter), 0)"
				 " FROM fleet_journal WHERE batch IS NULL ORDER BY id LIMIT ?",
				 -1, &s, NULL) ? -EIO : 0;
	if (!ret) {
		sqlite3_bind_int(s, 1, FLEET_MSG_OPS);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int64_t size = sqlite3_column_int64(s, 1);

			if (n && bytes + size > FLEET_MSG_TARGET)
				break;
			if (!n)
				first = sqlite3_column_int64(s, 0);
			last = sqlite3_column_int64(s, 0);
			bytes += size;
			n++;
		}
		sqlite3_finalize(s);
	}
	if (!ret && !n)
		ret = -ENOENT;
	if (!ret) {
		snprintf(sql, sizeof(sql), "UPDATE fleet_journal SET batch = %lld WHERE id BETWEEN"
			 " %lld AND %lld", (long long)first, (long long)first, (long long)last);
		ret = exec(db, sql);
	}
	if (!ret && !(ret = exec(db, "COMMIT")))
		*batch = first;
	else
		exec(db, "ROLLBACK");
	return ret;
}

static int params_now(sqlite3 *db, struct bdindex_params *p)
{
	sqlite3_stmt *s;
	int ret = 0;

	p->unknown_logit = p->unknown_weight = 0;
	p->length_norm = BDINDEX_LENGTH_NORM;
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key IN ('unknown_logit',"
			       " 'unknown_weight', 'length_norm')", -1, &s, NULL))
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		double v = strtod((const char *)sqlite3_column_text(s, 1), NULL);

		*(!strcmp(k, "unknown_logit") ? &p->unknown_logit :
		  !strcmp(k, "unknown_weight") ? &p->unknown_weight : &p->length_norm) = v;
	}
	sqlite3_finalize(s);
	if (!bdindex_params_valid(p))
		ret = -EINVAL;
	return ret;
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* A journal row as an operation; NULL for a row no host could apply (the
 * store's own checks make that a hand-edited database). */
static json_t *row_op(sqlite3 *db, sqlite3_stmt *s, bool *params_done)
{
	const char *op = col(s, 0);
	json_t *seq, *o, *res;
	struct bd_entry e;
	char err[256];

	if (!strcmp(op, "params")) {
		struct bdindex_params p;

		/* one operation with the values now, for the three rows a change writes */
		if (*params_done || params_now(db, &p))
			return NULL;
		*params_done = true;
		return fleet_op_json(FLEET_OP_PARAMS, NULL, &p);
	}
	seq = json_loads(col(s, 1) ? col(s, 1) : "", 0, NULL);
	o = json_pack("{s:o*, s:f, s:f, s:s*, s:o*, s:s*, s:s*, s:s*}", "sequence", seq,
		      "risk_score", sqlite3_column_double(s, 2),
		      "confidence", sqlite3_column_double(s, 3), "label", col(s, 4),
		      "origin", col(s, 5) ? json_loads(col(s, 5), 0, NULL) : NULL,
		      "source", col(s, 6), "added_at", col(s, 7), "submitter", col(s, 8));
	if (!o || bdentry_from_json(o, BDENTRY_SUBMISSION, "journal", &e, err, sizeof(err))) {
		json_decref(o);
		return NULL;
	}
	json_decref(o);
	res = fleet_op_json(!strcmp(op, "add") ? FLEET_OP_ADD : FLEET_OP_REMOVE, &e, NULL);
	bdentry_clear(&e);
	return res;
}

int fleet_journal_next(sqlite3 *db, int64_t *batch, json_t **ops)
{
	sqlite3_stmt *s;
	bool params_done = false;
	int ret = 0;

	*ops = NULL;
	if (sqlite3_prepare_v2(db, "SELECT min(batch) FROM fleet_journal", -1, &s, NULL))
		return -EIO;
	*batch = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL ?
		 sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (!*batch && (ret = assign(db, batch)))
		return ret;
	if (sqlite3_prepare_v2(db, "SELECT op, " ENTRY_COLS " FROM fleet_journal WHERE batch = ?"
			       " ORDER BY id", -1, &s, NULL))
		return -EIO;
	sqlite3_bind_int64(s, 1, *batch);
	*ops = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *op = row_op(db, s, &params_done);

		if (op)
			json_array_append_new(*ops, op);
	}
	sqlite3_finalize(s);
	return 0;
}

int fleet_journal_done(sqlite3 *db, int64_t batch)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "DELETE FROM fleet_journal WHERE batch = %lld", (long long)batch);
	return exec(db, sql);
}

int64_t fleet_journal_depth(sqlite3 *db)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM fleet_journal", -1, &s, NULL))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}
