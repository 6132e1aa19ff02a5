/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzzy n-gram index. A 32-bit slot packs entry index, a 4-bit hash tag and
 * which position was deleted (15 = exact key); keys are never stored, they
 * are re-derived from the entry, which keeps an entry near 60 bytes. Readers
 * never lock: slots change by atomic store, entry memory is never freed
 * before bdindex_free, and a grown table is freed after a grace period. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "bdindex.h"
#include "util.h"

#define ENT_CHUNK_SHIFT 16
#define ENT_CHUNK (1u << ENT_CHUNK_SHIFT)
#define ENT_NCHUNKS ((BDINDEX_MAX_ENTRIES + ENT_CHUNK) / ENT_CHUNK + 1)
#define TOK_CHUNK_SHIFT 20
#define TOK_CHUNK (1u << TOK_CHUNK_SHIFT)
#define TOK_NCHUNKS 4096

#define HUGE_PAGE ((size_t)2 << 20)
#define SLOT_EMPTY 0u
#define SLOT_TOMB 0xffffffffu
#define POS_EXACT 15u
#define MAX_LOAD 0.70  /* rebuild above this (tombstones count): linear
			* probe runs grow fast past it */
#define GROW_LOAD 0.50 /* load right after a growth */

/* An entry is one 64-bit word, written once with release and afterwards
 * only losing its LIVE bit: tokoff (chunk << TOK_CHUNK_SHIFT | offset) in
 * bits 0-31, risk and confidence as 12-bit fixed point, length, flags. */
#define ENT_RISK_SHIFT 32
#define ENT_CONF_SHIFT 44
#define ENT_LEN_SHIFT 56
#define ENT_LIVE (1ull << 60)
#define ENT_MAL (1ull << 61)
#define FIXED_MAX 4095u

typedef _Atomic uint64_t ent_t;

static inline uint32_t ent_tokoff(uint64_t w) { return (uint32_t)w; }
static inline uint32_t ent_len(uint64_t w) { return (w >> ENT_LEN_SHIFT) & 0xf; }

struct table {
	size_t nslots;
	uint32_t ebits; /* slot bits for the entry index; the rest of 28 is tag */
	_Atomic uint32_t slots[];
};

struct idmap { /* writer-only: id -> entry index + 1 */
	uint32_t *slots;
	size_t nslots, used;
};

struct bdindex {
	const struct tokens *tok;
	struct table *_Atomic table;
	ent_t *_Atomic ents[ENT_NCHUNKS];
	uint32_t *_Atomic ids[ENT_NCHUNKS]; /* 32 bits: 4 bytes an entry saved */
	token_id *_Atomic toks[TOK_NCHUNKS];
	atomic_uint epoch;
	atomic_long readers[2];
	pthread_mutex_t wlock;
	/* writer state */
	uint32_t nents;     /* entry slots ever used */
	uint32_t tok_chunk; /* current token chunk */
	uint32_t tok_used;  /* tokens used in it */
	size_t used;        /* table slots not empty (incl. tombstones) */
	size_t keys;        /* keys of live entries */
	struct idmap idmap;
	atomic_size_t live;
	atomic_uint lengths;
	/* scoring parameters behind a seqlock: readers never wait for the
	 * writer mutex (held through rebuilds and bulk loads) */
	atomic_uint pseq;
	_Atomic uint64_t pbits[3];
};

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Hash of seq with position skip left out (skip >= n: nothing left out). */
static inline uint64_t key_hash(const token_id *seq, size_t n, size_t skip)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n - (skip < n));

	for (size_t i = 0; i < n; i++)
		if (i != skip)
			h = (h ^ seq[i]) * 0x100000001b3ull;
	return mix64(h);
}

static inline size_t slot_of(uint64_t h, size_t nslots)
{
	return (size_t)(((h >> 32) * (uint64_t)nslots) >> 32);
}

/* Slot layout: entry index + 1 in the top ebits, a hash tag in the next
 * 28 - ebits, the deleted position in the low 4. A small database gets a
 * long tag: fewer false candidates, fewer cache misses per lookup. */
static inline uint32_t tag_of(const struct table *t, uint64_t h)
{
	return (uint32_t)(h >> 8) & ((1u << (28 - t->ebits)) - 1);
}

static inline uint32_t slot_pack(const struct table *t, uint32_t ent, uint32_t tag, uint32_t pos)
{
	return ((ent + 1) << (32 - t->ebits)) | (tag << 4) | pos;
}

static inline uint32_t slot_ent(const struct table *t, uint32_t v)
{
	return (v >> (32 - t->ebits)) - 1;
}

static inline uint32_t slot_tag(const struct table *t, uint32_t v)
{
	return (v >> 4) & ((1u << (28 - t->ebits)) - 1);
}

/* Entry-index bits for a table that must address n entries. */
static uint32_t ebits_for(size_t n)
{
	uint32_t b = 16;

	while (b < 24 && ((size_t)1 << b) < n + 2)
		b++;
	return b;
}

static inline ent_t *ent_at(const struct bdindex *idx, uint32_t e)
{
	return &idx->ents[e >> ENT_CHUNK_SHIFT][e & (ENT_CHUNK - 1)];
}

static inline uint64_t ent_word(const struct bdindex *idx, uint32_t e)
{
	return atomic_load_explicit(ent_at(idx, e), memory_order_acquire);
}

static inline const token_id *ent_toks(const struct bdindex *idx, uint64_t w)
{
	uint32_t off = ent_tokoff(w);

	return &idx->toks[off >> TOK_CHUNK_SHIFT][off & (TOK_CHUNK - 1)];
}

static inline int64_t ent_id(const struct bdindex *idx, uint32_t e)
{
	return idx->ids[e >> ENT_CHUNK_SHIFT][e & (ENT_CHUNK - 1)];
}

/* --- read side grace periods ------------------------------------------- */

static unsigned read_enter(const struct bdindex *cidx)
{
	struct bdindex *idx = (struct bdindex *)cidx;

	for (;;) {
		unsigned e = atomic_load(&idx->epoch) & 1;

		atomic_fetch_add(&idx->readers[e], 1);
		if ((atomic_load(&idx->epoch) & 1) == e)
			return e;
		atomic_fetch_sub(&idx->readers[e], 1);
	}
}

static void read_exit(const struct bdindex *cidx, unsigned e)
{
	atomic_fetch_sub(&((struct bdindex *)cidx)->readers[e], 1);
}

/* Writer: after this, no reader still holds a pointer loaded before it. */
static void wait_readers(struct bdindex *idx)
{
	for (int flip = 0; flip < 2; flip++) {
		unsigned old = atomic_fetch_add(&idx->epoch, 1) & 1;

		while (atomic_load(&idx->readers[old]))
			sched_yield();
	}
}

/* --- table --------------------------------------------------------------- */

/* A large table asks for transparent huge pages: every probe is a random
 * access, and a TLB miss would add a page walk to each. */
static void *huge_calloc(size_t bytes)
{
	void *p;

	if (bytes < HUGE_PAGE)
		return calloc(1, bytes);
	bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	p = aligned_alloc(HUGE_PAGE, bytes);
	if (p) {
		madvise(p, bytes, MADV_HUGEPAGE);
		memset(p, 0, bytes);
	}
	return p;
}

static struct table *table_new(size_t nslots, uint32_t ebits)
{
	struct table *t = huge_calloc(sizeof(struct table) + nslots * sizeof(uint32_t));

	if (t) {
		t->nslots = nslots;
		t->ebits = ebits;
	}
	return t;
}

/* Writer: put one key of entry e into t (no growth check). */
static void table_put(struct table *t, uint64_t h, uint32_t e, uint32_t pos)
{
	size_t i = slot_of(h, t->nslots);

	for (;;) {
		uint32_t s = atomic_load_explicit(&t->slots[i], memory_order_relaxed);

		if (s == SLOT_EMPTY || s == SLOT_TOMB)
			break;
		if (++i == t->nslots)
			i = 0;
	}
	atomic_store_explicit(&t->slots[i], slot_pack(t, e, tag_of(t, h), pos), memory_order_release);
}

static void ent_put_keys(struct bdindex *idx, struct table *t, uint32_t e)
{
	uint64_t w = ent_word(idx, e);
	const token_id *s = ent_toks(idx, w);
	uint32_t len = ent_len(w);

	table_put(t, key_hash(s, len, SIZE_MAX), e, POS_EXACT);
	for (uint32_t p = 0; p < len; p++)
		table_put(t, key_hash(s, len, p), e, p);
}

/* Writer: replace the table by one of n slots addressing at least nents
 * entries, without tombstones. */
static int table_rebuild(struct bdindex *idx, size_t n, size_t nents)
{
	struct table *old = atomic_load(&idx->table);
	struct table *t = table_new(n, ebits_for(nents > idx->nents ? nents : idx->nents));

	if (!t)
		return -ENOMEM;
	idx->used = 0;
	for (uint32_t e = 0; e < idx->nents; e++) {
		uint64_t w = ent_word(idx, e);

		if (w & ENT_LIVE) {
			ent_put_keys(idx, t, e);
			idx->used += ent_len(w) + 1u;
		}
	}
	atomic_store_explicit(&idx->table, t, memory_order_release);
	if (old) {
		wait_readers(idx);
		free(old);
	}
	return 0;
}

/* --- id map (writer only) --------------------------------------------- */

static size_t idmap_find(const struct bdindex *idx, int64_t id)
{
	const struct idmap *m = &idx->idmap;
	size_t i;

	if (!m->nslots)
		return SIZE_MAX;
	i = slot_of(mix64((uint64_t)id), m->nslots);
	for (; m->slots[i]; i = i + 1 == m->nslots ? 0 : i + 1)
		if (m->slots[i] != SLOT_TOMB && ent_id(idx, m->slots[i] - 1) == id)
			return i;
	return SIZE_MAX;
}

static int idmap_resize(struct bdindex *idx, size_t n)
{
	struct idmap *m = &idx->idmap;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	m->used = 0;
	for (size_t j = 0; j < m->nslots; j++) {
		uint32_t v = m->slots[j];
		size_t i;

		if (!v || v == SLOT_TOMB)
			continue;
		i = slot_of(mix64((uint64_t)ent_id(idx, v - 1)), n);
		while (s[i])
			i = i + 1 == n ? 0 : i + 1;
		s[i] = v;
		m->used++;
	}
	free(m->slots);
	m->slots = s;
	m->nslots = n;
	return 0;
}

static int idmap_put(struct bdindex *idx, int64_t id, uint32_t e)
{
	struct idmap *m = &idx->idmap;
	size_t i;

	if ((m->used + 1) > m->nslots * MAX_LOAD) {
		int ret = idmap_resize(idx, (size_t)((atomic_load(&idx->live) + 1) / GROW_LOAD) + 1024);

		if (ret)
			return ret;
	}
	i = slot_of(mix64((uint64_t)id), m->nslots);
	while (m->slots[i] && m->slots[i] != SLOT_TOMB)
		i = i + 1 == m->nslots ? 0 : i + 1;
	if (!m->slots[i])
		m->used++;
	m->slots[i] = e + 1;
	return 0;
}

/* --- public ---------------------------------------------------------------- */

int bdindex_create(const struct tokens *tok, struct bdindex **out)
{
	struct bdindex *idx = calloc(1, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	idx->tok = tok;
	pthread_mutex_init(&idx->wlock, NULL);
	bdindex_params_set(idx, &(struct bdindex_params){ .length_norm = BDINDEX_LENGTH_NORM });
	atomic_store(&idx->table, table_new(1024, ebits_for(0)));
	if (!atomic_load(&idx->table)) {
		free(idx);
		return -ENOMEM;
	}
	*out = idx;
	return 0;
}

void bdindex_free(struct bdindex *idx)
{
	if (!idx)
		return;
	free(atomic_load(&idx->table));
	for (size_t c = 0; c < ENT_NCHUNKS; c++) {
		free(idx->ents[c]);
		free(idx->ids[c]);
	}
	for (size_t c = 0; c < TOK_NCHUNKS; c++)
		free(idx->toks[c]);
	free(idx->idmap.slots);
	pthread_mutex_destroy(&idx->wlock);
	free(idx);
}

/* Writer: tombstone every key of entry e in the current table. */
static void ent_unlink(struct bdindex *idx, uint32_t e)
{
	struct table *t = atomic_load(&idx->table);
	uint64_t w = ent_word(idx, e);
	const token_id *s = ent_toks(idx, w);
	uint32_t len = ent_len(w);

	for (uint32_t p = 0; p <= len; p++) {
		uint64_t h = key_hash(s, len, p == len ? SIZE_MAX : p);
		uint32_t want = slot_pack(t, e, tag_of(t, h), p == len ? POS_EXACT : p);
		size_t i = slot_of(h, t->nslots);
		uint32_t v;

		while ((v = atomic_load_explicit(&t->slots[i], memory_order_relaxed)) != SLOT_EMPTY) {
			if (v == want) {
				atomic_store_explicit(&t->slots[i], SLOT_TOMB, memory_order_release);
				break;
			}
			if (++i == t->nslots)
				i = 0;
		}
	}
	atomic_fetch_and(ent_at(idx, e), ~ENT_LIVE);
	atomic_fetch_sub(&idx->live, 1);
	idx->keys -= len + 1;
}

static int remove_locked(struct bdindex *idx, int64_t id)
{
	size_t i = idmap_find(idx, id);

	if (i == SIZE_MAX)
		return -ENOENT;
	ent_unlink(idx, idx->idmap.slots[i] - 1);
	idx->idmap.slots[i] = SLOT_TOMB;
	return 0;
}

static uint64_t fixed12(double v)
{
	if (!(v > 0)) /* also NaN */
		return 0;
	if (v >= 1)
		return FIXED_MAX;
	return (uint64_t)(v * FIXED_MAX + 0.5);
}

/* Writer: room for one more entry and its len tokens. */
static int reserve(struct bdindex *idx, size_t len)
{
	uint32_t e = idx->nents;

	if (e >= BDINDEX_MAX_ENTRIES)
		return -ENOSPC;
	if (!idx->ents[e >> ENT_CHUNK_SHIFT]) {
		ent_t *c = calloc(ENT_CHUNK, sizeof(*c));
		uint32_t *ic = calloc(ENT_CHUNK, sizeof(*ic));

		if (!c || !ic) {
			free(c);
			free(ic);
			return -ENOMEM;
		}
		atomic_store(&idx->ids[e >> ENT_CHUNK_SHIFT], ic);
		atomic_store(&idx->ents[e >> ENT_CHUNK_SHIFT], c);
	}
	if (!idx->toks[idx->tok_chunk] || idx->tok_used + len > TOK_CHUNK) {
		uint32_t c = idx->toks[idx->tok_chunk] ? idx->tok_chunk + 1 : idx->tok_chunk;
		token_id *tc;

		if (c >= TOK_NCHUNKS)
			return -ENOSPC;
		tc = malloc(TOK_CHUNK * sizeof(*tc));
		if (!tc)
			return -ENOMEM;
		atomic_store(&idx->toks[c], tc);
		idx->tok_chunk = c;
		idx->tok_used = 0;
	}
	return 0;
}

int bdindex_add(struct bdindex *idx, int64_t id, const token_id *seq, size_t len,
		double risk, double confidence, enum bd_label label)
{
	struct table *t;
	uint32_t off, e, oe = UINT32_MAX;
	int ret;

	if (len < BDINDEX_MIN_LEN || len > BDINDEX_MAX_LEN || !seq)
		return -EINVAL;
	if (id < 1 || id > BDINDEX_MAX_ID)
		return -ERANGE;
	pthread_mutex_lock(&idx->wlock);
	ret = reserve(idx, len);
	if (ret)
		goto out;
	t = atomic_load(&idx->table);
	if ((idx->used + len + 1) > t->nslots * MAX_LOAD ||
	    (size_t)idx->nents + 2 >= (size_t)1 << t->ebits) {
		size_t n = (size_t)((idx->keys + len + 1) / GROW_LOAD) + 1024;

		ret = table_rebuild(idx, n > t->nslots ? n : t->nslots, 2 * (size_t)idx->nents + 2);
		if (ret)
			goto out;
	}
	e = idx->nents;
	idx->ids[e >> ENT_CHUNK_SHIFT][e & (ENT_CHUNK - 1)] = (uint32_t)id;
	{
		size_t slot = idmap_find(idx, id);

		if (slot != SIZE_MAX) { /* a replacement: the id now names e */
			oe = idx->idmap.slots[slot] - 1;
			idx->idmap.slots[slot] = e + 1;
		} else if ((ret = idmap_put(idx, id, e))) {
			goto out;
		}
	}
	off = (idx->tok_chunk << TOK_CHUNK_SHIFT) | idx->tok_used;
	memcpy(&idx->toks[idx->tok_chunk][idx->tok_used], seq, len * sizeof(*seq));
	idx->tok_used += len;
	atomic_store_explicit(ent_at(idx, e),
			      off | fixed12(risk) << ENT_RISK_SHIFT |
			      fixed12(confidence) << ENT_CONF_SHIFT |
			      (uint64_t)len << ENT_LEN_SHIFT | ENT_LIVE |
			      (label == BD_LABEL_MALICIOUS ? ENT_MAL : 0),
			      memory_order_release);
	idx->nents++;
	ent_put_keys(idx, atomic_load(&idx->table), e);
	idx->used += len + 1;
	idx->keys += len + 1;
	atomic_fetch_add(&idx->live, 1);
	atomic_fetch_or(&idx->lengths, 1u << len);
	/* the replaced entry disappears only once its successor is findable */
	if (oe != UINT32_MAX)
		ent_unlink(idx, oe);
out:
	pthread_mutex_unlock(&idx->wlock);
	return ret;
}

int bdindex_reserve(struct bdindex *idx, size_t nentries, size_t ntokens)
{
	size_t keys, ids;
	int ret = 0;

	pthread_mutex_lock(&idx->wlock);
	keys = (size_t)((idx->keys + ntokens + nentries) / MAX_LOAD) + 64;
	ids = (size_t)((atomic_load(&idx->live) + nentries) / MAX_LOAD) + 64;
	if (keys > atomic_load(&idx->table)->nslots ||
	    ebits_for(idx->nents + nentries) > atomic_load(&idx->table)->ebits)
		ret = table_rebuild(idx, keys, idx->nents + nentries);
	if (!ret && ids > idx->idmap.nslots)
		ret = idmap_resize(idx, ids);
	pthread_mutex_unlock(&idx->wlock);
	return ret;
}

int bdindex_remove(struct bdindex *idx, int64_t id)
{
	int ret;

	pthread_mutex_lock(&idx->wlock);
	ret = remove_locked(idx, id);
	pthread_mutex_unlock(&idx->wlock);
	return ret;
}

size_t bdindex_count(const struct bdindex *idx)
{
	return atomic_load(&((struct bdindex *)idx)->live);
}

uint32_t bdindex_lengths(const struct bdindex *idx)
{
	return atomic_load(&((struct bdindex *)idx)->lengths);
}

size_t bdindex_memory(const struct bdindex *idx)
{
	const struct table *t = atomic_load(&((struct bdindex *)idx)->table);
	size_t m = sizeof(*idx) + sizeof(*t) + t->nslots * sizeof(t->slots[0]);

	for (size_t c = 0; c < ENT_NCHUNKS; c++)
		if (idx->ents[c])
			m += ENT_CHUNK * (sizeof(ent_t) + sizeof(uint32_t));
	for (size_t c = 0; c < TOK_NCHUNKS; c++)
		if (idx->toks[c])
			m += TOK_CHUNK * sizeof(token_id);
	return m + idx->idmap.nslots * sizeof(uint32_t);
}

/* --- lookups ------------------------------------------------------------- */

static void fill_match(const struct bdindex *idx, uint32_t e, uint64_t w,
		       struct bdindex_match *m)
{
	m->id = ent_id(idx, e);
	m->len = (uint8_t)ent_len(w);
	memcpy(m->seq, ent_toks(idx, w), m->len * sizeof(token_id));
	m->label = (w & ENT_MAL) ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD;
	m->risk = (double)((w >> ENT_RISK_SHIFT) & FIXED_MAX) / FIXED_MAX;
	m->confidence = (double)((w >> ENT_CONF_SHIFT) & FIXED_MAX) / FIXED_MAX;
}

/* Does key (q with qskip left out) equal entry tokens with eskip left out? */
static inline bool key_eq(const token_id *q, size_t qn, size_t qskip,
			  const token_id *s, size_t sn, size_t eskip)
{
	size_t i = 0, j = 0;

	if (qn - (qskip < qn) != sn - (eskip < sn))
		return false;
	for (;;) {
		if (i == qskip)
			i++;
		if (j == eskip)
			j++;
		if (i >= qn || j >= sn)
			return true;
		if (q[i++] != s[j++])
			return false;
	}
}

struct collect {
	struct bdindex_match *out;
	size_t max, found;
	uint32_t seen[64]; /* entry indexes already reported (dedupe) */
	size_t nseen;
};

static bool collect_seen(struct collect *c, uint32_t e)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (c->seen[i] == e)
			return true;
	if (c->nseen < ARRAY_SIZE(c->seen))
		c->seen[c->nseen++] = e;
	return false;
}

#define CAND_MAX 64
#define BATCH_GROUP 4

struct cand {
	uint32_t e, pos;
	uint8_t k;
	uint64_t w;
};

/* One query's state through the phases of a (batched) lookup. */
struct lstate {
	const token_id *q;
	size_t n, nprobe, nc;
	uint64_t h[BDINDEX_MAX_LEN + 2];
	struct cand cd[CAND_MAX];
};

static void phase_hash(const struct table *t, struct lstate *s, bool exact_only)
{
	s->nprobe = exact_only || s->n < 2 ? 1 : s->n + 1;
	s->nc = 0;
	/* probe 0: q itself; probe k: q without position k-1 */
	for (size_t k = 0; k < s->nprobe; k++) {
		s->h[k] = key_hash(s->q, s->n, k == 0 ? SIZE_MAX : k - 1);
		__builtin_prefetch(&t->slots[slot_of(s->h[k], t->nslots)]);
	}
}

static void phase_slots(const struct bdindex *idx, const struct table *t, struct lstate *s)
{
	for (size_t k = 0; k < s->nprobe; k++) {
		size_t i = slot_of(s->h[k], t->nslots);
		uint32_t tag = tag_of(t, s->h[k]), v;

		while ((v = atomic_load_explicit(&t->slots[i], memory_order_acquire)) != SLOT_EMPTY) {
			uint32_t pos = v & 0xf;

			if (++i == t->nslots)
				i = 0;
			if (v == SLOT_TOMB || slot_tag(t, v) != tag)
				continue;
			/* same-length keys match only as a substitution at the
			 * deleted position itself */
			if (k > 0 && pos != POS_EXACT && pos != k - 1)
				continue;
			if (s->nc == CAND_MAX)
				break;
			s->cd[s->nc] = (struct cand){ .e = slot_ent(t, v), .pos = pos, .k = (uint8_t)k };
			__builtin_prefetch(ent_at(idx, s->cd[s->nc].e));
			s->nc++;
		}
	}
}

static void phase_words(const struct bdindex *idx, struct lstate *s)
{
	for (size_t j = 0; j < s->nc; j++) {
		s->cd[j].w = ent_word(idx, s->cd[j].e);
		__builtin_prefetch(ent_toks(idx, s->cd[j].w));
	}
}

static int phase_verify(const struct bdindex *idx, const struct lstate *s,
			struct bdindex_match *out, size_t max, bool exact_only)
{
	struct collect c = { .out = out, .max = max };
	const token_id *q = s->q;
	size_t n = s->n;

	for (size_t j = 0; j < s->nc; j++) {
		size_t qskip = s->cd[j].k == 0 ? SIZE_MAX : s->cd[j].k - 1u;
		uint32_t e = s->cd[j].e, pos = s->cd[j].pos, len;
		uint64_t w = s->cd[j].w;
		const token_id *es;
		struct bdindex_match m;

		if (!(w & ENT_LIVE))
			continue;
		es = ent_toks(idx, w);
		len = ent_len(w);
		if (!key_eq(q, n, qskip, es, len, pos == POS_EXACT ? SIZE_MAX : pos))
			continue;
		memset(&m, 0, sizeof(m));
		if (s->cd[j].k == 0 && pos == POS_EXACT) {
			m.edit = BDINDEX_EXACT;
		} else if (s->cd[j].k == 0) {
			m.edit = BDINDEX_MISSING;
			m.edit_pos = (uint8_t)pos;
			m.cost = BDINDEX_COST_INDEL;
		} else if (pos == POS_EXACT) {
			m.edit = BDINDEX_EXTRA;
			m.edit_pos = (uint8_t)qskip;
			m.cost = BDINDEX_COST_INDEL;
		} else {
			if (q[qskip] == es[pos]) /* the exact match, found at probe 0 */
				continue;
			m.edit = BDINDEX_SUBST;
			m.edit_pos = (uint8_t)pos;
			m.cost = tokens_group(idx->tok, q[qskip]) == tokens_group(idx->tok, es[pos]) ?
				 BDINDEX_COST_SUB_GROUP : BDINDEX_COST_SUB;
		}
		if (exact_only && m.edit != BDINDEX_EXACT)
			continue;
		if (collect_seen(&c, e))
			continue;
		m.similarity = 1.0 - m.cost / (double)(n > len ? n : len);
		if (c.found < c.max) {
			fill_match(idx, e, w, &m);
			c.out[c.found] = m;
		}
		c.found++;
	}
	return (int)(c.found > INT32_MAX ? INT32_MAX : c.found);
}

/* Lookups run in phases over the whole batch so the cache misses of one
 * stage overlap: every probe slot is prefetched, then every tag-matching
 * candidate's entry word, then its tokens; only then is anything compared. */
static int lookup_batch(const struct bdindex *idx, const token_id *const *qs, const size_t *ns,
			size_t nq, struct bdindex_match *out, size_t max, int *counts,
			bool exact_only)
{
	struct lstate st[BDINDEX_BATCH_MAX];
	const struct table *t;
	unsigned ep;

	if (nq > BDINDEX_BATCH_MAX)
		return -EINVAL;
	for (size_t b = 0; b < nq; b++)
		if (!qs[b] || ns[b] == 0 || ns[b] > BDINDEX_MAX_LEN + 1)
			return -EINVAL;
	ep = read_enter(idx);
	t = atomic_load_explicit(&((struct bdindex *)idx)->table, memory_order_acquire);
	/* groups of BATCH_GROUP: more prefetches in flight than the core has
	 * miss buffers for only evict each other (measured: 4 beats 8 and 16) */
	for (size_t g = 0; g < nq; g += BATCH_GROUP) {
		size_t end = g + BATCH_GROUP < nq ? g + BATCH_GROUP : nq;

		for (size_t b = g; b < end; b++) {
			st[b].q = qs[b];
			st[b].n = ns[b];
			phase_hash(t, &st[b], exact_only);
		}
		for (size_t b = g; b < end; b++)
			phase_slots(idx, t, &st[b]);
		for (size_t b = g; b < end; b++)
			phase_words(idx, &st[b]);
		for (size_t b = g; b < end; b++)
			counts[b] = phase_verify(idx, &st[b], out + b * max, max, exact_only);
	}
	read_exit(idx, ep);
	return 0;
}

int bdindex_lookup_fuzzy_batch(const struct bdindex *idx, const token_id *const *qs,
			       const size_t *ns, size_t nq, struct bdindex_match *out,
			       size_t max, int *counts)
{
	return lookup_batch(idx, qs, ns, nq, out, max, counts, false);
}

static int lookup(const struct bdindex *idx, const token_id *q, size_t n,
		  struct bdindex_match *out, size_t max, bool exact_only)
{
	int count, ret = lookup_batch(idx, &q, &n, 1, out, max, &count, exact_only);

	return ret ? ret : count;
}

int bdindex_lookup_fuzzy(const struct bdindex *idx, const token_id *q, size_t n,
			 struct bdindex_match *out, size_t max)
{
	return lookup(idx, q, n, out, max, false);
}

int bdindex_lookup_exact(const struct bdindex *idx, const token_id *q, size_t n,
			 struct bdindex_match *out)
{
	if (n < BDINDEX_MIN_LEN || n > BDINDEX_MAX_LEN)
		return 0;
	return lookup(idx, q, n, out, 1, true) > 0;
}

int bdindex_foreach(const struct bdindex *idx,
		    int (*fn)(const struct bdindex_match *e, void *arg), void *arg)
{
	for (uint32_t e = 0; e < idx->nents; e++) {
		uint64_t w = ent_word(idx, e);
		struct bdindex_match m;
		int ret;

		if (!(w & ENT_LIVE))
			continue;
		memset(&m, 0, sizeof(m));
		fill_match(idx, e, w, &m);
		m.similarity = 1;
		ret = fn(&m, arg);
		if (ret)
			return ret;
	}
	return 0;
}

const struct tokens *bdindex_tokens(const struct bdindex *idx)
{
	return idx->tok;
}

void bdindex_params_get(const struct bdindex *cidx, struct bdindex_params *p)
{
	struct bdindex *idx = (struct bdindex *)cidx;
	double *f[3] = { &p->unknown_logit, &p->unknown_weight, &p->length_norm };
	unsigned seq;

	do {
		while ((seq = atomic_load(&idx->pseq)) & 1)
			sched_yield();
		for (int i = 0; i < 3; i++) {
			uint64_t b = atomic_load(&idx->pbits[i]);

			memcpy(f[i], &b, sizeof(b));
		}
	} while (atomic_load(&idx->pseq) != seq);
}

void bdindex_params_set(struct bdindex *idx, const struct bdindex_params *p)
{
	const double f[3] = { p->unknown_logit, p->unknown_weight, p->length_norm };

	pthread_mutex_lock(&idx->wlock);
	atomic_fetch_add(&idx->pseq, 1);
	for (int i = 0; i < 3; i++) {
		uint64_t b;

		memcpy(&b, &f[i], sizeof(b));
		atomic_store(&idx->pbits[i], b);
	}
	atomic_fetch_add(&idx->pseq, 1);
	pthread_mutex_unlock(&idx->wlock);
}
