/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The gate never leaves a process stopped: decisions, deadlines with the
 * fail policy, and the watchdog when the holder dies. Real processes and
 * signals; no BPF needed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "respond/gate.h"
#include "lib/util.h"

/* A child that sleeps, stopped the way the kernel's gate stops it. */
static pid_t stopped_child(void)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(status));
	return pid;
}

static char state_of(pid_t pid)
{
	char path[64], *buf, *p, st = '?';
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (util_read_file(path, 4096, &buf, &len))
		return '?';
	p = strrchr(buf, ')');
	if (p && p[1] && p[2])
		st = p[2];
	free(buf);
	return st;
}

/* Waits (bounded) for pid to leave the stopped state; returns its state. */
static char wait_not_stopped(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char s = state_of(pid);

		if (s != 'T')
			return s;
		usleep(10000);
	}
	return 'T';
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

Test(gate, a_resume_decision_continues_the_process)
{
	struct gate *g;
	pid_t p = stopped_child();

	cr_assert_eq(gate_new(GATE_FAIL_CLOSED, 10000, &g), 0);
	cr_assert_eq(gate_hold(g, p, 1), 0);
	cr_assert_eq(gate_decide(g, p, GATE_RESUME), 0);
	cr_assert_neq(wait_not_stopped(p), 'T');
	cr_assert_eq(gate_held_count(g), 0);
	cr_assert_eq(gate_decide(g, p, GATE_RESUME), -ENOENT);
	gate_free(g);
	reap(p);
}

Test(gate, a_kill_decision_kills_before_it_runs_again)
{
	struct gate *g;
	pid_t p = stopped_child();
	int status;

	cr_assert_eq(gate_new(GATE_FAIL_OPEN, 10000, &g), 0);
	gate_hold(g, p, 1);
	cr_assert_eq(gate_decide(g, p, GATE_KILL), 0);
	cr_assert_eq(waitpid(p, &status, 0), p);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	gate_free(g);
}

/* The deadline holds while the holder is busy (a long synchronous
 * judgement): the watchdog applies the fail policy on time — fail-open
 * resumes, fail-closed kills — and the late decision says it was late; a
 * late kill still kills what fail-open let run. */
Test(gate, the_watchdog_keeps_the_deadline_while_the_holder_is_busy)
{
	struct gate *g;
	pid_t p = stopped_child(), q = stopped_child();
	int status;

	cr_assert_eq(gate_new(GATE_FAIL_OPEN, 50, &g), 0);
	gate_hold(g, p, 1);
	cr_assert_eq(state_of(p), 'T', "resumed before its deadline");
	cr_assert_neq(wait_not_stopped(p), 'T', "fail-open did not resume it at its deadline");
	cr_assert_eq(gate_decide(g, p, GATE_KILL), 1, "a late decision was not told apart");
	cr_assert_eq(waitpid(p, &status, 0), p);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "a late kill did not kill");
	gate_free(g);

	cr_assert_eq(gate_new(GATE_FAIL_CLOSED, 50, &g), 0);
	gate_hold(g, q, 2);
	cr_assert_eq(state_of(q), 'T', "killed before its deadline");
	cr_assert_eq(waitpid(q, &status, 0), q); /* the watchdog's kill, no call of ours */
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_eq(gate_decide(g, q, GATE_RESUME), 1);
	cr_assert_eq(gate_held_count(g), 0);
	gate_free(g);
}

Test(gate, exit_of_the_holder_resumes_what_it_held)
{
	struct gate *g;
	pid_t p = stopped_child();

	cr_assert_eq(gate_new(GATE_FAIL_OPEN, 60000, &g), 0);
	gate_hold(g, p, 1);
	gate_free(g); /* a clean exit applies the fail policy itself */
	cr_assert_neq(wait_not_stopped(p), 'T');
	reap(p);
}

Test(gate, watchdog_resumes_held_processes_when_the_holder_is_killed)
{
	pid_t p = stopped_child(), holder;
	int sync[2], status;
	char c;

	cr_assert_eq(pipe(sync), 0);
	holder = fork();
	if (holder == 0) {
		struct gate *g;

		if (gate_new(GATE_FAIL_OPEN, 60000, &g) || gate_hold(g, p, 1))
			_exit(1);
		if (write(sync[1], "h", 1) != 1)
			_exit(1);
		for (;;)
			pause(); /* killed with SIGKILL below: no cleanup runs */
	}
	cr_assert_eq(read(sync[0], &c, 1), 1);
	cr_assert_eq(state_of(p), 'T', "held process should still be stopped");
	kill(holder, SIGKILL);
	waitpid(holder, &status, 0);
	cr_assert_neq(wait_not_stopped(p), 'T', "the watchdog did not resume it");
	reap(p);
}
