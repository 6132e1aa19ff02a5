/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The fleet module's front: it owns the outbox, the journal set up in the
 * behavioral database and three threads (publisher, database consumer,
 * verdict watcher). Everything the agent hands it is committed locally
 * before the call returns; the network is the threads' business. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fleet/fleet_internal.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/jsonout.h"

const char *fleet_kind_name(enum fleet_kind k)
{
	static const char *const names[] = { "database", "decision", "alert", "verdict" };

	return k < 4 ? names[k] : "?";
}

void fleet_host_id_default(char *buf, size_t len)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) || !host[0])
		snprintf(host, sizeof(host), "localhost");
	snprintf(buf, len, "%.*s", FLEET_HOST_MAX, host);
	for (char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '_';
}

void fleet_kick(struct fleet *f)
{
	pthread_mutex_lock(&f->lock);
	f->kicked = true;
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
}

_Thread_local bool fleet_own_thread;

/* A commit on the agent's store connection (an API submission, a DELETE)
 * may have journaled changes: the publisher sends them now rather than at
 * its next poll (250 ms). Its own and the consumer's commits journal
 * nothing to send. Called inside SQLite's commit, before the committer
 * releases the store's writer lock, which the publisher then waits for. */
static int on_bd_commit(void *arg)
{
	if (!fleet_own_thread)
		fleet_kick(arg);
	return 0;
}

static char *dup_opt(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static int start(struct fleet *f, pthread_t *t, bool *started, void *(*fn)(void *), char *err,
		 size_t errlen)
{
	int ret = pthread_create(t, NULL, fn, f);

	if (ret) {
		snprintf(err, errlen, "fleet: cannot start a thread: %s", strerror(ret));
		return -ret;
	}
	*started = true;
	return 0;
}

int fleet_open(const struct fleet_opts *opts, struct fleet **out, char *err, size_t errlen)
{
	struct fleet *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	memcpy(&f->o, opts, opts->sz < sizeof(f->o) ? opts->sz : sizeof(f->o));
	pthread_mutex_init(&f->lock, NULL);
	util_cond_init(&f->wake, CLOCK_MONOTONIC);
	f->quarantine = json_object();
	if (f->o.host_id && *f->o.host_id)
		snprintf(f->host, sizeof(f->host), "%s", f->o.host_id);
	else
		fleet_host_id_default(f->host, sizeof(f->host));
	snprintf(f->prefix, sizeof(f->prefix), "%s", f->o.prefix && *f->o.prefix ? f->o.prefix :
		 FLEET_PREFIX_DEFAULT);
	if (!fleet_host_id_valid(f->host) || !fleet_host_id_valid(f->prefix) ||
	    strlen(f->prefix) >= FLEET_NAME_MAX - 16) {
		snprintf(err, errlen, "fleet: host_id '%s' and stream_prefix '%s' must be [A-Za-z0-9_-]",
			 f->host, f->prefix);
		ret = -EINVAL;
		goto fail;
	}
	snprintf(f->stream_bd, sizeof(f->stream_bd), "%s_BD", f->prefix);
	snprintf(f->stream_decisions, sizeof(f->stream_decisions), "%s_DECISIONS", f->prefix);
	snprintf(f->stream_alerts, sizeof(f->stream_alerts), "%s_ALERTS", f->prefix);
	snprintf(f->bucket_verdicts, sizeof(f->bucket_verdicts), "%s_VERDICTS", f->prefix);
	snprintf(f->bucket_hosts, sizeof(f->bucket_hosts), "%s_HOSTS", f->prefix);
	f->url = dup_opt(f->o.url);
	f->creds_file = dup_opt(f->o.creds_file);
	f->token_file = dup_opt(f->o.token_file);
	f->tls_ca = dup_opt(f->o.tls_ca);
	f->outbox_path = dup_opt(f->o.outbox);
	if (!f->url || !f->outbox_path || !f->quarantine) {
		snprintf(err, errlen, "fleet: url and outbox are required");
		ret = -EINVAL;
		goto fail;
	}
	f->o.url = f->url;
	ret = fleet_outbox_open(f->outbox_path, &f->outbox, f->outbox_epoch, err, errlen);
	if (ret)
		goto fail;
	if (f->o.bd) {
		uint64_t seq = 0;

		pthread_mutex_lock(f->o.bd_lock);
		ret = fleet_journal_setup(bdstore_sqlite(f->o.bd), f->journal_epoch, err, errlen);
		if (!ret) {
			fleet_journal_applied(bdstore_sqlite(f->o.bd), &seq);
			sqlite3_commit_hook(bdstore_sqlite(f->o.bd), on_bd_commit, f);
		}
		pthread_mutex_unlock(f->o.bd_lock);
		if (ret)
			goto fail;
		atomic_store(&f->applied_seq, seq);
	}
	ret = fleet_conn_open(f, err, errlen);
	if (!ret)
		ret = start(f, &f->publisher, &f->publisher_started, fleet_publish_main, err, errlen);
	if (!ret && f->o.bd)
		ret = start(f, &f->consumer, &f->consumer_started, fleet_consume_main, err, errlen);
	if (!ret)
		ret = start(f, &f->watcher, &f->watcher_started, fleet_verdicts_main, err, errlen);
	if (ret)
		goto fail;
	*out = f;
	return 0;
fail:
	fleet_close(f);
	return ret;
}

void fleet_close(struct fleet *f)
{
	if (!f)
		return;
	atomic_store(&f->stopping, true);
	fleet_kick(f);
	if (f->publisher_started)
		pthread_join(f->publisher, NULL);
	if (f->consumer_started)
		pthread_join(f->consumer, NULL);
	if (f->watcher_started)
		pthread_join(f->watcher, NULL);
	if (f->o.bd) {
		pthread_mutex_lock(f->o.bd_lock);
		sqlite3_commit_hook(bdstore_sqlite(f->o.bd), NULL, NULL);
		pthread_mutex_unlock(f->o.bd_lock);
	}
	fleet_conn_close(f);
	sqlite3_close(f->outbox);
	json_decref(f->quarantine);
	json_decref(f->last_decision);
	free(f->changes);
	free(f->url);
	free(f->creds_file);
	free(f->token_file);
	free(f->tls_ca);
	free(f->outbox_path);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
	free(f);
}

const char *fleet_host(const struct fleet *f)
{
	return f->host;
}

static int record(void *ctx, json_t *d, int64_t *id, char *err, size_t errlen)
{
	struct fleet *f = ctx;
	const char *level = json_string_value(json_object_get(d, "level"));
	char subject[FLEET_NAME_MAX + FLEET_HOST_MAX + 32], *body;
	json_t *last;
	int ret;

	(void)id;
	if (!level || decision_level_parse(level) < 0) {
		snprintf(err, errlen, "decision without a level");
		return -EINVAL;
	}
	snprintf(subject, sizeof(subject), "%s.decisions.%s.%s", f->prefix, f->host, level);
	body = json_dumps(d, JSONOUT_FLAGS);
	ret = body ? fleet_outbox_put(f, FLEET_KIND_DECISION, subject, body, false) : -ENOMEM;
	free(body);
	if (ret) {
		snprintf(err, errlen, "the fleet outbox: %s", strerror(-ret));
		return ret;
	}
	last = json_pack("{s:O?, s:O?, s:s, s:O?, s:O?}", "id", json_object_get(d, "id"),
			 "time", json_object_get(d, "time"), "level", level,
			 "path", json_object_get(d, "path"), "action", json_object_get(d, "action"));
	pthread_mutex_lock(&f->lock);
	json_decref(f->last_decision);
	f->last_decision = last;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

struct decision_sink fleet_decision_sink(struct fleet *f)
{
	return (struct decision_sink){ .record = record, .ctx = f };
}

int fleet_alert(struct fleet *f, const json_t *alert)
{
	char subject[FLEET_NAME_MAX + FLEET_HOST_MAX + 16], *body = json_dumps(alert, JSONOUT_FLAGS);
	int ret;

	snprintf(subject, sizeof(subject), "%s.alerts.%s", f->prefix, f->host);
	ret = body ? fleet_outbox_put(f, FLEET_KIND_ALERT, subject, body, false) : -ENOMEM;
	free(body);
	return ret;
}

void fleet_stats(struct fleet *f, struct fleet_stats *s)
{
	int64_t journal = atomic_load(&f->journal_depth);

	memset(s, 0, sizeof(*s));
	s->connected = atomic_load(&f->connected);
	s->applied_seq = atomic_load(&f->applied_seq);
	s->lag = atomic_load(&f->lag);
	s->applied_entries = atomic_load(&f->applied_entries);
	s->refused_messages = atomic_load(&f->refused);
	for (int i = 0; i < 4; i++)
		s->published[i] = atomic_load(&f->published[i]);
	s->outbox_depth = atomic_load(&f->outbox_depth) + (journal > 0 ? journal : 0);
	s->quarantined = atomic_load(&f->quarantined_n);
}
