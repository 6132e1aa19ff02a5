/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fleet mode on a real nats-server (loopback, its own port and store
 * directory, killed at teardown) with real agents (own state dirs and
 * sockets, BPF loaded): the database stream, the verdict bucket, a server
 * restart, a killed agent, and hostile messages on the stream. */
#include <curl/curl.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include "harness.h"
#include "tmpdir.h"

#define NATS_SERVER "/usr/sbin/nats-server"

static char dir[64];
static int nats_port;
static pid_t nats_pid;

struct agent_run {
	pid_t pid;
	char name[8], dir[96], sock[128], conf[128], log[128];
};

static void nats_start(void)
{
	char port[16], store[128], log[128];

	snprintf(port, sizeof(port), "%d", nats_port);
	snprintf(store, sizeof(store), "%s/js", dir);
	snprintf(log, sizeof(log), "%s/nats.log", dir);
	nats_pid = fork();
	cr_assert_geq(nats_pid, 0);
	if (nats_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, STDERR_FILENO);
		dup2(fd, STDOUT_FILENO);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(NATS_SERVER, NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", port, "-sd", store, NULL);
		_exit(126);
	}
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(nats_port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok = !connect(fd, (void *)&a, sizeof(a));

		close(fd);
		if (ok)
			return;
		usleep(50 * 1000);
	}
	cr_assert_fail("nats-server did not start (see %s)", log);
}

static void nats_kill(void)
{
	if (nats_pid > 0) {
		kill(nats_pid, SIGKILL);
		waitpid(nats_pid, NULL, 0);
	}
	nats_pid = 0;
}

static void setup(void)
{
	int fd;

	require_root();
	if (access(NATS_SERVER, X_OK))
		cr_skip_test("nats-server is not installed (scripts/deps.sh installs it)");
	snprintf(dir, sizeof(dir), "/tmp/bpfprof-fleet-%d", (int)getpid());
	mkdir(dir, 0700);
	fd = listen_local(&nats_port); /* a free port, handed to the server */
	close(fd);
	nats_start();
}

static void teardown(void)
{
	harness_children_kill();
	nats_kill();
	tmpdir_remove(dir);
}

TestSuite(fleet, .init = setup, .fini = teardown, .timeout = 240);

static size_t collect(void *p, size_t size, size_t n, void *ctx)
{
	return fwrite(p, size, n, ctx);
}

static long http(struct agent_run *a, const char *method, const char *path, const char *body,
		 char **reply)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[256], *r = NULL;
	size_t rlen;
	FILE *f = open_memstream(&r, &rlen);
	long code = 0;

	snprintf(url, sizeof(url), "http://agent%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	fclose(f);
	if (reply)
		*reply = r;
	else
		free(r);
	return code;
}

static json_t *get_json(struct agent_run *a, const char *path)
{
	char *body = NULL;
	json_t *j = http(a, "GET", path, NULL, &body) == 200 ? json_loads(body, 0, NULL) : NULL;

	free(body);
	return j;
}

static long number(struct agent_run *a, const char *path, const char *field)
{
	json_t *j = get_json(a, path), *v = json_object_get(j, field);
	long n = !j ? -1 : json_is_boolean(v) ? json_is_true(v) : (long)json_integer_value(v);

	json_decref(j);
	return n;
}

/* Waits (bounded, 20 s) until field of path equals want. */
static bool wait_number(struct agent_run *a, const char *path, const char *field, long want)
{
	for (int i = 0; i < 200; i++) {
		if (number(a, path, field) == want)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static void agent_start(struct agent_run *a, const char *name, const char *extra)
{
	FILE *f;

	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->dir, sizeof(a->dir), "%s/%s", dir, name);
	snprintf(a->sock, sizeof(a->sock), "%s/api.sock", a->dir);
	snprintf(a->conf, sizeof(a->conf), "%s/agent.conf", a->dir);
	snprintf(a->log, sizeof(a->log), "%s/agent.log", a->dir);
	mkdir(a->dir, 0700);
	f = fopen(a->conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "[store]\ndecision_log = %s/decisions.jsonl\nbd_path = %s/bd.sqlite\n"
		"[alerts]\nalert_log = %s/alerts.jsonl\n[fleet]\nurl = nats://127.0.0.1:%d\n"
		"host_id = host-%s\n%s", a->dir, a->dir, a->dir, nats_port, name, extra ? extra : "");
	fclose(f);
	a->pid = fork();
	cr_assert_geq(a->pid, 0);
	if (a->pid == 0) {
		char db[128];
		int fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		snprintf(db, sizeof(db), "%s/agent.db", a->dir);
		dup2(fd, STDERR_FILENO);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(BPFPROF_BIN, BPFPROF_BIN, "agent", "--config", a->conf, "--store", db,
		      "--listen-unix", a->sock, NULL);
		_exit(126);
	}
	harness_child_started(a->pid);
	for (int i = 0; i < 150; i++) {
		if (!access(a->sock, F_OK) && http(a, "GET", "/healthz", NULL, NULL) == 200 &&
		    wait_number(a, "/v1/fleet", "connected", 1))
			return;
		usleep(100 * 1000);
	}
	cr_assert_fail("agent %s did not become ready (see %s)", name, a->log);
}

static void agent_stop(struct agent_run *a, int sig)
{
	if (a->pid > 0) {
		kill(a->pid, sig);
		waitpid(a->pid, NULL, 0);
		harness_child_reaped(a->pid);
	}
	a->pid = 0;
}

static long entries(struct agent_run *a)
{
	return number(a, "/v1/behaviors/stats", "entries");
}

/* A submission of one malicious entry (distinct per i) to a; its id. */
static long submit(struct agent_run *a, int i)
{
	char body[512], *reply = NULL;
	json_t *r;
	long id;

	snprintf(body, sizeof(body), "{\"submitter\":\"acme-store\",\"entries\":[{\"sequence\":"
		 "[\"socket:inet\",\"connect:inet\",\"read\",\"t%d\"],\"risk_score\":0.9,"
		 "\"confidence\":0.8,\"label\":\"malicious\"}]}", i);
	cr_assert_eq(http(a, "POST", "/v1/behaviors", body, &reply), 201, "%s", reply);
	r = json_loads(reply, 0, NULL);
	id = (long)json_integer_value(json_array_get(json_object_get(r, "ids"), 0));
	json_decref(r);
	free(reply);
	return id;
}

/* Rows of a's store whose sequence mentions token t<i>: 1 is right, 2 a
 * change applied twice. */
static long copies(struct agent_run *a, int i)
{
	char path[160];
	json_t *j, *b;
	size_t k;
	long n = 0;

	snprintf(path, sizeof(path), "/v1/behaviors?submitter=acme-store&limit=1000");
	j = get_json(a, path);
	json_array_foreach(json_object_get(j, "behaviors"), k, b) {
		char want[16];

		snprintf(want, sizeof(want), "t%d", i);
		if (!strcmp(json_string_value(json_array_get(json_object_get(b, "sequence"), 3)), want))
			n++;
	}
	json_decref(j);
	return n;
}

Test(fleet, a_submission_to_one_agent_reaches_the_other_ones_database_and_live_index)
{
	struct agent_run a = { 0 }, b = { 0 };
	char path[64];
	long n, id;

	agent_start(&a, "a", NULL);
	agent_start(&b, "b", NULL);
	n = entries(&b);
	cr_assert_gt(n, 0);
	id = submit(&a, 1);
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "entries", n + 1),
		  "B's database has %ld entries, not %ld", entries(&b), n + 1);
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "index_entries", n + 1),
		  "B's live index did not follow its database");
	cr_assert_eq(copies(&b, 1), 1, "the provenance (submitter) did not travel");
	/* an analyst's removal on A is a change like any other */
	snprintf(path, sizeof(path), "/v1/behaviors/%ld", id);
	cr_assert_eq(http(&a, "DELETE", path, NULL, NULL), 200);
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "index_entries", n),
		  "the removal did not reach B's live index");
	cr_assert_eq(entries(&b), n);
	/* A applied its own changes back from the stream: no duplicate there */
	cr_assert_eq(entries(&a), n);
	agent_stop(&a, SIGTERM);
	agent_stop(&b, SIGTERM);
}

/* Messages of stream on subjects matching filter. */
static long stream_messages(const char *stream, const char *filter)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsOptions o;
	char url[64];
	long n = -1;

	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", nats_port);
	jsOptions_Init(&o);
	o.Stream.Info.SubjectsFilter = filter;
	if (natsConnection_ConnectTo(&nc, url) == NATS_OK &&
	    natsConnection_JetStream(&js, nc, NULL) == NATS_OK &&
	    js_GetStreamInfo(&si, js, stream, &o, NULL) == NATS_OK) {
		n = 0;
		for (int i = 0; si->State.Subjects && i < si->State.Subjects->Count; i++)
			n += (long)si->State.Subjects->List[i].Msgs;
	}
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return n;
}

/* The last lines of a log, for an assertion's message (one at a time). */
static const char *file_tail(const char *path)
{
	static char buf[2048];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = 0;
	if (f) {
		if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END))
			rewind(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* The newest decision on a path containing needle, at verdict point
 * `point` (NULL: any). */
static json_t *wait_decision(struct agent_run *a, const char *needle, const char *point)
{
	for (int i = 0; i < 100; i++) {
		json_t *doc = get_json(a, "/v1/decisions?limit=1000"), *d, *found = NULL;
		size_t k;

		json_array_foreach(json_object_get(doc, "decisions"), k, d) {
			const char *p = json_string_value(json_object_get(d, "path"));
			const char *vp = json_string_value(json_object_get(d, "verdict_point"));

			if (!found && p && strstr(p, needle) && (!point || (vp && !strcmp(vp, point))))
				found = json_incref(d);
		}
		json_decref(doc);
		if (found)
			return found;
		usleep(100 * 1000);
	}
	return NULL;
}

static int run_dropper(const char *drop_path, const char *marker)
{
	char marker_env[200], drop_env[200];
	char *argv[] = { FIXTURE_DIR "/dropper", FIXTURE_DIR "/libevil.so", NULL };
	char *env[] = { marker_env, drop_env, NULL };
	int status;

	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	snprintf(drop_env, sizeof(drop_env), "BPFPROF_DROP_PATH=%s", drop_path);
	unlink(marker);
	status = run(argv, env);
	unlink(drop_path);
	return status;
}

/* B scores with its database alone (sequence weight 1) and that database
 * is empty: on its own, B lets the dropper's library through. What stops
 * it is A's quarantine of the same bytes, through the bucket. */
Test(fleet, a_quarantine_on_one_agent_stops_the_same_file_at_the_others_gate)
{
	struct agent_run a = { 0 }, b = { 0 };
	char cmd[512], p1[128], p2[128], marker[160];
	json_t *q, *d;
	int status;

	/* a new database holds the curated entries as ids 1..n */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/b && n=$(%s db --db %s/b/bd.sqlite stats --json | "
		 "sed 's/.*\"entries\":\\([0-9]*\\).*/\\1/') && %s db --db %s/b/bd.sqlite rm "
		 "$(seq 1 $n) >/dev/null", dir, BPFPROF_BIN, dir, BPFPROF_BIN, dir);
	cr_assert_eq(system(cmd), 0, "cannot empty B's database");
	/* one gate at a time: two agents' gates on one host would both stop
	 * the process, and the first to resume it would let it run */
	agent_start(&a, "a", "[policy]\ngate = on\nenforce = on\n");
	snprintf(p1, sizeof(p1), "/tmp/bpfprof-fleet-drop1-%d.so", (int)getpid());
	snprintf(p2, sizeof(p2), "/tmp/bpfprof-fleet-drop2-%d.so", (int)getpid());
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	status = run_dropper(p1, marker);
	cr_assert_eq(status, 128 + SIGKILL, "A did not stop the dropper: %d", status);
	d = wait_decision(&a, "bpfprof-fleet-drop1", NULL);
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "action")), "quarantine");
	json_decref(d);
	cr_assert(wait_number(&a, "/v1/fleet", "quarantined", 1), "A did not quarantine the file");
	/* stopped at once: the put may still wait in A's outbox, and a clean
	 * stop sends it */
	agent_stop(&a, SIGTERM);
	cr_assert_eq(stream_messages("KV_BPFPROF_VERDICTS", "$KV.BPFPROF_VERDICTS.>"), 1,
		     "A's quarantine did not reach the bucket by the time A stopped; A's log "
		     "ends:\n%s", file_tail(a.log));
	/* B joins later and learns the verdict from the bucket alone */
	agent_start(&b, "b", "[policy]\ngate = on\nenforce = on\n[scoring]\nweight_sequence = 1\n"
		    "weight_source = 0\nweight_dcam = 0\n");
	cr_assert(wait_number(&b, "/v1/fleet", "quarantined", 1),
		  "the quarantined hash did not reach B; B's log ends:\n%s", file_tail(b.log));
	q = get_json(&b, "/v1/quarantine");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(q,
			 "quarantined"), 0), "host")), "host-a");
	json_decref(q);
	status = run_dropper(p2, marker);
	cr_assert_eq(status, 128 + SIGKILL, "B's gate did not stop the quarantined file: %d", status);
	cr_assert_neq(access(marker, F_OK), 0, "the constructor ran on B");
	d = wait_decision(&b, "bpfprof-fleet-drop2", "gate");
	cr_assert_not_null(d);
	cr_assert_str_eq(json_string_value(json_object_get(d, "verdict_point")), "gate");
	cr_assert_str_eq(json_string_value(json_object_get(d, "action")), "quarantine");
	/* B's own evidence (its one weighted component) says low: the bucket decided */
	cr_assert_lt(json_number_value(json_object_get(json_object_get(d, "components"),
						       "sequence")), 0.4);
	cr_assert_str_eq(json_string_value(json_object_get(d, "level")), "high");
	json_decref(d);
	agent_stop(&b, SIGTERM);
}

static int nats_publish_raw(const char *subject, const char *data, size_t len)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsPubAck *ack = NULL;
	char url[64];
	natsStatus s;

	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", nats_port);
	s = natsConnection_ConnectTo(&nc, url);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, nc, NULL);
	if (s == NATS_OK)
		s = js_Publish(&ack, js, subject, data, (int)len, NULL, NULL);
	jsPubAck_Destroy(ack);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return s == NATS_OK ? 0 : -1;
}

/* One number from an SQLite file (a stopped agent's). */
static long sql_number(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static bool metric_is(struct agent_run *a, const char *line)
{
	for (int i = 0; i < 100; i++) {
		char *m = NULL;
		bool ok = http(a, "GET", "/metrics", NULL, &m) == 200 && strstr(m, line);

		free(m);
		if (ok)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

Test(fleet, malformed_and_oversize_stream_messages_are_refused_counted_and_not_applied)
{
	struct agent_run a = { 0 }, b = { 0 };
	char big[6000], *oversize;
	const char *bad_json = "{\"v\":1,\"host\":\"evil\",\"ops\":[";
	const char *long_seq = "{\"v\":1,\"host\":\"evil\",\"ops\":[{\"op\":\"add\",\"entry\":"
			       "{\"sequence\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"],"
			       "\"risk_score\":0.1,\"confidence\":1,\"label\":\"good\"}}]}";
	long n;

	agent_start(&a, "a", NULL);
	agent_start(&b, "b", NULL);
	n = entries(&b);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_gt(asprintf(&oversize, "{\"v\":1,\"host\":\"evil\",\"ops\":[{\"op\":\"add\","
			      "\"entry\":{\"sequence\":[\"execve\",\"exit\"],\"risk_score\":0.1,"
			      "\"confidence\":1,\"label\":\"good\",\"source\":\"%s\"}}]}", big), 0);
	cr_assert_eq(nats_publish_raw("BPFPROF.bd.evil", bad_json, strlen(bad_json)), 0);
	cr_assert_eq(nats_publish_raw("BPFPROF.bd.evil", long_seq, strlen(long_seq)), 0);
	cr_assert_eq(nats_publish_raw("BPFPROF.bd.evil", oversize, strlen(oversize)), 0);
	free(oversize);
	/* and the agents keep going: the next change lands */
	submit(&a, 2);
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "entries", n + 1));
	cr_assert(metric_is(&a, "bpf_profiler_fleet_refused_entries_total 3\n"));
	cr_assert(metric_is(&b, "bpf_profiler_fleet_refused_entries_total 3\n"));
	cr_assert_eq(number(&b, "/v1/fleet", "applied_seq"), 4);
	agent_stop(&a, SIGTERM);
	agent_stop(&b, SIGTERM);
}

/* `bpf-profiler fleet status --json` lists host-a and host-b at seq (heartbeats: 5 s). */
static bool fleet_status_shows(long seq)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s fleet status --url nats://127.0.0.1:%d --json", BPFPROF_BIN,
		 nats_port);
	for (int i = 0; i < 100; i++) {
		FILE *p = popen(cmd, "r");
		json_t *st = p ? json_loadf(p, JSON_DISABLE_EOF_CHECK, NULL) : NULL, *h;
		int seen = 0;
		size_t k;

		if (p)
			pclose(p);
		json_array_foreach(json_object_get(st, "hosts"), k, h)
			if (json_integer_value(json_object_get(h, "applied_seq")) == seq &&
			    json_object_get(h, "consumer_lag"))
				seen++;
		json_decref(st);
		if (seen == 2)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

Test(fleet, a_kill_9_agent_catches_up_exactly_once_after_restart)
{
	struct agent_run a = { 0 }, b = { 0 };
	long n, seq;

	agent_start(&a, "a", NULL);
	agent_start(&b, "b", NULL);
	n = entries(&b);
	submit(&a, 1);
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "entries", n + 1));
	agent_stop(&b, SIGKILL);
	for (int i = 2; i <= 4; i++)
		submit(&a, i);
	/* A has its own changes back from the stream: the stream is complete */
	cr_assert(wait_number(&a, "/v1/fleet", "outbox_depth", 0));
	for (int i = 0; i < 100 && number(&a, "/v1/fleet", "applied_entries") < 4; i++)
		usleep(100 * 1000);
	seq = number(&a, "/v1/fleet", "applied_seq");
	agent_start(&b, "b", NULL);
	cr_assert(wait_number(&b, "/v1/fleet", "applied_seq", seq), "B did not catch up to %ld", seq);
	cr_assert_eq(entries(&b), n + 4);
	for (int i = 1; i <= 4; i++)
		cr_assert_eq(copies(&b, i), 1, "change t%d applied %ld times", i, copies(&b, i));
	cr_assert(fleet_status_shows(seq), "`fleet status` does not show both hosts at %ld", seq);
	agent_stop(&a, SIGTERM);
	agent_stop(&b, SIGTERM);
}

Test(fleet, a_nats_restart_loses_nothing_acknowledged_and_agents_reconnect_by_themselves)
{
	struct agent_run a = { 0 }, b = { 0 }, c = { 0 };
	long n, decisions, published, waiting;
	char path[160];
	json_t *doc;
	char *argv[] = { FIXTURE_DIR "/loader", FIXTURE_DIR "/libbenign.so", NULL };

	agent_start(&a, "a", NULL);
	agent_start(&b, "b", NULL);
	n = entries(&b);
	submit(&a, 1);
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "entries", n + 1));
	nats_kill();
	cr_assert(wait_number(&a, "/v1/fleet", "connected", 0));
	/* the agents go on alone: submissions and decisions are acknowledged locally */
	for (int i = 2; i <= 4; i++)
		submit(&a, i);
	cr_assert_eq(run(argv, NULL), 0);
	cr_assert_not_null(wait_decision(&a, "libbenign.so", NULL));
	nats_start();
	cr_assert(wait_number(&a, "/v1/fleet", "connected", 1), "A did not reconnect");
	cr_assert(wait_number(&b, "/v1/behaviors/stats", "entries", n + 4),
		  "B has %ld entries, not %ld", entries(&b), n + 4);
	doc = get_json(&a, "/v1/stats");
	decisions = (long)json_integer_value(json_object_get(json_object_get(doc, "decisions"),
							     "total"));
	json_decref(doc);
	cr_assert_gt(decisions, 0);
	cr_assert(wait_number(&a, "/v1/fleet", "outbox_depth", 0), "A's outbox did not drain");
	doc = get_json(&a, "/v1/fleet");
	published = (long)json_integer_value(json_object_get(json_object_get(doc, "published"),
							     "decision"));
	json_decref(doc);
	cr_assert_geq(published, decisions, "%ld decisions stored, %ld published", decisions,
		      published);
	/* a host that joins now replays the stream the server kept across its restart */
	agent_start(&c, "c", NULL);
	cr_assert(wait_number(&c, "/v1/behaviors/stats", "entries", n + 4),
		  "a new agent has %ld entries, not %ld", entries(&c), n + 4);
	for (int i = 1; i <= 4; i++)
		cr_assert_eq(copies(&c, i), 1);
	agent_stop(&a, SIGTERM);
	agent_stop(&b, SIGTERM);
	agent_stop(&c, SIGTERM);
	/* every decision A stored is in the stream once, or still in its outbox */
	snprintf(path, sizeof(path), "%s/agent.db", a.dir);
	decisions = sql_number(path, "SELECT count(*) FROM decisions");
	snprintf(path, sizeof(path), "%s/agent.db.fleet", a.dir);
	waiting = sql_number(path, "SELECT count(*) FROM outbox WHERE kind = 1");
	published = stream_messages("BPFPROF_DECISIONS", "BPFPROF.decisions.host-a.>");
	cr_assert_gt(decisions, 0);
	cr_assert_eq(published + waiting, decisions, "%ld decisions stored, %ld in the stream, "
		     "%ld waiting", decisions, published, waiting);
}
