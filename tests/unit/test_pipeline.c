/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The pipeline fed with hand-made kernel records: closed windows become
 * decisions, the gate judges a stopped process and resumes or kills it,
 * and quiet windows close at their deadline. The real kernel drives the
 * same code in tests/integration/test_trace.c and test_agent.c. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "behaviors/tokens.h"
#include "pipeline/pipeline.h"
#include "score/exceptions.h"
#include "records.h"

#define MAX_SEEN 8

struct seen {
	int decisions, gates;
	enum decision_point point[MAX_SEEN];
	enum verdict_level level[MAX_SEEN];
	enum mitigate_action action[MAX_SEEN];
	enum gate_decision gate_action[MAX_SEEN];
	bool gate_judged[MAX_SEEN];
	bool monitored[MAX_SEEN];
	enum mitigate_action would[MAX_SEEN];
	bool excepted[MAX_SEEN], scored[MAX_SEEN];
	char path[MAX_SEEN][BP_PATH_LEN + 1];
};

static void on_decision(void *ctx, const struct decision *d)
{
	struct seen *s = ctx;

	if (s->decisions == MAX_SEEN)
		return;
	s->point[s->decisions] = d->point;
	s->level[s->decisions] = d->result->verdict.level;
	s->action[s->decisions] = d->mitigation.action;
	s->excepted[s->decisions] = d->result->excepted;
	s->scored[s->decisions] = d->result->verdict.have[VERDICT_SEQUENCE];
	snprintf(s->path[s->decisions], sizeof(s->path[0]), "%s", d->window->path);
	s->decisions++;
}

static void on_gate(void *ctx, const struct pipeline_gate_report *g)
{
	struct seen *s = ctx;

	if (s->gates == MAX_SEEN)
		return;
	s->gate_action[s->gates] = g->action;
	s->gate_judged[s->gates] = g->decision != NULL;
	if (g->decision) {
		s->action[s->gates] = g->decision->mitigation.action;
		s->monitored[s->gates] = g->decision->mitigation.monitored;
		s->would[s->gates] = g->decision->mitigation.would_action;
	}
	s->gates++;
}

static struct tokens *tok;
static struct bdindex *idx;
static struct scorer *scorer;
static const struct verdict_cache no_cache = { .map_fd = -1 };
static const struct bp_stats no_losses;
static struct mitigate *ladder; /* what pipeline_for hands the pipeline (NULL: none) */
static struct exceptions *rules; /* likewise */

/* Scores on the sequence alone, so a dropper's lookback is high without
 * the object (these records name no real file). */
static void setup(void)
{
	struct verdict_policy p;
	char err[256];

	verdict_policy_default(&p);
	p.weight[VERDICT_SEQUENCE] = 1;
	p.weight[VERDICT_SOURCE] = p.weight[VERDICT_DCAM] = 0;
	cr_assert_eq(tokens_load_default(&tok), 0);
	cr_assert_eq(bd_index_load(NULL, tok, &idx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(scorer_new(&p, tok, idx, &scorer, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	scorer_free(scorer);
	bdindex_free(idx);
	tokens_free(tok);
}

TestSuite(pipeline, .init = setup, .fini = teardown);

static struct pipeline *pipeline_for(struct seen *s, struct gate *g)
{
	struct pipeline *p;

	cr_assert_eq(pipeline_new(&(struct pipeline_opts){
		.scorer = scorer, .gate = g, .cache = &no_cache, .mitigate = ladder,
		.exceptions = rules,
		.gate_kills_high = true,
		.follow_ms = 200,
		.hooks = { .on_decision = on_decision, .on_gate = on_gate, .ctx = s } }, &p), 0);
	return p;
}

/* A window of pid whose lookback is a dropper's: fetch, write to /tmp,
 * make executable. */
static struct bp_ev_window_open dropper_open(uint64_t id, pid_t pid)
{
	struct bp_ev_window_open e = open_ev(id, 5);

	e.hdr.pid = e.hdr.tid = pid;
	snprintf(e.path, sizeof(e.path), "libdropped.so");
	e.lookback[0] = rec(BP_CALL_SOCKET, AF_INET, SOCK_STREAM, NULL);
	e.lookback[1] = rec(BP_CALL_CONNECT, AF_INET, 0, NULL);
	e.lookback[2] = rec(BP_CALL_RECVFROM, 3, 4096, NULL);
	e.lookback[3] = rec(BP_CALL_OPENAT, O_WRONLY | O_CREAT, 0700, "/tmp/libdropped.so");
	e.lookback[4] = rec(BP_CALL_FCHMODAT, 0755, 0, "/tmp/libdropped.so");
	return e;
}

static struct bp_ev_window_open harmless_open(uint64_t id, pid_t pid)
{
	struct bp_ev_window_open e = open_ev(id, 2);

	e.hdr.pid = e.hdr.tid = pid;
	snprintf(e.path, sizeof(e.path), "libharmless.so");
	e.lookback[0] = rec(BP_CALL_OPENAT, O_RDONLY, 0, "/etc/ld.so.cache");
	e.lookback[1] = rec(BP_CALL_OPENAT, O_RDONLY, 0, "/usr/lib/libharmless.so");
	return e;
}

static struct bp_ev_gate gate_ev(uint64_t id, pid_t pid, unsigned action)
{
	return (struct bp_ev_gate){ .hdr = { .type = BP_EV_GATE, .pid = pid, .tid = pid,
		.window_id = id }, .fd = -1, .action = action, .file = { .dev = 1, .ino = 2 } };
}

#define PUSH(p, ev) do { __typeof__(ev) e_ = (ev); pipeline_on_record(p, &e_, sizeof(e_)); } while (0)

/* A child that stops itself, as the kernel's gate would have stopped it. */
static pid_t stopped_child(void)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(status));
	return pid;
}

Test(pipeline, a_closed_window_becomes_one_decision)
{
	struct seen s = { 0 };
	struct pipeline *p = pipeline_for(&s, NULL);

	PUSH(p, dropper_open(1, 4242));
	PUSH(p, call_ev(1, BP_PART_LOAD, rec(BP_CALL_MMAP, 5, 2, NULL)));
	PUSH(p, ret_ev(1, 0x1000, 2000));
	cr_assert_eq(s.decisions, 0, "the follow part is still open");
	PUSH(p, close_ev(1, BP_CLOSE_FOLLOW_DONE, 1, 0, 0));
	cr_assert_eq(s.decisions, 1);
	cr_assert_eq(s.point[0], DECISION_RETURN);
	cr_assert_eq(s.level[0], VERDICT_HIGH);
	cr_assert_eq(s.action[0], MITIGATE_ALLOW, "no mitigation configured: judge and report");
	cr_assert_str_eq(s.path[0], "libdropped.so");
	pipeline_free(p);
}

/* One window opened by open, through a pipeline with the rules given as
 * kind=value pairs; the decision is s->*[0]. */
static void judge_with_rules(struct seen *s, struct bp_ev_window_open open, const char **kv)
{
	struct pipeline *p;
	char err[256];

	rules = exceptions_new();
	cr_assert_not_null(rules);
	for (size_t i = 0; kv[i]; i += 2)
		cr_assert_eq(exceptions_add(rules, kv[i], kv[i + 1], err, sizeof(err)), 0, "%s", err);
	p = pipeline_for(s, NULL);
	pipeline_on_record(p, &open, sizeof(open));
	PUSH(p, ret_ev(open.hdr.window_id, 0x1000, 2000));
	PUSH(p, close_ev(open.hdr.window_id, BP_CLOSE_FOLLOW_DONE, 1, 0, 0));
	cr_assert_eq(s->decisions, 1);
	pipeline_free(p);
	exceptions_free(rules);
	rules = NULL;
}

/* A rule on the path decides before anything is scored; an allow waits for
 * the scorer's hash when a hash rule could still deny. */
Test(pipeline, exceptions_decide_before_scoring_unless_a_hash_rule_could_deny)
{
	struct seen allowed = { 0 }, denied = { 0 }, hashed = { 0 };

	judge_with_rules(&allowed, dropper_open(1, 4242),
			 (const char *[]){ "allow_path", "libdropped*", NULL });
	cr_assert(allowed.excepted[0] && allowed.level[0] == VERDICT_LOW);
	cr_assert_not(allowed.scored[0], "an excepted load was scored");
	judge_with_rules(&denied, harmless_open(2, 4243),
			 (const char *[]){ "allow_path", "*", "deny_path", "libharmless*", NULL });
	cr_assert(denied.excepted[0] && denied.level[0] == VERDICT_HIGH, "deny goes first");
	cr_assert_not(denied.scored[0]);
	judge_with_rules(&hashed, dropper_open(3, 4244),
			 (const char *[]){ "allow_path", "libdropped*", "deny_hash",
					   "0000000000000000000000000000000000000000000000000000000000000000",
					   NULL });
	cr_assert(hashed.excepted[0] && hashed.level[0] == VERDICT_LOW);
	cr_assert(hashed.scored[0], "a hash rule needs the scorer's hash first");
}

/* A process stopped at the gate for window id, which opened with open: the
 * pipeline judges it; returns how the process ended. */
static int gate_one(struct seen *s, struct bp_ev_window_open open, pid_t child,
		    struct pipeline **out, struct gate **g)
{
	int status;

	cr_assert_eq(gate_new(GATE_FAIL_OPEN, 5000, g), 0);
	*out = pipeline_for(s, *g);
	pipeline_on_record(*out, &open, sizeof(open));
	PUSH(*out, gate_ev(open.hdr.window_id, child, BP_GATE_STOPPED));
	cr_assert_eq(s->gates, 1);
	cr_assert(s->gate_judged[0], "a judged stop is a decision of its own");
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert_eq(gate_held_count(*g), 0, "nobody is left held");
	return status;
}

Test(pipeline, the_gate_resumes_a_harmless_load_and_records_a_gate_decision)
{
	struct seen s = { 0 };
	struct gate *g;
	struct pipeline *p;
	pid_t child = stopped_child();
	int status = gate_one(&s, harmless_open(2, child), child, &p, &g);

	cr_assert_eq(s.gate_action[0], GATE_RESUME);
	cr_assert_eq(s.action[0], MITIGATE_ALLOW);
	cr_assert(WIFEXITED(status), "the resumed process ran to its end");
	pipeline_free(p);
	gate_free(g);
}

Test(pipeline, the_gate_kills_a_high_load_before_it_runs)
{
	struct seen s = { 0 };
	struct gate *g;
	struct pipeline *p;
	pid_t child = stopped_child();
	int status = gate_one(&s, dropper_open(3, child), child, &p, &g);

	cr_assert_eq(s.gate_action[0], GATE_KILL);
	cr_assert_eq(s.action[0], MITIGATE_QUARANTINE);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* the window it opened is still judged when it closes: quarantined */
	PUSH(p, close_ev(3, BP_CLOSE_EXIT, 0, 0, 0));
	cr_assert_eq(s.decisions, 1);
	cr_assert_eq(s.action[0], MITIGATE_QUARANTINE, "the gate's kill stands");
	pipeline_free(p);
	gate_free(g);
}

Test(pipeline, monitoring_at_the_gate_resumes_a_high_load_and_says_it_would_quarantine)
{
	struct mitigate_opts o = { .act = false, .cache = &no_cache };
	struct seen s = { 0 };
	struct gate *g;
	struct pipeline *p;
	pid_t child = stopped_child();
	char err[256];
	int status;

	cr_assert_eq(mitigate_open(&o, &ladder, err, sizeof(err)), 0, "%s", err);
	status = gate_one(&s, dropper_open(7, child), child, &p, &g);
	cr_assert_eq(s.gate_action[0], GATE_RESUME, "monitoring never kills");
	cr_assert_eq(s.action[0], MITIGATE_ALLOW);
	cr_assert(s.monitored[0]);
	cr_assert_eq(s.would[0], MITIGATE_QUARANTINE);
	cr_assert(WIFEXITED(status), "the resumed process ran to its end");
	pipeline_free(p);
	gate_free(g);
	mitigate_close(ladder);
	ladder = NULL;
}

Test(pipeline, a_kill_by_the_kernel_cache_is_reported_without_a_judgement)
{
	struct seen s = { 0 };
	struct pipeline *p = pipeline_for(&s, NULL);

	PUSH(p, harmless_open(4, 4242));
	PUSH(p, gate_ev(4, 4242, BP_GATE_KILLED));
	cr_assert_eq(s.gates, 1);
	cr_assert_eq(s.gate_action[0], GATE_KILL);
	cr_assert_not(s.gate_judged[0], "the cache decided, nothing was scored");
	pipeline_free(p);
}

Test(pipeline, quiet_windows_close_at_their_deadline_and_all_at_the_end)
{
	struct seen s = { 0 };
	struct pipeline *p = pipeline_for(&s, NULL);

	PUSH(p, harmless_open(5, 4242));
	PUSH(p, ret_ev(5, 0x1000, 1)); /* returned long ago: past the follow time */
	PUSH(p, harmless_open(6, 4243));
	pipeline_tick(p, &no_losses);
	cr_assert_eq(s.decisions, 1, "the returned window went quiet");
	cr_assert_str_eq(s.path[0], "libharmless.so");
	pipeline_close_all(p, &no_losses);
	cr_assert_eq(s.decisions, 2, "the last one closes at the end");
	cr_assert_eq(s.level[1], VERDICT_LOW);
	pipeline_free(p);
}

static struct bp_ev_call watch_ev(uint64_t id, struct bp_call_rec r)
{
	struct bp_ev_call e = call_ev(id, BP_PART_WATCH, r);

	e.hdr.pid = e.hdr.tid = 4300;
	return e;
}

/* The loaded code forks; the child does what the parent did not: a later
 * decision (point watch) escalates the first, and only a rise is one. */
Test(pipeline, a_child_that_does_more_raises_a_watch_decision)
{
	struct seen s = { 0 };
	struct pipeline *p = pipeline_for(&s, NULL);

	PUSH(p, harmless_open(7, 4242));
	PUSH(p, call_ev(7, BP_PART_LOAD, rec(BP_CALL_CLONE, 0, 0, NULL)));
	PUSH(p, ret_ev(7, 0x1000, 2000));
	PUSH(p, close_ev(7, BP_CLOSE_FOLLOW_DONE, 1, 0, 0));
	cr_assert_eq(s.decisions, 1);
	cr_assert_eq(s.level[0], VERDICT_LOW);
	PUSH(p, watch_ev(7, rec(BP_CALL_SOCKET, AF_INET, SOCK_STREAM, NULL)));
	PUSH(p, watch_ev(7, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)));
	PUSH(p, watch_ev(7, rec(BP_CALL_RECVFROM, 3, 4096, NULL)));
	PUSH(p, watch_ev(7, rec(BP_CALL_OPENAT, O_WRONLY | O_CREAT, 0700, "/tmp/stage2.so")));
	PUSH(p, watch_ev(7, rec(BP_CALL_FCHMODAT, 0755, 0, "/tmp/stage2.so")));
	PUSH(p, watch_ev(7, rec(BP_CALL_DLOPEN, 0, 0, "/tmp/stage2.so")));
	pipeline_tick(p, &no_losses);
	cr_assert_eq(s.decisions, 2, "the child's dropper calls were not judged again");
	cr_assert_eq(s.point[1], DECISION_WATCH);
	cr_assert_eq(s.level[1], VERDICT_HIGH);
	PUSH(p, watch_ev(7, rec(BP_CALL_OPENAT, O_RDONLY, 0, "/etc/hostname")));
	pipeline_tick(p, &no_losses);
	cr_assert_eq(s.decisions, 2, "no rise, no new decision");
	pipeline_free(p);
}
