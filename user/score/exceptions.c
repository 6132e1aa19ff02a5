/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Rules are few (an operator's list), so matching is a scan: deny rules
 * first, so a deny can never be shadowed by a broader allow. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "score/exceptions.h"
#include "lib/util.h"

struct rule {
	enum exception_effect effect;
	enum exception_field field;
	char *pattern;
};

struct exceptions {
	struct rule *rules;
	size_t n;
	unsigned need; /* bit per field with a rule */
};

static const char *const field_names[EXCEPTION_NFIELDS] = {
	[EXCEPTION_PATH] = "path", [EXCEPTION_SHA256] = "hash", [EXCEPTION_EXE] = "exe",
	[EXCEPTION_CONTAINER] = "container", [EXCEPTION_UNIT] = "unit",
};

const char *exception_effect_name(enum exception_effect e)
{
	return e == EXCEPTION_DENY ? "deny" : "allow";
}

const char *exception_field_name(enum exception_field f)
{
	return f < EXCEPTION_NFIELDS ? field_names[f] : "?";
}

struct exceptions *exceptions_new(void)
{
	return calloc(1, sizeof(struct exceptions));
}

void exceptions_free(struct exceptions *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->n; i++)
		free(ex->rules[i].pattern);
	free(ex->rules);
	free(ex);
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

/* "allow_path" or "allow-path" -> effect and field. */
static int parse_kind(const char *kind, enum exception_effect *e, enum exception_field *f)
{
	size_t n;

	if (!strncmp(kind, "allow", 5))
		*e = EXCEPTION_ALLOW;
	else if (!strncmp(kind, "deny", 4))
		*e = EXCEPTION_DENY;
	else
		return -EINVAL;
	n = *e == EXCEPTION_ALLOW ? 5 : 4;
	if (kind[n] != '_' && kind[n] != '-')
		return -EINVAL;
	for (int i = 0; i < EXCEPTION_NFIELDS; i++)
		if (!strcmp(kind + n + 1, field_names[i])) {
			*f = i;
			return 0;
		}
	return -EINVAL;
}

int exceptions_add(struct exceptions *ex, const char *kind, const char *value, char *err,
		   size_t errlen)
{
	enum exception_effect e;
	enum exception_field f;
	struct rule *nr;
	size_t len = strlen(value);

	if (parse_kind(kind, &e, &f)) {
		snprintf(err, errlen, "%s: not an exception (allow_ or deny_ with path, hash, exe, "
			 "container or unit)", kind);
		return -EINVAL;
	}
	if (!len || len > 4096) {
		snprintf(err, errlen, "%s: the value must be 1..4096 characters", kind);
		return -EINVAL;
	}
	if (f == EXCEPTION_SHA256 && (len != 64 || !all_hex(value, 64))) {
		snprintf(err, errlen, "%s: '%s' is not a SHA-256 (64 hex digits)", kind, value);
		return -EINVAL;
	}
	if (f == EXCEPTION_CONTAINER && !strpbrk(value, "*?[") && (len < 12 || !all_hex(value, len))) {
		snprintf(err, errlen, "%s: '%s' is not a container id (12 to 64 hex digits) or a "
			 "pattern", kind, value);
		return -EINVAL;
	}
	nr = realloc(ex->rules, (ex->n + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	ex->rules = nr;
	nr[ex->n] = (struct rule){ .effect = e, .field = f, .pattern = strdup(value) };
	if (!nr[ex->n].pattern)
		return -ENOMEM;
	if (f == EXCEPTION_SHA256) /* digests compare in lower case */
		for (char *p = nr[ex->n].pattern; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	ex->n++;
	ex->need |= 1u << f;
	return 0;
}

size_t exceptions_count(const struct exceptions *ex)
{
	return ex ? ex->n : 0;
}

bool exceptions_need(const struct exceptions *ex, enum exception_field field)
{
	return ex && (ex->need & (1u << field));
}

static const char *subject_value(const struct exception_subject *s, enum exception_field f)
{
	switch (f) {
	case EXCEPTION_PATH: return s->path;
	case EXCEPTION_SHA256: return s->sha256;
	case EXCEPTION_EXE: return s->exe;
	case EXCEPTION_CONTAINER: return s->container_id;
	case EXCEPTION_UNIT: return s->unit;
	default: return NULL;
	}
}

static bool rule_matches(const struct rule *r, const char *v)
{
	if (!v || !*v)
		return false;
	switch (r->field) {
	case EXCEPTION_SHA256:
		return !strcasecmp(r->pattern, v);
	case EXCEPTION_CONTAINER:
		/* docker ps shows 12 digits of the 64 */
		if (!strpbrk(r->pattern, "*?["))
			return !strncmp(v, r->pattern, strlen(r->pattern));
		return !fnmatch(r->pattern, v, 0);
	default:
		return !fnmatch(r->pattern, v, 0);
	}
}

int exceptions_match(const struct exceptions *ex, const struct exception_subject *s,
		     struct exception_match *out)
{
	static const enum exception_effect order[] = { EXCEPTION_DENY, EXCEPTION_ALLOW };

	for (size_t o = 0; ex && o < ARRAY_SIZE(order); o++)
		for (size_t i = 0; i < ex->n; i++) {
			const struct rule *r = &ex->rules[i];
			const char *v = subject_value(s, r->field);

			if (r->effect != order[o] || !rule_matches(r, v))
				continue;
			*out = (struct exception_match){ .effect = r->effect, .field = r->field,
							 .pattern = r->pattern, .value = v };
			return 1;
		}
	return 0;
}

void exceptions_swap(struct exceptions *a, struct exceptions *b)
{
	struct exceptions t = *a;

	*a = *b;
	*b = t;
}

json_t *exception_match_to_json(const struct exception_match *m)
{
	char rule[32];

	snprintf(rule, sizeof(rule), "%s_%s", exception_effect_name(m->effect),
		 exception_field_name(m->field));
	return json_pack("{s:s, s:s, s:s, s:s}", "effect", exception_effect_name(m->effect),
			 "rule", rule, "pattern", m->pattern, "matched", m->value ? m->value : "");
}
