/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Database snapshots for moving a database between hosts: a versioned
 * header, a SHA-256 of the payload and a zstd-compressed payload. A snapshot
 * is verified whole before anything is written, so a corrupt or truncated
 * file is refused and the database is left as it was. Format:
 * docs/database.md. */
#ifndef BPFPROF_BDSNAPSHOT_H
#define BPFPROF_BDSNAPSHOT_H

#include <stddef.h>
#include "behaviors/bdindex.h"
#include "behaviors/bdstore.h"

#define BDSNAPSHOT_VERSION 1

/* Write every entry and the scoring parameters of st to path (atomically:
 * a temporary file renamed into place). */
int bdsnapshot_export(struct bdstore *st, const char *path, char *err, size_t errlen);
/* Replace the contents of st by the snapshot's, in one transaction. */
int bdsnapshot_import(struct bdstore *st, const char *path, size_t *nentries,
		      char *err, size_t errlen);
/* Load a snapshot straight into an index (agent start-up, benchmarks). */
int bdsnapshot_load_index(const char *path, struct tokens *tok, struct bdindex *idx,
			  size_t *nentries, char *err, size_t errlen);

#endif
