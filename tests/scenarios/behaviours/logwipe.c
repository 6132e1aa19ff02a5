/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_logwipe.so: a constructor that covers an intruder's tracks
 * (T1070.002 clear Linux logs, T1070.003 clear command history) the way
 * the cleanup one-liners do: a child shell empties the login records and
 * the authentication log in a loop and deletes the shell history. Runs ONLY
 * under scn_nsroot (/var/log and $HOME are throw-away overlays): it refuses
 * unless both are. Proof: NAME.ran first; NAME.done once the shell
 * succeeded; scn_nsroot lists the emptied files and the history's whiteout
 * in NAME.persisted. */
#include "scn.h"

__attribute__((constructor)) static void logwipe_init(void)
{
	const char *home = getenv("HOME") ? getenv("HOME") : "/root";
	int status;
	pid_t pid;

	scn_mark("ran");
	if (!scn_sandboxed("/var/log") || !scn_sandboxed(home)) {
		fprintf(stderr, "logwipe: /var/log or %s is not a scn_nsroot overlay: refusing\n",
			home);
		return;
	}
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c",
		      "for f in wtmp btmp lastlog auth.log; do : > /var/log/$f; done; "
		      "rm -f ~/.bash_history", (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status))
		scn_mark("done");
}
