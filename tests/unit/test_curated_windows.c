/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The curated database against windows recorded by `trace` from real
 * programs: the dropper fixture must score high, a plain library load
 * low. A change of scoring or data that loses either is a regression. */
#include <criterion/criterion.h>
#include "behaviors/bd.h"
#include "score/seqscore.h"

static double score(const char *const *names, size_t n)
{
	struct tokens *tok;
	struct bdindex *idx;
	struct seqscore_result r;
	token_id ids[64];
	char err[256];

	cr_assert_eq(tokens_load_default(&tok), 0);
	cr_assert_eq(bd_index_load(NULL, tok, &idx, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < n; i++)
		ids[i] = (token_id)tokens_intern(tok, names[i]);
	cr_assert_eq(seqscore_window(idx, ids, n, &r), 0);
	bdindex_free(idx);
	tokens_free(tok);
	return r.score;
}

#define SCORE(...) ({ static const char *const w_[] = { __VA_ARGS__ }; \
	score(w_, sizeof(w_) / sizeof(*w_)); })

Test(curated, the_dropper_fixture_window_scores_high)
{
	/* tests/fixtures/dropper with libevil.so, as `trace --json` records it */
	double s = SCORE("execve", "openat:read", "openat:read", "mmap:exec_file", "socket:inet",
			 "bind:inet", "listen", "clone:process", "socket:inet", "connect:inet",
			 "openat:write_tmp", "recvfrom", "recvfrom", "fchmodat:exec", "dlopen",
			 "openat:read", "mmap:exec_file", "socket:inet", "connect:inet",
			 "mprotect:exec", "openat:write", "openat:read", "unlinkat", "exit_group");

	cr_assert_geq(s, 0.8, "dropper scored %.3f", s);
}

Test(curated, a_plain_library_load_scores_low)
{
	/* python3 -c "import ctypes; ctypes.CDLL('libffi...')": open, map, return */
	double s = SCORE("openat:read", "openat:read", "openat:read", "openat:read", "dlopen",
			 "openat:read", "openat:read", "mmap:exec_file", "openat:read",
			 "openat:read", "exit_group");

	cr_assert_lt(s, 0.2, "plain load scored %.3f", s);
}

Test(curated, a_reverse_shell_after_load_scores_high)
{
	double s = SCORE("openat:read", "dlopen", "openat:read", "mmap:exec_file", "socket:inet",
			 "connect:inet", "dup2", "dup2", "dup2", "execve");

	cr_assert_geq(s, 0.8, "reverse shell scored %.3f", s);
}
