/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The curated database against whole windows: the dropper fixture as
 * `trace` recorded it, one hand-written window per post-load behaviour
 * class (docs/database.md), and benign windows recorded from real programs
 * (tests/unit/data/benign-windows.tsv). A change of scoring or data that
 * loses a malicious class or lifts a benign window to medium is a
 * regression. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "behaviors/bd.h"
#include "score/seqscore.h"

#define MEDIUM 0.4 /* the default thresholds (docs/scoring.md) */
#define HIGH 0.7

static struct tokens *tok;
static struct bdindex *idx;

static void setup(void)
{
	char err[256];

	cr_assert_eq(tokens_load_default(&tok), 0);
	cr_assert_eq(bd_index_load(NULL, tok, &idx, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	bdindex_free(idx);
	tokens_free(tok);
}

TestSuite(curated, .init = setup, .fini = teardown);

/* Scores a window written as space-separated token names. */
static double score_text(const char *text)
{
	static token_id ids[4096];
	char buf[16384], *save = NULL;
	struct seqscore_result r;
	size_t n = 0;

	cr_assert_lt(strlen(text), sizeof(buf));
	strcpy(buf, text);
	for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		cr_assert_lt(n, sizeof(ids) / sizeof(*ids));
		ids[n++] = (token_id)tokens_intern(tok, t);
	}
	cr_assert_eq(seqscore_window(idx, ids, n, &r), 0);
	return r.score;
}

/* A host that imports modules (the lookback), dlopens the object (the
 * loader opens and maps it), the object's own calls, then the host goes on:
 * what `trace` records for python3 loading a library with ctypes. */
#define LOOKBACK "openat:read openat:read openat:read openat:read openat:read openat:read " \
		 "dlopen openat:read mmap:exec_file openat:read openat:read openat:read " \
		 "openat:read openat:read openat:read openat:read "
#define LOAD "dlopen openat:read mmap:exec_file "
#define FOLLOW " openat:read openat:read openat:read openat:read openat:read openat:read exit_group"
#define AFTER_LOAD(calls) score_text(LOOKBACK LOAD calls FOLLOW)

#define expect_at_least(s, floor, what) \
	cr_expect_geq(s, floor, "%s scored %.3f, below %.2f", what, s, floor)

Test(curated, the_dropper_fixture_window_scores_high)
{
	/* tests/fixtures/dropper with libevil.so, as `trace --json` records it */
	double s = score_text("execve openat:read openat:read mmap:exec_file socket:inet bind:inet "
			      "listen clone:process socket:inet connect:inet openat:write_tmp "
			      "recvfrom recvfrom fchmodat:exec dlopen openat:read mmap:exec_file "
			      "socket:inet connect:inet mprotect:exec openat:write openat:read "
			      "unlinkat exit_group");

	cr_assert_geq(s, 0.8, "dropper scored %.3f", s);
}

Test(curated, a_plain_library_load_scores_low)
{
	/* python3 -c "import ctypes; ctypes.CDLL('libffi...')": open, map, return */
	double s = score_text("openat:read openat:read openat:read openat:read dlopen openat:read "
			      "openat:read mmap:exec_file openat:read openat:read exit_group");

	cr_assert_lt(s, 0.2, "plain load scored %.3f", s);
}

Test(curated, credential_theft_then_a_send_scores_high)
{
	/* connected first (the window), read first, keys over sendmsg */
	expect_at_least(AFTER_LOAD("socket:inet connect:inet openat:cred sendto openat:read sendto "
				   "openat:cred"), HIGH, "connect, read shadow, send");
	expect_at_least(AFTER_LOAD("openat:cred openat:cred socket:inet connect:inet sendto sendto"),
			HIGH, "read shadow, connect, send");
	expect_at_least(AFTER_LOAD("openat:cred openat:read openat:cred socket:inet connect:inet "
				   "sendmsg"), HIGH, "read keys, connect, sendmsg");
	/* a datagram needs no connect */
	expect_at_least(AFTER_LOAD("openat:cred socket:inet sendto"), MEDIUM, "read shadow, UDP");
}

Test(curated, a_socket_on_stdio_running_a_shell_scores_high)
{
	expect_at_least(AFTER_LOAD("socket:inet connect:inet dup2:socket dup2:socket dup2:socket "
				   "execve:shell"), HIGH, "reverse shell");
	/* forked: the child's calls among the host's (the window follows it) */
	expect_at_least(AFTER_LOAD("clone:process openat:read socket:inet openat:read connect:inet "
				   "openat:read dup2:socket dup2:socket dup2:socket execve:shell"),
			HIGH, "forked reverse shell");
	/* a thread that connects, then forks the shell */
	expect_at_least(AFTER_LOAD("clone:thread openat:read openat:read socket:inet connect:inet "
				   "clone:process dup2:socket dup2:socket dup2:socket execve:shell"),
			HIGH, "threaded reverse shell");
	/* the shell comes a second later, after the host's own calls */
	expect_at_least(AFTER_LOAD("clone:thread openat:read openat:read openat:read openat:read "
				   "socket:inet connect:inet dup2:socket dup2:socket execve:shell"),
			HIGH, "delayed reverse shell");
	expect_at_least(AFTER_LOAD("socket:inet bind:inet listen accept4 dup2:socket dup2:socket "
				   "dup2:socket execve:shell"), HIGH, "bind shell");
	expect_at_least(AFTER_LOAD("clone:process socket:inet bind:inet listen openat:read accept4 "
				   "clone:process dup2:socket dup2:socket dup2:socket execve:shell"),
			HIGH, "forked bind shell");
}

Test(curated, a_write_to_a_persistence_place_scores_high)
{
	expect_at_least(AFTER_LOAD("openat:persist"), HIGH, "authorized_keys append");
	expect_at_least(AFTER_LOAD("openat:persist fchmod"), HIGH, "cron file and its mode");
	expect_at_least(AFTER_LOAD("openat:read openat:persist fchmod renameat2"), HIGH,
			"rewritten in place (sed -i)");
	expect_at_least(AFTER_LOAD("clone:thread openat:read openat:persist"), HIGH,
			"shell rc from a thread");
	expect_at_least(AFTER_LOAD("openat:persist openat:persist"), HIGH, "two places");
	expect_at_least(AFTER_LOAD("openat:write openat:persist openat:write"), HIGH,
			"a payload written, then its trigger");
}

Test(curated, a_downloader_feeding_a_shell_scores_high)
{
	/* system("curl ... | sh"): the shell, its pipe and both children */
	expect_at_least(AFTER_LOAD("clone:process execve:shell pipe2 clone:process clone:process "
				   "execve:downloader execve:shell"), HIGH, "curl | sh");
	expect_at_least(AFTER_LOAD("pipe2 clone:process execve:shell clone:process "
				   "execve:downloader"), HIGH, "popen(curl)");
	expect_at_least(AFTER_LOAD("clone:process execve:downloader openat:write_tmp recvfrom "
				   "fchmodat:exec clone:process execve"), HIGH, "wget, chmod +x, run");
	/* a downloader alone is what many scripts run */
	expect_at_least(AFTER_LOAD("clone:process execve:downloader"), MEDIUM, "a downloader");
}

Test(curated, injection_into_another_process_scores_high)
{
	expect_at_least(AFTER_LOAD("ptrace:attach ptrace:poke ptrace:poke ptrace"), HIGH, "ptrace");
	expect_at_least(AFTER_LOAD("openat:read openat:procmem"), HIGH, "/proc/PID/mem");
	expect_at_least(AFTER_LOAD("ptrace:attach openat:read openat:procmem ptrace"), HIGH,
			"stopped, then /proc/PID/mem");
	expect_at_least(AFTER_LOAD("openat:read process_vm_writev"), HIGH, "process_vm_writev");
	expect_at_least(AFTER_LOAD("process_vm_writev kill"), HIGH, "process_vm_writev, signal");
}

Test(curated, code_received_then_made_executable_scores_high)
{
	expect_at_least(AFTER_LOAD("socket:inet connect:inet recvfrom recvfrom mmap:exec_anon "
				   "clone:thread"), HIGH, "shellcode mapped");
	expect_at_least(AFTER_LOAD("socket:inet connect:inet recvfrom mprotect:exec"), HIGH,
			"shellcode mprotected");
	expect_at_least(AFTER_LOAD("connect:inet recvfrom recvfrom mprotect:wx"), HIGH,
			"shellcode made W+X");
}

Test(curated, io_uring_with_network_scores_medium_or_more)
{
	expect_at_least(AFTER_LOAD("io_uring_setup openat:cred socket:inet connect:inet sendto"),
			HIGH, "credentials through io_uring");
	expect_at_least(AFTER_LOAD("io_uring_setup socket:inet connect:inet sendto recvfrom"),
			MEDIUM, "network through io_uring");
	expect_at_least(AFTER_LOAD("socket:inet io_uring_setup connect:inet sendto"), MEDIUM,
			"connect through io_uring");
}

/* Weak alone by design: thread pools that connect and programs that remove
 * a file after a load exist; these entries add to the object's other
 * evidence (docs/database.md). */
Test(curated, miner_fan_out_and_self_deletion_add_evidence)
{
	expect_at_least(AFTER_LOAD("clone:thread clone:thread clone:thread clone:thread socket:inet "
				   "connect:inet sendto recvfrom"), 0.3, "miner");
	expect_at_least(AFTER_LOAD("socket:inet connect:inet sendto recvfrom clone:thread "
				   "clone:thread clone:thread clone:thread"), 0.3, "miner, pool first");
	expect_at_least(AFTER_LOAD("unlinkat"), 0.3, "self-deletion");
}

Test(curated, benign_windows_of_real_programs_stay_below_medium)
{
	FILE *f = fopen(BPFPROF_SRCDIR "/tests/unit/data/benign-windows.tsv", "re");
	char line[16384], worst[256] = "";
	double max = 0;
	size_t n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *obj, *seq;
		double s;

		if (line[0] == '#' || !(obj = strchr(line, '\t')) || !(seq = strchr(obj + 1, '\t')))
			continue;
		*seq++ = '\0';
		s = score_text(seq);
		cr_expect_lt(s, MEDIUM, "%s (%s) scored %.3f", obj + 1, line, s);
		if (s > max) {
			max = s;
			snprintf(worst, sizeof(worst), "%s", obj + 1);
		}
		n++;
	}
	fclose(f);
	cr_assert_geq(n, 300, "only %zu windows read", n);
	cr_log_info("%zu benign windows, highest %.3f (%s)", n, max, worst[0] ? worst : "none");
}
