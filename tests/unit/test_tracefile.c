/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Trace and syscall-table readers (`score`, `eval`, `db learn`): what they
 * take, and that what they refuse is named where it goes wrong. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "learn/tracefile.h"
#include "tmpdir.h"

static char dir[] = "/tmp/bpfprof-tracefile-XXXXXX";
static struct tokens *tok;
static char err[512];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(tokens_load_default(&tok), 0);
	*err = '\0';
}

static void teardown(void)
{
	tokens_free(tok);
	cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(tracefile, .init = setup, .fini = teardown);

/* A file of len bytes (NULs allowed) in dir; returns its path. */
static const char *file(const char *name, const char *body, size_t len)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(body, 1, len, f), len);
	fclose(f);
	return p;
}

#define FILE_S(name, lit) file(name, lit, sizeof(lit) - 1)

static const char *name_at(const token_id *seq, size_t i)
{
	return tokens_name(tok, seq[i]);
}

Test(tracefile, numbers_map_through_the_table_and_unknown_ones_keep_their_number)
{
	struct syscall_table t;
	token_id *seq;
	size_t n;

	cr_assert_eq(tracefile_table_load(FILE_S("t.tsv", "# i386\n3\tread\r\n\n4\twrite\n"), &t,
					  err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tracefile_read_numbers(FILE_S("a.txt", " 3 4\n 999\t3\n"), &t, tok, &seq, &n,
					    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(name_at(seq, 0), "read");
	cr_assert_str_eq(name_at(seq, 1), "write");
	cr_assert_str_eq(name_at(seq, 2), "sys_999");
	cr_assert_str_eq(name_at(seq, 3), "read");
	free(seq);
	tracefile_table_free(&t);
}

Test(tracefile, a_bad_table_line_is_named_by_its_number_blank_lines_counted)
{
	struct syscall_table t;

	cr_assert_eq(tracefile_table_load(FILE_S("t.tsv", "0\tread\n\n\n3\twr ite\n"), &t, err,
					  sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "t.tsv:4: expected NUMBER<TAB>NAME"), "%s", err);
	cr_assert_eq(tracefile_table_load(FILE_S("u.tsv", "0\tread\n5000\tx\n"), &t, err,
					  sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "u.tsv:2: "), "%s", err);
	cr_assert_eq(tracefile_table_load(FILE_S("v.tsv", "0 read\n"), &t, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "v.tsv:1: "), "%s", err);
}

Test(tracefile, token_files_take_names_or_a_json_array)
{
	token_id *seq;
	size_t n;

	cr_assert_eq(tracefile_read_tokens(FILE_S("a.txt", "socket:inet\tconnect:inet\n dup2\r\n"),
					   tok, &seq, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(name_at(seq, 2), "dup2");
	free(seq);
	cr_assert_eq(tracefile_read_tokens(FILE_S("b.json", " [\"dup2\", {\"call\": \"execve\", "
						  "\"params\": {}}]"),
					   tok, &seq, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(name_at(seq, 1), "execve");
	free(seq);
	cr_assert_eq(tracefile_read_tokens(FILE_S("c.json", "[\"dup2\", 7]"), tok, &seq, &n, err,
					   sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "c.json: [1]: expected a token name"), "%s", err);
	cr_assert_null(seq);
	cr_assert_eq(n, 0);
}

/* Before, a NUL byte ended the trace there without a word: a binary file
 * scored as the few bytes before its first NUL. */
Test(tracefile, a_file_that_is_not_text_is_refused_where_it_stops_being_text)
{
	struct syscall_table t = { 0 };
	token_id *seq;
	size_t n;

	cr_assert_eq(tracefile_read_tokens(FILE_S("a.txt", "read write\0execve"), tok, &seq, &n,
					   err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "a.txt: byte 10: not text (a NUL byte)"), "%s", err);
	cr_assert_null(seq);
	cr_assert_eq(tracefile_read_tokens(FILE_S("b.txt", "read \xff write"), tok, &seq, &n, err,
					   sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "b.txt: byte 5: not text (not UTF-8)"), "%s", err);
	cr_assert_eq(tracefile_read_numbers(FILE_S("c.txt", "3 4\0 5"), &t, tok, &seq, &n, err,
					    sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "c.txt: byte 3: not text (a NUL byte)"), "%s", err);
	cr_assert_eq(tracefile_table_load(FILE_S("t.tsv", "3\tread\0\n"), &t, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "t.tsv: byte 6: not text"), "%s", err);
	cr_assert_eq(tracefile_read_tokens(FILE_S("d.txt", "read caf\xc3\xa9"), tok, &seq, &n, err,
					   sizeof(err)), 0, "UTF-8 names are text: %s", err);
	free(seq);
}

Test(tracefile, a_token_name_longer_than_any_entry_can_hold_is_refused)
{
	char body[300];
	token_id *seq;
	size_t n;

	memset(body, 'a', sizeof(body));
	memcpy(body, "read ", 5);
	cr_assert_eq(tracefile_read_tokens(file("a.txt", body, 5 + TOKENS_NAME_MAX + 1), tok, &seq,
					   &n, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "a.txt: byte 5: a token name longer than 127 bytes"), "%s", err);
	cr_assert_eq(tracefile_read_tokens(file("b.txt", body, 5 + TOKENS_NAME_MAX), tok, &seq, &n,
					   err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	free(seq);
}
