/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Policy exceptions: an operator's allow and deny rules on a load's path,
 * its SHA-256, the loading executable, its container or systemd unit.
 * One mechanism for the agent's [exceptions] config and `analyze
 * --allow-path/--allow-hash/...`. Deny beats allow. */
#ifndef BPFPROF_EXCEPTIONS_H
#define BPFPROF_EXCEPTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum exception_effect { EXCEPTION_ALLOW, EXCEPTION_DENY };
enum exception_field {
	EXCEPTION_PATH,      /* fnmatch(3) pattern on the loaded object's path */
	EXCEPTION_SHA256,    /* the object's SHA-256, 64 hex digits */
	EXCEPTION_EXE,       /* fnmatch(3) pattern on the loading executable */
	EXCEPTION_CONTAINER, /* container id, a prefix of it (12+ digits) or a pattern */
	EXCEPTION_UNIT,      /* fnmatch(3) pattern on the systemd unit */
	EXCEPTION_NFIELDS,
};

struct exceptions;

/* What a load is matched on; NULL fields match no rule of theirs. */
struct exception_subject {
	const char *path, *sha256, *exe, *container_id, *unit;
};

struct exception_match {
	enum exception_effect effect;
	enum exception_field field;
	const char *pattern; /* the rule's, valid while the set lives */
	const char *value;   /* the subject's value it matched */
};

struct exceptions *exceptions_new(void);
void exceptions_free(struct exceptions *ex);
/* kind: "allow_path", "deny_hash", ... (config keys) or "allow-path",
 * "deny-hash", ... (command-line options). -EINVAL with err naming what
 * is wrong (unknown kind, a hash that is not 64 hex digits, ...). */
int exceptions_add(struct exceptions *ex, const char *kind, const char *value, char *err,
		   size_t errlen);
size_t exceptions_count(const struct exceptions *ex);
/* Whether any rule looks at field (so a caller can skip finding it). */
bool exceptions_need(const struct exceptions *ex, enum exception_field field);
/* 1 and *out when a rule matches (any deny before any allow), else 0. */
int exceptions_match(const struct exceptions *ex, const struct exception_subject *s,
		     struct exception_match *out);
/* Exchanges the rules of a and b (a reload swaps the new set in). */
void exceptions_swap(struct exceptions *a, struct exceptions *b);

const char *exception_effect_name(enum exception_effect e);
/* "path", "hash", "exe", "container", "unit" */
const char *exception_field_name(enum exception_field f);
/* {"effect":"allow","rule":"allow_path","pattern":"...","matched":"..."} */
json_t *exception_match_to_json(const struct exception_match *m);

#endif
