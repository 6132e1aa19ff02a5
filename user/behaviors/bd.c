/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Submission handling: validate everything before the first write, one
 * transaction for the store, then the index (which cannot half-apply an
 * entry). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/bd.h"
#include "behaviors/bddefault.h"
#include "behaviors/bdsnapshot.h"

int bd_submit(struct bdstore *st, struct bdindex *idx, struct tokens *tok, const json_t *sub,
	      json_t **result, char *err, size_t errlen)
{
	const json_t *entries = json_object_get(sub, "entries"), *it, *submitter;
	struct bd_entry *e = NULL;
	size_t i, n = 0;
	const char *k;
	json_t *v, *ids;
	int ret = 0;

	if (result)
		*result = NULL;
	if (!json_is_object(sub)) {
		snprintf(err, errlen, "submission: must be an object {submitter, entries}");
		return -EINVAL;
	}
	json_object_foreach((json_t *)sub, k, v)
		if (strcmp(k, "submitter") && strcmp(k, "entries")) {
			snprintf(err, errlen, "%.60s: unknown field (allowed: submitter, entries)", k);
			return -EINVAL;
		}
	submitter = json_object_get(sub, "submitter");
	if (!json_is_string(submitter) || !json_string_length(submitter) ||
	    json_string_length(submitter) > BDENTRY_STR_MAX) {
		snprintf(err, errlen, "submitter: must be a non-empty string");
		return -EINVAL;
	}
	if (!json_is_array(entries) || !json_array_size(entries) ||
	    json_array_size(entries) > BD_SUBMIT_MAX_ENTRIES) {
		snprintf(err, errlen, "entries: must be an array of 1..%d entries",
			 BD_SUBMIT_MAX_ENTRIES);
		return -EINVAL;
	}
	e = calloc(json_array_size(entries), sizeof(*e));
	if (!e)
		return -ENOMEM;
	json_array_foreach(entries, i, it) {
		char where[32];

		snprintf(where, sizeof(where), "entries[%zu]", i);
		if (json_object_get(it, "id") || json_object_get(it, "submitter")) {
			snprintf(err, errlen, "%s.%s: not allowed in a submission (set by the store)",
				 where, json_object_get(it, "id") ? "id" : "submitter");
			ret = -EINVAL;
			goto out;
		}
		ret = bdentry_from_json(it, BDENTRY_SUBMISSION, where, &e[i], err, errlen);
		if (ret)
			goto out;
		n = i + 1;
		e[i].submitter = strdup(json_string_value(submitter));
		if (!e[i].submitter) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = bdstore_begin(st);
	for (i = 0; !ret && i < n; i++) {
		/* submitting the same entry again is idempotent: it keeps its id */
		ret = bdstore_find_same(st, &e[i], &e[i].id);
		if (ret == -ENOENT)
			ret = bdstore_add(st, &e[i]);
	}
	if (!ret)
		ret = bdstore_commit(st);
	if (ret) {
		snprintf(err, errlen, "storing the submission: %s", bdstore_strerror(st, ret));
		bdstore_rollback(st);
		goto out;
	}
	for (i = 0; idx && !ret && i < n; i++) {
		token_id seq[BDINDEX_MAX_LEN];

		ret = bdentry_token_ids(&e[i], tok, seq);
		if (!ret)
			ret = bdindex_add(idx, e[i].id, seq, e[i].len, e[i].risk, e[i].confidence,
					  e[i].label);
		if (ret)
			snprintf(err, errlen, "stored, but the live index refused entries[%zu]: %s",
				 i, strerror(-ret));
	}
	if (!ret && result) {
		ids = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(ids, json_integer(e[i].id));
		*result = json_pack("{s:I, s:o}", "accepted", (json_int_t)n, "ids", ids);
	}
out:
	for (i = 0; i < json_array_size(entries) && e; i++)
		bdentry_clear(&e[i]);
	free(e);
	return ret;
}

int bd_index_load(const char *source, struct tokens *tok, struct bdindex **out,
		  char *err, size_t errlen)
{
	struct bdstore *st = NULL;
	size_t len = source ? strlen(source) : 0;
	int ret;

	*out = NULL;
	if (!source) {
		ret = bdindex_load_default(tok, out);
		if (ret)
			snprintf(err, errlen, "the built-in database: %s", strerror(-ret));
		return ret;
	}
	ret = bdindex_create(tok, out);
	if (ret) {
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	if (len > 7 && !strcmp(source + len - 7, ".bdsnap"))
		ret = bdsnapshot_load_index(source, tok, *out, NULL, err, errlen);
	else if (!(ret = bdstore_open(source, 0, &st, err, errlen)) &&
		 (ret = bdstore_load_index(st, tok, *out)))
		snprintf(err, errlen, "%s: %s", source,
			 bdstore_strerror(st, ret));
	bdstore_close(st);
	if (ret) {
		bdindex_free(*out);
		*out = NULL;
	}
	return ret;
}

/* --- resync --------------------------------------------------------------- */

/* An index entry by id, with a fingerprint of everything the index keeps of
 * it (tokens, label, quantized risk and confidence): equal fingerprints mean
 * nothing to update (a 64-bit hash: a missed change is a 2^-64 event). */
struct sync_slot {
	int64_t id; /* 0: empty */
	uint64_t fp;
	bool seen;  /* the store still has this id */
};

struct sync {
	struct sync_slot *slots;
	size_t mask;
	struct bdindex_match *changed; /* store entries to add or replace */
	size_t nchanged, cap;
	size_t replaced;
};

static uint64_t fingerprint(const struct bdindex_match *m)
{
	uint64_t h = 0xcbf29ce484222325ull, v[4] = {
		(uint64_t)m->len << 1 | (uint64_t)m->label,
		(uint64_t)(bdindex_quantize(m->risk) * 4096),
		(uint64_t)(bdindex_quantize(m->confidence) * 4096),
	};

	for (size_t i = 0; i < m->len; i++)
		v[3] = v[3] * 65537 + m->seq[i] + 1;
	for (size_t i = 0; i < 4; i++) {
		h ^= v[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static struct sync_slot *sync_slot(struct sync *s, int64_t id)
{
	size_t i = ((uint64_t)id * 0x9e3779b97f4a7c15ull >> 20) & s->mask;

	while (s->slots[i].id && s->slots[i].id != id)
		i = (i + 1) & s->mask;
	return &s->slots[i];
}

static int sync_index_one(const struct bdindex_match *m, void *arg)
{
	struct sync_slot *slot = sync_slot(arg, m->id);

	slot->id = m->id;
	slot->fp = fingerprint(m);
	return 0;
}

static int sync_store_one(const struct bdindex_match *m, void *arg)
{
	struct sync *s = arg;
	struct sync_slot *slot = sync_slot(s, m->id);

	if (slot->id) {
		slot->seen = true;
		if (slot->fp == fingerprint(m))
			return 0;
		s->replaced++;
	}
	if (s->nchanged == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct bdindex_match *c = realloc(s->changed, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		s->changed = c;
		s->cap = cap;
	}
	s->changed[s->nchanged++] = *m;
	return 0;
}

int bd_sync_index(struct bdstore *st, struct tokens *tok, struct bdindex *idx,
		  struct bd_sync_stats *stats)
{
	struct sync s = { 0 };
	struct bdindex_params p;
	size_t cap = 64;
	int ret;

	memset(stats, 0, sizeof(*stats));
	while (cap < 2 * bdindex_count(idx))
		cap *= 2;
	s.slots = calloc(cap, sizeof(*s.slots));
	if (!s.slots)
		return -ENOMEM;
	s.mask = cap - 1;
	ret = bdindex_foreach(idx, sync_index_one, &s);
	if (!ret)
		ret = bdstore_foreach_indexed(st, tok, sync_store_one, &s);
	if (!ret)
		ret = bdstore_params_get(st, &p);
	/* the store was read whole: now change the index */
	for (size_t i = 0; !ret && i < s.nchanged; i++) {
		const struct bdindex_match *m = &s.changed[i];

		ret = bdindex_add(idx, m->id, m->seq, m->len, m->risk, m->confidence, m->label);
	}
	for (size_t i = 0; !ret && i <= s.mask; i++)
		if (s.slots[i].id && !s.slots[i].seen && !(ret = bdindex_remove(idx, s.slots[i].id)))
			stats->removed++;
	if (!ret) {
		bdindex_params_set(idx, &p);
		stats->replaced = s.replaced;
		stats->added = s.nchanged - s.replaced;
	}
	free(s.slots);
	free(s.changed);
	return ret;
}

