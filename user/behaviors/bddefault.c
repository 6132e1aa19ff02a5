/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Curated default database: embedded JSON, validated like any submission so
 * a bad edit of the data file fails the build's tests, not the agent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/bddefault.h"

extern const char bpfprof_bd_default_json[];
extern const size_t bpfprof_bd_default_json_len;

void bddefault_free(struct bd_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bdentry_clear(&e[i]);
	free(e);
}

int bddefault_parse(const char *json, size_t len, struct bd_entry **out, size_t *n,
		    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr), *arr, *it;
	struct bd_entry *e;
	size_t i;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!root) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	arr = json_object_get(root, "entries");
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "entries: must be an array");
		json_decref(root);
		return -EINVAL;
	}
	e = calloc(json_array_size(arr) + 1, sizeof(*e));
	if (!e) {
		json_decref(root);
		return -ENOMEM;
	}
	json_array_foreach(arr, i, it) {
		char where[32];

		snprintf(where, sizeof(where), "entries[%zu]", i);
		ret = bdentry_from_json(it, BDENTRY_FULL, where, &e[i], err, errlen);
		if (ret)
			break;
	}
	json_decref(root);
	if (ret) {
		bddefault_free(e, i);
		return ret;
	}
	*out = e;
	*n = i;
	return 0;
}

int bddefault_entries(struct bd_entry **out, size_t *n, char *err, size_t errlen)
{
	return bddefault_parse(bpfprof_bd_default_json, bpfprof_bd_default_json_len, out, n,
			       err, errlen);
}

int bdindex_load_default(struct tokens *tok, struct bdindex **out)
{
	struct bd_entry *e;
	struct bdindex *idx = NULL;
	size_t n;
	char err[256];
	int ret = bddefault_entries(&e, &n, err, sizeof(err));

	if (ret)
		return ret;
	ret = bdindex_create(tok, &idx);
	for (size_t i = 0; !ret && i < n; i++) {
		token_id seq[BDINDEX_MAX_LEN];

		ret = bdentry_token_ids(&e[i], tok, seq);
		if (!ret)
			ret = bdindex_add(idx, (int64_t)i + 1, seq, e[i].len, e[i].risk,
					  e[i].confidence, e[i].label);
	}
	bddefault_free(e, n);
	if (ret) {
		bdindex_free(idx);
		return ret;
	}
	*out = idx;
	return 0;
}
