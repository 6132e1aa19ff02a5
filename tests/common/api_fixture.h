/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* An API server started in-process over a fresh store in a temp dir
 * (unix socket + TCP on 127.0.0.1 with a token), and a libcurl client. */
#ifndef BPFPROF_TEST_API_FIXTURE_H
#define BPFPROF_TEST_API_FIXTURE_H

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "agent/agent_metrics.h"
#include "agent/api.h"
#include "decision/decision_store.h"
#include "lib/util.h"
#include "decision_sample.h"

#define TEST_TOKEN "s3cret-token-for-tests-0123456789"

struct fx {
	char dir[64], db[128], sock[128], token_file[128];
	struct decision_store *store;
	struct agent_metrics *metrics;
	struct api *api;
	int port;
};

static struct fx fx;

static inline void fx_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static inline void fx_start_api(const struct api_route *routes, size_t nroutes)
{
	struct api_opts o = {
		.sz = sizeof(o), .listen_unix = fx.sock, .listen_tcp = "127.0.0.1:0",
		.token_file = fx.token_file, .store = fx.store, .metrics = fx.metrics,
		.routes = routes, .nroutes = nroutes, .max_body = 4096,
	};
	char err[256];

	cr_assert_eq(api_start(&o, &fx.api, err, sizeof(err)), 0, "%s", err);
	fx.port = api_tcp_port(fx.api);
	cr_assert_gt(fx.port, 0);
}

static inline void fx_setup(void)
{
	struct decision_store_opts so = { .sz = sizeof(so) };
	char err[256];

	strcpy(fx.dir, "/tmp/bpfprof-api-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.dir));
	snprintf(fx.db, sizeof(fx.db), "%s/d.db", fx.dir);
	snprintf(fx.sock, sizeof(fx.sock), "%s/api.sock", fx.dir);
	snprintf(fx.token_file, sizeof(fx.token_file), "%s/token", fx.dir);
	fx_write(fx.token_file, TEST_TOKEN "\n");
	chmod(fx.token_file, 0600);
	cr_assert_eq(decision_store_open(fx.db, &so, &fx.store, err, sizeof(err)), 0, "%s", err);
	fx.metrics = agent_metrics_new();
	cr_assert_not_null(fx.metrics);
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static inline void fx_teardown(void)
{
	char cmd[128];

	api_stop(fx.api);
	fx.api = NULL;
	decision_store_close(fx.store);
	agent_metrics_free(fx.metrics);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx.dir);
	cr_expect_eq(system(cmd), 0);
}

static inline int64_t fx_put(int64_t t, const char *level, const char *path)
{
	json_t *d = decision_sample(t, level, 0.5, path);
	char err[256];
	int64_t id;

	cr_assert_eq(decision_store_put(fx.store, d, &id, err, sizeof(err)), 0, "%s", err);
	agent_metrics_decision(fx.metrics, d);
	json_decref(d);
	return id;
}

struct http_reply {
	long status;
	char *body;
	size_t len;
	char ctype[128];
};

static size_t fx_collect(char *p, size_t sz, size_t n, void *ud)
{
	struct http_reply *r = ud;
	char *nb = realloc(r->body, r->len + sz * n + 1);

	if (!nb)
		return 0;
	memcpy(nb + r->len, p, sz * n);
	r->body = nb;
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

/* One request to url (over unix_path when not NULL); r->status is the
 * HTTP status. Returns curl's result without asserting it. */
static inline CURLcode fx_perform(const char *url, const char *unix_path, const char *method,
				  const char *token, const char *body, struct http_reply *r)
{
	struct curl_slist *h = NULL;
	char auth[256];
	CURL *c = curl_easy_init();
	char *ct = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!c)
		return CURLE_FAILED_INIT;
	if (unix_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fx_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (!r->body)
		r->body = calloc(1, 1);
	return rc;
}

/* via_tcp: 127.0.0.1:port with the given token (NULL: no header);
 * otherwise the unix socket. */
static inline struct http_reply fx_request(const char *method, const char *path, int via_tcp,
					   const char *token, const char *body)
{
	struct http_reply r;
	char url[1024];
	CURLcode rc;

	if (via_tcp)
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx.port, path);
	else
		snprintf(url, sizeof(url), "http://localhost%s", path);
	rc = fx_perform(url, via_tcp ? NULL : fx.sock, method, token, body, &r);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(rc));
	return r;
}

/* The whole output of a shell command (stdout and stderr) and its exit
 * status (-1 if it did not exit). */
static inline int fx_run(const char *cmd, char **out)
{
	char full[2048];
	size_t cap = 0;
	FILE *p;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	cr_assert_not_null(p);
	*out = NULL;
	if (getdelim(out, &cap, '\0', p) < 0) {
		free(*out);
		*out = calloc(1, 1);
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline struct http_reply fx_get(const char *path)
{
	return fx_request("GET", path, 0, NULL, NULL);
}

/* The reply body as JSON (asserts it is). */
static inline json_t *fx_json(const struct http_reply *r)
{
	json_error_t e;
	json_t *j = json_loads(r->body, 0, &e);

	cr_assert_not_null(j, "not JSON (%s): %s", e.text, r->body);
	return j;
}

#endif
