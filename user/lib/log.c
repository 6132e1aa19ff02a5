/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Diagnostics to stderr (the journal, under systemd), one line each,
 * prefixed with the program name. */
#include <stdarg.h>
#include <stdio.h>
#include "lib/log.h"

static enum log_level current_level = LOG_LVL_WARN;

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > current_level)
		return;
	fprintf(stderr, "bpf-profiler: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
