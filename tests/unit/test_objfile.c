/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Attribution of a load to the file it loaded, with real files and real
 * processes: a bare soname resolves the loader's way and finds the mapped
 * file under its real name; a process already gone leaves the file the
 * search finds; a failed load is never blamed on the loader's cache. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/kdev.h"
#include "pipeline/objfile.h"
#include "pipeline/soname.h"
#include "records.h"

#define LIBZ "libz.so.1"

static char libz_real[PATH_MAX];

/* libz.so.1 is a symlink to libz.so.1.2.N: the soname is not the file name. */
static void need_libz(void)
{
	char found[PATH_MAX];

	if (soname_resolve(0, LIBZ, found, sizeof(found)) || !realpath(found, libz_real))
		cr_skip_test("needs " LIBZ " (zlib1g)");
	cr_assert(strcmp(strrchr(libz_real, '/') + 1, LIBZ), "%s is not a symlink here", LIBZ);
}

static void window_for(struct window *w, pid_t pid, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->id = 1;
	w->pid = w->tid = (uint32_t)pid;
	w->pivot = BP_PIVOT_DLOPEN;
	w->ok = 1;
	w->file_fd = -1;
	snprintf(w->path, sizeof(w->path), "%s", path);
}

static void dlopen_returned(struct window *w)
{
	struct bp_ev_dlopen_ret e = ret_ev(w->id, 0x1000, 2000);

	e.hdr.pid = e.hdr.tid = w->pid;
	objfile_track(w, &e, sizeof(e));
}

Test(objfile, a_soname_resolves_as_the_loader_finds_it)
{
	char found[PATH_MAX], real[PATH_MAX], libc[PATH_MAX];

	cr_assert_eq(soname_resolve(0, "libc.so.6", found, sizeof(found)), 0);
	cr_assert_not_null(realpath(found, real));
	cr_assert_not_null(realpath("/lib/x86_64-linux-gnu/libc.so.6", libc) ?:
			   realpath("/lib/aarch64-linux-gnu/libc.so.6", libc));
	cr_assert_str_eq(real, libc);
	cr_assert_eq(soname_resolve(0, "libbpfprof-no-such-thing.so.9", found, sizeof(found)),
		     -ENOENT);
	cr_assert_eq(soname_resolve(0, "/lib/libc.so.6", found, sizeof(found)), -EINVAL);
}

Test(objfile, a_soname_loaded_already_is_the_file_mapped_under_its_real_name)
{
	struct window w;
	int ready[2], status;
	pid_t child;
	char c;

	need_libz();
	cr_assert_eq(pipe(ready), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(ready[0]);
		if (!dlopen(LIBZ, RTLD_NOW))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child could not load " LIBZ);
	close(ready[0]);
	/* the window saw no mapping: the object was in the process already */
	window_for(&w, child, LIBZ);
	dlopen_returned(&w);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	cr_assert_geq(w.file_fd, 0, "the mapped %s was not found", libz_real);
	cr_assert_str_eq(w.file_path, libz_real);
	close(w.file_fd);
}

Test(objfile, a_soname_of_a_process_already_gone_is_the_file_the_search_finds)
{
	struct window w;
	struct stat st, want;
	pid_t child = fork();

	need_libz();
	cr_assert_geq(child, 0);
	if (child == 0)
		_exit(0);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	window_for(&w, child, LIBZ);
	dlopen_returned(&w);
	cr_assert_geq(w.file_fd, 0, "nothing found for %s of a gone process", LIBZ);
	cr_assert_eq(fstat(w.file_fd, &st), 0);
	cr_assert_eq(stat(libz_real, &want), 0);
	cr_assert(st.st_dev == want.st_dev && st.st_ino == want.st_ino);
	close(w.file_fd);
}

Test(objfile, a_failed_load_is_not_blamed_on_the_loaders_cache)
{
	struct bp_ev_call e = call_ev(1, BP_PART_LOAD,
				      rec(BP_CALL_OPENAT, O_RDONLY, 0, "/etc/ld.so.cache"));
	struct window w;

	if (access("/etc/ld.so.cache", R_OK))
		cr_skip_test("no /etc/ld.so.cache here");
	window_for(&w, getpid(), "libbpfprof-no-such-thing.so");
	w.ok = 0;
	e.hdr.pid = e.hdr.tid = (uint32_t)getpid();
	objfile_track(&w, &e, sizeof(e));
	cr_assert_lt(w.file_fd, 0, "the loader's cache was taken for the object");
	cr_assert_str_empty(w.file_path);
	/* the object itself, when the loader opens it, is taken */
	e.rec = rec(BP_CALL_OPENAT, O_RDONLY, 0, FIXTURE_DIR "/libbenign.so");
	objfile_track(&w, &e, sizeof(e));
	cr_assert_geq(w.file_fd, 0);
	cr_assert_str_eq(w.file_path, FIXTURE_DIR "/libbenign.so");
	close(w.file_fd);
}

/* An injection's window opens on the injector's open of /proc/PID/mem for
 * writing: that record names its file (BP_REC_FILE), which is not the code
 * loaded and must not be analysed as it. A mapping of the same file is. */
Test(objfile, a_file_opened_for_writing_is_not_taken_for_the_code_loaded)
{
	struct bp_ev_window_open e = open_ev(1, 0);
	struct bp_call_rec *p = &e.pivot_rec;
	struct window w;
	struct stat st;

	cr_assert_eq(stat(FIXTURE_DIR "/libbenign.so", &st), 0);
	window_for(&w, getpid(), "");
	w.pivot = BP_PIVOT_INJECT;
	e.hdr.pid = e.hdr.tid = (uint32_t)getpid();
	e.hdr.pivot = BP_PIVOT_INJECT;
	*p = rec(BP_CALL_OPENAT, O_RDWR, 0, FIXTURE_DIR "/libbenign.so");
	p->flags = BP_REC_FILE;
	p->arg[2] = kdev_from_dev(st.st_dev);
	p->arg[3] = st.st_ino;
	e.nlookback = 1; /* the injector's open is its last call too */
	e.lookback[0] = *p;
	objfile_track(&w, &e, sizeof(e));
	cr_assert_lt(w.file_fd, 0, "the file the injector wrote was taken for the code");

	/* the same file mapped executable is the object */
	e.hdr.pivot = BP_PIVOT_EXEC_FILE;
	p->call = BP_CALL_EXECVE;
	objfile_track(&w, &e, sizeof(e));
	cr_assert_geq(w.file_fd, 0, "an exec'd image was not opened");
	close(w.file_fd);
}
