/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The vocabulary: required names present, groups shared, interning stable. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "behaviors/tokens.h"

static struct tokens *t;

static void setup(void) { cr_assert_eq(tokens_load_default(&t), 0); }
static void teardown(void) { tokens_free(t); }

TestSuite(tokens, .init = setup, .fini = teardown);

Test(tokens, vocabulary_has_the_required_names)
{
	static const char *const required[] = {
		"openat:read", "openat:write", "mmap:exec_anon", "mprotect:exec",
		"socket:inet", "connect:inet", "connect:unix", "sendto", "execve",
		"memfd_create", "ptrace:attach", "dlopen",
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++) {
		int id = tokens_find(t, required[i]);

		cr_assert_geq(id, 0, "%s missing", required[i]);
		cr_assert(tokens_listed(t, id));
		cr_assert_str_eq(tokens_name(t, id), required[i]);
	}
}

Test(tokens, send_calls_share_a_group_and_differ_from_connect)
{
	int sendto = tokens_find(t, "sendto"), sendmsg = tokens_find(t, "sendmsg");
	int connect = tokens_find(t, "connect:inet");

	cr_assert_eq(tokens_group(t, sendto), tokens_group(t, sendmsg));
	cr_assert_neq(tokens_group(t, sendto), tokens_group(t, connect));
	cr_assert_str_eq(tokens_group_name(t, sendto), "net_send");
}

Test(tokens, unknown_tokens_are_interned_once_in_their_own_group)
{
	size_t before = tokens_count(t);
	int a = tokens_intern(t, "getdents64"), b = tokens_intern(t, "getdents64");
	int c = tokens_intern(t, "brk");

	cr_assert_geq(a, 0);
	cr_assert_eq(a, b);
	cr_assert_eq(tokens_count(t), before + 2);
	cr_assert_not(tokens_listed(t, a));
	cr_assert_neq(tokens_group(t, a), tokens_group(t, c));
	for (size_t id = 0; id < before; id++)
		cr_assert_neq(tokens_group(t, a), tokens_group(t, id));
	cr_assert_eq(tokens_find(t, "never-seen"), -ENOENT);
	cr_assert_eq(tokens_intern(t, ""), -EINVAL);
}

Test(tokens, interning_survives_table_growth)
{
	char name[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "tok%d", i);
		cr_assert_geq(tokens_intern(t, name), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "tok%d", i);
		int id = tokens_find(t, name);

		cr_assert_geq(id, 0);
		cr_assert_str_eq(tokens_name(t, id), name);
	}
	cr_assert_geq(tokens_find(t, "openat:read"), 0);
}

Test(tokens, malformed_vocabulary_is_refused_with_the_reason)
{
	struct tokens *bad = NULL;
	char err[128];
	const char *dup = "{\"tokens\":[{\"name\":\"a\",\"group\":\"g\"},{\"name\":\"a\",\"group\":\"g\"}]}";

	cr_assert_eq(tokens_load_buffer("{", 1, &bad, err, sizeof(err)), -EINVAL);
	cr_assert_eq(tokens_load_buffer("{\"tokens\":[]}", 13, &bad, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "non-empty"), "%s", err);
	cr_assert_eq(tokens_load_buffer(dup, strlen(dup), &bad, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "duplicate"), "%s", err);
	cr_assert_null(bad);
}
