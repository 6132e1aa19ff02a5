/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for the files `score` and `eval` read (token names, a JSON
 * array, or syscall numbers; the syscall table) and the scorer behind them.
 * Properties: reading never crashes and a refusal has a reason; a trace
 * read is scored to a number in 0..1 against the curated database. */
#include <math.h>
#include <stdint.h>
#include "behaviors/bddefault.h"
#include "score/seqscore.h"
#include "learn/tracefile.h"
#include "fuzz_common.h"

static const char table_text[] = "0\trestart_syscall\n3\tread\n4\twrite\n5\topen\n11\texecve\n"
				 "102\tsocketcall\n125\tmprotect\n192\tmmap2\n";

static void score(struct bdindex *idx, const token_id *seq, size_t n)
{
	struct seqscore_result r;

	if (seqscore_window(idx, seq, n, &r) == 0)
		FUZZ_CHECK(r.score >= 0 && r.score <= 1 && !isnan(r.logodds),
			   "score %g (log-odds %g) for %zu tokens", r.score, r.logodds, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct syscall_table table;
	static struct tokens *tok;
	static struct bdindex *idx;
	struct syscall_table other;
	char path[64], tpath[64], err[512];
	token_id *seq;
	size_t n;
	int fd;

	if (!table.names) {
		int tfd = fuzz_file(table_text, sizeof(table_text) - 1, tpath, sizeof(tpath));

		if (tfd < 0 || tracefile_table_load(tpath, &table, err, sizeof(err)))
			abort();
		close(tfd);
	}
	/* names the inputs intern pile up: start afresh before the table fills */
	if (tok && tokens_count(tok) > tokens_listed_count(tok) + 4096) {
		bdindex_free(idx);
		tokens_free(tok);
		tok = NULL;
	}
	if (!tok && (tokens_load_default(&tok) || bdindex_load_default(tok, &idx)))
		abort();
	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	*err = '\0';
	if (tracefile_read_tokens(path, tok, &seq, &n, err, sizeof(err)) == 0) {
		score(idx, seq, n);
		free(seq);
	} else {
		FUZZ_CHECK(*err, "token trace refused without a reason");
	}
	*err = '\0';
	if (tracefile_read_numbers(path, &table, tok, &seq, &n, err, sizeof(err)) == 0) {
		score(idx, seq, n);
		free(seq);
	} else {
		FUZZ_CHECK(*err, "syscall-number trace refused without a reason");
	}
	*err = '\0';
	if (tracefile_table_load(path, &other, err, sizeof(err)) == 0)
		tracefile_table_free(&other);
	else
		FUZZ_CHECK(*err, "syscall table refused without a reason");
	close(fd);
	return 0;
}
