/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Which package owns a file: an index of dpkg's /var/lib/dpkg/info/ *.list
 * built once, lazily, with directories canonicalised (usrmerge: /lib ->
 * /usr/lib), so lookups take a realpath'd path and cost one hash probe. */
#ifndef BPFPROF_PKGINDEX_H
#define BPFPROF_PKGINDEX_H

#include <stdbool.h>

/* The package owning canonical_path (e.g. "libc6:amd64"), or NULL. The
 * first call builds the index (thread-safe); strings live until exit. */
const char *pkgindex_owner(const char *canonical_path);
/* Builds the index on a thread of its own now, so the first verdict
 * (perhaps a process stopped at the gate) does not wait for it. */
void pkgindex_warm(void);
/* True when a package database was found (dpkg). */
bool pkgindex_available(void);
/* Whether package pkg (as pkgindex_owner names it) shipped the bytes fd
 * holds as a file called name: dpkg's md5sums of pkg list a file of that
 * name with the fd's MD5. 1 yes, 0 no (not listed, other bytes), -errno
 * when it cannot tell (no md5sums, unreadable fd). */
int pkgindex_ships(const char *pkg, const char *name, int fd);
/* Number of paths indexed (for diagnostics and tests). */
unsigned long pkgindex_size(void);

#endif
