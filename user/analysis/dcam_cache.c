/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The DCAM result cache: SHA-256 -> result, so an object loaded by a thousand
 * processes is analysed once. A ring of at most max entries (the oldest goes
 * first) searched through an open-addressed index; one mutex, held only for
 * lookups and inserts, never during an analysis. Beside it, a small
 * direct-mapped table remembers which file (device, inode, size, mtime,
 * ctime) had which digest, so a load of an unchanged file is not read and
 * hashed again: any write moves mtime and ctime. */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/dcam.h"

#define FILE_IDS 1024

struct dcam_cache {
	pthread_mutex_t lock;
	size_t max, n, next;        /* ring of results in insertion order */
	struct dcam_result **ring;
	size_t idx_cap;             /* index: ring positions + 1, 0 = empty */
	size_t *idx;
	uint64_t hits, misses;
	struct file_id {
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtime, ctime;
		uint8_t sha[FILEHASH_LEN];
		int used;
	} files[FILE_IDS];
};

static struct file_id *file_slot(struct dcam_cache *c, const struct stat *st)
{
	uint64_t h = ((uint64_t)st->st_dev * 0x9e3779b97f4a7c15ull) ^ (uint64_t)st->st_ino;

	return &c->files[(h ^ (h >> 29)) % FILE_IDS];
}

static int same_file(const struct file_id *f, const struct stat *st)
{
	return f->used && f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

int dcam_cache_file_sha(struct dcam_cache *c, const struct stat *st, uint8_t sha[FILEHASH_LEN])
{
	struct file_id *f;
	int ret = -ENOENT;

	pthread_mutex_lock(&c->lock);
	f = file_slot(c, st);
	if (same_file(f, st)) {
		memcpy(sha, f->sha, FILEHASH_LEN);
		ret = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void dcam_cache_note_file(struct dcam_cache *c, const struct stat *st,
			  const uint8_t sha[FILEHASH_LEN])
{
	struct file_id *f;

	pthread_mutex_lock(&c->lock);
	f = file_slot(c, st);
	*f = (struct file_id){ .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
			       .mtime = st->st_mtim, .ctime = st->st_ctim, .used = 1 };
	memcpy(f->sha, sha, FILEHASH_LEN);
	pthread_mutex_unlock(&c->lock);
}

struct dcam_cache *dcam_cache_new(size_t max_entries)
{
	struct dcam_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max = max_entries ? max_entries : 1;
	for (c->idx_cap = 16; c->idx_cap < 2 * c->max; c->idx_cap *= 2)
		;
	c->ring = calloc(c->max, sizeof(*c->ring));
	c->idx = calloc(c->idx_cap, sizeof(*c->idx));
	if (!c->ring || !c->idx) {
		free(c->ring);
		free(c->idx);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void dcam_cache_free(struct dcam_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->max; i++)
		dcam_result_free(c->ring[i]);
	pthread_mutex_destroy(&c->lock);
	free(c->ring);
	free(c->idx);
	free(c);
}

static size_t slot_of(const struct dcam_cache *c, const uint8_t sha[FILEHASH_LEN])
{
	uint64_t h;

	memcpy(&h, sha, sizeof(h)); /* a SHA-256 is already uniform */
	return (size_t)h & (c->idx_cap - 1);
}

/* Index position holding sha, or the empty one where it would go. */
static size_t find(const struct dcam_cache *c, const uint8_t sha[FILEHASH_LEN])
{
	size_t h = slot_of(c, sha);

	while (c->idx[h] && memcmp(c->ring[c->idx[h] - 1]->sha256, sha, FILEHASH_LEN))
		h = (h + 1) & (c->idx_cap - 1);
	return h;
}

/* Backward-shift deletion keeps linear probing chains intact. */
static void unindex(struct dcam_cache *c, size_t h)
{
	size_t mask = c->idx_cap - 1, j = h;

	c->idx[h] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!c->idx[j])
			return;
		home = slot_of(c, c->ring[c->idx[j] - 1]->sha256);
		if (((j - home) & mask) >= ((j - h) & mask)) {
			c->idx[h] = c->idx[j];
			c->idx[j] = 0;
			h = j;
		}
	}
}

struct dcam_result *dcam_cache_get(struct dcam_cache *c, const uint8_t sha[FILEHASH_LEN])
{
	struct dcam_result *r = NULL;
	size_t h;

	pthread_mutex_lock(&c->lock);
	h = find(c, sha);
	if (c->idx[h]) {
		r = c->ring[c->idx[h] - 1];
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void dcam_cache_put(struct dcam_cache *c, struct dcam_result *r)
{
	size_t h;

	pthread_mutex_lock(&c->lock);
	h = find(c, r->sha256);
	if (c->idx[h] && r->partial < c->ring[c->idx[h] - 1]->partial) {
		/* the full analysis of what was cached partial: in its place */
		size_t at = c->idx[h] - 1;

		dcam_result_free(c->ring[at]);
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
		c->ring[at] = r;
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (c->idx[h]) { /* another thread analysed it meanwhile */
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (c->ring[c->next]) {
		struct dcam_result *old = c->ring[c->next];

		unindex(c, find(c, old->sha256));
		dcam_result_free(old);
		c->n--;
	}
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
	c->ring[c->next] = r;
	h = find(c, r->sha256);
	c->idx[h] = c->next + 1;
	c->next = (c->next + 1) % c->max;
	c->n++;
	pthread_mutex_unlock(&c->lock);
}

void dcam_cache_stats(struct dcam_cache *c, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}
