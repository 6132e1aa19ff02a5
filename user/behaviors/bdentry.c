/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Entry validation by hand, following the JSON schema field by field: the
 * agent must refuse a bad submission with a message naming the field, and
 * no 2020-12 validator library is packaged for C. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/bdentry.h"
#include "lib/timefmt.h"
#include "lib/util.h"

static int fail(char *err, size_t errlen, const char *where, const char *field,
		const char *msg)
{
	snprintf(err, errlen, "%s%s%s: %s", where ? where : "", where && *where ? "." : "",
		 field, msg);
	return -EINVAL;
}

static bool valid_time(const char *s)
{
	int64_t ns;

	return timefmt_parse_rfc3339(s, &ns) == 0;
}

static int opt_string(const json_t *j, const char *key, const char *where, char **out,
		      bool required, char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	*out = NULL;
	if (!v)
		return required ? fail(err, errlen, where, key, "is required") : 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > BDENTRY_STR_MAX)
		return fail(err, errlen, where, key, "must be a non-empty string (at most 4096 bytes)");
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int unit_number(const json_t *j, const char *key, const char *where, double *out,
		       char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	if (!v)
		return fail(err, errlen, where, key, "is required");
	if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
		return fail(err, errlen, where, key, "must be a number in 0..1");
	*out = json_number_value(v);
	return 0;
}

static int parse_origin(const json_t *o, const char *where, struct bd_entry *e, char *err,
			size_t errlen)
{
	static const char *const keys[] = { "hash", "path", "publisher" };
	const char *k;
	json_t *v;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return fail(err, errlen, where, "origin", "must be an object {hash, path, publisher}");
	json_object_foreach((json_t *)o, k, v) {
		bool known = false;

		for (size_t i = 0; i < 3; i++)
			known |= !strcmp(k, keys[i]);
		if (!known || !json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > BDENTRY_STR_MAX) {
			char f[64];

			snprintf(f, sizeof(f), "origin.%.32s", k);
			return fail(err, errlen, where, f, known ? "must be a non-empty string" :
				    "unknown field (allowed: hash, path, publisher)");
		}
	}
	e->origin = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	return e->origin ? 0 : -ENOMEM;
}

static int parse_sequence(const json_t *s, const char *where, struct bd_entry *e, char *err,
			  size_t errlen)
{
	const json_t *it;
	size_t i;

	if (!s)
		return fail(err, errlen, where, "sequence", "is required");
	if (!json_is_array(s) || json_array_size(s) < BDINDEX_MIN_LEN ||
	    json_array_size(s) > BDINDEX_MAX_LEN)
		return fail(err, errlen, where, "sequence", "must be an array of 2..8 tokens");
	json_array_foreach(s, i, it) {
		const json_t *name = it;
		char f[32];

		snprintf(f, sizeof(f), "sequence[%zu]", i);
		if (json_is_object(it)) {
			const char *k;
			json_t *v;

			json_object_foreach((json_t *)it, k, v)
				if (strcmp(k, "call") && strcmp(k, "params"))
					return fail(err, errlen, where, f,
						    "unknown field (allowed: call, params)");
			name = json_object_get(it, "call");
			if (json_object_get(it, "params") && !json_is_object(json_object_get(it, "params")))
				return fail(err, errlen, where, f, "params must be an object");
		}
		if (!json_is_string(name) || json_string_length(name) == 0 ||
		    json_string_length(name) > TOKENS_NAME_MAX ||
		    strpbrk(json_string_value(name), " \t\r\n"))
			return fail(err, errlen, where, f,
				    "must be a token name (1..127 characters, no spaces) or {\"call\": name, \"params\": {...}}");
		e->tokens[i] = strdup(json_string_value(name));
		if (!e->tokens[i])
			return -ENOMEM;
		e->len = i + 1;
	}
	e->sequence = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	return e->sequence ? 0 : -ENOMEM;
}

int bdentry_from_json(const json_t *j, enum bdentry_mode mode, const char *where,
		      struct bd_entry *e, char *err, size_t errlen)
{
	static const char *const known[] = { "id", "sequence", "risk_score", "confidence", "label",
					     "origin", "source", "added_at", "submitter" };
	const char *k, *label;
	json_t *v;
	int ret;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(j)) {
		snprintf(err, errlen, "%s: must be an object", where && *where ? where : "entry");
		return -EINVAL;
	}
	json_object_foreach((json_t *)j, k, v) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
			ok |= !strcmp(k, known[i]);
		if (!ok) {
			char f[64];

			snprintf(f, sizeof(f), "%.60s", k);
			return fail(err, errlen, where, f, "unknown field");
		}
	}
	v = json_object_get(j, "id");
	if (v && (!json_is_integer(v) || json_integer_value(v) <= 0))
		return fail(err, errlen, where, "id", "must be a positive integer");
	e->id = v ? json_integer_value(v) : 0;
	ret = parse_sequence(json_object_get(j, "sequence"), where, e, err, errlen);
	if (!ret)
		ret = unit_number(j, "risk_score", where, &e->risk, err, errlen);
	if (!ret)
		ret = unit_number(j, "confidence", where, &e->confidence, err, errlen);
	if (ret)
		goto fail;
	label = json_string_value(json_object_get(j, "label"));
	if (!json_object_get(j, "label")) {
		ret = fail(err, errlen, where, "label", "is required");
		goto fail;
	}
	if (!label || (strcmp(label, "good") && strcmp(label, "malicious"))) {
		ret = fail(err, errlen, where, "label", "must be \"good\" or \"malicious\"");
		goto fail;
	}
	e->label = !strcmp(label, "malicious") ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD;
	if (!bdentry_label_agrees(e->label, e->risk)) {
		ret = fail(err, errlen, where, "risk_score", BDENTRY_LABEL_RULE);
		goto fail;
	}
	ret = parse_origin(json_object_get(j, "origin"), where, e, err, errlen);
	if (!ret)
		ret = opt_string(j, "source", where, &e->source, mode == BDENTRY_FULL, err, errlen);
	if (!ret)
		ret = opt_string(j, "added_at", where, &e->added_at, mode == BDENTRY_FULL, err, errlen);
	if (!ret && e->added_at && !valid_time(e->added_at))
		ret = fail(err, errlen, where, "added_at",
			   "must be an RFC 3339 date-time (2026-11-27T08:00:00Z)");
	if (!ret)
		ret = opt_string(j, "submitter", where, &e->submitter, false, err, errlen);
	if (ret)
		goto fail;
	return 0;
fail:
	bdentry_clear(e);
	return ret;
}

int bdentry_check_text(const char *field, const char *text, size_t len, const char *where,
		       char *err, size_t errlen)
{
	char when[64];

	if (len == 0 || len > BDENTRY_STR_MAX || util_utf8_len(text, len) != len)
		return fail(err, errlen, where, field,
			    "must be a non-empty UTF-8 string (at most 4096 bytes)");
	if (!strcmp(field, "origin")) {
		struct bd_entry e = { 0 };
		json_t *o = json_loadb(text, len, 0, NULL);
		int ret = o ? parse_origin(o, where, &e, err, errlen) :
			      fail(err, errlen, where, field, "must be an object {hash, path, publisher}");

		json_decref(o);
		free(e.origin);
		return ret;
	}
	if (!strcmp(field, "added_at")) {
		if (len >= sizeof(when))
			return fail(err, errlen, where, field, "must be an RFC 3339 date-time");
		memcpy(when, text, len);
		when[len] = '\0';
		if (!valid_time(when))
			return fail(err, errlen, where, field,
				    "must be an RFC 3339 date-time (2026-11-27T08:00:00Z)");
	}
	return 0;
}

bool bdentry_label_agrees(enum bd_label label, double risk)
{
	/* the scorer reads risk as P(malicious) */
	return label == BD_LABEL_MALICIOUS ? risk >= 0.5 : risk <= 0.5;
}

/* Printable ASCII but for what JSON escapes: such a name stands verbatim
 * between the quotes of the compact text. */
static bool plain_name(const char *n, size_t len)
{
	if (len == 0 || len > TOKENS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (n[i] <= ' ' || n[i] > '~' || n[i] == '"' || n[i] == '\\')
			return false;
	return true;
}

size_t bdentry_plain_sequence(const char *text, size_t len,
			      struct bdentry_name names[BDINDEX_MAX_LEN])
{
	size_t n = 0, off = 1;

	if (len < 2 || text[0] != '[')
		return 0;
	for (;;) {
		size_t start;

		if (n == BDINDEX_MAX_LEN || off >= len || text[off] != '"')
			return 0;
		start = ++off;
		while (off < len && text[off] != '"')
			off++;
		if (off == len || !plain_name(text + start, off - start))
			return 0;
		names[n].p = text + start;
		names[n++].len = off - start;
		if (++off < len && text[off] == ',') {
			off++;
			continue;
		}
		break;
	}
	return off + 1 == len && text[off] == ']' && n >= BDINDEX_MIN_LEN ? n : 0;
}

json_t *bdentry_to_json(const struct bd_entry *e)
{
	json_t *o = json_object(), *seq = json_loads(e->sequence ? e->sequence : "null", 0, NULL);

	if (!o || !seq) {
		json_decref(o);
		json_decref(seq);
		return NULL;
	}
	if (e->id)
		json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "sequence", seq);
	json_object_set_new(o, "risk_score", json_real(e->risk));
	json_object_set_new(o, "confidence", json_real(e->confidence));
	json_object_set_new(o, "label", json_string(e->label == BD_LABEL_MALICIOUS ? "malicious" : "good"));
	if (e->origin)
		json_object_set_new(o, "origin", json_loads(e->origin, 0, NULL));
	if (e->source)
		json_object_set_new(o, "source", json_string(e->source));
	if (e->added_at)
		json_object_set_new(o, "added_at", json_string(e->added_at));
	if (e->submitter)
		json_object_set_new(o, "submitter", json_string(e->submitter));
	return o;
}

void bdentry_clear(struct bd_entry *e)
{
	for (size_t i = 0; i < BDINDEX_MAX_LEN; i++)
		free(e->tokens[i]);
	free(e->sequence);
	free(e->origin);
	free(e->source);
	free(e->added_at);
	free(e->submitter);
	memset(e, 0, sizeof(*e));
}

static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int bdentry_copy(struct bd_entry *dst, const struct bd_entry *src)
{
	int ret = 0;

	*dst = *src;
	for (size_t i = 0; i < BDINDEX_MAX_LEN; i++)
		ret |= dup_opt(&dst->tokens[i], i < src->len ? src->tokens[i] : NULL);
	ret |= dup_opt(&dst->sequence, src->sequence);
	ret |= dup_opt(&dst->origin, src->origin);
	ret |= dup_opt(&dst->source, src->source);
	ret |= dup_opt(&dst->added_at, src->added_at);
	ret |= dup_opt(&dst->submitter, src->submitter);
	if (ret) {
		bdentry_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

int bdentry_token_ids(const struct bd_entry *e, struct tokens *tok, token_id *seq)
{
	for (size_t i = 0; i < e->len; i++) {
		int id = tokens_intern(tok, e->tokens[i]);

		if (id < 0)
			return id;
		seq[i] = (token_id)id;
	}
	return 0;
}

void bdentry_now(char *buf, size_t len)
{
	timefmt_format_rfc3339((int64_t)util_now_real_ns(), buf, len);
}
