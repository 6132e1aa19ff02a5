/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A complete, schema-valid decision for the store and API tests. */
#ifndef BPFPROF_TEST_DECISION_SAMPLE_H
#define BPFPROF_TEST_DECISION_SAMPLE_H

#include <stdint.h>
#include <jansson.h>
#include "lib/timefmt.h"

static inline json_t *decision_sample(int64_t time_ns, const char *level, double risk,
				      const char *path)
{
	char ts[TIMEFMT_RFC3339_LEN];

	timefmt_format_rfc3339(time_ns, ts, sizeof(ts));
	return json_pack(
		"{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:n,"
		" s:{s:[s,s,s], s:[s], s:[s], s:b, s:i},"
		" s:{s:f, s:f, s:n}, s:{s:f, s:f, s:f}, s:f, s:s,"
		" s:[{s:i, s:[s,s,s], s:f, s:f, s:f, s:s}],"
		" s:[{s:s, s:s, s:{s:s, s:s}, s:f}], s:[{s:s, s:s, s:f}], s:s, s:s}",
		"time", ts, "verdict_point", "return", "pid", 4242, "tid", 4243,
		"comm", "dropper", "exe", "/usr/bin/dropper", "path", path, "sha256",
		"window", "lookback", "connect:inet", "openat:write", "mprotect:exec",
		"load", "mmap:exec_file", "follow", "execve", "uncertain", 0, "lost_events", 0,
		"components", "sequence", risk, "source", 0.5, "dcam",
		"weights", "sequence", 0.5, "source", 0.25, "dcam", 0.25,
		"risk", risk, "level", level,
		"matches", "entry_id", 7, "ngram", "connect:inet", "openat:write", "mprotect:exec",
		"similarity", 1.0, "risk_score", 0.9, "confidence", 0.8, "label", "malicious",
		"findings", "category", "network", "what", "connect", "where", "entry", "evil_init",
		"entry_kind", "init_array",
		"weight", 0.3,
		"reputation_reasons", "code", "tmp_dir", "detail", "loaded from /tmp", "weight", 0.5,
		"action", "quarantine", "backend", "signal");
}

#endif
