/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A behavioral database change as it travels on the fleet stream: one
 * message carries an origin host and 1..FLEET_MSG_OPS operations (add or
 * remove an entry, set the scoring parameters), validated whole. */
#ifndef BPFPROF_FLEET_MSG_H
#define BPFPROF_FLEET_MSG_H

#include <jansson.h>
#include <stddef.h>
#include "behaviors/bdentry.h"
#include "behaviors/bdindex.h"

#define FLEET_MSG_VERSION 1
#define FLEET_MSG_OPS 1000            /* operations in one message */
#define FLEET_MSG_MAX (1u << 20)      /* bytes of one message, what the stream refuses past */
#define FLEET_MSG_TARGET (256u << 10) /* what a publisher aims at per message */
#define FLEET_HOST_MAX 128            /* bytes of a host id */

enum fleet_op_kind { FLEET_OP_ADD, FLEET_OP_REMOVE, FLEET_OP_PARAMS };

struct fleet_op {
	enum fleet_op_kind kind;
	struct bd_entry e;          /* ADD, REMOVE: the entry (no id: ids are each host's) */
	struct bdindex_params p;    /* PARAMS */
};

struct fleet_change {
	char host[FLEET_HOST_MAX + 1];
	struct fleet_op *ops;
	size_t nops;
};

const char *fleet_op_name(enum fleet_op_kind k);

/* Parses and validates data (len bytes, from anyone who may publish on the
 * stream): every entry as the API validates a submitted one, plus its
 * provenance (source, origin, added_at, submitter). -EINVAL (err says
 * where: "ops[3].entry.risk_score: ...") or -E2BIG past FLEET_MSG_MAX; a
 * refused message leaves c empty. */
int fleet_change_parse(const char *data, size_t len, struct fleet_change *c, char *err,
		       size_t errlen);
void fleet_change_clear(struct fleet_change *c);

/* The JSON of one operation ({"op": "add", "entry": {...}}); params NULL
 * unless kind is FLEET_OP_PARAMS. */
json_t *fleet_op_json(enum fleet_op_kind kind, const struct bd_entry *e,
		      const struct bdindex_params *p);
/* The message text for host and ops (a JSON array it borrows); malloc'd. */
char *fleet_change_text(const char *host, json_t *ops, size_t *len);

/* A host id as subjects and consumer names take it: [A-Za-z0-9_-], 1..
 * FLEET_HOST_MAX bytes. */
bool fleet_host_id_valid(const char *host);

#endif
