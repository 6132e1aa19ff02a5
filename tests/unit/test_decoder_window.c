/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Token decoding of kernel records, and the window assembler's state
 * machine fed with hand-made records. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "pipeline/decoder.h"
#include "behaviors/tokens.h"
#include "pipeline/window.h"

static struct bp_call_rec rec(unsigned call, unsigned long a0, unsigned long a1, const char *str)
{
	struct bp_call_rec r = { .call = call, .arg = { a0, a1 } };

	if (str)
		snprintf(r.str, sizeof(r.str), "%s", str);
	return r;
}

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
		{ rec(BP_CALL_EXECVE, 0, 0, "/bin/sh"), "execve" },
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

/* --- window assembler -------------------------------------------------- */

struct closed {
	int n;
	struct window last;
	const char *seq[64];
	size_t nseq;
};

static void on_closed(void *ctx, struct window *w)
{
	struct closed *c = ctx;

	c->n++;
	c->last = *w;
	c->nseq = window_sequence(w, c->seq, 64);
	/* the window's call arrays are freed after this: keep only counts */
	for (int p = 0; p < WINDOW_NPARTS; p++)
		c->last.calls[p] = NULL;
}

static struct bp_ev_window_open open_ev(uint64_t id, unsigned nlookback)
{
	struct bp_ev_window_open e = { .hdr = { .type = BP_EV_WINDOW_OPEN, .pid = 10, .tid = 11,
		.window_id = id, .pivot = BP_PIVOT_DLOPEN, .ts_ns = 1000 }, .nlookback = nlookback };

	snprintf(e.path, sizeof(e.path), "/tmp/x.so");
	for (unsigned i = 0; i < nlookback; i++)
		e.lookback[i] = rec(BP_CALL_SOCKET, AF_INET, SOCK_STREAM, NULL);
	return e;
}

static struct bp_ev_call call_ev(uint64_t id, unsigned part, struct bp_call_rec r)
{
	return (struct bp_ev_call){ .hdr = { .type = BP_EV_CALL, .pid = 10, .tid = 11,
		.window_id = id, .part = part }, .rec = r };
}

static struct bp_ev_dlopen_ret ret_ev(uint64_t id, uint64_t handle, uint64_t ts)
{
	return (struct bp_ev_dlopen_ret){ .hdr = { .type = BP_EV_DLOPEN_RET, .window_id = id,
		.ts_ns = ts }, .handle = handle };
}

static struct bp_ev_window_close close_ev(uint64_t id, unsigned reason, unsigned nload,
					  unsigned nfollow, unsigned lost)
{
	return (struct bp_ev_window_close){ .hdr = { .type = BP_EV_WINDOW_CLOSE, .window_id = id,
		.lost = lost }, .reason = reason, .nload = nload, .nfollow = nfollow };
}

#define FEED(ws, ev, lost) do { __typeof__(ev) e_ = (ev); \
	cr_assert_eq(window_set_on_record(ws, &e_, sizeof(e_), lost), 0); } while (0)

Test(window, parts_in_order_and_the_dlopen_pivot_between)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);
	const char *want[] = { "socket:inet", "socket:inet", "dlopen", "connect:inet", "execve" };

	FEED(ws, open_ev(7, 2), 0);
	FEED(ws, call_ev(7, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	FEED(ws, ret_ev(7, 0x1234, 2000), 0);
	FEED(ws, call_ev(7, BP_PART_FOLLOW, rec(BP_CALL_EXECVE, 0, 0, "/bin/sh")), 0);
	cr_assert_eq(c.n, 0);
	FEED(ws, close_ev(7, BP_CLOSE_FOLLOW_DONE, 1, 1, 0), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.last.ok, 1);
	cr_assert_not(c.last.uncertain);
	cr_assert_eq(c.nseq, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(c.seq[i], want[i]);
	cr_assert_eq(window_set_open_count(ws), 0);
	window_set_free(ws);
}

Test(window, failed_dlopen_and_thread_exit_inside_a_window)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);

	FEED(ws, open_ev(1, 0), 0);
	FEED(ws, ret_ev(1, 0, 2000), 0);
	FEED(ws, close_ev(1, BP_CLOSE_EXIT, 0, 0, 0), 0);
	cr_assert_eq(c.last.ok, 0);
	cr_assert_eq(c.last.close_reason, BP_CLOSE_EXIT);
	window_set_free(ws);
}

Test(window, lookback_ring_wraparound_keeps_the_newest_k_in_order)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);
	struct bp_ev_window_open e = open_ev(3, BP_LOOKBACK_MAX);

	/* the kernel sends the ring oldest first: what the assembler keeps */
	e.lookback[0] = rec(BP_CALL_MEMFD_CREATE, 0, 0, "x");
	e.lookback[BP_LOOKBACK_MAX - 1] = rec(BP_CALL_EXECVE, 0, 0, "/bin/sh");
	FEED(ws, e, 0);
	window_set_close_all(ws, 0);
	cr_assert_eq(c.last.ncalls[WINDOW_LOOKBACK], BP_LOOKBACK_MAX);
	cr_assert_str_eq(c.seq[0], "memfd_create");
	cr_assert_str_eq(c.seq[BP_LOOKBACK_MAX - 1], "execve");
	cr_assert_str_eq(c.seq[BP_LOOKBACK_MAX], "dlopen");
	window_set_free(ws);
}

Test(window, lost_open_record_rebuilds_an_uncertain_window)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);

	FEED(ws, call_ev(9, BP_PART_LOAD, rec(BP_CALL_SOCKET, AF_INET, 1, NULL)), 1);
	FEED(ws, close_ev(9, BP_CLOSE_FOLLOW_DONE, 1, 0, 1), 1);
	cr_assert_eq(c.n, 1);
	cr_assert(c.last.uncertain);
	window_set_free(ws);
}

Test(window, missing_calls_counted_by_the_kernel_make_it_uncertain)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);

	FEED(ws, open_ev(5, 0), 0);
	FEED(ws, call_ev(5, BP_PART_LOAD, rec(BP_CALL_SOCKET, AF_INET, 1, NULL)), 0);
	FEED(ws, close_ev(5, BP_CLOSE_FOLLOW_DONE, 3, 0, 0), 0);
	cr_assert(c.last.uncertain);
	window_set_free(ws);
}

Test(window, quiet_windows_expire_after_the_follow_time)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);

	FEED(ws, open_ev(2, 0), 0);
	window_set_expire(ws, 5000, 100, 0); /* still loading: never expires */
	cr_assert_eq(c.n, 0);
	FEED(ws, ret_ev(2, 1, 5000), 0);
	window_set_expire(ws, 5050, 100, 0);
	cr_assert_eq(c.n, 0);
	window_set_expire(ws, 5200, 100, 4); /* losses since it opened */
	cr_assert_eq(c.n, 1);
	cr_assert(c.last.uncertain);
	window_set_free(ws);
}

Test(window, nested_dlopen_tokens_stay_in_the_outer_load_part)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);

	FEED(ws, open_ev(4, 0), 0);
	FEED(ws, call_ev(4, BP_PART_LOAD, rec(BP_CALL_DLOPEN, 2, 0, "libdep.so")), 0);
	FEED(ws, call_ev(4, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	FEED(ws, ret_ev(4, 1, 10), 0);
	FEED(ws, close_ev(4, BP_CLOSE_FOLLOW_DONE, 2, 0, 0), 0);
	cr_assert_eq(c.last.ncalls[WINDOW_LOAD], 2);
	cr_assert_str_eq(c.seq[1], "dlopen");
	cr_assert_str_eq(c.seq[2], "connect:inet");
	window_set_free(ws);
}

Test(window, late_kernel_records_of_an_expired_window_are_ignored)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);

	FEED(ws, open_ev(6, 0), 0);
	FEED(ws, ret_ev(6, 1, 100), 0);
	window_set_expire(ws, 1000, 100, 0);
	cr_assert_eq(c.n, 1);
	/* the thread's next call: the kernel sees the timeout only now */
	FEED(ws, call_ev(6, BP_PART_FOLLOW, rec(BP_CALL_SOCKET, AF_INET, 1, NULL)), 0);
	FEED(ws, close_ev(6, BP_CLOSE_TIMEOUT, 0, 1, 0), 0);
	cr_assert_eq(c.n, 1, "a closed window was rebuilt and judged twice");
	cr_assert_eq(window_set_open_count(ws), 0);
	window_set_free(ws);
}

/* `trace` prints each call with the description the window already made:
 * last_call is the call the latest record added, NULL when a full part
 * dropped it. */
Test(window, last_call_is_the_call_the_latest_record_added)
{
	struct closed c = { 0 };
	struct window_set *ws = window_set_new(on_closed, &c);
	struct bp_call_rec r = rec(BP_CALL_EXECVE, 0, 0, "/bin/sh");
	char want[DECODER_ARG_LEN];
	struct window *w;

	FEED(ws, open_ev(3, 0), 0);
	FEED(ws, call_ev(3, BP_PART_LOAD, r), 0);
	w = window_set_get(ws, 3);
	cr_assert_not_null(w);
	cr_assert_not_null(w->last_call);
	cr_assert_str_eq(w->last_call->arg, decoder_describe(&r, want, sizeof(want)));
	cr_assert_str_eq(w->last_call->token, "execve");
	for (int i = 1; i < WINDOW_PART_MAX; i++)
		FEED(ws, call_ev(3, BP_PART_LOAD, rec(BP_CALL_CONNECT, AF_INET, 0, NULL)), 0);
	cr_assert_not_null(w->last_call);
	FEED(ws, call_ev(3, BP_PART_LOAD, r), 0);
	cr_assert_null(w->last_call, "a dropped call still names the previous one");
	cr_assert_eq(w->dropped, 1);
	window_set_free(ws);
}
