/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* /metrics against the real Prometheus tools: promtool's linter, and a
 * Prometheus server that scrapes the agent over TCP with the bearer token
 * and answers for its series through the query API. */
#include <signal.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include "api_fixture.h"

#define T0 1795764095000000000LL

static void setup(void)
{
	fx_setup();
	fx_start_api(NULL, 0);
}

TestSuite(prometheus, .init = setup, .fini = fx_teardown, .timeout = 90);

static void require_tool(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", tool);
	/* a CI without the tool must fail, not pass: scripts/deps.sh installs it */
	cr_assert_eq(system(cmd), 0, "%s not found: install Debian's prometheus package "
				     "(scripts/deps.sh)", tool);
}

static void fill_metrics(void)
{
	fx_put(T0, "high", "/tmp/evil.so");
	fx_put(T0, "low", "/usr/lib/x86_64-linux-gnu/libm.so.6");
	metric_add(metric_get(fx.metrics->events, "openat:write"), 12);
	metric_add(metric_get(fx.metrics->events, "mprotect:exec"), 3);
	metric_add(fx.metrics->ringbuf_lost, 2);
	metric_inc(fx.metrics->windows_opened);
	metric_set(metric_get(fx.metrics->db_entries, "malicious"), 140);
	metric_set(metric_get(fx.metrics->prog_run_time, "handle_openat"), 0.0125);
	metric_set(metric_get(fx.metrics->prog_runs, "handle_openat"), 5000);
	free(fx_get("/nope").body); /* an api_requests_total{code="404"} series */
}

Test(prometheus, promtool_check_metrics_accepts_the_exposition)
{
	char path[160], cmd[256], *out;
	struct http_reply r;
	int st;

	require_tool("promtool");
	fill_metrics();
	r = fx_get("/metrics");
	cr_assert_eq(r.status, 200);
	snprintf(path, sizeof(path), "%s/metrics.txt", fx.dir);
	fx_write(path, r.body);
	free(r.body);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	st = fx_run(cmd, &out);
	cr_assert_eq(st, 0, "promtool: %s", out);
	cr_assert_eq(out[0], '\0', "promtool lint: %s", out);
	free(out);
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* GET from Prometheus' HTTP API on 127.0.0.1:port; status 0 while it
 * does not listen yet. */
static struct http_reply prom_get(int port, const char *path)
{
	struct http_reply r;
	char url[600];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	fx_perform(url, NULL, "GET", NULL, NULL, &r);
	return r;
}

/* The value of the first sample of an instant query, or NULL. */
static char *query_value(int port, const char *query)
{
	char path[512], *enc, *val = NULL;
	CURL *c = curl_easy_init();
	struct http_reply r;
	json_t *j, *res;

	enc = curl_easy_escape(c, query, 0);
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", enc);
	curl_free(enc);
	curl_easy_cleanup(c);
	r = prom_get(port, path);
	j = json_loads(r.body, 0, NULL);
	res = json_object_get(json_object_get(j, "data"), "result");
	if (r.status == 200 && json_array_size(res))
		val = strdup(json_string_value(
			json_array_get(json_object_get(json_array_get(res, 0), "value"), 1)));
	json_decref(j);
	free(r.body);
	return val;
}

Test(prometheus, a_prometheus_server_scrapes_the_agent_and_returns_its_series)
{
	char cfg[160], data[160], logp[160], text[1024], listen[64];
	int port = free_port(), ready = 0;
	char *v = NULL;
	pid_t pid;

	require_tool("prometheus");
	fill_metrics();
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", fx.dir);
	snprintf(data, sizeof(data), "%s/tsdb", fx.dir);
	snprintf(logp, sizeof(logp), "%s/prometheus.log", fx.dir);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	snprintf(text, sizeof(text),
		 "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		 "scrape_configs:\n"
		 "  - job_name: bpfprof\n"
		 "    authorization:\n      type: Bearer\n      credentials_file: %s\n"
		 "    static_configs:\n      - targets: ['127.0.0.1:%d']\n",
		 fx.token_file, fx.port);
	fx_write(cfg, text);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char cfgarg[200], dataarg[200];
		FILE *log = fopen(logp, "w");

		if (log) {
			dup2(fileno(log), 1);
			dup2(fileno(log), 2);
		}
		snprintf(cfgarg, sizeof(cfgarg), "--config.file=%s", cfg);
		snprintf(dataarg, sizeof(dataarg), "--storage.tsdb.path=%s", data);
		execlp("prometheus", "prometheus", cfgarg, dataarg, listen, (char *)NULL);
		_exit(127);
	}
	/* bounded wait: Prometheus starts, scrapes every second */
	for (int i = 0; i < 200 && !ready; i++) {
		usleep(100 * 1000);
		free(v);
		v = query_value(port, "up{job=\"bpfprof\"}");
		if (v && !strcmp(v, "1"))
			ready = 1;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
	}
	cr_expect(ready, "Prometheus did not scrape the agent within 20 s (up = %s); log in %s",
		  v ? v : "no sample", logp);
	free(v);
	if (ready) {
		v = query_value(port, "bpf_profiler_decisions_total{level=\"high\"}");
		cr_expect(v && !strcmp(v, "1"), "decisions_total{level=high} = %s", v ? v : "none");
		free(v);
		v = query_value(port, "bpf_profiler_events_total{type=\"openat:write\"}");
		cr_expect(v && !strcmp(v, "12"), "events_total = %s", v ? v : "none");
		free(v);
		v = query_value(port, "bpf_profiler_risk_score_count");
		cr_expect(v && !strcmp(v, "2"), "risk_score_count = %s", v ? v : "none");
		free(v);
	}
	kill(pid, SIGTERM);
	for (int i = 0; i < 50 && waitpid(pid, NULL, WNOHANG) != pid; i++)
		usleep(100 * 1000);
	if (!kill(pid, 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (!ready) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "tail -20 %s >&2", logp);
		cr_expect_eq(system(cmd), 0);
	}
}
