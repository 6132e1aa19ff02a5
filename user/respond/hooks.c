/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* One BPF program, many attachments: each uprobe carries a cookie naming
 * its function (an index into names[]) and whether to copy a string
 * argument or to block, so the kernel side needs no per-function code. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/elfsym.h"
#include "kernel/linkset.h"
#include "respond/hooks.h"
#include "hooks.skel.h"
#include "lib/log.h"
#include "kernel/procmaps.h"
#include "lib/util.h"

#define HOOKS_MAX 512

static const struct {
	const char *name;
	bool str_arg;
} libc_funcs[] = {
	{ "connect", false }, { "sendto", false }, { "sendmsg", false }, { "execve", true },
	{ "fork", false }, { "mprotect", false }, { "ptrace", false }, { "dlopen", true },
};

struct hooks {
	struct hooks_bpf *skel;
	struct ring_buffer *rb;
	struct hooks_opts opts;
	/* slot i is cookie i; a released slot (links[i] NULL) is reused */
	struct bpf_link *links[HOOKS_MAX];
	char *names[HOOKS_MAX];  /* cookie index -> function name */
	pid_t owner[HOOKS_MAX];  /* the process slot i hooks */
	int n;                   /* slots in use or released below this */
	uint64_t next_reap_ns;
	pid_t watched[HOOKS_MAX]; /* a process is hooked once, whatever its verdicts */
	int nwatched;
};

static int on_ring(void *ctx, void *data, size_t size)
{
	struct hooks *h = ctx;
	const struct hook_event *e = data;
	unsigned int idx = (unsigned int)e->cookie;

	if (size >= sizeof(*e) && h->opts.on_call && idx < (unsigned int)h->n && h->names[idx])
		h->opts.on_call(h->opts.ctx, e, h->names[idx]);
	return 0;
}

int hooks_open(const struct hooks_opts *opts, struct hooks **out, char *err, size_t errlen)
{
	struct hooks *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	h->opts = *opts;
	h->skel = hooks_bpf__open_and_load();
	if (!h->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot load the hook program: %s", strerror(-ret));
		goto fail;
	}
	h->rb = ring_buffer__new(bpf_map__fd(h->skel->maps.hook_events), on_ring, h, NULL);
	if (!h->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the hook ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = h;
	return 0;
fail:
	hooks_close(h);
	return ret;
}

void hooks_close(struct hooks *h)
{
	if (!h)
		return;
	linkset_destroy(h->links, h->n);
	for (int i = 0; i < h->n; i++)
		free(h->names[i]);
	ring_buffer__free(h->rb);
	hooks_bpf__destroy(h->skel);
	free(h);
}

static bool blocked(const struct hooks *h, const char *func)
{
	const char *p = h->opts.block;
	size_t n = strlen(func);

	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, func, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* One uprobe on func in binary for pid; 1 attached, 0 not defined there. */
static int hook_one(struct hooks *h, pid_t pid, const char *binary, const char *func, bool str)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	size_t off;
	int ret, slot = 0;

	while (slot < h->n && h->names[slot])
		slot++;
	if (slot == HOOKS_MAX)
		return -ENOSPC;
	ret = elfsym_offset(binary, func, &off);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	uo.bpf_cookie = (unsigned int)slot | (str ? HOOK_COOKIE_STR : 0) |
			(blocked(h, func) ? HOOK_COOKIE_BLOCK : 0);
	h->links[slot] = bpf_program__attach_uprobe_opts(h->skel->progs.hook_call, pid, binary,
							  off, &uo);
	if (!h->links[slot])
		return -errno;
	h->names[slot] = strdup(func);
	h->owner[slot] = pid;
	if (slot == h->n)
		h->n++;
	return 1;
}

struct libc_walk {
	struct hooks *h;
	pid_t pid;
	int attached;
	int err;
};

static void hook_libc(void *ctx, const char *path)
{
	struct libc_walk *w = ctx;

	for (size_t i = 0; i < sizeof(libc_funcs) / sizeof(*libc_funcs); i++) {
		int ret = hook_one(w->h, w->pid, path, libc_funcs[i].name, libc_funcs[i].str_arg);

		if (ret > 0)
			w->attached++;
		else if (ret < 0 && !w->err)
			w->err = ret;
	}
}

int hooks_watch(struct hooks *h, pid_t pid, const char *object_path,
		const char *const *funcs, size_t nfuncs)
{
	struct libc_walk w = { .h = h, .pid = pid };
	int ret;

	if (hooks_watching(h, pid))
		return 0;
	ret = procmaps_for_each_libc(pid, hook_libc, &w);
	if (ret)
		return ret;
	if (h->nwatched < HOOKS_MAX)
		h->watched[h->nwatched++] = pid;
	for (size_t i = 0; object_path && i < nfuncs; i++) {
		ret = hook_one(h, pid, object_path, funcs[i], false);
		if (ret > 0)
			w.attached++;
		else if (ret < 0)
			log_warn("hook %s in %s: %s", funcs[i], object_path, strerror(-ret));
	}
	if (!w.attached && w.err)
		return w.err;
	return w.attached;
}

bool hooks_watching(const struct hooks *h, pid_t pid)
{
	for (int i = 0; i < h->nwatched; i++)
		if (h->watched[i] == pid)
			return true;
	return false;
}

/* A process that exited leaves its uprobes attached until they are
 * closed, and closing one costs the kernel grace periods (linkset.c):
 * released as processes go, so a stop pays only for the living. */
static void reap_exited(struct hooks *h)
{
	struct bpf_link *gone[HOOKS_MAX];
	size_t ngone = 0;

	for (int w = 0; w < h->nwatched;) {
		pid_t pid = h->watched[w];

		if (!kill(pid, 0) || errno != ESRCH) {
			w++;
			continue;
		}
		for (int i = 0; i < h->n; i++) {
			if (h->owner[i] != pid || !h->names[i])
				continue;
			gone[ngone++] = h->links[i];
			h->links[i] = NULL;
			free(h->names[i]);
			h->names[i] = NULL;
		}
		h->watched[w] = h->watched[--h->nwatched];
	}
	linkset_destroy(gone, ngone);
	while (h->n && !h->names[h->n - 1])
		h->n--;
}

int hooks_poll(struct hooks *h)
{
	uint64_t now = util_now_mono_ns();
	int n = ring_buffer__consume(h->rb);

	if (h->nwatched && now >= h->next_reap_ns) {
		/* the exited process's last calls are reported above first */
		reap_exited(h);
		h->next_reap_ns = now + 1000000000ull;
	}
	return n;
}

int hooks_count(const struct hooks *h)
{
	int n = 0;

	for (int i = 0; i < h->n; i++)
		n += h->links[i] != NULL;
	return n;
}
