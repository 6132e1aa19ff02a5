/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* safeopen: a file a traced process names is opened without dropping the
 * POSIX locks our SQLite databases hold, and a FIFO does not block us. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "behaviors/bdstore.h"
#include "lib/safeopen.h"
#include "tmpdir.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bpfprof-safeopen-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(safeopen, .init = setup, .fini = teardown, .timeout = 20);

/* Whether another process sees a lock of ours on SQLite's shared-lock
 * bytes of path (os_unix.c: SHARED_FIRST, SHARED_SIZE). */
static bool others_see_our_shared_lock(const char *path)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = 0x40000000 + 2, .l_len = 510 };
		int fd = open(path, O_RDONLY);

		_exit(fd < 0 || fcntl(fd, F_GETLK, &fl) ? 2 : fl.l_type == F_RDLCK ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) < 2);
	return WEXITSTATUS(status) == 0;
}

Test(safeopen, an_open_database_is_refused_and_keeps_its_locks)
{
	struct bdstore *st;
	char path[128], shm[160], err[256];
	int fd;

	snprintf(path, sizeof(path), "%s/bd.sqlite", dir);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	cr_assert_eq(bdstore_open(path, BDSTORE_NO_SEED, &st, err, sizeof(err)), 0, "%s", err);
	bdstore_count(st);
	cr_assert(others_see_our_shared_lock(path), "SQLite holds no shared lock to keep");
	cr_assert_eq(safeopen_read(path), -EPERM);
	cr_assert_eq(safeopen_read(shm), -EPERM);
	cr_assert(others_see_our_shared_lock(path), "safeopen_read dropped the database's lock");
	/* what a plain open and close does, and why safeopen exists */
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_not(others_see_our_shared_lock(path));
	bdstore_close(st);
	fd = safeopen_read(path);
	cr_assert_geq(fd, 0, "a closed database is an ordinary file again: %s", strerror(-fd));
	close(fd);
}

Test(safeopen, guards_are_counted)
{
	char path[128];
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("bytes", f);
	fclose(f);
	safeopen_guard_db(path);
	safeopen_guard_db(path);
	safeopen_unguard_db(path);
	cr_assert_eq(safeopen_read(path), -EPERM, "one connection is still open");
	safeopen_unguard_db(path);
	fd = safeopen_read(path);
	cr_assert_geq(fd, 0);
	close(fd);
}

Test(safeopen, a_regular_file_opens_for_reading_even_through_a_proc_link)
{
	char path[128], link[64], buf[8] = "";
	int fd, wfd, rfd;

	snprintf(path, sizeof(path), "%s/object", dir);
	wfd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(wfd, 0);
	cr_assert_eq(write(wfd, "\177ELF", 4), 4);
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)getpid(), wfd);
	fd = safeopen_read(link);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(read(fd, buf, 4), 4);
	cr_assert_str_eq(buf, "\177ELF");
	cr_assert_eq(write(fd, "x", 1), -1, "opened for reading only");
	rfd = safeopen_read(path);
	cr_assert_geq(rfd, 0);
	close(rfd);
	close(fd);
	close(wfd);
}

Test(safeopen, a_fifo_or_a_directory_is_refused_without_blocking)
{
	char fifo[128];

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(safeopen_read(fifo), -EINVAL); /* open(2) would wait for a writer */
	cr_assert_eq(safeopen_read(dir), -EINVAL);
	cr_assert_eq(safeopen_read("/nonexistent/file"), -ENOENT);
}
