/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The agent's configuration: an INI file (inih) over the defaults of docs/operations.md.
 * The struct is plain data (no pointers), so a reload parses into a fresh
 * copy and the agent swaps it in only when the whole file is valid. */
#ifndef BPFPROF_CONFIG_H
#define BPFPROF_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include "score/verdict.h"

#define CONFIG_DEFAULT_PATH "/etc/bpf-profiler/bpf-profiler.conf"

enum config_fail { CONFIG_FAIL_OPEN, CONFIG_FAIL_CLOSED };

/* [submitter.NAME]: who may submit behaviors with their own token, and how
 * far the database trusts them (docs/fleet.md). */
#define CONFIG_SUBMITTERS_MAX 16
#define CONFIG_SUBMITTER_NAME_MAX 64
struct config_submitter {
	char name[CONFIG_SUBMITTER_NAME_MAX];
	char token_file[PATH_MAX];
	double trust;     /* 0..1: caps the confidence; below 1, risk-lowering entries wait */
	int rate;         /* entries per minute; 0: no limit */
	int max_entries;  /* per submission */
};
enum config_enforce { CONFIG_ENFORCE_MONITOR, CONFIG_ENFORCE_ON };

struct config {
	struct {
		double w_sequence, w_source, w_dcam; /* sum to 1 */
		double medium, high;                 /* risk thresholds, medium < high */
	} scoring;
	struct {
		int lookback;  /* calls before dlopen */
		int follow;    /* calls after dlopen returns */
		int follow_ms; /* or this long */
	} window;
	struct {
		int gate;                  /* stop the process at the first exec mmap */
		int gate_timeout_ms;       /* then apply `fail` */
		enum config_fail fail;     /* when scoring fails or times out */
		enum config_enforce enforce;
		int uncertain_escalate;    /* a window that lost events is at least medium */
	} policy;
	struct {
		char listen_unix[PATH_MAX];
		int unix_mode;             /* octal permission bits of the socket */
		char listen_tcp[64];       /* "ADDR:PORT" or "" (off) */
		char token_file[PATH_MAX];
		size_t max_body;           /* bytes */
	} api;
	struct {
		char db_path[PATH_MAX];
		char bd_path[PATH_MAX];      /* the behavioral database (SQLite) */
		char decision_log[PATH_MAX]; /* "" : none */
		int sync_full;
	} store;
	struct {
		char webhook_url[1024];
		char alert_log[PATH_MAX];
	} alerts;
	struct {
		char file[PATH_MAX]; /* token vocabulary; "" : the built-in one */
	} tokens;
	struct {
		char url[1024];          /* "" : fleet mode off */
		char host_id[129];       /* "" : the host name */
		char creds_file[PATH_MAX];
		char token_file[PATH_MAX];
		char tls_ca[PATH_MAX];
		char stream_prefix[48];
		int replicas;
		char outbox[PATH_MAX];   /* "" : beside store.db_path */
	} fleet;
	struct config_submitter submitters[CONFIG_SUBMITTERS_MAX];
	size_t nsubmitters;
	struct {
		/* per enum verdict_level: oldest kept (seconds) and most kept; 0: no limit */
		long max_age_s[3];
		long max_count[3];
		int record_level;    /* enum verdict_level: lower decisions are not stored */
	} retention;
	/* [exceptions] allow_path = ..., deny_hash = ... (repeatable); NULL:
	 * none. Owned: the one pointer in here (config_free). */
	struct exceptions *exceptions;
};

void config_defaults(struct config *cfg);
/* Frees what *cfg owns (its exceptions); *cfg is then the defaults'. */
void config_free(struct config *cfg);
/* Parses path over the defaults into *cfg, which it replaces whole (free
 * the old one with config_free first). On error *cfg is untouched and
 * err names the file, line and key. Returns 0, -EINVAL or -errno. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
/* The same from a string (name is used in messages). */
int config_load_string(const char *text, const char *name, struct config *cfg, char *err,
		       size_t errlen);
/* Sets one key as the file would (command-line overrides), then checks
 * the whole: -EINVAL with a message naming section.key. */
int config_set(struct config *cfg, const char *section, const char *key, const char *value,
	       char *err, size_t errlen);
/* Command-line overrides: every pair is set, then the whole is checked
 * once (flags that only make sense together, like --listen-tcp and
 * --token-file, are given together). NULL values are skipped. On error
 * *cfg is untouched and err names the key. */
struct config_override {
	const char *section, *key, *value;
};
int config_apply_overrides(struct config *cfg, const struct config_override *ov, size_t n,
			   char *err, size_t errlen);
/* Checks the relations between keys (weights sum, thresholds order, TCP
 * needs a token file). */
int config_check(const struct config *cfg, char *err, size_t errlen);
/* The scorer's policy from [scoring] and [policy] (weights, thresholds,
 * uncertain windows): what the agent hands verdict_decide after a load or
 * a reload. */
void config_verdict_policy(const struct config *cfg, struct verdict_policy *p);
/* The i-th known key (section and name), for documentation checks;
 * -ENOENT past the last. */
int config_key(size_t i, const char **section, const char **name);
/* The i-th key of a [submitter.NAME] section; -ENOENT past the last. */
int config_submitter_key(size_t i, const char **name);
/* The submitter configured under name, or NULL. */
const struct config_submitter *config_submitter_find(const struct config *cfg, const char *name);
/* "127.0.0.1:9000" or "[::1]:9000" -> host (without brackets) and port. */
int config_split_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif
