/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* One thread publishes what waits: the database journal first (other
 * hosts' verdicts depend on it), then the outbox in row order. Each
 * publish waits for JetStream's ack before its rows are deleted; every
 * message carries a Nats-Msg-Id made of this host, the journal's or
 * outbox's epoch and the batch or row id, so whatever is sent again after
 * a failure is dropped by the stream within its duplicate window. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet_internal.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/jsonout.h"

#define HEARTBEAT_MS 5000
#define PUBLISH_WAIT_MS 5000
/* A clean stop sends what waits for this long at most: a quarantine
 * decided just before `systemctl stop` reaches the fleet now, not at the
 * next start. Well inside systemd's stop timeout. */
#define DRAIN_MS 2000

struct publisher {
	struct fleet *f;
	sqlite3 *odb;         /* own connection to the outbox */
	kvStore *hosts;
	uint64_t next_heartbeat_ms;
	uint64_t drain_until_ns; /* set once stopping: the last sends' deadline */
	unsigned int failures;
};

/* Running, or stopping with time left to drain. */
static bool may_send(const struct publisher *p)
{
	return !atomic_load(&p->f->stopping) || util_now_mono_ns() < p->drain_until_ns;
}

static int publish(struct publisher *p, const char *subject, const char *msg_id,
		   const char *data, size_t len, bool kv_delete)
{
	struct fleet *f = p->f;
	natsMsg *m = NULL;
	jsPubAck *ack = NULL;
	jsPubOptions po;
	jsErrCode jerr = 0;
	natsStatus s;
	char buf[256];

	jsPubOptions_Init(&po);
	po.MsgId = msg_id;
	po.MaxWait = PUBLISH_WAIT_MS;
	if (p->drain_until_ns) { /* stopping: no wait past the drain's deadline */
		uint64_t now = util_now_mono_ns();
		uint64_t left_ms = now < p->drain_until_ns ? (p->drain_until_ns - now) / 1000000 : 0;

		if (left_ms < PUBLISH_WAIT_MS)
			po.MaxWait = left_ms ? (int64_t)left_ms : 1;
	}
	s = natsMsg_Create(&m, subject, NULL, data, (int)len);
	if (s == NATS_OK && kv_delete)
		s = natsMsgHeader_Set(m, "KV-Operation", "DEL");
	if (s == NATS_OK)
		s = js_PublishMsg(&ack, f->js, m, &po, &jerr);
	natsMsg_Destroy(m);
	jsPubAck_Destroy(ack);
	if (s == NATS_OK) {
		p->failures = 0;
		return 0;
	}
	if (!p->failures++ || p->failures % 30 == 0)
		log_warn("fleet: publishing to %s: %s (attempt %u; it waits in the outbox)", subject,
			 fleet_nats_error(s, jerr, buf, sizeof(buf)), p->failures);
	return -EIO;
}

/* Returns 1 when a batch went out, 0 when the journal is empty, <0 on failure. */
static int publish_journal(struct publisher *p)
{
	struct fleet *f = p->f;
	char subject[FLEET_NAME_MAX + FLEET_HOST_MAX + 8], id[FLEET_HOST_MAX + 64], *text;
	sqlite3 *jdb = bdstore_sqlite(f->o.bd);
	int64_t batch;
	json_t *ops;
	size_t len;
	int ret;

	if (!f->o.bd)
		return 0;
	/* the agent's own connection, as the store's writer: another
	 * connection's commit would look to the agent like a `db` command */
	pthread_mutex_lock(f->o.bd_lock);
	ret = fleet_journal_next(jdb, &batch, &ops);
	pthread_mutex_unlock(f->o.bd_lock);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	snprintf(subject, sizeof(subject), "%s.bd.%s", f->prefix, f->host);
	snprintf(id, sizeof(id), "%s.%s.bd.%lld", f->host, f->journal_epoch, (long long)batch);
	text = json_array_size(ops) ? fleet_change_text(f->host, ops, &len) : NULL;
	/* an empty batch holds nothing another host could apply: just done */
	ret = !json_array_size(ops) ? 0 : text ? publish(p, subject, id, text, len, false) : -ENOMEM;
	if (!ret) {
		if (json_array_size(ops))
			atomic_fetch_add(&f->published[FLEET_KIND_DATABASE], 1);
		pthread_mutex_lock(f->o.bd_lock);
		ret = fleet_journal_done(jdb, batch) ? -EIO : 1;
		pthread_mutex_unlock(f->o.bd_lock);
	}
	free(text);
	json_decref(ops);
	return ret;
}

/* Returns the number of rows published, <0 on failure. */
static int publish_outbox(struct publisher *p)
{
	struct fleet *f = p->f;
	sqlite3_stmt *sel = NULL, *del = NULL;
	char id[FLEET_HOST_MAX + 64];
	int n = 0, ret = 0;

	if (sqlite3_prepare_v2(p->odb, "SELECT id, kind, subject, body, kv_delete FROM outbox"
			       " ORDER BY id LIMIT 256", -1, &sel, NULL) ||
	    sqlite3_prepare_v2(p->odb, "DELETE FROM outbox WHERE id = ?", -1, &del, NULL))
		ret = -EIO;
	while (!ret && may_send(p) && sqlite3_step(sel) == SQLITE_ROW) {
		int64_t row = sqlite3_column_int64(sel, 0);
		int kind = sqlite3_column_int(sel, 1);

		snprintf(id, sizeof(id), "%s.%s.o.%lld", f->host, f->outbox_epoch, (long long)row);
		ret = publish(p, (const char *)sqlite3_column_text(sel, 2), id,
			      (const char *)sqlite3_column_text(sel, 3),
			      (size_t)sqlite3_column_bytes(sel, 3), sqlite3_column_int(sel, 4));
		if (ret)
			break;
		sqlite3_bind_int64(del, 1, row);
		if (sqlite3_step(del) != SQLITE_DONE)
			ret = -EIO;
		sqlite3_reset(del);
		if (kind >= 0 && kind < 4)
			atomic_fetch_add(&f->published[kind], 1);
		n++;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	return ret ? ret : n;
}

/* Who this host is and how far it got, for `fleet status`. */
static void heartbeat(struct publisher *p)
{
	struct fleet *f = p->f;
	struct fleet_stats st;
	char when[TIMEFMT_RFC3339_LEN], *text;
	json_t *hb;
	uint64_t now = util_now_real_ns() / 1000000;

	if (now < p->next_heartbeat_ms)
		return;
	p->next_heartbeat_ms = now + HEARTBEAT_MS;
	if (!p->hosts && js_KeyValue(&p->hosts, f->js, f->bucket_hosts) != NATS_OK)
		return;
	fleet_stats(f, &st);
	timefmt_format_rfc3339((int64_t)util_now_real_ns(), when, sizeof(when));
	hb = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "host", f->host, "time", when,
		       "version", BPFPROF_VERSION, "applied_seq", (json_int_t)st.applied_seq,
		       "lag", (json_int_t)st.lag, "outbox", (json_int_t)st.outbox_depth,
		       "refused", (json_int_t)st.refused_messages,
		       "quarantined", (json_int_t)st.quarantined);
	pthread_mutex_lock(&f->lock);
	if (hb && f->last_decision)
		json_object_set(hb, "last_decision", f->last_decision);
	pthread_mutex_unlock(&f->lock);
	text = hb ? json_dumps(hb, JSONOUT_FLAGS) : NULL;
	if (text && kvStore_PutString(NULL, p->hosts, f->host, text) != NATS_OK)
		p->next_heartbeat_ms = now + FLEET_RETRY_MS;
	free(text);
	json_decref(hb);
}

/* Journal first, then the outbox; returns what went out, <0 on failure. */
static int publish_pending(struct publisher *p)
{
	int sent = 0, ret = 0;

	while (may_send(p) && (ret = publish_journal(p)) > 0)
		sent++;
	if (ret >= 0 && (ret = publish_outbox(p)) > 0)
		sent += ret;
	return ret < 0 ? ret : sent;
}

static void update_depth(struct publisher *p)
{
	struct fleet *f = p->f;

	atomic_store(&f->outbox_depth, fleet_outbox_depth(p->odb));
	if (!f->o.bd)
		return;
	pthread_mutex_lock(f->o.bd_lock);
	atomic_store(&f->journal_depth, fleet_journal_depth(bdstore_sqlite(f->o.bd)));
	pthread_mutex_unlock(f->o.bd_lock);
}

void *fleet_publish_main(void *arg)
{
	struct publisher p = { .f = arg };
	struct fleet *f = p.f;
	char err[256];

	fleet_own_thread = true;
	if (fleet_outbox_open(f->outbox_path, &p.odb, (char[FLEET_EPOCH_LEN]){ 0 }, err, sizeof(err))) {
		log_error("fleet: the publisher cannot open the outbox: %s", err);
		return NULL;
	}
	update_depth(&p);
	while (!atomic_load(&f->stopping)) {
		int sent = 0, ret = 0;

		pthread_mutex_lock(&f->lock);
		f->kicked = false;
		pthread_mutex_unlock(&f->lock);
		if (atomic_load(&f->connected) && !atomic_load(&f->ready)) {
			if (fleet_conn_setup(f)) {
				fleet_pause(f, FLEET_RETRY_MS, true);
				continue;
			}
			atomic_store(&f->ready, true);
		}
		if (atomic_load(&f->ready)) {
			ret = publish_pending(&p);
			sent = ret > 0 ? ret : 0;
			heartbeat(&p);
		}
		update_depth(&p);
		if (ret < 0)
			fleet_pause(f, FLEET_RETRY_MS, true);
		else if (!sent)
			fleet_pause(f, 250, true);
	}
	if (atomic_load(&f->ready)) {
		p.drain_until_ns = util_now_mono_ns() + (uint64_t)DRAIN_MS * 1000000;
		publish_pending(&p);
	}
	update_depth(&p);
	if (atomic_load(&f->outbox_depth) > 0 || atomic_load(&f->journal_depth) > 0)
		log_warn("fleet: stopping with %lld outbox rows and %lld database changes unsent;"
			 " they go out at the next start", (long long)atomic_load(&f->outbox_depth),
			 (long long)atomic_load(&f->journal_depth));
	kvStore_Destroy(p.hosts);
	sqlite3_close(p.odb);
	return NULL;
}
