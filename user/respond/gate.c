/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Held processes and their watchdog. The watchdog is a forked child that
 * reads "+pid"/"-pid" records from a pipe; when the pipe closes without a
 * clean "bye" (we died), it applies the fail policy to every pid still
 * held, so a crash of the tracer cannot leave a process stopped. */
#include <errno.h>
#include <fcntl.h>
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

static void watchdog_main(int fd, enum gate_fail fail)
{
	pid_t pids[GATE_MAX];
	int n = 0;
	struct wd_msg m;

	prctl(PR_SET_NAME, "bpfprof-watchdog");
	while (read(fd, &m, sizeof(m)) == sizeof(m)) {
		if (m.op == 'q')
			_exit(0);
		if (m.op == '+' && n < GATE_MAX) {
			pids[n++] = m.pid;
		} else if (m.op == '-') {
			for (int i = 0; i < n; i++)
				if (pids[i] == m.pid) {
					pids[i] = pids[--n];
					break;
				}
		}
	}
	/* our parent died holding these */
	for (int i = 0; i < n; i++)
		apply_fail(fail, pids[i]);
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
		watchdog_main(p[0], fail);
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
		if (g->held[i].pid != pid)
			continue;
		kill(pid, d == GATE_KILL ? SIGKILL : SIGCONT);
		release_at(g, i);
		return 0;
	}
	return -ENOENT;
}

int gate_expire(struct gate *g, uint64_t now_ns)
{
	int n = 0;

	for (int i = 0; i < g->nheld;) {
		if (now_ns < g->held[i].deadline_ns) {
			i++;
			continue;
		}
		log_warn("gate: no decision for pid %d within the timeout: %s", (int)g->held[i].pid,
			 g->fail == GATE_FAIL_CLOSED ? "killing it (fail-closed)" : "resuming it (fail-open)");
		apply_fail(g->fail, g->held[i].pid);
		release_at(g, i);
		n++;
	}
	return n;
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
