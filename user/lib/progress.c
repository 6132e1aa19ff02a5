/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* TTY progress line: redrawn in place with \r, erased at the end. */
#include <stdio.h>
#include <unistd.h>
#include "lib/progress.h"
#include "lib/util.h"

void progress_begin(struct progress *p, const char *what, size_t total)
{
	p->what = what;
	p->total = total;
	p->last_ns = 0;
	p->tty = isatty(STDERR_FILENO);
}

void progress_update(struct progress *p, size_t done)
{
	uint64_t now;

	if (!p->tty)
		return;
	now = util_now_mono_ns();
	if (now - p->last_ns < 100000000ull && done != p->total)
		return;
	p->last_ns = now;
	if (p->total)
		fprintf(stderr, "\r%s: %zu/%zu (%zu%%)", p->what, done, p->total,
			done * 100 / p->total);
	else
		fprintf(stderr, "\r%s: %zu", p->what, done);
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->tty)
		fprintf(stderr, "\r\033[K");
}

void progress_label(struct progress *p, const char *what)
{
	progress_begin(p, what, 0);
	if (p->tty) {
		fprintf(stderr, "\r\033[K%s...", what);
		fflush(stderr);
	}
}

void progress_step(size_t done, void *arg)
{
	progress_update(arg, done);
}
