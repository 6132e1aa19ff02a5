/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* bench_fleet URL DIR [options]: the fleet module (user/fleet/, no kernel
 * part) on a running nats-server (scripts/bench.sh fleet starts one): one
 * publisher submits behaviour entries through bd_submit, as the API does,
 * and N consuming clients apply them, each a process of its own as a host's
 * agent is (its own SQLite store, index, host id and durable consumer);
 * then quarantines go from one client to every other client's verdict
 * hand-off. Prints entries/s per client, publish-to-applied and
 * publish-to-gate latencies, and what the server used. Not a test: it
 * asserts nothing about time. Clients report through shared memory
 * (CLOCK_MONOTONIC is one clock for every process). */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "fleet/fleet.h"
#include "lib/log.h"
#include "lib/util.h"

#define WARMUP_ENTRIES 1
#define POLL_US 1000      /* a client hands verdicts over every 1 ms in the quarantine phase */
#define IDLE_POLL_US 100000 /* else every 100 ms (the agent's main loop: at most that) */
#define SEC 1000000000ull

/* What the processes share (mmap'd before the clients fork). Client i is
 * 1..clients; clients + 1 is the late one (the catch-up). */
struct shared {
	atomic_bool stop, go_late, fast_poll;
	/* quarantine q: the parent writes want and src, then bumps gen; src
	 * quarantines and writes sent_at; every client writes gate_at[i], then
	 * gate_gen[i] = gen, when its fleet_verdicts_take handed want over */
	atomic_uint gen;
	int src;
	char want[65];
	atomic_uint_fast64_t sent_at;
	struct {
		atomic_int state;               /* 0 starting, 1 consuming, -1 failed */
		atomic_uint_fast64_t applied;   /* entries applied (the fleet's counter) */
		atomic_uint_fast64_t gate_at;   /* hand-off of quarantine gate_gen */
		atomic_uint gate_gen;
		pid_t pid;
	} c[];
};

struct client {
	int i;                     /* 0: the publisher (this process) */
	char host[32];
	struct tokens *tok;
	struct bdstore *bd;
	struct bdindex *idx;
	pthread_mutex_t lock;
	_Atomic(struct fleet *) f;
	uint64_t *applied_at;      /* mono ns at which entry k (stream order) was applied */
	size_t cap;
};

struct bench {
	const char *url, *dir, *monitor, *prefix;
	int clients, batch, quarantines, server_pid;
	long entries;
	double rate;               /* entries/s offered; 0: as fast as bd_submit goes */
	uint64_t timeout_ns;
	size_t cap;                /* entries a client records: warm-up + entries */
	struct shared *sh;
	uint64_t *applied_at;      /* shared: (clients + 2) rows of cap */
	struct client pub;
	uint64_t *sub_at;          /* entry k's submission committed (mono ns) */
	uint64_t *wire_at;         /* entry k seen on the stream's subject by a plain subscriber */
	size_t nwire, nwire_msgs;  /* operations and messages seen on the subject */
	long rss_base_kb;          /* nats-server before any client connected */
	pthread_mutex_t wire_lock;
	/* nats-server's resident memory, sampled */
	atomic_long rss_peak_kb;
	atomic_bool sampling;
};

static struct bench B;

static uint64_t now(void)
{
	return util_now_mono_ns();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
}

/* The p-th percentile (nearest rank) of v, sorted, in ms. */
static double pct_ms(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (!n)
		return 0;
	i = i ? i - 1 : 0;
	return (double)v[i < n ? i : n - 1] / 1e6;
}

/* --- CPU and memory from /proc, messages from nats-server's /varz ---------- */

static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 0;
	/* after "comm) ": state is field 3; utime and stime are 14 and 15 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double clients_cpu_s(void)
{
	double s = 0;

	for (int i = 1; i <= B.clients + 1; i++)
		s += proc_cpu_s(B.sh->c[i].pid);
	return s;
}

static long proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void *sampler(void *arg)
{
	(void)arg;
	while (atomic_load(&B.sampling)) {
		long kb = proc_rss_kb(B.server_pid);

		if (kb > atomic_load(&B.rss_peak_kb))
			atomic_store(&B.rss_peak_kb, kb);
		usleep(100 * 1000);
	}
	return NULL;
}

struct varz {
	bool ok;
	double in_msgs, out_msgs, in_bytes, out_bytes;
};

static size_t collect(void *p, size_t size, size_t n, void *ctx)
{
	return fwrite(p, size, n, ctx);
}

/* nats-server's counters (GET /varz); a few tries, the machine may be busy. */
static void read_varz(struct varz *v)
{
	char url[300];

	memset(v, 0, sizeof(*v));
	if (!B.monitor)
		return;
	snprintf(url, sizeof(url), "%s/varz", B.monitor);
	for (int attempt = 0; attempt < 3 && !v->ok; attempt++) {
		CURL *c = curl_easy_init();
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		json_t *j = NULL;

		if (c && f) {
			curl_easy_setopt(c, CURLOPT_URL, url);
			curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
			curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
			curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
			if (curl_easy_perform(c) == CURLE_OK) {
				fflush(f);
				j = json_loadb(text, len, 0, NULL);
			}
		}
		if (f)
			fclose(f);
		curl_easy_cleanup(c);
		free(text);
		if (json_is_object(j)) {
			v->ok = true;
			v->in_msgs = json_number_value(json_object_get(j, "in_msgs"));
			v->out_msgs = json_number_value(json_object_get(j, "out_msgs"));
			v->in_bytes = json_number_value(json_object_get(j, "in_bytes"));
			v->out_bytes = json_number_value(json_object_get(j, "out_bytes"));
		}
		json_decref(j);
	}
}

struct phase {
	uint64_t t0;
	double server_cpu, pub_cpu, clients_cpu;
	struct varz v0;
};

static void phase_begin(struct phase *p)
{
	read_varz(&p->v0);
	p->server_cpu = proc_cpu_s(B.server_pid);
	p->clients_cpu = clients_cpu_s();
	p->pub_cpu = proc_cpu_s(getpid());
	atomic_store(&B.rss_peak_kb, proc_rss_kb(B.server_pid));
	p->t0 = now();
}

static void phase_end(const struct phase *p, const char *name)
{
	double secs = (double)(now() - p->t0) / 1e9, cpu = proc_cpu_s(B.server_pid) - p->server_cpu;
	struct varz v;

	read_varz(&v);
	printf("  %s: %.1f s; nats-server %.2f CPU s (%.0f %% of a core), peak RSS %ld MiB",
	       name, secs, cpu, 100 * cpu / secs, atomic_load(&B.rss_peak_kb) / 1024);
	if (v.ok && p->v0.ok)
		printf(", %.0f msgs/s in + %.0f msgs/s out (%.1f + %.1f MB/s)",
		       (v.in_msgs - p->v0.in_msgs) / secs, (v.out_msgs - p->v0.out_msgs) / secs,
		       (v.in_bytes - p->v0.in_bytes) / secs / 1e6,
		       (v.out_bytes - p->v0.out_bytes) / secs / 1e6);
	printf("; publisher %.2f CPU s, clients %.2f CPU s\n", proc_cpu_s(getpid()) - p->pub_cpu,
	       clients_cpu_s() - p->clients_cpu);
}

/* --- one fleet client (as cmd_agent.c opens it: open_behaviors, open_fleet) */

static void on_applied(void *ctx)
{
	struct client *c = ctx;
	struct fleet *f;
	struct fleet_stats s;
	uint64_t t = now(), spin = t + 5 * SEC;
	size_t k;

	/* the consumer may apply before fleet_open returned the handle */
	while (!(f = atomic_load(&c->f)) && now() < spin)
		sched_yield();
	if (!f)
		return;
	fleet_stats(f, &s);
	k = c->i ? (size_t)atomic_load(&B.sh->c[c->i].applied) : 0;
	for (; k < s.applied_entries && k < c->cap; k++)
		c->applied_at[k] = t;
	if (c->i)
		atomic_store(&B.sh->c[c->i].applied, s.applied_entries);
}

static int client_open(struct client *c, int i, const char *host)
{
	char dir[512], path[600], outbox[600], err[512];
	struct fleet *f;
	int ret;

	c->i = i;
	snprintf(c->host, sizeof(c->host), "%s", host);
	snprintf(dir, sizeof(dir), "%s/%s", B.dir, host);
	snprintf(path, sizeof(path), "%s/bd.sqlite", dir);
	snprintf(outbox, sizeof(outbox), "%s/decisions.sqlite.fleet", dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	pthread_mutex_init(&c->lock, NULL);
	ret = tokens_load_default(&c->tok);
	if (!ret && (ret = bdstore_open(path, 0, &c->bd, err, sizeof(err))))
		fprintf(stderr, "bench_fleet: %s: %s\n", path, err);
	if (!ret)
		ret = bdindex_create(c->tok, &c->idx);
	if (!ret)
		ret = bdstore_load_index(c->bd, c->tok, c->idx);
	if (ret)
		return ret;
	ret = fleet_open(&(struct fleet_opts){
		.sz = sizeof(struct fleet_opts), .url = B.url, .host_id = host, .prefix = B.prefix,
		.outbox = outbox,
		.bd = c->bd, .idx = c->idx, .tok = c->tok, .bd_lock = &c->lock,
		.bd_applied = on_applied, .ctx = c }, &f, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench_fleet: %s: %s\n", host, err);
		return ret;
	}
	atomic_store(&c->f, f);
	return 0;
}

static void client_close(struct client *c)
{
	fleet_close(atomic_load(&c->f));
	bdindex_free(c->idx);
	bdstore_close(c->bd);
	tokens_free(c->tok);
	pthread_mutex_destroy(&c->lock);
}

static char handed_want[65];
static unsigned int handed_gen;

static void on_verdict(void *ctx, const char *sha256, bool quarantined)
{
	struct client *c = ctx;

	if (quarantined && !strcmp(sha256, handed_want)) {
		atomic_store(&B.sh->c[c->i].gate_at, now());
		atomic_store(&B.sh->c[c->i].gate_gen, handed_gen);
	}
}

/* This client is the source of the current quarantine. */
static void quarantine(struct client *c, const char *host)
{
	atomic_store(&B.sh->sent_at, now());
	if (fleet_quarantine(atomic_load(&c->f), handed_want, NULL))
		fprintf(stderr, "bench_fleet: %s: fleet_quarantine failed\n", host);
}

/* A client process: consume, hand verdicts over (every POLL_US while
 * quarantines are measured, else every IDLE_POLL_US: 50 processes waking
 * every millisecond would take a good part of 2 cores) and quarantine when
 * it is the source, until told to stop. */
static int client_main(int i)
{
	struct client c = { .cap = B.cap, .applied_at = B.applied_at + (size_t)i * B.cap };
	char host[32];
	unsigned int gen = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	while (i > B.clients && !atomic_load(&B.sh->go_late) && !atomic_load(&B.sh->stop))
		usleep(10 * 1000);
	if (atomic_load(&B.sh->stop))
		return 0;
	snprintf(host, sizeof(host), i > B.clients ? "late" : "client-%03d", i);
	if (client_open(&c, i, host)) {
		atomic_store(&B.sh->c[i].state, -1);
		return 1;
	}
	atomic_store(&B.sh->c[i].state, 1);
	while (!atomic_load(&B.sh->stop)) {
		unsigned int g = atomic_load(&B.sh->gen);

		if (g != gen) {
			gen = g;
			snprintf(handed_want, sizeof(handed_want), "%s", B.sh->want);
			if (B.sh->src == i)
				quarantine(&c, host);
		}
		handed_gen = gen;
		fleet_verdicts_take(atomic_load(&c.f), on_verdict, &c);
		usleep(atomic_load(&B.sh->fast_poll) ? POLL_US : IDLE_POLL_US);
	}
	client_close(&c);
	return 0;
}

static bool clients_alive(int from, int to)
{
	for (int i = from; i < to; i++)
		if (atomic_load(&B.sh->c[i].state) < 0 || waitpid(B.sh->c[i].pid, NULL, WNOHANG))
			return false;
	return true;
}

/* Waits until clients [from, to) applied n entries; false on timeout. */
static bool wait_applied(int from, int to, uint64_t n, const char *what)
{
	uint64_t t0 = now(), next = t0 + 5 * SEC;

	for (;;) {
		uint64_t least = UINT64_MAX, sum = 0;

		for (int i = from; i < to; i++) {
			uint64_t a = atomic_load(&B.sh->c[i].applied);

			least = a < least ? a : least;
			sum += a;
		}
		if (least >= n)
			return true;
		if (!clients_alive(from, to)) {
			fprintf(stderr, "bench_fleet: %s: a client failed\n", what);
			return false;
		}
		if (now() - t0 > B.timeout_ns) {
			fprintf(stderr, "bench_fleet: %s: timed out, the slowest client applied %"
				PRIu64 " of %" PRIu64 "\n", what, least, n);
			return false;
		}
		if (now() > next) {
			fprintf(stderr, "bench_fleet: %s: %.0f s, %.1f %% applied (slowest client %"
				PRIu64 "/%" PRIu64 ")\n", what, (double)(now() - t0) / 1e9,
				100.0 * (double)sum / (double)n / (to - from), least, n);
			next += 5 * SEC;
		}
		usleep(20 * 1000);
	}
}

/* --- entries --------------------------------------------------------------- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Entry k: valid per schemas/behavior-entry.schema.json, a random sequence
 * of 2..8 listed tokens (now and then a {call, params} item), risk and
 * label that agree, an origin for a quarter of them; the source names k,
 * so no two are the same entry (a resubmission would publish nothing). */
static json_t *entry(struct tokens *tok, long k, const char *when)
{
	size_t ntok = tokens_listed_count(tok);
	int len = 2 + (int)(rnd() % 7);
	double risk = (double)(rnd() % 1001) / 1000.0;
	char source[64], hash[80];
	json_t *seq = json_array(), *e;

	for (int i = 0; i < len; i++) {
		const char *name = tokens_name(tok, (token_id)(rnd() % ntok));

		json_t *item = rnd() % 16 ? json_string(name) :
			       json_pack("{s:s, s:{s:I}}", "call", name, "params", "fd",
					 (json_int_t)(rnd() % 64));

		json_array_append_new(seq, item);
	}
	snprintf(source, sizeof(source), "bench:fleet/%ld", k);
	e = json_pack("{s:o, s:f, s:f, s:s, s:s, s:s}", "sequence", seq, "risk_score", risk,
		      "confidence", 0.05 + (double)(rnd() % 951) / 1000.0,
		      "label", risk >= 0.5 ? "malicious" : "good", "source", source,
		      "added_at", when);
	if (e && !(rnd() % 4)) {
		snprintf(hash, sizeof(hash), "sha256:%016" PRIx64 "%016" PRIx64 "%016" PRIx64
			 "%016" PRIx64, rnd(), rnd(), rnd(), rnd());
		json_object_set_new(e, "origin", json_pack("{s:s, s:s}", "hash", hash,
							    "path", "/tmp/*.so"));
	}
	return e;
}

/* Submits entries [from, from + n) in submissions of B.batch (the API's
 * path after parsing), paced to B.rate when set. */
static int submit(long from, long n, bool timed)
{
	struct client *p = &B.pub;
	uint64_t t0 = now();
	char err[512];

	for (long done = 0; done < n;) {
		json_t *sub = json_pack("{s:s, s:[]}", "submitter", "bench", "entries");
		json_t *list = json_object_get(sub, "entries"), *res = NULL;
		long m = n - done < B.batch ? n - done : B.batch;
		uint64_t t;
		int ret;

		for (long i = 0; i < m; i++)
			json_array_append_new(list, entry(p->tok, from + done + i,
							  "2026-11-28T10:00:00Z"));
		if (B.rate > 0) {
			uint64_t due = t0 + (uint64_t)((double)done / B.rate * 1e9);

			while ((t = now()) < due)
				usleep((useconds_t)((due - t) / 1000));
		}
		pthread_mutex_lock(&p->lock);
		ret = bd_submit(p->bd, p->idx, p->tok, sub, &res, err, sizeof(err));
		t = now(); /* before the fleet's publisher can read the journal */
		pthread_mutex_unlock(&p->lock);
		json_decref(res);
		json_decref(sub);
		if (ret) {
			fprintf(stderr, "bench_fleet: submitting: %s\n", err);
			return ret;
		}
		for (long i = 0; timed && i < m; i++)
			B.sub_at[done + i] = t;
		done += m;
	}
	return 0;
}

/* A plain subscriber on the database subject: when each entry was on the
 * stream (between the submission's commit and the clients' apply). It
 * counts operations by their key rather than parsing the message, to take
 * little from the publisher's process. */
static void on_wire(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
	const char *p = natsMsg_GetData(m), *end = p + natsMsg_GetDataLength(m);
	size_t ops = 0;
	uint64_t t = now();

	(void)nc;
	(void)sub;
	(void)arg;
	while ((p = memmem(p, (size_t)(end - p), "{\"op\":", 6))) {
		ops++;
		p += 6;
	}
	pthread_mutex_lock(&B.wire_lock);
	for (size_t i = 0, k = B.nwire; i < ops; i++, k++)
		if (k >= WARMUP_ENTRIES && k - WARMUP_ENTRIES < (size_t)B.entries)
			B.wire_at[k - WARMUP_ENTRIES] = t;
	B.nwire += ops;
	B.nwire_msgs++;
	pthread_mutex_unlock(&B.wire_lock);
	natsMsg_Destroy(m);
}

/* --- phases ---------------------------------------------------------------- */

static void report_entries(uint64_t t_first)
{
	size_t n = (size_t)B.entries, nc = (size_t)B.clients;
	uint64_t *lat = malloc(n * nc * sizeof(*lat)), *rate = malloc(nc * sizeof(*rate));
	uint64_t *wire = malloc(n * sizeof(*wire)), *after = malloc(n * nc * sizeof(*after));
	size_t nl = 0, nw = 0, na = 0;
	double sum = 0;

	if (!lat || !rate || !wire || !after) {
		fprintf(stderr, "bench_fleet: out of memory\n");
		exit(1);
	}
	for (size_t k = 0; k < n; k++)
		if (B.wire_at[k])
			wire[nw++] = B.wire_at[k] - B.sub_at[k];
	for (size_t i = 0; i < nc; i++) {
		const uint64_t *at = B.applied_at + (i + 1) * B.cap + WARMUP_ENTRIES;

		for (size_t k = 0; k < n; k++) {
			lat[nl++] = at[k] - B.sub_at[k];
			if (B.wire_at[k])
				after[na++] = at[k] > B.wire_at[k] ? at[k] - B.wire_at[k] : 0;
		}
		/* entries/s per client: the whole run over what it took this
		 * client, from the first submission to its last entry applied */
		rate[i] = (uint64_t)((double)n / ((double)(at[n - 1] - t_first) / 1e9));
		sum += (double)rate[i];
	}
	sort_u64(rate, nc);
	sort_u64(lat, nl);
	sort_u64(wire, nw);
	sort_u64(after, na);
	printf("  entries/s per client (first submission to its last entry applied): min %" PRIu64
	       ", median %" PRIu64 ", max %" PRIu64 "; all %zu clients together %.0f applied/s\n",
	       rate[0], rate[nc / 2], rate[nc - 1], nc, sum);
	printf("  publish-to-applied latency per entry (%zu samples): p50 %.1f ms, p99 %.1f ms, "
	       "max %.1f ms\n", nl, pct_ms(lat, nl, 50), pct_ms(lat, nl, 99), pct_ms(lat, nl, 100));
	printf("    of which submitted to on the stream (%zu entries): p50 %.1f ms, p99 %.1f ms; "
	       "on the stream to applied: p50 %.1f ms, p99 %.1f ms\n", nw, pct_ms(wire, nw, 50),
	       pct_ms(wire, nw, 99), pct_ms(after, na, 50), pct_ms(after, na, 99));
	free(lat);
	free(rate);
	free(wire);
	free(after);
}

/* What connected, idle clients cost the server (heartbeats, long-polls). */
static int phase_idle(void)
{
	struct phase ph;

	printf("fleet: %d clients idle for 10 s\n", B.clients);
	phase_begin(&ph);
	sleep(10);
	phase_end(&ph, "idle");
	return 0;
}

static int phase_entries(void)
{
	struct phase ph;
	uint64_t t_first, t_sub;
	int ret;

	printf("fleet: %ld entries in submissions of %d (%s), 1 publisher, %d clients\n",
	       B.entries, B.batch, B.rate > 0 ? "paced" : "as fast as bd_submit goes", B.clients);
	if (B.rate > 0)
		printf("  offered rate %.0f entries/s\n", B.rate);
	phase_begin(&ph);
	t_first = now();
	ret = submit(WARMUP_ENTRIES, B.entries, true);
	if (ret)
		return ret;
	t_sub = now();
	printf("  publisher: %.0f entries/s submitted (bd_submit, %d per submission)\n",
	       (double)B.entries / ((double)(t_sub - t_first) / 1e9), B.batch);
	if (!wait_applied(1, B.clients + 1, WARMUP_ENTRIES + (uint64_t)B.entries, "entries"))
		return -ETIMEDOUT;
	phase_end(&ph, "applied everywhere");
	pthread_mutex_lock(&B.wire_lock);
	printf("  %zu database messages on the stream, %.0f entries each on average, each "
	       "delivered to %d clients and the publisher\n", B.nwire_msgs - 1,
	       (double)(B.nwire - WARMUP_ENTRIES) / (double)(B.nwire_msgs - 1), B.clients);
	pthread_mutex_unlock(&B.wire_lock);
	report_entries(t_first);
	return 0;
}

static int phase_quarantines(void)
{
	size_t nq = (size_t)B.quarantines, nc = (size_t)B.clients;
	uint64_t *each = malloc(nq * (nc - 1) * sizeof(*each));
	uint64_t *every = malloc(nq * sizeof(*every));
	size_t ne = 0, lost = 0;
	struct phase ph;

	if (!each || !every)
		return -ENOMEM;
	printf("fleet: %zu quarantines, each from one client to the other %zu clients' "
	       "fleet_verdicts_take (each client hands over every %d ms)\n", nq, nc - 1,
	       POLL_US / 1000);
	atomic_store(&B.sh->fast_poll, true);
	usleep(2 * IDLE_POLL_US);
	phase_begin(&ph);
	for (size_t q = 0; q < nq; q++) {
		int src = 1 + (int)(q % nc);
		uint64_t t0, deadline = now() + 30 * SEC, worst = 0;
		unsigned int gen;
		size_t have = 0;

		atomic_store(&B.sh->sent_at, 0);
		for (int i = 0; i < 4; i++)
			snprintf(B.sh->want + 16 * i, 17, "%016" PRIx64, rnd());
		B.sh->src = src;
		gen = atomic_fetch_add(&B.sh->gen, 1) + 1;
		while (have < nc - 1 && now() < deadline) {
			have = 0;
			for (size_t i = 1; i <= nc; i++)
				have += (int)i != src && atomic_load(&B.sh->c[i].gate_gen) == gen;
			usleep(1000);
		}
		t0 = atomic_load(&B.sh->sent_at);
		for (size_t i = 1; i <= nc; i++) {
			bool got = atomic_load(&B.sh->c[i].gate_gen) == gen;
			uint64_t g = atomic_load(&B.sh->c[i].gate_at);

			if ((int)i == src)
				continue;
			if (!got || !t0) {
				lost++;
				continue;
			}
			each[ne++] = g - t0;
			worst = g - t0 > worst ? g - t0 : worst;
		}
		every[q] = worst;
		usleep(20 * 1000);
	}
	phase_end(&ph, "quarantines");
	atomic_store(&B.sh->fast_poll, false);
	sort_u64(every, nq);
	sort_u64(each, ne);
	printf("  publish-to-every-gate latency (%zu quarantines): p50 %.1f ms, p99 %.1f ms, "
	       "max %.1f ms\n", nq, pct_ms(every, nq, 50), pct_ms(every, nq, 99),
	       pct_ms(every, nq, 100));
	printf("  publish-to-one-gate latency (%zu hand-offs, %zu missing after 30 s): p50 %.1f "
	       "ms, p99 %.1f ms, max %.1f ms\n", ne, lost, pct_ms(each, ne, 50),
	       pct_ms(each, ne, 99), pct_ms(each, ne, 100));
	free(each);
	free(every);
	return lost ? -ETIMEDOUT : 0;
}

/* A client that was away: opened after the fact, it catches up on the
 * whole stream alone (the apply rate of one host with the CPU to itself,
 * the other clients idle). */
static int phase_catch_up(void)
{
	int late = B.clients + 1;
	uint64_t n = WARMUP_ENTRIES + (uint64_t)B.entries;
	const uint64_t *at = B.applied_at + (size_t)late * B.cap;
	struct phase ph;
	uint64_t t0;
	double cpu;

	printf("fleet: one more client, opened after the run, catches up on the %" PRIu64
	       " entries alone\n", n);
	phase_begin(&ph);
	cpu = proc_cpu_s(B.sh->c[late].pid);
	t0 = now();
	atomic_store(&B.sh->go_late, true);
	if (!wait_applied(late, late + 1, n, "catch-up"))
		return -ETIMEDOUT;
	cpu = proc_cpu_s(B.sh->c[late].pid) - cpu;
	phase_end(&ph, "caught up");
	printf("  entries/s for one client alone (fleet_open to its last entry applied): %.0f; "
	       "its CPU: %.1f us per entry (%.0f entries/s per core)\n",
	       (double)n / ((double)(at[n - 1] - t0) / 1e9), cpu * 1e6 / (double)n,
	       (double)n / cpu);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_fleet URL DIR [options]\n"
		"  URL  a nats-server with JetStream (nats://127.0.0.1:4222), the prefix unused\n"
		"  DIR  an empty directory for the clients' stores (the caller removes it)\n"
		"  --clients N      consuming fleet clients, one process each (default 50)\n"
		"  --entries N      behaviour entries submitted (default 100000)\n"
		"  --batch N        entries per submission (default 100)\n"
		"  --rate R         offered entries/s (default 0: as fast as bd_submit goes)\n"
		"  --quarantines N  quarantines sent, one at a time (default 100)\n"
		"  --no-catch-up    skip the late client catching up alone\n"
		"  --server-pid P   nats-server's pid, for its CPU and memory\n"
		"  --monitor URL    nats-server's monitoring endpoint (http://127.0.0.1:8222)\n"
		"  --timeout S      give up waiting after S seconds (default 900)\n"
		"  --prefix P       stream and subject prefix (default "
		FLEET_PREFIX_DEFAULT ")\n");
}

static void *shared_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int run(bool catch_up)
{
	natsConnection *nc = NULL;
	natsSubscription *wsub = NULL;
	pthread_t samp;
	uint64_t t0 = now();
	char subject[96];
	int ret;

	/* the publisher: this process, its threads started after the forks */
	B.pub.cap = 0;
	if ((ret = client_open(&B.pub, 0, "publisher")))
		return ret;
	atomic_store(&B.sampling, true);
	pthread_create(&samp, NULL, sampler, NULL);
	snprintf(subject, sizeof(subject), "%s.bd.>", B.prefix);
	if (natsConnection_ConnectTo(&nc, B.url) != NATS_OK ||
	    natsConnection_Subscribe(&wsub, nc, subject, on_wire, NULL) != NATS_OK) {
		fprintf(stderr, "bench_fleet: cannot reach %s\n", B.url);
		ret = -EIO;
		goto out;
	}
	/* warm-up: every consumer exists and applied the first entry */
	ret = submit(0, WARMUP_ENTRIES, false);
	if (!ret && !wait_applied(1, B.clients + 1, WARMUP_ENTRIES, "warm-up"))
		ret = -ETIMEDOUT;
	if (ret)
		goto out;
	printf("fleet: %d client processes and the publisher connected and consuming in %.1f s; "
	       "nats-server RSS %ld MiB before they connected, %ld MiB now\n", B.clients,
	       (double)(now() - t0) / 1e9, B.rss_base_kb / 1024, proc_rss_kb(B.server_pid) / 1024);
	ret = phase_idle();
	if (!ret)
		ret = phase_entries();
	if (!ret && B.quarantines)
		ret = phase_quarantines();
	if (!ret && catch_up)
		ret = phase_catch_up();
out:
	atomic_store(&B.sampling, false);
	pthread_join(samp, NULL);
	natsSubscription_Destroy(wsub);
	natsConnection_Destroy(nc);
	client_close(&B.pub);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "clients", required_argument, NULL, 'c' },
		{ "entries", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "quarantines", required_argument, NULL, 'q' },
		{ "no-catch-up", no_argument, NULL, 'C' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "monitor", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool catch_up = true;
	int opt, ret, nproc;

	B.clients = 50;
	B.entries = 100000;
	B.batch = 100;
	B.quarantines = 100;
	B.timeout_ns = 900 * SEC;
	B.prefix = FLEET_PREFIX_DEFAULT;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': B.clients = atoi(optarg); break;
		case 'n': B.entries = atol(optarg); break;
		case 'b': B.batch = atoi(optarg); break;
		case 'r': B.rate = atof(optarg); break;
		case 'q': B.quarantines = atoi(optarg); break;
		case 'C': catch_up = false; break;
		case 'p': B.server_pid = atoi(optarg); break;
		case 'm': B.monitor = optarg; break;
		case 't': B.timeout_ns = (uint64_t)atol(optarg) * SEC; break;
		case 'P': B.prefix = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || B.clients < 2 || B.entries < 1 || B.batch < 1 ||
	    B.batch > BD_SUBMIT_MAX_ENTRIES || B.quarantines < 0) {
		usage(stderr);
		return 2;
	}
	B.url = argv[optind];
	B.dir = argv[optind + 1];
	log_set_level(LOG_LVL_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0);
	nproc = B.clients + 2;
	B.cap = WARMUP_ENTRIES + (size_t)B.entries;
	B.sh = shared_map(sizeof(*B.sh) + (size_t)nproc * sizeof(B.sh->c[0]));
	B.applied_at = shared_map((size_t)nproc * B.cap * sizeof(uint64_t));
	B.sub_at = calloc((size_t)B.entries, sizeof(*B.sub_at));
	B.wire_at = calloc((size_t)B.entries, sizeof(*B.wire_at));
	pthread_mutex_init(&B.wire_lock, NULL);
	if (!B.sh || !B.applied_at || !B.sub_at || !B.wire_at) {
		fprintf(stderr, "bench_fleet: out of memory\n");
		return 1;
	}
	B.rss_base_kb = proc_rss_kb(B.server_pid);
	/* the clients fork before this process starts any thread */
	for (int i = 1; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "bench_fleet: fork: %s\n", strerror(errno));
			atomic_store(&B.sh->stop, true);
			return 1;
		}
		if (!pid)
			_exit(client_main(i));
		B.sh->c[i].pid = pid;
	}
	ret = run(catch_up);
	atomic_store(&B.sh->stop, true);
	for (int i = 1; i < nproc; i++) {
		uint64_t deadline = now() + 30 * SEC;

		while (!waitpid(B.sh->c[i].pid, NULL, WNOHANG) && now() < deadline)
			usleep(10 * 1000);
		if (now() >= deadline) {
			kill(B.sh->c[i].pid, SIGKILL);
			waitpid(B.sh->c[i].pid, NULL, 0);
		}
	}
	if (ret)
		fprintf(stderr, "bench_fleet: stopped: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
