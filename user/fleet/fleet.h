/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fleet mode (docs/fleet.md): the agent on NATS
 * JetStream. The behavioral database is a stream every agent applies in
 * order; decisions, alerts and quarantined hashes are published from a
 * durable local outbox; quarantined hashes come back from a key-value
 * bucket for the gate. Without NATS the agent works alone and catches up. */
#ifndef BPFPROF_FLEET_H
#define BPFPROF_FLEET_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "behaviors/bdindex.h"
#include "behaviors/bdstore.h"
#include "behaviors/tokens.h"
#include "decision/decision_store.h"

#define FLEET_PREFIX_DEFAULT "BPFPROF"

struct fleet_opts {
	size_t sz;                 /* sizeof(struct fleet_opts) */
	const char *url;           /* "nats://a:4222,nats://b:4222" (tls:// for TLS) */
	const char *host_id;       /* NULL or "": the host name */
	const char *creds_file;    /* NATS credentials (JWT + nkey), or NULL */
	const char *token_file;    /* NATS token, or NULL */
	const char *tls_ca;        /* CA bundle for the server's certificate, or NULL */
	const char *prefix;        /* stream and subject prefix; NULL: FLEET_PREFIX_DEFAULT */
	int replicas;              /* of the streams this agent creates; 0: 1 */
	const char *outbox;        /* SQLite file of decisions, alerts, verdicts to publish */
	/* the behavioral database the stream is applied to; bd_lock is held
	 * by every writer of store and index (the API's lock). fleet_open
	 * takes the store connection's SQLite commit hook (until fleet_close):
	 * a commit wakes the publisher */
	struct bdstore *bd;
	struct bdindex *idx;
	struct tokens *tok;
	pthread_mutex_t *bd_lock;
	void (*bd_applied)(void *ctx); /* after a change from the stream was applied */
	void *ctx;
	unsigned int fetch_batch;  /* messages per fetch; 0: 64 */
};

/* What the fleet module counts (metrics, /v1/fleet, heartbeats). */
struct fleet_stats {
	bool connected;
	uint64_t applied_seq;       /* last database stream sequence applied here */
	uint64_t lag;               /* messages of the stream not applied yet */
	uint64_t applied_entries;   /* operations applied from the stream */
	uint64_t refused_messages;  /* messages refused (malformed, oversize, invalid) */
	uint64_t published[4];      /* by enum fleet_kind */
	int64_t outbox_depth;       /* decisions, alerts, verdicts and database changes waiting */
	uint64_t quarantined;       /* hashes of the verdict bucket handed over by
				     * fleet_verdicts_take: what the gate enforces */
};

enum fleet_kind { FLEET_KIND_DATABASE, FLEET_KIND_DECISION, FLEET_KIND_ALERT, FLEET_KIND_VERDICT };
const char *fleet_kind_name(enum fleet_kind k);

struct fleet;

/* Opens the outbox and the database journal and starts connecting in the
 * background: a server that is down is not an error (the agent starts and
 * publishes later). err: a bad URL, an unreadable token or CA file, ... */
int fleet_open(const struct fleet_opts *opts, struct fleet **out, char *err, size_t errlen);
/* Stops the threads (what is unpublished stays in the outbox) and frees f. */
void fleet_close(struct fleet *f);
const char *fleet_host(const struct fleet *f);

/* "Record a decision" on the fleet: the decision (with its local "id")
 * goes into the outbox for <prefix>.decisions.<host>.<level>. */
struct decision_sink fleet_decision_sink(struct fleet *f);
/* An alert (schemas/alert.schema.json) for <prefix>.alerts.<host>. */
int fleet_alert(struct fleet *f, const json_t *alert);

/* Puts sha256 (hex) into the verdict bucket: every agent's gate stops the
 * object. why: the decision (or NULL), kept as the value. */
int fleet_quarantine(struct fleet *f, const char *sha256, const json_t *why);
/* Deletes it from the bucket: every agent releases it. -ENOENT when the
 * bucket (as seen here) does not hold it. */
int fleet_release(struct fleet *f, const char *sha256);
/* The bucket as seen here: [{sha256, host, time, ...}] (new reference). */
json_t *fleet_quarantine_list(struct fleet *f);
/* Hands verdict changes received since the last call to fn, on the
 * caller's thread (the agent's main loop owns the scorer). Returns how
 * many. */
size_t fleet_verdicts_take(struct fleet *f,
			   void (*fn)(void *ctx, const char *sha256, bool quarantined), void *ctx);

void fleet_stats(struct fleet *f, struct fleet_stats *s);

/* A host name as subjects and consumer names take it ([A-Za-z0-9_-]). */
void fleet_host_id_default(char *buf, size_t len);

#endif
