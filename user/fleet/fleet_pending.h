/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Entries waiting for an analyst (fleet_trust_screen held them): kept in
 * the behavioral database's file, outside the entries the scorer sees,
 * until approved (then submitted as their submitter's) or rejected. */
#ifndef BPFPROF_FLEET_PENDING_H
#define BPFPROF_FLEET_PENDING_H

#include <jansson.h>
#include <stdint.h>
#include "behaviors/bdindex.h"
#include "behaviors/bdstore.h"
#include "behaviors/tokens.h"

/* Creates the table if needed (call once per store, as its writer). */
int fleet_pending_setup(struct bdstore *st);
/* held: [{entry, reason}] from fleet_trust_screen; *ids (may be NULL): a
 * new array of the pending ids. */
int fleet_pending_add(struct bdstore *st, const char *submitter, const json_t *held, json_t **ids);
/* [{id, submitter, received_at, reason, entry}], oldest first (new reference). */
int fleet_pending_list(struct bdstore *st, json_t **out);
/* Submits the entry as its submitter's (bd_submit: the store, then idx if
 * not NULL) and drops it from the queue; *result as bd_submit's. -ENOENT:
 * no such pending entry. */
int fleet_pending_approve(struct bdstore *st, struct bdindex *idx, struct tokens *tok, int64_t id,
			  json_t **result, char *err, size_t errlen);
/* -ENOENT: no such pending entry. */
int fleet_pending_reject(struct bdstore *st, int64_t id);

#endif
