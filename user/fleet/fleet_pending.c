/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A pending entry is kept as the JSON it came in (confidence already
 * capped) with who sent it and why it waits: approving submits exactly
 * that through bd_submit, so it is validated again and keeps its
 * provenance; in fleet mode the journal then publishes it like any other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include "behaviors/bd.h"
#include "fleet/fleet_pending.h"
#include "lib/timefmt.h"
#include "lib/util.h"

int fleet_pending_setup(struct bdstore *st)
{
	return sqlite3_exec(bdstore_sqlite(st), "CREATE TABLE IF NOT EXISTS pending("
			    "id INTEGER PRIMARY KEY AUTOINCREMENT, submitter TEXT NOT NULL,"
			    " received_at TEXT NOT NULL, reason TEXT NOT NULL, entry TEXT NOT NULL)",
			    NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int fleet_pending_add(struct bdstore *st, const char *submitter, const json_t *held, json_t **ids)
{
	sqlite3 *db = bdstore_sqlite(st);
	sqlite3_stmt *s = NULL;
	char when[TIMEFMT_RFC3339_LEN];
	json_t *it;
	size_t i;
	int ret;

	if (ids)
		*ids = json_array();
	if (!json_array_size(held))
		return 0;
	timefmt_format_rfc3339((int64_t)util_now_real_ns(), when, sizeof(when));
	ret = bdstore_begin(st);
	if (!ret && sqlite3_prepare_v2(db, "INSERT INTO pending(submitter, received_at, reason, entry)"
				       " VALUES(?, ?, ?, ?)", -1, &s, NULL))
		ret = -EIO;
	json_array_foreach(held, i, it) {
		char *entry = json_dumps(json_object_get(it, "entry"), JSON_COMPACT);

		if (ret || !entry) {
			free(entry);
			ret = ret ? ret : -ENOMEM;
			break;
		}
		sqlite3_bind_text(s, 1, submitter, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, when, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, json_string_value(json_object_get(it, "reason")), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, entry, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE)
			ret = -EIO;
		else if (ids)
			json_array_append_new(*ids, json_integer(sqlite3_last_insert_rowid(db)));
		sqlite3_reset(s);
		free(entry);
	}
	sqlite3_finalize(s);
	if (!ret)
		ret = bdstore_commit(st);
	if (ret) {
		bdstore_rollback(st);
		if (ids) {
			json_decref(*ids);
			*ids = NULL;
		}
	}
	return ret;
}

int fleet_pending_list(struct bdstore *st, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = json_array();
	if (sqlite3_prepare_v2(bdstore_sqlite(st), "SELECT id, submitter, received_at, reason, entry"
			       " FROM pending ORDER BY id", -1, &s, NULL))
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(*out, json_pack("{s:I, s:s, s:s, s:s, s:o?}",
			"id", (json_int_t)sqlite3_column_int64(s, 0),
			"submitter", (const char *)sqlite3_column_text(s, 1),
			"received_at", (const char *)sqlite3_column_text(s, 2),
			"reason", (const char *)sqlite3_column_text(s, 3),
			"entry", json_loads((const char *)sqlite3_column_text(s, 4), 0, NULL)));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The pending row id as a submission {submitter, entries: [entry]}. */
static int load(struct bdstore *st, int64_t id, json_t **sub)
{
	sqlite3_stmt *s;
	int ret = -ENOENT;

	if (sqlite3_prepare_v2(bdstore_sqlite(st), "SELECT submitter, entry FROM pending WHERE id = ?",
			       -1, &s, NULL))
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*sub = json_pack("{s:s, s:[o?]}", "submitter", (const char *)sqlite3_column_text(s, 0),
				 "entries", json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL));
		ret = *sub ? 0 : -ENOMEM;
	}
	sqlite3_finalize(s);
	return ret;
}

int fleet_pending_reject(struct bdstore *st, int64_t id)
{
	sqlite3 *db = bdstore_sqlite(st);
	char sql[64];

	snprintf(sql, sizeof(sql), "DELETE FROM pending WHERE id = %lld", (long long)id);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	return sqlite3_changes(db) ? 0 : -ENOENT;
}

int fleet_pending_approve(struct bdstore *st, struct bdindex *idx, struct tokens *tok, int64_t id,
			  json_t **result, char *err, size_t errlen)
{
	json_t *sub = NULL;
	int ret = load(st, id, &sub);

	if (ret) {
		snprintf(err, errlen, ret == -ENOENT ? "no pending entry %lld" :
			 "cannot read pending entry %lld", (long long)id);
		return ret;
	}
	ret = bd_submit(st, idx, tok, sub, result, err, errlen);
	json_decref(sub);
	/* stored (or refused as invalid, which no approval can change): done */
	if (!ret || ret == -EINVAL)
		fleet_pending_reject(st, id);
	return ret;
}
