/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The stream is written by other hosts: a message is held to the limits
 * the API holds a submission to (bdentry_from_json, a size and count cap)
 * before any of it is applied, and the whole message is refused for one bad
 * operation, so a host never applies half of another's change. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet_msg.h"
#include "lib/jsonout.h"

const char *fleet_op_name(enum fleet_op_kind k)
{
	return k == FLEET_OP_ADD ? "add" : k == FLEET_OP_REMOVE ? "remove" : "params";
}

bool fleet_host_id_valid(const char *host)
{
	size_t n = strlen(host);

	if (!n || n > FLEET_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		      (host[i] >= '0' && host[i] <= '9') || host[i] == '_' || host[i] == '-'))
			return false;
	return true;
}

void fleet_change_clear(struct fleet_change *c)
{
	for (size_t i = 0; i < c->nops; i++)
		bdentry_clear(&c->ops[i].e);
	free(c->ops);
	memset(c, 0, sizeof(*c));
}

static int parse_params(const json_t *j, const char *where, struct bdindex_params *p, char *err,
			size_t errlen)
{
	const char *names[] = { "unknown_logit", "unknown_weight", "length_norm" };
	double *dst[] = { &p->unknown_logit, &p->unknown_weight, &p->length_norm };

	if (!json_is_object(j) || json_object_size(j) != 3) {
		snprintf(err, errlen, "%s.params: must be {unknown_logit, unknown_weight, length_norm}",
			 where);
		return -EINVAL;
	}
	for (size_t i = 0; i < 3; i++) {
		const json_t *v = json_object_get(j, names[i]);

		if (!json_is_number(v)) {
			snprintf(err, errlen, "%s.params.%s: must be a number", where, names[i]);
			return -EINVAL;
		}
		*dst[i] = json_number_value(v);
	}
	if (!bdindex_params_valid(p)) {
		snprintf(err, errlen, "%s.params: not usable by the scorer", where);
		return -EINVAL;
	}
	return 0;
}

static int parse_op(const json_t *j, size_t i, struct fleet_op *op, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(j, "op"));
	const json_t *entry = json_object_get(j, "entry");
	char where[48];

	snprintf(where, sizeof(where), "ops[%zu]", i);
	if (!json_is_object(j) || !kind || json_object_size(j) != 2) {
		snprintf(err, errlen, "%s: must be {op, entry} or {op: \"params\", params}", where);
		return -EINVAL;
	}
	if (!strcmp(kind, "params")) {
		op->kind = FLEET_OP_PARAMS;
		return parse_params(json_object_get(j, "params"), where, &op->p, err, errlen);
	}
	if (!strcmp(kind, "add"))
		op->kind = FLEET_OP_ADD;
	else if (!strcmp(kind, "remove"))
		op->kind = FLEET_OP_REMOVE;
	else {
		snprintf(err, errlen, "%s.op: must be add, remove or params", where);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "ops[%zu].entry", i);
	if (json_object_get(entry, "id")) {
		snprintf(err, errlen, "%s.id: not allowed (ids are each host's own)", where);
		return -EINVAL;
	}
	return bdentry_from_json(entry, BDENTRY_SUBMISSION, where, &op->e, err, errlen);
}

int fleet_change_parse(const char *data, size_t len, struct fleet_change *c, char *err,
		       size_t errlen)
{
	json_error_t jerr;
	json_t *j, *ops, *v;
	const char *host;
	size_t i;
	int ret = -EINVAL;

	memset(c, 0, sizeof(*c));
	if (len > FLEET_MSG_MAX) {
		snprintf(err, errlen, "message of %zu bytes: larger than %u", len, FLEET_MSG_MAX);
		return -E2BIG;
	}
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(err, errlen, "not JSON (line %d column %d: %s)", jerr.line, jerr.column,
			 jerr.text);
		return -EINVAL;
	}
	v = json_object_get(j, "v");
	host = json_string_value(json_object_get(j, "host"));
	ops = json_object_get(j, "ops");
	if (!json_is_object(j) || json_object_size(j) != 3 || !json_is_integer(v)) {
		snprintf(err, errlen, "must be {v, host, ops}");
		goto out;
	}
	if (json_integer_value(v) != FLEET_MSG_VERSION) {
		snprintf(err, errlen, "v: version %lld, this build reads %d",
			 (long long)json_integer_value(v), FLEET_MSG_VERSION);
		goto out;
	}
	if (!host || !fleet_host_id_valid(host)) {
		snprintf(err, errlen, "host: must be 1..%d of [A-Za-z0-9_-]", FLEET_HOST_MAX);
		goto out;
	}
	if (!json_is_array(ops) || !json_array_size(ops) || json_array_size(ops) > FLEET_MSG_OPS) {
		snprintf(err, errlen, "ops: must be an array of 1..%d operations", FLEET_MSG_OPS);
		goto out;
	}
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->ops = calloc(json_array_size(ops), sizeof(*c->ops));
	if (!c->ops) {
		ret = -ENOMEM;
		goto out;
	}
	json_array_foreach(ops, i, v) {
		ret = parse_op(v, i, &c->ops[i], err, errlen);
		if (ret)
			break;
		c->nops = i + 1;
	}
out:
	if (ret)
		fleet_change_clear(c);
	json_decref(j);
	return ret;
}

json_t *fleet_op_json(enum fleet_op_kind kind, const struct bd_entry *e,
		      const struct bdindex_params *p)
{
	json_t *entry;

	if (kind == FLEET_OP_PARAMS)
		return json_pack("{s:s, s:{s:f, s:f, s:f}}", "op", "params", "params",
				 "unknown_logit", p->unknown_logit, "unknown_weight",
				 p->unknown_weight, "length_norm", p->length_norm);
	entry = bdentry_to_json(e);
	if (!entry)
		return NULL;
	json_object_del(entry, "id");
	return json_pack("{s:s, s:o}", "op", fleet_op_name(kind), "entry", entry);
}

char *fleet_change_text(const char *host, json_t *ops, size_t *len)
{
	json_t *msg = json_pack("{s:i, s:s, s:O}", "v", FLEET_MSG_VERSION, "host", host, "ops", ops);
	char *text = msg ? json_dumps(msg, JSONOUT_FLAGS) : NULL;

	json_decref(msg);
	if (text && len)
		*len = strlen(text);
	return text;
}
