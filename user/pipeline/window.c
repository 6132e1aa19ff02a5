/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Window assembly. The kernel's window state is authoritative; userspace
 * only adds what the kernel cannot see: windows that go quiet (closed here
 * after their deadline), windows whose open record was lost (rebuilt from
 * their later records and marked uncertain), and the watch: a window whose
 * load created tasks stays after its close, collecting their calls until
 * its horizon, handed over again whenever they add some. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pipeline/decoder.h"
#include "pipeline/window.h"

/* Windows userspace closed (idle past their deadline) before the kernel
 * did: the kernel's late records for them are expected, not a lost open. */
#define CLOSED_RING 256

struct window_set {
	window_closed_fn on_closed, on_watched;
	uint64_t watch_ns;
	void *ctx;
	struct window **open;  /* open and watched windows */
	size_t nopen, cap;
	size_t last; /* where the previous find succeeded: a window's records
		      * come in runs, so most finds are one comparison */
	uint64_t closed[CLOSED_RING];
	size_t nclosed;
};

static bool closed_recently(const struct window_set *ws, uint64_t id)
{
	for (size_t i = 0; i < CLOSED_RING && i < ws->nclosed; i++)
		if (ws->closed[i] == id)
			return true;
	return false;
}

struct window_set *window_set_new(window_closed_fn on_closed, window_closed_fn on_watched,
				  uint64_t watch_ns, void *ctx)
{
	struct window_set *ws = calloc(1, sizeof(*ws));

	if (ws) {
		ws->on_closed = on_closed;
		ws->on_watched = on_watched;
		ws->watch_ns = watch_ns;
		ws->ctx = ctx;
	}
	return ws;
}

static void window_free(struct window *w)
{
	if (w->file_fd >= 0)
		close(w->file_fd);
	free(w->code);
	for (int p = 0; p < WINDOW_NPARTS; p++)
		free(w->calls[p]);
	free(w);
}

void window_set_free(struct window_set *ws)
{
	if (!ws)
		return;
	for (size_t i = 0; i < ws->nopen; i++)
		window_free(ws->open[i]);
	free(ws->open);
	free(ws);
}

size_t window_set_open_count(const struct window_set *ws)
{
	size_t n = 0;

	for (size_t i = 0; i < ws->nopen; i++)
		n += !ws->open[i]->closed;
	return n;
}

static struct window *find(struct window_set *ws, uint64_t id, size_t *idx)
{
	size_t i = ws->last;

	if (i >= ws->nopen || ws->open[i]->id != id)
		for (i = 0; i < ws->nopen && ws->open[i]->id != id; i++)
			;
	if (i == ws->nopen)
		return NULL;
	ws->last = i;
	if (idx)
		*idx = i;
	return ws->open[i];
}

static struct window *add(struct window_set *ws, const struct bp_event_hdr *h,
			  uint64_t lost_total)
{
	struct window *w;

	if (ws->nopen == ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 16;
		struct window **n = realloc(ws->open, cap * sizeof(*n));

		if (!n)
			return NULL;
		ws->open = n;
		ws->cap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->id = h->window_id;
	w->pid = h->pid;
	w->tid = h->tid;
	w->pivot = h->pivot;
	w->open_ns = h->ts_ns;
	w->ok = -1;
	w->file_fd = -1;
	w->level = -1;
	w->lost_total_at_open = lost_total;
	ws->open[ws->nopen++] = w;
	return w;
}

/* A window whose open record was lost: rebuilt, and uncertain. NULL for a
 * late record of a window closed here already (or without memory). */
static struct window *find_or_rebuild(struct window_set *ws, const struct bp_event_hdr *h,
				      uint64_t lost_total)
{
	struct window *w = find(ws, h->window_id, NULL);

	if (!w && !closed_recently(ws, h->window_id) && (w = add(ws, h, lost_total)))
		w->uncertain = true;
	return w;
}

static void fill_call(struct window_call *c, const struct bp_call_rec *rec, uint32_t pid)
{
	c->token = decoder_token(rec);
	c->pid = pid;
	decoder_describe(rec, c->arg, sizeof(c->arg));
	c->ts_ns = rec->ts_ns;
	c->tid = rec->tid;
	c->wrote_dev = c->wrote_ino = 0;
	if (rec->call == BP_CALL_OPENAT && (rec->flags & BP_REC_FILE)) {
		c->wrote_dev = rec->arg[2];
		c->wrote_ino = rec->arg[3];
	}
}

/* Code loaded outside dlopen has no name of its own: the path its loader
 * wrote it by, when the lookback shows that write of this very file (a
 * process gone before its file could be opened is still named), else what
 * loaded it. */
static void name_unnamed_code(struct window *w, unsigned int pivot)
{
	const struct window_call *wrote = window_wrote_object(w);

	if (wrote && decoder_arg_is_whole_path(wrote->arg))
		snprintf(w->path, sizeof(w->path), "%s", wrote->arg);
	else
		snprintf(w->path, sizeof(w->path), "[%s %s]", decoder_pivot_name(pivot),
			 w->pivot_call.arg);
}

static void note_file(struct window *w, const struct bp_call_rec *rec)
{
	/* the loader's mapping, a mapping made executable, an exec'd image */
	if (bp_rec_maps_file(rec) && !w->file_ino) {
		w->file_dev = rec->arg[2];
		w->file_ino = rec->arg[3];
	}
}

const char *window_object_name(const struct window *w)
{
	return w->file_path[0] ? w->file_path : w->path;
}

bool window_is_exec_image(const struct window *w)
{
	return w->pivot == BP_PIVOT_EXEC_FILE && w->pivot_call.token &&
	       !strncmp(w->pivot_call.token, "execve", 6);
}

/* A file the loader mapped outside dlopen (not the program itself: its
 * own calls stay in whichever window its thread is in). */
static bool maps_object_code(const struct window *w)
{
	return w->pivot == BP_PIVOT_EXEC_FILE && w->file_ino && !window_is_exec_image(w);
}

static struct window *held_window_of(struct window_set *ws, const struct window *w, uint64_t dev,
				     uint64_t ino)
{
	for (size_t i = 0; i < ws->nopen; i++) {
		struct window *o = ws->open[i];

		if (o->held && o->pid == w->pid && o->file_ino == ino && o->file_dev == dev)
			return o;
	}
	return NULL;
}

/* The held window (close_at) of the object whose code made a call that
 * came in w's follow part (BP_REC_CODE, bpf/profiler/window.bpf.h): its
 * caller on the stack, a C library's wrapper having made the system call
 * for it — or, with no other file on the stack, the file of the system
 * call instruction itself (a raw system call). A caller with no held
 * window (the program's main, ld.so) keeps the call in w, as does w's own
 * object. NULL: the call stays in w. */
static struct window *code_owner(struct window_set *ws, const struct window *w,
				 const struct bp_call_rec *rec)
{
	bool by_caller = rec->caller_ino != 0;
	uint64_t ino = by_caller ? rec->caller_ino : rec->code_ino;
	uint64_t dev = by_caller ? rec->caller_dev : rec->code_dev;

	if (!(rec->flags & BP_REC_CODE) || !ino || (ino == w->file_ino && dev == w->file_dev))
		return NULL;
	return held_window_of(ws, w, dev, ino);
}

bool window_token_matters(const char *t)
{
	static const char *const prefixes[] = {
		"socket", "connect", "bind", "listen", "accept", "send", "execve", "ptrace",
		"process_vm_writev", "mmap:exec_anon", "mmap:exec_memfd", "mprotect",
		"memfd_create", "openat:cred", "openat:persist", "openat:procmem", "openat:write",
		"fchmodat:exec", "fchmod:exec", "fchmodat:setid", "fchmod:setid", "dup2:socket",
		"clone:process", "io_uring_setup", "unlinkat", "renameat2", "kill", "dlopen",
		"openat:logwipe",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(t, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* A full part: a call that matters takes the place of the oldest one that
 * does not (order kept); anything else is not kept. */
static struct window_call *make_room(struct window *w, enum window_part part,
				     const struct bp_call_rec *rec)
{
	struct window_call *c = w->calls[part];
	size_t n = w->ncalls[part];

	w->dropped++;
	w->uncertain = true;
	if (!window_token_matters(decoder_token(rec)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!window_token_matters(c[i].token)) {
			memmove(&c[i], &c[i + 1], (n - i - 1) * sizeof(*c));
			return &c[n - 1];
		}
	return NULL;
}

static int append(struct window *w, enum window_part part, const struct bp_call_rec *rec,
		  uint32_t pid)
{
	if (part == WINDOW_LOAD)
		note_file(w, rec);
	if (w->ncalls[part] == WINDOW_PART_MAX) {
		struct window_call *c = make_room(w, part, rec);

		w->last_call = c;
		if (c)
			fill_call(c, rec, pid);
		return 0;
	}
	if (w->ncalls[part] == w->cap[part]) {
		size_t cap = w->cap[part] ? w->cap[part] * 2 : 16;
		struct window_call *n = realloc(w->calls[part], cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->calls[part] = n;
		w->cap[part] = cap;
	}
	w->last_call = &w->calls[part][w->ncalls[part]];
	fill_call(&w->calls[part][w->ncalls[part]++], rec, pid);
	return 0;
}

static void drop_at(struct window_set *ws, struct window *w)
{
	size_t idx = 0;

	find(ws, w->id, &idx);
	ws->open[idx] = ws->open[--ws->nopen];
	if (!w->close_reason)
		ws->closed[ws->nclosed++ % CLOSED_RING] = w->id;
	window_free(w);
}

/* Whether the window's code created a task that may call on after the
 * close: a fork or a thread in its load or follow part, or a watch call. */
static bool spawned(const struct window *w)
{
	if (w->ncalls[WINDOW_WATCH])
		return true;
	for (int p = WINDOW_LOAD; p <= WINDOW_FOLLOW; p++)
		for (size_t i = 0; i < w->ncalls[p]; i++)
			if (!strncmp(w->calls[p][i].token, "clone:", 6))
				return true;
	return false;
}

/* Whether a closed window is still needed: its code's tasks may call on,
 * it waits for the calls of the next object's constructors (held), or
 * for the rest of its object's analysis. */
static bool kept(const struct window *w)
{
	return spawned(w) || w->held || w->analysis_pending;
}

static size_t watched_count(const struct window_set *ws)
{
	return ws->nopen - window_set_open_count(ws);
}

/* The watched tasks added calls: hand the window over again. */
static void hand_over_watched(struct window_set *ws, struct window *w)
{
	if (w->watch_dirty && ws->on_watched) {
		w->watch_dirty = false;
		ws->on_watched(ws->ctx, w);
	}
}

/* The thread's window closed: the windows it held for their code's calls
 * have them all now (constructors run before the thread's next window
 * closes) — judged again if calls came, then freed unless they spawned. */
static void release_held(struct window_set *ws, const struct window *by)
{
	for (size_t i = 0; i < ws->nopen;) {
		struct window *o = ws->open[i];

		if (o != by && o->held && o->tid == by->tid) {
			o->held = false;
			hand_over_watched(ws, o);
			if (!kept(o)) {
				drop_at(ws, o);
				continue; /* this slot holds another window now */
			}
		}
		i++;
	}
}

static void close_at(struct window_set *ws, struct window *w, uint64_t lost_total)
{
	bool hold;

	/* a close the kernel did not send: losses since open may be ours */
	if (!w->close_reason && lost_total > w->lost_total_at_open)
		w->uncertain = true;
	if (w->lost)
		w->uncertain = true;
	ws->on_closed(ws->ctx, w);
	hold = w->close_reason == BP_CLOSE_NEXT_LOAD && maps_object_code(w);
	if (!hold)
		release_held(ws, w);
	w->held = hold;
	if (ws->on_watched && kept(w) && watched_count(ws) < WINDOW_WATCHED_MAX) {
		w->closed = true;
		w->watch_dirty = false;
		w->watch_until_ns = w->open_ns + ws->watch_ns;
		return;
	}
	drop_at(ws, w);
}

/* A task the loaded code created opened windows of its own (the image it
 * exec'd, what that loads): their calls are still that code's doing, so
 * they are the creator's window's watch calls too. */
static int feed_watcher(struct window_set *ws, const struct window *w,
			const struct bp_call_rec *rec, uint32_t pid)
{
	struct window *by = w->watched_by ? find(ws, w->watched_by, NULL) : NULL;

	if (!by || by == w)
		return 0;
	by->watch_dirty |= by->closed;
	return append(by, WINDOW_WATCH, rec, pid);
}

static void on_open(struct window *w, const struct bp_ev_window_open *e)
{
	memcpy(w->comm, e->comm, BP_COMM_LEN);
	memcpy(w->path, e->path, BP_PATH_LEN);
	w->cgroup_id = e->cgroup_id;
	w->gid = e->gid;
	w->euid = e->euid;
	w->egid = e->egid;
	w->ppid = e->ppid;
	w->args_len = e->args_len < BP_ARGS_LEN ? e->args_len : BP_ARGS_LEN;
	memcpy(w->args, e->args, w->args_len);
	w->from_pid = e->from_pid;
	w->from_tid = e->from_tid;
	memcpy(w->from_comm, e->from_comm, BP_COMM_LEN);
	w->dlopen_flags = e->flags;
	w->uid = e->uid;
	w->watched_by = e->watched_by;
	for (uint32_t i = 0; i < e->nlookback && i < BP_LOOKBACK_MAX; i++)
		append(w, WINDOW_LOOKBACK, &e->lookback[i], w->pid);
	if (e->hdr.pivot == BP_PIVOT_DLOPEN && !w->path[0])
		snprintf(w->path, sizeof(w->path), "(main program)"); /* dlopen(NULL) */
	if (e->hdr.pivot != BP_PIVOT_DLOPEN) {
		fill_call(&w->pivot_call, &e->pivot_rec, w->pid);
		note_file(w, &e->pivot_rec);
		w->ok = 1;
		w->return_ns = e->hdr.ts_ns;
		if (!w->path[0])
			name_unnamed_code(w, e->hdr.pivot);
	}
}

int window_set_on_record(struct window_set *ws, const void *data, size_t size,
			 uint64_t lost_total)
{
	const struct bp_event_hdr *h = data;
	struct window *w;

	if (!h->window_id)
		return 0;
	switch (h->type) {
	case BP_EV_WINDOW_OPEN:
		if (size < sizeof(struct bp_ev_window_open))
			return -EINVAL;
		w = add(ws, h, lost_total);
		if (!w)
			return -ENOMEM;
		on_open(w, data);
		/* the watcher has an exec's execve already (the kernel sent it
		 * while the task was still watched); any other pivot is news */
		if (h->pivot != BP_PIVOT_DLOPEN && !window_is_exec_image(w))
			return feed_watcher(ws, w, &((const struct bp_ev_window_open *)data)->pivot_rec,
					    h->pid);
		return 0;
	case BP_EV_CALL: {
		const struct bp_ev_call *e = data;
		struct window *owner;

		if (size < sizeof(*e))
			return -EINVAL;
		w = find_or_rebuild(ws, h, lost_total);
		if (!w)
			return 0;
		w->last_call = NULL;
		w->given_to = NULL;
		if (h->dropped) /* the kernel's watch bound: calls it did not send */
			w->uncertain = true;
		if (feed_watcher(ws, w, &e->rec, h->pid))
			return -ENOMEM;
		if (h->part == BP_PART_WATCH) {
			w->watch_dirty |= w->closed;
			return append(w, WINDOW_WATCH, &e->rec, h->pid);
		}
		if (w->closed) /* the creator's own late calls: the watch has them */
			return 0;
		if (h->part == BP_PART_FOLLOW && (owner = code_owner(ws, w, &e->rec))) {
			/* another object's code: its window's, as a watch call */
			owner->watch_dirty |= owner->closed;
			w->given++;
			w->given_to = owner;
			return append(owner, WINDOW_WATCH, &e->rec, h->pid);
		}
		return append(w, h->part == BP_PART_LOAD ? WINDOW_LOAD : WINDOW_FOLLOW, &e->rec,
			      h->pid);
	}
	case BP_EV_DLOPEN_RET: {
		const struct bp_ev_dlopen_ret *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		w = find_or_rebuild(ws, h, lost_total);
		if (!w)
			return 0;
		w->ok = e->handle != 0;
		w->return_ns = h->ts_ns;
		return 0;
	}
	case BP_EV_GATE: {
		const struct bp_ev_gate *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		w = find_or_rebuild(ws, h, lost_total);
		if (!w)
			return 0;
		/* a kill outranks a stop: keep the strongest action seen */
		if (e->action == BP_GATE_KILLED || !w->gate_action)
			w->gate_action = e->action;
		return 0;
	}
	case BP_EV_WINDOW_CLOSE: {
		const struct bp_ev_window_close *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		w = find_or_rebuild(ws, h, lost_total);
		if (!w || w->closed)
			return 0;
		w->close_reason = e->reason;
		w->close_ns = h->ts_ns;
		w->lost += h->lost;
		/* the kernel counted nload+nfollow calls: fewer arrived? */
		if (w->ncalls[WINDOW_LOAD] + w->ncalls[WINDOW_FOLLOW] + w->given <
		    (size_t)e->nload + e->nfollow)
			w->uncertain = true;
		close_at(ws, w, lost_total);
		return 0;
	}
	default:
		return 0;
	}
}

void window_set_expire(struct window_set *ws, uint64_t now_ns, uint64_t follow_ns,
		       uint64_t lost_total)
{
	for (size_t i = 0; i < ws->nopen;) {
		struct window *w = ws->open[i];
		size_t n = ws->nopen;

		if (w->closed) {
			hand_over_watched(ws, w);
			if (now_ns > w->watch_until_ns || !kept(w))
				drop_at(ws, w);
		} else if (w->return_ns && now_ns > w->return_ns + follow_ns) {
			w->close_ns = now_ns;
			close_at(ws, w, lost_total);
		}
		if (ws->nopen == n) /* still here: next; else this slot holds another */
			i++;
	}
}

void window_set_analysis_landed(struct window_set *ws, const uint8_t sha[FILEHASH_LEN],
				bool changed)
{
	for (size_t i = 0; i < ws->nopen; i++) {
		struct window *w = ws->open[i];

		if (!w->analysis_pending || memcmp(w->analysis_sha, sha, FILEHASH_LEN))
			continue;
		w->analysis_pending = false;
		w->watch_dirty |= w->closed && changed;
	}
}

bool window_set_watching(const struct window_set *ws, uint64_t now_ns)
{
	for (size_t i = 0; i < ws->nopen; i++) {
		const struct window *w = ws->open[i];

		if (w->closed && spawned(w) && now_ns <= w->watch_until_ns)
			return true;
	}
	return false;
}

void window_set_close_all(struct window_set *ws, uint64_t lost_total)
{
	while (ws->nopen) {
		struct window *w = ws->open[ws->nopen - 1];

		if (w->closed) {
			hand_over_watched(ws, w);
			drop_at(ws, w);
		} else {
			close_at(ws, w, lost_total);
			/* close_at may have dropped it (and emptied the set) */
			if (ws->nopen && w == ws->open[ws->nopen - 1] && w->closed) {
				hand_over_watched(ws, w);
				drop_at(ws, w);
			}
		}
	}
}

const struct window_call *window_wrote_object(const struct window *w)
{
	for (size_t i = w->ncalls[WINDOW_LOOKBACK]; w->file_ino && i-- > 0;) {
		const struct window_call *c = &w->calls[WINDOW_LOOKBACK][i];

		if (c->wrote_ino == w->file_ino && c->wrote_dev == w->file_dev)
			return c;
	}
	return NULL;
}

size_t window_sequence(const struct window *w, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < w->ncalls[WINDOW_LOOKBACK] && n < max; i++)
		out[n++] = w->calls[WINDOW_LOOKBACK][i].token;
	if (n < max)
		out[n++] = w->pivot == BP_PIVOT_DLOPEN ? "dlopen" : w->pivot_call.token;
	for (int p = WINDOW_LOAD; p < WINDOW_NPARTS; p++)
		for (size_t i = 0; i < w->ncalls[p] && n < max; i++)
			out[n++] = w->calls[p][i].token;
	return n;
}

size_t window_watched_pids(const struct window *w, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < w->ncalls[WINDOW_WATCH]; i++) {
		uint32_t pid = w->calls[WINDOW_WATCH][i].pid;
		size_t j = 0;

		while (j < n && out[j] != pid)
			j++;
		if (pid && pid != w->pid && j == n && n < max)
			out[n++] = pid;
	}
	return n;
}

struct window *window_set_get(struct window_set *ws, uint64_t id)
{
	return find(ws, id, NULL);
}

const char *window_set_path(struct window_set *ws, uint64_t id)
{
	struct window *w = find(ws, id, NULL);

	return w ? w->path : "";
}
