/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The progress line on a real pseudo-terminal, and its silence when stderr
 * is a pipe (a log file or a CI job must not fill with \r redraws). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/progress.h"

/* Runs the same sequence of progress calls with stderr on fd, then puts
 * stderr back. */
static void draw_on(int fd)
{
	struct progress p;
	int saved = dup(STDERR_FILENO);

	cr_assert_geq(saved, 0);
	fflush(stderr);
	cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
	progress_begin(&p, "importing", 10);
	progress_update(&p, 3);
	progress_update(&p, 10); /* the last one is drawn even within 100 ms */
	progress_label(&p, "building the sequence index");
	progress_end(&p);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static size_t drain(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n < len - 1 && poll(&pfd, 1, 200) > 0 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

Test(progress, draws_counts_and_labels_on_a_terminal_and_erases_them)
{
	int master, slave;
	char out[1024];

	cr_assert_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	draw_on(slave);
	drain(master, out, sizeof(out));
	cr_assert(strstr(out, "\rimporting: 3/10 (30%)"), "%s", out);
	cr_assert(strstr(out, "\rimporting: 10/10 (100%)"), "%s", out);
	cr_assert(strstr(out, "building the sequence index..."), "%s", out);
	cr_assert(strstr(out, "\r\033[K") && !strcmp(strrchr(out, '\r'), "\r\033[K"),
		  "the line is not erased at the end: %s", out);
	close(slave);
	close(master);
}

Test(progress, writes_nothing_when_stderr_is_not_a_terminal)
{
	int fds[2];
	char out[256];

	cr_assert_eq(pipe(fds), 0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	draw_on(fds[1]);
	close(fds[1]);
	cr_assert_eq(drain(fds[0], out, sizeof(out)), 0, "wrote: %s", out);
	close(fds[0]);
}
