/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Shared by the integration tests that drive `bpf-profiler trace`: running
 * it, reading its JSON lines, finding events, local listeners. */
#ifndef BPFPROF_TEST_HARNESS_H
#define BPFPROF_TEST_HARNESS_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs (run scripts/test.sh as root)");
}

/* Children that outlive one call (agents, servers). A failed assertion
 * ends the test before it stops them, and with one still running
 * Criterion's runner (2.4.1) crashes before the next test, losing the rest
 * of the suite: a suite that starts them stops what is left in its .fini
 * (harness_children_kill). */
static pid_t harness_children[8];

static inline void harness_child_swap(pid_t add, pid_t old)
{
	for (size_t i = 0; i < sizeof(harness_children) / sizeof(*harness_children); i++)
		if (harness_children[i] == old) {
			harness_children[i] = add;
			return;
		}
}

static inline void harness_child_started(pid_t pid)
{
	harness_child_swap(pid, 0);
}

/* After the test's own waitpid. */
static inline void harness_child_reaped(pid_t pid)
{
	if (pid > 0)
		harness_child_swap(0, pid);
}

static inline void harness_children_kill(void)
{
	for (size_t i = 0; i < sizeof(harness_children) / sizeof(*harness_children); i++)
		if (harness_children[i] > 0) {
			kill(harness_children[i], SIGKILL);
			waitpid(harness_children[i], NULL, 0);
			harness_children[i] = 0;
		}
}

/* Runs argv with extra environment, waits, returns the exit status. */
static inline int run(char *const argv[], char *const env[])
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(126);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* All JSON lines of path, as one array. */
/* argv (room for cap pointers) of `bpf-profiler trace --json -o out
 * [opts...] -- cmd...`, NULL-terminated; returns the number of arguments.
 * opts and cmd are NULL-terminated; opts may be NULL. */
static inline size_t trace_argv(char **argv, size_t cap, char *out, char *const opts[],
				char *const cmd[])
{
	char *head[] = { BPFPROF_BIN, "trace", "--json", "-o", out };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(head) / sizeof(*head); i++)
		argv[n++] = head[i];
	for (size_t i = 0; opts && opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = "--";
	for (size_t i = 0; cmd[i]; i++)
		argv[n++] = cmd[i];
	cr_assert_lt(n, cap, "trace_argv: %zu arguments do not fit", n);
	argv[n] = NULL;
	return n;
}

static inline json_t *read_events(const char *path)
{
	json_t *all = json_array();
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	cr_assert_not_null(f, "%s", path);
	while (getline(&line, &cap, f) > 0) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);

		cr_assert_not_null(j, "not JSON: %s", line);
		json_array_append_new(all, j);
	}
	free(line);
	fclose(f);
	return all;
}

/* First event of type whose "path" contains needle. */
static inline json_t *find_event(json_t *events, const char *type, const char *needle)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *p = json_string_value(json_object_get(e, "path"));

		if (t && !strcmp(t, type) && (!needle || (p && strstr(p, needle))))
			return e;
	}
	return NULL;
}

/* True when want[] appears in the token array in this order (gaps allowed). */
static inline bool has_subsequence(json_t *tokens, const char *const *want, size_t n)
{
	size_t i, k = 0;
	json_t *t;

	json_array_foreach(tokens, i, t)
		if (k < n && !strcmp(json_string_value(t), want[k]))
			k++;
	return k == n;
}

static inline char *tokens_text(json_t *tokens)
{
	return json_dumps(tokens, JSON_COMPACT);
}

#define assert_part(win, part, ...) do {                                           \
	const char *const want_[] = { __VA_ARGS__ };                                \
	json_t *toks_ = json_object_get(win, part);                                 \
	char *txt_ = tokens_text(toks_);                                            \
	cr_assert(has_subsequence(toks_, want_, sizeof(want_) / sizeof(*want_)),    \
		  "%s part lacks the expected tokens in order: %s", part, txt_);    \
	free(txt_);                                                                 \
} while (0)

/* The first line of a marker file a fixture wrote (libconnect.so: "ok" or
 * "errno N"; libchildshell.so: its child's pid), without its newline. */
static inline void read_marker(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "the fixture did not run: no %s", path);
	cr_assert_not_null(fgets(buf, (int)len, f), "%s is empty", path);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static inline int listen_local(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* nobody accepts: a backlog that never fills keeps every connect quick
	 * (a full one leaves the next connect waiting minutes for its SYN) */
	cr_assert_eq(listen(fd, 128), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* The highest id of a loaded program of ours (0: none). Program ids only
 * grow, so a program still loaded after a run with an id above what was
 * there before the run was leaked by it (pinned, or an attachment that
 * outlived its owner). A concurrent run on the same machine would also
 * count: CI runs alone. */
static inline long our_newest_program(void)
{
	FILE *p = popen("bpftool -j prog show name uprobe_dlopen 2>/dev/null", "r");
	json_t *all, *prog;
	long newest = 0;
	size_t i;

	cr_assert_not_null(p);
	all = json_loadf(p, JSON_DISABLE_EOF_CHECK, NULL);
	pclose(p);
	if (json_is_object(all)) /* one program prints an object, several an array */
		newest = json_integer_value(json_object_get(all, "id"));
	json_array_foreach(all, i, prog)
		if (json_integer_value(json_object_get(prog, "id")) > newest)
			newest = json_integer_value(json_object_get(prog, "id"));
	json_decref(all);
	return newest;
}

/* True when no program of ours newer than `before` is loaded; the kernel
 * frees a released program asynchronously, so give it up to 3 s. */
static inline bool no_program_left_since(long before)
{
	for (int i = 0; i < 30; i++) {
		if (our_newest_program() <= before)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static inline void tmp_output(char *path, size_t len, const char *name)
{
	snprintf(path, len, "/tmp/bpfprof-test-%s-%d.jsonl", name, (int)getpid());
}


#endif
