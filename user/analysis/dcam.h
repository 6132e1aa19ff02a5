/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM, the Dynamic Code Analysis Module: a bounded static look at an ELF
 * object from its entry points (DT_INIT, init arrays, exports), following
 * calls to local code and through the PLT/GOT to imports, as the loader
 * reads it (program headers and the dynamic segment, never the section
 * headers). It yields findings, a score and the predicted sequence: the
 * tokens of the calls reachable from the load-time entry points, in order.
 * Results are keyed by the file's SHA-256 and shared through a cache,
 * reference-counted: a cached result outlives its cache entry until the
 * last caller frees it. Memory stays bounded whatever the file claims. */
#ifndef BPFPROF_DCAM_H
#define BPFPROF_DCAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/filehash.h"

enum dcam_category {
	DCAM_CAT_NETWORK,
	DCAM_CAT_PROCESS,
	DCAM_CAT_MEMORY,
	DCAM_CAT_INJECTION,
	DCAM_CAT_CRYPTO,
	DCAM_CAT_RAW_SYSCALL,
	DCAM_CAT_STRUCTURE,
	DCAM_CAT_INTERPOSITION, /* hooks the process it lives in (libc names + RTLD_NEXT) */
	DCAM_CAT_PERSISTENCE,   /* writes a place that runs code later (cron, units, rc files) */
	DCAM_CAT_EVASION,       /* wipes the records of what was done (logs, histories) */
	DCAM_CAT_COUNT
};

/* How a finding was reached; scales its weight (docs/scoring.md). */
enum dcam_via {
	DCAM_VIA_INIT,   /* code run at load: DT_INIT, init arrays, e_entry */
	DCAM_VIA_EXPORT, /* code reachable from an exported function */
	DCAM_VIA_IMPORT, /* imported, but no analysed path reached the call */
	DCAM_VIA_DATA,   /* a constant in the object's data */
	DCAM_VIA_FILE,   /* the file's structure */
};

#define DCAM_WHAT_LEN 96
#define DCAM_ENTRY_LEN 80

struct dcam_finding {
	enum dcam_category category;
	enum dcam_via via;
	char what[DCAM_WHAT_LEN];
	char entry[DCAM_ENTRY_LEN]; /* entry point name; "" when not code */
	const char *entry_kind;     /* "DT_INIT", "init_array", ...; NULL when not code */
	uint64_t entry_addr;
	uint64_t addr;              /* instruction, data or segment address */
	double weight;              /* 0..1 after the via factor */
};

/* Where a predicted token came from. */
enum dcam_pred_via {
	DCAM_PRED_IMPORT,  /* a call to an imported function */
	DCAM_PRED_DLSYM,   /* a function looked up by dlsym(handle, "name") */
	DCAM_PRED_SYSCALL, /* a syscall instruction, or libc's syscall(), with a constant number */
	DCAM_PRED_IO_URING, /* an operation prepared in a submission queue entry, at its submission */
};

#define DCAM_PRED_MAX 256 /* predicted tokens kept; more sets predicted_truncated */
#define DCAM_CALL_LEN 32
#define DCAM_ARG_LEN 96

/* One predicted call, in program order (docs/analysis.md). */
struct dcam_predicted {
	const char *token;          /* a schemas/tokens.json name (static string) */
	enum dcam_pred_via via;
	char call[DCAM_CALL_LEN];   /* the function or syscall the token stands for */
	char arg[DCAM_ARG_LEN];     /* its constant path, program or command; "" if none */
	char entry[DCAM_ENTRY_LEN]; /* the load-time entry point that reaches it */
	const char *entry_kind;     /* "preinit_array", "DT_INIT", "init_array", "e_entry", "hook" */
	uint64_t entry_addr;
	uint64_t addr;              /* the call or syscall instruction */
};

struct dcam_result {
	uint8_t sha256[FILEHASH_LEN];
	char sha256_hex[FILEHASH_HEX_LEN];
	uint64_t size;
	const char *arch;     /* "x86_64", "aarch64" or "other" */
	double score;         /* 0..1 */
	size_t n_findings;
	struct dcam_finding *findings;
	/* what the bounded walk did */
	uint32_t n_entries;
	uint64_t insns;
	bool truncated;       /* a bound cut the walk short */
	/* the calls reachable from the load-time entry points, in order */
	size_t n_predicted;
	struct dcam_predicted *predicted;
	bool predicted_truncated; /* more than DCAM_PRED_MAX, or the walk was bounded */
	bool predicted_from_start; /* an executable with no runtime: its start is predicted too */
	/* only what runs as it loads was read (dcam_analyze_fd_load_time): the
	 * exports and the constants in the data are not yet; the findings of
	 * imports only the exports call are "import", not "export" */
	bool partial;
	int refs;             /* private: owners of this result */
};

/* A thread-safe map from SHA-256 to result, holding at most max_entries
 * (oldest dropped first). */
struct dcam_cache;
struct dcam_cache *dcam_cache_new(size_t max_entries);
void dcam_cache_free(struct dcam_cache *cache);
void dcam_cache_stats(struct dcam_cache *cache, uint64_t *hits, uint64_t *misses);
/* A new reference to the result cached for sha (free it), or NULL. */
struct dcam_result *dcam_cache_get(struct dcam_cache *cache, const uint8_t sha[FILEHASH_LEN]);
/* Cache r under its sha256; the cache takes its own reference. A full
 * result replaces a partial one, never the other way. */
void dcam_cache_put(struct dcam_cache *cache, struct dcam_result *r);
struct stat;
/* The digest last computed for this very file (same device, inode, size,
 * mtime and ctime), or -ENOENT. */
int dcam_cache_file_sha(struct dcam_cache *cache, const struct stat *st,
			uint8_t sha[FILEHASH_LEN]);
void dcam_cache_note_file(struct dcam_cache *cache, const struct stat *st,
			  const uint8_t sha[FILEHASH_LEN]);

/* Analyse the object behind fd (read through pread of the fd, never a
 * path: works on memfds and deleted files; only the ranges the program
 * headers map are read, in bounded chunks). display_path names the file in
 * debug logs; err does not repeat it (callers prefix it). With a cache, an
 * object already seen is not analysed again. An object that cannot be
 * analysed (not ELF, truncated, corrupt) is a result with a "structure"
 * finding, not an error. Returns 0 and *out (free with dcam_result_free),
 * or -errno with err set: an I/O error, -EINVAL for a fd that is not a
 * regular file, -EAGAIN for a file that kept changing while it was read. */
int dcam_analyze_fd(struct dcam_cache *cache, int fd, const char *display_path,
		    struct dcam_result **out, char *err, size_t errlen);
/* What a process waiting at the gate needs, in a fraction of the time:
 * the structure, the load-time entries with their findings and predicted
 * sequence, interposition and packing; the exports (nearly all of a
 * library's code) and the constants scan are left out (result->partial).
 * A cached result, full or partial, is returned as it is. */
int dcam_analyze_fd_load_time(struct dcam_cache *cache, int fd, const char *display_path,
			      struct dcam_result **out, char *err, size_t errlen);
/* The same over bytes in memory (no cache). */
int dcam_analyze_mem(const void *buf, size_t len, struct dcam_result **out,
		     char *err, size_t errlen);
/* Bytes of memory made executable (no file, so no ELF): walked as code
 * from their first byte; what the code calls is its findings and its
 * predicted sequence. With a cache (one that holds only code: a file of
 * the same bytes is analysed as a file), the same bytes are walked once. */
int dcam_analyze_code(struct dcam_cache *cache, const void *buf, size_t len,
		      struct dcam_result **out, char *err, size_t errlen);
void dcam_result_free(struct dcam_result *r);

/* A thread that finishes what dcam_analyze_fd_load_time left: the full
 * analysis goes into the cache in place of the partial result, and its
 * digest is listed as landed, saying whether it changed what a verdict is
 * taken on (also when it failed: the partial result then stands). Every
 * call is thread-safe. */
struct dcam_worker;
int dcam_worker_new(struct dcam_cache *cache, struct dcam_worker **out);
/* Waits for the job being read; drops the queued ones. */
void dcam_worker_free(struct dcam_worker *w);
/* Queues the full analysis of the file behind fd (duplicated) whose
 * partial result has digest sha; once per digest while it is queued or
 * read. -ENOSPC when the queue is full, -errno when fd cannot be
 * duplicated. */
int dcam_worker_submit(struct dcam_worker *w, int fd, const uint8_t sha[FILEHASH_LEN],
		       const char *display_path);
/* A process is waiting at the gate: queued jobs wait for a quiet moment
 * (a few milliseconds without a stop; half a second at most). */
void dcam_worker_gate_busy(struct dcam_worker *w);
/* Whether sha is queued or being read. */
bool dcam_worker_has(struct dcam_worker *w, const uint8_t sha[FILEHASH_LEN]);
struct dcam_landed {
	uint8_t sha[FILEHASH_LEN];
	/* the full result scores higher or predicts otherwise than the
	 * partial one: verdicts taken on that may change */
	bool changed;
};
/* The analyses landed since the last call: up to max into out; returns
 * how many were taken. */
size_t dcam_worker_take_landed(struct dcam_worker *w, struct dcam_landed *out, size_t max);
/* Waits until nothing is queued or read, at most timeout_ms: 0 or -ETIMEDOUT. */
int dcam_worker_wait_idle(struct dcam_worker *w, unsigned int timeout_ms);

const char *dcam_category_name(enum dcam_category c);
const char *dcam_via_name(enum dcam_via v);
const char *dcam_pred_via_name(enum dcam_pred_via v);
/* The predicted tokens in order: up to max names into tokens[] (static
 * strings); returns how many the result holds (may exceed max). */
size_t dcam_result_predicted(const struct dcam_result *r, const char **tokens, size_t max);
/* {"score", "arch", "findings": [...], "predicted": {"sequence": [...],
 *  "truncated"}, "stats": {...}} */
json_t *dcam_result_to_json(const struct dcam_result *r);

#endif
