/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* RFC 3339 timestamps and the `since` expressions of the API and CLI.
 * Times are int64 nanoseconds since the epoch (UTC) everywhere inside. */
#ifndef BPFPROF_TIMEFMT_H
#define BPFPROF_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-27T07:21:35Z", "...35.123456789+02:00" (T or t or space; Z or
 * z or a numeric offset). Returns 0 or -EINVAL (also for a time nanoseconds
 * in 64 bits cannot hold: before 1678 or after 2261). */
int timefmt_parse_rfc3339(const char *s, int64_t *ns);
/* Formats as "2026-11-27T07:21:35.123456Z" (UTC, microseconds) into buf
 * (at least TIMEFMT_RFC3339_LEN bytes). */
#define TIMEFMT_RFC3339_LEN 32
void timefmt_format_rfc3339(int64_t ns, char *buf, size_t len);
/* A `since` bound: an RFC 3339 time, a relative age ("90s", "15m", "2h",
 * "7d": that long before now_ns) or integer seconds since the epoch. */
int timefmt_parse_since(const char *s, int64_t now_ns, int64_t *ns);

#endif
