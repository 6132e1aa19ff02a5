/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The agent's HTTP API (libmicrohttpd): a unix socket (root-only by
 * default) and an optional TCP listener that requires a bearer token.
 * Requests are dispatched through a route table; the agent appends its own
 * routes (e.g. /v1/behaviors) in api_opts.routes. Every reply is JSON
 * except /metrics and the report page. */
#ifndef BPFPROF_API_H
#define BPFPROF_API_H

#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

struct api;
struct decision_store;
struct agent_metrics;

struct api_request {
	const char *method;
	const char *path;
	const char *arg;  /* prefix routes: the rest of the path after the prefix */
	const char *body; /* NUL-terminated; NULL when there is none */
	size_t body_len;
	void *conn;       /* for api_request_query / api_request_header */
	const char *principal; /* the submitter whose token came with it; NULL: the operator */
};

struct api_response {
	int status;
	const char *content_type;
	char *body;       /* malloc'd, freed by the API (or static if body_static) */
	size_t len;
	int body_static;
};

typedef void (*api_handler_fn)(void *ctx, const struct api_request *req,
			       struct api_response *resp);

struct api_route {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* exact, or a prefix ending in '/' when prefix is set */
	int prefix;
	int public;         /* served on TCP without a token (page files, /healthz) */
	api_handler_fn fn;
	void *ctx;
	int submitters;     /* a submitter's token is enough on TCP (api_opts.principal) */
};

struct api_opts {
	size_t sz;                     /* sizeof(struct api_opts) */
	const char *listen_unix;       /* socket path, or NULL */
	int unix_mode;                 /* permission bits; 0: 0600 */
	const char *listen_tcp;        /* "ADDR:PORT" (port 0: any), or NULL */
	const char *token_file;        /* required with listen_tcp */
	size_t max_body;               /* 0: 1 MiB */
	struct decision_store *store;  /* /v1/decisions, /v1/stats; NULL: 503 */
	struct agent_metrics *metrics; /* /metrics and request counting; may be NULL */
	const struct api_route *routes; /* extra routes, checked before the built-in ones */
	size_t nroutes;
	/* the submitter a bearer token belongs to, or NULL (no submitters: NULL) */
	const char *(*principal)(void *ctx, const char *token);
	void *principal_ctx;
};

/* Binds the listeners and starts serving on internal threads. err says
 * what was wrong (address in use, no token file, ...). */
int api_start(const struct api_opts *opts, struct api **out, char *err, size_t errlen);
/* Stops serving, closes the listeners and removes the unix socket. */
void api_stop(struct api *api);
/* The bound TCP port (useful with port 0), or -1 without TCP. */
int api_tcp_port(const struct api *api);

/* Helpers for handlers. */
const char *api_request_query(const struct api_request *req, const char *key);
/* A query value or path argument that is a whole decimal integer in lo..hi
 * (digits, a leading '-' at most): 0, else -EINVAL ("5x", " 5", "", an
 * overflow or a value out of range are mistakes to report, not numbers to
 * guess). */
int api_query_int(const char *v, int64_t lo, int64_t hi, int64_t *out);
const char *api_request_header(const struct api_request *req, const char *name);
/* Replies with a JSON document (takes the reference). */
void api_reply_json(struct api_response *resp, int status, json_t *doc);
/* Replies {"error": "..."}. */
void api_reply_error(struct api_response *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
