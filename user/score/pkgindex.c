/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The dpkg ownership index. Each listed path is stored with its directory
 * realpath'd (a per-directory cache keeps that to one realpath per
 * directory) and its last component as listed: callers look up the full
 * realpath of a file, which names the real file dpkg lists, whichever
 * symlinked directory the loader went through. rpm is not read (yet). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "score/pkgindex.h"
#include "lib/filehash.h"
#include "lib/util.h"

#define DPKG_INFO "/var/lib/dpkg/info"

struct strmap {
	char **keys;
	const char **vals;
	size_t cap, n;
};

static struct {
	pthread_once_t once;
	struct strmap paths; /* canonical path -> package */
	char **pkgs;
	size_t npkgs;
	bool available;
	atomic_bool building; /* a build is running (pkgindex_warm's thread, maybe) */
} idx = { .once = PTHREAD_ONCE_INIT };

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

static size_t strmap_pos(const struct strmap *m, const char *key)
{
	size_t h = fnv1a(key) & (m->cap - 1);

	while (m->keys[h] && strcmp(m->keys[h], key))
		h = (h + 1) & (m->cap - 1);
	return h;
}

static const char *strmap_get(const struct strmap *m, const char *key)
{
	size_t h;

	if (!m->cap)
		return NULL;
	h = strmap_pos(m, key);
	return m->keys[h] ? m->vals[h] : NULL;
}

/* First owner wins (dpkg lists shared directories under many packages). */
static int strmap_put(struct strmap *m, const char *key, const char *val)
{
	size_t h;

	if ((m->n + 1) * 2 > m->cap) {
		struct strmap g = { .cap = m->cap ? m->cap * 2 : 4096 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				h = strmap_pos(&g, m->keys[i]);
				g.keys[h] = m->keys[i];
				g.vals[h] = m->vals[i];
			}
		g.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	h = strmap_pos(m, key);
	if (m->keys[h])
		return 0;
	m->keys[h] = strdup(key);
	if (!m->keys[h])
		return -1;
	m->vals[h] = val;
	m->n++;
	return 0;
}

static void strmap_free(struct strmap *m, bool free_vals)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->keys[i]);
		if (free_vals)
			free((char *)m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* The canonical form of a directory, through the cache: its parent's,
 * then itself — one lstat per directory, and a realpath only where a
 * component is a symlink (usrmerge's /lib, /bin). realpath on every
 * directory took 3 s on a host with a large package (16 readlinks each). */
static const char *canon_dir(struct strmap *dirs, const char *dir)
{
	const char *c = strmap_get(dirs, dir), *slash = strrchr(dir, '/'), *parent;
	char buf[PATH_MAX * 2], pdir[PATH_MAX];
	struct stat st;
	char *r = NULL;

	if (c)
		return c;
	if (slash && slash != dir && (size_t)(slash - dir) < sizeof(pdir)) {
		memcpy(pdir, dir, (size_t)(slash - dir));
		pdir[slash - dir] = '\0';
		parent = canon_dir(dirs, pdir);
		if (parent && (size_t)snprintf(buf, sizeof(buf), "%s%s", parent, slash) < sizeof(buf) &&
		    !lstat(buf, &st) && !S_ISLNK(st.st_mode))
			r = strdup(buf);
	}
	if (!r)
		r = realpath(dir, NULL);
	if (!r)
		r = strdup(dir);
	if (!r || strmap_put(dirs, dir, r)) {
		free(r);
		return NULL;
	}
	return r;
}

static void index_list(struct strmap *dirs, const char *pkg, char *text)
{
	char path[PATH_MAX * 2];

	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *slash = strrchr(line, '/');
		const char *dir;

		if (line[0] != '/' || !slash || slash == line)
			continue;
		*slash = '\0';
		dir = canon_dir(dirs, line);
		if (!dir)
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", slash + 1);
		strmap_put(&idx.paths, path, pkg);
	}
}

static void build_index(void)
{
	struct strmap dirs = { 0 };
	DIR *d = opendir(DPKG_INFO);
	struct dirent *de;

	if (!d)
		return;
	idx.available = true;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char file[PATH_MAX], *text, *pkg, **np;
		size_t len;

		if (n < 6 || strcmp(de->d_name + n - 5, ".list"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", DPKG_INFO, de->d_name);
		if (util_read_file(file, 64u << 20, &text, &len))
			continue;
		pkg = strndup(de->d_name, n - 5);
		np = pkg ? realloc(idx.pkgs, (idx.npkgs + 1) * sizeof(*np)) : NULL;
		if (!np) {
			free(pkg);
			free(text);
			continue;
		}
		idx.pkgs = np;
		idx.pkgs[idx.npkgs++] = pkg;
		index_list(&dirs, pkg, text);
		free(text);
	}
	closedir(d);
	strmap_free(&dirs, true);
}

static void build(void)
{
	atomic_store(&idx.building, true);
	build_index();
	atomic_store(&idx.building, false);
}

/* The index lives for the process; release it at exit so leak checkers
 * see a clean heap — unless pkgindex_warm's detached thread is still
 * building it: freeing under it crashed short runs at exit. */
__attribute__((destructor)) static void pkgindex_release(void)
{
	if (atomic_load(&idx.building))
		return;
	strmap_free(&idx.paths, false);
	for (size_t i = 0; i < idx.npkgs; i++)
		free(idx.pkgs[i]);
	free(idx.pkgs);
}

const char *pkgindex_owner(const char *canonical_path)
{
	pthread_once(&idx.once, build);
	return strmap_get(&idx.paths, canonical_path);
}

bool pkgindex_available(void)
{
	pthread_once(&idx.once, build);
	return idx.available;
}

unsigned long pkgindex_size(void)
{
	pthread_once(&idx.once, build);
	return idx.paths.n;
}

static void *warm_thread(void *arg)
{
	(void)arg;
	/* seconds of parsing that must not delay the gate's judgements */
	setpriority(PRIO_PROCESS, 0, 10); /* Linux: this thread only */
	pthread_once(&idx.once, build);
	return NULL;
}

void pkgindex_warm(void)
{
	pthread_attr_t at;
	pthread_t t;

	if (pthread_attr_init(&at))
		return;
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &at, warm_thread, NULL);
	pthread_attr_destroy(&at);
}

int pkgindex_ships(const char *pkg, const char *name, int fd)
{
	uint8_t md5[FILEHASH_MD5_LEN];
	char file[PATH_MAX], hex[2 * FILEHASH_MD5_LEN + 1], *text, *line, *save = NULL;
	bool hashed = false;
	size_t len;
	int ret = 0;

	if (!pkg || !name || strchr(pkg, '/'))
		return -EINVAL;
	snprintf(file, sizeof(file), "%s/%s.md5sums", DPKG_INFO, pkg);
	ret = util_read_file(file, 64u << 20, &text, &len);
	if (ret)
		return ret;
	/* "<32 hex>  <path without the leading slash>" per line */
	for (line = strtok_r(text, "\n", &save); line && ret == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *path = line + 2 * FILEHASH_MD5_LEN + 2, *base;

		if (strlen(line) <= 2 * FILEHASH_MD5_LEN + 2)
			continue;
		base = strrchr(path, '/');
		if (strcmp(base ? base + 1 : path, name))
			continue;
		if (!hashed) {
			ret = filehash_md5_fd(fd, md5);
			if (ret)
				break;
			filehash_hex_n(md5, FILEHASH_MD5_LEN, hex);
			hashed = true;
		}
		ret = !strncasecmp(line, hex, 2 * FILEHASH_MD5_LEN);
	}
	free(text);
	return ret;
}
