/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Source reputation: how far to trust where a loaded object comes from, as a
 * risk 0 (trusted origin) .. 1 (untrusted), explained by reasons with short
 * machine-readable codes. Formula: docs/scoring.md. */
#ifndef BPFPROF_REPUTATION_H
#define BPFPROF_REPUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>

struct exceptions;

struct reputation_input {
	const char *path;      /* as the loader saw it; may be "/memfd:x (deleted)" */
	int fd;                /* the object's fd, or -1 */
	const struct stat *st; /* its fstat; NULL: taken from fd, else path */
	/* the object's identity as the kernel saw it mapped (0: unknown):
	 * checks a path resolved on the host once the process has gone */
	dev_t dev;
	ino_t ino;
	pid_t pid;             /* loading process; paths resolve in its root (0: ours);
				* once it has exited, on the host, if the identity holds */
	uid_t uid;             /* its uid */
	/* the loading thread opened this very file for writing just before
	 * (its lookback), this long before the load */
	bool written_by_loader;
	double written_ms_before;
	const char *sha256_hex;                /* NULL when unknown */
	const struct exceptions *exceptions;   /* path and hash rules decide; NULL: none */
	time_t now;            /* 0: time(NULL) */
};

#define REPUTATION_MAX_REASONS 16

struct reputation_reason {
	const char *code;  /* "package_owned", "path_tmp", ... (docs/scoring.md) */
	char detail[160];  /* for a person: package name, directory, age */
	double weight;     /* added to the prior; +-1 for list matches */
};

struct reputation_result {
	double score;
	size_t n_reasons;
	struct reputation_reason reasons[REPUTATION_MAX_REASONS];
};

/* Returns 0 (always fills out) or -EINVAL without a path. */
int reputation_score(const struct reputation_input *in, struct reputation_result *out);
/* {"score": ..., "reasons": [{"code", "detail", "weight"}, ...]} */
json_t *reputation_result_to_json(const struct reputation_result *r);

#endif
