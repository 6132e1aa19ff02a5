/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Diagnostics to stderr (the journal, under systemd), one line each,
 * prefixed with the program name and the true level: an informational
 * line says info, never warning. The level is coloured only on a terminal
 * and never when NO_COLOR is set (https://no-color.org). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/log.h"

static enum log_level current_level = LOG_LVL_WARN;

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

bool log_color_wanted(int fd)
{
	const char *no = getenv("NO_COLOR");

	return !(no && *no) && isatty(fd);
}

const char *log_level_name(enum log_level level)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	return level <= LOG_LVL_DEBUG ? names[level] : "?";
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const colors[] = { "\033[1;31m", "\033[1;33m", "", "\033[2m" };
	bool color = log_color_wanted(STDERR_FILENO) && colors[level][0];
	va_list ap;

	if (level > current_level)
		return;
	fprintf(stderr, "bpf-profiler: %s%s%s: ", color ? colors[level] : "", log_level_name(level),
		color ? "\033[0m" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
