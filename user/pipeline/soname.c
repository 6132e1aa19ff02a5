/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Resolving a soname the loader's way. The host's cache is read through
 * `ldconfig -p` (glibc's own reader of /etc/ld.so.cache) once, and again
 * when the cache file changes; a container's cache is not parsed here (its
 * contents are the container's to forge), its standard directories are
 * searched instead. Entries for this machine's ABI win over others
 * (`libc6,x86-64` on x86-64), as they do for a native process. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pipeline/soname.h"

#if defined(__x86_64__)
#define ABI_TAG "x86-64"
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define ABI_TAG "AArch64"
#define MULTIARCH "aarch64-linux-gnu"
#else
#define ABI_TAG ""
#define MULTIARCH ""
#endif

struct entry {
	char *name, *path;
	bool native;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *cache;
static size_t ncache;
static struct timespec cache_mtime;
static bool cache_read;

static void cache_clear(void)
{
	for (size_t i = 0; i < ncache; i++) {
		free(cache[i].name);
		free(cache[i].path);
	}
	free(cache);
	cache = NULL;
	ncache = 0;
}

/* One line of `ldconfig -p`: "\tlibz.so.1 (libc6,x86-64) => /lib/.../libz.so.1". */
static int parse_line(const char *line, struct entry *e)
{
	const char *name = line + strspn(line, " \t"), *flags = strstr(name, " ("),
		   *arrow = strstr(name, ") => ");
	size_t plen;

	if (!flags || !arrow || arrow < flags || arrow[5] != '/')
		return -EINVAL;
	plen = strcspn(arrow + 5, "\n");
	e->name = strndup(name, (size_t)(flags - name));
	e->path = strndup(arrow + 5, plen);
	e->native = !ABI_TAG[0] || memmem(flags, (size_t)(arrow - flags), ABI_TAG,
					  strlen(ABI_TAG)) != NULL;
	if (!e->name || !e->path) {
		free(e->name);
		free(e->path);
		return -ENOMEM;
	}
	return 0;
}

static const char *ldconfig_path(void)
{
	static const char *const paths[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* (Re)reads the host's cache when /etc/ld.so.cache changed. Under lock. */
static void cache_refresh(void)
{
	const char *ldconfig = ldconfig_path();
	char cmd[64], *line = NULL;
	size_t cap = 0;
	struct stat st;
	FILE *p;

	if (stat("/etc/ld.so.cache", &st))
		st.st_mtim = (struct timespec){ 0 };
	if (cache_read && st.st_mtim.tv_sec == cache_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == cache_mtime.tv_nsec)
		return;
	cache_clear();
	cache_read = true;
	cache_mtime = st.st_mtim;
	if (!ldconfig)
		return;
	snprintf(cmd, sizeof(cmd), "%s -p 2>/dev/null", ldconfig);
	p = popen(cmd, "re");
	if (!p)
		return;
	while (getline(&line, &cap, p) > 0) {
		struct entry e, *n;

		if (parse_line(line, &e))
			continue;
		n = realloc(cache, (ncache + 1) * sizeof(*cache));
		if (!n) {
			free(e.name);
			free(e.path);
			break;
		}
		cache = n;
		cache[ncache++] = e;
	}
	free(line);
	pclose(p);
}

static int from_cache(const char *name, char *path, size_t len)
{
	const struct entry *best = NULL;

	pthread_mutex_lock(&lock);
	cache_refresh();
	for (size_t i = 0; i < ncache; i++)
		if (!strcmp(cache[i].name, name) && !access(cache[i].path, R_OK) &&
		    (!best || (cache[i].native && !best->native)))
			best = &cache[i];
	if (best)
		snprintf(path, len, "%s", best->path);
	pthread_mutex_unlock(&lock);
	return best ? 0 : -ENOENT;
}

/* The directories ld.so searches without a cache, under root ("" or
 * /proc/PID/root). */
static int from_dirs(const char *root, const char *name, char *path, size_t len)
{
	static const char *const dirs[] = {
		"/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64", "/usr/lib64", "/lib", "/usr/lib",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		if ((size_t)snprintf(path, len, "%s%s/%s", root, dirs[i], name) >= len)
			continue;
		if (!access(path, R_OK))
			return 0;
	}
	return -ENOENT;
}

/* Whether pid lives in our root: its root is "/" as we see it, or it has
 * gone (the host's view is all there is then). */
static bool shares_our_root(pid_t pid)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	if (pid <= 0 || pid == getpid())
		return true;
	snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT || errno == ESRCH;
	target[n] = '\0';
	return !strcmp(target, "/");
}

int soname_resolve(pid_t pid, const char *name, char *path, size_t len)
{
	char root[64];

	if (!name || !name[0] || strchr(name, '/'))
		return -EINVAL;
	if (shares_our_root(pid))
		return from_cache(name, path, len) ? from_dirs("", name, path, len) : 0;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	return from_dirs(root, name, path, len);
}
