/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Alerts for high-risk decisions (schemas/alert.schema.json): one JSON line
 * each in the local alert log. */
#ifndef BPFPROF_ALERT_H
#define BPFPROF_ALERT_H

#include <jansson.h>
#include "pipeline/window.h"
#include "score/scorer.h"

struct mitigation;

/* The alert record for a judged window and what was done about it. */
json_t *alert_build(const struct window *w, const struct scorer_result *r,
		    const struct mitigation *m);
/* Appends the alert as one line (O_APPEND, fsync'ed). Returns 0 or -errno. */
int alert_log_append(const char *log_path, json_t *alert);

#endif
