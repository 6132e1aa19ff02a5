/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The NATS connection: it retries forever in libnats' background (a server
 * down at start or later is not an error; the outbox waits), and the agent
 * creates the streams and buckets it needs if its account may (else an
 * operator created them: docs/fleet.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet/fleet_internal.h"
#include "lib/log.h"
#include "lib/util.h"

#define DAY_NS (86400ll * 1000000000ll)

const char *fleet_nats_error(natsStatus s, jsErrCode jerr, char *buf, size_t len)
{
	const char *last = nats_GetLastError(NULL);

	if (jerr)
		snprintf(buf, len, "%s (JetStream error %d)", last && *last ? last :
			 natsStatus_GetText(s), (int)jerr);
	else
		snprintf(buf, len, "%s", last && *last ? last : natsStatus_GetText(s));
	return buf;
}

void fleet_pause(struct fleet *f, unsigned int ms, bool kickable)
{
	struct timespec until;

	pthread_mutex_lock(&f->lock);
	until = util_timespec(util_now_mono_ns() + (uint64_t)ms * 1000000);
	while (!atomic_load(&f->stopping) && !(kickable && f->kicked) &&
	       pthread_cond_timedwait(&f->wake, &f->lock, &until) == 0)
		;
	pthread_mutex_unlock(&f->lock);
}

static void on_disconnected(natsConnection *nc, void *arg)
{
	struct fleet *f = arg;

	(void)nc;
	atomic_store(&f->connected, false);
	atomic_store(&f->ready, false);
	if (!atomic_load(&f->stopping))
		log_warn("fleet: disconnected from NATS; deciding and storing locally, the outbox waits");
}

static void on_connected(natsConnection *nc, void *arg)
{
	struct fleet *f = arg;
	char url[256] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	atomic_fetch_add(&f->generation, 1);
	atomic_store(&f->connected, true);
	log_warn("fleet: connected to %s as host %s", url, f->host);
	fleet_kick(f);
}

static int read_token(const char *path, char **out, char *err, size_t errlen)
{
	size_t len;
	int ret = util_read_file(path, 4096, out, &len);

	if (ret) {
		snprintf(err, errlen, "fleet.token_file %s: %s", path, strerror(-ret));
		return ret;
	}
	while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' || (*out)[len - 1] == ' '))
		(*out)[--len] = '\0';
	if (!len) {
		snprintf(err, errlen, "fleet.token_file %s: empty", path);
		free(*out);
		return -EINVAL;
	}
	return 0;
}

/* "nats://a:4222, tls://b:4222" -> servers[] (pointers into buf). */
static int split_urls(char *buf, const char **servers, int max, bool *tls)
{
	int n = 0;

	*tls = false;
	for (char *save = NULL, *u = strtok_r(buf, ", ", &save); u; u = strtok_r(NULL, ", ", &save)) {
		if (strncmp(u, "nats://", 7) && strncmp(u, "tls://", 6))
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		*tls |= !strncmp(u, "tls://", 6);
		servers[n++] = u;
	}
	return n ? n : -EINVAL;
}

int fleet_conn_open(struct fleet *f, char *err, size_t errlen)
{
	natsOptions *opts = NULL;
	const char *servers[16];
	char *urls = strdup(f->url), *token = NULL, name[160], buf[256];
	bool tls;
	int n, ret = -EINVAL;
	natsStatus s;

	if (!urls)
		return -ENOMEM;
	n = split_urls(urls, servers, 16, &tls);
	if (n < 0) {
		snprintf(err, errlen, "fleet.url: '%s' is not a list of up to 16 nats:// or tls:// URLs",
			 f->url);
		goto out;
	}
	if (f->token_file && (ret = read_token(f->token_file, &token, err, errlen)))
		goto out;
	ret = -EINVAL;
	snprintf(name, sizeof(name), "bpf-profiler %s", f->host);
	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = natsOptions_SetServers(opts, servers, n);
	if (s == NATS_OK)
		s = natsOptions_SetName(opts, name);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, 500);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, f);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(opts, on_connected, f);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(opts, on_disconnected, f);
	if (s == NATS_OK && token)
		s = natsOptions_SetToken(opts, token);
	if (s == NATS_OK && f->creds_file)
		s = natsOptions_SetUserCredentialsFromFiles(opts, f->creds_file, NULL);
	if (s == NATS_OK && (tls || f->tls_ca))
		s = natsOptions_SetSecure(opts, true);
	if (s == NATS_OK && f->tls_ca &&
	    (s = natsOptions_LoadCATrustedCertificates(opts, f->tls_ca)) != NATS_OK) {
		snprintf(err, errlen, "fleet.tls_ca %s: %s", f->tls_ca,
			 fleet_nats_error(s, 0, buf, sizeof(buf)));
		goto out;
	}
	if (s != NATS_OK) {
		snprintf(err, errlen, "fleet: NATS options: %s", fleet_nats_error(s, 0, buf, sizeof(buf)));
		goto out;
	}
	s = natsConnection_Connect(&f->nc, opts);
	if (s == NATS_OK)
		on_connected(f->nc, f);
	else if (s != NATS_NOT_YET_CONNECTED) {
		snprintf(err, errlen, "fleet: connecting to %s: %s", f->url,
			 fleet_nats_error(s, 0, buf, sizeof(buf)));
		goto out;
	} else {
		log_warn("fleet: NATS at %s not reachable yet; retrying in the background", f->url);
	}
	s = natsConnection_JetStream(&f->js, f->nc, NULL);
	if (s != NATS_OK) {
		snprintf(err, errlen, "fleet: JetStream context: %s", fleet_nats_error(s, 0, buf, sizeof(buf)));
		goto out;
	}
	ret = 0;
out:
	natsOptions_Destroy(opts);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	free(urls);
	return ret;
}

void fleet_conn_close(struct fleet *f)
{
	jsCtx_Destroy(f->js);
	f->js = NULL;
	if (f->nc) {
		natsConnection_Close(f->nc);
		natsConnection_Destroy(f->nc);
	}
	f->nc = NULL;
}

static int ensure_stream(struct fleet *f, const char *name, const char *subject, int64_t max_age,
			 int64_t dup_window)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	char buf[256];
	natsStatus s = js_GetStreamInfo(&si, f->js, name, NULL, &jerr);

	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (s != NATS_NOT_FOUND) {
		log_warn("fleet: stream %s: %s", name, fleet_nats_error(s, jerr, buf, sizeof(buf)));
		return -EIO;
	}
	jsStreamConfig_Init(&sc);
	sc.Name = name;
	sc.Subjects = (const char *[]){ subject };
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	sc.Retention = js_LimitsPolicy;
	sc.MaxAge = max_age;
	sc.MaxMsgSize = FLEET_MSG_MAX;
	sc.Duplicates = dup_window;
	sc.Replicas = f->o.replicas > 0 ? f->o.replicas : 1;
	s = js_AddStream(&si, f->js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK) {
		log_warn("fleet: cannot create stream %s: %s", name,
			 fleet_nats_error(s, jerr, buf, sizeof(buf)));
		return -EIO;
	}
	log_info("fleet: created stream %s (%s)", name, subject);
	return 0;
}

static int ensure_bucket(struct fleet *f, const char *bucket)
{
	kvStore *kv = NULL;
	kvConfig kc;
	char buf[256];
	natsStatus s = js_KeyValue(&kv, f->js, bucket);

	if (s == NATS_OK) {
		kvStore_Destroy(kv);
		return 0;
	}
	kvConfig_Init(&kc);
	kc.Bucket = bucket;
	kc.History = 1;
	kc.StorageType = js_FileStorage;
	kc.Replicas = f->o.replicas > 0 ? f->o.replicas : 1;
	s = js_CreateKeyValue(&kv, f->js, &kc);
	kvStore_Destroy(kv);
	if (s != NATS_OK) {
		log_warn("fleet: cannot create bucket %s: %s", bucket,
			 fleet_nats_error(s, 0, buf, sizeof(buf)));
		return -EIO;
	}
	return 0;
}

int fleet_conn_setup(struct fleet *f)
{
	char subj[3][FLEET_NAME_MAX + 32];

	snprintf(subj[0], sizeof(subj[0]), "%s.bd.>", f->prefix);
	snprintf(subj[1], sizeof(subj[1]), "%s.decisions.>", f->prefix);
	snprintf(subj[2], sizeof(subj[2]), "%s.alerts.>", f->prefix);
	/* the database is the log: kept whole; decisions and alerts age out */
	if (ensure_stream(f, f->stream_bd, subj[0], 0, 10 * 60 * 1000000000ll) ||
	    ensure_stream(f, f->stream_decisions, subj[1], 30 * DAY_NS, 10 * 60 * 1000000000ll) ||
	    ensure_stream(f, f->stream_alerts, subj[2], 90 * DAY_NS, 10 * 60 * 1000000000ll) ||
	    ensure_bucket(f, f->bucket_verdicts) || ensure_bucket(f, f->bucket_hosts))
		return -EIO;
	return 0;
}
