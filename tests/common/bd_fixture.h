/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Shared by the index and scoring tests: a fresh vocabulary and empty index
 * per test, and SEQ(name, "tok", ...) to declare a token sequence. */
#ifndef BPFPROF_TEST_BD_FIXTURE_H
#define BPFPROF_TEST_BD_FIXTURE_H

#include <criterion/criterion.h>
#include "behaviors/bdindex.h"

static struct tokens *tok;
static struct bdindex *idx;

static void setup(void)
{
	cr_assert_eq(tokens_load_default(&tok), 0);
	cr_assert_eq(bdindex_create(tok, &idx), 0);
}

static void teardown(void)
{
	bdindex_free(idx);
	tokens_free(tok);
}

static size_t seq_of(token_id *out, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int id = tokens_intern(tok, names[i]);

		cr_assert_geq(id, 0, "%s", names[i]);
		out[i] = (token_id)id;
	}
	return n;
}

#define SEQ(arr, ...) \
	token_id arr[32]; \
	size_t arr##_n = seq_of(arr, (const char *const[]){ __VA_ARGS__ }, \
				sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

#endif
