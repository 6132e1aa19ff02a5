/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Alerts for high-risk decisions (schemas/alert.schema.json): one JSON line
 * each in the local alert log. */
#ifndef BPFPROF_ALERT_H
#define BPFPROF_ALERT_H

#include <jansson.h>
#include "score/verdict.h"
#include "pipeline/window.h"

/* The alert record for a judged window. */
json_t *alert_build(const struct window *w, const struct verdict *v, json_t *details,
		    const char *action, const char *backend);
/* Appends the alert as one line (O_APPEND, fsync'ed). Returns 0 or -errno. */
int alert_log_append(const char *log_path, json_t *alert);

#endif
