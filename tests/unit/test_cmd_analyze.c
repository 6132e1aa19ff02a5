/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler analyze`: one JSON line per file (a file that is no loadable
 * object too, as a structure finding), an error line for a file it cannot
 * read while the others still are analysed, and the exit status to match. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *args, char ***lines, size_t *n)
{
	char cmd[8192], *line = NULL;
	size_t cap = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s analyze %s 2>/dev/null", BPFPROF_BIN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	*lines = NULL;
	*n = 0;
	while (getline(&line, &cap, p) > 0) {
		*lines = realloc(*lines, (*n + 1) * sizeof(**lines));
		(*lines)[(*n)++] = strdup(line);
	}
	free(line);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void free_lines(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

Test(cmd_analyze, json_line_per_file_and_an_error_line_for_an_unreadable_one)
{
	char args[4096], **l;
	size_t n;
	json_t *a, *b, *c, *d, *f;

	snprintf(args, sizeof(args),
		 "--json %s/dcam/libdcam_net_ctor.so /nonexistent/lib.so %s/dcam/libdcam_benign.so %s",
		 FIXTURE_DIR, FIXTURE_DIR, BPFPROF_SRCDIR "/README.md");
	cr_expect_eq(run(args, &l, &n), 1, "an unreadable file makes the exit status 1");
	cr_assert_eq(n, 4);
	a = json_loads(l[0], 0, NULL);
	b = json_loads(l[1], 0, NULL);
	c = json_loads(l[2], 0, NULL);
	d = json_loads(l[3], 0, NULL);
	cr_assert(a && b && c && d);
	cr_expect_eq(strlen(json_string_value(json_object_get(a, "sha256"))), 64);
	cr_expect_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(json_object_get(a, "dcam"), "findings"), 0),
				 "category")),
			 "network");
	cr_expect(json_is_real(json_object_get(json_object_get(a, "reputation"), "score")));
	cr_expect(json_is_array(json_object_get(json_object_get(a, "reputation"), "reasons")));
	f = json_object_get(json_object_get(json_object_get(a, "dcam"), "predicted"), "sequence");
	cr_expect_eq(json_array_size(f), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(f, 1), "token")),
			 "connect:inet");
	cr_expect_str_eq(json_string_value(json_object_get(b, "error")), "No such file or directory");
	cr_expect_eq(json_array_size(json_object_get(json_object_get(c, "dcam"), "findings")), 0);
	/* not an object the loader could map: analysed, and that is the finding */
	f = json_array_get(json_object_get(json_object_get(d, "dcam"), "findings"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(f, "category")), "structure");
	cr_expect_str_eq(json_string_value(json_object_get(f, "what")), "not an ELF file");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	free_lines(l, n);
}

Test(cmd_analyze, all_good_files_exit_zero_and_report_for_a_person)
{
	char args[4096], **l;
	size_t n;

	snprintf(args, sizeof(args), "%s/dcam/libdcam_raw_syscall.so %s/dcam/libdcam_exfil_ctor.so",
		 FIXTURE_DIR, FIXTURE_DIR);
	cr_expect_eq(run(args, &l, &n), 0);
	cr_assert_geq(n, 3);
	cr_expect(strstr(l[2], "dcam"));
	/* the exfiltrating constructor's predicted calls, one per line */
	{
		size_t head = n, cred = n;

		for (size_t i = 0; i < n; i++) {
			if (strstr(l[i], "predicted   4 calls"))
				head = i;
			if (strstr(l[i], "openat:cred") && strstr(l[i], "\"/etc/shadow\""))
				cred = i;
		}
		cr_expect(head < n && cred == head + 3, "the human report lists the predicted calls");
	}
	free_lines(l, n);
}

Test(cmd_analyze, usage_errors_and_help)
{
	char **l;
	size_t n;

	cr_expect_eq(run("", &l, &n), 2);
	free_lines(l, n);
	cr_expect_eq(run("--bogus x", &l, &n), 2);
	free_lines(l, n);
	cr_expect_eq(run("--deny-hash nothex x", &l, &n), 2);
	free_lines(l, n);
	cr_expect_eq(run("--help", &l, &n), 0);
	cr_expect_gt(n, 3);
	cr_expect(strstr(l[0], "Usage: bpf-profiler analyze"));
	free_lines(l, n);
}

Test(cmd_analyze, json_lines_match_the_schema)
{
	char cmd[8192], out[] = "/tmp/bpfprof-analyze-XXXXXX";
	int fd = mkstemp(out);

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s analyze --json --deny-path '*/libdcam_wx*' %s/dcam/*.so %s/README.md "
		 "/lib/x86_64-linux-gnu/libc.so.6 /nonexistent >%s 2>/dev/null",
		 BPFPROF_BIN, FIXTURE_DIR, BPFPROF_SRCDIR, out);
	cr_expect_eq(WEXITSTATUS(system(cmd)), 1, "/nonexistent cannot be read");
	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/analyze.schema.json %s",
		 TOOLS_DIR, BPFPROF_SRCDIR, out);
	cr_expect_eq(system(cmd), 0, "analyze --json output does not match schemas/analyze.schema.json");
	unlink(out);
}
