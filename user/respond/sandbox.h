/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The restricted cgroup (medium risk): a cgroup v2 of our own with
 * bpf/sandbox.bpf.c attached; confining a process moves it there. Closing
 * moves every process back where it came from and removes the cgroup. */
#ifndef BPFPROF_SANDBOX_H
#define BPFPROF_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "bpfprof_sandbox.h"

enum sandbox_net { SANDBOX_NET_NONE, SANDBOX_NET_LOOPBACK };

struct sandbox_opts {
	enum sandbox_net net;
	/* called for each denial the kernel reports (may be NULL) */
	void (*on_denial)(void *ctx, const struct sandbox_event *e);
	void *ctx;
};

struct sandbox;

int sandbox_open(const struct sandbox_opts *opts, struct sandbox **out, char *err, size_t errlen);
void sandbox_close(struct sandbox *sb);
/* Moves the whole process (all its threads) into the restricted cgroup;
 * its future children are born there. */
int sandbox_confine(struct sandbox *sb, pid_t pid);
bool sandbox_confines(const struct sandbox *sb, pid_t pid);
/* Hands pending denial records to on_denial; returns how many. */
int sandbox_poll(struct sandbox *sb);
/* The cgroup directory (for tests and logs). */
const char *sandbox_path(const struct sandbox *sb);

#endif
