/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Decisions in SQLite: WAL with synchronous=NORMAL by default. A commit
 * reaches the WAL file through write() before put() returns, so a kill -9
 * of the agent loses nothing; FULL adds an fsync per decision for power
 * loss. Writer and readers use separate connections so API reads never wait
 * for a write transaction; each connection is serialised by its own mutex. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "decision/decision_store.h"
#include "lib/log.h"
#include "lib/safeopen.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/jsonout.h"

struct conn {
	sqlite3 *db;
	pthread_mutex_t lock;
	bool guarded; /* safeopen.h: open, its locks held */
};

struct decision_store {
	struct conn w, r;
	sqlite3_stmt *insert, *get, *query, *count, *ping;
	char *log_path;
	int log_fd;
	int log_failing; /* warn once per run of failed appends */
};

int decision_level_parse(const char *s)
{
	for (int i = 0; i < DECISION_LEVELS; i++)
		if (s && !strcmp(s, verdict_level_name(i)))
			return i;
	return -EINVAL;
}

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS decisions("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time_ns INTEGER NOT NULL,"
	" level INTEGER NOT NULL,"
	" risk REAL NOT NULL,"
	" pid INTEGER NOT NULL,"
	" comm TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" body TEXT NOT NULL);"
	/* the rowid rides in every index, so this one serves
	 * ORDER BY time_ns DESC, id DESC and the (time_ns, id) cursor */
	"CREATE INDEX IF NOT EXISTS decisions_time ON decisions(time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_level ON decisions(level);";

/* The attribution an analyst filters on, in columns of their own (added
 * to a database an older version made). NULL when the decision has none. */
static const struct {
	const char *column, *type, *member; /* member of the decision's "process" */
} filter_columns[] = {
	{ "exe", "TEXT", "exe" },
	{ "container_id", "TEXT", "container_id" },
	{ "pod_uid", "TEXT", "pod_uid" },
	{ "unit", "TEXT", "unit" },
	{ "uid", "INTEGER", "uid" },
};
/* each filter is an index with time: the newest matches come first */
static const char index_sql[] =
	"CREATE INDEX IF NOT EXISTS decisions_exe ON decisions(exe, time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_container ON decisions(container_id, time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_pod ON decisions(pod_uid, time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_unit ON decisions(unit, time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_uid ON decisions(uid, time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_path ON decisions(path, time_ns);"
	"CREATE INDEX IF NOT EXISTS decisions_level_time ON decisions(level, time_ns);";

static int add_filter_columns(sqlite3 *db)
{
	for (size_t i = 0; i < ARRAY_SIZE(filter_columns); i++) {
		char sql[160];

		if (sqlite3_table_column_metadata(db, NULL, "decisions", filter_columns[i].column,
						  NULL, NULL, NULL, NULL, NULL) == SQLITE_OK)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE decisions ADD COLUMN %s %s",
			 filter_columns[i].column, filter_columns[i].type);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -EIO;
	}
	return sqlite3_exec(db, index_sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* ---- validation ---------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, const char *field)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, field);
	return -EINVAL;
}

static int check_unit(const json_t *v, int nullable)
{
	double d;

	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	return d >= 0.0 && d <= 1.0 ? 0 : -1;
}

static int check_string(const json_t *d, const char *key, char *err, size_t errlen)
{
	const json_t *v = json_object_get(d, key);

	if (!v)
		return fail(err, errlen, "missing required field '%s'", key);
	if (!json_is_string(v))
		return fail(err, errlen, "field '%s' must be a string", key);
	return 0;
}

int decision_validate(const json_t *d, char *err, size_t errlen)
{
	static const char *const strings[] = { "time", "verdict_point", "comm", "path",
					       "level", "action", "backend" };
	static const char *const comps[] = { "sequence", "source", "dcam" };
	const json_t *v, *c;
	int64_t ns;
	int ret;

	if (!json_is_object(d))
		return fail(err, errlen, "a decision must be a JSON object%s", "");
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if ((ret = check_string(d, strings[i], err, errlen)))
			return ret;
	if (timefmt_parse_rfc3339(json_string_value(json_object_get(d, "time")), &ns))
		return fail(err, errlen, "field '%s' must be an RFC 3339 time", "time");
	v = json_object_get(d, "verdict_point");
	if (strcmp(json_string_value(v), "gate") && strcmp(json_string_value(v), "return") &&
	    strcmp(json_string_value(v), "window"))
		return fail(err, errlen, "field '%s' must be gate, return or window", "verdict_point");
	if (decision_level_parse(json_string_value(json_object_get(d, "level"))) < 0)
		return fail(err, errlen, "field '%s' must be low, medium or high", "level");
	if (!json_string_length(json_object_get(d, "action")))
		return fail(err, errlen, "field '%s' must not be empty", "action");
	if (!json_string_length(json_object_get(d, "backend")))
		return fail(err, errlen, "field '%s' must not be empty", "backend");
	v = json_object_get(d, "pid");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(err, errlen, "field '%s' must be a non-negative integer", "pid");
	if (check_unit(json_object_get(d, "risk"), 0))
		return fail(err, errlen, "field '%s' must be a number in 0..1", "risk");
	c = json_object_get(d, "components");
	if (!json_is_object(c))
		return fail(err, errlen, "field '%s' must be an object", "components");
	for (size_t i = 0; i < 3; i++) {
		v = json_object_get(c, comps[i]);
		if (!v || check_unit(v, 1))
			return fail(err, errlen, "components.%s must be a number in 0..1 or null",
				    comps[i]);
	}
	v = json_object_get(d, "sha256");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) || json_string_length(v) != 64 ||
	     strspn(json_string_value(v), "0123456789abcdef") != 64))
		return fail(err, errlen, "field '%s' must be 64 lowercase hex digits or null", "sha256");
	return 0;
}

/* ---- open / close -------------------------------------------------------- */

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_PERM: case SQLITE_READONLY: case SQLITE_AUTH: return -EACCES;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_FULL: return -ENOSPC;
	default: return -EIO;
	}
}

static int conn_open(struct conn *c, const char *path, int flags, const char *pragmas,
		     char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	char *msg = NULL;

	pthread_mutex_init(&c->lock, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(c->db, 5000);
		rc = sqlite3_exec(c->db, pragmas, NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 msg ? msg : c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return sqlite_errno(rc);
	}
	c->guarded = true;
	safeopen_guard_db(sqlite3_db_filename(c->db, "main"));
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->guarded)
		safeopen_unguard_db(sqlite3_db_filename(c->db, "main"));
	c->guarded = false;
	if (c->db)
		sqlite3_close(c->db);
	c->db = NULL;
	pthread_mutex_destroy(&c->lock);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "preparing statement: %s", sqlite3_errmsg(db));
		return sqlite_errno(rc);
	}
	return 0;
}

static int open_log(struct decision_store *s)
{
	int fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = fd;
	return 0;
}

/* Decisions name users' processes, files and command lines: the database
 * is the owner's only (SQLite gives its -wal and -shm the same mode), and
 * a database an older version left readable by others is tightened. */
static int make_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct stat st;
	int ret = 0;

	if (fd < 0 || fstat(fd, &st) || ((st.st_mode & 077) && fchmod(fd, st.st_mode & 0700)))
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

int decision_store_open(const char *path, const struct decision_store_opts *opts,
			struct decision_store **out, char *err, size_t errlen)
{
	struct decision_store *s;
	char pragmas[160];
	int ro = opts && opts->read_only;
	int ret;

	if (ro && access(path, F_OK)) {
		snprintf(err, errlen, "%s: no decision database there", path);
		return -ENOENT;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->log_fd = -1;
	if (!ro && (ret = make_private(path, err, errlen)))
		goto fail;
	if (!ro) {
		snprintf(pragmas, sizeof(pragmas),
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;",
			 opts && opts->sync_full ? "FULL" : "NORMAL");
		ret = conn_open(&s->w, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				pragmas, err, errlen);
		if (!ret && (sqlite3_exec(s->w.db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
			     add_filter_columns(s->w.db))) {
			snprintf(err, errlen, "%s: creating tables: %s", path, sqlite3_errmsg(s->w.db));
			ret = -EIO;
		}
		if (!ret)
			ret = prepare(s->w.db,
				      "INSERT INTO decisions(time_ns, level, risk, pid, comm, path,"
				      " action, body, exe, container_id, pod_uid, unit, uid)"
				      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
				      &s->insert, err, errlen);
		if (ret)
			goto fail;
	}
	ret = conn_open(&s->r, path, ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, "",
			err, errlen);
	if (!ret && ro &&
	    sqlite3_table_column_metadata(s->r.db, NULL, "decisions", "id", NULL, NULL, NULL,
					  NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: no decisions stored there yet (no decisions table)", path);
		ret = -ENOENT;
	}
	if (!ret)
		ret = prepare(s->r.db, "SELECT body FROM decisions WHERE id = ?", &s->get, err,
			      errlen);
	if (!ret)
		ret = prepare(s->r.db,
			      "SELECT id, time_ns, body FROM decisions"
			      " WHERE time_ns >= ?1 AND level >= ?2 AND (time_ns, id) < (?3, ?4)"
			      " ORDER BY time_ns DESC, id DESC LIMIT ?5",
			      &s->query, err, errlen);
	if (!ret)
		ret = prepare(s->r.db, "SELECT level, count(*) FROM decisions GROUP BY level",
			      &s->count, err, errlen);
	if (!ret) /* reads the table's last page: O(log n) */
		ret = prepare(s->r.db, "SELECT max(id) FROM decisions", &s->ping, err, errlen);
	if (ret)
		goto fail;
	if (!ro && opts && opts->decision_log && *opts->decision_log) {
		s->log_path = strdup(opts->decision_log);
		if (!s->log_path) {
			ret = -ENOMEM;
			goto fail;
		}
		ret = open_log(s);
		if (ret) {
			snprintf(err, errlen, "%s: %s", s->log_path, strerror(-ret));
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	decision_store_close(s);
	return ret;
}

void decision_store_close(struct decision_store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->insert);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->query);
	sqlite3_finalize(s->count);
	sqlite3_finalize(s->ping);
	if (s->w.db)
		conn_close(&s->w);
	if (s->r.db)
		conn_close(&s->r);
	if (s->log_fd >= 0)
		close(s->log_fd);
	free(s->log_path);
	free(s);
}

/* One statement's worth of one level's deletions, at most PRUNE_BATCH rows
 * a transaction (a write lock of milliseconds, not of the whole backlog). */
#define PRUNE_BATCH 5000

static int prune_batches(struct decision_store *s, const char *sql, int level, int64_t arg,
			 int64_t *deleted)
{
	sqlite3_stmt *st;
	int rc, changed;

	pthread_mutex_lock(&s->w.lock);
	rc = sqlite3_prepare_v2(s->w.db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		pthread_mutex_unlock(&s->w.lock);
		return sqlite_errno(rc);
	}
	do {
		sqlite3_bind_int(st, 1, level);
		sqlite3_bind_int64(st, 2, arg);
		sqlite3_bind_int(st, 3, PRUNE_BATCH);
		rc = sqlite3_step(st);
		changed = sqlite3_changes(s->w.db);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			*deleted += changed;
		/* let a waiting decision_store_put in between batches */
		pthread_mutex_unlock(&s->w.lock);
		pthread_mutex_lock(&s->w.lock);
	} while (rc == SQLITE_DONE && changed == PRUNE_BATCH);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->w.lock);
	return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int decision_store_prune(struct decision_store *s, const struct decision_retention *r,
			 int64_t now_ns, int64_t deleted[DECISION_LEVELS])
{
	int64_t gone[DECISION_LEVELS] = { 0 };
	int ret = 0;

	if (!s->insert)
		return -EROFS;
	for (int l = 0; l < DECISION_LEVELS && !ret; l++) {
		if (r->max_age_ns[l] > 0)
			ret = prune_batches(s, "DELETE FROM decisions WHERE id IN (SELECT id FROM"
					    " decisions WHERE level = ?1 AND time_ns < ?2 LIMIT ?3)",
					    l, now_ns - r->max_age_ns[l], &gone[l]);
		/* the newest max_count stay: everything below the count-th id goes */
		if (!ret && r->max_count[l] > 0)
			ret = prune_batches(s, "DELETE FROM decisions WHERE id IN (SELECT id FROM"
					    " decisions WHERE level = ?1 AND id < (SELECT id FROM"
					    " decisions WHERE level = ?1 ORDER BY id DESC LIMIT 1"
					    " OFFSET ?2 - 1) LIMIT ?3)", l, r->max_count[l], &gone[l]);
	}
	if (deleted)
		memcpy(deleted, gone, sizeof(gone));
	return ret;
}

int decision_store_reopen_log(struct decision_store *s)
{
	int ret;

	if (!s->log_path)
		return 0;
	pthread_mutex_lock(&s->w.lock);
	ret = open_log(s);
	pthread_mutex_unlock(&s->w.lock);
	return ret;
}

/* ---- write --------------------------------------------------------------- */

static void append_log(struct decision_store *s, const json_t *d)
{
	char *line = json_dumps(d, JSONOUT_FLAGS);
	size_t len, off = 0;

	if (!line)
		return;
	len = strlen(line);
	line[len++] = '\n'; /* replaces the NUL: one write() keeps lines whole */
	while (off < len) {
		ssize_t n = write(s->log_fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!s->log_failing)
				log_warn("decision log %s: %s", s->log_path, strerror(errno));
			s->log_failing = 1;
			break;
		}
		off += n;
	}
	if (off == len)
		s->log_failing = 0;
	free(line);
}

/* The filter columns from the decision's "process" (NULL when absent). */
static void bind_attribution(sqlite3_stmt *st, int first, const json_t *process)
{
	for (size_t i = 0; i < ARRAY_SIZE(filter_columns); i++) {
		const json_t *v = json_object_get(process, filter_columns[i].member);

		if (json_is_string(v))
			sqlite3_bind_text(st, first + (int)i, json_string_value(v), -1, SQLITE_STATIC);
		else if (json_is_integer(v))
			sqlite3_bind_int64(st, first + (int)i, json_integer_value(v));
		else
			sqlite3_bind_null(st, first + (int)i);
	}
}

int decision_store_put(struct decision_store *s, json_t *d, int64_t *id, char *err,
		       size_t errlen)
{
	int64_t ns, rowid;
	char *body;
	int rc, ret;

	if (!s->insert)
		return fail(err, errlen, "decision store opened read-only%s", "");
	json_object_del(d, "id");
	ret = decision_validate(d, err, errlen);
	if (ret)
		return ret;
	timefmt_parse_rfc3339(json_string_value(json_object_get(d, "time")), &ns);
	body = json_dumps(d, JSONOUT_FLAGS);
	if (!body)
		return -ENOMEM;
	pthread_mutex_lock(&s->w.lock);
	sqlite3_bind_int64(s->insert, 1, ns);
	sqlite3_bind_int(s->insert, 2, decision_level_parse(json_string_value(json_object_get(d, "level"))));
	sqlite3_bind_double(s->insert, 3, json_number_value(json_object_get(d, "risk")));
	sqlite3_bind_int64(s->insert, 4, json_integer_value(json_object_get(d, "pid")));
	sqlite3_bind_text(s->insert, 5, json_string_value(json_object_get(d, "comm")), -1, SQLITE_STATIC);
	sqlite3_bind_text(s->insert, 6, json_string_value(json_object_get(d, "path")), -1, SQLITE_STATIC);
	sqlite3_bind_text(s->insert, 7, json_string_value(json_object_get(d, "action")), -1, SQLITE_STATIC);
	sqlite3_bind_text(s->insert, 8, body, -1, SQLITE_STATIC);
	bind_attribution(s->insert, 9, json_object_get(d, "process"));
	rc = sqlite3_step(s->insert);
	rowid = sqlite3_last_insert_rowid(s->w.db);
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "storing decision: %s", sqlite3_errmsg(s->w.db));
	sqlite3_reset(s->insert);
	sqlite3_clear_bindings(s->insert);
	if (rc == SQLITE_DONE) {
		json_object_set_new(d, "id", json_integer(rowid));
		if (s->log_fd >= 0)
			append_log(s, d);
	}
	pthread_mutex_unlock(&s->w.lock);
	free(body);
	if (rc != SQLITE_DONE)
		return sqlite_errno(rc);
	if (id)
		*id = rowid;
	return 0;
}

static int sink_record(void *ctx, json_t *d, int64_t *id, char *err, size_t errlen)
{
	return decision_store_put(ctx, d, id, err, errlen);
}

struct decision_sink decision_store_sink(struct decision_store *s)
{
	return (struct decision_sink){ .record = sink_record, .ctx = s };
}

/* ---- read ---------------------------------------------------------------- */

/* The stored body with "id" first, as the API's spliced text has it. */
static json_t *with_id(json_t *body, int64_t id)
{
	json_t *d = body ? json_pack("{s:I}", "id", (json_int_t)id) : NULL;

	if (d && json_object_update(d, body)) {
		json_decref(d);
		d = NULL;
	}
	json_decref(body);
	return d;
}

static json_t *row_decision(sqlite3_stmt *st, int body_col, int64_t id)
{
	return with_id(json_loads((const char *)sqlite3_column_text(st, body_col), 0, NULL), id);
}

int decision_store_get(struct decision_store *s, int64_t id, json_t **out)
{
	int rc, ret = -ENOENT;

	pthread_mutex_lock(&s->r.lock);
	sqlite3_bind_int64(s->get, 1, id);
	rc = sqlite3_step(s->get);
	if (rc == SQLITE_ROW) {
		*out = row_decision(s->get, 0, id);
		ret = *out ? 0 : -EIO;
	} else if (rc != SQLITE_DONE) {
		ret = sqlite_errno(rc);
	}
	sqlite3_reset(s->get);
	pthread_mutex_unlock(&s->r.lock);
	return ret;
}

/* Steps the query, calling row(ctx, id, body text) per decision. */
static bool has_filters(const struct decision_query *q)
{
	return q->container || q->exe || q->unit || q->pod || q->object || q->uid_set;
}

static bool is_glob(const char *v)
{
	return strpbrk(v, "*?[") != NULL;
}

/* The page's statement: the prepared one, or one built for the filters
 * (parameters ?1..?5 as the prepared one, then the filter values). */
static int query_stmt(struct decision_store *s, const struct decision_query *q,
		      sqlite3_stmt **st, bool *owned)
{
	const struct { const char *col, *v; bool prefix; } f[] = {
		{ "container_id", q->container, true }, { "exe", q->exe, false },
		{ "unit", q->unit, false }, { "pod_uid", q->pod, false },
		{ "path", q->object, false },
	};
	char sql[1024];
	size_t n;
	int p = 6, rc;

	*owned = false;
	*st = s->query;
	if (!has_filters(q))
		return 0;
	n = snprintf(sql, sizeof(sql), "SELECT id, time_ns, body FROM decisions"
		     " WHERE time_ns >= ?1 AND level >= ?2 AND (time_ns, id) < (?3, ?4)");
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (f[i].v)
			n += snprintf(sql + n, sizeof(sql) - n, " AND %s %s ?%d", f[i].col,
				      is_glob(f[i].v) || f[i].prefix ? "GLOB" : "=", p++);
	if (q->uid_set)
		n += snprintf(sql + n, sizeof(sql) - n, " AND uid = ?%d", p++);
	snprintf(sql + n, sizeof(sql) - n, " ORDER BY time_ns DESC, id DESC LIMIT ?5");
	rc = sqlite3_prepare_v2(s->r.db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return rc == SQLITE_ERROR ? -ENOTSUP : sqlite_errno(rc);
	*owned = true;
	p = 6;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		char *v;

		if (!f[i].v)
			continue;
		/* a container id prefix (docker ps's 12 digits) matches the id */
		v = f[i].prefix && !is_glob(f[i].v) ? sqlite3_mprintf("%s*", f[i].v)
						    : sqlite3_mprintf("%s", f[i].v);
		sqlite3_bind_text(*st, p++, v, -1, sqlite3_free);
	}
	if (q->uid_set)
		sqlite3_bind_int64(*st, p++, q->uid);
	return 0;
}

/* Steps the query, calling row(ctx, id, body text) per decision. */
static int query_rows(struct decision_store *s, const struct decision_query *q,
		      int (*row)(void *ctx, int64_t id, const char *body, int len), void *ctx,
		      char next_cursor[DECISION_CURSOR_LEN])
{
	int64_t ct = INT64_MAX, cid = INT64_MAX, last_t = 0, last_id = 0;
	unsigned n = 0, limit = q->limit;
	sqlite3_stmt *st;
	bool owned;
	int rc, ret = 0;

	if (limit < 1 || limit > DECISION_QUERY_MAX || q->min_level < 0 ||
	    q->min_level >= DECISION_LEVELS)
		return -EINVAL;
	if (q->cursor && *q->cursor) {
		char tail;

		if (sscanf(q->cursor, "%" SCNd64 "-%" SCNd64 "%c", &ct, &cid, &tail) != 2)
			return -EINVAL;
	}
	pthread_mutex_lock(&s->r.lock);
	ret = query_stmt(s, q, &st, &owned);
	if (ret) {
		pthread_mutex_unlock(&s->r.lock);
		return ret;
	}
	sqlite3_bind_int64(st, 1, q->since_ns);
	sqlite3_bind_int(st, 2, q->min_level);
	sqlite3_bind_int64(st, 3, ct);
	sqlite3_bind_int64(st, 4, cid);
	sqlite3_bind_int64(st, 5, limit);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		last_id = sqlite3_column_int64(st, 0);
		last_t = sqlite3_column_int64(st, 1);
		ret = row(ctx, last_id, (const char *)sqlite3_column_text(st, 2),
			  sqlite3_column_bytes(st, 2));
		n++;
	}
	if (owned)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
	pthread_mutex_unlock(&s->r.lock);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return sqlite_errno(rc);
	next_cursor[0] = '\0';
	if (n == limit)
		snprintf(next_cursor, DECISION_CURSOR_LEN, "%" PRId64 "-%" PRId64, last_t, last_id);
	return 0;
}

static int row_to_array(void *ctx, int64_t id, const char *body, int len)
{
	json_t *d = with_id(json_loadb(body, len, 0, NULL), id);

	if (!d)
		return -EIO;
	return json_array_append_new(ctx, d) ? -ENOMEM : 0;
}

int decision_store_query(struct decision_store *s, const struct decision_query *q,
			 json_t **out, char next_cursor[DECISION_CURSOR_LEN])
{
	json_t *arr = json_array();
	int ret;

	if (!arr)
		return -ENOMEM;
	ret = query_rows(s, q, row_to_array, arr, next_cursor);
	if (ret) {
		json_decref(arr);
		return ret;
	}
	*out = arr;
	return 0;
}

struct text_ctx {
	FILE *f;
	int n;
};

static int row_to_text(void *ctx, int64_t id, const char *body, int len)
{
	struct text_ctx *t = ctx;

	/* stored bodies are JSON objects without "id": splice it in front */
	if (len < 2 || body[0] != '{')
		return -EIO;
	fprintf(t->f, "%s{\"id\":%" PRId64 "%s", t->n++ ? "," : "", id, len > 2 ? "," : "");
	fwrite(body + 1, 1, len - 1, t->f);
	return ferror(t->f) ? -ENOMEM : 0;
}

int decision_store_query_text(struct decision_store *s, const struct decision_query *q,
			      char **text, size_t *len, char next_cursor[DECISION_CURSOR_LEN])
{
	struct text_ctx t = { .f = open_memstream(text, len) };
	int ret;

	if (!t.f)
		return -ENOMEM;
	fputc('[', t.f);
	ret = query_rows(s, q, row_to_text, &t, next_cursor);
	fputc(']', t.f);
	if (fclose(t.f) && !ret)
		ret = -ENOMEM;
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

int decision_store_ping(struct decision_store *s)
{
	int rc;

	pthread_mutex_lock(&s->r.lock);
	rc = sqlite3_step(s->ping);
	sqlite3_reset(s->ping);
	pthread_mutex_unlock(&s->r.lock);
	return rc == SQLITE_ROW ? 0 : sqlite_errno(rc);
}

int decision_store_count(struct decision_store *s, int64_t counts[DECISION_LEVELS])
{
	int rc;

	memset(counts, 0, sizeof(int64_t) * DECISION_LEVELS);
	pthread_mutex_lock(&s->r.lock);
	while ((rc = sqlite3_step(s->count)) == SQLITE_ROW) {
		int lvl = sqlite3_column_int(s->count, 0);

		if (lvl >= 0 && lvl < DECISION_LEVELS)
			counts[lvl] = sqlite3_column_int64(s->count, 1);
	}
	sqlite3_reset(s->count);
	pthread_mutex_unlock(&s->r.lock);
	return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}
