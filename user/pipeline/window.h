/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The window assembler: rebuilds each prediction window (lookback, load,
 * follow, and the watch part of the threads and processes the loaded code
 * created) from ring buffer records, hands over closed windows, and keeps
 * a closed window that may have watched tasks until its watch horizon,
 * handing it over again when they add calls. */
#ifndef BPFPROF_WINDOW_H
#define BPFPROF_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfprof_event.h"
#include "pipeline/decoder.h"
#include "lib/filehash.h"

enum window_part { WINDOW_LOOKBACK, WINDOW_LOAD, WINDOW_FOLLOW, WINDOW_WATCH, WINDOW_NPARTS };

/* Calls kept per part: a constructor looping on syscalls must not grow a
 * window without bound. Past it a call that matters (network, exec,
 * credential and persistence files, memory made executable, injection)
 * replaces the oldest one that does not; every call not kept is counted
 * in window.dropped and makes the window uncertain. */
#define WINDOW_PART_MAX 1024
/* Closed windows kept for their watched tasks, at most. */
#define WINDOW_WATCHED_MAX 4096

struct window_call {
	const char *token;    /* static string from decoder_token() */
	char arg[DECODER_ARG_LEN]; /* decoder_describe() */
	uint64_t ts_ns;
	uint32_t pid, tid;
	/* an open for writing: the file it got (kernel dev_t, inode); 0: none */
	uint64_t wrote_dev, wrote_ino;
};

struct window {
	uint64_t id;
	uint32_t pid, tid;
	uint32_t uid;              /* the loader's uid (0 when the open record was lost) */
	/* the loader's identity at the load (from the kernel: it may be gone) */
	uint64_t cgroup_id;        /* cgroup v2 (0: unknown) */
	uint32_t gid, euid, egid, ppid;
	char args[BP_ARGS_LEN + 1];
	size_t args_len;
	unsigned int pivot;        /* enum bp_pivot */
	char comm[BP_COMM_LEN + 1];
	char path[BP_PATH_LEN + 1];
	uint64_t dlopen_flags;
	uint64_t open_ns, return_ns, close_ns;  /* CLOCK_MONOTONIC (bpf_ktime) */
	int ok;                    /* 1 loaded, 0 failed, -1 never returned */
	unsigned int close_reason; /* enum bp_close_reason, 0 = closed by userspace */
	uint32_t lost;             /* events lost inside the window, as far as known */
	uint64_t dropped;          /* calls past WINDOW_PART_MAX, not kept */
	bool uncertain;            /* events may be missing: the verdict must say so */
	struct window_call pivot_call; /* the call that opened a non-dlopen window */
	struct window_call *calls[WINDOW_NPARTS];
	size_t ncalls[WINDOW_NPARTS];
	size_t cap[WINDOW_NPARTS];
	uint64_t lost_total_at_open; /* global loss counter when opened */
	/* the loaded object: first executable file mapping of the load part
	 * (or the pivot's), and an fd on it once userspace has opened it */
	uint64_t file_dev, file_ino;
	int file_fd;               /* -1 until opened; closed with the window */
	/* memory made executable by mprotect: its first page as it was made
	 * so (BP_EV_CODE), for the static analysis of anonymous code or of a
	 * file that could not be opened */
	uint8_t *code;
	size_t code_len;
	char file_path[BP_PATH_LEN + 1]; /* as mapped, when known */
	unsigned int gate_action;  /* enum bp_gate_action the kernel took, 0 if none */
	/* BP_PIVOT_INJECT: the process that wrote into this one */
	uint32_t from_pid, from_tid;
	/* the window whose loaded code created the task that opened this
	 * one (its calls are that window's watch calls too); 0: none */
	uint64_t watched_by;
	char from_comm[BP_COMM_LEN + 1];
	/* after the close: tasks the code created may still add calls (watch) */
	uint64_t watch_until_ns;   /* 0: nothing to watch, freed at close */
	bool closed;               /* judged once; now only watched */
	bool watch_dirty;          /* watch calls arrived since it was last handed over */
	/* closed by the next object's mapping before its code ran (ld.so maps
	 * every start-up object, then runs their constructors): kept until
	 * its thread's window closes, for the calls its code makes there */
	bool held;
	size_t given;              /* follow calls given to the window of the code that made them */
	int level;                 /* the highest level decided for it, -1 before any */
	/* judged on the load-time part of its object's static analysis while
	 * the rest runs: kept after its close until the rest lands
	 * (window_set_analysis_landed), to be judged again */
	bool analysis_pending;
	uint8_t analysis_sha[FILEHASH_LEN];
	/* the call the latest record added to this window, NULL when it added
	 * none (a full part): lets a printer reuse its description; valid until
	 * the next record */
	const struct window_call *last_call;
	/* the window the latest record was given to instead (the code that
	 * made the call is that window's object), NULL when none; valid until
	 * the next record */
	const struct window *given_to;
};

/* Called for each closed window, and again (watched set) for a closed
 * window whose watched tasks added calls; the set frees it at its horizon. */
typedef void (*window_closed_fn)(void *ctx, struct window *w);
struct window_set;

/* on_watched: NULL when nothing watches (the window is freed at close).
 * watch_ns: the horizon after a window's open. */
struct window_set *window_set_new(window_closed_fn on_closed, window_closed_fn on_watched,
				  uint64_t watch_ns, void *ctx);
void window_set_free(struct window_set *ws);
/* Feeds one ring buffer record. lost_total is the global count of failed
 * reservations so far (windows opened before a loss are suspect). */
int window_set_on_record(struct window_set *ws, const void *data, size_t size,
			 uint64_t lost_total);
/* Closes windows idle past their deadline: follow_ns after dlopen returned
 * (the kernel only sees a timeout at the thread's next call); hands over
 * watched windows with new calls, and frees those past their horizon. */
void window_set_expire(struct window_set *ws, uint64_t now_ns, uint64_t follow_ns,
		       uint64_t lost_total);
/* Closes every open window and hands over watched ones with new calls
 * (detach). */
void window_set_close_all(struct window_set *ws, uint64_t lost_total);
/* The loaded object's name: the file it resolved to when known, else the
 * name the load gave (a dlopen argument, "[exec_anon ...]"). */
const char *window_object_name(const struct window *w);
/* Whether the window's load is an exec'd image (the program itself). */
bool window_is_exec_image(const struct window *w);
/* The lookback's last call that opened the loaded object for writing:
 * the loading thread wrote the code it is about to run. NULL when none
 * (or the object is not known by device and inode). */
const struct window_call *window_wrote_object(const struct window *w);
/* The full static analysis of the object with digest sha landed: the
 * closed windows judged on its partial one are handed over again (as
 * watched) when it changed what they were judged on, else just let go;
 * the open ones will be judged on it at their close. */
void window_set_analysis_landed(struct window_set *ws, const uint8_t sha[FILEHASH_LEN],
				bool changed);
/* Whether a call with this token is one a full part keeps. */
bool window_token_matters(const char *token);
size_t window_set_open_count(const struct window_set *ws);
/* Whether a closed window whose code created tasks is still within its
 * watch horizon: those tasks' calls would still be judged. */
bool window_set_watching(const struct window_set *ws, uint64_t now_ns);
/* Path of an open window ("" when unknown). */
const char *window_set_path(struct window_set *ws, uint64_t id);
/* An open window, or NULL. */
struct window *window_set_get(struct window_set *ws, uint64_t id);
/* The processes other than the loader whose calls are in the watch: those
 * the loaded code created (and theirs), at most max of them. */
size_t window_watched_pids(const struct window *w, uint32_t *out, size_t max);

/* The window's tokens in order: lookback, "dlopen" (for dlopen windows) or
 * the pivot call's token, load, follow, watch. Returns the count written
 * (<= max). */
size_t window_sequence(const struct window *w, const char **out, size_t max);

#endif
