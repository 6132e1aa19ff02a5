/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The outbox is the source of truth: an alert is committed there before
 * enqueue returns, and deleted only after the endpoint answered 2xx. The
 * worker has its own SQLite connection (WAL lets both work at once) and
 * waits on a condition variable, so enqueue never blocks on the network. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/log.h"
#include "lib/safeopen.h"
#include "lib/util.h"
#include "respond/webhook.h"
#include "lib/jsonout.h"

#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define POST_TIMEOUT_MS 5000

struct webhook {
	char *url;
	char *outbox;
	sqlite3 *db;         /* enqueue's connection */
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool kicked;         /* an alert was enqueued since the worker last looked */
	uint64_t linger_until_ms;
	atomic_ulong delivered;
};

static uint64_t now_ms(void)
{
	return util_now_real_ns() / 1000000;
}

static int open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	static const char *const schema =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=FULL;"
		"CREATE TABLE IF NOT EXISTS outbox ("
		" id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, body TEXT NOT NULL,"
		" attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL DEFAULT 0,"
		" last_error TEXT);";
	char *msg = NULL;

	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "outbox %s: %s", path, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		*db = NULL;
		return -EIO;
	}
	sqlite3_busy_timeout(*db, 5000);
	if (sqlite3_exec(*db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "outbox %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(*db);
		*db = NULL;
		return -EIO;
	}
	safeopen_guard_db(sqlite3_db_filename(*db, "main"));
	return 0;
}

static void close_db(sqlite3 *db)
{
	safeopen_unguard_db(sqlite3_db_filename(db, "main"));
	sqlite3_close(db);
}

static size_t discard_body(void *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* One POST; 0 on a 2xx answer, else -1 with why in err. */
static int post(CURL *curl, const char *url, const char *body, char *err, size_t errlen)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	long code = 0;
	CURLcode rc;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)POST_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bpf-profiler/" BPFPROF_VERSION);
	rc = curl_easy_perform(curl);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(err, errlen, "HTTP %ld", code);
		return -1;
	}
	return 0;
}

/* Delivers every due alert once; returns ms until the next one is due
 * (or -1 when the outbox is empty). */
static long deliver_due(struct webhook *wh, sqlite3 *db, CURL *curl)
{
	sqlite3_stmt *sel = NULL, *del = NULL, *retry = NULL, *next = NULL;
	long wait = -1;

	sqlite3_prepare_v2(db, "SELECT id, body, attempts FROM outbox WHERE next_ms <= ? ORDER BY id",
			   -1, &sel, NULL);
	sqlite3_prepare_v2(db, "DELETE FROM outbox WHERE id = ?", -1, &del, NULL);
	sqlite3_prepare_v2(db, "UPDATE outbox SET attempts = ?, next_ms = ?, last_error = ? WHERE id = ?",
			   -1, &retry, NULL);
	sqlite3_prepare_v2(db, "SELECT MIN(next_ms) FROM outbox", -1, &next, NULL);
	sqlite3_bind_int64(sel, 1, (sqlite3_int64)now_ms());
	while (sel && sqlite3_step(sel) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(sel, 0);
		int attempts = sqlite3_column_int(sel, 2) + 1;
		char err[256];

		if (!post(curl, wh->url, (const char *)sqlite3_column_text(sel, 1), err, sizeof(err))) {
			sqlite3_bind_int64(del, 1, id);
			sqlite3_step(del);
			sqlite3_reset(del);
			atomic_fetch_add(&wh->delivered, 1);
			continue;
		}
		{
			uint64_t backoff = (uint64_t)BACKOFF_FIRST_MS << (attempts < 20 ? attempts - 1 : 19);

			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
			sqlite3_bind_int(retry, 1, attempts);
			sqlite3_bind_int64(retry, 2, (sqlite3_int64)(now_ms() + backoff));
			sqlite3_bind_text(retry, 3, err, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(retry, 4, id);
			sqlite3_step(retry);
			sqlite3_reset(retry);
			if (attempts == 1 || attempts % 10 == 0)
				log_warn("webhook %s: %s (attempt %d, next in %llu ms; the alert waits in the outbox)",
					 wh->url, err, attempts, (unsigned long long)backoff);
		}
	}
	if (next && sqlite3_step(next) == SQLITE_ROW && sqlite3_column_type(next, 0) != SQLITE_NULL) {
		sqlite3_int64 due = sqlite3_column_int64(next, 0) - (sqlite3_int64)now_ms();

		wait = due < 0 ? 0 : (long)due;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	sqlite3_finalize(retry);
	sqlite3_finalize(next);
	return wait;
}

static void *worker_main(void *arg)
{
	struct webhook *wh = arg;
	CURL *curl = curl_easy_init();
	sqlite3 *db = NULL;
	char err[256];

	if (!curl || open_db(wh->outbox, &db, err, sizeof(err))) {
		log_error("webhook worker cannot start: %s", curl ? err : "libcurl init failed");
		curl_easy_cleanup(curl);
		return NULL;
	}
	pthread_mutex_lock(&wh->lock);
	for (;;) {
		long wait;
		struct timespec until;
		uint64_t deadline;

		wh->kicked = false;
		pthread_mutex_unlock(&wh->lock);
		wait = deliver_due(wh, db, curl);
		pthread_mutex_lock(&wh->lock);
		if (wh->stopping && (wait < 0 || now_ms() >= wh->linger_until_ms))
			break;
		/* An enqueue that committed after our SELECT signalled while we
		 * were not waiting: look again instead of sleeping on it. */
		if (wh->kicked)
			continue;
		deadline = now_ms() + (wait < 0 ? 60000 : (uint64_t)wait);
		if (wh->stopping && deadline > wh->linger_until_ms)
			deadline = wh->linger_until_ms;
		until = util_timespec(deadline * 1000000);
		pthread_cond_timedwait(&wh->wake, &wh->lock, &until);
	}
	pthread_mutex_unlock(&wh->lock);
	close_db(db);
	curl_easy_cleanup(curl);
	return NULL;
}

int webhook_open(const char *url, const char *outbox, struct webhook **out, char *err, size_t errlen)
{
	struct webhook *wh;
	int ret;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "webhook URL must be http:// or https://: %s", url);
		return -EINVAL;
	}
	wh = calloc(1, sizeof(*wh));
	if (!wh)
		return -ENOMEM;
	wh->url = strdup(url);
	wh->outbox = strdup(outbox);
	ret = open_db(outbox, &wh->db, err, errlen);
	if (ret) {
		free(wh->url);
		free(wh->outbox);
		free(wh);
		return ret;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&wh->lock, NULL);
	/* deadlines are wall-clock ms (they persist in the outbox) */
	util_cond_init(&wh->wake, CLOCK_REALTIME);
	ret = pthread_create(&wh->worker, NULL, worker_main, wh);
	if (ret) {
		snprintf(err, errlen, "cannot start the webhook worker: %s", strerror(ret));
		close_db(wh->db);
		free(wh->url);
		free(wh->outbox);
		free(wh);
		return -ret;
	}
	*out = wh;
	return 0;
}

void webhook_close(struct webhook *wh, unsigned int linger_ms)
{
	if (!wh)
		return;
	pthread_mutex_lock(&wh->lock);
	wh->stopping = true;
	wh->linger_until_ms = now_ms() + linger_ms;
	pthread_cond_signal(&wh->wake);
	pthread_mutex_unlock(&wh->lock);
	pthread_join(wh->worker, NULL);
	close_db(wh->db);
	pthread_mutex_destroy(&wh->lock);
	pthread_cond_destroy(&wh->wake);
	free(wh->url);
	free(wh->outbox);
	free(wh);
}

int webhook_enqueue(struct webhook *wh, json_t *alert)
{
	char *body = json_dumps(alert, JSONOUT_FLAGS);
	sqlite3_stmt *ins = NULL;
	int ret = 0;

	if (!body)
		return -ENOMEM;
	if (sqlite3_prepare_v2(wh->db, "INSERT INTO outbox (created_ms, body) VALUES (?, ?)", -1,
			       &ins, NULL) != SQLITE_OK) {
		free(body);
		return -EIO;
	}
	sqlite3_bind_int64(ins, 1, (sqlite3_int64)now_ms());
	sqlite3_bind_text(ins, 2, body, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(ins) != SQLITE_DONE) {
		log_error("webhook outbox: %s", sqlite3_errmsg(wh->db));
		ret = -EIO;
	}
	sqlite3_finalize(ins);
	free(body);
	pthread_mutex_lock(&wh->lock);
	wh->kicked = true;
	pthread_cond_signal(&wh->wake);
	pthread_mutex_unlock(&wh->lock);
	return ret;
}

int webhook_pending(struct webhook *wh)
{
	sqlite3_stmt *st = NULL;
	int n = -EIO;

	if (sqlite3_prepare_v2(wh->db, "SELECT COUNT(*) FROM outbox", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

unsigned long webhook_delivered(struct webhook *wh)
{
	return atomic_load(&wh->delivered);
}
