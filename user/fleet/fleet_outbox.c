/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Decisions, alerts and verdict changes wait here (SQLite, synchronous
 * FULL) until the stream acknowledged them: a row is committed before the
 * agent goes on, and deleted only after JetStream's ack. Its message id is
 * the outbox's epoch and the row id, so a row republished after a crash
 * between the ack and the delete is dropped by the stream's deduplication. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fleet/fleet_internal.h"
#include "lib/log.h"
#include "lib/util.h"

int fleet_outbox_open(const char *path, sqlite3 **db, char epoch[FLEET_EPOCH_LEN], char *err,
		      size_t errlen)
{
	static const char schema[] =
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		"CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value NOT NULL);"
		"INSERT OR IGNORE INTO state VALUES('epoch', lower(hex(randomblob(8))));"
		"CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,"
		" kind INTEGER NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,"
		" kv_delete INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);";
	sqlite3_stmt *s = NULL;
	int ret = -EIO;

	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(*db, 5000);
	if (sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(*db, "SELECT value FROM state WHERE key = 'epoch'", -1, &s, NULL))
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(epoch, FLEET_EPOCH_LEN, "%s", (const char *)sqlite3_column_text(s, 0));
		ret = 0;
	}
	sqlite3_finalize(s);
	if (!ret)
		return 0;
fail:
	snprintf(err, errlen, "fleet outbox %s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
	sqlite3_close(*db);
	*db = NULL;
	return ret;
}

int fleet_outbox_put(struct fleet *f, enum fleet_kind kind, const char *subject,
		     const char *body, bool kv_delete)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(f->outbox, "INSERT INTO outbox(kind, subject, body, kv_delete,"
			       " created_ms) VALUES(?, ?, ?, ?, ?)", -1, &s, NULL))
		return -EIO;
	sqlite3_bind_int(s, 1, kind);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, kv_delete);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)(util_now_real_ns() / 1000000));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_error("fleet outbox: %s", sqlite3_errmsg(f->outbox));
		return -EIO;
	}
	atomic_fetch_add(&f->outbox_depth, 1);
	fleet_kick(f);
	return 0;
}

int64_t fleet_outbox_depth(sqlite3 *db)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox", -1, &s, NULL))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}
