/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Behavioral database benchmark (scripts/bench.sh): synthetic databases of
 * random 5-grams over a 300-token vocabulary; fuzzy lookups per second on
 * one core, index bytes per entry, snapshot import time (into the index,
 * and into SQLite with --store). Usage: bench_bd N [--store] [--dir DIR]. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "behaviors/bd.h"
#include "behaviors/bdsnapshot.h"
#include "behaviors/bdstore.h"
#include "lib/timefmt.h"
#include "lib/util.h"

#define VOCAB 300
#define LEN 5
#define QUERIES 4000000
#define BATCH 8

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static double secs(uint64_t t0)
{
	return (double)(util_now_mono_ns() - t0) / 1e9;
}

/* The same queries in batches of nb (bdindex_lookup_fuzzy_batch). */
static void bench_batches(const struct bdindex *idx, const token_id *qs, size_t nb, size_t found)
{
	static struct bdindex_match bm[BDINDEX_BATCH_MAX * 8];
	const token_id *bq[BDINDEX_BATCH_MAX];
	size_t bn[BDINDEX_BATCH_MAX], bfound = 0;
	int cnt[BDINDEX_BATCH_MAX];
	uint64_t t0 = util_now_mono_ns();

	for (size_t q = 0; q < QUERIES; q += nb) {
		for (size_t b = 0; b < nb; b++) {
			bq[b] = qs + (q + b) * (LEN + 1);
			bn[b] = ((q + b) & 3) == 2 ? LEN + 1 : LEN;
		}
		bdindex_lookup_fuzzy_batch(idx, bq, bn, nb, bm, 8, cnt);
		for (size_t b = 0; b < nb; b++)
			bfound += cnt[b] > 0;
	}
	printf("  batches of %zu: %.2f M fuzzy lookups/s/core (%s results)\n", nb,
	       QUERIES / secs(t0) / 1e6, bfound == found ? "same" : "DIFFERENT");
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
	bool store = argc > 2 && !strcmp(argv[2], "--store");
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	token_id vocab[VOCAB], *ents, *qs;
	struct bdindex_match m[32];
	struct tokens *tok;
	struct bdindex *idx;
	size_t found = 0;
	uint64_t t0;
	double build, look;

	if (!n) {
		fprintf(stderr, "usage: bench_bd N [--store]\n");
		return 2;
	}
	tokens_load_default(&tok);
	for (int i = 0; i < VOCAB; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		vocab[i] = (token_id)tokens_intern(tok, name);
	}
	ents = malloc(n * LEN * sizeof(*ents));
	qs = malloc(QUERIES * (LEN + 1) * sizeof(*qs));
	for (size_t i = 0; i < n * LEN; i++)
		ents[i] = vocab[rnd(VOCAB)];
	/* queries: 1/4 exact, 1/4 one substitution, 1/4 one insertion, 1/4 random */
	for (size_t q = 0; q < QUERIES; q++) {
		token_id *d = qs + q * (LEN + 1);
		const token_id *e = ents + (size_t)rnd((uint32_t)n) * LEN;

		memcpy(d, e, LEN * sizeof(*d));
		d[LEN] = TOKEN_NONE;
		switch (q & 3) {
		case 1: d[rnd(LEN)] = vocab[rnd(VOCAB)]; break;
		case 2: {
			uint32_t at = rnd(LEN + 1);

			memmove(d + at + 1, d + at, (LEN - at) * sizeof(*d));
			d[at] = vocab[rnd(VOCAB)];
			break;
		}
		case 3:
			for (int k = 0; k < LEN; k++)
				d[k] = vocab[rnd(VOCAB)];
			break;
		}
	}
	bdindex_create(tok, &idx);
	t0 = util_now_mono_ns();
	bdindex_reserve(idx, n, n * LEN);
	for (size_t i = 0; i < n; i++)
		if (bdindex_add(idx, (int64_t)i + 1, ents + i * LEN, LEN, (i % 1000) / 1000.0,
				0.5, i % 1000 >= 500 ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD)) {
			fprintf(stderr, "add failed at %zu\n", i);
			return 1;
		}
	build = secs(t0);
	t0 = util_now_mono_ns();
	for (size_t q = 0; q < QUERIES; q++) {
		const token_id *d = qs + q * (LEN + 1);
		int r = bdindex_lookup_fuzzy(idx, d, (q & 3) == 2 ? LEN + 1 : LEN, m, 32);

		found += r > 0;
	}
	look = secs(t0);
	printf("entries %zu: build %.3f s, %.2f M fuzzy lookups/s/core (%.0f%% hit), %.1f bytes/entry\n",
	       n, build, QUERIES / look / 1e6, 100.0 * found / QUERIES,
	       (double)bdindex_memory(idx) / (double)n);
	bench_batches(idx, qs, BATCH, found);
	bench_batches(idx, qs, BDINDEX_BATCH_MAX, found);
	bdindex_free(idx);

	if (store) {
		char db[400], snap[400], err[512];
		struct bdstore *st;
		size_t got;
		char now[TIMEFMT_RFC3339_LEN];

		snprintf(db, sizeof(db), "%s/bench-bd-%d.sqlite", dir, (int)getpid());
		snprintf(snap, sizeof(snap), "%s/bench-bd-%d.bdsnap", dir, (int)getpid());
		if (bdstore_open(db, BDSTORE_NO_SEED, &st, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		bdentry_now(now, sizeof(now));
		t0 = util_now_mono_ns();
		bdstore_begin(st);
		for (size_t i = 0; i < n; i++) {
			struct bd_entry e = { .len = LEN, .risk = 0.75, .confidence = 0.5,
					      .label = BD_LABEL_MALICIOUS, .source = "bench",
					      .added_at = now };
			char seq[128];
			const token_id *s = ents + i * LEN;

			snprintf(seq, sizeof(seq), "[\"t%u\",\"t%u\",\"t%u\",\"t%u\",\"t%u\"]",
				 s[0] - vocab[0], s[1] - vocab[0], s[2] - vocab[0], s[3] - vocab[0],
				 s[4] - vocab[0]);
			e.sequence = seq;
			for (int k = 0; k < LEN; k++)
				e.tokens[k] = (char *)tokens_name(tok, s[k]);
			if (bdstore_add(st, &e)) {
				fprintf(stderr, "store: %s\n", bdstore_errmsg(st));
				return 1;
			}
		}
		bdstore_commit(st);
		printf("  store fill %.2f s\n", secs(t0));
		t0 = util_now_mono_ns();
		if (bdsnapshot_export(st, snap, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		printf("  export %.2f s\n", secs(t0));
		bdindex_create(tok, &idx);
		t0 = util_now_mono_ns();
		if (bdsnapshot_load_index(snap, tok, idx, &got, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		printf("  snapshot -> index %.3f s (%zu entries)\n", secs(t0), got);
		bdindex_free(idx);
		/* what the agent does at start-up */
		bdindex_create(tok, &idx);
		t0 = util_now_mono_ns();
		if (bdstore_load_index(st, tok, idx)) {
			fprintf(stderr, "loading the index: %s\n", bdstore_errmsg(st));
			return 1;
		}
		printf("  SQLite -> index %.3f s (agent start-up)\n", secs(t0));
		{
			struct bd_sync_stats ss;

			t0 = util_now_mono_ns();
			if (bd_sync_index(st, tok, idx, &ss)) {
				fprintf(stderr, "resync failed\n");
				return 1;
			}
			printf("  resync of the live index, nothing changed %.3f s\n", secs(t0));
		}
		bdindex_free(idx);
		t0 = util_now_mono_ns();
		if (bdsnapshot_import(st, snap, &got, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		printf("  snapshot -> SQLite (db import) %.2f s\n", secs(t0));
		bdstore_close(st);
		unlink(snap);
		unlink(db);
		snprintf(err, sizeof(err), "%s-wal", db);
		unlink(err);
		snprintf(err, sizeof(err), "%s-shm", db);
		unlink(err);
	}
	free(ents);
	free(qs);
	tokens_free(tok);
	return 0;
}
