/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler agent` on the real kernel: it sees a load by a process it
 * did not start, stores and serves the decision, reloads on SIGHUP, stops
 * cleanly on SIGTERM and loses nothing to kill -9. */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "harness.h"

TestSuite(agent, .init = require_root, .timeout = 120);

struct agent_run {
	pid_t pid;
	char dir[64], sock[96], db[96], conf[96], log[96];
	char notify[96]; /* NOTIFY_SOCKET to give it, or "" */
};

static void write_config(struct agent_run *a, const char *extra)
{
	FILE *f = fopen(a->conf, "w");

	cr_assert_not_null(f);
	fprintf(f, "[store]\ndecision_log = %s/decisions.jsonl\n[alerts]\nalert_log = %s/alerts.jsonl\n%s",
		a->dir, a->dir, extra ? extra : "");
	fclose(f);
}

static size_t collect(void *p, size_t size, size_t n, void *ctx)
{
	FILE *f = ctx;

	return fwrite(p, size, n, f);
}

/* GET path over the agent's unix socket; returns the HTTP status. */
static long http_get(struct agent_run *a, const char *path, char **body)
{
	CURL *c = curl_easy_init();
	char url[256];
	size_t len;
	FILE *f = open_memstream(body, &len);
	long code = 0;

	snprintf(url, sizeof(url), "http://agent%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	fclose(f);
	return code;
}

static void agent_start(struct agent_run *a, const char *extra_config)
{
	snprintf(a->dir, sizeof(a->dir), "/tmp/bpfprof-agent-%d", (int)getpid());
	snprintf(a->sock, sizeof(a->sock), "%s/api.sock", a->dir);
	snprintf(a->db, sizeof(a->db), "%s/agent.db", a->dir);
	snprintf(a->conf, sizeof(a->conf), "%s/agent.conf", a->dir);
	snprintf(a->log, sizeof(a->log), "%s/agent.log", a->dir);
	mkdir(a->dir, 0700);
	write_config(a, extra_config);
	a->pid = fork();
	cr_assert_geq(a->pid, 0);
	if (a->pid == 0) {
		int fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, STDERR_FILENO);
		/* a failed assertion ends the test process: the agent goes too */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (a->notify[0])
			setenv("NOTIFY_SOCKET", a->notify, 1);
		execl(BPFPROF_BIN, BPFPROF_BIN, "agent", "--config", a->conf, "--db", a->db,
		      "--listen-unix", a->sock, NULL);
		_exit(126);
	}
	for (int i = 0; i < 100; i++) {
		char *body = NULL;
		long code = access(a->sock, F_OK) ? 0 : http_get(a, "/healthz", &body);

		free(body);
		if (code == 200)
			return;
		usleep(100 * 1000);
	}
	cr_assert_fail("the agent did not become ready");
}

static int agent_stop(struct agent_run *a, int sig)
{
	int status;

	kill(a->pid, sig);
	cr_assert_eq(waitpid(a->pid, &status, 0), a->pid);
	return status;
}

static void agent_cleanup(struct agent_run *a)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", a->dir);
	system(cmd);
}

/* Waits (bounded) for a decision on a path containing needle. */
static json_t *wait_decision(struct agent_run *a, const char *needle)
{
	for (int i = 0; i < 100; i++) {
		char *body = NULL;
		json_t *doc, *d, *found = NULL;
		size_t k;

		if (http_get(a, "/v1/decisions?limit=1000", &body) == 200 &&
		    (doc = json_loads(body, 0, NULL))) {
			json_array_foreach(json_object_get(doc, "decisions"), k, d) {
				const char *p = json_string_value(json_object_get(d, "path"));

				if (!found && p && strstr(p, needle))
					found = json_incref(d);
			}
			json_decref(doc);
		}
		free(body);
		if (found)
			return found;
		usleep(100 * 1000);
	}
	return NULL;
}

static int run_loader(const char *lib)
{
	char *argv[] = { FIXTURE_DIR "/loader", (char *)lib, NULL };

	return run(argv, NULL);
}

Test(agent, a_load_anywhere_becomes_a_stored_and_served_decision)
{
	struct agent_run a = { 0 };
	json_t *d;
	char *metrics = NULL, cmd[256];
	int status;

	agent_start(&a, NULL);
	cr_assert_eq(run_loader(FIXTURE_DIR "/libevil.so"), 0);
	d = wait_decision(&a, "libevil.so");
	cr_assert_not_null(d, "no decision for a load by an unrelated process");
	cr_assert_str_eq(json_string_value(json_object_get(d, "comm")), "loader");
	cr_assert_str_eq(json_string_value(json_object_get(d, "action")), "allow",
			 "monitor mode (the default) never acts");
	cr_assert(json_is_array(json_object_get(d, "findings")), "the static analysis is explained");
	cr_assert_eq(http_get(&a, "/metrics", &metrics), 200);
	cr_assert(strstr(metrics, "bpf_profiler_decisions_total"), "%s", metrics);
	cr_assert(strstr(metrics, "bpf_profiler_windows_opened_total"), "%s", metrics);
	free(metrics);
	status = agent_stop(&a, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM must stop it cleanly");
	cr_assert_neq(access(a.sock, F_OK), 0, "the API socket is removed");
	snprintf(cmd, sizeof(cmd), "%s report --db %s | grep -q libevil.so", BPFPROF_BIN, a.db);
	cr_assert_eq(system(cmd), 0, "report does not show the stored decision");
	json_decref(d);
	agent_cleanup(&a);
}

Test(agent, sighup_reloads_a_valid_config_and_keeps_running_on_a_bad_one)
{
	struct agent_run a = { 0 };
	char cmd[256];
	json_t *d;

	agent_start(&a, NULL);
	write_config(&a, "[scoring]\nthreshold_medium = 0.01\nthreshold_high = 0.99\n");
	kill(a.pid, SIGHUP);
	usleep(500 * 1000);
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	d = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "level")), "medium",
			 "the reloaded thresholds were not applied");
	json_decref(d);
	write_config(&a, "[policy]\nfail = ajar\n");
	kill(a.pid, SIGHUP);
	usleep(500 * 1000);
	cr_assert_eq(kill(a.pid, 0), 0, "a bad config on SIGHUP must not stop the agent");
	snprintf(cmd, sizeof(cmd), "grep -q 'reload refused' %s", a.log);
	cr_assert_eq(system(cmd), 0, "the refused reload is not logged");
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

Test(agent, kill_9_loses_no_stored_decision)
{
	struct agent_run a = { 0 };
	char cmd[256];
	json_t *d;

	agent_start(&a, NULL);
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	d = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(d);
	agent_stop(&a, SIGKILL);
	snprintf(cmd, sizeof(cmd), "%s report --json --db %s | grep -q libbenign.so", BPFPROF_BIN, a.db);
	cr_assert_eq(system(cmd), 0, "a served decision is missing after kill -9");
	json_decref(d);
	agent_cleanup(&a);
}

Test(agent, tells_systemd_it_is_ready)
{
	struct agent_run a = { 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[256] = "";
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ssize_t n;

	snprintf(a.notify, sizeof(a.notify), "/tmp/bpfprof-notify-%d", (int)getpid());
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.notify);
	unlink(a.notify);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	agent_start(&a, NULL);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0, "no sd_notify message");
	buf[n] = '\0';
	cr_assert(strstr(buf, "READY=1"), "%s", buf);
	agent_stop(&a, SIGTERM);
	close(fd);
	unlink(a.notify);
	agent_cleanup(&a);
}
