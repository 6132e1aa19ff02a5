/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A closed window made by hand, for the stages after the assembler (the
 * scorer, the mitigation): its parts are given as token names, its object
 * as a file to open. */
#ifndef BPFPROF_TEST_WINDOW_FIXTURE_H
#define BPFPROF_TEST_WINDOW_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel/kdev.h"
#include "pipeline/window.h"

/* parts[p] is a NULL-terminated list of tokens (NULL: the part is empty);
 * object: a file the window loaded (NULL: not opened, path "libx.so"). */
static inline void window_fixture(struct window *w, pid_t pid, const char *const *parts[WINDOW_NPARTS],
				  const char *object)
{
	memset(w, 0, sizeof(*w));
	w->id = 1;
	w->pid = pid;
	w->tid = pid;
	w->pivot = BP_PIVOT_DLOPEN;
	w->ok = 1;
	w->file_fd = -1;
	snprintf(w->comm, sizeof(w->comm), "fixture");
	for (int p = 0; p < WINDOW_NPARTS; p++) {
		size_t n = 0;

		while (parts[p] && parts[p][n])
			n++;
		w->calls[p] = calloc(n ? n : 1, sizeof(*w->calls[p]));
		cr_assert_not_null(w->calls[p]);
		for (size_t i = 0; i < n; i++)
			w->calls[p][i].token = parts[p][i];
		w->ncalls[p] = w->cap[p] = n;
	}
	if (!object) {
		snprintf(w->path, sizeof(w->path), "libx.so");
		return;
	}
	snprintf(w->path, sizeof(w->path), "%s", object);
	snprintf(w->file_path, sizeof(w->file_path), "%s", object);
	w->file_fd = open(object, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(w->file_fd, 0, "%s", object);
	{
		struct stat st;

		cr_assert_eq(fstat(w->file_fd, &st), 0);
		w->file_dev = kdev_from_dev(st.st_dev);
		w->file_ino = st.st_ino;
	}
}

static inline void window_fixture_free(struct window *w)
{
	for (int p = 0; p < WINDOW_NPARTS; p++)
		free(w->calls[p]);
	if (w->file_fd >= 0)
		close(w->file_fd);
}

#endif
