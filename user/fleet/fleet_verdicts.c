/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Quarantined hashes are keys of a JetStream key-value bucket: a put
 * quarantines on every host, a delete releases. A watcher thread keeps a
 * mirror of the bucket (for the API) and queues each change; the agent's
 * main loop takes the queue and updates its scorer, which it alone owns,
 * so the gate never races a writer. Puts and deletes go out through the
 * outbox, so a quarantine decided with NATS down still reaches the fleet. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet_internal.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/jsonout.h"

#define WATCH_WAIT_MS 1000

static bool is_sha256(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n == 64;
}

/* Under f->lock. */
static void queue(struct fleet *f, const char *sha, bool quarantined)
{
	if (f->nchanges == f->capchanges) {
		size_t cap = f->capchanges ? 2 * f->capchanges : 64;
		struct fleet_verdict_change *n = realloc(f->changes, cap * sizeof(*n));

		if (!n) {
			log_error("fleet: out of memory queueing the verdict on %s", sha);
			return;
		}
		f->changes = n;
		f->capchanges = cap;
	}
	snprintf(f->changes[f->nchanges].sha256, sizeof(f->changes->sha256), "%s", sha);
	f->changes[f->nchanges++].quarantined = quarantined;
}

/* Under f->lock: the mirror and the queue. */
static void seen(struct fleet *f, const char *sha, json_t *value)
{
	bool had = json_object_get(f->quarantine, sha) != NULL;

	if (value) {
		json_object_set_new(f->quarantine, sha, value);
		if (!had)
			queue(f, sha, true);
	} else if (had) {
		json_object_del(f->quarantine, sha);
		queue(f, sha, false);
	}
}

size_t fleet_verdicts_take(struct fleet *f,
			   void (*fn)(void *ctx, const char *sha256, bool quarantined), void *ctx)
{
	struct fleet_verdict_change *c;
	size_t n, held;

	pthread_mutex_lock(&f->lock);
	c = f->changes;
	n = f->nchanges;
	held = json_object_size(f->quarantine);
	f->changes = NULL;
	f->nchanges = f->capchanges = 0;
	pthread_mutex_unlock(&f->lock);
	for (size_t i = 0; i < n; i++)
		fn(ctx, c[i].sha256, c[i].quarantined);
	free(c);
	/* counted once handed over: what the gate enforces, not what the
	 * watcher has seen (a caller waiting on the count would otherwise
	 * race the main loop's next take) */
	atomic_store(&f->quarantined_n, held);
	return n;
}

int fleet_quarantine(struct fleet *f, const char *sha256, const json_t *why)
{
	char subject[FLEET_NAME_MAX + 96], when[TIMEFMT_RFC3339_LEN], *body;
	json_t *v;
	int ret;

	if (!is_sha256(sha256))
		return -EINVAL;
	timefmt_format_rfc3339((int64_t)util_now_real_ns(), when, sizeof(when));
	v = json_pack("{s:s, s:s}", "host", f->host, "time", when);
	if (!v)
		return -ENOMEM;
	if (why)
		for (const char *const *k = (const char *const[]){ "id", "path", "level", "risk",
								    "action", NULL }; *k; k++)
			if (json_object_get(why, *k))
				json_object_set(v, !strcmp(*k, "id") ? "decision_id" : *k,
						json_object_get(why, *k));
	body = json_dumps(v, JSONOUT_FLAGS);
	snprintf(subject, sizeof(subject), "$KV.%s.%s", f->bucket_verdicts, sha256);
	ret = body ? fleet_outbox_put(f, FLEET_KIND_VERDICT, subject, body, false) : -ENOMEM;
	free(body);
	if (!ret) {
		pthread_mutex_lock(&f->lock);
		seen(f, sha256, json_incref(v));
		pthread_mutex_unlock(&f->lock);
	}
	json_decref(v);
	return ret;
}

int fleet_release(struct fleet *f, const char *sha256)
{
	char subject[FLEET_NAME_MAX + 96];
	bool had;
	int ret;

	if (!is_sha256(sha256))
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	had = json_object_get(f->quarantine, sha256) != NULL;
	pthread_mutex_unlock(&f->lock);
	if (!had)
		return -ENOENT;
	snprintf(subject, sizeof(subject), "$KV.%s.%s", f->bucket_verdicts, sha256);
	ret = fleet_outbox_put(f, FLEET_KIND_VERDICT, subject, "", true);
	if (!ret) {
		pthread_mutex_lock(&f->lock);
		seen(f, sha256, NULL);
		pthread_mutex_unlock(&f->lock);
	}
	return ret;
}

json_t *fleet_quarantine_list(struct fleet *f)
{
	json_t *out = json_array(), *v;
	const char *k;

	pthread_mutex_lock(&f->lock);
	json_object_foreach(f->quarantine, k, v) {
		json_t *item = json_deep_copy(v);

		json_object_set_new(item, "sha256", json_string(k));
		json_array_append_new(out, item);
	}
	pthread_mutex_unlock(&f->lock);
	return out;
}

static void on_entry(struct fleet *f, kvEntry *e)
{
	const char *key = kvEntry_Key(e);
	kvOperation op = kvEntry_Operation(e);
	json_t *v = NULL;

	if (!key || !is_sha256(key)) {
		log_warn("fleet: verdict bucket %s: key '%.80s' is not a SHA-256, ignored",
			 f->bucket_verdicts, key ? key : "");
		return;
	}
	if (op == kvOp_Put) {
		v = json_loadb(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), 0, NULL);
		if (!json_is_object(v)) {
			json_decref(v);
			v = json_object(); /* a bare put quarantines all the same */
		}
	}
	pthread_mutex_lock(&f->lock);
	seen(f, key, v);
	pthread_mutex_unlock(&f->lock);
}

void *fleet_verdicts_main(void *arg)
{
	struct fleet *f = arg;
	kvStore *kv = NULL;
	kvWatcher *w = NULL;
	uint64_t gen = 0;

	while (!atomic_load(&f->stopping)) {
		kvEntry *e = NULL;
		natsStatus s;

		if (!atomic_load(&f->ready)) {
			fleet_pause(f, 200, false);
			continue;
		}
		if (w && gen != atomic_load(&f->generation)) {
			kvWatcher_Destroy(w);
			kvStore_Destroy(kv);
			w = NULL;
			kv = NULL;
		}
		if (!w) {
			gen = atomic_load(&f->generation);
			s = js_KeyValue(&kv, f->js, f->bucket_verdicts);
			if (s == NATS_OK)
				s = kvStore_WatchAll(&w, kv, NULL);
			if (s != NATS_OK) {
				kvStore_Destroy(kv);
				kv = NULL;
				w = NULL;
				fleet_pause(f, FLEET_RETRY_MS, false);
				continue;
			}
		}
		s = kvWatcher_Next(&e, w, WATCH_WAIT_MS);
		if (s == NATS_TIMEOUT)
			continue;
		if (s != NATS_OK) {
			kvWatcher_Destroy(w);
			kvStore_Destroy(kv);
			w = NULL;
			kv = NULL;
			fleet_pause(f, FLEET_RETRY_MS / 4, false);
			continue;
		}
		if (e)  /* NULL: the bucket's current values have all been seen */
			on_entry(f, e);
		kvEntry_Destroy(e);
	}
	kvWatcher_Destroy(w);
	kvStore_Destroy(kv);
	return NULL;
}
