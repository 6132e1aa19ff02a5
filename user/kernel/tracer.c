/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Loads and attaches bpf/profiler.bpf.c. The dlopen uprobes are attached by
 * file offset (elfsym.c) with pid -1, once per object that exports dlopen
 * — found by its symbols, not its name, when a process makes it
 * executable (the records say which file), so a renamed or fresh copy of
 * libc is watched from its first mapping. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>
#include "kernel/elfsym.h"
#include "kernel/kdev.h"
#include "kernel/linkset.h"
#include "lib/log.h"
#include "lib/safeopen.h"
#include "kernel/procmaps.h"
#include "profiler.skel.h"
#include "kernel/tracer.h"
#include "lib/util.h"

/* Objects examined before the first eviction pass (tracer_tick). */
#define TRACER_OBJECTS_SOFT 4096

/* A file that became executable somewhere: a loader (it exports dlopen)
 * has its fd and probes; any other object is only remembered. */
struct loader {
	uint64_t kdev, ino;
	int fd;
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
	struct loader *objects;
	size_t nobjects, capobjects, nloaders, evict_at;
};

static void examine_record(struct tracer *t, const void *data, size_t size);
static void loader_detach(struct loader *l);

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
	examine_record(t, data, size);
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
	t->evict_at = TRACER_OBJECTS_SOFT;
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
	/* uprobes are attached per loader below; everything else by the skeleton */
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
	/* every link at once: each waits for grace periods (kernel/linkset.c) */
	{
		size_t n = 0;
		struct bpf_link **uprobes = calloc(4 * t->nobjects + 1, sizeof(*uprobes));

		for (size_t i = 0; uprobes && i < t->nobjects; i++)
			for (size_t j = 0; j < 4; j++)
				uprobes[n++] = t->objects[i].links[j];
		linkset_detach(t->skel ? t->skel->skeleton : NULL, uprobes, n);
		free(uprobes);
		for (size_t i = 0; i < t->nobjects; i++) {
			if (!uprobes)
				loader_detach(&t->objects[i]);
			else if (t->objects[i].fd >= 0)
				close(t->objects[i].fd);
		}
	}
	free(t->objects);
	profiler_bpf__destroy(t->skel);
	free(t);
}

int tracer_set_attached(struct tracer *t, bool on)
{
	if (on)
		return profiler_bpf__attach(t->skel);
	linkset_detach(t->skel->skeleton, NULL, 0);
	return 0;
}

static struct bpf_link *attach_uprobe(struct bpf_program *prog, bool ret,
				      const char *path, size_t off)
{
	struct bpf_link *link = bpf_program__attach_uprobe(prog, ret, -1, path, off);

	if (!link)
		log_warn("uprobe on %s+0x%zx: %s", path, off, strerror(errno));
	return link;
}

static struct loader *find_object(struct tracer *t, uint64_t kdev, uint64_t ino)
{
	for (size_t i = 0; i < t->nobjects; i++)
		if (t->objects[i].kdev == kdev && t->objects[i].ino == ino)
			return &t->objects[i];
	return NULL;
}

static void loader_detach(struct loader *l)
{
	for (size_t j = 0; j < 4; j++)
		bpf_link__destroy(l->links[j]);
	if (l->fd >= 0)
		close(l->fd);
}

/* Attaches the dlopen/dlmopen uprobes to the object behind fd, through
 * /proc/self/fd (a uprobe is on the inode: renamed, deleted or in another
 * mount namespace, it is the file the process maps). */
static int attach_loader(struct tracer *t, struct loader *l, const char *name)
{
	size_t off_open, off_mopen;
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", l->fd);
	ret = elfsym_offset(path, "dlopen", &off_open);
	if (ret)
		return ret;
	l->links[0] = attach_uprobe(t->skel->progs.uprobe_dlopen, false, path, off_open);
	l->links[1] = attach_uprobe(t->skel->progs.uretprobe_dlopen, true, path, off_open);
	if (!l->links[0] || !l->links[1]) {
		ret = -errno;
		loader_detach(l);
		memset(l->links, 0, sizeof(l->links));
		return ret ? ret : -EINVAL;
	}
	if (!elfsym_offset(path, "dlmopen", &off_mopen)) {
		l->links[2] = attach_uprobe(t->skel->progs.uprobe_dlmopen, false, path, off_mopen);
		l->links[3] = attach_uprobe(t->skel->progs.uretprobe_dlopen, true, path, off_mopen);
	}
	t->nloaders++;
	log_info("dlopen uprobes attached to %s", name);
	return 1;
}

/* Objects examined so far, loaders or not: each is opened once. Those
 * that are not loaders keep no fd; loaders keep theirs and their probes
 * until no live process maps them (evict_loaders). */
static struct loader *note_object(struct tracer *t, uint64_t kdev, uint64_t ino)
{
	struct loader *n;

	if (t->nobjects == t->capobjects) {
		size_t cap = t->capobjects ? 2 * t->capobjects : 64;

		n = realloc(t->objects, cap * sizeof(*n));
		if (!n)
			return NULL;
		t->objects = n;
		t->capobjects = cap;
	}
	n = &t->objects[t->nobjects++];
	memset(n, 0, sizeof(*n));
	n->kdev = kdev;
	n->ino = ino;
	n->fd = -1;
	return n;
}

/* A file that became executable in a process: does it export dlopen?
 * fd: the process's fd on it, or -1 (found through its mappings). */
static int examine_object(struct tracer *t, pid_t pid, uint64_t kdev, uint64_t ino, int fd)
{
	char link[96], name[PATH_MAX] = "";
	struct loader *l;
	struct stat st;
	ssize_t n;
	int ret;

	if (!ino || find_object(t, kdev, ino))
		return 0;
	l = note_object(t, kdev, ino);
	if (!l)
		return -ENOMEM;
	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
		l->fd = safeopen_read(link);
	}
	if (l->fd < 0)
		l->fd = procmaps_open_mapped(pid, kdev, ino, NULL, link, sizeof(link));
	if (l->fd < 0 || fstat(l->fd, &st) || st.st_ino != ino || kdev_from_dev(st.st_dev) != kdev) {
		/* gone before we looked: forget it, the next load looks again */
		if (l->fd >= 0)
			close(l->fd);
		t->nobjects--;
		return -ENOENT;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", l->fd);
	n = readlink(link, name, sizeof(name) - 1);
	name[n > 0 ? n : 0] = '\0';
	ret = attach_loader(t, l, name);
	if (ret <= 0) { /* not a loader: remembered, without an fd */
		close(l->fd);
		l->fd = -1;
		return ret == -ENOENT ? 0 : ret;
	}
	return 1;
}

/* Records that name a file made executable: its object is examined before
 * the consumer sees the record, so a process the gate stopped there is
 * resumed only once its dlopen is watched. */
static void examine_record(struct tracer *t, const void *data, size_t size)
{
	const struct bp_event_hdr *h = data;
	const struct bp_call_rec *r = NULL;
	int fd = -1;

	if (h->type == BP_EV_CALL && size >= sizeof(struct bp_ev_call))
		r = &((const struct bp_ev_call *)data)->rec;
	else if (h->type == BP_EV_WINDOW_OPEN && size >= sizeof(struct bp_ev_window_open))
		r = &((const struct bp_ev_window_open *)data)->pivot_rec;
	else if (h->type == BP_EV_GATE && size >= sizeof(struct bp_ev_gate)) {
		const struct bp_ev_gate *g = data;

		examine_object(t, h->pid, g->file.dev, g->file.ino, g->fd);
		return;
	}
	if (!r || !bp_rec_maps_file(r))
		return;
	if (r->call == BP_CALL_MMAP)
		fd = (int)(r->arg[1] >> 32);
	examine_object(t, h->pid, r->arg[2], r->arg[3], fd);
}

struct scan_walk {
	struct tracer *t;
	pid_t pid;
	int added;
};

static int scan_one(void *ctx, const struct procmaps_entry *e)
{
	struct scan_walk *w = ctx;

	if (e->perms[2] == 'x' && e->inode &&
	    examine_object(w->t, w->pid, kdev_make(e->major, e->minor), e->inode, -1) > 0)
		w->added++;
	return 0;
}

int tracer_find_loaders_of(struct tracer *t, pid_t pid)
{
	struct scan_walk w = { .t = t, .pid = pid };
	int ret = procmaps_foreach(pid, scan_one, &w);

	return ret < 0 ? ret : w.added;
}

int tracer_find_all_loaders(struct tracer *t)
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
		ret = tracer_find_loaders_of(t, atoi(e->d_name));
		if (ret > 0)
			added += ret;
	}
	closedir(d);
	return added;
}

struct mapped_walk {
	struct tracer *t;
	bool *mapped;
};

static int mark_mapped(void *ctx, const struct procmaps_entry *e)
{
	struct mapped_walk *w = ctx;
	struct loader *l = e->inode ? find_object(w->t, kdev_make(e->major, e->minor), e->inode)
				    : NULL;

	if (l)
		w->mapped[l - w->t->objects] = true;
	return 0;
}

/* Past a soft limit, the loaders no live process maps lose their probes
 * (and their verdict, so a new load of them is judged and probed again);
 * those still mapped stay, however many: no fixed number of objects can
 * blind the agent. Objects that are not loaders are forgotten too. */
static void evict_objects(struct tracer *t)
{
	bool *mapped = calloc(t->nobjects ? t->nobjects : 1, sizeof(*mapped));
	struct mapped_walk w = { t, mapped };
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t keep = 0;

	if (!mapped || !d) {
		free(mapped);
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			procmaps_foreach(atoi(e->d_name), mark_mapped, &w);
	closedir(d);
	for (size_t i = 0; i < t->nobjects; i++) {
		struct loader *l = &t->objects[i];

		if (mapped[i] && l->links[0]) {
			t->objects[keep++] = *l;
			continue;
		}
		if (l->links[0]) {
			struct bp_file_key key = { .dev = l->kdev, .ino = l->ino };

			bpf_map__delete_elem(t->skel->maps.verdict_cache, &key, sizeof(key), 0);
			t->nloaders--;
		}
		loader_detach(l);
	}
	t->nobjects = keep;
	t->evict_at = keep * 2 > TRACER_OBJECTS_SOFT ? keep * 2 : TRACER_OBJECTS_SOFT;
	free(mapped);
}

void tracer_tick(struct tracer *t)
{
	if (t->nobjects >= t->evict_at)
		evict_objects(t);
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

int tracer_loader_count(const struct tracer *t)
{
	return (int)t->nloaders;
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
		sum->calls_dropped += v[c].calls_dropped;
		sum->loads_cached += v[c].loads_cached;
		sum->injections += v[c].injections;
	}
	free(v);
	return 0;
}
