/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A release is a delete in the fleet's verdict bucket: this agent's gate
 * lets the object through as soon as its main loop takes the change, every
 * other agent when its watcher sees the delete. */
#include <errno.h>
#include <string.h>
#include "agent/api_fleet.h"

static void quarantine_list(void *ctx, const struct api_request *req, struct api_response *resp)
{
	(void)req;
	api_reply_json(resp, 200, json_pack("{s:o}", "quarantined", fleet_quarantine_list(ctx)));
}

static void quarantine_release(void *ctx, const struct api_request *req, struct api_response *resp)
{
	int ret = fleet_release(ctx, req->arg);

	if (ret == -EINVAL)
		api_reply_error(resp, 400, "expected /v1/quarantine/SHA256 (64 lowercase hex digits)");
	else if (ret == -ENOENT)
		api_reply_error(resp, 404, "%s is not quarantined", req->arg);
	else if (ret)
		api_reply_error(resp, 500, "cannot release %s: %s", req->arg, strerror(-ret));
	else
		api_reply_json(resp, 200, json_pack("{s:s}", "released", req->arg));
}

static void status(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct fleet_stats s;
	json_t *pub = json_object();

	(void)req;
	fleet_stats(ctx, &s);
	for (int k = 0; k < 4; k++)
		json_object_set_new(pub, fleet_kind_name(k), json_integer((json_int_t)s.published[k]));
	api_reply_json(resp, 200, json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"host", fleet_host(ctx), "connected", s.connected,
		"applied_seq", (json_int_t)s.applied_seq, "lag", (json_int_t)s.lag,
		"applied_entries", (json_int_t)s.applied_entries,
		"refused_messages", (json_int_t)s.refused_messages,
		"outbox_depth", (json_int_t)s.outbox_depth,
		"quarantined", (json_int_t)s.quarantined, "published", pub));
}

void api_fleet_routes(struct fleet *f, struct api_route *r)
{
	r[0] = (struct api_route){ .method = "GET", .path = "/v1/quarantine", .fn = quarantine_list,
				   .ctx = f };
	r[1] = (struct api_route){ .method = "DELETE", .path = "/v1/quarantine/", .prefix = 1,
				   .fn = quarantine_release, .ctx = f };
	r[2] = (struct api_route){ .method = "GET", .path = "/v1/fleet", .fn = status, .ctx = f };
}
