/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A one-line progress counter on stderr, drawn only when stderr is a TTY and
 * at most every 100 ms, so long imports, learning and evals show life. */
#ifndef BPFPROF_PROGRESS_H
#define BPFPROF_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress {
	const char *what;
	size_t total;
	uint64_t last_ns;
	bool tty;
};

void progress_begin(struct progress *p, const char *what, size_t total);
void progress_update(struct progress *p, size_t done);
void progress_end(struct progress *p);
/* A step with nothing to count (a compression, an index build): its name
 * stays on the line until the next begin, label or end. */
void progress_label(struct progress *p, const char *what);
/* progress_update as a callback: arg is the struct progress. */
void progress_step(size_t done, void *arg);

#endif
