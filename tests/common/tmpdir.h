/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Scratch directories of the tests: removed whole, without a shell (a
 * directory name never goes through one). */
#ifndef BPFPROF_TEST_TMPDIR_H
#define BPFPROF_TEST_TMPDIR_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static int tmpdir_unlink(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(path) ? -errno : 0;
}

/* rm -rf dir: 0, or the first -errno. */
static inline int tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

/* An SQLite database and its WAL and shared-memory files. */
static inline void sqlite_files_remove(const char *db)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[4096];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		unlink(p);
	}
}

#endif
