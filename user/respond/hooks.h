/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Selective function hooking for processes under medium-risk monitoring:
 * uprobes, for that process only, on libc's dangerous functions and on the
 * new object's flagged exports. Each call is reported; policy may block. */
#ifndef BPFPROF_HOOKS_H
#define BPFPROF_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "bpfprof_hooks.h"

struct hooks_opts {
	/* comma-separated function names whose calls kill the process instead
	 * of running (by signal: uprobes cannot change return values here);
	 * NULL: log only */
	const char *block;
	void (*on_call)(void *ctx, const struct hook_event *e, const char *func);
	void *ctx;
};

struct hooks;

int hooks_open(const struct hooks_opts *opts, struct hooks **out, char *err, size_t errlen);
void hooks_close(struct hooks *h);
/* Hooks libc's connect, sendto, sendmsg, execve, fork, mprotect, ptrace
 * and dlopen in pid, plus funcs[] of the object at object_path (may be
 * NULL/0). Returns the number of hooks attached (0 when pid is hooked
 * already) or -errno. */
int hooks_watch(struct hooks *h, pid_t pid, const char *object_path,
		const char *const *funcs, size_t nfuncs);
/* Whether pid's calls are hooked already. */
bool hooks_watching(const struct hooks *h, pid_t pid);
/* Reports pending calls (returns how many) and, once a second, detaches
 * the hooks of processes that exited. */
int hooks_poll(struct hooks *h);
/* Uprobes attached now. */
int hooks_count(const struct hooks *h);

#endif
