/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Confinement of a command `trace` launches, applied in the child between
 * fork and exec and inherited by everything it runs: Landlock limits where
 * it may write, seccomp denies classes of system calls. */
#ifndef BPFPROF_CONFINE_H
#define BPFPROF_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

#define CONFINE_MAX_DIRS 16

struct confine_opts {
	/* Landlock: writes (create, remove, write, truncate) only below these */
	const char *write_dirs[CONFINE_MAX_DIRS];
	size_t nwrite_dirs;
	bool writes;           /* true: restrict writes (even with no dir: none) */
	/* seccomp: comma-separated classes ptrace, exec, net, modules, bpf */
	const char *deny;
};

/* Checks the classes and directories before anything forks. */
int confine_check(const struct confine_opts *o, char *err, size_t errlen);
/* In the child, before exec: sets no_new_privs, then Landlock, then
 * seccomp. Denied calls fail with EPERM (Landlock: EACCES). */
int confine_apply(const struct confine_opts *o, char *err, size_t errlen);
bool confine_wanted(const struct confine_opts *o);

#endif
