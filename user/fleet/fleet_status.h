/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The fleet as the server sees it, for `bpf-profiler fleet status`: hosts
 * from their heartbeats, each one's last decision, database stream
 * position and consumer lag. */
#ifndef BPFPROF_FLEET_STATUS_H
#define BPFPROF_FLEET_STATUS_H

#include <jansson.h>
#include <stddef.h>

struct fleet_status_opts {
	const char *url, *creds_file, *token_file, *tls_ca, *prefix;
};

/* {"stream": {"last_seq", "messages"}, "hosts": [{host, time, applied_seq,
 * lag, outbox, refused, quarantined, last_decision}, ...],
 * "quarantined": n}; err says why not (no server, no streams). */
int fleet_status_collect(const struct fleet_status_opts *o, json_t **out, char *err,
			 size_t errlen);

#endif
