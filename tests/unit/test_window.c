/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The window assembler's state machine, fed with hand-made records. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include "pipeline/window.h"
#include "records.h"

struct closed {
	int n;
	struct window last;
	const char *seq[64];
	size_t nseq;
};

static void on_closed(void *ctx, struct window *w)
{
	struct closed *c = ctx;

	c->n++;
	c->last = *w;
	c->nseq = window_sequence(w, c->seq, 64);
	/* the window's call arrays are freed after this: keep only counts */
	for (int p = 0; p < WINDOW_NPARTS; p++)
		c->last.calls[p] = NULL;
}

Test(window, parts_in_order_and_the_dlopen_pivot_between)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);
	const char *want[] = { "socket:inet", "socket:inet", "dlopen", "connect:inet", "execve:shell" };

	FEED(ws, open_ev(7, 2), 0);
	FEED(ws, call_ev(7, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	FEED(ws, ret_ev(7, 0x1234, 2000), 0);
	FEED(ws, call_ev(7, BP_PART_FOLLOW, rec(BP_CALL_EXECVE, 0, 0, "/bin/sh")), 0);
	cr_assert_eq(c.n, 0);
	FEED(ws, close_ev(7, BP_CLOSE_FOLLOW_DONE, 1, 1, 0), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.last.ok, 1);
	cr_assert_not(c.last.uncertain);
	cr_assert_eq(c.nseq, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(c.seq[i], want[i]);
	cr_assert_eq(window_set_open_count(ws), 0);
	window_set_free(ws);
}

Test(window, failed_dlopen_and_thread_exit_inside_a_window)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);

	FEED(ws, open_ev(1, 0), 0);
	FEED(ws, ret_ev(1, 0, 2000), 0);
	FEED(ws, close_ev(1, BP_CLOSE_EXIT, 0, 0, 0), 0);
	cr_assert_eq(c.last.ok, 0);
	cr_assert_eq(c.last.close_reason, BP_CLOSE_EXIT);
	window_set_free(ws);
}

Test(window, lookback_ring_wraparound_keeps_the_newest_k_in_order)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);
	struct bp_ev_window_open e = open_ev(3, BP_LOOKBACK_MAX);

	/* the kernel sends the ring oldest first: what the assembler keeps */
	e.lookback[0] = rec(BP_CALL_MEMFD_CREATE, 0, 0, "x");
	e.lookback[BP_LOOKBACK_MAX - 1] = rec(BP_CALL_EXECVE, 0, 0, "/bin/sh");
	FEED(ws, e, 0);
	window_set_close_all(ws, 0);
	cr_assert_eq(c.last.ncalls[WINDOW_LOOKBACK], BP_LOOKBACK_MAX);
	cr_assert_str_eq(c.seq[0], "memfd_create");
	cr_assert_str_eq(c.seq[BP_LOOKBACK_MAX - 1], "execve:shell");
	cr_assert_str_eq(c.seq[BP_LOOKBACK_MAX], "dlopen");
	window_set_free(ws);
}

Test(window, lost_open_record_rebuilds_an_uncertain_window)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);

	FEED(ws, call_ev(9, BP_PART_LOAD, rec(BP_CALL_SOCKET, AF_INET, 1, NULL)), 1);
	FEED(ws, close_ev(9, BP_CLOSE_FOLLOW_DONE, 1, 0, 1), 1);
	cr_assert_eq(c.n, 1);
	cr_assert(c.last.uncertain);
	window_set_free(ws);
}

Test(window, missing_calls_counted_by_the_kernel_make_it_uncertain)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);

	FEED(ws, open_ev(5, 0), 0);
	FEED(ws, call_ev(5, BP_PART_LOAD, rec(BP_CALL_SOCKET, AF_INET, 1, NULL)), 0);
	FEED(ws, close_ev(5, BP_CLOSE_FOLLOW_DONE, 3, 0, 0), 0);
	cr_assert(c.last.uncertain);
	window_set_free(ws);
}

Test(window, quiet_windows_expire_after_the_follow_time)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);

	FEED(ws, open_ev(2, 0), 0);
	window_set_expire(ws, 5000, 100, 0); /* still loading: never expires */
	cr_assert_eq(c.n, 0);
	FEED(ws, ret_ev(2, 1, 5000), 0);
	window_set_expire(ws, 5050, 100, 0);
	cr_assert_eq(c.n, 0);
	window_set_expire(ws, 5200, 100, 4); /* losses since it opened */
	cr_assert_eq(c.n, 1);
	cr_assert(c.last.uncertain);
	window_set_free(ws);
}

Test(window, nested_dlopen_tokens_stay_in_the_outer_load_part)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);

	FEED(ws, open_ev(4, 0), 0);
	FEED(ws, call_ev(4, BP_PART_LOAD, rec(BP_CALL_DLOPEN, 2, 0, "libdep.so")), 0);
	FEED(ws, call_ev(4, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	FEED(ws, ret_ev(4, 1, 10), 0);
	FEED(ws, close_ev(4, BP_CLOSE_FOLLOW_DONE, 2, 0, 0), 0);
	cr_assert_eq(c.last.ncalls[WINDOW_LOAD], 2);
	cr_assert_str_eq(c.seq[1], "dlopen");
	cr_assert_str_eq(c.seq[2], "connect:inet");
	window_set_free(ws);
}

Test(window, late_kernel_records_of_an_expired_window_are_ignored)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);

	FEED(ws, open_ev(6, 0), 0);
	FEED(ws, ret_ev(6, 1, 100), 0);
	window_set_expire(ws, 1000, 100, 0);
	cr_assert_eq(c.n, 1);
	/* the thread's next call: the kernel sees the timeout only now */
	FEED(ws, call_ev(6, BP_PART_FOLLOW, rec(BP_CALL_SOCKET, AF_INET, 1, NULL)), 0);
	FEED(ws, close_ev(6, BP_CLOSE_TIMEOUT, 0, 1, 0), 0);
	cr_assert_eq(c.n, 1, "a closed window was rebuilt and judged twice");
	cr_assert_eq(window_set_open_count(ws), 0);
	window_set_free(ws);
}

/* `trace` prints each call with the description the window already made:
 * last_call is the call the latest record added, NULL when a full part
 * dropped it. */
Test(window, last_call_is_the_call_the_latest_record_added)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);
	struct bp_call_rec r = rec(BP_CALL_EXECVE, 0, 0, "/bin/sh");
	char want[DECODER_ARG_LEN];
	struct window *w;

	FEED(ws, open_ev(3, 0), 0);
	FEED(ws, call_ev(3, BP_PART_LOAD, r), 0);
	w = window_set_get(ws, 3);
	cr_assert_not_null(w);
	cr_assert_not_null(w->last_call);
	cr_assert_str_eq(w->last_call->arg, decoder_describe(&r, want, sizeof(want)));
	cr_assert_str_eq(w->last_call->token, "execve:shell");
	for (int i = 1; i < WINDOW_PART_MAX; i++)
		FEED(ws, call_ev(3, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	cr_assert_not_null(w->last_call);
	FEED(ws, call_ev(3, BP_PART_LOAD, r), 0);
	cr_assert_null(w->last_call, "a dropped call still names the previous one");
	cr_assert_eq(w->dropped, 1);
	window_set_free(ws);
}

struct watched {
	int closed, watched;
	size_t nwatch;
};

static void on_closed_w(void *ctx, struct window *w)
{
	(void)w;
	((struct watched *)ctx)->closed++;
}

static void on_watched(void *ctx, struct window *w)
{
	struct watched *c = ctx;

	c->watched++;
	c->nwatch = w->ncalls[WINDOW_WATCH];
}

/* A window whose load forked stays after its close: the child's calls
 * (part watch) hand it over again, until its horizon. */
Test(window, a_window_that_spawned_is_watched_until_its_horizon)
{
	struct watched c = { 0 };
	struct window_set *ws = window_set_new(on_closed_w, on_watched, 10000, &c);
	struct bp_ev_call child = call_ev(3, BP_PART_WATCH, rec(BP_CALL_CONNECT, AF_INET, 0, NULL));

	child.hdr.pid = child.hdr.tid = 77;
	FEED(ws, open_ev(3, 0), 0);                                 /* opened at ts 1000 */
	FEED(ws, call_ev(3, BP_PART_LOAD, rec(BP_CALL_CLONE, 0, 0, NULL)), 0);
	FEED(ws, ret_ev(3, 1, 2000), 0);
	FEED(ws, close_ev(3, BP_CLOSE_FOLLOW_DONE, 1, 0, 0), 0);
	cr_assert_eq(c.closed, 1);
	cr_assert_eq(window_set_open_count(ws), 0, "closed, only watched");
	FEED(ws, child, 0);
	window_set_expire(ws, 5000, 100, 0);
	cr_assert_eq(c.watched, 1, "the child's call is handed over");
	cr_assert_eq(c.nwatch, 1);
	window_set_expire(ws, 6000, 100, 0);
	cr_assert_eq(c.watched, 1, "nothing new: not handed over again");
	window_set_expire(ws, 12000, 100, 0); /* past open + 10000 */
	FEED(ws, child, 0);
	window_set_expire(ws, 12001, 100, 0);
	cr_assert_eq(c.watched, 1, "past its horizon the window is gone");
	window_set_free(ws);
}

/* The loaded code's child execs a program: the image's window (and any
 * window of that task) is the task's own, but its calls are still the
 * child's, so they are the creator's watch calls too — with the pivot of
 * a load outside dlopen — and name the process a verdict acts on. */
Test(window, a_watched_task_s_own_window_feeds_its_creator_s_watch)
{
	struct watched c = { 0 };
	struct window_set *ws = window_set_new(on_closed_w, on_watched, 10000, &c);
	struct bp_ev_window_open image = open_ev(5, 0), code = open_ev(6, 0);
	struct bp_ev_call sock = call_ev(5, BP_PART_FOLLOW, rec(BP_CALL_CONNECT, AF_INET, 0, NULL));
	struct bp_ev_call other = call_ev(7, BP_PART_FOLLOW, rec(BP_CALL_CONNECT, AF_INET, 0, NULL));
	uint32_t pids[4];

	FEED(ws, open_ev(3, 0), 0);
	FEED(ws, call_ev(3, BP_PART_LOAD, rec(BP_CALL_CLONE, 0, 0, NULL)), 0);
	FEED(ws, ret_ev(3, 1, 2000), 0);
	FEED(ws, close_ev(3, BP_CLOSE_FOLLOW_DONE, 1, 0, 0), 0);
	image.hdr.pivot = BP_PIVOT_EXEC_FILE;
	image.hdr.pid = image.hdr.tid = sock.hdr.pid = sock.hdr.tid = 77;
	image.pivot_rec = rec(BP_CALL_EXECVE, 0, 0, "/usr/bin/python3");
	image.watched_by = 3;
	FEED(ws, image, 0);
	FEED(ws, sock, 0);
	code.hdr.pivot = BP_PIVOT_EXEC_ANON;
	code.hdr.pid = code.hdr.tid = 77;
	code.pivot_rec = rec(BP_CALL_MPROTECT, 0, 0, NULL);
	code.watched_by = 3;
	FEED(ws, code, 0);
	other.hdr.pid = other.hdr.tid = 88;
	FEED(ws, open_ev(7, 0), 0); /* a window nobody watches */
	FEED(ws, other, 0);
	window_set_expire(ws, 5000, 100000, 0);
	cr_assert_eq(c.watched, 1, "the child's calls hand the creator's window over");
	cr_assert_eq(c.nwatch, 2, "its connect and the memory it made executable, not the "
				  "execve again nor another task's call");
	cr_assert_eq(window_watched_pids(window_set_get(ws, 3), pids, 4), 1);
	cr_assert_eq(pids[0], 77);
	window_set_free(ws);
}

static void on_closed_pending(void *ctx, struct window *w)
{
	((struct watched *)ctx)->closed++;
	w->analysis_pending = true; /* judged on its load-time code */
	memset(w->analysis_sha, 0xab, sizeof(w->analysis_sha));
}

/* A window judged on part of its object's analysis outlives its close,
 * though it created nothing, until the rest lands: then it is handed over
 * to be judged again, and freed; another object's landing does not; a
 * landing that changed nothing lets it go without a judgement. */
Test(window, a_window_judged_on_part_of_its_analysis_waits_for_the_rest)
{
	struct watched c = { 0 };
	struct window_set *ws = window_set_new(on_closed_pending, on_watched, 10000, &c);
	uint8_t other[FILEHASH_LEN], sha[FILEHASH_LEN];

	memset(other, 0xcd, sizeof(other));
	memset(sha, 0xab, sizeof(sha));
	FEED(ws, open_ev(4, 0), 0);
	FEED(ws, ret_ev(4, 1, 2000), 0);
	FEED(ws, close_ev(4, BP_CLOSE_FOLLOW_DONE, 0, 0, 0), 0);
	cr_assert_eq(c.closed, 1);
	window_set_expire(ws, 3000, 100, 0);
	cr_assert_not_null(window_set_get(ws, 4), "kept for the rest of its analysis");
	window_set_analysis_landed(ws, other, true);
	window_set_expire(ws, 4000, 100, 0);
	cr_assert_eq(c.watched, 0, "another object's analysis is not its");
	window_set_analysis_landed(ws, sha, true);
	window_set_expire(ws, 5000, 100, 0);
	cr_assert_eq(c.watched, 1, "handed over again when its analysis landed");
	cr_assert_null(window_set_get(ws, 4), "then freed: it created nothing to watch");

	FEED(ws, open_ev(5, 0), 0);
	FEED(ws, ret_ev(5, 1, 6000), 0);
	FEED(ws, close_ev(5, BP_CLOSE_FOLLOW_DONE, 0, 0, 0), 0);
	window_set_analysis_landed(ws, sha, false);
	window_set_expire(ws, 7000, 100, 0);
	cr_assert_eq(c.watched, 1, "nothing changed: not judged again");
	cr_assert_null(window_set_get(ws, 5), "but let go");
	window_set_free(ws);
}

/* A window that created nothing is freed at its close. */
Test(window, a_window_that_spawned_nothing_is_not_watched)
{
	struct watched c = { 0 };
	struct window_set *ws = window_set_new(on_closed_w, on_watched, 10000, &c);
	struct bp_ev_call late = call_ev(4, BP_PART_WATCH, rec(BP_CALL_CONNECT, AF_INET, 0, NULL));

	FEED(ws, open_ev(4, 0), 0);
	FEED(ws, ret_ev(4, 1, 2000), 0);
	FEED(ws, close_ev(4, BP_CLOSE_FOLLOW_DONE, 0, 0, 0), 0);
	FEED(ws, late, 0); /* a late record of a window closed here: ignored */
	window_set_expire(ws, 5000, 100, 0);
	cr_assert_eq(c.closed, 1);
	cr_assert_eq(c.watched, 0);
	window_set_free(ws);
}

static void last_load_call(void *ctx, struct window *w)
{
	struct closed *c = ctx;

	c->n++;
	c->last.dropped = w->dropped;
	c->last.uncertain = w->uncertain;
	c->seq[0] = w->calls[WINDOW_LOAD][w->ncalls[WINDOW_LOAD] - 1].token;
	c->nseq = w->ncalls[WINDOW_LOAD];
}

/* Past WINDOW_PART_MAX, a call that matters takes the place of one that
 * does not; the window says calls were not kept. */
Test(window, a_full_part_keeps_the_calls_that_matter)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(last_load_call, NULL, 0, &c);

	FEED(ws, open_ev(5, 0), 0);
	for (int i = 0; i < WINDOW_PART_MAX + 100; i++)
		FEED(ws, call_ev(5, BP_PART_LOAD, rec(BP_CALL_OPENAT, 0, 0, "/etc/hostname")), 0);
	FEED(ws, call_ev(5, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	FEED(ws, call_ev(5, BP_PART_LOAD, rec(BP_CALL_PIPE2, 0, 0, NULL)), 0);
	FEED(ws, close_ev(5, BP_CLOSE_EXIT, WINDOW_PART_MAX + 102, 0, 0), 0);
	cr_assert_eq(c.n, 1);
	cr_assert(c.last.uncertain, "calls were not kept: uncertain");
	cr_assert_eq(c.last.dropped, 102);
	cr_assert_eq(c.nseq, WINDOW_PART_MAX);
	cr_assert_str_eq(c.seq[0], "connect:inet", "the connect was kept, last");
	window_set_free(ws);
}

/* A record naming its file by the kernel's device and inode (BP_REC_FILE). */
static struct bp_call_rec file_rec(unsigned call, unsigned long a0, const char *str,
				   uint64_t dev, uint64_t ino)
{
	struct bp_call_rec r = rec(call, a0, 0, str);

	r.flags = BP_REC_FILE;
	r.arg[2] = dev;
	r.arg[3] = ino;
	return r;
}

/* A window opened by pivot_rec outside dlopen, named by nothing yet. */
static struct bp_ev_window_open opened_by(uint64_t id, unsigned nlookback, unsigned pivot,
					  struct bp_call_rec pivot_rec)
{
	struct bp_ev_window_open e = open_ev(id, nlookback);

	e.path[0] = '\0';
	e.hdr.pivot = pivot;
	e.pivot_rec = pivot_rec;
	return e;
}

/* Code mapped outside dlopen from a file the thread had just written is
 * named by the path it wrote (the kernel's device and inode tie the two):
 * a dropper gone before its file could be opened is still named. */
Test(window, code_from_a_file_its_loader_wrote_is_named_by_that_path)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);
	struct bp_ev_window_open e = opened_by(3, 2, BP_PIVOT_EXEC_FILE,
		file_rec(BP_CALL_MMAP, 5 /* PROT_READ|PROT_EXEC */, NULL, 0x800001, 4242));

	e.lookback[0] = file_rec(BP_CALL_OPENAT, 01101 /* O_WRONLY|O_CREAT|O_TRUNC */,
				 "/var/lib/x/.cache.bin", 0x800001, 4242);
	FEED(ws, e, 0);
	FEED(ws, close_ev(3, BP_CLOSE_EXIT, 0, 0, 0), 0);
	cr_assert_str_eq(c.last.path, "/var/lib/x/.cache.bin");

	/* another file written: the code is named by what loaded it */
	e.hdr.window_id = 4;
	e.lookback[0].arg[3] = 4243;
	FEED(ws, e, 0);
	FEED(ws, close_ev(4, BP_CLOSE_EXIT, 0, 0, 0), 0);
	cr_assert_eq(c.last.path[0], '[', "%s", c.last.path);
	window_set_free(ws);
}

/* An injection's window opens on the injector's write of /proc/PID/mem:
 * that record names its file, but the file is not the code loaded. */
Test(window, an_injection_is_not_named_by_the_memory_file_it_wrote)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, NULL, 0, &c);
	struct bp_ev_window_open e = opened_by(5, 0, BP_PIVOT_INJECT,
		file_rec(BP_CALL_OPENAT, 02 /* O_RDWR */, "/proc/4242/mem", 0x16, 777));

	FEED(ws, e, 0);
	FEED(ws, close_ev(5, BP_CLOSE_EXIT, 0, 0, 0), 0);
	cr_assert_eq(c.last.file_ino, 0, "the memory file taken for the loaded object");
	cr_assert_str_eq(c.last.path, "[inject /proc/4242/mem]");
	window_set_free(ws);
}

/* ld.so maps every start-up object, then runs the constructors: a
 * constructor's calls come in the follow part of the last object's
 * window. The kernel says whose code made each (BP_REC_CODE): the system
 * call instruction's file and the first other file on the stack. */
struct startup {
	size_t follow_of_last, watch_of_first;
	bool last_uncertain;
	int first_handed_over;
	const char *given;
};

static void startup_closed(void *ctx, struct window *w)
{
	struct startup *c = ctx;

	if (w->id == 2) {
		c->follow_of_last = w->ncalls[WINDOW_FOLLOW];
		c->last_uncertain = w->uncertain;
	}
}

static void startup_watched(void *ctx, struct window *w)
{
	struct startup *c = ctx;

	if (w->id == 1) {
		c->first_handed_over++;
		c->watch_of_first = w->ncalls[WINDOW_WATCH];
		c->given = w->calls[WINDOW_WATCH][0].token;
	}
}

static struct bp_ev_window_open mapped(uint64_t id, uint64_t ino)
{
	struct bp_ev_window_open e = opened_by(id, 0, BP_PIVOT_EXEC_FILE,
		file_rec(BP_CALL_MMAP, 5 /* PROT_READ|PROT_EXEC */, NULL, 0x800001, ino));

	snprintf(e.path, sizeof(e.path), "/tmp/x.so");
	return e;
}

static struct bp_ev_call made_by(uint64_t id, struct bp_call_rec r, uint64_t code,
				 uint64_t caller)
{
	r.flags |= BP_REC_CODE;
	r.code_dev = r.caller_dev = 0x800001;
	r.code_ino = code;
	r.caller_ino = caller;
	return call_ev(id, BP_PART_FOLLOW, r);
}

Test(window, a_constructor_s_calls_go_to_its_object_s_window_not_the_last_mapped)
{
	enum { LIB = 100, LIBC = 200, LDSO = 300, EXE = 500 };
	struct startup c = { 0 };
	struct window_set *ws = window_set_new(startup_closed, startup_watched, 10000, &c);

	FEED(ws, mapped(1, LIB), 0);                         /* LD_PRELOAD'ed library */
	FEED(ws, close_ev(1, BP_CLOSE_NEXT_LOAD, 0, 0, 0), 0); /* closed by libc's mapping */
	FEED(ws, mapped(2, LIBC), 0);
	/* libc's connect wrapper called from the library's constructor */
	FEED(ws, made_by(2, rec(BP_CALL_CONNECT, AF_INET, 0, NULL), LIBC, LIB), 0);
	/* libc's own start-up, called from ld.so (which has no window) */
	FEED(ws, made_by(2, rec(BP_CALL_OPENAT, 0, 0, "/etc/ld.so.cache"), LIBC, LDSO), 0);
	/* a raw system call in the library's own code, no other file above */
	FEED(ws, made_by(2, rec(BP_CALL_SOCKET, AF_INET, SOCK_STREAM, NULL), LIB, 0), 0);
	/* the program's main through libc: the program has no held window */
	FEED(ws, made_by(2, rec(BP_CALL_OPENAT, 0, 0, "/etc/hostname"), LIBC, EXE), 0);
	FEED(ws, close_ev(2, BP_CLOSE_FOLLOW_DONE, 0, 4, 0), 0);
	cr_assert_eq(c.follow_of_last, 2, "libc's and main's calls stay in libc's window");
	cr_assert_not(c.last_uncertain, "calls given away are not calls lost");
	cr_assert_eq(c.first_handed_over, 1, "the library is judged again with its calls");
	cr_assert_eq(c.watch_of_first, 2);
	cr_assert_str_eq(c.given, "connect:inet");
	window_set_expire(ws, 5000, 100, 0);
	cr_assert_not_null(window_set_get(ws, 1), "with calls of its own: watched to its horizon");
	window_set_expire(ws, 12000, 100, 0);
	cr_assert_null(window_set_get(ws, 1));
	window_set_free(ws);
}

/* Without the kernel's word on whose code it is, a call stays where the
 * thread made it. */
Test(window, a_call_without_its_code_stays_in_the_thread_s_window)
{
	struct startup c = { 0 };
	struct window_set *ws = window_set_new(startup_closed, startup_watched, 10000, &c);

	FEED(ws, mapped(1, 100), 0);
	FEED(ws, close_ev(1, BP_CLOSE_NEXT_LOAD, 0, 0, 0), 0);
	FEED(ws, mapped(2, 200), 0);
	FEED(ws, call_ev(2, BP_PART_FOLLOW, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	FEED(ws, close_ev(2, BP_CLOSE_FOLLOW_DONE, 0, 1, 0), 0);
	cr_assert_eq(c.follow_of_last, 1);
	cr_assert_eq(c.first_handed_over, 0);
	cr_assert_null(window_set_get(ws, 1), "held for nothing: released with libc's close");
	window_set_free(ws);
}

/* A library loaded through a copy of libc calls that copy's wrappers from
 * its own code: the copy has a window too, but the call is the library's. */
Test(window, a_call_from_the_window_s_own_object_stays_whatever_file_made_it)
{
	struct startup c = { 0 };
	struct window_set *ws = window_set_new(startup_closed, startup_watched, 10000, &c);

	FEED(ws, mapped(1, 300), 0);                           /* the libc copy */
	FEED(ws, close_ev(1, BP_CLOSE_NEXT_LOAD, 0, 0, 0), 0);
	FEED(ws, mapped(2, 400), 0);                           /* the library it loads */
	FEED(ws, made_by(2, rec(BP_CALL_CONNECT, AF_INET, 0, NULL), 300, 400), 0);
	FEED(ws, close_ev(2, BP_CLOSE_FOLLOW_DONE, 0, 1, 0), 0);
	cr_assert_eq(c.follow_of_last, 1, "the call stays in the library's own window");
	window_set_free(ws);
}

/* Once its thread's window closed, an object's window is no longer held:
 * later calls through it (the program's, long after start-up) are not its. */
Test(window, only_a_held_window_takes_calls)
{
	struct startup c = { 0 };
	struct window_set *ws = window_set_new(startup_closed, startup_watched, 10000, &c);

	FEED(ws, mapped(1, 200), 0);                               /* libc */
	FEED(ws, close_ev(1, BP_CLOSE_FOLLOW_DONE, 0, 0, 0), 0);   /* not by a load */
	FEED(ws, mapped(2, 600), 0);                               /* mapped later */
	FEED(ws, made_by(2, rec(BP_CALL_CONNECT, AF_INET, 0, NULL), 200, 0), 0);
	FEED(ws, made_by(2, rec(BP_CALL_CONNECT, AF_INET, 0, NULL), 200, 500), 0);
	FEED(ws, close_ev(2, BP_CLOSE_FOLLOW_DONE, 0, 2, 0), 0);
	cr_assert_eq(c.follow_of_last, 2, "both calls stay where they came");
	window_set_free(ws);
}
