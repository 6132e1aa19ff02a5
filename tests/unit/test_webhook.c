/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Alert delivery: a real HTTP endpoint on loopback (a small server in a
 * thread), retries with backoff, and an outbox that survives a restart. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "http_endpoint.h"
#include "respond/webhook.h"

static bool wait_delivered(struct webhook *wh, unsigned long n, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (webhook_delivered(wh) >= n)
			return true;
		usleep(20000);
	}
	return webhook_delivered(wh) >= n;
}

static void outbox_path(char *p, size_t len)
{
	snprintf(p, len, "/tmp/bpfprof-test-outbox-%d-%ld.sqlite", (int)getpid(), random());
}

static void remove_outbox(const char *p)
{
	char side[300];

	unlink(p);
	snprintf(side, sizeof(side), "%s-wal", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p);
	unlink(side);
}

Test(webhook, delivers_an_alert_to_a_local_endpoint)
{
	struct endpoint ep = { 0 };
	struct webhook *wh;
	char url[64], outbox[128], err[256];
	json_t *alert = json_pack("{s:s, s:s}", "type", "alert", "path", "/dev/shm/x.so");

	endpoint_start(&ep, 0);
	outbox_path(outbox, sizeof(outbox));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/alerts", ep.port);
	cr_assert_eq(webhook_open(url, outbox, &wh, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(webhook_enqueue(wh, alert), 0);
	cr_assert(wait_delivered(wh, 1, 3000), "not delivered");
	cr_assert(strstr(ep.last_body, "\"/dev/shm/x.so\""), "body: %s", ep.last_body);
	cr_assert_eq(webhook_pending(wh), 0);
	webhook_close(wh, 0);
	endpoint_stop(&ep);
	json_decref(alert);
	remove_outbox(outbox);
}

Test(webhook, retries_with_backoff_until_the_endpoint_recovers)
{
	struct endpoint ep = { .fail_first = 2 };
	struct webhook *wh;
	char url[64], outbox[128], err[256];
	json_t *alert = json_pack("{s:s}", "type", "alert");

	endpoint_start(&ep, 0);
	outbox_path(outbox, sizeof(outbox));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ep.port);
	cr_assert_eq(webhook_open(url, outbox, &wh, err, sizeof(err)), 0, "%s", err);
	webhook_enqueue(wh, alert);
	cr_assert(wait_delivered(wh, 1, 15000), "not delivered after the endpoint recovered (%d requests)",
		  atomic_load(&ep.requests));
	cr_assert_eq(atomic_load(&ep.requests), 3, "two 503s, then success");
	webhook_close(wh, 0);
	endpoint_stop(&ep);
	json_decref(alert);
	remove_outbox(outbox);
}

Test(webhook, undelivered_alerts_survive_a_restart)
{
	struct endpoint probe = { 0 }, ep = { 0 };
	struct webhook *wh;
	char url[64], outbox[128], err[256];
	json_t *alert = json_pack("{s:s}", "type", "alert");
	int port;

	/* a port nobody listens on, for now */
	endpoint_start(&probe, 0);
	port = probe.port;
	endpoint_stop(&probe);
	outbox_path(outbox, sizeof(outbox));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	cr_assert_eq(webhook_open(url, outbox, &wh, err, sizeof(err)), 0, "%s", err);
	webhook_enqueue(wh, alert);
	webhook_close(wh, 200);

	endpoint_start(&ep, port);
	cr_assert_eq(webhook_open(url, outbox, &wh, err, sizeof(err)), 0, "%s", err);
	cr_assert(wait_delivered(wh, 1, 3000), "the outbox did not deliver after restart");
	cr_assert_eq(webhook_pending(wh), 0);
	webhook_close(wh, 0);
	endpoint_stop(&ep);
	json_decref(alert);
	remove_outbox(outbox);
}

Test(webhook, rejects_urls_that_are_not_http)
{
	struct webhook *wh;
	char err[256];

	cr_assert_eq(webhook_open("ftp://x/", "/tmp/unused.sqlite", &wh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "http"), "%s", err);
}
