/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Bounded reading of the object. The file is never held whole nor mapped:
 * a mapping of a file truncated under us would SIGBUS the agent, and a
 * copy of a file that claims gigabytes would exhaust it. Reads go through
 * a few fixed-size chunks filled with pread, so memory is the same for a
 * 20 KiB library and a 500 MB file. Callers that keep a pointer across
 * other reads (the decoder of one block) pin its chunk. A thread keeps its
 * chunks' buffers for its next analysis: fresh ones would be fresh
 * mappings, every page of them faulted in again each time. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis/dcam_internal.h"

void dcam_src_init_mem(struct dcam_src *s, const void *buf, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->mem = buf;
	s->size = len;
}

void dcam_src_init_fd(struct dcam_src *s, int fd, uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->size = size;
}

#define CHUNK_BYTES (DCAM_CHUNK + DCAM_CHUNK_PAD)

struct pool {
	uint8_t *buf[DCAM_NCHUNKS];
	int n;
};

static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static bool pool_ok;

static void pool_free(void *p)
{
	struct pool *pool = p;

	for (int i = 0; i < pool->n; i++)
		free(pool->buf[i]);
	free(pool);
}

static void pool_init(void)
{
	pool_ok = !pthread_key_create(&pool_key, pool_free);
}

static struct pool *thread_pool(void)
{
	struct pool *pool;

	pthread_once(&pool_once, pool_init);
	if (!pool_ok)
		return NULL;
	pool = pthread_getspecific(pool_key);
	if (!pool && (pool = calloc(1, sizeof(*pool))) && pthread_setspecific(pool_key, pool)) {
		free(pool);
		pool = NULL;
	}
	return pool;
}

static uint8_t *chunk_alloc(void)
{
	struct pool *pool = thread_pool();

	return pool && pool->n ? pool->buf[--pool->n] : malloc(CHUNK_BYTES);
}

static void chunk_release(uint8_t *buf)
{
	struct pool *pool = buf ? thread_pool() : NULL;

	if (pool && pool->n < DCAM_NCHUNKS)
		pool->buf[pool->n++] = buf;
	else
		free(buf);
}

void dcam_src_fini(struct dcam_src *s)
{
	for (int i = 0; i < DCAM_NCHUNKS; i++)
		chunk_release(s->ch[i].buf);
	memset(s->ch, 0, sizeof(s->ch));
}

static int fill(struct dcam_src *s, struct dcam_chunk *c, uint64_t base)
{
	size_t want = CHUNK_BYTES, n = 0;

	if (s->size - base < want)
		want = (size_t)(s->size - base);
	if (!c->buf && !(c->buf = chunk_alloc()))
		return -ENOMEM;
	while (n < want) {
		ssize_t r = pread(s->fd, c->buf + n, want - n, (off_t)(base + n));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			break; /* shrank under us: the caller's stat check sees it */
		n += (size_t)r;
	}
	c->base = base;
	c->len = n;
	c->used = true;
	return 0;
}

const uint8_t *dcam_src_ptr(struct dcam_src *s, uint64_t off, size_t *avail, int *pin)
{
	uint64_t base = off & ~(uint64_t)(DCAM_CHUNK - 1);
	struct dcam_chunk *c = NULL;
	int victim = -1, ret;

	if (off >= s->size)
		return NULL;
	if (s->fd < 0) {
		*avail = (size_t)(s->size - off < SIZE_MAX ? s->size - off : SIZE_MAX);
		if (pin)
			*pin = -1;
		return s->mem + off;
	}
	for (int i = 0; i < DCAM_NCHUNKS; i++) {
		struct dcam_chunk *k = &s->ch[i];

		if (k->used && k->base == base) {
			c = k;
			victim = i;
			break;
		}
		if (!k->pins && (victim < 0 || !k->used ||
				 (s->ch[victim].used && k->lru < s->ch[victim].lru)))
			victim = i;
	}
	if (!c) {
		if (victim < 0)
			return NULL; /* every chunk pinned: cannot happen within LIM_DEPTH */
		c = &s->ch[victim];
		c->used = false;
		ret = fill(s, c, base);
		if (ret) {
			if (!s->err)
				s->err = ret;
			return NULL;
		}
	}
	c->lru = ++s->tick;
	if (off - c->base >= c->len)
		return NULL;
	*avail = c->len - (size_t)(off - c->base);
	if (pin) {
		c->pins++;
		*pin = victim;
	}
	return c->buf + (off - c->base);
}

void dcam_src_unpin(struct dcam_src *s, int pin)
{
	if (pin >= 0 && pin < DCAM_NCHUNKS && s->ch[pin].pins)
		s->ch[pin].pins--;
}

bool dcam_src_sample(struct dcam_src *s, uint64_t off, void *dst, size_t len)
{
	size_t n = 0;

	if (off > s->size || len > s->size - off)
		return false;
	if (s->fd < 0) {
		memcpy(dst, s->mem + off, len);
		return true;
	}
	while (n < len) {
		ssize_t r = pread(s->fd, (uint8_t *)dst + n, len - n, (off_t)(off + n));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && !s->err)
			s->err = -errno;
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	return true;
}

bool dcam_src_read(struct dcam_src *s, uint64_t off, void *dst, size_t len)
{
	uint8_t *d = dst;

	if (off > s->size || len > s->size - off)
		return false;
	while (len) {
		size_t avail;
		const uint8_t *p = dcam_src_ptr(s, off, &avail, NULL);

		if (!p)
			return false;
		if (avail > len)
			avail = len;
		memcpy(d, p, avail);
		d += avail;
		off += avail;
		len -= avail;
	}
	return true;
}
