/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Token vocabulary and interner. Entries live in fixed chunks that are never
 * reallocated, so tokens_name()/tokens_group() read without locking while
 * another thread interns (an API submission bringing a new token). */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/tokens.h"
#include "lib/util.h"

#define CHUNK_SHIFT 10
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define NCHUNKS ((TOKENS_MAX + CHUNK_SIZE) / CHUNK_SIZE)

extern const char bpfprof_tokens_json[];
extern const size_t bpfprof_tokens_json_len;

struct token_entry {
	char *name;
	char *group_name;
	uint32_t group;
	bool listed;
};

struct tokens {
	struct token_entry *_Atomic chunks[NCHUNKS];
	atomic_size_t count;
	size_t listed;
	uint32_t ngroups;
	/* name -> id + 1 (0 = empty), open addressing; guarded by lock */
	pthread_rwlock_t lock;
	uint32_t *slots;
	size_t nslots;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static struct token_entry *entry(const struct tokens *t, size_t id)
{
	return &t->chunks[id >> CHUNK_SHIFT][id & (CHUNK_SIZE - 1)];
}

static long slot_find(const struct tokens *t, const char *name)
{
	size_t mask = t->nslots - 1, i = hash_name(name) & mask;

	for (; t->slots[i]; i = (i + 1) & mask)
		if (!strcmp(entry(t, t->slots[i] - 1)->name, name))
			return t->slots[i] - 1;
	return -(long)i - 1;
}

static int slots_grow(struct tokens *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 256, mask = n - 1;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t id = 0; id < atomic_load(&t->count); id++) {
		size_t i = hash_name(entry(t, id)->name) & mask;

		while (s[i])
			i = (i + 1) & mask;
		s[i] = id + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	return 0;
}

/* Caller holds the write lock and has checked the name is absent. */
static int add_locked(struct tokens *t, const char *name, const char *group,
		      uint32_t group_id, bool listed)
{
	size_t id = atomic_load(&t->count);
	struct token_entry *e;
	long pos;

	if (id >= TOKENS_MAX)
		return -ENOSPC;
	if ((id + 1) * 2 > t->nslots && slots_grow(t))
		return -ENOMEM;
	if (!t->chunks[id >> CHUNK_SHIFT]) {
		struct token_entry *c = calloc(CHUNK_SIZE, sizeof(*c));

		if (!c)
			return -ENOMEM;
		atomic_store(&t->chunks[id >> CHUNK_SHIFT], c);
	}
	e = entry(t, id);
	e->name = strdup(name);
	e->group_name = strdup(group);
	if (!e->name || !e->group_name) {
		free(e->name);
		free(e->group_name);
		return -ENOMEM;
	}
	e->group = group_id;
	e->listed = listed;
	pos = slot_find(t, name);
	t->slots[-pos - 1] = id + 1;
	atomic_store_explicit(&t->count, id + 1, memory_order_release);
	return (int)id;
}

static int valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= TOKENS_NAME_MAX;
}

int tokens_find(const struct tokens *t, const char *name)
{
	struct tokens *mt = (struct tokens *)t;
	long id;

	if (!valid_name(name))
		return -EINVAL;
	pthread_rwlock_rdlock(&mt->lock);
	id = slot_find(t, name);
	pthread_rwlock_unlock(&mt->lock);
	return id >= 0 ? (int)id : -ENOENT;
}

int tokens_intern(struct tokens *t, const char *name)
{
	int id = tokens_find(t, name);

	if (id != -ENOENT)
		return id;
	pthread_rwlock_wrlock(&t->lock);
	id = (int)slot_find(t, name);
	if (id < 0) /* an unlisted token is a group of its own */
		id = add_locked(t, name, name, t->ngroups + atomic_load(&t->count), false);
	pthread_rwlock_unlock(&t->lock);
	return id;
}

const char *tokens_name(const struct tokens *t, token_id id)
{
	if (id >= atomic_load_explicit(&((struct tokens *)t)->count, memory_order_acquire))
		return NULL;
	return entry(t, id)->name;
}

uint32_t tokens_group(const struct tokens *t, token_id id)
{
	if (id >= atomic_load_explicit(&((struct tokens *)t)->count, memory_order_acquire))
		return UINT32_MAX;
	return entry(t, id)->group;
}

const char *tokens_group_name(const struct tokens *t, token_id id)
{
	if (id >= atomic_load_explicit(&((struct tokens *)t)->count, memory_order_acquire))
		return NULL;
	return entry(t, id)->group_name;
}

bool tokens_listed(const struct tokens *t, token_id id)
{
	return id < t->listed;
}

size_t tokens_count(const struct tokens *t)
{
	return atomic_load_explicit(&((struct tokens *)t)->count, memory_order_acquire);
}

size_t tokens_listed_count(const struct tokens *t)
{
	return t->listed;
}

void tokens_free(struct tokens *t)
{
	if (!t)
		return;
	for (size_t id = 0; id < atomic_load(&t->count); id++) {
		free(entry(t, id)->name);
		free(entry(t, id)->group_name);
	}
	for (size_t c = 0; c < NCHUNKS; c++)
		free(t->chunks[c]);
	free(t->slots);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static uint32_t group_id_of(struct tokens *t, const char *group)
{
	for (size_t id = 0; id < atomic_load(&t->count); id++)
		if (!strcmp(entry(t, id)->group_name, group))
			return entry(t, id)->group;
	return t->ngroups++;
}

int tokens_load_buffer(const char *json, size_t len, struct tokens **out,
		       char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *list, *item;
	struct tokens *t;
	size_t i;
	int ret = -EINVAL;

	if (!err || !errlen) {
		static char sink[1];

		err = sink;
		errlen = sizeof(sink);
	}
	*err = '\0';
	root = json_loadb(json, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	list = json_object_get(root, "tokens");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		snprintf(err, errlen, "\"tokens\" must be a non-empty array");
		json_decref(root);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		json_decref(root);
		return -ENOMEM;
	}
	pthread_rwlock_init(&t->lock, NULL);
	if (slots_grow(t)) {
		ret = -ENOMEM;
		goto fail;
	}
	json_array_foreach(list, i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		const char *group = json_string_value(json_object_get(item, "group"));

		if (!valid_name(name) || !valid_name(group)) {
			snprintf(err, errlen, "tokens[%zu]: \"name\" and \"group\" must be non-empty strings", i);
			goto fail;
		}
		if (slot_find(t, name) >= 0) {
			snprintf(err, errlen, "tokens[%zu]: duplicate token \"%s\"", i, name);
			goto fail;
		}
		ret = add_locked(t, name, group, group_id_of(t, group), true);
		if (ret < 0) {
			snprintf(err, errlen, "tokens[%zu]: %s", i, strerror(-ret));
			goto fail;
		}
	}
	t->listed = atomic_load(&t->count);
	json_decref(root);
	*out = t;
	return 0;
fail:
	json_decref(root);
	tokens_free(t);
	return ret < 0 ? ret : -EINVAL;
}

int tokens_load_default(struct tokens **out)
{
	return tokens_load_buffer(bpfprof_tokens_json, bpfprof_tokens_json_len, out, NULL, 0);
}

int tokens_load_file(const char *path, struct tokens **out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret = util_read_file(path, 1 << 20, &buf, &len);

	if (ret < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = tokens_load_buffer(buf, len, out, err, errlen);
	free(buf);
	return ret;
}

void tokens_listed_variants(const struct tokens *t, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name), used = 0;

	*buf = '\0';
	for (size_t id = 0; id < tokens_listed_count(t) && used < len; id++) {
		const char *v = tokens_name(t, (token_id)id);

		if (!strncmp(v, name, n) && v[n] == ':')
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v);
	}
}
