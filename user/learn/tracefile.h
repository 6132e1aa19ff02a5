/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Recorded traces as token sequences: dataset traces of syscall numbers
 * (ADFA-LD: one trace per file, numbers separated by whitespace, mapped by a
 * number<TAB>name table) and token files (token names, or a JSON array).
 * Every file must be text (UTF-8, no NUL byte); err names the byte or line
 * where one is not what it should be. */
#ifndef BPFPROF_TRACEFILE_H
#define BPFPROF_TRACEFILE_H

#include <stddef.h>
#include "behaviors/tokens.h"

struct syscall_table {
	char **names; /* by number; NULL where the table has none */
	size_t n;
};

int tracefile_table_load(const char *path, struct syscall_table *t, char *err, size_t errlen);
void tracefile_table_free(struct syscall_table *t);

/* Numbers -> interned names. An unknown number becomes token "sys_NNN". */
int tracefile_read_numbers(const char *path, const struct syscall_table *t,
			   struct tokens *tok, token_id **seq, size_t *n,
			   char *err, size_t errlen);
/* Token names separated by whitespace, or a JSON array of names / of
 * {"call": name, ...} objects. Names are interned. */
int tracefile_read_tokens(const char *path, struct tokens *tok, token_id **seq, size_t *n,
			  char *err, size_t errlen);

/* Every regular file under dir (recursively) whose name ends in suffix,
 * sorted, appended to *paths (malloc'd strings). */
int tracefile_find(const char *dir, const char *suffix, char ***paths, size_t *n);
void tracefile_paths_free(char **paths, size_t n);

#endif
