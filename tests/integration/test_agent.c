/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler agent` on the real kernel: it sees a load by a process it
 * did not start, stores and serves the decision, reloads on SIGHUP, stops
 * cleanly on SIGTERM and loses nothing to kill -9. */
#include <curl/curl.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "cgroup2.h"
#include "harness.h"
#include "tmpdir.h"

TestSuite(agent, .init = require_root, .fini = harness_children_kill, .timeout = 120);

struct agent_run {
	pid_t pid;
	char dir[64], sock[96], db[96], conf[96], log[96], bd[96];
	char notify[96]; /* NOTIFY_SOCKET to give it, or "" */
	const char *args[8]; /* more command-line arguments, NULL-terminated */
};

static void write_config(struct agent_run *a, const char *extra)
{
	FILE *f = fopen(a->conf, "w");

	cr_assert_not_null(f);
	fprintf(f, "[store]\ndecision_log = %s/decisions.jsonl\nbd_path = %s/bd.sqlite\n"
		"[alerts]\nalert_log = %s/alerts.jsonl\n%s", a->dir, a->dir, a->dir, extra ? extra : "");
	fclose(f);
}

static size_t collect(void *p, size_t size, size_t n, void *ctx)
{
	FILE *f = ctx;

	return fwrite(p, size, n, f);
}

/* A request with a body over the agent's unix socket; returns the status. */
static long http_send(struct agent_run *a, const char *method, const char *path,
		      const char *body, size_t len, char **reply)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[256];
	size_t rlen;
	FILE *f = open_memstream(reply, &rlen);
	long code = 0;

	snprintf(url, sizeof(url), "http://agent%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	fclose(f);
	return code;
}

/* GET path over the agent's unix socket; returns the HTTP status. */
static long http_get(struct agent_run *a, const char *path, char **body)
{
	return http_send(a, "GET", path, NULL, 0, body);
}

static long post_json(struct agent_run *a, const char *body, char **reply)
{
	return http_send(a, "POST", "/v1/behaviors", body, strlen(body), reply);
}

/* A number from /v1/behaviors/stats ("entries": the store, "index_entries":
 * the live index the agent scores with). */
static long behaviors_stat(struct agent_run *a, const char *field)
{
	char *body = NULL;
	json_t *j;
	long n = -1;

	if (http_get(a, "/v1/behaviors/stats", &body) == 200 && (j = json_loads(body, 0, NULL))) {
		n = json_integer_value(json_object_get(j, field));
		json_decref(j);
	}
	free(body);
	return n;
}

static long behaviors_count(struct agent_run *a)
{
	return behaviors_stat(a, "entries");
}

static void agent_start(struct agent_run *a, const char *extra_config)
{
	snprintf(a->dir, sizeof(a->dir), "/tmp/bpfprof-agent-%d", (int)getpid());
	snprintf(a->sock, sizeof(a->sock), "%s/api.sock", a->dir);
	snprintf(a->db, sizeof(a->db), "%s/agent.db", a->dir);
	snprintf(a->conf, sizeof(a->conf), "%s/agent.conf", a->dir);
	snprintf(a->log, sizeof(a->log), "%s/agent.log", a->dir);
	snprintf(a->bd, sizeof(a->bd), "%s/bd.sqlite", a->dir);
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
		const char *argv[16] = { BPFPROF_BIN, "agent", "--config", a->conf, "--store", a->db,
					 "--listen-unix", a->sock };

		for (size_t i = 0; i < 8 && a->args[i]; i++)
			argv[8 + i] = a->args[i];
		execv(BPFPROF_BIN, (char **)argv);
		_exit(126);
	}
	harness_child_started(a->pid);
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
	harness_child_reaped(a->pid);
	return status;
}

static void agent_cleanup(struct agent_run *a)
{
	tmpdir_remove(a->dir);
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

/* Waits (bounded) for the agent's log to contain needle. */
static bool wait_log(struct agent_run *a, const char *needle)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -qF '%s' %s", needle, a->log);
	for (int i = 0; i < 100; i++) {
		if (system(cmd) == 0)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* The TCP port the agent logged ("(port N)"), 0 if none within 5 s. */
static int agent_tcp_port(struct agent_run *a)
{
	int port = 0;

	for (int i = 0; i < 50 && !port; i++) {
		char cmd[256];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "sed -n 's/.*(port \\([0-9]*\\)).*/\\1/p' %s", a->log);
		p = popen(cmd, "r");
		if (fscanf(p, "%d", &port) != 1)
			port = 0;
		pclose(p);
		if (!port)
			usleep(100 * 1000);
	}
	return port;
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
	/* monitor mode (the default) never acts: at most it alerts */
	cr_assert(!strcmp(json_string_value(json_object_get(d, "action")), "allow") ||
		  !strcmp(json_string_value(json_object_get(d, "action")), "alert"),
		  "monitor mode acted: %s", json_string_value(json_object_get(d, "action")));
	cr_assert(json_is_array(json_object_get(d, "findings")), "the static analysis is explained");
	cr_assert_eq(http_get(&a, "/metrics", &metrics), 200);
	cr_assert(strstr(metrics, "bpf_profiler_decisions_total"), "%s", metrics);
	cr_assert(strstr(metrics, "bpf_profiler_windows_opened_total"), "%s", metrics);
	free(metrics);
	status = agent_stop(&a, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM must stop it cleanly");
	cr_assert_neq(access(a.sock, F_OK), 0, "the API socket is removed");
	snprintf(cmd, sizeof(cmd), "%s report --store %s --object '*libevil.so' | grep -q libevil.so", BPFPROF_BIN, a.db);
	cr_assert_eq(system(cmd), 0, "report does not show the stored decision");
	json_decref(d);
	agent_cleanup(&a);
}

Test(agent, sighup_reloads_a_valid_config_and_keeps_running_on_a_bad_one)
{
	struct agent_run a = { 0 };
	json_t *d;

	agent_start(&a, NULL);
	write_config(&a, "[scoring]\nthreshold_medium = 0.01\nthreshold_high = 0.99\n");
	kill(a.pid, SIGHUP);
	cr_assert(wait_log(&a, "config reloaded"), "the reload is not logged");
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	d = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "level")), "medium",
			 "the reloaded thresholds were not applied");
	json_decref(d);
	write_config(&a, "[policy]\nfail = ajar\n");
	kill(a.pid, SIGHUP);
	cr_assert(wait_log(&a, "reload refused"), "the refused reload is not logged");
	cr_assert_eq(kill(a.pid, 0), 0, "a bad config on SIGHUP must not stop the agent");
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

Test(agent, kill_9_loses_no_stored_decision_or_acknowledged_submission)
{
	struct agent_run a = { 0 };
	char cmd[256], *reply = NULL;
	json_t *d;

	agent_start(&a, NULL);
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	d = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(d);
	cr_assert_eq(post_json(&a, "{\"submitter\":\"durable\",\"entries\":[{\"sequence\":"
			       "[\"kill\",\"ptrace:attach\"],\"risk_score\":0.8,\"confidence\":0.6,"
			       "\"label\":\"malicious\"}]}", &reply), 201, "%s", reply);
	free(reply);
	agent_stop(&a, SIGKILL);
	snprintf(cmd, sizeof(cmd), "%s report --json --store %s | grep -q libbenign.so", BPFPROF_BIN, a.db);
	cr_assert_eq(system(cmd), 0, "a served decision is missing after kill -9");
	/* restart on the same files: the submission is there */
	agent_start(&a, NULL);
	cr_assert_eq(http_get(&a, "/v1/behaviors?submitter=durable", &reply), 200);
	cr_assert(strstr(reply, "ptrace:attach"), "an acknowledged submission is missing: %s", reply);
	free(reply);
	agent_stop(&a, SIGTERM);
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

static double sequence_of(json_t *d)
{
	return json_number_value(json_object_get(json_object_get(d, "components"), "sequence"));
}

Test(agent, a_submission_changes_the_next_verdict)
{
	struct agent_run a = { 0 };
	/* the loader's window ends: map the object, exit */
	const char *sub = "{\"submitter\":\"acme-store\",\"entries\":[{\"sequence\":"
			  "[\"mmap:exec_file\",\"exit_group\"],\"risk_score\":0.99,"
			  "\"confidence\":0.99,\"label\":\"malicious\"}]}";
	char *reply = NULL;
	json_t *before, *after, *r;
	long n;

	agent_start(&a, NULL);
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	before = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(before);
	n = behaviors_count(&a);
	cr_assert_eq(post_json(&a, sub, &reply), 201, "%s", reply);
	r = json_loads(reply, 0, NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "ids")), 1, "%s", reply);
	json_decref(r);
	free(reply);
	cr_assert_eq(behaviors_count(&a), n + 1);
	/* the same entry again changes nothing */
	cr_assert_eq(post_json(&a, sub, &reply), 201, "%s", reply);
	free(reply);
	cr_assert_eq(behaviors_count(&a), n + 1, "a resubmission stored a duplicate");
	/* the next load of the same library: a fresh window, judged with it */
	http_send(&a, "GET", "/healthz", NULL, 0, &reply);
	free(reply);
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	for (int i = 0; i < 100; i++) {
		after = wait_decision(&a, "libbenign.so");
		if (after && json_integer_value(json_object_get(after, "id")) !=
			     json_integer_value(json_object_get(before, "id")))
			break;
		json_decref(after);
		after = NULL;
		usleep(100 * 1000);
	}
	cr_assert_not_null(after, "no decision for the second load");
	cr_assert_gt(sequence_of(after), sequence_of(before) + 0.3,
		     "the submission did not raise the sequence score: %.3f -> %.3f",
		     sequence_of(before), sequence_of(after));
	json_decref(before);
	json_decref(after);
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

Test(agent, bad_submissions_are_refused_and_store_nothing)
{
	struct agent_run a = { 0 };
	char *reply = NULL, *big;
	const size_t big_len = 10 << 20;
	long n;

	agent_start(&a, NULL);
	n = behaviors_count(&a);
	cr_assert_eq(post_json(&a, "{\"entries\": [", &reply), 400, "%s", reply);
	cr_assert(strstr(reply, "\"error\""), "%s", reply);
	free(reply);
	cr_assert_eq(post_json(&a, "{\"submitter\":\"x\",\"entries\":[{\"sequence\":[\"kill\",\"execve\"],"
			       "\"risk_score\":7,\"confidence\":0.5,\"label\":\"malicious\"}]}", &reply),
		     422, "%s", reply);
	cr_assert(strstr(reply, "risk_score"), "the error must name the field: %s", reply);
	free(reply);
	/* a good entry beside a bad one: nothing of the batch is stored */
	cr_assert_eq(post_json(&a, "{\"submitter\":\"x\",\"entries\":[{\"sequence\":[\"kill\",\"execve\"],"
			       "\"risk_score\":0.9,\"confidence\":0.5,\"label\":\"malicious\"},"
			       "{\"sequence\":[\"kill\"],\"risk_score\":0.9,\"confidence\":0.5}]}", &reply),
		     422, "%s", reply);
	free(reply);
	big = malloc(big_len);
	memset(big, ' ', big_len);
	big[0] = '{';
	big[big_len - 1] = '}';
	cr_assert_eq(http_send(&a, "POST", "/v1/behaviors", big, big_len, &reply), 413, "%s", reply);
	free(reply);
	free(big);
	cr_assert_eq(behaviors_count(&a), n, "a refused submission changed the database");
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

struct submitter {
	struct agent_run *a;
	int k, ok;
};

static void *submit_many(void *arg)
{
	struct submitter *s = arg;

	for (int i = 0; i < 10; i++) {
		char body[512], *reply = NULL;

		/* distinct entries: the risk differs per thread and round */
		snprintf(body, sizeof(body), "{\"submitter\":\"t%d\",\"entries\":[{\"sequence\":"
			 "[\"kill\",\"ptrace:attach\",\"execve\"],\"risk_score\":0.%d%d1,"
			 "\"confidence\":0.5,\"label\":\"malicious\"}]}", s->k, 5 + s->k, i);
		s->ok += post_json(s->a, body, &reply) == 201;
		free(reply);
	}
	return NULL;
}

Test(agent, concurrent_submissions_all_land)
{
	struct agent_run a = { 0 };
	struct submitter s[4];
	pthread_t t[4];
	long n;

	agent_start(&a, NULL);
	n = behaviors_count(&a);
	for (int k = 0; k < 4; k++) {
		s[k] = (struct submitter){ .a = &a, .k = k };
		pthread_create(&t[k], NULL, submit_many, &s[k]);
	}
	for (int k = 0; k < 4; k++) {
		pthread_join(t[k], NULL);
		cr_assert_eq(s[k].ok, 10, "thread %d: %d of 10 accepted", k, s[k].ok);
	}
	cr_assert_eq(behaviors_count(&a), n + 40);
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

Test(agent, analysts_list_filter_page_and_delete_behaviors)
{
	struct agent_run a = { 0 };
	char *reply = NULL, path[64];
	json_t *page, *created, *ids;
	long n;

	agent_start(&a, NULL);
	n = behaviors_count(&a);
	cr_assert_eq(post_json(&a, "{\"submitter\":\"analyst\",\"entries\":["
			       "{\"sequence\":[\"kill\",\"execve\"],\"risk_score\":0.7,\"confidence\":0.5,\"label\":\"malicious\"},"
			       "{\"sequence\":[\"kill\",\"dup2\"],\"risk_score\":0.7,\"confidence\":0.5,\"label\":\"malicious\"},"
			       "{\"sequence\":[\"pipe2\",\"kill\"],\"risk_score\":0.2,\"confidence\":0.5,\"label\":\"good\"}]}",
			       &reply), 201, "%s", reply);
	created = json_loads(reply, 0, NULL);
	ids = json_object_get(created, "ids");
	free(reply);
	/* filter by submitter and label, one per page */
	cr_assert_eq(http_get(&a, "/v1/behaviors?submitter=analyst&label=malicious&limit=1", &reply), 200);
	page = json_loads(reply, 0, NULL);
	cr_assert_eq(json_array_size(json_object_get(page, "behaviors")), 1, "%s", reply);
	cr_assert(json_is_integer(json_object_get(page, "next_after")), "no next page: %s", reply);
	snprintf(path, sizeof(path), "/v1/behaviors?submitter=analyst&label=malicious&after=%lld",
		 (long long)json_integer_value(json_object_get(page, "next_after")));
	json_decref(page);
	free(reply);
	cr_assert_eq(http_get(&a, path, &reply), 200);
	page = json_loads(reply, 0, NULL);
	cr_assert_eq(json_array_size(json_object_get(page, "behaviors")), 1, "%s", reply);
	cr_assert_null(json_object_get(page, "next_after"));
	json_decref(page);
	free(reply);
	cr_assert_eq(http_get(&a, "/v1/behaviors?label=maybe", &reply), 400);
	free(reply);
	/* a page is not guessed from a malformed bound (before, "after=x" listed
	 * from the start and "limit=5x" gave 5) */
	for (const char *const *q = (const char *const[]){ "limit=5x", "limit=-1", "limit=0",
							     "limit=1001", "after=x", "after=-3",
							     "after=", "after=+1", "limit=%205", NULL };
	     *q; q++) {
		snprintf(path, sizeof(path), "/v1/behaviors?%s", *q);
		cr_assert_eq(http_get(&a, path, &reply), 400, "%s: %s", *q, reply);
		cr_assert(strstr(reply, *q[0] == 'l' ? "limit: '" : "after: '"), "%s", reply);
		free(reply);
	}
	/* delete one: gone from the list and the count */
	snprintf(path, sizeof(path), "/v1/behaviors/%lld",
		 (long long)json_integer_value(json_array_get(ids, 0)));
	cr_assert_eq(http_send(&a, "DELETE", path, NULL, 0, &reply), 200, "%s", reply);
	free(reply);
	cr_assert_eq(http_send(&a, "DELETE", path, NULL, 0, &reply), 404, "%s", reply);
	free(reply);
	cr_assert_eq(http_send(&a, "DELETE", "/v1/behaviors/abc", NULL, 0, &reply), 400, "%s", reply);
	free(reply);
	cr_assert_eq(behaviors_count(&a), n + 2);
	json_decref(created);
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

Test(agent, tcp_needs_the_token_for_submissions)
{
	struct agent_run a = { 0 };
	char extra[256], token[128], url[128];
	const char *tok = "0123456789abcdef0123456789abcdef";
	CURL *c;
	long code;
	struct curl_slist *h = NULL;
	FILE *f, *devnull = fopen("/dev/null", "w");
	int port = 0;

	snprintf(token, sizeof(token), "/tmp/bpfprof-agent-token-%d", (int)getpid());
	f = fopen(token, "w");
	fprintf(f, "%s\n", tok);
	fclose(f);
	chmod(token, 0600);
	snprintf(extra, sizeof(extra), "[api]\nlisten_tcp = 127.0.0.1:0\ntoken_file = %s\n", token);
	agent_start(&a, extra);
	port = agent_tcp_port(&a);
	cr_assert_gt(port, 0, "the agent did not log its TCP port");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/behaviors", port);
	for (int attempt = 0; attempt < 3; attempt++) {
		char auth[128];

		c = curl_easy_init();
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"submitter\":\"tcp\",\"entries\":[{\"sequence\":"
				 "[\"kill\",\"shmat\"],\"risk_score\":0.7,\"confidence\":0.5,\"label\":\"malicious\"}]}");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
		h = NULL;
		if (attempt > 0) {
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", attempt == 1 ? "wrong-token-wrong-token" : tok);
			h = curl_slist_append(h, auth);
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		}
		code = 0;
		cr_assert_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		cr_assert_eq(code, attempt < 2 ? 401 : 201, "attempt %d: HTTP %ld", attempt, code);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}
	agent_stop(&a, SIGTERM);
	fclose(devnull);
	unlink(token);
	agent_cleanup(&a);
}

Test(agent, with_the_gate_and_enforcement_a_dropper_never_runs_its_code)
{
	struct agent_run a = { 0 };
	char marker[160], marker_env[200], drop_env[200];
	char *argv[] = { FIXTURE_DIR "/dropper", FIXTURE_DIR "/libevil.so", NULL };
	char *env[] = { marker_env, drop_env, NULL };
	json_t *d;
	int status;

	agent_start(&a, "[policy]\ngate = on\nenforce = on\n");
	snprintf(marker, sizeof(marker), "%s/agent-marker-%d", FIXTURE_DIR, (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	/* killed before it removes what it dropped: the test does */
	snprintf(drop_env, sizeof(drop_env), "BPFPROF_DROP_PATH=/tmp/bpfprof-dropper-test-%d.so",
		 (int)getpid());
	unlink(marker);
	status = run(argv, env);
	unlink(strchr(drop_env, '=') + 1);
	cr_assert_eq(status, 128 + SIGKILL, "the dropper was not killed: %d", status);
	cr_assert_neq(access(marker, F_OK), 0, "the constructor ran: marker file exists");
	d = wait_decision(&a, "bpfprof-dropper");
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "action")), "quarantine");
	json_decref(d);
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

/* Waits (bounded) for the live index to hold n entries. */
static bool wait_index_entries(struct agent_run *a, long n)
{
	for (int i = 0; i < 100; i++) {
		if (behaviors_stat(a, "index_entries") == n)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* The operator changes the database with the CLI while the agent runs (a
 * second SQLite connection, another process): the agent's live index
 * follows without a restart. */
/* `db add` then `db rm` from another process: the running agent's index
 * follows both (its bdwatch), and the first is logged and counted. */
static void db_commands_reach_the_live_index(struct agent_run *a)
{
	char cmd[512], entry[96], *metrics = NULL;
	long n = behaviors_stat(a, "index_entries");
	FILE *f;

	cr_assert_gt(n, 0);
	snprintf(entry, sizeof(entry), "%s/entry.json", a->dir);
	f = fopen(entry, "w");
	cr_assert_not_null(f);
	fputs("{\"sequence\":[\"socket:inet\",\"connect:inet\",\"dup3\",\"execve\"],"
	      "\"risk_score\":0.97,\"confidence\":0.9,\"label\":\"malicious\"}", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s db --db %s/bd.sqlite add %s >/dev/null", BPFPROF_BIN, a->dir, entry);
	cr_assert_eq(system(cmd), 0);
	cr_assert(wait_index_entries(a, n + 1), "the live index has %ld entries, not %ld",
		  behaviors_stat(a, "index_entries"), n + 1);
	cr_assert(wait_log(a, "changed on disk: 1 added, 0 replaced, 0 removed"),
		  "the change is not logged");
	cr_assert_eq(http_get(a, "/metrics", &metrics), 200);
	cr_assert(strstr(metrics, "bpf_profiler_database_resyncs_total{result=\"applied\"} 1\n"),
		  "%s", metrics);
	free(metrics);
	/* the curated entries are ids 1..n: remove two of them */
	snprintf(cmd, sizeof(cmd), "%s db --db %s/bd.sqlite rm 1 2 >/dev/null", BPFPROF_BIN, a->dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert(wait_index_entries(a, n - 1), "the live index has %ld entries, not %ld",
		  behaviors_stat(a, "index_entries"), n - 1);
	cr_assert_eq(behaviors_count(a), n - 1);
}

Test(agent, db_commands_of_another_process_reach_the_live_index)
{
	struct agent_run a = { 0 };

	agent_start(&a, NULL);
	db_commands_reach_the_live_index(&a);
	cr_assert_eq(agent_stop(&a, SIGTERM), 0);
	agent_cleanup(&a);
}

/* The agent opens what traced processes name (the object a loader opened,
 * its fds, its mappings). Closing any fd of a file drops this process's
 * POSIX locks on it: once a loader had named bd.sqlite, the next `db`
 * command's exit deleted the WAL under the agent, which never saw another
 * change. */
Test(agent, a_traced_process_naming_the_agent_s_databases_leaves_them_working)
{
	struct agent_run a = { 0 };

	agent_start(&a, NULL);
	cr_assert_eq(run_loader(a.bd), 3, "dlopen of a database must fail");
	cr_assert_eq(run_loader(a.db), 3, "dlopen of a database must fail");
	json_decref(wait_decision(&a, "agent.db"));
	db_commands_reach_the_live_index(&a);
	cr_assert_eq(agent_stop(&a, SIGTERM), 0);
	agent_cleanup(&a);
}


/* The documented flags, as an operator types them; what the agent writes
 * is private and what it logs says its true level. */
Test(agent, documented_tcp_flags_work_together_and_its_files_are_private)
{
	struct agent_run a = { 0 };
	char token[128], url[128], auth[128], *body = NULL, path[160];
	const char *tok = "0123456789abcdef0123456789abcdef";
	const char *privs[] = { "agent.db", "agent.db-wal", "decisions.jsonl" };
	struct curl_slist *h;
	FILE *f, *mem;
	size_t len;
	CURL *c;
	long code = 0;
	struct stat st;
	json_t *d;
	int port;

	snprintf(token, sizeof(token), "/tmp/bpfprof-agent-token-%d", (int)getpid());
	f = fopen(token, "w");
	fprintf(f, "%s\n", tok);
	fclose(f);
	chmod(token, 0600);
	a.args[0] = "--listen-tcp";
	a.args[1] = "127.0.0.1:0";
	a.args[2] = "--token-file";
	a.args[3] = token;
	agent_start(&a, NULL);
	port = agent_tcp_port(&a);
	cr_assert_gt(port, 0, "the agent did not log its TCP port");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	h = curl_slist_append(NULL, auth);
	mem = open_memstream(&body, &len);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	fclose(mem);
	cr_assert_eq(code, 200, "TCP scrape with the token: HTTP %ld", code);
	cr_assert(strstr(body, "bpf_profiler_build_info"), "%s", body);
	free(body);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);

	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	d = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(d);
	json_decref(d);
	for (size_t i = 0; i < sizeof(privs) / sizeof(privs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", a.dir, privs[i]);
		cr_assert_eq(stat(path, &st), 0, "%s", path);
		cr_assert_eq(st.st_mode & 007, 0, "%s is mode %04o: readable by others", path,
			     st.st_mode & 07777);
	}
	snprintf(path, sizeof(path), "%s/agent.db", a.dir);
	stat(path, &st);
	cr_assert_eq(st.st_mode & 077, 0, "the decision database is mode %04o", st.st_mode & 07777);
	agent_stop(&a, SIGTERM);
	cr_assert(wait_log(&a, "bpf-profiler: info: agent running"), "start is not an info line");
	cr_assert(wait_log(&a, "bpf-profiler: info: agent stopped"), "stop is not an info line");
	snprintf(path, sizeof(path), "grep -q 'warning: agent' %s", a.log);
	cr_assert_neq(system(path), 0, "an informational line is tagged warning");
	unlink(token);
	agent_cleanup(&a);
}

/* perf events (tracepoints, uprobes) the agent holds open. */
static int perf_events_held(pid_t pid)
{
	char cmd[128];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd | grep -c perf_event", (int)pid);
	p = popen(cmd, "r");
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

/* Closing a uprobe costs the kernel grace periods (25-80 ms each): the
 * hooks of a process that exited are detached while the agent runs, so
 * neither they nor a stop pay for every process ever hooked. */
Test(agent, hooks_of_exited_processes_are_released)
{
	struct agent_run a = { 0 };
	char cmd[512];
	int before, during = 0, after = -1;

	/* everything is medium but the system's own files: the agent judges
	 * every load on the host (exec'd images too, the ls below included) */
	agent_start(&a, "[policy]\nenforce = on\n[scoring]\nthreshold_medium = 0.01\n"
		    "threshold_high = 0.99\n[exceptions]\nallow_path = /usr/*\n"
		    "allow_path = /lib*\nallow_path = /bin/*\nallow_path = /root/*\n");
	before = perf_events_held(a.pid);
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "python3 -c 'import ctypes, time; "
			 "ctypes.CDLL(\"%s/libbenign.so\"); time.sleep(2)' >/dev/null", FIXTURE_DIR);
		FILE *p = popen(cmd, "r");

		cr_assert_not_null(p);
		usleep(1500 * 1000);
		if (perf_events_held(a.pid) > during)
			during = perf_events_held(a.pid);
		pclose(p);
	}
	cr_assert_gt(during, before, "no process was hooked (medium risk): %d", during);
	for (int i = 0; i < 50 && after != before; i++) {
		usleep(100 * 1000);
		after = perf_events_held(a.pid);
	}
	cr_assert_eq(after, before, "hooks of exited processes still attached: %d perf events, "
		     "%d before", after, before);
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}

#define CONTAINER_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Where cgroup v2 is mounted ("" when it is not). */
/* A load inside a cgroup named as docker's systemd driver names a
 * container's: the decision names the container, its unit and cgroup,
 * and the API and report find it by them. */
Test(agent, a_load_in_a_container_cgroup_is_attributed_and_filterable)
{
	struct agent_run a = { 0 };
	char root[512], slice[640], scope[768], cmd[2048], *body = NULL, url[256];
	const json_t *p;
	json_t *d;

	cgroup2_mount(root, sizeof(root));
	if (!root[0])
		cr_skip_test("no cgroup v2 mount: cannot make a container's cgroup");
	snprintf(slice, sizeof(slice), "%s/bpfprof-test-%d.slice", root, (int)getpid());
	snprintf(scope, sizeof(scope), "%s/docker-" CONTAINER_ID ".scope", slice);
	cr_assert_eq(mkdir(slice, 0755), 0, "%s: %m", slice);
	cr_assert_eq(mkdir(scope, 0755), 0, "%s: %m", scope);
	agent_start(&a, NULL);
	snprintf(cmd, sizeof(cmd), "sh -c 'echo $$ > %s/cgroup.procs && exec %s/loader %s/libbenign.so' "
		 ">/dev/null", scope, FIXTURE_DIR, FIXTURE_DIR);
	cr_assert_eq(system(cmd), 0, "the loader did not run in the container's cgroup");
	d = wait_decision(&a, "libbenign.so");
	rmdir(scope);
	rmdir(slice);
	cr_assert_not_null(d, "no decision");
	p = json_object_get(d, "process");
	cr_assert(json_is_object(p), "no process object");
	/* a field missing is a failure that says which, not a crash in strcmp */
	for (const char *const *k = (const char *const[]){ "container_id", "container_runtime",
							  "unit", NULL }; *k; k++)
		cr_assert(json_is_string(json_object_get(p, *k)), "no %s in the decision", *k);
	cr_assert_str_eq(json_string_value(json_object_get(p, "container_id")), CONTAINER_ID);
	cr_assert_str_eq(json_string_value(json_object_get(p, "container_runtime")), "docker");
	cr_assert_str_eq(json_string_value(json_object_get(p, "unit")),
			 "docker-" CONTAINER_ID ".scope");
	cr_assert(json_is_string(json_object_get(p, "cgroup")), "no cgroup");
	cr_assert(strstr(json_string_value(json_object_get(p, "cgroup")), "/docker-" CONTAINER_ID),
		  "%s", json_string_value(json_object_get(p, "cgroup")));
	cr_assert_gt(json_integer_value(json_object_get(p, "cgroup_id")), 0);
	cr_assert_eq(json_integer_value(json_object_get(p, "uid")), 0);
	cr_assert(json_is_integer(json_object_get(p, "gid")));
	cr_assert_gt(json_integer_value(json_object_get(p, "ppid")), 0);
	cr_assert(json_is_string(json_object_get(p, "cmdline")), "no command line");
	cr_assert(strstr(json_string_value(json_object_get(p, "cmdline")), "/loader /"),
		  "%s", json_string_value(json_object_get(p, "cmdline")));
	cr_assert(json_is_string(json_object_get(p, "exe")), "no executable");
	cr_assert(strstr(json_string_value(json_object_get(p, "exe")), "/loader"));
	cr_assert(json_string_length(json_object_get(d, "host")) > 0, "no host name");
	json_decref(d);

	cr_assert_eq(http_get(&a, "/v1/decisions?container=0123456789ab", &body), 200);
	cr_assert(strstr(body, "libbenign.so"), "the container filter misses it: %s", body);
	free(body);
	cr_assert_eq(http_get(&a, "/v1/decisions?container=fedcba987654", &body), 200);
	cr_assert_null(strstr(body, "libbenign.so"), "another container's filter finds it");
	free(body);
	snprintf(url, sizeof(url), "/v1/decisions?exe=%s/loader&unit=docker-*", FIXTURE_DIR);
	cr_assert_eq(http_get(&a, url, &body), 200);
	cr_assert(strstr(body, "libbenign.so"), "exe and unit filters miss it: %s", body);
	free(body);
	cr_assert_eq(http_get(&a, "/v1/decisions?uid=x", &body), 400);
	free(body);
	agent_stop(&a, SIGTERM);
	snprintf(cmd, sizeof(cmd), "%s report --store %s --container 0123456789ab --json | "
		 "grep -q libbenign.so", BPFPROF_BIN, a.db);
	cr_assert_eq(system(cmd), 0, "report --container misses it");
	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/decision.schema.json "
		 "%s/decisions.jsonl", TOOLS_DIR, BPFPROF_SRCDIR, a.dir);
	cr_assert_eq(system(cmd), 0, "the decision log does not match schemas/decision.schema.json");
	agent_cleanup(&a);
}

/* The operator's rules decide and say so; a reload swaps them; below
 * record_level nothing is stored; SIGUSR1 after logrotate reopens the log. */
/* python3 loads lib with ctypes and stays a second. */
static int python_load(const char *lib)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "python3 -c 'import ctypes, time; ctypes.CDLL(\"%s\"); "
		 "time.sleep(1)'", lib);
	return system(cmd);
}

Test(agent, exceptions_decide_reload_and_record_level_and_logrotate_work)
{
	struct agent_run a = { 0 };
	char extra[512], cmd[1024], path[256];
	const json_t *ex;
	json_t *d;
	struct stat st;

	/* exe rules need the process alive at judgement (a loader that exits
	 * at once may have gone before its window's open is read) */
	agent_start(&a, "[exceptions]\nallow_exe = */python3*\n");
	cr_assert_eq(python_load(FIXTURE_DIR "/libevil.so"), 0);
	d = wait_decision(&a, "libevil.so");
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "level")), "low",
			 "an allow_exe rule did not decide: %s", json_dumps(d, JSON_COMPACT));
	ex = json_object_get(d, "exception");
	cr_assert_str_eq(json_string_value(json_object_get(ex, "rule")), "allow_exe");
	cr_assert(strstr(json_string_value(json_object_get(ex, "matched")), "python3"));
	json_decref(d);

	snprintf(extra, sizeof(extra), "[exceptions]\nallow_exe = */python3*\n"
		 "deny_path = */libbenign.so\n[retention]\nrecord_level = medium\n");
	write_config(&a, extra);
	kill(a.pid, SIGHUP);
	cr_assert(wait_log(&a, "2 exceptions"), "the reload did not take the new rules");
	cr_assert_eq(python_load(FIXTURE_DIR "/libbenign.so"), 0);
	d = wait_decision(&a, "libbenign.so");
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "level")), "high", "deny beats allow: %s",
			 json_dumps(d, 0));
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "exception"), "rule")),
			 "deny_path");
	json_decref(d);

	/* logrotate with the shipped policy, pointed at this agent */
	snprintf(path, sizeof(path), "%s/logrotate.conf", a.dir);
	snprintf(cmd, sizeof(cmd), "sed -e 's|/var/log/bpf-profiler|%s|' -e "
		 "'s|systemctl kill.*|kill -USR1 %d|' -e 's/create 0640 root adm/create 0640 root root/' "
		 "%s/scripts/bpf-profiler.logrotate > %s && logrotate -f -s %s/lr.state %s", a.dir,
		 (int)a.pid, BPFPROF_SRCDIR, path, a.dir, path);
	cr_assert_eq(system(cmd), 0, "logrotate failed: %s", cmd);
	cr_assert(wait_log(&a, "decision log reopened"), "SIGUSR1 did not reopen the log");
	snprintf(path, sizeof(path), "%s/decisions.jsonl.1", a.dir);
	cr_assert_eq(stat(path, &st), 0, "nothing rotated");
	/* the next decision goes to the reopened log */
	cr_assert_eq(run_loader(FIXTURE_DIR "/libbenign.so"), 0);
	snprintf(path, sizeof(path), "%s/decisions.jsonl", a.dir);
	for (int i = 0; i < 100 && stat(path, &st); i++)
		usleep(100 * 1000);
	cr_assert_eq(stat(path, &st), 0, "the reopened log has not got the new decision");
	agent_stop(&a, SIGTERM);
	agent_cleanup(&a);
}
