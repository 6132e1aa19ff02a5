/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The token vocabulary (schemas/tokens.json) and an interner that gives every
 * token string, listed or not, a small dense id. Ids never change and names
 * never move once interned, so readers need no lock; interning takes one. */
#ifndef BPFPROF_TOKENS_H
#define BPFPROF_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t token_id;
#define TOKENS_MAX 65535u
#define TOKENS_NAME_MAX 127 /* bytes in a token name */
#define TOKEN_NONE ((token_id)0xffff)

struct tokens;

/* The vocabulary compiled into the binary. */
int tokens_load_default(struct tokens **out);
/* A vocabulary file in the tokens.json format. */
int tokens_load_file(const char *path, struct tokens **out, char *err, size_t errlen);
/* Parse a vocabulary from memory; on error *err (if given) names the problem. */
int tokens_load_buffer(const char *json, size_t len, struct tokens **out,
		       char *err, size_t errlen);
void tokens_free(struct tokens *t);

/* Id of name, adding it (as its own group) if unknown. -ENOSPC when full,
 * -EINVAL for an empty or over-long name. */
int tokens_intern(struct tokens *t, const char *name);
/* Id of name, or -ENOENT without adding it. */
int tokens_find(const struct tokens *t, const char *name);
const char *tokens_name(const struct tokens *t, token_id id);
/* Group id: tokens of one group substitute cheaply for each other. */
uint32_t tokens_group(const struct tokens *t, token_id id);
const char *tokens_group_name(const struct tokens *t, token_id id);
/* True when the vocabulary file lists the token (not merely interned). */
bool tokens_listed(const struct tokens *t, token_id id);
size_t tokens_count(const struct tokens *t);
/* Number of tokens the vocabulary file lists (ids 0..n-1). */
size_t tokens_listed_count(const struct tokens *t);
/* The listed tokens of call `name`, comma separated in buf ("socket" ->
 * "socket:inet, socket:unix, ..."); "" when none. */
void tokens_listed_variants(const struct tokens *t, const char *name, char *buf, size_t len);

#endif
