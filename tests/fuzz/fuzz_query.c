/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for the query values of GET /v1/decisions, /v1/behaviors and
 * `report` (since: RFC 3339, an age or epoch seconds; level; cursor; the
 * integers limit and after), which any API client sends. Properties: a time
 * that parses lies between the epoch and now for an age; a cursor is either
 * refused (-EINVAL) or pages an empty store without error; an integer taken
 * is in range and was written as one (digits, a leading '-' at most). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "agent/api.h"
#include "decision/decision_store.h"
#include "lib/timefmt.h"
#include "fuzz_common.h"

static char dir[] = "/tmp/fuzz-query-XXXXXX";

static void cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct decision_store *store;
	const int64_t now = 1795764095000000000LL;
	char s[256], next[DECISION_CURSOR_LEN], err[256];
	struct decision_query q = { .limit = 10 };
	json_t *arr = NULL;
	int64_t ns;
	int ret;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!store) {
		struct decision_store_opts o = { .sz = sizeof(o) };
		char path[64];

		/* the store keeps a WAL beside its file: a real directory */
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		snprintf(path, sizeof(path), "%s/decisions.sqlite", dir);
		if (decision_store_open(path, &o, &store, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
	}
	timefmt_parse_rfc3339(s, &ns);
	if (timefmt_parse_since(s, now, &ns) == 0 && strpbrk(s, "smhd") && !strchr(s, 'T'))
		FUZZ_CHECK(ns >= 0 && ns <= now, "age '%s' gave %lld", s, (long long)ns);
	decision_level_parse(s);
	if (api_query_int(s, -5, 1000, &ns) == 0) {
		size_t digits = strspn(s + (s[0] == '-'), "0123456789");

		FUZZ_CHECK(ns >= -5 && ns <= 1000 && digits && s[(s[0] == '-') + digits] == '\0',
			   "integer '%s' taken as %lld", s, (long long)ns);
	}
	q.cursor = s;
	ret = decision_store_query(store, &q, &arr, next);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "cursor '%s': %d", s, ret);
	json_decref(arr);
	return 0;
}
