/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /v1/behaviors. A submission is bd_submit's: validated whole, stored in
 * one transaction, applied to the live index, so the next verdict sees it
 * and a bad batch stores nothing. Resubmitting an entry is idempotent
 * (bd_submit recognises it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent/agent_metrics.h"
#include "agent/api_behaviors.h"
#include "behaviors/bd.h"
#include "behaviors/bdentry.h"
#include "agent/metrics.h"
#include "fleet/fleet_pending.h"

#define LIST_MAX 1000

int api_behaviors_init(struct api_behaviors *b, struct bdstore *store, struct bdindex *idx,
		       struct tokens *tok, struct agent_metrics *metrics)
{
	b->store = store;
	b->idx = idx;
	b->tok = tok;
	b->metrics = metrics;
	b->trust = NULL;
	/* the queue an untrusted submitter's risk-lowering entries wait in */
	if (fleet_pending_setup(store))
		return -EIO;
	return -pthread_mutex_init(&b->lock, NULL);
}

void api_behaviors_destroy(struct api_behaviors *b)
{
	pthread_mutex_destroy(&b->lock);
}

void api_behaviors_count(struct api_behaviors *b)
{
	size_t good, malicious;

	if (!b->metrics)
		return;
	pthread_mutex_lock(&b->lock);
	if (!bdstore_count_labels(b->store, &good, &malicious)) {
		metric_set(metric_get(b->metrics->db_entries, "good"), (double)good);
		metric_set(metric_get(b->metrics->db_entries, "malicious"), (double)malicious);
	}
	pthread_mutex_unlock(&b->lock);
}

int api_behaviors_sync(struct api_behaviors *b, struct bd_sync_stats *stats)
{
	int ret;

	pthread_mutex_lock(&b->lock);
	ret = bd_sync_index(b->store, b->tok, b->idx, stats);
	pthread_mutex_unlock(&b->lock);
	if (!ret)
		api_behaviors_count(b);
	return ret;
}

/* A submitter's submission: its own name on it, its limits, its trust
 * (capped confidence; risk-lowering entries to the pending queue). Returns
 * 0 to go on with bd_submit, else the reply is made. */
static int screen(struct api_behaviors *b, const struct api_request *req, json_t *sub,
		  json_t **pending_ids, struct api_response *resp)
{
	const json_t *entries = json_object_get(sub, "entries");
	const char *claimed = json_string_value(json_object_get(sub, "submitter"));
	json_t *held = NULL;
	unsigned int retry;
	char err[256];
	int ret;

	if (!b->trust || !req->principal)
		return 0; /* the operator: full trust */
	if (!claimed || strcmp(claimed, req->principal)) {
		api_reply_error(resp, 403, "submitter: this token is %s's; a submission names its "
				"own submitter", req->principal);
		return -EPERM;
	}
	ret = fleet_trust_admit(b->trust, req->principal, json_array_size(entries), &retry, err,
				sizeof(err));
	if (ret) {
		api_reply_error(resp, ret == -E2BIG ? 413 : 429, "%s", err);
		return ret;
	}
	pthread_mutex_lock(&b->lock);
	ret = fleet_trust_screen(b->trust, req->principal, b->store, sub, &held);
	if (!ret && json_array_size(held))
		ret = fleet_pending_add(b->store, req->principal, held, pending_ids);
	pthread_mutex_unlock(&b->lock);
	json_decref(held);
	if (ret)
		api_reply_error(resp, 500, "cannot queue entries for approval: %s", strerror(-ret));
	return ret;
}

static void submit(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_behaviors *b = ctx;
	json_error_t jerr;
	json_t *sub, *result = NULL, *pending = NULL;
	char err[512];
	int ret;

	if (!req->body || !req->body_len) {
		api_reply_error(resp, 400, "a JSON submission body is required "
				"(schemas/submission.schema.json)");
		return;
	}
	sub = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!sub) {
		api_reply_error(resp, 400, "malformed JSON at line %d column %d: %s", jerr.line,
				jerr.column, jerr.text);
		return;
	}
	if (screen(b, req, sub, &pending, resp)) {
		json_decref(sub);
		return;
	}
	if (pending && !json_array_size(json_object_get(sub, "entries"))) {
		/* everything waits for an analyst */
		api_reply_json(resp, 202, json_pack("{s:i, s:[], s:o}", "accepted", 0, "ids",
						    "pending", pending));
		json_decref(sub);
		return;
	}
	pthread_mutex_lock(&b->lock);
	ret = bd_submit(b->store, b->idx, b->tok, sub, &result, err, sizeof(err));
	pthread_mutex_unlock(&b->lock);
	json_decref(sub);
	if (ret == -EINVAL)
		api_reply_error(resp, 422, "%s", err);
	else if (ret)
		api_reply_error(resp, 500, "cannot store the submission: %s", err[0] ? err : strerror(-ret));
	else {
		if (pending)
			json_object_set(result, "pending", pending);
		api_reply_json(resp, 201, result);
	}
	json_decref(pending);
	if (!ret)
		api_behaviors_count(b);
}

static void pending_list(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_behaviors *b = ctx;
	json_t *items;
	int ret;

	(void)req;
	pthread_mutex_lock(&b->lock);
	ret = fleet_pending_list(b->store, &items);
	pthread_mutex_unlock(&b->lock);
	if (ret) {
		json_decref(items);
		api_reply_error(resp, 500, "cannot read the pending entries");
		return;
	}
	api_reply_json(resp, 200, json_pack("{s:o}", "pending", items));
}

/* POST /v1/behaviors/pending/ID/approve and .../ID/reject */
static void pending_decide(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_behaviors *b = ctx;
	const char *slash = req->arg ? strchr(req->arg, '/') : NULL;
	json_t *result = NULL;
	char idtext[24], err[512] = "";
	int64_t id;
	int ret;

	if (!slash || (size_t)(slash - req->arg) >= sizeof(idtext) ||
	    (strcmp(slash, "/approve") && strcmp(slash, "/reject"))) {
		api_reply_error(resp, 404, "expected /v1/behaviors/pending/ID/approve or .../reject");
		return;
	}
	snprintf(idtext, sizeof(idtext), "%.*s", (int)(slash - req->arg), req->arg);
	if (api_query_int(idtext, 1, INT64_MAX, &id)) {
		api_reply_error(resp, 400, "'%s' is not a pending entry id", idtext);
		return;
	}
	pthread_mutex_lock(&b->lock);
	if (!strcmp(slash, "/reject"))
		ret = fleet_pending_reject(b->store, id);
	else
		ret = fleet_pending_approve(b->store, b->idx, b->tok, id, &result, err, sizeof(err));
	pthread_mutex_unlock(&b->lock);
	if (ret == -ENOENT)
		api_reply_error(resp, 404, "no pending entry %lld", (long long)id);
	else if (ret == -EINVAL)
		api_reply_error(resp, 422, "%s (the entry is dropped from the queue)", err);
	else if (ret)
		api_reply_error(resp, 500, "%s", err[0] ? err : strerror(-ret));
	else if (result)
		api_reply_json(resp, 201, result);
	else
		api_reply_json(resp, 200, json_pack("{s:I}", "rejected", (json_int_t)id));
	if (!ret && result)
		api_behaviors_count(b);
}

struct list_ctx {
	const char *label, *submitter, *source;
	int64_t after;
	size_t limit;
	json_t *items;
	int64_t last;
	bool more;
};

static int list_one(const struct bd_entry *e, void *arg)
{
	struct list_ctx *l = arg;

	if (e->id <= l->after ||
	    (l->label && strcmp(l->label, e->label == BD_LABEL_GOOD ? "good" : "malicious")) ||
	    (l->submitter && (!e->submitter || strcmp(l->submitter, e->submitter))) ||
	    (l->source && (!e->source || strcmp(l->source, e->source))))
		return 0;
	if (json_array_size(l->items) == l->limit) {
		l->more = true;
		return 1; /* stop */
	}
	json_array_append_new(l->items, bdentry_to_json(e));
	l->last = e->id;
	return 0;
}

static void list(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_behaviors *b = ctx;
	const char *limit = api_request_query(req, "limit"), *after = api_request_query(req, "after");
	struct list_ctx l = {
		.label = api_request_query(req, "label"),
		.submitter = api_request_query(req, "submitter"),
		.source = api_request_query(req, "source"),
		.limit = 100, .items = json_array(),
	};
	json_t *doc;
	int64_t n;
	int ret;

	/* "5x" or "-1" is a client's mistake to hear about, not a page to guess */
	if (limit && api_query_int(limit, 1, LIST_MAX, &n)) {
		json_decref(l.items);
		api_reply_error(resp, 400, "limit: '%s' is not an integer in 1..%d", limit, LIST_MAX);
		return;
	}
	if (limit)
		l.limit = (size_t)n;
	if (after && api_query_int(after, 0, INT64_MAX, &l.after)) {
		json_decref(l.items);
		api_reply_error(resp, 400, "after: '%s' is not an entry id (an integer, 0 or more)",
				after);
		return;
	}
	if (l.label && strcmp(l.label, "good") && strcmp(l.label, "malicious")) {
		json_decref(l.items);
		api_reply_error(resp, 400, "label must be good or malicious");
		return;
	}
	pthread_mutex_lock(&b->lock);
	ret = bdstore_foreach(b->store, list_one, &l);
	pthread_mutex_unlock(&b->lock);
	if (ret < 0) {
		json_decref(l.items);
		api_reply_error(resp, 500, "cannot read the behavioral database");
		return;
	}
	doc = json_pack("{s:o}", "behaviors", l.items);
	if (l.more)
		json_object_set_new(doc, "next_after", json_integer(l.last));
	api_reply_json(resp, 200, doc);
}

static void remove_one(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_behaviors *b = ctx;
	int64_t id;
	int ret;

	if (!req->arg || api_query_int(req->arg, 1, INT64_MAX, &id)) {
		api_reply_error(resp, 400, "expected /v1/behaviors/ID with a positive integer ID");
		return;
	}
	pthread_mutex_lock(&b->lock);
	ret = bdstore_remove(b->store, id);
	if (!ret)
		bdindex_remove(b->idx, id);
	pthread_mutex_unlock(&b->lock);
	if (ret == -ENOENT)
		api_reply_error(resp, 404, "no behavior %lld", (long long)id);
	else if (ret)
		api_reply_error(resp, 500, "cannot remove behavior %lld: %s", (long long)id,
				strerror(-ret));
	else
		api_reply_json(resp, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
	if (!ret)
		api_behaviors_count(b);
}

static void stats(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_behaviors *b = ctx;
	struct bdstore_stats s;
	int ret;

	(void)req;
	pthread_mutex_lock(&b->lock);
	ret = bdstore_stats(b->store, &s);
	pthread_mutex_unlock(&b->lock);
	if (ret) {
		api_reply_error(resp, 500, "cannot read the behavioral database");
		return;
	}
	api_reply_json(resp, 200, json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I}",
		"entries", (json_int_t)s.entries, "good", (json_int_t)s.good,
		"malicious", (json_int_t)s.malicious, "sources", (json_int_t)s.sources,
		"mean_risk", s.mean_risk, "mean_confidence", s.mean_confidence,
		"index_entries", (json_int_t)bdindex_count(b->idx),
		"index_bytes", (json_int_t)bdindex_memory(b->idx)));
}

void api_behaviors_routes(struct api_behaviors *b, struct api_route *r)
{
	r[0] = (struct api_route){ .method = "POST", .path = "/v1/behaviors", .fn = submit, .ctx = b,
				   .submitters = 1 };
	r[1] = (struct api_route){ .method = "GET", .path = "/v1/behaviors", .fn = list, .ctx = b };
	r[2] = (struct api_route){ .method = "GET", .path = "/v1/behaviors/stats", .fn = stats, .ctx = b };
	r[3] = (struct api_route){ .method = "GET", .path = "/v1/behaviors/pending", .fn = pending_list,
				   .ctx = b };
	r[4] = (struct api_route){ .method = "POST", .path = "/v1/behaviors/pending/", .prefix = 1,
				   .fn = pending_decide, .ctx = b };
	r[5] = (struct api_route){ .method = "DELETE", .path = "/v1/behaviors/", .prefix = 1,
				   .fn = remove_one, .ctx = b };
}
