/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Why a cap and a queue rather than a refusal: an untrusted submitter's
 * malicious entries still help (capped, they cannot outweigh curated
 * evidence), while the one thing that can hide an attack, pulling a risk
 * down, needs a person. A flood is slowed by a token bucket per
 * submitter (rate per minute, burst of one minute's worth). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "behaviors/bdentry.h"
#include "fleet/fleet_trust.h"
#include "lib/util.h"

struct trusted {
	char *name;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	double trust;
	int rate, max_entries;
	double bucket;       /* entries that may come now */
	uint64_t refill_ns;  /* when the bucket was last topped up */
};

struct fleet_trust {
	struct trusted *s;
	size_t n;
	pthread_mutex_t lock; /* the buckets */
};

void fleet_trust_free(struct fleet_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i].name);
	free(t->s);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int fleet_trust_new(const struct fleet_trust_submitter *subs, size_t n, struct fleet_trust **out,
		    char *err, size_t errlen)
{
	struct fleet_trust *t = calloc(1, sizeof(*t));

	if (!t || !(t->s = calloc(n ? n : 1, sizeof(*t->s)))) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	for (size_t i = 0; i < n; i++) {
		struct trusted *s = &t->s[i];
		char *buf;
		size_t len;
		int ret = util_read_file(subs[i].token_file, 4096, &buf, &len);

		if (ret) {
			snprintf(err, errlen, "submitter.%s.token_file %s: %s", subs[i].name,
				 subs[i].token_file, strerror(-ret));
			fleet_trust_free(t);
			return ret;
		}
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
			buf[--len] = '\0';
		if (len < 16) {
			snprintf(err, errlen, "submitter.%s.token_file %s: the token must be at least "
				 "16 characters", subs[i].name, subs[i].token_file);
			OPENSSL_cleanse(buf, len);
			free(buf);
			fleet_trust_free(t);
			return -EINVAL;
		}
		SHA256((unsigned char *)buf, len, s->digest);
		OPENSSL_cleanse(buf, len);
		free(buf);
		s->name = strdup(subs[i].name);
		s->trust = subs[i].trust;
		s->rate = subs[i].rate;
		s->max_entries = subs[i].max_entries;
		s->bucket = s->rate;
		s->refill_ns = util_now_mono_ns();
		t->n = i + 1;
		if (!s->name) {
			fleet_trust_free(t);
			return -ENOMEM;
		}
	}
	*out = t;
	return 0;
}

static struct trusted *find(struct fleet_trust *t, const char *who)
{
	for (size_t i = 0; who && i < t->n; i++)
		if (!strcmp(t->s[i].name, who))
			return &t->s[i];
	return NULL;
}

const char *fleet_trust_who(struct fleet_trust *t, const char *token)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	const char *who = NULL;

	SHA256((const unsigned char *)token, strlen(token), d);
	/* every digest is compared, so the time says nothing about which matched */
	for (size_t i = 0; i < t->n; i++)
		if (!CRYPTO_memcmp(d, t->s[i].digest, sizeof(d)))
			who = t->s[i].name;
	return who;
}

double fleet_trust_level(struct fleet_trust *t, const char *who)
{
	struct trusted *s = find(t, who);

	return s ? s->trust : 1.0;
}

int fleet_trust_admit(struct fleet_trust *t, const char *who, size_t n, unsigned int *retry_s,
		      char *err, size_t errlen)
{
	struct trusted *s = find(t, who);
	uint64_t now = util_now_mono_ns();
	int ret = 0;

	*retry_s = 0;
	if (!s)
		return 0;
	if (s->max_entries && n > (size_t)s->max_entries) {
		snprintf(err, errlen, "submitter %s may send at most %d entries at once, not %zu",
			 s->name, s->max_entries, n);
		return -E2BIG;
	}
	if (!s->rate)
		return 0;
	pthread_mutex_lock(&t->lock);
	s->bucket = fmin(s->rate, s->bucket + (double)(now - s->refill_ns) / 60e9 * s->rate);
	s->refill_ns = now;
	if ((double)n > s->bucket) {
		*retry_s = (unsigned int)ceil(((double)n - s->bucket) * 60.0 / s->rate);
		snprintf(err, errlen, "submitter %s is over its rate of %d entries a minute; retry "
			 "in %u s", s->name, s->rate, *retry_s);
		ret = -EAGAIN;
	} else {
		s->bucket -= (double)n;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* The highest risk the database holds for this sequence text, or -1. */
static double held_risk(struct bdstore *st, const char *sequence)
{
	double r = -1;

	bdstore_max_risk(st, sequence, &r);
	return r;
}

int fleet_trust_screen(struct fleet_trust *t, const char *who, struct bdstore *st, json_t *sub,
		       json_t **held)
{
	struct trusted *s = find(t, who);
	json_t *entries = json_object_get(sub, "entries"), *keep, *it;
	size_t i;

	*held = json_array();
	if (!*held)
		return -ENOMEM;
	if (!s || s->trust >= 1.0)
		return 0;
	keep = json_array();
	json_array_foreach(entries, i, it) {
		struct bd_entry e;
		const char *why = NULL;
		double known;

		if (bdentry_from_json(it, BDENTRY_SUBMISSION, "entry", &e, NULL, 0)) {
			json_array_append(keep, it); /* bd_submit refuses it, by name */
			continue;
		}
		if (e.confidence > s->trust)
			json_object_set_new(it, "confidence", json_real(s->trust));
		known = held_risk(st, e.sequence);
		if (e.label == BD_LABEL_GOOD)
			why = "a good entry from a submitter below full trust";
		else if (known >= 0 && e.risk < known)
			why = "a risk below the database's for this sequence, from a submitter "
			      "below full trust";
		if (why)
			json_array_append_new(*held, json_pack("{s:O, s:s}", "entry", it, "reason", why));
		else
			json_array_append(keep, it);
		bdentry_clear(&e);
	}
	json_object_set_new(sub, "entries", keep);
	return 0;
}
