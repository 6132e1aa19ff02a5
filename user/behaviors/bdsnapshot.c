/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Snapshot writer and reader. The payload is binary (little-endian, doubles
 * as their IEEE bits, strings length-prefixed) so the round trip is exact
 * and a million entries load without parsing JSON; token names are listed
 * once and entries refer to them by number. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "behaviors/bdsnapshot.h"
#include "lib/filehash.h"
#include "lib/progress.h"
#include "lib/util.h"

static const char MAGIC[8] = { 'B', 'P', 'F', 'P', 'B', 'D', 'S', '\n' };
#define HDR_LEN 72
#define NULL_STR 0xffffffffu
#define SNAP_MAX (4ull << 30)

struct buf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap * 2 : 1 << 16;
		unsigned char *p;

		while (c < b->len + n)
			c *= 2;
		p = realloc(b->p, c);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = c;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_u64(struct buf *b, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, 8);
}

static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, 4);
}

static void put_f64(struct buf *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	put_u64(b, v);
}

static void put_str(struct buf *b, const char *s)
{
	if (!s) {
		put_u32(b, NULL_STR);
		return;
	}
	put_u32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s));
}

struct rd {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

static const unsigned char *take(struct rd *r, size_t n)
{
	const unsigned char *p = r->p + r->off;

	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return NULL;
	}
	r->off += n;
	return p;
}

static uint64_t get_u64(struct rd *r)
{
	const unsigned char *x = take(r, 8);
	uint64_t v = 0;

	for (int i = 0; x && i < 8; i++)
		v |= (uint64_t)x[i] << (8 * i);
	return v;
}

static uint32_t get_u32(struct rd *r)
{
	const unsigned char *x = take(r, 4);
	uint32_t v = 0;

	for (int i = 0; x && i < 4; i++)
		v |= (uint32_t)x[i] << (8 * i);
	return v;
}

static double get_f64(struct rd *r)
{
	uint64_t v = get_u64(r);
	double d;

	memcpy(&d, &v, 8);
	return d;
}

/* A malloc'd copy, or NULL for a NULL string (check r->bad for errors). */
static char *get_str(struct rd *r)
{
	uint32_t n = get_u32(r);
	const unsigned char *s;
	char *out;

	if (n == NULL_STR || r->bad)
		return NULL;
	if (n > BDENTRY_STR_MAX * 4 || !(s = take(r, n))) {
		r->bad = 1;
		return NULL;
	}
	out = malloc(n + 1);
	if (!out) {
		r->bad = 1;
		return NULL;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* --- export -------------------------------------------------------------- */

struct exp {
	struct buf body; /* entries, token numbers refer to tok */
	struct tokens *tok;
	uint64_t n;
	struct progress pr;
};

static int export_one(const struct bd_entry *e, void *arg)
{
	struct exp *x = arg;
	unsigned char u8[2] = { e->label == BD_LABEL_MALICIOUS, (unsigned char)e->len };

	put_u64(&x->body, (uint64_t)e->id);
	put_f64(&x->body, e->risk);
	put_f64(&x->body, e->confidence);
	put(&x->body, u8, 2);
	for (size_t i = 0; i < e->len; i++) {
		int id = tokens_intern(x->tok, e->tokens[i]);
		unsigned char t[2];

		if (id < 0)
			return id;
		t[0] = (unsigned char)id;
		t[1] = (unsigned char)(id >> 8);
		put(&x->body, t, 2);
	}
	put_str(&x->body, e->sequence);
	put_str(&x->body, e->origin);
	put_str(&x->body, e->source);
	put_str(&x->body, e->added_at);
	put_str(&x->body, e->submitter);
	progress_update(&x->pr, ++x->n);
	return x->body.err;
}

int bdsnapshot_export(struct bdstore *st, const char *path, char *err, size_t errlen)
{
	struct exp x = { 0 };
	struct buf payload = { 0 }, file = { 0 };
	struct bdindex_params p;
	uint8_t digest[FILEHASH_LEN];
	char tmp[4096];
	size_t clen;
	FILE *f = NULL;
	int ret;

	ret = tokens_load_default(&x.tok);
	if (ret)
		return ret;
	ret = bdstore_params_get(st, &p);
	progress_begin(&x.pr, "exporting", bdstore_count(st));
	if (!ret)
		ret = bdstore_foreach(st, export_one, &x);
	if (ret) {
		snprintf(err, errlen, "reading the database: %s",
			 bdstore_strerror(st, ret));
		goto out;
	}
	/* payload: params, token names, entries */
	put_f64(&payload, p.unknown_logit);
	put_f64(&payload, p.unknown_weight);
	put_f64(&payload, p.length_norm);
	put_u32(&payload, (uint32_t)tokens_count(x.tok));
	for (size_t i = 0; i < tokens_count(x.tok); i++)
		put_str(&payload, tokens_name(x.tok, (token_id)i));
	put(&payload, x.body.p, x.body.len);
	if ((ret = payload.err))
		goto out;
	ret = filehash_sha256_mem(payload.p, payload.len, digest);
	if (ret)
		goto out;
	put(&file, MAGIC, 8);
	put_u32(&file, BDSNAPSHOT_VERSION);
	put_u32(&file, 0);
	put_u64(&file, x.n);
	put_u64(&file, payload.len);
	put_u64(&file, 0); /* compressed length, patched below */
	put(&file, digest, 32);
	if ((ret = file.err))
		goto out;
	progress_label(&x.pr, "compressing");
	{
		size_t bound = ZSTD_compressBound(payload.len);
		unsigned char *z = realloc(file.p, HDR_LEN + bound);

		if (!z) {
			ret = -ENOMEM;
			goto out;
		}
		file.p = z;
		clen = ZSTD_compress(z + HDR_LEN, bound, payload.p, payload.len, 3);
		if (ZSTD_isError(clen)) {
			snprintf(err, errlen, "compressing: %s", ZSTD_getErrorName(clen));
			ret = -EIO;
			goto out;
		}
		for (int i = 0; i < 8; i++)
			z[32 + i] = (unsigned char)((uint64_t)clen >> (8 * i));
		file.len = HDR_LEN + clen;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f || fwrite(file.p, 1, file.len, f) != file.len || fflush(f) || fsync(fileno(f))) {
		ret = -errno ? -errno : -EIO;
		snprintf(err, errlen, "%s: %s", f ? tmp : path, strerror(-ret));
		if (f)
			fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) || rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	progress_end(&x.pr);
	tokens_free(x.tok);
	free(x.body.p);
	free(payload.p);
	free(file.p);
	return ret;
}

/* --- read ------------------------------------------------------------------ */

struct snap {
	struct bdindex_params params;
	char **names;
	uint32_t nnames;
	uint64_t n;
	unsigned char *payload;
	struct rd r; /* positioned at the first entry */
	/* the last text each field was found valid with: entries of one batch
	 * share their source and time, and are checked once */
	const char *valid[BDSTORE_NSTR];
	int valid_len[BDSTORE_NSTR];
};

static void snap_free(struct snap *s)
{
	for (uint32_t i = 0; s->names && i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s->payload);
}

static int snap_read(const char *path, struct snap *s, char *err, size_t errlen)
{
	char *file;
	size_t flen, plen, clen, got;
	uint8_t digest[FILEHASH_LEN];
	uint32_t version;
	struct rd h;
	int ret = util_read_file(path, SNAP_MAX, &file, &flen);

	memset(s, 0, sizeof(*s));
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	h = (struct rd){ (unsigned char *)file, flen, 0, 0 };
	ret = -EBADMSG;
	if (flen < HDR_LEN || memcmp(file, MAGIC, 8)) {
		snprintf(err, errlen, "%s: not a bpf-profiler database snapshot%s", path,
			 flen < HDR_LEN && flen >= 8 && !memcmp(file, MAGIC, 8) ? " (truncated header)" : "");
		goto out;
	}
	take(&h, 8);
	version = get_u32(&h);
	if (version != BDSNAPSHOT_VERSION) {
		snprintf(err, errlen, "%s: snapshot format version %u, this build reads %d", path,
			 version, BDSNAPSHOT_VERSION);
		ret = -EPROTO;
		goto out;
	}
	get_u32(&h);
	s->n = get_u64(&h);
	plen = get_u64(&h);
	clen = get_u64(&h);
	if (clen != flen - HDR_LEN) {
		snprintf(err, errlen, "%s: %s snapshot (%zu bytes of data, header says %zu)", path,
			 clen > flen - HDR_LEN ? "truncated" : "corrupt", flen - HDR_LEN, clen);
		goto out;
	}
	if (plen > SNAP_MAX * 8 || !(s->payload = malloc(plen ? plen : 1))) {
		snprintf(err, errlen, "%s: corrupt snapshot (payload length %zu)", path, plen);
		goto out;
	}
	got = ZSTD_decompress(s->payload, plen, file + HDR_LEN, clen);
	if (ZSTD_isError(got) || got != plen) {
		snprintf(err, errlen, "%s: corrupt snapshot (%s)", path,
			 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "payload length mismatch");
		goto out;
	}
	if (filehash_sha256_mem(s->payload, plen, digest)) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: cannot compute SHA-256", path);
		goto out;
	}
	if (memcmp(digest, file + 40, 32)) {
		snprintf(err, errlen, "%s: corrupt snapshot (SHA-256 mismatch)", path);
		goto out;
	}
	/* an entry takes at least 20 bytes: a count past that would size
	 * tables for entries that are not there */
	if (s->n > plen / 20 + 1) {
		snprintf(err, errlen, "%s: corrupt snapshot (entry count %llu)", path,
			 (unsigned long long)s->n);
		goto out;
	}
	s->r = (struct rd){ s->payload, plen, 0, 0 };
	s->params.unknown_logit = get_f64(&s->r);
	s->params.unknown_weight = get_f64(&s->r);
	s->params.length_norm = get_f64(&s->r);
	if (s->r.bad || !bdindex_params_valid(&s->params)) {
		snprintf(err, errlen, "%s: invalid snapshot: scoring parameters not usable "
			 "(unknown_logit %g, unknown_weight %g, length_norm %g)", path,
			 s->params.unknown_logit, s->params.unknown_weight, s->params.length_norm);
		goto out;
	}
	s->nnames = get_u32(&s->r);
	if (s->r.bad || s->nnames > TOKENS_MAX || !(s->names = calloc(s->nnames + 1, sizeof(char *)))) {
		snprintf(err, errlen, "%s: corrupt snapshot (token table)", path);
		goto out;
	}
	for (uint32_t i = 0; i < s->nnames; i++)
		if (!(s->names[i] = get_str(&s->r)) || !*s->names[i]) {
			snprintf(err, errlen, "%s: corrupt snapshot (token %u)", path, i);
			goto out;
		}
	ret = 0;
out:
	free(file);
	if (ret)
		snap_free(s);
	return ret;
}

/* A string field as it lies in the payload (not NUL-terminated); s NULL for
 * a NULL string (check r->bad for errors). */
static void get_view(struct rd *r, const char **s, int *len)
{
	uint32_t n = get_u32(r);

	*s = NULL;
	*len = 0;
	if (n == NULL_STR || r->bad)
		return;
	if (n > BDENTRY_STR_MAX * 4 || !take(r, n)) {
		r->bad = 1;
		return;
	}
	*s = (const char *)r->p + r->off - n;
	*len = (int)n;
}

/* Next entry as a store row pointing into the payload, and its token
 * numbers; only the structure is checked here (-EBADMSG), and that the id
 * is one the index can hold (-ERANGE). */
static int snap_next(struct snap *s, struct bdstore_row *row, uint16_t *toks, size_t *len)
{
	struct rd *r = &s->r;
	const unsigned char *u8;

	row->id = (int64_t)get_u64(r);
	row->risk = get_f64(r);
	row->confidence = get_f64(r);
	u8 = take(r, 2);
	if (!u8 || u8[0] > 1 || u8[1] < BDINDEX_MIN_LEN || u8[1] > BDINDEX_MAX_LEN ||
	    !(row->risk >= 0 && row->risk <= 1) ||
	    !(row->confidence >= 0 && row->confidence <= 1))
		return -EBADMSG;
	if (row->id <= 0 || row->id > BDINDEX_MAX_ID)
		return -ERANGE;
	row->label = u8[0] ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD;
	*len = u8[1];
	for (size_t k = 0; k < *len; k++) {
		u8 = take(r, 2);
		if (!u8 || (uint32_t)(u8[0] | u8[1] << 8) >= s->nnames)
			return -EBADMSG;
		toks[k] = (uint16_t)(u8[0] | u8[1] << 8);
	}
	for (int i = 0; i < BDSTORE_NSTR; i++)
		get_view(r, &row->str[i], &row->len[i]);
	if (r->bad || !row->str[BDSTORE_SEQUENCE] || !row->str[BDSTORE_ADDED_AT])
		return -EBADMSG;
	return 0;
}

static void snap_entry_error(const struct bdstore_row *row, uint64_t i, int ret,
			     const char *path, char *err, size_t errlen)
{
	if (ret == -ERANGE)
		snprintf(err, errlen, "%s: invalid snapshot: entry %llu: id %lld outside 1..%lld",
			 path, (unsigned long long)i, (long long)row->id, (long long)BDINDEX_MAX_ID);
	else
		snprintf(err, errlen, "%s: corrupt snapshot (entry %llu)", path,
			 (unsigned long long)i);
}

static int snap_id_taken(const struct bdstore_row *row, uint64_t i, const char *path,
			 char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: invalid snapshot: entry %llu: id %lld is used by an "
		 "earlier entry", path, (unsigned long long)i, (long long)row->id);
	return -EINVAL;
}

/* Every other constraint of the table is checked before a row goes in: a
 * refusal (-EINVAL) is the id's uniqueness. */
static void snap_store_error(struct bdstore *st, const struct bdstore_row *row, uint64_t i,
			     int ret, const char *path, char *err, size_t errlen)
{
	if (ret == -EINVAL)
		snap_id_taken(row, i, path, err, errlen);
	else
		snprintf(err, errlen, "writing the database: %s", bdstore_errmsg(st));
}

/* The scorer reads risk as P(malicious): it must agree with the label. */
static int snap_label_agrees(const struct bdstore_row *row, uint64_t i, const char *path,
			     char *err, size_t errlen)
{
	if (bdentry_label_agrees(row->label, row->risk))
		return 0;
	snprintf(err, errlen, "%s: invalid snapshot: entry %llu (id %lld).risk_score: %s", path,
		 (unsigned long long)i, (long long)row->id, BDENTRY_LABEL_RULE);
	return -EINVAL;
}

/* Check an entry as the store would take it (the snapshot may come from
 * another host: the checksum proves integrity, not validity). The common
 * case is cheap: a sequence that is exactly the canonical text of its plain
 * tokens is valid; anything else goes through the full entry validation. */
static int snap_validate(struct snap *s, const struct bdstore_row *row,
			 const uint16_t *toks, size_t len, uint64_t i, const char *path,
			 char *err, size_t errlen)
{
	const char *seq = row->str[BDSTORE_SEQUENCE];
	struct bdentry_name names[BDINDEX_MAX_LEN];
	struct bd_entry chk;
	char where[64], msg[256], *text;
	size_t k;
	int ret;
	json_t *o;

	static const char *const fields[BDSTORE_NSTR] = {
		[BDSTORE_ORIGIN] = "origin", [BDSTORE_SOURCE] = "source",
		[BDSTORE_ADDED_AT] = "added_at", [BDSTORE_SUBMITTER] = "submitter",
	};

	if (snap_label_agrees(row, i, path, err, errlen))
		return -EINVAL;
	snprintf(where, sizeof(where), "entry %llu (id %lld)", (unsigned long long)i,
		 (long long)row->id);
	for (int f = BDSTORE_ORIGIN; f < BDSTORE_NSTR; f++) {
		if (!row->str[f] || (s->valid[f] && row->len[f] == s->valid_len[f] &&
				     !memcmp(row->str[f], s->valid[f], (size_t)row->len[f])))
			continue;
		if (bdentry_check_text(fields[f], row->str[f], (size_t)row->len[f], where, msg,
				       sizeof(msg))) {
			snprintf(err, errlen, "%s: invalid snapshot: %s", path, msg);
			return -EINVAL;
		}
		s->valid[f] = row->str[f];
		s->valid_len[f] = row->len[f];
	}
	if (bdentry_plain_sequence(seq, (size_t)row->len[BDSTORE_SEQUENCE], names) == len) {
		for (k = 0; k < len; k++)
			if (strncmp(s->names[toks[k]], names[k].p, names[k].len) ||
			    s->names[toks[k]][names[k].len])
				break;
		if (k == len)
			return 0;
	}
	/* the full check, through the same validation as a submission */
	text = strndup(seq, (size_t)row->len[BDSTORE_SEQUENCE]);
	if (!text)
		return -ENOMEM;
	o = json_pack("{s:o?, s:f, s:f, s:s}", "sequence", json_loads(text, 0, NULL),
		      "risk_score", row->risk, "confidence", row->confidence,
		      "label", row->label == BD_LABEL_MALICIOUS ? "malicious" : "good");
	free(text);
	if (!o)
		return -ENOMEM;
	ret = bdentry_from_json(o, BDENTRY_SUBMISSION, where, &chk, msg, sizeof(msg));
	json_decref(o);
	if (ret) {
		snprintf(err, errlen, "%s: invalid snapshot: %s", path, msg);
		return ret;
	}
	for (size_t k = 0; !ret && k < len; k++)
		if (k >= chk.len || strcmp(chk.tokens[k], s->names[toks[k]]))
			ret = -EINVAL;
	if (chk.len != len)
		ret = -EINVAL;
	bdentry_clear(&chk);
	if (ret)
		snprintf(err, errlen, "%s: invalid snapshot: %s: tokens do not match the sequence",
			 path, where);
	return ret;
}

/* One pass: every entry is checked as it goes into the store's transaction;
 * the first bad one rolls the transaction back, leaving the database as it
 * was. */
int bdsnapshot_import(struct bdstore *st, const char *path, size_t *nentries,
		      char *err, size_t errlen)
{
	struct progress pr;
	struct snap s;
	uint64_t i;
	int ret;

	progress_label(&pr, "verifying the snapshot");
	ret = snap_read(path, &s, err, errlen);
	progress_end(&pr);
	if (ret)
		return ret;
	ret = bdstore_bulk_begin(st);
	if (ret) {
		snprintf(err, errlen, "writing the database: %s", bdstore_errmsg(st));
		goto out;
	}
	progress_begin(&pr, "importing", s.n);
	for (i = 0; !ret && i < s.n; i++) {
		struct bdstore_row row;
		uint16_t toks[BDINDEX_MAX_LEN];
		size_t len;

		ret = snap_next(&s, &row, toks, &len);
		if (ret) {
			snap_entry_error(&row, i, ret, path, err, errlen);
			break;
		}
		ret = snap_validate(&s, &row, toks, len, i, path, err, errlen);
		if (!ret && (ret = bdstore_bulk_add(st, &row)))
			snap_store_error(st, &row, i, ret, path, err, errlen);
		progress_update(&pr, i + 1);
	}
	if (!ret && s.r.off != s.r.len) {
		snprintf(err, errlen, "%s: corrupt snapshot (trailing data)", path);
		ret = -EBADMSG;
	}
	if (ret) {
		bdstore_bulk_end(st, NULL, false, NULL, 0);
	} else {
		progress_label(&pr, "building the sequence index");
		ret = bdstore_bulk_end(st, &s.params, true, err, errlen);
	}
	progress_end(&pr);
	if (!ret && nentries)
		*nentries = s.n;
out:
	snap_free(&s);
	return ret;
}

int bdsnapshot_load_index(const char *path, struct tokens *tok, struct bdindex *idx,
			  size_t *nentries, char *err, size_t errlen)
{
	token_id *map = NULL;
	struct snap s;
	int ret = snap_read(path, &s, err, errlen);

	if (ret)
		return ret;
	map = calloc(s.nnames + 1, sizeof(*map));
	ret = map ? bdindex_reserve(idx, s.n, s.n * 5) : -ENOMEM;
	for (uint32_t i = 0; !ret && i < s.nnames; i++) {
		int id = tokens_intern(tok, s.names[i]);

		if (id < 0)
			ret = id;
		else
			map[i] = (token_id)id;
	}
	if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	/* the same checks as an import's, except the sequence text (the index
	 * keeps the token numbers only) */
	for (uint64_t i = 0; !ret && i < s.n; i++) {
		struct bdstore_row row;
		uint16_t toks[BDINDEX_MAX_LEN];
		token_id seq[BDINDEX_MAX_LEN];
		size_t len, before = bdindex_count(idx);

		ret = snap_next(&s, &row, toks, &len);
		if (ret) {
			snap_entry_error(&row, i, ret, path, err, errlen);
			break;
		}
		ret = snap_label_agrees(&row, i, path, err, errlen);
		if (ret)
			break;
		for (size_t k = 0; k < len; k++)
			seq[k] = map[toks[k]];
		ret = bdindex_add(idx, row.id, seq, len, row.risk, row.confidence, row.label);
		if (ret)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		else if (bdindex_count(idx) == before) /* an add of a known id replaces */
			ret = snap_id_taken(&row, i, path, err, errlen);
	}
	if (!ret && s.r.off != s.r.len) {
		snprintf(err, errlen, "%s: corrupt snapshot (trailing data)", path);
		ret = -EBADMSG;
	}
	if (!ret)
		bdindex_params_set(idx, &s.params);
	if (!ret && nentries)
		*nentries = s.n;
	free(map);
	snap_free(&s);
	return ret;
}
