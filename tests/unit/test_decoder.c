/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Token decoding of kernel records: every token the decoder can produce is
 * in the vocabulary, and arguments are classified and described. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "behaviors/tokens.h"
#include "pipeline/decoder.h"
#include "records.h"

Test(decoder, every_token_it_can_produce_is_in_the_vocabulary)
{
	struct tokens *t;
	const struct { struct bp_call_rec r; const char *want; } cases[] = {
		{ rec(BP_CALL_OPENAT, O_RDONLY, 0, "/etc/hosts"), "openat:read" },
		{ rec(BP_CALL_OPENAT, O_RDONLY, 0, "/etc/shadow"), "openat:cred" },
		{ rec(BP_CALL_OPENAT, O_RDONLY, 0, "/root/.ssh/id_rsa"), "openat:cred" },
		{ rec(BP_CALL_OPENAT, O_WRONLY | O_CREAT, 0, "/var/log/x"), "openat:write" },
		{ rec(BP_CALL_OPENAT, O_RDWR, 0, "/dev/shm/x.so"), "openat:write_tmp" },
		{ rec(BP_CALL_UNLINKAT, 0, 0, "/tmp/x"), "unlinkat" },
		{ rec(BP_CALL_RENAMEAT2, 0, 0, "/tmp/x"), "renameat2" },
		{ rec(BP_CALL_FCHMODAT, 0755, 0, "/tmp/x"), "fchmodat:exec" },
		{ rec(BP_CALL_FCHMODAT, 0644, 0, "/tmp/x"), "fchmodat" },
		{ rec(BP_CALL_FCHMOD, 0700, 3, NULL), "fchmod:exec" },
		{ rec(BP_CALL_FCHMOD, 0600, 3, NULL), "fchmod" },
		{ rec(BP_CALL_MMAP, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, NULL), "mmap:exec_anon" },
		{ rec(BP_CALL_MMAP, PROT_EXEC, MAP_PRIVATE, NULL), "mmap:exec_file" },
		{ rec(BP_CALL_MPROTECT, PROT_READ | PROT_EXEC, 4096, NULL), "mprotect:exec" },
		{ rec(BP_CALL_MPROTECT, PROT_WRITE | PROT_EXEC, 4096, NULL), "mprotect:wx" },
		{ rec(BP_CALL_MREMAP, 0, 0, NULL), "mremap" },
		{ rec(BP_CALL_MEMFD_CREATE, 0, 0, "x"), "memfd_create" },
		{ rec(BP_CALL_PROCESS_VM_WRITEV, 1, 0, NULL), "process_vm_writev" },
		{ rec(BP_CALL_PTRACE, PTRACE_ATTACH, 1, NULL), "ptrace:attach" },
		{ rec(BP_CALL_PTRACE, PTRACE_SEIZE, 1, NULL), "ptrace:attach" },
		{ rec(BP_CALL_PTRACE, PTRACE_POKETEXT, 1, NULL), "ptrace:poke" },
		{ rec(BP_CALL_PTRACE, PTRACE_GETREGS, 1, NULL), "ptrace" },
		{ rec(BP_CALL_SOCKET, AF_INET, SOCK_STREAM, NULL), "socket:inet" },
		{ rec(BP_CALL_SOCKET, AF_INET6, SOCK_DGRAM, NULL), "socket:inet" },
		{ rec(BP_CALL_SOCKET, AF_UNIX, SOCK_STREAM, NULL), "socket:unix" },
		{ rec(BP_CALL_SOCKET, AF_INET, SOCK_RAW, NULL), "socket:raw" },
		{ rec(BP_CALL_SOCKET, AF_NETLINK, SOCK_DGRAM, NULL), "socket:other" },
		{ rec(BP_CALL_CONNECT, AF_INET, 0, NULL), "connect:inet" },
		{ rec(BP_CALL_CONNECT, AF_UNIX, 0, "/run/x"), "connect:unix" },
		{ rec(BP_CALL_CONNECT, AF_NETLINK, 0, NULL), "connect:other" },
		{ rec(BP_CALL_BIND, AF_INET, 0, NULL), "bind:inet" },
		{ rec(BP_CALL_BIND, AF_UNIX, 0, NULL), "bind" },
		{ rec(BP_CALL_LISTEN, 3, 1, NULL), "listen" },
		{ rec(BP_CALL_ACCEPT4, 3, 0, NULL), "accept4" },
		{ rec(BP_CALL_SENDTO, 3, 10, NULL), "sendto" },
		{ rec(BP_CALL_SENDMSG, 3, 0, NULL), "sendmsg" },
		{ rec(BP_CALL_RECVFROM, 3, 10, NULL), "recvfrom" },
		{ rec(BP_CALL_DUP2, 3, 0, NULL), "dup2" },
		{ rec(BP_CALL_DUP3, 3, 1, NULL), "dup3" },
		{ rec(BP_CALL_PIPE2, 0, 0, NULL), "pipe2" },
		{ rec(BP_CALL_SHMGET, 0, 0, NULL), "shmget" },
		{ rec(BP_CALL_SHMAT, 0, 0, NULL), "shmat" },
		{ rec(BP_CALL_MSGSND, 0, 0, NULL), "msgsnd" },
		{ rec(BP_CALL_KILL, 1, 9, NULL), "kill" },
		{ rec(BP_CALL_EXECVE, 0, 0, "/usr/bin/python3"), "execve" },
		{ rec(BP_CALL_EXECVE, 0, 0, "/bin/sh"), "execve:shell" },
		{ rec(BP_CALL_EXECVE, 0, 0, "/usr/bin/wget"), "execve:downloader" },
		{ rec(BP_CALL_OPENAT, O_WRONLY | O_APPEND, 0, "/root/.ssh/authorized_keys"),
		  "openat:persist" },
		{ rec(BP_CALL_OPENAT, O_RDWR, 0, "/proc/4242/mem"), "openat:procmem" },
		{ rec(BP_CALL_EXECVEAT, 3, AT_EMPTY_PATH, ""), "execveat:fd" },
		{ rec(BP_CALL_EXECVEAT, 3, 0, "sh"), "execveat" },
		{ rec(BP_CALL_CLONE, CLONE_VM | CLONE_THREAD, 0, NULL), "clone:thread" },
		{ rec(BP_CALL_CLONE3, 0, 0, NULL), "clone:process" },
		{ rec(BP_CALL_EXIT_GROUP, 0, 0, NULL), "exit_group" },
		{ rec(BP_CALL_DLOPEN, 2, 0, "libm.so.6"), "dlopen" },
	};

	cr_assert_eq(tokens_load_default(&t), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *got = decoder_token(&cases[i].r);
		int id = tokens_find(t, got);

		cr_assert_str_eq(got, cases[i].want, "case %zu", i);
		cr_assert(id >= 0 && tokens_listed(t, id), "%s not in tokens.json", got);
	}
	tokens_free(t);
}

/* The decoder and the static prediction share the path and program classes
 * (behaviors/tokclass.c); these pin what reaches the decoder at run time. */
Test(decoder, persistence_writes_injection_and_shell_execs_have_their_tokens)
{
	static const struct { unsigned call; unsigned long flags; const char *path; const char *want; }
	cases[] = {
		{ BP_CALL_OPENAT, O_WRONLY | O_CREAT | O_TRUNC, "/etc/cron.d/update", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY | O_CREAT, "/etc/systemd/system/x.service", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY | O_APPEND, "/etc/ld.so.preload", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY | O_APPEND, ".bashrc", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY, "/etc/sudoers.d/99-x", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY | O_CREAT, "/etc/rc.local", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY | O_CREAT, "/etc/init.d/svc", "openat:persist" },
		{ BP_CALL_OPENAT, O_WRONLY | O_CREAT, "/var/spool/cron/crontabs/root", "openat:persist" },
		{ BP_CALL_OPENAT, O_RDONLY, "/etc/crontab", "openat:read" },
		{ BP_CALL_OPENAT, O_RDONLY, "/root/.ssh/authorized_keys", "openat:cred" },
		{ BP_CALL_OPENAT, O_WRONLY | O_CREAT, "/tmp/x.so", "openat:write_tmp" },
		{ BP_CALL_OPENAT, O_RDWR, "/proc/self/mem", "openat:write" },
		{ BP_CALL_OPENAT, O_RDWR, "/proc/77/mem", "openat:write" }, /* the caller's own */
		{ BP_CALL_OPENAT, O_RDWR, "/proc/78/task/79/mem", "openat:procmem" },
		{ BP_CALL_OPENAT, O_RDONLY, "/proc/78/mem", "openat:read" },
		{ BP_CALL_EXECVE, 0, "/usr/bin/bash", "execve:shell" },
		{ BP_CALL_EXECVE, 0, "/usr/bin/curl", "execve:downloader" },
		{ BP_CALL_EXECVE, 0, "/bin/nc.openbsd", "execve:downloader" },
		{ BP_CALL_EXECVE, 0, "/usr/bin/shred", "execve" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct bp_call_rec r = rec(cases[i].call, cases[i].flags, 0, cases[i].path);

		r.tid = 77;
		cr_expect_str_eq(decoder_token(&r), cases[i].want, "%s", cases[i].path);
	}
}

Test(decoder, memfd_and_deleted_exec_mappings_are_told_apart)
{
	struct bp_call_rec r = rec(BP_CALL_MMAP, PROT_READ | PROT_EXEC, MAP_PRIVATE, NULL);

	r.flags = BP_REC_FILE | BP_REC_FILE_MEMFD;
	cr_assert_str_eq(decoder_token(&r), "mmap:exec_memfd");
	r.flags = BP_REC_FILE | BP_REC_FILE_DELETED;
	cr_assert_str_eq(decoder_token(&r), "mmap:exec_memfd");
}

Test(decoder, describes_socket_addresses)
{
	struct bp_call_rec r = rec(BP_CALL_CONNECT, AF_INET, htons(8080), NULL);
	char buf[128];

	r.arg[2] = htonl(0x7f000001);
	cr_assert_str_eq(decoder_describe(&r, buf, sizeof(buf)), "127.0.0.1:8080");
	r = rec(BP_CALL_CONNECT, AF_UNIX, 0, "/run/dbus/system_bus_socket");
	cr_assert_str_eq(decoder_describe(&r, buf, sizeof(buf)), "/run/dbus/system_bus_socket");
}
