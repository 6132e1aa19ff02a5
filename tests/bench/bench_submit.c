/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* bench_submit [ENTRIES] [BATCH]: marketplace submissions through
 * bd_submit (validation, one SQLite transaction per batch, live index
 * update) — what POST /v1/behaviors does after parsing. Prints entries/s. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "lib/util.h"

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 100000, batch = argc > 2 ? atol(argv[2]) : 100;
	char dir[] = "/tmp/bench-submit-XXXXXX", path[64], err[512];
	static const char *const tokens[] = { "connect:inet", "recvfrom", "openat:write_tmp",
					      "fchmodat:exec", "dlopen", "mmap:exec_anon",
					      "execve", "dup2", "socket:inet", "sendto" };
	struct tokens *tok;
	struct bdstore *st;
	struct bdindex *idx;
	uint64_t t0, t1;
	long done = 0;

	if (!mkdtemp(dir) || tokens_load_default(&tok))
		return 1;
	snprintf(path, sizeof(path), "%s/bd.sqlite", dir);
	if (bdstore_open(path, BDSTORE_NO_SEED, &st, err, sizeof(err)) || bdindex_create(tok, &idx)) {
		fprintf(stderr, "bench_submit: %s\n", err);
		return 1;
	}
	t0 = util_now_mono_ns();
	while (done < total) {
		json_t *sub = json_pack("{s:s, s:o}", "submitter", "bench", "entries", json_array());
		json_t *entries, *res = NULL;

		entries = json_object_get(sub, "entries");
		for (long i = 0; i < batch && done + i < total; i++) {
			long k = done + i;
			json_t *seq = json_array();

			/* distinct sequences: a base-10 number written in tokens */
			for (long d = k, n = 0; n < 4; d /= 10, n++)
				json_array_append_new(seq, json_string(tokens[d % 10]));
			json_array_append_new(entries, json_pack("{s:o, s:f, s:f, s:s}", "sequence", seq,
				"risk_score", 0.5 + (k % 50) / 100.0, "confidence", 0.5, "label",
				k % 50 ? "malicious" : "good"));
		}
		if (bd_submit(st, idx, tok, sub, &res, err, sizeof(err))) {
			fprintf(stderr, "bench_submit: %s\n", err);
			return 1;
		}
		done += json_array_size(entries);
		json_decref(res);
		json_decref(sub);
	}
	t1 = util_now_mono_ns();
	printf("submit: %ld entries in batches of %ld: %.0f entries/s (%.3f ms per batch)\n", done,
	       batch, done / ((t1 - t0) / 1e9), (t1 - t0) / 1e6 / ((done + batch - 1) / batch));
	bdindex_free(idx);
	bdstore_close(st);
	tokens_free(tok);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	return system(err) ? 1 : 0;
}
