/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Read-only: one connection, the hosts bucket, the database stream's state
 * and each host's durable consumer (its lag is what the server still holds
 * for it, so a host that is down shows how far behind it will start). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet_internal.h"
#include "fleet/fleet_status.h"
#include "lib/util.h"

static void add_consumer(jsCtx *js, const char *stream, json_t *h)
{
	const char *host = json_string_value(json_object_get(h, "host"));
	jsConsumerInfo *ci = NULL;

	if (host && js_GetConsumerInfo(&ci, js, stream, host, NULL, NULL) == NATS_OK) {
		json_object_set_new(h, "consumer_lag", json_integer((json_int_t)ci->NumPending));
		json_object_set_new(h, "consumer_acked", json_integer((json_int_t)ci->AckFloor.Stream));
	}
	jsConsumerInfo_Destroy(ci);
}

int fleet_status_collect(const struct fleet_status_opts *o, json_t **out, char *err,
			 size_t errlen)
{
	struct fleet f = { 0 };
	char bd[FLEET_NAME_MAX + 8], bucket[FLEET_NAME_MAX + 8], vb[FLEET_NAME_MAX + 16],
	     buf[256];
	jsStreamInfo *si = NULL;
	kvStore *kv = NULL, *verdicts = NULL;
	kvKeysList keys = { 0 };
	json_t *hosts = json_array();
	const char *prefix = o->prefix && *o->prefix ? o->prefix : FLEET_PREFIX_DEFAULT;
	natsStatus s;
	int ret;

	*out = NULL;
	snprintf(f.host, sizeof(f.host), "status");
	f.url = (char *)o->url;
	f.token_file = (char *)o->token_file;
	f.creds_file = (char *)o->creds_file;
	f.tls_ca = (char *)o->tls_ca;
	pthread_mutex_init(&f.lock, NULL);
	util_cond_init(&f.wake, CLOCK_MONOTONIC);
	ret = fleet_conn_open(&f, err, errlen);
	if (!ret && !atomic_load(&f.connected)) {
		snprintf(err, errlen, "no NATS server answers at %s", o->url);
		ret = -ECONNREFUSED;
	}
	snprintf(bd, sizeof(bd), "%s_BD", prefix);
	snprintf(bucket, sizeof(bucket), "%s_HOSTS", prefix);
	snprintf(vb, sizeof(vb), "%s_VERDICTS", prefix);
	if (!ret && (s = js_GetStreamInfo(&si, f.js, bd, NULL, NULL)) != NATS_OK) {
		snprintf(err, errlen, "stream %s: %s (has an agent with [fleet] run yet?)", bd,
			 fleet_nats_error(s, 0, buf, sizeof(buf)));
		ret = -ENOENT;
	}
	if (!ret && js_KeyValue(&kv, f.js, bucket) == NATS_OK &&
	    kvStore_Keys(&keys, kv, NULL) == NATS_OK) {
		for (int i = 0; i < keys.Count; i++) {
			kvEntry *e = NULL;
			json_t *h;

			if (kvStore_Get(&e, kv, keys.Keys[i]) != NATS_OK)
				continue;
			h = json_loadb(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), 0, NULL);
			kvEntry_Destroy(e);
			if (!json_is_object(h)) {
				json_decref(h);
				continue;
			}
			add_consumer(f.js, bd, h);
			json_array_append_new(hosts, h);
		}
	}
	if (!ret) {
		kvKeysList k2 = { 0 };
		int nq = 0;

		if (js_KeyValue(&verdicts, f.js, vb) == NATS_OK &&
		    kvStore_Keys(&k2, verdicts, NULL) == NATS_OK)
			nq = k2.Count;
		kvKeysList_Destroy(&k2);
		*out = json_pack("{s:{s:s, s:I, s:I}, s:O, s:i}", "stream", "name", bd,
				 "last_seq", (json_int_t)si->State.LastSeq,
				 "messages", (json_int_t)si->State.Msgs, "hosts", hosts,
				 "quarantined", nq);
	}
	kvKeysList_Destroy(&keys);
	kvStore_Destroy(kv);
	kvStore_Destroy(verdicts);
	jsStreamInfo_Destroy(si);
	json_decref(hosts);
	atomic_store(&f.stopping, true);
	fleet_conn_close(&f);
	pthread_mutex_destroy(&f.lock);
	pthread_cond_destroy(&f.wake);
	return ret;
}
