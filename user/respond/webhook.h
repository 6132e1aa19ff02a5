/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Alert delivery to the marketplace/user webhook: JSON POSTs with retries
 * and exponential backoff, from an outbox in SQLite, so an alert survives
 * an endpoint that is down and a restart of ours. */
#ifndef BPFPROF_WEBHOOK_H
#define BPFPROF_WEBHOOK_H

#include <jansson.h>
#include <stddef.h>

struct webhook;

/* url: http(s) endpoint; outbox: SQLite file (created). A worker thread
 * delivers in the background, starting with what an earlier run left. */
int webhook_open(const char *url, const char *outbox, struct webhook **out, char *err, size_t errlen);
/* Stops the worker after giving pending deliveries up to linger_ms; what
 * is still undelivered stays in the outbox for the next run. */
void webhook_close(struct webhook *wh, unsigned int linger_ms);
/* Stores the alert in the outbox (durably) and wakes the worker. */
int webhook_enqueue(struct webhook *wh, json_t *alert);
/* Alerts still waiting in the outbox, and delivered since open. */
int webhook_pending(struct webhook *wh);
unsigned long webhook_delivered(struct webhook *wh);

#endif
