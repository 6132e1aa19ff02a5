/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Classifies kernel call records into tokens. Classes need only the raw
 * arguments the kernel copied (flags, family, a path prefix); what a path
 * or a program is (credential, persistence, shell, ...) is decided in
 * behaviors/tokclass.c, which the static prediction (DCAM) shares. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "behaviors/tokclass.h"
#include "kernel/kdev.h"
#include "pipeline/decoder.h"

/* The record's path, NUL-terminated (the kernel fills str without one
 * when the path is as long as the field). */
static const char *record_path(const struct bp_call_rec *r, char buf[BP_STR_LEN + 1])
{
	snprintf(buf, BP_STR_LEN + 1, "%.*s", BP_STR_LEN, r->str);
	return buf;
}

static const char *openat_token(const struct bp_call_rec *r)
{
	char path[BP_STR_LEN + 1];

	/* the caller's tid stands for its pid: the main thread's are equal */
	return tokclass_open(record_path(r, path), r->arg[0], r->tid);
}

static const char *unlinkat_token(const struct bp_call_rec *r)
{
	char path[BP_STR_LEN + 1];

	return tokclass_unlink(record_path(r, path));
}

static const char *execve_token(const struct bp_call_rec *r)
{
	char path[BP_STR_LEN + 1];

	return tokclass_exec(record_path(r, path), NULL);
}

static const char *family_token(unsigned long family, const char *inet, const char *unx,
				const char *other)
{
	if (family == AF_INET || family == AF_INET6)
		return inet;
	return family == AF_UNIX ? unx : other;
}

static bool sets_exec_bit(unsigned long mode)
{
	return mode & 0111;
}

/* set-user-ID or set-group-ID: a program that runs as its owner */
static bool sets_id_bit(unsigned long mode)
{
	return mode & 06000;
}

const char *decoder_token(const struct bp_call_rec *r)
{
	switch (r->call) {
	case BP_CALL_OPENAT: return openat_token(r);
	case BP_CALL_UNLINKAT: return unlinkat_token(r);
	case BP_CALL_RENAMEAT2: return "renameat2";
	case BP_CALL_FCHMODAT:
		return sets_id_bit(r->arg[0]) ? "fchmodat:setid" :
		       sets_exec_bit(r->arg[0]) ? "fchmodat:exec" : "fchmodat";
	case BP_CALL_FCHMOD:
		return sets_id_bit(r->arg[0]) ? "fchmod:setid" :
		       sets_exec_bit(r->arg[0]) ? "fchmod:exec" : "fchmod";
	case BP_CALL_MMAP:
		if ((r->arg[1] & 0xffffffff) & MAP_ANONYMOUS)
			return "mmap:exec_anon";
		if (r->flags & (BP_REC_FILE_MEMFD | BP_REC_FILE_DELETED))
			return "mmap:exec_memfd";
		return "mmap:exec_file";
	case BP_CALL_MPROTECT: return (r->arg[0] & PROT_WRITE) ? "mprotect:wx" : "mprotect:exec";
	case BP_CALL_MREMAP: return "mremap";
	case BP_CALL_MEMFD_CREATE: return "memfd_create";
	case BP_CALL_PROCESS_VM_WRITEV: return "process_vm_writev";
	case BP_CALL_PTRACE:
		switch (r->arg[0]) {
		case PTRACE_ATTACH: case PTRACE_SEIZE: case PTRACE_TRACEME:
			return "ptrace:attach";
		case PTRACE_POKETEXT: case PTRACE_POKEDATA: case PTRACE_POKEUSR:
		case PTRACE_SETREGS:
			return "ptrace:poke";
		default:
			return "ptrace";
		}
	case BP_CALL_SOCKET: {
		unsigned long family = r->arg[0], type = r->arg[1] & 0xf;

		if (family == AF_PACKET || type == SOCK_RAW)
			return "socket:raw";
		return family_token(family, "socket:inet", "socket:unix", "socket:other");
	}
	case BP_CALL_CONNECT: return family_token(r->arg[0], "connect:inet", "connect:unix", "connect:other");
	case BP_CALL_BIND: return family_token(r->arg[0], "bind:inet", "bind", "bind");
	case BP_CALL_LISTEN: return "listen";
	case BP_CALL_ACCEPT4: return "accept4";
	case BP_CALL_SENDTO: return "sendto";
	case BP_CALL_SENDMSG: return "sendmsg";
	case BP_CALL_RECVFROM: return "recvfrom";
	/* a socket onto stdin/stdout/stderr is a remote shell's plumbing */
	case BP_CALL_DUP2: return (r->flags & BP_REC_SOCKET) ? "dup2:socket" : "dup2";
	case BP_CALL_DUP3: return (r->flags & BP_REC_SOCKET) ? "dup2:socket" : "dup3";
	case BP_CALL_PIPE2: return "pipe2";
	case BP_CALL_SHMGET: return "shmget";
	case BP_CALL_SHMAT: return "shmat";
	case BP_CALL_MSGSND: return "msgsnd";
	case BP_CALL_KILL: return "kill";
	case BP_CALL_EXECVE: return execve_token(r);
	case BP_CALL_EXECVEAT: return (r->arg[1] & AT_EMPTY_PATH) ? "execveat:fd" : "execveat";
	case BP_CALL_CLONE:
	case BP_CALL_CLONE3: return (r->arg[0] & CLONE_THREAD) ? "clone:thread" : "clone:process";
	case BP_CALL_EXIT_GROUP: return "exit_group";
	case BP_CALL_DLOPEN: return "dlopen";
	case BP_CALL_IO_URING_SETUP: return "io_uring_setup";
	default: return "unknown";
	}
}

static void describe_sockaddr(const struct bp_call_rec *r, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int port = ntohs((unsigned short)r->arg[1]);

	if (r->arg[0] == AF_INET) {
		struct in_addr in = { .s_addr = (unsigned int)r->arg[2] };

		inet_ntop(AF_INET, &in, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, port);
	} else if (r->arg[0] == AF_INET6) {
		inet_ntop(AF_INET6, r->str, addr, sizeof(addr));
		snprintf(buf, len, "[%s]:%u", addr, port);
	} else if (r->arg[0] == AF_UNIX) {
		snprintf(buf, len, "%s%.*s", r->arg[2] ? "@" : "", BP_STR_LEN, r->str);
	} else {
		snprintf(buf, len, "family %llu", (unsigned long long)r->arg[0]);
	}
}

bool decoder_arg_is_whole_path(const char *arg)
{
	size_t n = strlen(arg), t = strlen(DECODER_TRUNCATED);

	return arg[0] == '/' && !(n >= t && !strcmp(arg + n - t, DECODER_TRUNCATED));
}

char *decoder_describe(const struct bp_call_rec *r, char *buf, size_t len)
{
	const char *trunc = (r->flags & BP_REC_STR_TRUNC) ? DECODER_TRUNCATED : "";
	size_t n;

	buf[0] = '\0';
	switch (r->call) {
	case BP_CALL_OPENAT: case BP_CALL_UNLINKAT: case BP_CALL_RENAMEAT2:
	case BP_CALL_EXECVE: case BP_CALL_DLOPEN: case BP_CALL_MEMFD_CREATE:
	case BP_CALL_EXECVEAT:
		snprintf(buf, len, "%.*s%s", BP_STR_LEN, r->str, trunc);
		break;
	case BP_CALL_FCHMODAT:
		snprintf(buf, len, "%.*s%s mode %04llo", BP_STR_LEN, r->str, trunc,
			 (unsigned long long)r->arg[0]);
		break;
	case BP_CALL_FCHMOD:
		snprintf(buf, len, "fd %lld mode %04llo", (long long)r->arg[1],
			 (unsigned long long)r->arg[0]);
		break;
	case BP_CALL_CONNECT: case BP_CALL_BIND:
		describe_sockaddr(r, buf, len);
		break;
	case BP_CALL_MMAP: case BP_CALL_MPROTECT:
		if (r->flags & BP_REC_FILE)
			snprintf(buf, len, "dev %u:%u ino %llu%s%s", kdev_major(r->arg[2]),
				 kdev_minor(r->arg[2]),
				 (unsigned long long)r->arg[3],
				 (r->flags & BP_REC_FILE_MEMFD) ? " memfd" : "",
				 (r->flags & BP_REC_FILE_DELETED) ? " deleted" : "");
		break;
	case BP_CALL_PTRACE:
		snprintf(buf, len, "request %llu pid %lld", (unsigned long long)r->arg[0],
			 (long long)r->arg[1]);
		break;
	case BP_CALL_KILL:
		snprintf(buf, len, "pid %lld sig %lld", (long long)r->arg[0], (long long)r->arg[1]);
		break;
	case BP_CALL_SENDTO: case BP_CALL_RECVFROM:
		snprintf(buf, len, "fd %lld len %llu", (long long)r->arg[0],
			 (unsigned long long)r->arg[1]);
		break;
	case BP_CALL_DUP2: case BP_CALL_DUP3:
		snprintf(buf, len, "%lld -> %lld", (long long)r->arg[0], (long long)r->arg[1]);
		break;
	default:
		break;
	}
	/* an operation submitted to an io_uring, not a system call */
	n = strlen(buf);
	if ((r->flags & BP_REC_IO_URING) && n + 11 < len)
		snprintf(buf + n, len - n, "%s(io_uring)", n ? " " : "");
	return buf;
}

const char *decoder_pivot_name(unsigned int pivot)
{
	switch (pivot) {
	case BP_PIVOT_DLOPEN: return "dlopen";
	case BP_PIVOT_EXEC_ANON: return "exec_anon";
	case BP_PIVOT_EXEC_MEMFD: return "exec_memfd";
	case BP_PIVOT_EXECVEAT_FD: return "execveat_fd";
	case BP_PIVOT_EXEC_FILE: return "exec_file";
	case BP_PIVOT_INJECT: return "inject";
	default: return "unknown";
	}
}

const char *decoder_close_reason(unsigned int reason)
{
	switch (reason) {
	case BP_CLOSE_FOLLOW_DONE: return "follow_done";
	case BP_CLOSE_TIMEOUT: return "timeout";
	case BP_CLOSE_EXIT: return "exit";
	case BP_CLOSE_EXEC: return "exec";
	case BP_CLOSE_NEXT_DLOPEN: return "next_dlopen";
	case BP_CLOSE_NEXT_LOAD: return "next_load";
	default: return "unknown";
	}
}
