/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The subcommands of bpf-profiler: each lives in user/cmd_NAME.c, parses its
 * own arguments, calls the modules and prints. Exit codes: docs/cli.md. */
#ifndef BPFPROF_COMMANDS_H
#define BPFPROF_COMMANDS_H

/* Exit codes shared by every command (the traced command's own status is
 * passed through by `trace`). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,       /* runtime error, said on stderr */
	EXIT_USAGE = 2,      /* bad arguments */
	EXIT_PRIVILEGE = 3,  /* not root / missing CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN */
	EXIT_KERNEL = 4,     /* a kernel feature the command needs is missing (BTF, ...) */
	EXIT_NO_PROCESS = 5, /* -p PID names no process */
	EXIT_QUARANTINED = 77, /* trace: the command was killed by quarantine */
	EXIT_NOEXEC = 126,   /* command found but not executable */
	EXIT_NOTFOUND = 127, /* command not found */
};

struct command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

int cmd_trace_main(int argc, char **argv);
int cmd_agent_main(int argc, char **argv);
int cmd_probe_main(int argc, char **argv);
int cmd_analyze_main(int argc, char **argv);
int cmd_report_main(int argc, char **argv);
int cmd_db_main(int argc, char **argv);
int cmd_fleet_main(int argc, char **argv);
int cmd_score_main(int argc, char **argv);
int cmd_eval_main(int argc, char **argv);

#endif
