/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The curated default database compiled into the binary
 * (data/bd-default.json; sources and reasoning in docs/database.md). */
#ifndef BPFPROF_BDDEFAULT_H
#define BPFPROF_BDDEFAULT_H

#include "behaviors/bdentry.h"
#include "behaviors/bdindex.h"

/* Parse a database file body {"version":1,"entries":[entry...]} (entries
 * validated as full behavior entries). *out is malloc'd, free each with
 * bdentry_clear. */
int bddefault_parse(const char *json, size_t len, struct bd_entry **out, size_t *n,
		    char *err, size_t errlen);
int bddefault_entries(struct bd_entry **out, size_t *n, char *err, size_t errlen);
void bddefault_free(struct bd_entry *e, size_t n);

/* An index holding the default entries (ids 1..n in file order). */
int bdindex_load_default(struct tokens *tok, struct bdindex **out);

#endif
