/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Loads and attaches bpf/profiler.bpf.c. The dlopen uprobes are attached by
 * file offset (elfsym.c) with pid -1, once per distinct libc file. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel/elfsym.h"
#include "kernel/linkset.h"
#include "lib/log.h"
#include "kernel/procmaps.h"
#include "profiler.skel.h"
#include "kernel/tracer.h"
#include "lib/util.h"

#define MAX_LIBCS 64
#define RESCAN_MAX 256

struct libc_attach {
	dev_t dev;
	ino_t ino;
	struct bpf_link *links[4];
};

struct tracer {
	struct profiler_bpf *skel;
	struct ring_buffer *rb;
	struct tracer_opts opts;
	struct verdict_cache cache;
	/* the consumer of the poll under way */
	tracer_record_fn poll_fn;
	void *poll_ctx;
	struct libc_attach libcs[MAX_LIBCS];
	int nlibcs;
	/* processes that exec'ed: their libcs are mapped a little later */
	struct { pid_t pid; uint64_t due_ns; int tries; } rescan[RESCAN_MAX];
	int nrescan;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_get_level() < LOG_LVL_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && log_get_level() < LOG_LVL_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct bp_event_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	if (h->type == BP_EV_EXEC)
		tracer_watch_exec(t, h->pid);
	else
		t->poll_fn(t->poll_ctx, data, size);
	return 0;
}

/* Legacy syscalls (open, chmod, ...) exist on x86-64 only, fchmodat2 from
 * 6.6: a program whose tracepoint is missing is not loaded. */
static void skip_missing_tracepoints(struct bpf_object *obj)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events/",
					     "/sys/kernel/debug/tracing/events/" };
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);
		char path[256];
		bool found = false;

		if (strncmp(sec, "tracepoint/", 11))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(roots) && !found; i++) {
			snprintf(path, sizeof(path), "%s%s", roots[i], sec + 11);
			found = !access(path, F_OK);
		}
		if (!found) {
			log_info("no tracepoint %s on this kernel: skipped", sec + 11);
			bpf_program__set_autoload(prog, false);
		}
	}
}

int tracer_open(const struct tracer_opts *opts, struct tracer **out, char *err, size_t errlen)
{
	struct tracer *t;
	int ret;

	if (!opts->lookback_k || opts->lookback_k > BP_LOOKBACK_MAX) {
		snprintf(err, errlen, "lookback must be 1..%d calls", BP_LOOKBACK_MAX);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->opts = *opts;
	libbpf_set_print(libbpf_print);

	t->skel = profiler_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
		goto fail;
	}
	t->skel->rodata->filter_traced = opts->filter_traced;
	t->skel->rodata->emit_traced_calls = opts->emit_traced_calls;
	t->skel->rodata->pivot_codeload = opts->pivot_codeload;
	t->skel->rodata->gate_enabled = opts->gate;
	t->skel->rodata->self_tgid = getpid();
	t->skel->rodata->lookback_k = opts->lookback_k;
	t->skel->rodata->follow_m = opts->follow_m;
	t->skel->rodata->follow_ns = (unsigned long long)opts->follow_ms * 1000000ull;
	t->skel->rodata->wakeup_batch = opts->wakeup_batch ? opts->wakeup_batch : 1;
	bpf_map__set_max_entries(t->skel->maps.events, opts->ringbuf_bytes);
	skip_missing_tracepoints(t->skel->obj);

	ret = profiler_bpf__load(t->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
			 ret == -EPERM ? " (need CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)" : "");
		goto fail;
	}
	/* uprobes are attached per libc below; everything else by the skeleton */
	bpf_program__set_autoattach(t->skel->progs.uprobe_dlopen, false);
	bpf_program__set_autoattach(t->skel->progs.uprobe_dlmopen, false);
	bpf_program__set_autoattach(t->skel->progs.uretprobe_dlopen, false);
	ret = profiler_bpf__attach(t->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach the tracepoints: %s", strerror(-ret));
		goto fail;
	}
	t->cache.map_fd = bpf_map__fd(t->skel->maps.verdict_cache);
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_ring_record, t, NULL);
	if (!t->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tracer_close(t);
	return ret;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	{
		struct bpf_link *uprobes[MAX_LIBCS * 4];
		size_t n = 0;

		for (int i = 0; i < t->nlibcs; i++)
			for (size_t j = 0; j < 4; j++)
				uprobes[n++] = t->libcs[i].links[j];
		linkset_detach(t->skel ? t->skel->skeleton : NULL, uprobes, n);
	}
	profiler_bpf__destroy(t->skel);
	free(t);
}

static struct bpf_link *attach_uprobe(struct bpf_program *prog, bool ret,
				      const char *path, size_t off)
{
	struct bpf_link *link = bpf_program__attach_uprobe(prog, ret, -1, path, off);

	if (!link)
		log_warn("uprobe on %s+0x%zx: %s", path, off, strerror(errno));
	return link;
}

int tracer_attach_libc(struct tracer *t, const char *path)
{
	struct libc_attach *a;
	size_t off_open, off_mopen;
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -errno;
	for (int i = 0; i < t->nlibcs; i++)
		if (t->libcs[i].dev == st.st_dev && t->libcs[i].ino == st.st_ino)
			return 0;
	if (t->nlibcs == MAX_LIBCS)
		return -ENOSPC;
	ret = elfsym_offset(path, "dlopen", &off_open);
	if (ret)
		return ret;
	a = &t->libcs[t->nlibcs];
	memset(a, 0, sizeof(*a));
	a->links[0] = attach_uprobe(t->skel->progs.uprobe_dlopen, false, path, off_open);
	a->links[1] = attach_uprobe(t->skel->progs.uretprobe_dlopen, true, path, off_open);
	if (!a->links[0] || !a->links[1]) {
		ret = -errno;
		bpf_link__destroy(a->links[0]);
		bpf_link__destroy(a->links[1]);
		return ret ? ret : -EINVAL;
	}
	if (!elfsym_offset(path, "dlmopen", &off_mopen)) {
		a->links[2] = attach_uprobe(t->skel->progs.uprobe_dlmopen, false, path, off_mopen);
		a->links[3] = attach_uprobe(t->skel->progs.uretprobe_dlopen, true, path, off_mopen);
	}
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	t->nlibcs++;
	log_info("dlopen uprobes attached to %s", path);
	return 1;
}

struct attach_walk {
	struct tracer *t;
	int added;
};

static void attach_one(void *ctx, const char *path)
{
	struct attach_walk *w = ctx;

	if (tracer_attach_libc(w->t, path) > 0)
		w->added++;
}

int tracer_attach_libcs_of(struct tracer *t, pid_t pid)
{
	struct attach_walk w = { .t = t };
	int ret = procmaps_for_each_libc(pid, attach_one, &w);

	return ret < 0 ? ret : w.added;
}

void tracer_watch_exec(struct tracer *t, pid_t pid)
{
	if (t->nrescan == RESCAN_MAX)
		return; /* an exec storm: most share a libc we already watch */
	t->rescan[t->nrescan].pid = pid;
	t->rescan[t->nrescan].due_ns = util_now_mono_ns() + 20 * 1000000ull;
	t->rescan[t->nrescan].tries = 0;
	t->nrescan++;
}

void tracer_tick(struct tracer *t)
{
	uint64_t now = util_now_mono_ns();

	for (int i = 0; i < t->nrescan;) {
		if (now < t->rescan[i].due_ns) {
			i++;
			continue;
		}
		tracer_attach_libcs_of(t, t->rescan[i].pid);
		if (++t->rescan[i].tries < 3) {
			t->rescan[i].due_ns = now + (t->rescan[i].tries == 1 ? 200 : 2000) * 1000000ull;
			i++;
		} else {
			t->rescan[i] = t->rescan[--t->nrescan];
		}
	}
}

int tracer_attach_all_libcs(struct tracer *t)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int added = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		int ret;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		ret = tracer_attach_libcs_of(t, atoi(e->d_name));
		if (ret > 0)
			added += ret;
	}
	closedir(d);
	return added;
}

size_t tracer_programs(struct tracer *t, const char **names, int *fds, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj) {
		if (n == max)
			break;
		if (bpf_program__fd(prog) < 0)
			continue;
		names[n] = bpf_program__name(prog);
		fds[n++] = bpf_program__fd(prog);
	}
	return n;
}

int tracer_libc_count(const struct tracer *t)
{
	return t->nlibcs;
}

int tracer_trace_pid(struct tracer *t, pid_t tgid)
{
	__u32 key = tgid;
	__u8 one = 1;

	if (bpf_map__update_elem(t->skel->maps.traced, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

int tracer_poll(struct tracer *t, int timeout_ms, tracer_record_fn fn, void *ctx)
{
	int n;

	t->poll_fn = fn;
	t->poll_ctx = ctx;
	n = ring_buffer__poll(t->rb, timeout_ms);

	/* records submitted without a wakeup are only found by consuming */
	if (n >= 0) {
		int m = ring_buffer__consume(t->rb);

		n = m < 0 ? m : n + m;
	}
	return n;
}

const struct verdict_cache *tracer_verdict_cache(const struct tracer *t)
{
	return &t->cache;
}

int tracer_stats(struct tracer *t, struct bp_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bp_stats *v;
	__u32 zero = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map__lookup_elem(t->skel->maps.stats, &zero, sizeof(zero), v,
				 sizeof(*v) * ncpu, 0)) {
		free(v);
		return -errno;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		sum->calls_seen += v[c].calls_seen;
		sum->events_sent += v[c].events_sent;
		sum->events_lost += v[c].events_lost;
		sum->windows_opened += v[c].windows_opened;
		sum->windows_closed += v[c].windows_closed;
		sum->windows_lossy += v[c].windows_lossy;
		sum->wakeups += v[c].wakeups;
		sum->gate_stops += v[c].gate_stops;
		sum->gate_cache_hits += v[c].gate_cache_hits;
	}
	free(v);
	return 0;
}
