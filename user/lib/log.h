/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* One place that prints diagnostics: libraries return -errno and the
 * boundary that can act on an error logs it once, through here. */
#ifndef BPFPROF_LOG_H
#define BPFPROF_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warning", "info", "debug". */
const char *log_level_name(enum log_level level);
/* Whether output on fd may be coloured: a terminal, and NO_COLOR unset or
 * empty (https://no-color.org). */
bool log_color_wanted(int fd);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
