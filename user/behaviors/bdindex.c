/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzzy n-gram index. The table is cut into 64-byte buckets of 16 32-bit
 * slots (entry index + hash tag), so one probe is one cache line; an entry
 * is one 16-byte record (id, values and, when they fit, its tokens), so a
 * candidate costs one more line. Readers never lock: slots change by atomic
 * store, entry memory is never freed before bdindex_free, and a grown table
 * is freed after a grace period. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "behaviors/bdindex.h"
#include "lib/util.h"

#define ENT_CHUNK_SHIFT 17 /* 2 MiB of records: one huge page */
#define ENT_CHUNK (1u << ENT_CHUNK_SHIFT)
#define ENT_NCHUNKS ((BDINDEX_MAX_ENTRIES + ENT_CHUNK) / ENT_CHUNK + 1)
#define TOK_CHUNK_SHIFT 20
#define TOK_CHUNK (1u << TOK_CHUNK_SHIFT)
#define TOK_NCHUNKS 4096

#define HUGE_PAGE ((size_t)2 << 20)
#define LINE 64
#define BUCKET 16 /* slots in a bucket: one cache line */
#define SLOT_EMPTY 0u
#define SLOT_TOMB 0xffffffffu
#define MAX_LOAD 0.75     /* rebuild above this (tombstones count) */
#define GROW_LOAD 0.50    /* load right after a growth */
#define RESERVE_LOAD 0.60 /* load a reserved bulk load ends at: a bucket of
			   * 16 then overflows into the next line ~1 % of
			   * the time, and 64 bytes an entry still hold */

/* An entry record: word w (atomic; written once with release, afterwards
 * only losing its LIVE bit) has the id in bits 0-31, risk and confidence
 * as 12-bit fixed point, the length, flags; word t holds the tokens packed
 * at ent_width(len) bits each when they all fit (ENT_INLINE), else their
 * offset in the token arena (chunk << TOK_CHUNK_SHIFT | offset). */
#define ENT_RISK_SHIFT 32
#define ENT_CONF_SHIFT 44
#define ENT_LEN_SHIFT 56
#define ENT_LIVE (1ull << 60)
#define ENT_MAL (1ull << 61)
#define ENT_INLINE (1ull << 62)
#define FIXED_MAX 4095u

struct ent {
	_Atomic uint64_t w;
	uint64_t t;
};

static inline uint32_t ent_len(uint64_t w) { return (w >> ENT_LEN_SHIFT) & 0xf; }

/* Bits a token gets inline: 4 tokens of 16 bits, 5 of 12, ... 8 of 8. */
static inline uint32_t ent_width(uint32_t len) { return len <= 4 ? 16 : 64 / len; }

struct table {
	size_t nbuckets;
	uint32_t ebits; /* slot bits for the entry index; the rest is tag */
	_Alignas(LINE) _Atomic uint32_t slots[];
};

struct idmap { /* writer-only: id -> entry index + 1 */
	uint32_t *slots;
	size_t nslots, used;
};

struct bdindex {
	const struct tokens *tok;
	struct table *_Atomic table;
	struct ent *_Atomic ents[ENT_NCHUNKS];
	token_id *_Atomic toks[TOK_NCHUNKS]; /* only tokens that do not fit inline */
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
	/* records of unlinked entries: dead[0..nfree) may be reused, the rest
	 * wait for a grace period (a reader may still hold their index) */
	uint32_t *dead;
	size_t ndead, nfree, dead_cap;
	/* token arena spans of reused records, by length: free for the next
	 * entry of that length that does not fit inline */
	struct spanlist {
		uint32_t *off;
		size_t n, cap;
	} spans[BDINDEX_MAX_LEN + 1];
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

/* Slot layout: entry index + 1 in the top ebits, a hash tag (bits of the
 * hash the bucket number does not use) in the rest: 12 bits at 1 M
 * entries, 8 at 10 M. A false tag match costs one entry line. */
static inline uint32_t tag_of(const struct table *t, uint64_t h)
{
	return (uint32_t)h & ((1u << (32 - t->ebits)) - 1);
}

static inline uint32_t slot_pack(const struct table *t, uint32_t ent, uint32_t tag)
{
	return ((ent + 1) << (32 - t->ebits)) | tag;
}

static inline uint32_t slot_ent(const struct table *t, uint32_t v)
{
	return (v >> (32 - t->ebits)) - 1;
}

/* Entry-index bits for a table that must address n entries (the top index
 * stays below the tombstone's all-ones). */
static uint32_t ebits_for(size_t n)
{
	uint32_t b = 16;

	while (b < 24 && ((size_t)1 << b) < n + 2)
		b++;
	return b;
}

static inline struct ent *ent_at(const struct bdindex *idx, uint32_t e)
{
	return &idx->ents[e >> ENT_CHUNK_SHIFT][e & (ENT_CHUNK - 1)];
}

static inline uint64_t ent_word(const struct bdindex *idx, uint32_t e)
{
	return atomic_load_explicit(&ent_at(idx, e)->w, memory_order_acquire);
}

static inline int64_t ent_id(const struct bdindex *idx, uint32_t e)
{
	return (uint32_t)ent_word(idx, e);
}

/* The tokens of entry e (word w) into s; returns the length. */
static inline uint32_t ent_tokens(const struct bdindex *idx, uint32_t e, uint64_t w,
				  token_id *s)
{
	uint32_t len = ent_len(w);
	uint64_t t = ent_at(idx, e)->t;

	if (w & ENT_INLINE) {
		uint32_t b = ent_width(len);

		for (uint32_t i = 0; i < len; i++)
			s[i] = (token_id)((t >> (b * i)) & ((1u << b) - 1));
	} else {
		uint32_t off = (uint32_t)t;

		memcpy(s, &idx->toks[off >> TOK_CHUNK_SHIFT][off & (TOK_CHUNK - 1)],
		       len * sizeof(*s));
	}
	return len;
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
 * access, and a TLB miss would add a page walk to each. Buckets are aligned
 * to cache lines at any size. */
static void *huge_calloc(size_t bytes)
{
	size_t align = bytes < HUGE_PAGE ? LINE : HUGE_PAGE;
	void *p;

	bytes = (bytes + align - 1) & ~(align - 1);
	p = aligned_alloc(align, bytes);
	if (p) {
		if (align == HUGE_PAGE)
			madvise(p, bytes, MADV_HUGEPAGE);
		memset(p, 0, bytes);
	}
	return p;
}

static struct table *table_new(size_t nslots, uint32_t ebits)
{
	size_t nb = (nslots + BUCKET - 1) / BUCKET;
	struct table *t = huge_calloc(sizeof(struct table) + nb * BUCKET * sizeof(uint32_t));

	if (t) {
		t->nbuckets = nb;
		t->ebits = ebits;
	}
	return t;
}

static inline size_t table_slots(const struct table *t)
{
	return t->nbuckets * BUCKET;
}

/* Writer: put one key of entry e into t (no growth check): the first free
 * slot of its bucket, else of the next. Slots of a bucket fill in order and
 * only a rebuild empties one, so a reader may stop at the first empty slot. */
static void table_put(struct table *t, uint64_t h, uint32_t e)
{
	size_t i = slot_of(h, t->nbuckets) * BUCKET, n = table_slots(t);

	for (;;) {
		uint32_t s = atomic_load_explicit(&t->slots[i], memory_order_relaxed);

		if (s == SLOT_EMPTY || s == SLOT_TOMB)
			break;
		if (++i == n)
			i = 0;
	}
	atomic_store_explicit(&t->slots[i], slot_pack(t, e, tag_of(t, h)), memory_order_release);
}

/* Hash of key p of s (p == len: the whole sequence, else s without p). */
static inline uint64_t ent_key_hash(const token_id *s, uint32_t len, uint32_t p)
{
	return key_hash(s, len, p == len ? SIZE_MAX : p);
}

/* The len + 1 key hashes of s (ent_key_hash order). */
static void key_hashes(const token_id *s, uint32_t len, uint64_t *h)
{
	for (uint32_t p = 0; p <= len; p++)
		h[p] = ent_key_hash(s, len, p);
}

static void ent_put_keys(struct bdindex *idx, struct table *t, uint32_t e)
{
	token_id s[BDINDEX_MAX_LEN];
	uint32_t len = ent_tokens(idx, e, ent_word(idx, e), s);
	uint64_t h[BDINDEX_MAX_LEN + 1];

	key_hashes(s, len, h);
	for (uint32_t p = 0; p <= len; p++)
		table_put(t, h[p], e);
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
	for (size_t c = 0; c < ENT_NCHUNKS; c++)
		free(idx->ents[c]);
	for (size_t c = 0; c < TOK_NCHUNKS; c++)
		free(idx->toks[c]);
	free(idx->idmap.slots);
	free(idx->dead);
	for (size_t l = 0; l <= BDINDEX_MAX_LEN; l++)
		free(idx->spans[l].off);
	pthread_mutex_destroy(&idx->wlock);
	free(idx);
}

/* Writer: room in array *a (n used of *cap) for one more; false when
 * there is none and no memory for more. */
static bool u32_room(uint32_t **a, size_t n, size_t *cap)
{
	size_t c = *cap ? 2 * *cap : 256;
	uint32_t *na;

	if (n < *cap)
		return true;
	na = realloc(*a, c * sizeof(*na));
	if (!na)
		return false;
	*a = na;
	*cap = c;
	return true;
}

/* Writer: tombstone every key of entry e in the current table. Two keys
 * of one entry may be equal (a repeated token): each tombstones one slot. */
static void ent_unlink(struct bdindex *idx, uint32_t e)
{
	struct table *t = atomic_load(&idx->table);
	token_id s[BDINDEX_MAX_LEN];
	uint32_t len = ent_tokens(idx, e, ent_word(idx, e), s);
	size_t n = table_slots(t);

	for (uint32_t p = 0; p <= len; p++) {
		uint64_t h = ent_key_hash(s, len, p);
		uint32_t want = slot_pack(t, e, tag_of(t, h)), v;
		size_t i = slot_of(h, t->nbuckets) * BUCKET;

		while ((v = atomic_load_explicit(&t->slots[i], memory_order_relaxed)) != SLOT_EMPTY) {
			if (v == want) {
				atomic_store_explicit(&t->slots[i], SLOT_TOMB, memory_order_release);
				break;
			}
			if (++i == n)
				i = 0;
		}
	}
	atomic_fetch_and(&ent_at(idx, e)->w, ~ENT_LIVE);
	atomic_fetch_sub(&idx->live, 1);
	idx->keys -= len + 1;
	/* without room to remember it the record is just not reused */
	if (u32_room(&idx->dead, idx->ndead, &idx->dead_cap))
		idx->dead[idx->ndead++] = e;
}

/* Writer: record e is free (no reader can reach it), so are its arena
 * tokens. The record is left inline so that they are released only once,
 * whatever becomes of it. Without room to remember them they are not reused. */
static void span_release(struct bdindex *idx, uint32_t e)
{
	uint64_t w = ent_word(idx, e);
	uint32_t len = ent_len(w);
	struct spanlist *sp;

	atomic_store_explicit(&ent_at(idx, e)->w, ENT_INLINE, memory_order_relaxed);
	if ((w & ENT_INLINE) || len < BDINDEX_MIN_LEN || len > BDINDEX_MAX_LEN)
		return;
	sp = &idx->spans[len];
	if (u32_room(&sp->off, sp->n, &sp->cap))
		sp->off[sp->n++] = (uint32_t)ent_at(idx, e)->t;
}

/* Writer: the record for a new entry. A dead one is reused once no reader
 * can still hold its index: the waiting ones become free after a grace
 * period, taken when enough have gathered that the wait is amortised. So
 * replacing entries (a resync, resubmissions) does not grow the index. */
static uint32_t ent_new(struct bdindex *idx)
{
	size_t waiting = idx->ndead - idx->nfree;
	uint32_t e;

	if (!idx->nfree && waiting >= 64 && waiting >= atomic_load(&idx->live) / 32) {
		wait_readers(idx);
		idx->nfree = idx->ndead;
	}
	if (!idx->nfree)
		return idx->nents;
	e = idx->dead[--idx->nfree];
	idx->dead[idx->nfree] = idx->dead[--idx->ndead]; /* a waiting one fills the hole */
	span_release(idx, e);
	return e;
}

/* Writer: give back a record ent_new returned when the add failed (no
 * slot names it, so it is free at once). */
static void ent_unused(struct bdindex *idx, uint32_t e)
{
	if (e >= idx->nents)
		return; /* a fresh one: nents was not advanced */
	atomic_fetch_and(&ent_at(idx, e)->w, ~ENT_LIVE);
	idx->dead[idx->ndead++] = idx->dead[idx->nfree]; /* room: ent_new took it */
	idx->dead[idx->nfree++] = e;
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

double bdindex_quantize(double v)
{
	return (double)fixed12(v) / FIXED_MAX;
}

/* Writer: room for record e and, if they do not fit inline, len tokens. */
static int reserve(struct bdindex *idx, uint32_t e, size_t len, bool arena)
{
	if (e >= BDINDEX_MAX_ENTRIES)
		return -ENOSPC;
	if (!idx->ents[e >> ENT_CHUNK_SHIFT]) {
		struct ent *c = huge_calloc(ENT_CHUNK * sizeof(*c));

		if (!c)
			return -ENOMEM;
		atomic_store(&idx->ents[e >> ENT_CHUNK_SHIFT], c);
	}
	if (arena && (!idx->toks[idx->tok_chunk] || idx->tok_used + len > TOK_CHUNK)) {
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

/* The inline form of seq (*t) if every token fits ent_width(len) bits. */
static bool pack_inline(const token_id *seq, size_t len, uint64_t *t)
{
	uint32_t b = ent_width((uint32_t)len);

	*t = 0;
	for (size_t i = 0; i < len; i++) {
		if (seq[i] >> b)
			return false;
		*t |= (uint64_t)seq[i] << (b * i);
	}
	return true;
}

int bdindex_add(struct bdindex *idx, int64_t id, const token_id *seq, size_t len,
		double risk, double confidence, enum bd_label label)
{
	uint64_t h[BDINDEX_MAX_LEN + 1], tw;
	uint32_t e, oe = UINT32_MAX;
	struct table *t;
	bool inl;
	int ret;

	if (len < BDINDEX_MIN_LEN || len > BDINDEX_MAX_LEN || !seq)
		return -EINVAL;
	if (id < 1 || id > BDINDEX_MAX_ID)
		return -ERANGE;
	inl = pack_inline(seq, len, &tw);
	pthread_mutex_lock(&idx->wlock);
	e = ent_new(idx);
	ret = reserve(idx, e, len, !inl && !idx->spans[len].n);
	if (ret)
		goto out;
	t = atomic_load(&idx->table);
	if ((idx->used + len + 1) > table_slots(t) * MAX_LOAD ||
	    (size_t)idx->nents + 2 >= (size_t)1 << t->ebits) {
		size_t n = (size_t)((idx->keys + len + 1) / GROW_LOAD) + 1024;

		ret = table_rebuild(idx, n > table_slots(t) ? n : table_slots(t),
				    2 * (size_t)idx->nents + 2);
		if (ret)
			goto out;
		t = atomic_load(&idx->table);
	}
	/* the key buckets and the id map slot are fetched together, not one
	 * miss after the other (a bulk load is bound by these misses) */
	key_hashes(seq, (uint32_t)len, h);
	for (size_t p = 0; p <= len; p++)
		__builtin_prefetch(&t->slots[slot_of(h[p], t->nbuckets) * BUCKET], 1);
	if (idx->idmap.nslots)
		__builtin_prefetch(&idx->idmap.slots[slot_of(mix64((uint64_t)id), idx->idmap.nslots)]);
	if (!inl && idx->spans[len].n) {
		tw = idx->spans[len].off[--idx->spans[len].n];
		memcpy(&idx->toks[tw >> TOK_CHUNK_SHIFT][tw & (TOK_CHUNK - 1)], seq,
		       len * sizeof(*seq));
	} else if (!inl) {
		tw = (idx->tok_chunk << TOK_CHUNK_SHIFT) | idx->tok_used;
		memcpy(&idx->toks[idx->tok_chunk][idx->tok_used], seq, len * sizeof(*seq));
		idx->tok_used += len;
	}
	/* the record is complete before the id map or the table name it;
	 * readers reach it only through a slot stored with release */
	ent_at(idx, e)->t = tw;
	atomic_store_explicit(&ent_at(idx, e)->w,
			      (uint64_t)(uint32_t)id | fixed12(risk) << ENT_RISK_SHIFT |
			      fixed12(confidence) << ENT_CONF_SHIFT |
			      (uint64_t)len << ENT_LEN_SHIFT | ENT_LIVE |
			      (inl ? ENT_INLINE : 0) |
			      (label == BD_LABEL_MALICIOUS ? ENT_MAL : 0),
			      memory_order_release);
	{
		size_t slot = idmap_find(idx, id);

		if (slot != SIZE_MAX) { /* a replacement: the id now names e */
			oe = idx->idmap.slots[slot] - 1;
			idx->idmap.slots[slot] = e + 1;
		} else if ((ret = idmap_put(idx, id, e))) {
			goto out;
		}
	}
	if (e == idx->nents)
		idx->nents++;
	/* the length is known before its keys are findable: lookups skip
	 * probes for lengths no entry has */
	atomic_fetch_or(&idx->lengths, 1u << len);
	for (size_t p = 0; p <= len; p++)
		table_put(t, h[p], e);
	idx->used += len + 1;
	idx->keys += len + 1;
	atomic_fetch_add(&idx->live, 1);
	/* the replaced entry disappears only once its successor is findable */
	if (oe != UINT32_MAX)
		ent_unlink(idx, oe);
out:
	if (ret)
		ent_unused(idx, e);
	pthread_mutex_unlock(&idx->wlock);
	return ret;
}

int bdindex_reserve(struct bdindex *idx, size_t nentries, size_t ntokens)
{
	size_t keys, ids;
	struct table *t;
	int ret = 0;

	pthread_mutex_lock(&idx->wlock);
	t = atomic_load(&idx->table);
	keys = (size_t)((idx->keys + ntokens + nentries) / RESERVE_LOAD) + 64;
	ids = (size_t)((atomic_load(&idx->live) + nentries) / MAX_LOAD) + 64;
	if ((idx->used + ntokens + nentries) > table_slots(t) * MAX_LOAD ||
	    ebits_for(idx->nents + nentries) > t->ebits)
		ret = table_rebuild(idx, keys > table_slots(t) ? keys : table_slots(t),
				    idx->nents + nentries);
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
	size_t m = sizeof(*idx) + sizeof(*t) + table_slots(t) * sizeof(t->slots[0]);

	for (size_t c = 0; c < ENT_NCHUNKS; c++)
		if (idx->ents[c])
			m += ENT_CHUNK * sizeof(struct ent);
	for (size_t c = 0; c < TOK_NCHUNKS; c++)
		if (idx->toks[c])
			m += TOK_CHUNK * sizeof(token_id);
	return m + idx->idmap.nslots * sizeof(uint32_t);
}

/* --- lookups ------------------------------------------------------------- */

static void fill_match(const struct bdindex *idx, uint32_t e, uint64_t w,
		       struct bdindex_match *m)
{
	m->id = (uint32_t)w;
	memset(m->seq, 0, sizeof(m->seq));
	m->len = (uint8_t)ent_tokens(idx, e, w, m->seq);
	m->label = (w & ENT_MAL) ? BD_LABEL_MALICIOUS : BD_LABEL_GOOD;
	m->risk = (double)((w >> ENT_RISK_SHIFT) & FIXED_MAX) / FIXED_MAX;
	m->confidence = (double)((w >> ENT_CONF_SHIFT) & FIXED_MAX) / FIXED_MAX;
}

struct collect {
	struct bdindex_match *out;
	size_t max, found;
	size_t worst; /* once out[] is full: its worst match (collect_keep) */
	uint32_t seen[64]; /* entry indexes already reported (dedupe) */
	size_t nseen;
};

static bool collect_reported(const struct collect *c, uint32_t e)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (c->seen[i] == e)
			return true;
	return false;
}

static void collect_add(struct collect *c, uint32_t e)
{
	if (c->nseen < ARRAY_SIZE(c->seen))
		c->seen[c->nseen++] = e;
}

bool bdindex_match_better(const struct bdindex_match *a, const struct bdindex_match *b)
{
	double wa = a->similarity * a->confidence, wb = b->similarity * b->confidence;

	if ((a->edit == BDINDEX_EXACT) != (b->edit == BDINDEX_EXACT))
		return a->edit == BDINDEX_EXACT;
	if (wa != wb)
		return wa > wb;
	return a->id < b->id;
}

static void collect_find_worst(struct collect *c)
{
	c->worst = 0;
	for (size_t i = 1; i < c->max; i++)
		if (bdindex_match_better(&c->out[c->worst], &c->out[i]))
			c->worst = i;
}

/* Whether m, whose edit, similarity, id and confidence are known, is kept:
 * one comparison once out[] is full, so a query with thousands of matches
 * costs little more than one with max */
static bool collect_wants(const struct collect *c, const struct bdindex_match *m)
{
	return c->found < c->max || (c->max && bdindex_match_better(m, &c->out[c->worst]));
}

/* m into the first max found; past them, in place of the worst kept (not
 * twice: past 64 entries the dedupe forgets what it reported) */
static void collect_keep(struct collect *c, const struct bdindex_match *m)
{
	if (c->found < c->max) {
		c->out[c->found] = *m;
		if (c->found + 1 == c->max)
			collect_find_worst(c);
		return;
	}
	for (size_t i = 0; i < c->max; i++)
		if (c->out[i].id == m->id)
			return;
	c->out[c->worst] = *m;
	collect_find_worst(c);
}

#define CAND_MAX 64
/* queries between the stages of the lookup pipeline (1..8 measured the
 * same within noise) */
#define PIPE_DIST 2

struct cand {
	uint32_t e;
	uint8_t k; /* probe: 0 the query, k > 0 the query without k - 1 */
};

/* One query's state through the stages of a (batched) lookup. */
struct lstate {
	const token_id *q;
	size_t n, nc;
	bool overflow;   /* more than CAND_MAX candidates: verified in place */
	uint32_t probes; /* bit k: probe k is made */
	uint64_t h[BDINDEX_MAX_LEN + 2];
	struct cand cd[CAND_MAX];
};

/* Probe 0 (the query, length n) finds entries of length n (exact) and n+1
 * (a token missing); probe k > 0 (length n-1) entries of length n-1 (an
 * extra token) and n (substitution at k-1). A probe no entry length can
 * answer is not made. */
static void stage_hash(const struct table *t, uint32_t lengths, struct lstate *s,
		       bool exact_only)
{
	size_t n = s->n, nprobe = exact_only || n < 2 ? 1 : n + 1;

	s->nc = 0;
	s->probes = 0;
	for (size_t k = 0; k < nprobe; k++) {
		uint32_t want = k == 0 ? (exact_only ? 1u << n : 3u << n) : 3u << (n - 1);

		if (!(lengths & want))
			continue;
		s->probes |= 1u << k;
		s->h[k] = key_hash(s->q, n, k == 0 ? SIZE_MAX : k - 1);
		__builtin_prefetch(&t->slots[slot_of(s->h[k], t->nbuckets) * BUCKET]);
	}
}

/* Bit j of *hit: slot j of bucket sl holds a key with this tag; of *empty:
 * slot j is empty. With SSE2 the line is compared four slots at a time: a
 * 16-byte aligned load reads each 32-bit slot whole (x86 splits it at most
 * into 8-byte aligned parts), as the atomic loads of the portable loop do. */
static inline void bucket_masks(const _Atomic uint32_t *sl, uint32_t tmask, uint32_t tag,
				uint32_t *hit, uint32_t *empty)
{
#ifdef __SSE2__
	const __m128i m = _mm_set1_epi32((int)tmask), tg = _mm_set1_epi32((int)tag);
	const __m128i zero = _mm_setzero_si128(), tomb = _mm_set1_epi32(-1);
	uint32_t h = 0, e = 0;

	for (int j = 0; j < BUCKET / 4; j++) {
		__m128i v = _mm_load_si128((const __m128i *)(const void *)(sl + 4 * j));
		__m128i em = _mm_cmpeq_epi32(v, zero);
		__m128i eq = _mm_cmpeq_epi32(_mm_and_si128(v, m), tg);

		eq = _mm_andnot_si128(_mm_or_si128(em, _mm_cmpeq_epi32(v, tomb)), eq);
		h |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(eq)) << (4 * j);
		e |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(em)) << (4 * j);
	}
	*hit = h;
	*empty = e;
#else
	uint32_t h = 0, e = 0;

	for (int j = 0; j < BUCKET; j++) {
		uint32_t v = atomic_load_explicit(&sl[j], memory_order_relaxed);

		h |= (uint32_t)((v & tmask) == tag && v != SLOT_EMPTY && v != SLOT_TOMB) << j;
		e |= (uint32_t)(v == SLOT_EMPTY) << j;
	}
	*hit = h;
	*empty = e;
#endif
	/* the entries the slots name are read after the slots */
	atomic_thread_fence(memory_order_acquire);
}

static void verify_one(const struct bdindex *idx, const struct lstate *s, uint32_t e,
		       uint32_t k, struct collect *c, bool exact_only);

/* Candidates of probe k: the slots of its bucket whose tag matches; the
 * next bucket only when this one has no empty slot. They are kept (and
 * their records prefetched) for stage_verify, or with direct verified at
 * once: the slow path of a query with more than CAND_MAX candidates. */
static void scan_probe(const struct bdindex *idx, const struct table *t, struct lstate *s,
		       uint32_t k, struct collect *direct, bool exact_only)
{
	size_t nb = t->nbuckets, b = slot_of(s->h[k], nb);
	uint32_t tmask = (1u << (32 - t->ebits)) - 1, tag = tag_of(t, s->h[k]);

	for (size_t hop = 0; hop < nb; hop++) {
		const _Atomic uint32_t *sl = &t->slots[b * BUCKET];
		uint32_t hit, empty;

		bucket_masks(sl, tmask, tag, &hit, &empty);
		for (; hit; hit &= hit - 1) {
			uint32_t v = atomic_load_explicit(&sl[__builtin_ctz(hit)], memory_order_relaxed);
			uint32_t e = slot_ent(t, v);

			if (direct) {
				verify_one(idx, s, e, k, direct, exact_only);
			} else if (s->nc < CAND_MAX) {
				s->cd[s->nc++] = (struct cand){ .e = e, .k = (uint8_t)k };
				__builtin_prefetch(ent_at(idx, e));
			} else {
				s->overflow = true;
			}
		}
		if (empty)
			break;
		if (++b == nb)
			b = 0;
	}
}

static void stage_scan(const struct bdindex *idx, const struct table *t, struct lstate *s)
{
	s->overflow = false;
	for (uint32_t pr = s->probes; pr && !s->overflow; pr &= pr - 1)
		scan_probe(idx, t, s, (uint32_t)__builtin_ctz(pr), NULL, false);
}

/* Does a (an) equal b (bn) with position skip of a left out? */
static inline bool seq_eq_skip(const token_id *a, size_t an, size_t skip, const token_id *b,
			       size_t bn)
{
	if (an - (skip < an) != bn)
		return false;
	for (size_t i = 0, j = 0; i < an; i++)
		if (i != skip && a[i] != b[j++])
			return false;
	return true;
}

/* How the candidate entry es (len) relates to the query through probe k;
 * false when it does not (a false tag match, or an edit of cost 2). */
static bool classify(const struct bdindex *idx, const token_id *q, size_t n, uint32_t k,
		     const token_id *es, uint32_t len, struct bdindex_match *m)
{
	if (k == 0 && len == n) {
		if (memcmp(q, es, n * sizeof(*q)))
			return false;
		m->edit = BDINDEX_EXACT;
		return true;
	}
	if (k == 0 && len == n + 1) { /* q is es with one token left out */
		size_t p = 0;

		while (p < n && q[p] == es[p])
			p++;
		if (!seq_eq_skip(es, len, p, q, n))
			return false;
		m->edit = BDINDEX_MISSING;
		m->edit_pos = (uint8_t)p;
		m->cost = BDINDEX_COST_INDEL;
		return true;
	}
	if (k > 0 && len + 1 == n) {
		/* leaving out either of two equal neighbours gives the same
		 * entry: only the first of a run reports it */
		if ((k > 1 && q[k - 2] == q[k - 1]) || !seq_eq_skip(q, n, k - 1, es, len))
			return false;
		m->edit = BDINDEX_EXTRA;
		m->edit_pos = (uint8_t)(k - 1);
		m->cost = BDINDEX_COST_INDEL;
		return true;
	}
	if (k > 0 && len == n) {
		size_t p = k - 1;

		/* equal at p too: the exact match, reported by probe 0 */
		if (q[p] == es[p] || memcmp(q, es, p * sizeof(*q)) ||
		    memcmp(q + p + 1, es + p + 1, (n - p - 1) * sizeof(*q)))
			return false;
		m->edit = BDINDEX_SUBST;
		m->edit_pos = (uint8_t)p;
		m->cost = tokens_group(idx->tok, q[p]) == tokens_group(idx->tok, es[p]) ?
			  BDINDEX_COST_SUB_GROUP : BDINDEX_COST_SUB;
		return true;
	}
	return false;
}

/* Report entry e, a candidate of probe k, if it is within one edit. */
static void verify_one(const struct bdindex *idx, const struct lstate *s, uint32_t e,
		       uint32_t k, struct collect *c, bool exact_only)
{
	uint64_t w = ent_word(idx, e);
	token_id es[BDINDEX_MAX_LEN];
	struct bdindex_match m;
	size_t n = s->n;
	uint32_t len;

	/* an exact query meets its entry again at every deletion probe */
	if (!(w & ENT_LIVE) || collect_reported(c, e))
		return;
	len = ent_tokens(idx, e, w, es);
	m.edit_pos = 0;
	m.cost = 0;
	if (!classify(idx, s->q, n, k, es, len, &m))
		return;
	if (exact_only && m.edit != BDINDEX_EXACT)
		return;
	collect_add(c, e);
	m.similarity = 1.0 - m.cost / (double)(n > len ? n : len);
	m.id = (uint32_t)w;
	m.confidence = (double)((w >> ENT_CONF_SHIFT) & FIXED_MAX) / FIXED_MAX;
	if (collect_wants(c, &m)) {
		fill_match(idx, e, w, &m);
		collect_keep(c, &m);
	}
	c->found++;
}

static int stage_verify(const struct bdindex *idx, const struct table *t, struct lstate *s,
			struct bdindex_match *out, size_t max, bool exact_only)
{
	struct collect c; /* not zeroed whole: seen[] is 256 bytes */

	c.out = out;
	c.max = max;
	c.found = c.nseen = c.worst = 0;
	if (s->overflow) {
		for (uint32_t pr = s->probes; pr; pr &= pr - 1)
			scan_probe(idx, t, s, (uint32_t)__builtin_ctz(pr), &c, exact_only);
	} else {
		for (size_t j = 0; j < s->nc; j++)
			verify_one(idx, s, s->cd[j].e, s->cd[j].k, &c, exact_only);
	}
	return (int)(c.found > INT32_MAX ? INT32_MAX : c.found);
}

/* Lookups run as a software pipeline over the batch so the cache misses of
 * several queries overlap: query b's probe lines are prefetched while query
 * b - PIPE_DIST scans its buckets (prefetching candidate entries) and query
 * b - 2 PIPE_DIST, whose lines have arrived, is verified. */
static int lookup_batch(const struct bdindex *idx, const token_id *const *qs, const size_t *ns,
			size_t nq, struct bdindex_match *out, size_t max, int *counts,
			bool exact_only)
{
	struct lstate st[BDINDEX_BATCH_MAX];
	const struct table *t;
	uint32_t lengths;
	unsigned ep;

	if (nq > BDINDEX_BATCH_MAX)
		return -EINVAL;
	for (size_t b = 0; b < nq; b++)
		if (!qs[b] || ns[b] == 0 || ns[b] > BDINDEX_MAX_LEN + 1)
			return -EINVAL;
	ep = read_enter(idx);
	t = atomic_load_explicit(&((struct bdindex *)idx)->table, memory_order_acquire);
	lengths = bdindex_lengths(idx);
	for (size_t i = 0; i < nq + 2 * PIPE_DIST; i++) {
		if (i < nq) {
			st[i].q = qs[i];
			st[i].n = ns[i];
			stage_hash(t, lengths, &st[i], exact_only);
		}
		if (i >= PIPE_DIST && i - PIPE_DIST < nq)
			stage_scan(idx, t, &st[i - PIPE_DIST]);
		if (i >= 2 * PIPE_DIST && i - 2 * PIPE_DIST < nq) {
			size_t b = i - 2 * PIPE_DIST;

			counts[b] = stage_verify(idx, t, &st[b], out + b * max, max, exact_only);
		}
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

bool bdindex_params_valid(const struct bdindex_params *p)
{
	return isfinite(p->unknown_logit) && isfinite(p->unknown_weight) &&
	       isfinite(p->length_norm) && p->unknown_weight >= 0 && p->length_norm >= 0;
}
