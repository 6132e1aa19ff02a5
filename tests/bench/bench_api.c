/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Decision store and API latency with N stored decisions (default 100k):
 * insert cost, query latency per filter (direct and over HTTP on the unix
 * socket), percentiles over repeated runs. Run by `scripts/bench.sh api`. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/agent_metrics.h"
#include "agent/api.h"
#include "decision/decision_store.h"
#include "lib/util.h"
#include "decision_sample.h"

#define SEC 1000000000LL

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *ns, int n)
{
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("| %-52s | %9.1f | %9.1f | %9.1f |\n", what, ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3,
	       ns[n - 1] / 1e3);
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	*(size_t *)ud += sz * n;
	return sz * n;
}

static void bench_query(struct decision_store *s, const char *what, struct decision_query q,
			int reps)
{
	uint64_t *ns = calloc(reps, sizeof(*ns));
	char next[DECISION_CURSOR_LEN];
	size_t rows = 0;

	for (int i = 0; i < reps; i++) {
		uint64_t t = util_now_mono_ns();
		json_t *arr;

		if (decision_store_query(s, &q, &arr, next))
			abort();
		ns[i] = util_now_mono_ns() - t;
		rows = json_array_size(arr);
		json_decref(arr);
	}
	{
		char label[96];

		snprintf(label, sizeof(label), "%s (%zu rows)", what, rows);
		report(label, ns, reps);
	}
	free(ns);
}

static void bench_http(const char *sock, const char *what, const char *path, int reps, int64_t max_id)
{
	uint64_t *ns = calloc(reps, sizeof(*ns));
	CURL *c = curl_easy_init();
	size_t bytes = 0;
	char url[256];
	long code;

	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	for (int i = 0; i < reps; i++) {
		uint64_t t;

		if (max_id)
			snprintf(url, sizeof(url), "http://localhost%s%lld", path,
				 (long long)(1 + rand() % max_id));
		else
			snprintf(url, sizeof(url), "http://localhost%s", path);
		curl_easy_setopt(c, CURLOPT_URL, url);
		t = util_now_mono_ns();
		if (curl_easy_perform(c) != CURLE_OK)
			abort();
		ns[i] = util_now_mono_ns() - t;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200)
			abort();
	}
	curl_easy_cleanup(c);
	{
		char label[96];

		snprintf(label, sizeof(label), "%s (%zu B)", what, bytes / reps);
		report(label, ns, reps);
	}
	free(ns);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000, reps = 200;
	char dir[] = "/tmp/bpfprof-bench-XXXXXX", db[64], sock[64], err[256], cmd[96];
	struct decision_store_opts so = { .sz = sizeof(so) };
	const char *levels[] = { "low", "medium", "high" };
	int64_t now = (int64_t)util_now_real_ns(), id;
	struct decision_store *s;
	struct agent_metrics *am = agent_metrics_new();
	struct api *api;
	uint64_t t0, *ins;
	int64_t c[DECISION_LEVELS];

	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/d.db", dir);
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	if (decision_store_open(db, &so, &s, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ins = calloc(n > 2000 ? n : 2000, sizeof(*ins));
	srand(1);
	/* one decision a second up to now; 80% low, 15% medium, 5% high */
	t0 = util_now_mono_ns();
	for (int i = 0; i < n; i++) {
		int r = rand() % 100, lvl = r < 80 ? 0 : r < 95 ? 1 : 2;
		json_t *d = decision_sample(now - (int64_t)(n - i) * SEC, levels[lvl], 0.3 * lvl + 0.1,
					    "/tmp/libbench.so");
		uint64_t t = util_now_mono_ns();

		if (decision_store_put(s, d, &id, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		ins[i] = util_now_mono_ns() - t;
		agent_metrics_decision(am, d);
		json_decref(d);
	}
	printf("Storing the %d decisions took %.2f s.\n\n", n, (util_now_mono_ns() - t0) / 1e9);
	printf("| operation | p50 µs | p99 µs | max µs |\n|---|---:|---:|---:|\n");
	report("put (synchronous=NORMAL, with decision body)", ins, n);
	{
		/* the power-loss-safe setting: an fsync per decision */
		struct decision_store_opts fo = { .sz = sizeof(fo), .sync_full = 1 };
		struct decision_store *fs;
		char fdb[80];
		int m = 2000;

		snprintf(fdb, sizeof(fdb), "%s/full.db", dir);
		if (decision_store_open(fdb, &fo, &fs, err, sizeof(err)))
			return 1;
		for (int i = 0; i < m; i++) {
			json_t *d = decision_sample(now, "low", 0.1, "/tmp/libbench.so");
			uint64_t t = util_now_mono_ns();

			if (decision_store_put(fs, d, &id, err, sizeof(err)))
				return 1;
			ins[i] = util_now_mono_ns() - t;
			json_decref(d);
		}
		report("put (synchronous=FULL), 2000 decisions", ins, m);
		decision_store_close(fs);
	}
	free(ins);
	{
		uint64_t g[200];
		char next[DECISION_CURSOR_LEN], *text;
		size_t len;

		for (int i = 0; i < 200; i++) {
			uint64_t t = util_now_mono_ns();

			if (decision_store_query_text(s, &(struct decision_query){ .limit = 100 },
						      &text, &len, next))
				abort();
			g[i] = util_now_mono_ns() - t;
			free(text);
		}
		report("query_text newest, limit 100 (API's path)", g, 200);
	}
	bench_query(s, "query (json_t) newest, limit 100", (struct decision_query){ .limit = 100 }, reps);
	bench_query(s, "query (json_t) newest, limit 1000", (struct decision_query){ .limit = 1000 }, reps / 4);
	bench_query(s, "query (json_t) level>=high, limit 100",
		    (struct decision_query){ .limit = 100, .min_level = VERDICT_HIGH }, reps);
	bench_query(s, "query (json_t) since 1h, level>=medium, 1000",
		    (struct decision_query){ .limit = 1000, .min_level = VERDICT_MEDIUM,
					     .since_ns = now - 3600 * SEC }, reps / 4);
	bench_query(s, "query (json_t) since 10 s",
		    (struct decision_query){ .limit = 100, .since_ns = now - 10 * SEC }, reps);
	{
		struct decision_query q = { .limit = 100, .cursor = NULL };
		char cur[DECISION_CURSOR_LEN] = "", prev[DECISION_CURSOR_LEN];
		uint64_t pages[2000];
		int np = 0;

		do {
			json_t *arr;
			uint64_t t = util_now_mono_ns();

			strcpy(prev, cur);
			q.cursor = prev;
			if (decision_store_query(s, &q, &arr, cur))
				abort();
			if (np < 2000)
				pages[np++] = util_now_mono_ns() - t;
			json_decref(arr);
		} while (*cur);
		report("query (json_t) every page of 100 by cursor", pages, np);
	}
	{
		uint64_t g[1000];

		for (int i = 0; i < 1000; i++) {
			json_t *d;
			uint64_t t = util_now_mono_ns();

			if (decision_store_get(s, 1 + rand() % n, &d))
				abort();
			g[i] = util_now_mono_ns() - t;
			json_decref(d);
		}
		report("get by id (random)", g, 1000);
	}
	{
		uint64_t g[50];

		for (int i = 0; i < 50; i++) {
			uint64_t t = util_now_mono_ns();

			decision_store_count(s, c);
			g[i] = util_now_mono_ns() - t;
		}
		report("count per level (/v1/stats)", g, 50);
	}
	{
		struct api_opts o = { .sz = sizeof(o), .listen_unix = sock, .store = s, .metrics = am };

		curl_global_init(CURL_GLOBAL_DEFAULT);
		if (api_start(&o, &api, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		bench_http(sock, "HTTP GET /v1/decisions?limit=100", "/v1/decisions?limit=100", reps, 0);
		bench_http(sock, "HTTP GET /v1/decisions?level=high&limit=100",
			   "/v1/decisions?level=high&limit=100", reps, 0);
		bench_http(sock, "HTTP GET /v1/decisions/{random id}", "/v1/decisions/", 1000, n);
		bench_http(sock, "HTTP GET /metrics", "/metrics", reps, 0);
		bench_http(sock, "HTTP GET /healthz", "/healthz", reps, 0);
		api_stop(api);
		curl_global_cleanup();
	}
	decision_store_close(s);
	agent_metrics_free(am);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}
