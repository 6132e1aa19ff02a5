/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The number of entries in the curated database's data file, counted
 * independently of the code that loads it. */
#ifndef BPFPROF_TEST_CURATED_H
#define BPFPROF_TEST_CURATED_H

#include <criterion/criterion.h>
#include <jansson.h>

static inline size_t curated_entries(void)
{
	json_t *d = json_load_file(BPFPROF_SRCDIR "/data/bd-default.json", 0, NULL);
	size_t n;

	cr_assert_not_null(d);
	n = json_array_size(json_object_get(d, "entries"));
	json_decref(d);
	return n;
}

#endif
