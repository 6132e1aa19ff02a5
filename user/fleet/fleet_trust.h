/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Submitter trust (docs/fleet.md): each submitter has its own API token
 * and a trust level 0..1. Its entries' confidence is capped at the trust;
 * below full trust, an entry that would lower a risk (a good one, or a
 * risk below what the database holds for the sequence) waits for an
 * analyst; submissions are held to a rate and a size. */
#ifndef BPFPROF_FLEET_TRUST_H
#define BPFPROF_FLEET_TRUST_H

#include <jansson.h>
#include <stddef.h>
#include "behaviors/bdstore.h"

struct fleet_trust_submitter {
	const char *name;
	const char *token_file;
	double trust;     /* 0..1 */
	int rate;         /* entries per minute; 0: no limit */
	int max_entries;  /* per submission; 0: no limit beyond the API's */
};

struct fleet_trust;

/* Reads each submitter's token (kept as its SHA-256). err names the file. */
int fleet_trust_new(const struct fleet_trust_submitter *subs, size_t n, struct fleet_trust **out,
		    char *err, size_t errlen);
void fleet_trust_free(struct fleet_trust *t);
/* The name of the submitter whose token this is (constant-time compare),
 * or NULL. The string lives as long as t. */
const char *fleet_trust_who(struct fleet_trust *t, const char *token);
/* A submission of n entries by who: 0, -E2BIG (more than its max_entries)
 * or -EAGAIN (over its rate; *retry_s says when to try again). Admitted
 * entries are counted against the rate. */
int fleet_trust_admit(struct fleet_trust *t, const char *who, size_t n, unsigned int *retry_s,
		      char *err, size_t errlen);
/* Applies who's trust to the submission sub ({submitter, entries}, changed
 * in place): confidences capped, entries that would lower a risk moved
 * out to *held (a new array of {entry, reason}, maybe empty). The entries
 * must have been validated (bd_submit validates again). */
int fleet_trust_screen(struct fleet_trust *t, const char *who, struct bdstore *st, json_t *sub,
		       json_t **held);
double fleet_trust_level(struct fleet_trust *t, const char *who);

#endif
