/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The files we hold POSIX locks on, by device and inode, and the one way
 * to open what a traced process names (safeopen.h says why). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/safeopen.h"

struct guarded {
	dev_t dev;
	ino_t ino;
	unsigned int refs;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct guarded *files;
static size_t nfiles, capfiles;

static struct guarded *find(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < nfiles; i++)
		if (files[i].dev == dev && files[i].ino == ino)
			return &files[i];
	return NULL;
}

static bool reserve(void)
{
	size_t cap = capfiles * 2 + 4;
	struct guarded *f;

	if (nfiles < capfiles)
		return true;
	f = reallocarray(files, cap, sizeof(*f));
	if (!f)
		return false;
	files = f;
	capfiles = cap;
	return true;
}

/* Out of memory, the file stays unguarded: as it was before this module. */
static void guard(const char *path)
{
	struct guarded *g;
	struct stat st;

	if (stat(path, &st))
		return; /* no -shm: not in WAL mode, nothing locked there */
	pthread_mutex_lock(&lock);
	g = find(st.st_dev, st.st_ino);
	if (g)
		g->refs++;
	else if (reserve())
		files[nfiles++] = (struct guarded){ st.st_dev, st.st_ino, 1 };
	pthread_mutex_unlock(&lock);
}

static void unguard(const char *path)
{
	struct guarded *g;
	struct stat st;

	if (stat(path, &st))
		return;
	pthread_mutex_lock(&lock);
	g = find(st.st_dev, st.st_ino);
	if (g && !--g->refs)
		*g = files[--nfiles];
	pthread_mutex_unlock(&lock);
}

static void each_db_file(const char *path, void (*fn)(const char *path))
{
	char shm[4096];

	if (!path || !*path)
		return; /* an in-memory database */
	fn(path);
	if ((size_t)snprintf(shm, sizeof(shm), "%s-shm", path) < sizeof(shm))
		fn(shm);
}

void safeopen_guard_db(const char *path)
{
	each_db_file(path, guard);
}

void safeopen_unguard_db(const char *path)
{
	each_db_file(path, unguard);
}

int safeopen_read(const char *path)
{
	char self[64];
	struct stat st;
	bool guarded;
	int pfd, fd;

	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st)) {
		fd = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fd = -EINVAL;
		goto out;
	}
	pthread_mutex_lock(&lock);
	guarded = find(st.st_dev, st.st_ino) != NULL;
	pthread_mutex_unlock(&lock);
	if (guarded) {
		fd = -EPERM;
		goto out;
	}
	/* the very inode looked at, not whatever the path names by now */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
out:
	close(pfd);
	return fd;
}
