/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The database stream applied here, on this one thread: a durable pull
 * consumer named after the host delivers in stream order; a fetched batch
 * is applied to SQLite in one transaction that also stores the last stream
 * sequence, so a message at or below it is never applied twice (a crash
 * between commit and ack, a consumer that restarted behind), then to the
 * live index, as the index's one writer under the store's writer lock.
 * Applying is idempotent by content: an add of an entry the store holds
 * and a remove of one it lacks change nothing, so every host converges on
 * the stream's order whatever it applied locally first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet_internal.h"
#include "lib/log.h"

#define FETCH_WAIT_MS 1000

struct index_change {
	int64_t id;
	bool remove;
	token_id seq[BDINDEX_MAX_LEN];
	uint8_t len;
	double risk, confidence;
	enum bd_label label;
};

struct apply {
	struct index_change *c;
	size_t n, cap;
	struct bdindex_params params;
	bool params_set;
	size_t ops;
};

static int note(struct apply *a, const struct index_change *c)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 256;
		struct index_change *n = realloc(a->c, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->c = n;
		a->cap = cap;
	}
	a->c[a->n++] = *c;
	return 0;
}

static int apply_op(struct fleet *f, struct apply *a, struct fleet_op *op)
{
	struct bdstore *st = f->o.bd;
	struct index_change c = { 0 };
	int64_t id;
	int ret;

	if (op->kind == FLEET_OP_PARAMS) {
		a->params = op->p;
		a->params_set = true;
		return bdstore_params_set(st, &op->p);
	}
	ret = bdstore_find_same(st, &op->e, &id);
	if (ret && ret != -ENOENT)
		return ret;
	if (op->kind == FLEET_OP_REMOVE) {
		if (ret == -ENOENT)
			return 0;
		c = (struct index_change){ .id = id, .remove = true };
		return bdstore_remove(st, id) ?: note(a, &c);
	}
	if (!ret)
		return 0; /* already here: a resubmission, or our own change coming back */
	op->e.id = 0;
	ret = bdentry_token_ids(&op->e, f->o.tok, c.seq);
	if (!ret)
		ret = bdstore_add(st, &op->e);
	if (ret)
		return ret;
	c.id = op->e.id;
	c.len = (uint8_t)op->e.len;
	c.risk = op->e.risk;
	c.confidence = op->e.confidence;
	c.label = op->e.label;
	return note(a, &c);
}

static uint64_t msg_seq(natsMsg *m, uint64_t *pending)
{
	jsMsgMetaData *meta = NULL;
	uint64_t seq = 0;

	if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
		seq = meta->Sequence.Stream;
		*pending = meta->NumPending;
	}
	jsMsgMetaData_Destroy(meta);
	return seq;
}

/* Applies the messages above the stored sequence; returns the index of the
 * last message handled (to ack) or -errno (nothing applied: fetch again). */
static int apply_batch(struct fleet *f, natsMsgList *list)
{
	sqlite3 *db = bdstore_sqlite(f->o.bd);
	struct apply a = { 0 };
	uint64_t applied, last = 0, pending = 0;
	int ret, acked = -1;

	pthread_mutex_lock(f->o.bd_lock);
	ret = fleet_journal_applied(db, &applied);
	if (!ret)
		ret = bdstore_begin(f->o.bd);
	if (!ret && (ret = fleet_journal_apply_begin(db)))
		bdstore_rollback(f->o.bd);
	for (int i = 0; !ret && i < list->Count; i++) {
		natsMsg *m = list->Msgs[i];
		uint64_t seq = msg_seq(m, &pending);
		struct fleet_change c;
		char err[256];

		acked = i;
		if (!seq || seq <= applied)
			continue; /* applied before (and acked or not) */
		last = seq;
		if (fleet_change_parse(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), &c,
				       err, sizeof(err))) {
			atomic_fetch_add(&f->refused, 1);
			log_error("fleet: database stream message %llu (subject %s) refused, not "
				  "applied: %s", (unsigned long long)seq, natsMsg_GetSubject(m), err);
			continue;
		}
		for (size_t k = 0; !ret && k < c.nops; k++)
			ret = apply_op(f, &a, &c.ops[k]);
		a.ops += c.nops;
		fleet_change_clear(&c);
	}
	if (!ret && last)
		ret = fleet_journal_apply_end(db, last);
	else if (!ret)
		ret = fleet_journal_apply_end(db, applied);
	if (!ret)
		ret = bdstore_commit(f->o.bd);
	if (ret) {
		log_error("fleet: applying the database stream: %s; retrying",
			  bdstore_strerror(f->o.bd, ret));
		bdstore_rollback(f->o.bd);
		acked = ret;
	} else {
		/* committed: the index follows (it cannot roll back, so it comes after) */
		for (size_t i = 0; i < a.n; i++) {
			struct index_change *c = &a.c[i];
			int r = c->remove ? bdindex_remove(f->o.idx, c->id) :
				bdindex_add(f->o.idx, c->id, c->seq, c->len, c->risk, c->confidence,
					    c->label);

			if (r && r != -ENOENT)
				log_error("fleet: the live index refused entry %lld: %s",
					  (long long)c->id, strerror(-r));
		}
		if (a.params_set)
			bdindex_params_set(f->o.idx, &a.params);
		if (last)
			atomic_store(&f->applied_seq, last);
		atomic_fetch_add(&f->applied_entries, a.ops);
		atomic_store(&f->lag, pending);
	}
	pthread_mutex_unlock(f->o.bd_lock);
	free(a.c);
	if (!ret && a.ops && f->o.bd_applied)
		f->o.bd_applied(f->o.ctx);
	return acked;
}

/* The host's durable consumer, starting after what the store applied: a
 * consumer behind the store is fine (skipped by sequence), one ahead of it
 * (the store was restored from an older copy), or one whose delivery went
 * past a batch that could not be applied (again), is made again. */
static natsSubscription *subscribe(struct fleet *f, bool again)
{
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	char filter[FLEET_NAME_MAX + 8], buf[256];
	uint64_t applied = 0;
	natsStatus s;

	pthread_mutex_lock(f->o.bd_lock);
	fleet_journal_applied(bdstore_sqlite(f->o.bd), &applied);
	pthread_mutex_unlock(f->o.bd_lock);
	atomic_store(&f->applied_seq, applied);
	snprintf(filter, sizeof(filter), "%s.bd.>", f->prefix);
	s = js_GetConsumerInfo(&ci, f->js, f->stream_bd, f->host, NULL, &jerr);
	if (s == NATS_OK && (again || ci->AckFloor.Stream > applied)) {
		log_warn("fleet: consumer %s acknowledged %llu, the database applied %llu: "
			 "consuming again from %llu", f->host, (unsigned long long)ci->AckFloor.Stream,
			 (unsigned long long)applied, (unsigned long long)applied + 1);
		js_DeleteConsumer(f->js, f->stream_bd, f->host, NULL, NULL);
		s = NATS_NOT_FOUND;
	}
	jsConsumerInfo_Destroy(ci);
	ci = NULL;
	if (s == NATS_NOT_FOUND) {
		jsConsumerConfig_Init(&cc);
		cc.Durable = f->host;
		cc.AckPolicy = js_AckAll;
		cc.FilterSubject = filter;
		cc.DeliverPolicy = applied ? js_DeliverByStartSequence : js_DeliverAll;
		cc.OptStartSeq = applied ? applied + 1 : 0;
		cc.MaxAckPending = 20000;
		s = js_AddConsumer(&ci, f->js, f->stream_bd, &cc, NULL, &jerr);
		jsConsumerInfo_Destroy(ci);
	}
	if (s == NATS_OK) {
		jsSubOptions_Init(&so);
		so.Stream = f->stream_bd;
		so.Consumer = f->host;
		s = js_PullSubscribe(&sub, f->js, filter, f->host, NULL, &so, &jerr);
	}
	if (s != NATS_OK) {
		log_warn("fleet: consumer %s on %s: %s", f->host, f->stream_bd,
			 fleet_nats_error(s, jerr, buf, sizeof(buf)));
		return NULL;
	}
	return sub;
}

void *fleet_consume_main(void *arg)
{
	struct fleet *f = arg;
	natsSubscription *sub = NULL;
	unsigned int batch = f->o.fetch_batch ? f->o.fetch_batch : 64;
	uint64_t gen = 0;
	bool again = false;

	fleet_own_thread = true;
	while (!atomic_load(&f->stopping)) {
		natsMsgList list = { 0 };
		jsErrCode jerr = 0;
		natsStatus s;
		int last;

		if (!atomic_load(&f->ready)) {
			fleet_pause(f, 200, false);
			continue;
		}
		/* after a reconnect the consumer may be gone (a new server): look again */
		if (sub && gen != atomic_load(&f->generation)) {
			natsSubscription_Destroy(sub);
			sub = NULL;
		}
		if (!sub) {
			gen = atomic_load(&f->generation);
			if (!(sub = subscribe(f, again))) {
				fleet_pause(f, FLEET_RETRY_MS, false);
				continue;
			}
			again = false;
		}
		s = natsSubscription_Fetch(&list, sub, (int)batch, FETCH_WAIT_MS, &jerr);
		if (s == NATS_TIMEOUT)
			continue;
		if (s != NATS_OK) {
			natsMsgList_Destroy(&list);
			natsSubscription_Destroy(sub);
			sub = NULL;
			fleet_pause(f, FLEET_RETRY_MS / 4, false);
			continue;
		}
		last = apply_batch(f, &list);
		if (last >= 0)
			natsMsg_Ack(list.Msgs[last], NULL);
		natsMsgList_Destroy(&list);
		/* the server would go on with the next messages: start over after
		 * the last one applied */
		again = last < 0;
		if (again) {
			natsSubscription_Destroy(sub);
			sub = NULL;
			fleet_pause(f, FLEET_RETRY_MS, false);
		}
	}
	natsSubscription_Destroy(sub);
	return NULL;
}
