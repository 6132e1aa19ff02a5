/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Readers for recorded and dataset traces; the files are small (ADFA-LD's
 * largest is tens of KB) and read whole. */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "learn/tracefile.h"
#include "lib/util.h"

#define TRACE_MAX_BYTES (64u << 20)
#define SYSCALL_MAX 4096

/* path read whole as text: a binary file (a NUL byte, not UTF-8) is refused
 * where it stops being text, not read up to its first NUL. */
static int read_text(const char *path, size_t max, char **buf, size_t *len, char *err,
		     size_t errlen)
{
	int ret = util_read_file(path, max, buf, len);
	size_t ok;

	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ok = util_utf8_len(*buf, *len);
	if (ok == *len)
		return 0;
	snprintf(err, errlen, "%s: byte %zu: not text (%s)", path, ok,
		 (*buf)[ok] ? "not UTF-8" : "a NUL byte");
	free(*buf);
	*buf = NULL;
	return -EINVAL;
}

int tracefile_table_load(const char *path, struct syscall_table *t, char *err, size_t errlen)
{
	char *buf, *next;
	size_t len, line = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = read_text(path, 1 << 20, &buf, &len, err, errlen);
	if (ret)
		return ret;
	t->names = calloc(SYSCALL_MAX, sizeof(*t->names));
	if (!t->names) {
		free(buf);
		return -ENOMEM;
	}
	for (char *l = buf; l; l = next) {
		char *tab, *end;
		long num;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		l[strcspn(l, "\r")] = '\0';
		tab = strchr(l, '\t');
		line++;
		if (*l == '#' || !*l)
			continue;
		num = strtol(l, &end, 10);
		if (!tab || end != tab || num < 0 || num >= SYSCALL_MAX || !tab[1] ||
		    strlen(tab + 1) > TOKENS_NAME_MAX || strpbrk(tab + 1, " \t\v\f")) {
			snprintf(err, errlen, "%s:%zu: expected NUMBER<TAB>NAME (a number below %d, "
				 "a name of 1..%d bytes without spaces)", path, line, SYSCALL_MAX,
				 TOKENS_NAME_MAX);
			ret = -EINVAL;
			break;
		}
		free(t->names[num]);
		t->names[num] = strdup(tab + 1);
		if (!t->names[num]) {
			ret = -ENOMEM;
			break;
		}
		if ((size_t)num + 1 > t->n)
			t->n = (size_t)num + 1;
	}
	free(buf);
	if (ret)
		tracefile_table_free(t);
	return ret;
}

void tracefile_table_free(struct syscall_table *t)
{
	if (!t->names)
		return;
	for (size_t i = 0; i < SYSCALL_MAX; i++)
		free(t->names[i]);
	free(t->names);
	t->names = NULL;
}

static int push(token_id **seq, size_t *n, size_t *cap, int id)
{
	if (id < 0)
		return id;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		token_id *s = realloc(*seq, c * sizeof(*s));

		if (!s)
			return -ENOMEM;
		*seq = s;
		*cap = c;
	}
	(*seq)[(*n)++] = (token_id)id;
	return 0;
}

int tracefile_read_numbers(const char *path, const struct syscall_table *t,
			   struct tokens *tok, token_id **seq, size_t *n,
			   char *err, size_t errlen)
{
	char *buf, *p, *end;
	size_t len, cap = 0;
	int ret;

	*seq = NULL;
	*n = 0;
	ret = read_text(path, TRACE_MAX_BYTES, &buf, &len, err, errlen);
	if (ret)
		return ret;
	for (p = buf; *p; p = end) {
		long num;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		num = strtol(p, &end, 10);
		if (end == p || num < 0 || (*end && !isspace((unsigned char)*end))) {
			snprintf(err, errlen, "%s: byte %zu: expected a syscall number", path,
				 (size_t)(p - buf));
			ret = -EINVAL;
			break;
		}
		if ((size_t)num < t->n && t->names[num]) {
			ret = push(seq, n, &cap, tokens_intern(tok, t->names[num]));
		} else {
			char name[32];

			snprintf(name, sizeof(name), "sys_%ld", num);
			ret = push(seq, n, &cap, tokens_intern(tok, name));
		}
		if (ret)
			break;
	}
	free(buf);
	if (ret) {
		if (!*err)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		free(*seq);
		*seq = NULL;
		*n = 0;
	}
	return ret;
}

int tracefile_read_tokens(const char *path, struct tokens *tok, token_id **seq, size_t *n,
			  char *err, size_t errlen)
{
	char *buf, *p, *save = NULL;
	size_t len, cap = 0;
	int ret;

	*seq = NULL;
	*n = 0;
	ret = read_text(path, TRACE_MAX_BYTES, &buf, &len, err, errlen);
	if (ret)
		return ret;
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	if (*p == '[') {
		json_error_t jerr;
		json_t *arr = json_loadb(buf, len, 0, &jerr), *it;
		size_t i;

		if (!arr || !json_is_array(arr)) {
			snprintf(err, errlen, "%s: line %d: %s", path, jerr.line,
				 arr ? "expected an array" : jerr.text);
			json_decref(arr);
			free(buf);
			return -EINVAL;
		}
		json_array_foreach(arr, i, it) {
			const char *name = json_is_object(it) ?
				json_string_value(json_object_get(it, "call")) : json_string_value(it);

			if (!name || !*name || strlen(name) > TOKENS_NAME_MAX) {
				snprintf(err, errlen, "%s: [%zu]: expected a token name (1..%d bytes) "
					 "or {\"call\": name}", path, i, TOKENS_NAME_MAX);
				ret = -EINVAL;
				break;
			}
			ret = push(seq, n, &cap, tokens_intern(tok, name));
			if (ret) {
				snprintf(err, errlen, "%s: [%zu]: %s", path, i, strerror(-ret));
				break;
			}
		}
		json_decref(arr);
	} else {
		for (char *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
			if (strlen(w) > TOKENS_NAME_MAX) {
				snprintf(err, errlen, "%s: byte %zu: a token name longer than %d bytes",
					 path, (size_t)(w - buf), TOKENS_NAME_MAX);
				ret = -EINVAL;
				break;
			}
			ret = push(seq, n, &cap, tokens_intern(tok, w));
			if (ret) {
				snprintf(err, errlen, "%s: token \"%.40s\": %s", path, w, strerror(-ret));
				break;
			}
		}
	}
	free(buf);
	if (ret) {
		free(*seq);
		*seq = NULL;
		*n = 0;
	}
	return ret;
}

static struct {
	const char *suffix;
	char **paths;
	size_t n, cap;
	int err;
} found;

static int visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	size_t pl = strlen(path), sl = strlen(found.suffix);

	(void)st;
	(void)f;
	if (type != FTW_F || pl < sl || strcmp(path + pl - sl, found.suffix))
		return 0;
	if (found.n == found.cap) {
		size_t c = found.cap ? found.cap * 2 : 64;
		char **p = realloc(found.paths, c * sizeof(*p));

		if (!p) {
			found.err = -ENOMEM;
			return 1;
		}
		found.paths = p;
		found.cap = c;
	}
	found.paths[found.n] = strdup(path);
	if (!found.paths[found.n]) {
		found.err = -ENOMEM;
		return 1;
	}
	found.n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tracefile_find(const char *dir, const char *suffix, char ***paths, size_t *n)
{
	size_t start = *n;
	int ret;

	/* nftw has no user pointer: the walk state is static, callers are the
	 * single-threaded commands */
	found.suffix = suffix;
	found.paths = *paths;
	found.n = found.cap = *n;
	found.err = 0;
	ret = nftw(dir, visit, 16, 0);
	*paths = found.paths;
	*n = found.n;
	if (found.err)
		return found.err;
	if (ret)
		return -errno ? -errno : -EIO;
	qsort(*paths + start, *n - start, sizeof(char *), cmp_str);
	return 0;
}

void tracefile_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
