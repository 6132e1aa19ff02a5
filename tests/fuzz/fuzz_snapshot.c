/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for database snapshots, which come from other hosts. The
 * input is an entry count (2 bytes, little-endian) and a payload; the target
 * wraps it in a valid header, zstd frame and SHA-256 so that mutations reach
 * the parser instead of dying at the checksum. Properties: loading into an
 * index and importing into a store never crash; an import is refused with a
 * reason and the store unchanged, or taken whole and loadable again. */
#include <stdint.h>
#include <string.h>
#include <zstd.h>
#include "behaviors/bdsnapshot.h"
#include "lib/filehash.h"
#include "fuzz_common.h"

static struct bdstore *store;

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The snapshot file for (count, payload) in *out (malloc'd), its length. */
static size_t wrap(const uint8_t *payload, size_t plen, uint64_t count, unsigned char **out)
{
	size_t bound = ZSTD_compressBound(plen), clen;
	unsigned char *f = malloc(72 + bound);

	if (!f)
		return 0;
	clen = ZSTD_compress(f + 72, bound, payload, plen, 1);
	if (ZSTD_isError(clen) || filehash_sha256_mem(payload, plen, f + 40)) {
		free(f);
		return 0;
	}
	memcpy(f, "BPFPBDS\n", 8);
	put_le(f + 8, 1, 4); /* BDSNAPSHOT_VERSION */
	put_le(f + 12, 0, 4);
	put_le(f + 16, count, 8);
	put_le(f + 24, plen, 8);
	put_le(f + 32, clen, 8);
	*out = f;
	return 72 + clen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	struct tokens *tok;
	unsigned char *file;
	struct bdindex *idx;
	size_t flen, before, n = 0;
	int fd, ret;

	if (size < 2)
		return 0;
	if (!store && bdstore_open(":memory:", BDSTORE_NO_SEED, &store, err, sizeof(err)))
		abort();
	/* names interned by one input must not fill the table for the next */
	if (tokens_load_default(&tok))
		abort();
	flen = wrap(data + 2, size - 2, (uint64_t)(data[0] | data[1] << 8), &file);
	if (!flen) {
		tokens_free(tok);
		return 0;
	}
	fd = fuzz_file(file, flen, path, sizeof(path));
	free(file);
	if (fd < 0) {
		tokens_free(tok);
		return 0;
	}

	*err = '\0';
	if (bdindex_create(tok, &idx))
		abort();
	ret = bdsnapshot_load_index(path, tok, idx, NULL, err, sizeof(err));
	FUZZ_CHECK(!ret || *err, "the index load refused without a reason");
	bdindex_free(idx);

	before = bdstore_count(store);
	*err = '\0';
	ret = bdsnapshot_import(store, path, &n, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(*err, "the import refused without a reason");
		FUZZ_CHECK(bdstore_count(store) == before, "a refused import (%s) changed the store",
			   err);
	} else {
		FUZZ_CHECK(bdstore_count(store) == n, "%zu entries imported, %zu stored", n,
			   bdstore_count(store));
		if (bdindex_create(tok, &idx))
			abort();
		ret = bdstore_load_index(store, tok, idx);
		FUZZ_CHECK(!ret, "an imported store does not load: %s", bdstore_strerror(store, ret));
		bdindex_free(idx);
	}
	tokens_free(tok);
	close(fd);
	return 0;
}
