/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The kernel side's per-syscall argument mapping, row by row: a real
 * process makes each call of the vocabulary (tests/fixtures/syscall_table.c)
 * under `trace --json`, and each row names the token the call must become
 * and text its decoded argument must contain. A tracepoint that copies the
 * wrong argument, or a legacy call that maps nowhere, fails its row. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "harness.h"
#include "tmpdir.h"

struct row {
	const char *op;     /* what the fixture does (syscall_table's OP) */
	const char *token;  /* the token it must become */
	const char *arg;    /* text the decoded argument contains, or NULL */
};

static const struct row rows[] = {
	{ "openat:read", "openat:read", "/etc/hostname" },
	{ "open_legacy", "openat:read", "/etc/os-release" },
	{ "openat:cred", "openat:cred", "/etc/shadow" },
	{ "openat:write", "openat:write", "/written" },
	{ "creat_legacy", "openat:write", "/created" },
	{ "openat:write_tmp", "openat:write_tmp", "/tmp/bpfprof-table-" },
	{ "unlinkat", "unlinkat", "/gone" },
	{ "unlink_legacy", "unlinkat", "/gone2" },
	{ "renameat2", "renameat2", "/to" },     /* the name it gets: what a rename over a file replaces */
	{ "rename_legacy", "renameat2", "/to2" },
	{ "fchmodat:exec", "fchmodat:exec", "mode 0755" },
	{ "fchmodat", "fchmodat", "mode 0644" },
	{ "chmod_legacy", "fchmodat:exec", "mode 0700" },
	{ "fchmod:exec", "fchmod:exec", "mode 0700" },
	{ "fchmod", "fchmod", "mode 0600" },
	{ "fchmodat:setid", "fchmodat:setid", "mode 4755" },
	{ "fchmod:setid", "fchmod:setid", "mode 2750" },
	{ "mmap:exec_anon", "mmap:exec_anon", NULL },
	{ "mmap:exec_file", "mmap:exec_file", " ino " },
	{ "mmap:exec_memfd", "mmap:exec_memfd", " memfd" },
	{ "memfd_create", "memfd_create", "table" },
	{ "mprotect:exec", "mprotect:exec", NULL },
	{ "mprotect:wx", "mprotect:wx", NULL },
	{ "process_vm_writev", "process_vm_writev", NULL },
	{ "ptrace:attach", "ptrace:attach", "request 16902" }, /* PTRACE_SEIZE */
	{ "ptrace:poke", "ptrace:poke", "request 5" },         /* PTRACE_POKEDATA */
	{ "socket:inet", "socket:inet", NULL },
	{ "socket:unix", "socket:unix", NULL },
	{ "socket:raw", "socket:raw", NULL },
	{ "socket:other", "socket:other", NULL },
	{ "connect:inet", "connect:inet", "127.0.0.1:9" },
	{ "connect:unix", "connect:unix", "nobody.sock" },
	{ "bind:inet", "bind:inet", "127.0.0.1:0" },
	{ "listen", "listen", NULL },
	{ "accept4", "accept4", NULL },
	{ "sendto", "sendto", "len 1" },
	{ "sendmsg", "sendmsg", NULL },
	{ "recvfrom", "recvfrom", "len 1" },
	{ "dup2", "dup2", "1 -> " },
	{ "dup3", "dup3", "1 -> " },
	{ "pipe2", "pipe2", NULL },
	{ "shmget", "shmget", NULL },
	{ "shmat", "shmat", NULL },
	{ "msgsnd", "msgsnd", NULL },
	{ "kill", "kill", "sig 0" },
	{ "clone:thread", "clone:thread", NULL },
	{ "clone:process", "clone:process", NULL },
	/* in a fresh fork() child the path's page is not mapped in at
	 * sys_enter: the kernel's copy is read at the exec */
	{ "execve", "execve", "/bin/true" },
	{ "execve:shell", "execve:shell", "/bin/sh" },
	{ "openat:persist", "openat:persist", "/.ssh/authorized_keys" },
	{ "pkey_mprotect", "mprotect:exec", NULL },
	{ "dup2:socket", "dup2:socket", " -> 2" },
	{ "io_uring_setup", "io_uring_setup", NULL },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static bool call_matches(json_t *e, const struct row *r)
{
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *token = json_string_value(json_object_get(e, "token"));
	const char *arg = json_string_value(json_object_get(e, "arg"));

	return type && !strcmp(type, "call") && token && !strcmp(token, r->token) &&
	       (!r->arg || (arg && strstr(arg, r->arg)));
}

Test(syscall_table, every_call_of_the_vocabulary_becomes_its_token_with_its_argument)
{
	/* not below /tmp: writes there are a token class of their own */
	char dir[] = "/run/bpfprof-table-XXXXXX", out[600], *cmd[NROWS + 3], *argv[NROWS + 9];
	json_t *events, *e;
	size_t i, n = 0;

	require_root();
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/trace.jsonl", dir);
	cmd[n++] = FIXTURE_DIR "/syscall_table";
	cmd[n++] = dir;
	for (i = 0; i < NROWS; i++)
		cmd[n++] = (char *)rows[i].op;
	cmd[n] = NULL;
	trace_argv(argv, sizeof(argv) / sizeof(*argv), out, NULL, cmd);
	cr_assert_eq(run(argv, NULL), 0, "the traced fixture failed");
	events = read_events(out);
	for (i = 0; i < NROWS; i++) {
		bool found = false;
		size_t k;

		json_array_foreach(events, k, e)
			if (call_matches(e, &rows[i])) {
				found = true;
				break;
			}
		cr_expect(found, "%s: no call event with token %s and argument containing '%s'",
			  rows[i].op, rows[i].token, rows[i].arg ? rows[i].arg : "");
	}
	json_array_foreach(events, i, e) {
		const char *token = json_string_value(json_object_get(e, "token"));

		cr_expect(!token || strcmp(token, "unknown"), "a call decoded to no token: %s",
			  json_string_value(json_object_get(e, "arg")));
	}
	json_decref(events);
	cr_expect_eq(tmpdir_remove(dir), 0);
}
