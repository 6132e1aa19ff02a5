/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the fleet module's files share: the connection, the threads that
 * publish, consume and watch, and the locks between them. Not for use
 * outside user/fleet/. */
#ifndef BPFPROF_FLEET_INTERNAL_H
#define BPFPROF_FLEET_INTERNAL_H

#include <nats/nats.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include "fleet/fleet.h"
#include "fleet/fleet_msg.h"

#define FLEET_NAME_MAX 64
#define FLEET_EPOCH_LEN 17 /* 16 hex digits and a NUL */
#define FLEET_RETRY_MS 1000

struct fleet_verdict_change {
	char sha256[65];
	bool quarantined;
};

struct fleet {
	struct fleet_opts o;
	char host[FLEET_HOST_MAX + 1];
	char prefix[FLEET_NAME_MAX];
	char stream_bd[FLEET_NAME_MAX + 8], stream_decisions[FLEET_NAME_MAX + 16],
	     stream_alerts[FLEET_NAME_MAX + 8], bucket_verdicts[FLEET_NAME_MAX + 16],
	     bucket_hosts[FLEET_NAME_MAX + 8];
	char *url, *creds_file, *token_file, *tls_ca, *outbox_path;

	/* connection: callbacks of libnats' threads set connected */
	natsConnection *nc;
	jsCtx *js;
	atomic_bool connected;
	atomic_bool ready;         /* connected and the streams exist */
	atomic_bool stopping;
	atomic_uint_fast64_t generation; /* connections made: threads resubscribe after one */

	/* the outbox (decisions, alerts, verdicts) and the journal reader */
	sqlite3 *outbox;           /* enqueue's connection */
	char outbox_epoch[FLEET_EPOCH_LEN], journal_epoch[FLEET_EPOCH_LEN];
	pthread_mutex_t lock;      /* kick, verdict queue, quarantine mirror, last decision */
	pthread_cond_t wake;
	bool kicked;

	pthread_t publisher, consumer, watcher;
	bool publisher_started, consumer_started, watcher_started;

	/* verdicts from the bucket, for the main loop; the bucket's mirror */
	struct fleet_verdict_change *changes;
	size_t nchanges, capchanges;
	json_t *quarantine;        /* sha256 -> value */
	json_t *last_decision;     /* for heartbeats */

	atomic_uint_fast64_t applied_seq, lag, applied_entries, refused, quarantined_n;
	atomic_uint_fast64_t published[4];
	atomic_int_fast64_t outbox_depth, journal_depth;
};

/* fleet_conn.c */
int fleet_conn_open(struct fleet *f, char *err, size_t errlen);
void fleet_conn_close(struct fleet *f);
/* Creates the streams and buckets that do not exist yet; 0 or -errno. */
int fleet_conn_setup(struct fleet *f);
/* Sleeps up to ms or until the fleet stops (kickable: or until something
 * was put into the outbox: the publisher's wait). */
void fleet_pause(struct fleet *f, unsigned int ms, bool kickable);
const char *fleet_nats_error(natsStatus s, jsErrCode jerr, char *buf, size_t len);

/* fleet_journal.c: the database's changes, journaled by SQLite triggers */
int fleet_journal_setup(sqlite3 *db, char epoch[FLEET_EPOCH_LEN], char *err, size_t errlen);
int fleet_journal_applied(sqlite3 *db, uint64_t *seq);
int fleet_journal_apply_begin(sqlite3 *db);
int fleet_journal_apply_end(sqlite3 *db, uint64_t seq);
/* The oldest batch of journaled changes not yet published (assigning one
 * if none is): its id and the operations. -ENOENT when none. */
int fleet_journal_next(sqlite3 *db, int64_t *batch, json_t **ops);
int fleet_journal_done(sqlite3 *db, int64_t batch);
int64_t fleet_journal_depth(sqlite3 *db);

/* fleet_outbox.c */
int fleet_outbox_open(const char *path, sqlite3 **db, char epoch[FLEET_EPOCH_LEN], char *err,
		      size_t errlen);
int fleet_outbox_put(struct fleet *f, enum fleet_kind kind, const char *subject,
		     const char *body, bool kv_delete);
int64_t fleet_outbox_depth(sqlite3 *db);

/* fleet_publish.c, fleet_consume.c, fleet_verdicts.c: thread mains */
void *fleet_publish_main(void *arg);
void *fleet_consume_main(void *arg);
void *fleet_verdicts_main(void *arg);
void fleet_kick(struct fleet *f);
/* True on the publisher's and the consumer's threads: their commits to
 * the store do not kick the publisher. */
extern _Thread_local bool fleet_own_thread;

#endif
