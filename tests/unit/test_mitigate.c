/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The mitigation ladder's decisions that need no kernel backend: alerting
 * while monitoring and what enforcement would have done, quarantine by
 * signal (at the gate and after), moving the object aside (not a file with
 * the bytes its package shipped), and the names of actions and backends.
 * Medium (uprobes and the cgroup) is exercised for real by
 * tests/integration/test_confine.c. */
#include <criterion/criterion.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "respond/mitigate.h"
#include "score/pkgindex.h"
#include "tmpdir.h"
#include "window_fixture.h"

static const struct verdict_cache no_cache = { .map_fd = -1 };

static struct scorer_result result(enum verdict_level level, double risk)
{
	struct scorer_result r;

	memset(&r, 0, sizeof(r));
	verdict_policy_default(&r.policy);
	r.verdict.level = level;
	r.verdict.risk = risk;
	snprintf(r.sha256_hex, sizeof(r.sha256_hex), "%064d", 7);
	return r;
}

/* A process for the ladder to act on: it sleeps until killed. */
static pid_t victim(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static bool killed_by(pid_t pid, int sig)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* killed_by, for a process nothing else would stop: false (and the
 * process killed here) when it still runs after 2 s. */
static bool killed_soon_by(pid_t pid, int sig)
{
	int status;

	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == sig;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return false;
}

/* The ladder with options o, about to act on a window of pid (object: the
 * file it loaded, or NULL). */
struct ladder {
	struct mitigate *m;
	struct window w;
};

static void ladder_open(struct ladder *l, const struct mitigate_opts *o, pid_t pid,
			const char *object)
{
	const char *const *parts[WINDOW_NPARTS] = { NULL, NULL, NULL };
	char err[256];

	cr_assert_eq(mitigate_open(o, &l->m, err, sizeof(err)), 0, "%s", err);
	window_fixture(&l->w, pid, parts, object);
}

static void ladder_close(struct ladder *l)
{
	mitigate_close(l->m);
	window_fixture_free(&l->w);
}

Test(mitigate, actions_and_backends_have_stable_names)
{
	cr_assert_str_eq(mitigate_action_name(MITIGATE_ALLOW), "allow");
	cr_assert_str_eq(mitigate_action_name(MITIGATE_HOOK_CONFINE), "hook+confine");
	cr_assert_str_eq(mitigate_action_name(MITIGATE_QUARANTINE), "quarantine");
	cr_assert_str_eq(mitigate_action_name(MITIGATE_ALERT), "alert");
	cr_assert_str_eq(mitigate_backend_name(0), "none");
	cr_assert_str_eq(mitigate_backend_name(MITIGATE_BY_UPROBE | MITIGATE_BY_CGROUP_BPF),
			 "uprobe+cgroup_bpf");
	cr_assert_str_eq(mitigate_backend_name(MITIGATE_BY_SIGNAL | MITIGATE_BY_BPF_LSM),
			 "signal+bpf_lsm");
}

Test(mitigate, monitoring_alerts_on_high_and_touches_nothing)
{
	char dir[] = "/tmp/bpfprof-mitigate-XXXXXX", log[128], line[4096];
	struct mitigate_opts o = { .act = false, .cache = &no_cache, .alert_log = log };
	struct scorer_result r = result(VERDICT_HIGH, 0.9);
	struct mitigation m;
	struct ladder l;
	pid_t pid = victim();
	json_t *alert;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/alerts.jsonl", dir);
	ladder_open(&l, &o, pid, NULL);
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert_eq(m.action, MITIGATE_ALERT);
	cr_assert_eq(m.backends, 0);
	cr_assert(m.alerted);
	cr_assert_eq(kill(pid, 0), 0, "monitoring never kills");
	f = fopen(log, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	alert = json_loads(line, 0, NULL);
	cr_assert_not_null(alert);
	cr_assert_str_eq(json_string_value(json_object_get(alert, "action")), "alert");
	cr_assert_str_eq(json_string_value(json_object_get(alert, "level")), "high");
	cr_assert_str_eq(json_string_value(json_object_get(alert, "sha256")), r.sha256_hex);
	json_decref(alert);

	r = result(VERDICT_MEDIUM, 0.5);
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert_eq(m.action, MITIGATE_ALLOW, "monitoring does not confine");
	ladder_close(&l);
	kill(pid, SIGKILL);
	cr_assert(killed_by(pid, SIGKILL));
	cr_assert_eq(tmpdir_remove(dir), 0);
}

Test(mitigate, monitoring_without_an_alert_sink_allows)
{
	struct mitigate_opts o = { .act = false, .cache = &no_cache };
	struct scorer_result r = result(VERDICT_HIGH, 0.9);
	struct mitigation m;
	struct ladder l;

	ladder_open(&l, &o, getpid(), NULL);
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert_eq(m.action, MITIGATE_ALLOW, "nothing was told, so nothing is claimed");
	cr_assert_not(m.alerted);
	ladder_close(&l);
}

/* A high verdict on an object in a scratch directory, with a quarantine
 * directory beside it and a process to stop. */
struct high_case {
	char dir[32], obj[128], aside[64];
	struct mitigate_opts o;
	struct scorer_result r;
	struct ladder l;
	pid_t pid;
};

static void high_case_open(struct high_case *c)
{
	snprintf(c->dir, sizeof(c->dir), "/tmp/bpfprof-mitigate-XXXXXX");
	cr_assert_not_null(mkdtemp(c->dir));
	snprintf(c->aside, sizeof(c->aside), "%s/quarantine", c->dir);
	c->o = (struct mitigate_opts){ .act = true, .cache = &no_cache, .quarantine_dir = c->aside };
	c->r = result(VERDICT_HIGH, 0.9);
	c->pid = victim();
}

/* After the object was written to c->obj. */
static void high_case_ladder(struct high_case *c)
{
	ladder_open(&c->l, &c->o, c->pid, c->obj);
}

static void high_case_close(struct high_case *c)
{
	ladder_close(&c->l);
	cr_assert_eq(tmpdir_remove(c->dir), 0);
}

static void write_file(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(mitigate, high_kills_the_process_and_moves_the_object_aside)
{
	struct high_case c;
	struct mitigation m;
	struct stat st;
	char note[160];

	high_case_open(&c);
	snprintf(c.obj, sizeof(c.obj), "%s/libbad.so", c.dir);
	write_file(c.obj, "w", "not really code");
	high_case_ladder(&c);
	mitigate_apply(c.l.m, &c.l.w, &c.r, &m);
	cr_assert_eq(m.action, MITIGATE_QUARANTINE);
	cr_assert(m.backends & MITIGATE_BY_SIGNAL);
	cr_assert(killed_by(c.pid, SIGKILL), "a high verdict kills the loading process");
	cr_assert_neq(stat(c.obj, &st), 0, "the object is gone from where it was loaded");
	snprintf(note, sizeof(note), "%s/%s", c.aside, c.r.sha256_hex);
	cr_assert_eq(stat(note, &st), 0, "moved aside under its SHA-256");
	cr_assert_eq(st.st_mode & 0777, 0400);
	snprintf(note, sizeof(note), "%s/%s.json", c.aside, c.r.sha256_hex);
	cr_assert_eq(stat(note, &st), 0, "with a note of what it was");
	high_case_close(&c);
}

/* A constructor's forked child (a shell that setsid'd, say) is not the
 * loader: killing the loader leaves it running, so a high verdict kills
 * the processes whose calls are the window's watch too. */
Test(mitigate, high_kills_the_processes_the_code_started_too)
{
	struct high_case c;
	struct mitigation m;
	struct window_call child = { .token = "connect:inet" };

	high_case_open(&c);
	snprintf(c.obj, sizeof(c.obj), "%s/libbad.so", c.dir);
	write_file(c.obj, "w", "not really code");
	high_case_ladder(&c);
	child.pid = child.tid = (uint32_t)victim();
	c.l.w.calls[WINDOW_WATCH][0] = child; /* the fixture's room for one */
	c.l.w.ncalls[WINDOW_WATCH] = 1;
	mitigate_apply(c.l.m, &c.l.w, &c.r, &m);
	cr_assert_eq(m.action, MITIGATE_QUARANTINE);
	cr_assert_not(m.failed, "%s", m.detail);
	cr_assert(killed_by(c.pid, SIGKILL), "the loader is killed");
	cr_assert(killed_soon_by((pid_t)child.pid, SIGKILL), "and the process its code started");
	high_case_close(&c);
}

/* A copy of libc (its package's bytes, under its name) as c's object, and
 * what the reputation says of a packaged file: the package that owns it. */
static void packaged_copy(struct high_case *c, char *pkg, size_t len)
{
	char *real = realpath("/usr/lib/x86_64-linux-gnu/libc.so.6", NULL), cmd[600];
	const char *owner;
	struct reputation_reason *why = &c->r.source.reasons[0];

	cr_assert_not_null(real, "libc.so.6: a Debian amd64 host");
	owner = pkgindex_owner(real);
	cr_assert_not_null(owner, "dpkg owns %s", real);
	snprintf(pkg, len, "%s", owner);
	snprintf(c->obj, sizeof(c->obj), "%s/libc.so.6", c->dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", real, c->obj);
	cr_assert_eq(system(cmd), 0);
	free(real);
	c->r.source.n_reasons = 1;
	why->code = "package_owned";
	snprintf(why->detail, sizeof(why->detail), "%s", pkg);
}

Test(mitigate, high_on_the_bytes_a_package_shipped_stops_the_process_and_keeps_the_file)
{
	struct high_case c;
	struct mitigation m;
	struct stat st;
	char pkg[64];

	high_case_open(&c);
	packaged_copy(&c, pkg, sizeof(pkg));
	high_case_ladder(&c);
	cr_assert_eq(mitigate_gate(c.l.m, &c.l.w, &c.r, &m), GATE_KILL, "the process is stopped");
	cr_assert_str_eq(m.file_kept, pkg);
	mitigate_apply(c.l.m, &c.l.w, &c.r, &m);
	cr_assert_eq(m.action, MITIGATE_QUARANTINE);
	cr_assert(killed_by(c.pid, SIGKILL), "a high verdict kills the loading process");
	cr_assert_str_eq(m.file_kept, pkg);
	cr_assert_eq(stat(c.obj, &st), 0, "a packaged file is not moved aside");
	cr_assert_neq(stat(c.aside, &st), 0, "nothing was quarantined");
	high_case_close(&c);
}

Test(mitigate, a_packaged_name_with_other_bytes_is_quarantined)
{
	struct high_case c;
	struct mitigation m;
	struct stat st;
	char pkg[64];

	high_case_open(&c);
	packaged_copy(&c, pkg, sizeof(pkg));
	/* a modified packaged file: its md5sum no longer agrees */
	write_file(c.obj, "a", "patched");
	high_case_ladder(&c);
	mitigate_apply(c.l.m, &c.l.w, &c.r, &m);
	cr_assert(killed_by(c.pid, SIGKILL));
	cr_assert_str_eq(m.file_kept, "");
	cr_assert_neq(stat(c.obj, &st), 0, "moved aside like any other file");
	high_case_close(&c);
}

Test(mitigate, a_gate_kill_stands_whatever_the_later_verdict)
{
	struct mitigate_opts o = { .act = false, .cache = &no_cache };
	struct scorer_result r = result(VERDICT_LOW, 0.1);
	struct mitigation m;
	struct ladder l;
	pid_t pid = victim();

	ladder_open(&l, &o, pid, NULL);
	/* the kernel killed it at the gate, before its code ran */
	kill(pid, SIGKILL);
	cr_assert(killed_by(pid, SIGKILL));
	l.w.gate_action = BP_GATE_KILLED;
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert_eq(m.action, MITIGATE_QUARANTINE);
	cr_assert_eq(m.backends, MITIGATE_BY_SIGNAL);
	cr_assert_str_empty(m.detail, "a process already gone is no failure");
	ladder_close(&l);
}

Test(mitigate, low_allows)
{
	struct mitigate_opts o = { .act = true, .cache = &no_cache };
	struct scorer_result r = result(VERDICT_LOW, 0.1);
	struct mitigation m;
	struct ladder l;

	ladder_open(&l, &o, getpid(), NULL);
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert_eq(m.action, MITIGATE_ALLOW);
	cr_assert_eq(m.backends, 0);
	cr_assert_str_empty(m.detail);
	ladder_close(&l);
}

Test(mitigate, monitoring_records_what_enforcement_would_do)
{
	static const struct { enum verdict_level level; enum mitigate_action would; } cases[] = {
		{ VERDICT_LOW, MITIGATE_ALLOW },
		{ VERDICT_MEDIUM, MITIGATE_HOOK_CONFINE },
		{ VERDICT_HIGH, MITIGATE_QUARANTINE },
	};
	struct mitigate_opts watch = { .act = false, .cache = &no_cache };
	struct mitigate_opts act = { .act = true, .cache = &no_cache };
	struct scorer_result r;
	struct mitigation m;
	struct ladder l;

	ladder_open(&l, &watch, getpid(), NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		r = result(cases[i].level, 0.5);
		mitigate_apply(l.m, &l.w, &r, &m);
		cr_assert(m.monitored);
		cr_assert_eq(m.action, MITIGATE_ALLOW, "monitoring touches nothing");
		cr_assert_eq(m.would_action, cases[i].would, "%s", verdict_level_name(cases[i].level));
		cr_assert_eq(mitigate_ladder(cases[i].level), cases[i].would);
	}
	ladder_close(&l);
	ladder_open(&l, &act, getpid(), NULL);
	r = result(VERDICT_LOW, 0.1);
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert_not(m.monitored, "enforcing: nothing is hypothetical");
	ladder_close(&l);
}

Test(mitigate, the_gate_kills_high_and_leaves_the_rest_to_the_window)
{
	struct mitigate_opts o = { .act = true, .cache = &no_cache };
	struct scorer_result r = result(VERDICT_HIGH, 0.9);
	struct mitigation m;
	struct ladder l;
	pid_t pid = victim();

	ladder_open(&l, &o, pid, NULL);
	cr_assert_eq(mitigate_gate(l.m, &l.w, &r, &m), GATE_KILL);
	cr_assert_eq(m.action, MITIGATE_QUARANTINE);
	cr_assert_eq(m.backends, MITIGATE_BY_SIGNAL);
	cr_assert_eq(kill(pid, 0), 0, "the gate's own SIGKILL does it, not the ladder");
	r = result(VERDICT_LOW, 0.1);
	cr_assert_eq(mitigate_gate(l.m, &l.w, &r, &m), GATE_RESUME);
	cr_assert_eq(m.action, MITIGATE_ALLOW);
	cr_assert_not(m.monitored);
	ladder_close(&l);
	kill(pid, SIGKILL);
	cr_assert(killed_by(pid, SIGKILL));
}

Test(mitigate, monitoring_at_the_gate_resumes_says_would_and_alerts_once)
{
	char dir[] = "/tmp/bpfprof-mitigate-XXXXXX", log[128];
	struct mitigate_opts o = { .act = false, .cache = &no_cache, .alert_log = log };
	struct scorer_result r = result(VERDICT_HIGH, 0.9);
	struct mitigation m;
	struct ladder l;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/alerts.jsonl", dir);
	ladder_open(&l, &o, getpid(), NULL);
	cr_assert_eq(mitigate_gate(l.m, &l.w, &r, &m), GATE_RESUME);
	cr_assert_eq(m.action, MITIGATE_ALLOW);
	cr_assert(m.monitored);
	cr_assert_eq(m.would_action, MITIGATE_QUARANTINE);
	cr_assert_neq(access(log, F_OK), 0, "the window's verdict alerts, not the gate too");
	mitigate_apply(l.m, &l.w, &r, &m);
	cr_assert(m.alerted);
	cr_assert_eq(m.would_action, MITIGATE_QUARANTINE);
	ladder_close(&l);
	cr_assert_eq(tmpdir_remove(dir), 0);
}
