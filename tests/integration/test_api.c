/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Every endpoint of the HTTP API, over the unix socket and TCP. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include "api_fixture.h"

#define T0 1795764095000000000LL
#define SEC 1000000000LL

static void echo_len(void *ctx, const struct api_request *req, struct api_response *resp)
{
	(void)ctx;
	api_reply_json(resp, 201, json_pack("{s:I}", "received", (json_int_t)req->body_len));
}

static const struct api_route extra[] = {
	{ "POST", "/v1/echo", 0, 0, echo_len, NULL, 0 },
};

static void setup(void)
{
	fx_setup();
	fx_start_api(extra, 1);
}

TestSuite(api, .init = setup, .fini = fx_teardown);

static void assert_json_error(struct http_reply *r, long status)
{
	json_t *j;

	cr_assert_eq(r->status, status, "status %ld, body %s", r->status, r->body);
	cr_assert(strstr(r->ctype, "application/json"), "%s", r->ctype);
	j = fx_json(r);
	cr_assert(json_is_string(json_object_get(j, "error")), "%s", r->body);
	json_decref(j);
	free(r->body);
}

Test(api, healthz_reports_ok_with_a_working_store)
{
	struct http_reply r = fx_get("/healthz");
	json_t *j = fx_json(&r);

	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
	cr_assert_str_eq(json_string_value(json_object_get(j, "store")), "ok");
	json_decref(j);
	free(r.body);
}

Test(api, unix_socket_is_root_only_by_default)
{
	struct stat st;

	cr_assert_eq(stat(fx.sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
}

Test(api, tcp_without_a_token_or_with_a_wrong_one_is_401)
{
	const char *paths[] = { "/metrics", "/v1/decisions", "/v1/decisions/1", "/v1/stats",
				"/nope" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct http_reply r = fx_request("GET", paths[i], 1, NULL, NULL);

		assert_json_error(&r, 401);
		r = fx_request("GET", paths[i], 1, "wrong-token-wrong-token", NULL);
		assert_json_error(&r, 401);
		r = fx_request("GET", paths[i], 1, TEST_TOKEN "x", NULL);
		assert_json_error(&r, 401);
	}
}

Test(api, tcp_bodies_without_the_token_are_refused_before_they_are_read)
{
	char big[8192];
	struct http_reply r;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = fx_request("POST", "/v1/echo", 1, NULL, big);
	assert_json_error(&r, 401);
	r = fx_request("POST", "/v1/echo", 1, TEST_TOKEN, "{}");
	cr_assert_eq(r.status, 201, "%s", r.body);
	free(r.body);
}

Test(api, tcp_with_the_token_is_served)
{
	struct http_reply r = fx_request("GET", "/healthz", 1, TEST_TOKEN, NULL);

	cr_assert_eq(r.status, 200, "%s", r.body);
	free(r.body);
	r = fx_request("GET", "/v1/decisions", 1, TEST_TOKEN, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	free(r.body);
}

Test(api, report_page_files_are_served_without_a_token)
{
	struct http_reply r = fx_request("GET", "/", 1, NULL, NULL);

	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "text/html"));
	cr_assert(strstr(r.body, "<script src=\"app.js\"></script>"));
	cr_assert_null(strstr(r.body, "http://"), "the page must not load anything external");
	cr_assert_null(strstr(r.body, "https://"), "the page must not load anything external");
	free(r.body);
	r = fx_request("GET", "/app.js", 1, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "javascript"));
	cr_assert(strstr(r.body, "/v1/decisions"));
	free(r.body);
	r = fx_request("GET", "/style.css", 1, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "text/css"));
	free(r.body);
}

Test(api, decisions_lists_newest_first_with_filters_and_paging)
{
	int64_t a = fx_put(T0, "low", "/lib/a.so"), b = fx_put(T0 + SEC, "high", "/tmp/b.so");
	int64_t c = fx_put(T0 + 2 * SEC, "medium", "/tmp/c.so");
	struct http_reply r = fx_get("/v1/decisions");
	json_t *j = fx_json(&r), *arr = json_object_get(j, "decisions");
	const char *cur;
	char path[160];

	cr_assert_eq(r.status, 200);
	cr_assert_eq(json_array_size(arr), 3);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, 0), "id")), c);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, 2), "id")), a);
	cr_assert(json_is_null(json_object_get(j, "next_cursor")));
	json_decref(j);
	free(r.body);

	r = fx_get("/v1/decisions?level=high");
	j = fx_json(&r);
	arr = json_object_get(j, "decisions");
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, 0), "id")), b);
	json_decref(j);
	free(r.body);

	r = fx_get("/v1/decisions?since=2026-11-27T07:21:36Z");
	j = fx_json(&r);
	cr_assert_eq(json_array_size(json_object_get(j, "decisions")), 2);
	json_decref(j);
	free(r.body);

	r = fx_get("/v1/decisions?since=2026-11-27T09:21:36+02:00"); /* unencoded '+' */
	j = fx_json(&r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(json_array_size(json_object_get(j, "decisions")), 2);
	json_decref(j);
	free(r.body);

	r = fx_get("/v1/decisions?limit=2");
	j = fx_json(&r);
	cr_assert_eq(json_array_size(json_object_get(j, "decisions")), 2);
	cur = json_string_value(json_object_get(j, "next_cursor"));
	cr_assert_not_null(cur);
	snprintf(path, sizeof(path), "/v1/decisions?limit=2&cursor=%s", cur);
	json_decref(j);
	free(r.body);
	r = fx_get(path);
	j = fx_json(&r);
	arr = json_object_get(j, "decisions");
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, 0), "id")), a);
	json_decref(j);
	free(r.body);
}

Test(api, malformed_decision_queries_are_400_with_a_json_error)
{
	const char *bad[] = { "/v1/decisions?since=yesterday", "/v1/decisions?since=",
			      "/v1/decisions?level=severe", "/v1/decisions?limit=0",
			      "/v1/decisions?limit=5000", "/v1/decisions?limit=ten",
			      "/v1/decisions?cursor=nonsense", "/v1/decisions/abc",
			      "/v1/decisions/0", "/v1/decisions/-3",
			      "/v1/decisions/99999999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_reply r = fx_get(bad[i]);

		cr_expect_eq(r.status, 400, "%s -> %ld", bad[i], r.status);
		assert_json_error(&r, 400);
	}
}

Test(api, one_decision_has_the_full_explanation)
{
	int64_t id = fx_put(T0, "high", "/tmp/libevil.so");
	char path[64];
	struct http_reply r;
	json_t *j, *stored;
	const char *fields[] = { "components", "weights", "matches", "findings",
				 "reputation_reasons", "action", "backend", "window" };

	snprintf(path, sizeof(path), "/v1/decisions/%lld", (long long)id);
	r = fx_get(path);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = fx_json(&r);
	cr_assert_eq(decision_store_get(fx.store, id, &stored), 0);
	cr_assert(json_equal(j, stored), "%s", r.body);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		cr_assert_not_null(json_object_get(j, fields[i]), "%s", fields[i]);
	json_decref(stored);
	json_decref(j);
	free(r.body);
	snprintf(path, sizeof(path), "/v1/decisions/%lld", (long long)id + 1);
	r = fx_get(path);
	assert_json_error(&r, 404);
}

Test(api, stats_counts_decisions_per_level)
{
	struct http_reply r;
	json_t *j;

	fx_put(T0, "high", "/a.so");
	fx_put(T0, "high", "/b.so");
	fx_put(T0, "low", "/c.so");
	r = fx_get("/v1/stats");
	j = fx_json(&r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "decisions"), "total")), 3);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "decisions"), "high")), 2);
	json_decref(j);
	free(r.body);
}

static void *reader(void *arg)
{
	int *failures = arg;

	for (int i = 0; i < 100; i++) {
		struct http_reply r;
		char url[128];

		snprintf(url, sizeof(url), "http://localhost%s",
			 i % 3 == 0 ? "/v1/decisions?limit=50" : i % 3 == 1 ? "/metrics" : "/v1/stats");
		if (fx_perform(url, fx.sock, "GET", NULL, NULL, &r) != CURLE_OK || r.status != 200)
			(*failures)++;
		free(r.body);
	}
	return NULL;
}

Test(api, concurrent_readers_while_decisions_are_written_all_succeed)
{
	pthread_t t[3];
	int failures[3] = { 0 };
	struct http_reply r;
	json_t *j;

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, reader, &failures[i]);
	for (int i = 0; i < 300; i++)
		fx_put(T0 + i, i % 2 ? "low" : "medium", "/tmp/c.so");
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(failures[i], 0, "reader %d: %d failed requests", i, failures[i]);
	}
	r = fx_get("/v1/stats");
	j = fx_json(&r);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "decisions"), "total")), 300);
	json_decref(j);
	free(r.body);
}

Test(api, unknown_paths_are_404_and_wrong_methods_405)
{
	struct http_reply r = fx_get("/v2/anything");

	assert_json_error(&r, 404);
	r = fx_request("POST", "/v1/decisions", 0, NULL, "{}");
	assert_json_error(&r, 405);
	r = fx_request("DELETE", "/v1/decisions/1", 0, NULL, NULL);
	assert_json_error(&r, 405);
}

Test(api, extra_routes_receive_the_body_and_oversized_bodies_are_413)
{
	char big[8192];
	struct http_reply r = fx_request("POST", "/v1/echo", 0, NULL, "{\"a\":1}");
	json_t *j = fx_json(&r);

	cr_assert_eq(r.status, 201);
	cr_assert_eq(json_integer_value(json_object_get(j, "received")), 7);
	json_decref(j);
	free(r.body);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = fx_request("POST", "/v1/echo", 0, NULL, big);
	assert_json_error(&r, 413);
}

Test(api, metrics_are_prometheus_text_and_count_requests_by_code)
{
	struct http_reply r;

	fx_put(T0, "high", "/tmp/x.so");
	free(fx_get("/healthz").body);
	free(fx_get("/nope").body);
	r = fx_get("/metrics");
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "text/plain; version=0.0.4"), "%s", r.ctype);
	cr_assert(strstr(r.body, "bpf_profiler_api_requests_total{code=\"200\"} 1\n"), "%s", r.body);
	cr_assert(strstr(r.body, "bpf_profiler_api_requests_total{code=\"404\"} 1\n"), "%s", r.body);
	cr_assert(strstr(r.body, "bpf_profiler_decisions_total{level=\"high\"} 1\n"), "%s", r.body);
	free(r.body);
}

Test(api, tcp_listener_without_a_token_file_is_refused)
{
	struct api_opts o = { .sz = sizeof(o), .listen_tcp = "127.0.0.1:0", .store = fx.store };
	struct api *a = NULL;
	char err[256] = "";

	cr_assert_eq(api_start(&o, &a, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "token"), "%s", err);
	fx_write(fx.token_file, "short\n");
	o.token_file = fx.token_file;
	cr_assert_eq(api_start(&o, &a, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "at least 16"), "%s", err);
}

Test(api, a_second_server_on_a_live_socket_is_refused_and_a_stale_one_replaced)
{
	struct api_opts o = { .sz = sizeof(o), .listen_unix = fx.sock, .store = fx.store };
	struct api *a = NULL;
	char err[256] = "";
	struct http_reply r;

	cr_assert_eq(api_start(&o, &a, err, sizeof(err)), -EADDRINUSE);
	cr_assert(strstr(err, "another process"), "%s", err);
	api_stop(fx.api);
	fx.api = NULL;
	/* api_stop removed it; leave a stale socket file as a crash would */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		strcpy(sa.sun_path, fx.sock);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	cr_assert_eq(api_start(&o, &fx.api, err, sizeof(err)), 0, "%s", err);
	r = fx_get("/healthz");
	cr_assert_eq(r.status, 200);
	free(r.body);
}

Test(api, every_decision_stored_before_a_kill_9_is_served_after_restart)
{
	int pfd[2], status, n = 0;
	int64_t ids[300], id;
	pid_t pid;

	api_stop(fx.api);
	fx.api = NULL;
	decision_store_close(fx.store);
	fx.store = NULL;
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		/* an agent: store + API, killed while serving */
		struct decision_store *s;
		struct api *a;
		struct api_opts o = { .sz = sizeof(o), .listen_unix = fx.sock };
		char err[256];

		close(pfd[0]);
		if (decision_store_open(fx.db, &(struct decision_store_opts){ .sz = 32 }, &s, err,
					sizeof(err)))
			_exit(1);
		o.store = s;
		if (api_start(&o, &a, err, sizeof(err)))
			_exit(1);
		for (int i = 0; i < 300; i++) {
			json_t *d = decision_sample(T0 + i * SEC, i % 3 ? "low" : "high", 0.3, "/x.so");

			if (decision_store_put(s, d, &id, err, sizeof(err)) ||
			    write(pfd[1], &id, sizeof(id)) != sizeof(id))
				_exit(1);
			json_decref(d);
		}
		raise(SIGKILL);
	}
	close(pfd[1]);
	while (n < 300 && read(pfd[0], &ids[n], sizeof(ids[n])) == sizeof(ids[n]))
		n++;
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
	cr_assert_eq(n, 300);
	{
		struct decision_store_opts so = { .sz = sizeof(so) };
		char err[256];
		struct http_reply r;
		json_t *j, *arr;

		cr_assert_eq(decision_store_open(fx.db, &so, &fx.store, err, sizeof(err)), 0, "%s", err);
		fx_start_api(NULL, 0); /* also replaces the dead agent's socket */
		r = fx_get("/v1/decisions?limit=1000");
		cr_assert_eq(r.status, 200, "%s", r.body);
		j = fx_json(&r);
		arr = json_object_get(j, "decisions");
		cr_assert_eq(json_array_size(arr), 300);
		for (int i = 0; i < 300; i++) /* newest first */
			cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, i), "id")),
				     ids[299 - i]);
		json_decref(j);
		free(r.body);
	}
}

Test(api, healthz_over_tcp_needs_no_token_and_everything_else_still_does)
{
	struct http_reply r = fx_request("GET", "/healthz", 1, NULL, NULL);

	cr_assert_eq(r.status, 200, "a liveness probe has no token: %ld %s", r.status, r.body);
	free(r.body);
	r = fx_request("GET", "/metrics", 1, NULL, NULL);
	assert_json_error(&r, 401);
}

/* A connection from src that sends half a request and then nothing. */
static int half_request(const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(fx.port) };
	struct sockaddr_in s = { .sin_family = AF_INET };
	static const char half[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, src, &s.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0, "bind %s: %m", src);
	/* a refused or reset connection is what a limit does: fine */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, half, sizeof(half) - 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

Test(api, idle_half_requests_do_not_lock_out_an_authorized_scrape, .timeout = 60)
{
	struct rlimit rl;
	int fds[600], n = 0;
	struct http_reply r;
	struct timespec t0, t1;
	char src[32];

	/* 600 client ends here plus the server's: more than the usual 1024 */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	/* 300 from one address (another host) ... */
	for (int i = 0; i < 300; i++)
		if ((fds[n] = half_request("127.0.0.2")) >= 0)
			n++;
	/* ... and 300 from 300 addresses */
	for (int i = 0; i < 300; i++) {
		snprintf(src, sizeof(src), "127.0.%d.%d", 1 + i / 250, 1 + i % 250);
		if ((fds[n] = half_request(src)) >= 0)
			n++;
	}
	usleep(200 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = fx_request("GET", "/metrics", 1, TEST_TOKEN, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(r.status, 200, "the scrape was not served: %ld %s", r.status, r.body);
	cr_assert(strstr(r.body, "bpf_profiler_"), "%s", r.body);
	/* bounded, not a benchmark: before the limits it never answered */
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 3, "the scrape took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	free(r.body);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}
