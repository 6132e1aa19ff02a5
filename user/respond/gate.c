/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Held processes and their watchdog. The watchdog is a forked child that
 * reads "+pid"/"-pid" records from a pipe and keeps the deadlines: a
 * process still held at its deadline gets the fail policy there, even
 * while we are busy judging (a large object's analysis takes tens of
 * milliseconds, the judgment is synchronous); and when the pipe closes
 * without a clean "bye" (we died), every pid still held gets it, so a
 * crash of the tracer cannot leave a process stopped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "respond/gate.h"
#include "lib/log.h"
#include "lib/util.h"

#define GATE_MAX 1024

struct held {
	pid_t pid;
	uint64_t window_id;
	uint64_t deadline_ns;
};

struct gate {
	enum gate_fail fail;
	uint64_t timeout_ns;
	struct held held[GATE_MAX];
	int nheld;
	int wd_fd;   /* write end of the watchdog pipe */
	pid_t wd_pid;
};

struct wd_msg {
	char op;     /* '+' hold, '-' release, 'q' clean exit */
	pid_t pid;
};

static void apply_fail(enum gate_fail fail, pid_t pid)
{
	kill(pid, fail == GATE_FAIL_CLOSED ? SIGKILL : SIGCONT);
}

/* Milliseconds poll() may sleep until the earliest deadline (-1: none). */
static int ms_until(const struct held *h, int n, uint64_t now)
{
	uint64_t first = UINT64_MAX;

	for (int i = 0; i < n; i++)
		if (h[i].deadline_ns < first)
			first = h[i].deadline_ns;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)((first - now + 999999) / 1000000);
}

static void watchdog_main(int fd, enum gate_fail fail, uint64_t timeout_ns)
{
	struct held h[GATE_MAX];
	int n = 0;
	struct wd_msg m;

	prctl(PR_SET_NAME, "bpfprof-watchdog");
	for (;;) {
		uint64_t now = util_now_mono_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r;

		for (int i = 0; i < n;) { /* past their deadline: the fail policy */
			if (now < h[i].deadline_ns) {
				i++;
				continue;
			}
			apply_fail(fail, h[i].pid);
			h[i] = h[--n];
		}
		r = poll(&p, 1, ms_until(h, n, now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		if (r < 0 || read(fd, &m, sizeof(m)) != sizeof(m))
			break;
		if (m.op == 'q')
			_exit(0);
		if (m.op == '+' && n < GATE_MAX) {
			h[n++] = (struct held){ .pid = m.pid,
						.deadline_ns = util_now_mono_ns() + timeout_ns };
		} else if (m.op == '-') {
			for (int i = 0; i < n; i++)
				if (h[i].pid == m.pid) {
					h[i] = h[--n];
					break;
				}
		}
	}
	/* our parent died holding these */
	for (int i = 0; i < n; i++)
		apply_fail(fail, h[i].pid);
	_exit(0);
}

int gate_new(enum gate_fail fail, unsigned int timeout_ms, struct gate **out)
{
	struct gate *g = calloc(1, sizeof(*g));
	int p[2];

	if (!g)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC)) {
		free(g);
		return -errno;
	}
	g->wd_pid = fork();
	if (g->wd_pid < 0) {
		int ret = -errno;

		close(p[0]);
		close(p[1]);
		free(g);
		return ret;
	}
	if (g->wd_pid == 0) {
		close(p[1]);
		/* ignore the terminal's Ctrl-C: outlive the parent's cleanup */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		watchdog_main(p[0], fail, (uint64_t)timeout_ms * 1000000ull);
	}
	close(p[0]);
	g->wd_fd = p[1];
	g->fail = fail;
	g->timeout_ns = (uint64_t)timeout_ms * 1000000ull;
	*out = g;
	return 0;
}

static void tell_watchdog(struct gate *g, char op, pid_t pid)
{
	struct wd_msg m = { .op = op, .pid = pid };

	if (write(g->wd_fd, &m, sizeof(m)) != sizeof(m))
		log_warn("gate watchdog unreachable: %s", strerror(errno));
}

void gate_free(struct gate *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->nheld; i++)
		apply_fail(g->fail, g->held[i].pid);
	tell_watchdog(g, 'q', 0);
	close(g->wd_fd);
	waitpid(g->wd_pid, NULL, 0);
	free(g);
}

int gate_hold(struct gate *g, pid_t pid, uint64_t window_id)
{
	if (g->nheld == GATE_MAX) {
		apply_fail(g->fail, pid); /* cannot track it: never leave it stopped */
		return -ENOSPC;
	}
	g->held[g->nheld++] = (struct held){ .pid = pid, .window_id = window_id,
		.deadline_ns = util_now_mono_ns() + g->timeout_ns };
	tell_watchdog(g, '+', pid);
	return 0;
}

static void release_at(struct gate *g, int i)
{
	tell_watchdog(g, '-', g->held[i].pid);
	g->held[i] = g->held[--g->nheld];
}

int gate_decide(struct gate *g, pid_t pid, enum gate_decision d)
{
	for (int i = 0; i < g->nheld; i++) {
		bool late;

		if (g->held[i].pid != pid)
			continue;
		/* past the deadline the fail policy came first (the watchdog's,
		 * or ours now: the same signal twice is harmless); a kill still
		 * kills a process fail-open let run */
		late = util_now_mono_ns() >= g->held[i].deadline_ns;
		if (late) {
			log_warn("gate: pid %d judged after the %llu ms timeout: %s", (int)pid,
				 (unsigned long long)(g->timeout_ns / 1000000),
				 g->fail == GATE_FAIL_CLOSED ? "killed (fail-closed)"
				 : d == GATE_KILL ? "resumed (fail-open), now killed"
						  : "resumed (fail-open)");
			apply_fail(g->fail, pid);
		}
		if (!late || g->fail == GATE_FAIL_OPEN)
			kill(pid, d == GATE_KILL ? SIGKILL : SIGCONT);
		release_at(g, i);
		return late;
	}
	return -ENOENT;
}

enum gate_fail gate_fail_policy(const struct gate *g)
{
	return g->fail;
}

int gate_held_count(const struct gate *g)
{
	return g->nheld;
}

pid_t gate_watchdog_pid(const struct gate *g)
{
	return g->wd_pid;
}

const char *gate_decision_name(enum gate_decision d)
{
	return d == GATE_KILL ? "kill" : "resume";
}

const char *gate_trigger_name(enum gate_trigger t)
{
	return t == GATE_AT_CODE ? "code" : t == GATE_AT_INJECTION ? "injection" : "file";
}
