/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Behavioral database submissions: the one call the HTTP API makes. A batch
 * is validated whole, stored in one transaction and then applied to the
 * live index, so it lands entirely or not at all. */
#ifndef BPFPROF_BD_H
#define BPFPROF_BD_H

#include <jansson.h>
#include "bdindex.h"
#include "bdstore.h"

#define BD_SUBMIT_MAX_ENTRIES 10000

/* sub: {"submitter": "...", "entries": [entry, ...]}
 * (schemas/submission.schema.json). On success *result (if given) is
 * {"accepted": n, "ids": [...]}. -EINVAL with err naming the field
 * ("entries[2].label: ...") for a bad submission; idx may be NULL. */
int bd_submit(struct bdstore *st, struct bdindex *idx, struct tokens *tok, const json_t *sub,
	      json_t **result, char *err, size_t errlen);

#endif
