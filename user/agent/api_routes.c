/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Handlers validate every query parameter and answer 400 with a JSON error
 * naming it; they only read the store and the metrics registry. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/agent_metrics.h"
#include "agent/api_routes.h"
#include "decision/decision_store.h"
#include "lib/timefmt.h"
#include "lib/util.h"

extern const char bpfprof_web_index_html[], bpfprof_web_app_js[], bpfprof_web_style_css[];
extern const size_t bpfprof_web_index_html_len, bpfprof_web_app_js_len, bpfprof_web_style_css_len;

#define DEFAULT_LIMIT 100

struct static_file {
	const char *ctype;
	const char *data;
	const size_t *len;
};

static const struct static_file page_files[] = {
	{ "text/html; charset=utf-8", bpfprof_web_index_html, &bpfprof_web_index_html_len },
	{ "text/javascript; charset=utf-8", bpfprof_web_app_js, &bpfprof_web_app_js_len },
	{ "text/css; charset=utf-8", bpfprof_web_style_css, &bpfprof_web_style_css_len },
};

static void page_file(void *ctx, const struct api_request *req, struct api_response *resp)
{
	const struct static_file *f = ctx;

	(void)req;
	resp->status = 200;
	resp->content_type = f->ctype;
	resp->body = (char *)f->data;
	resp->len = *f->len;
	resp->body_static = 1;
}

static void healthz(void *ctx, const struct api_request *req, struct api_response *resp)
{
	const struct api_opts *o = ctx;
	int store_ok = o->store && !decision_store_ping(o->store);

	(void)req;
	api_reply_json(resp, store_ok ? 200 : 503,
		       json_pack("{s:s, s:s, s:s}", "status", store_ok ? "ok" : "degraded",
				 "version", BPFPROF_VERSION, "store",
				 o->store ? store_ok ? "ok" : "failing" : "absent"));
}

static void metrics(void *ctx, const struct api_request *req, struct api_response *resp)
{
	const struct api_opts *o = ctx;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)req;
	if (!o->metrics) {
		api_reply_error(resp, 503, "metrics are not enabled");
		return;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	if (metrics_render(o->metrics->reg, f)) {
		fclose(f);
		free(buf);
		api_reply_error(resp, 500, "rendering metrics failed");
		return;
	}
	fclose(f);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->body = buf;
	resp->len = len;
}

static int need_store(const struct api_opts *o, struct api_response *resp)
{
	if (o->store)
		return 1;
	api_reply_error(resp, 503, "no decision store");
	return 0;
}

/* ?container=&exe=&unit=&pod=&object=&uid= (docs/api.md); 0 after a 400. */
static int parse_filters(const struct api_request *req, struct decision_query *q,
			 struct api_response *resp)
{
	struct { const char *name; const char **dst; } f[] = {
		{ "container", &q->container }, { "exe", &q->exe }, { "unit", &q->unit },
		{ "pod", &q->pod }, { "object", &q->object },
	};
	const char *uid = api_request_query(req, "uid");

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		const char *v = api_request_query(req, f[i].name);

		if (v && (!*v || strlen(v) > 4096)) {
			api_reply_error(resp, 400, "%s: must be 1..4096 characters", f[i].name);
			return 0;
		}
		*f[i].dst = v;
	}
	if (uid) {
		if (api_query_int(uid, 0, UINT32_MAX, &q->uid)) {
			api_reply_error(resp, 400, "uid: '%s' is not an integer in 0..%u", uid,
					UINT32_MAX);
			return 0;
		}
		q->uid_set = true;
	}
	return 1;
}

static void decisions_list(void *ctx, const struct api_request *req, struct api_response *resp)
{
	const struct api_opts *o = ctx;
	const char *since = api_request_query(req, "since");
	const char *level = api_request_query(req, "level");
	const char *limit = api_request_query(req, "limit");
	struct decision_query q = { .limit = DEFAULT_LIMIT,
				    .cursor = api_request_query(req, "cursor") };
	char next[DECISION_CURSOR_LEN], *text;
	size_t len;
	FILE *f;
	int ret;

	if (!need_store(o, resp))
		return;
	if (since) {
		char fixed[64];

		/* a '+' of an RFC 3339 offset arrives as ' ' if the client did
		 * not encode it as %2B */
		snprintf(fixed, sizeof(fixed), "%s", since);
		for (char *p = fixed + (strlen(fixed) > 19 ? 19 : strlen(fixed)); *p; p++)
			if (*p == ' ')
				*p = '+';
		if (timefmt_parse_since(fixed, (int64_t)util_now_real_ns(), &q.since_ns)) {
			api_reply_error(resp, 400,
					"since: '%s' is not an RFC 3339 time, an age like 15m/2h/7d "
					"or epoch seconds", since);
			return;
		}
	}
	if (level && (q.min_level = decision_level_parse(level)) < 0) {
		api_reply_error(resp, 400, "level: '%s' is not low, medium or high", level);
		return;
	}
	if (!parse_filters(req, &q, resp))
		return;
	if (limit) {
		int64_t n;

		if (api_query_int(limit, 1, DECISION_QUERY_MAX, &n)) {
			api_reply_error(resp, 400, "limit: '%s' is not an integer in 1..%d", limit,
					DECISION_QUERY_MAX);
			return;
		}
		q.limit = (unsigned)n;
	}
	ret = decision_store_query_text(o->store, &q, &text, &len, next);
	if (ret == -EINVAL) {
		api_reply_error(resp, 400, "cursor: not a cursor this API returned");
		return;
	}
	if (ret == -ENOTSUP) {
		api_reply_error(resp, 503, "the decision database predates attribution filters");
		return;
	}
	if (ret) {
		api_reply_error(resp, 500, "reading decisions: %s", strerror(-ret));
		return;
	}
	/* the cursor is digits and '-' only: no escaping needed */
	resp->body = NULL;
	f = open_memstream(&resp->body, &resp->len);
	if (f) {
		fprintf(f, "{\"decisions\":%s,\"next_cursor\":", text);
		if (*next)
			fprintf(f, "\"%s\"}", next);
		else
			fputs("null}", f);
		fclose(f);
	}
	free(text);
	if (!f) {
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
}

static void decisions_one(void *ctx, const struct api_request *req, struct api_response *resp)
{
	const struct api_opts *o = ctx;
	const char *s = req->arg;
	json_t *d;
	long long id = 0;
	int ret;

	if (!need_store(o, resp))
		return;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || id > (INT64_MAX - 9) / 10) {
			id = 0;
			break;
		}
		id = id * 10 + (*p - '0');
	}
	if (id < 1) {
		api_reply_error(resp, 400, "decision id '%s' is not a positive integer", s);
		return;
	}
	ret = decision_store_get(o->store, id, &d);
	if (ret == -ENOENT)
		api_reply_error(resp, 404, "no decision %lld", id);
	else if (ret)
		api_reply_error(resp, 500, "reading decision %lld: %s", id, strerror(-ret));
	else
		api_reply_json(resp, 200, d);
}

static void stats(void *ctx, const struct api_request *req, struct api_response *resp)
{
	const struct api_opts *o = ctx;
	int64_t c[DECISION_LEVELS];
	int ret;

	(void)req;
	if (!need_store(o, resp))
		return;
	ret = decision_store_count(o->store, c);
	if (ret) {
		api_reply_error(resp, 500, "counting decisions: %s", strerror(-ret));
		return;
	}
	api_reply_json(resp, 200,
		       json_pack("{s:{s:I, s:I, s:I, s:I}}", "decisions", "total",
				 (json_int_t)(c[0] + c[1] + c[2]), "low", (json_int_t)c[0],
				 "medium", (json_int_t)c[1], "high", (json_int_t)c[2]));
}

size_t api_routes_builtin(const struct api_opts *opts, struct api_route *out)
{
	void *ctx = (void *)opts;
	const struct api_route routes[] = {
		{ "GET", "/", 0, 1, page_file, (void *)&page_files[0], 0 },
		{ "GET", "/app.js", 0, 1, page_file, (void *)&page_files[1], 0 },
		{ "GET", "/style.css", 0, 1, page_file, (void *)&page_files[2], 0 },
		/* a liveness probe carries no token; it learns no data */
		{ "GET", "/healthz", 0, 1, healthz, ctx, 0 },
		{ "GET", "/metrics", 0, 0, metrics, ctx, 0 },
		{ "GET", "/v1/decisions", 0, 0, decisions_list, ctx, 0 },
		{ "GET", "/v1/decisions/", 1, 0, decisions_one, ctx, 0 },
		{ "GET", "/v1/stats", 0, 0, stats, ctx, 0 },
	};
	_Static_assert(ARRAY_SIZE(routes) <= API_BUILTIN_ROUTES, "raise API_BUILTIN_ROUTES");

	memcpy(out, routes, sizeof(routes));
	return ARRAY_SIZE(routes);
}
