/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Source reputation: a packaged library is trusted, the same bytes in
 * /dev/shm or a memfd are not; lists decide outright; the dpkg index sees
 * through usrmerge symlinks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "score/pkgindex.h"
#include "score/exceptions.h"
#include "score/reputation.h"
#include "lib/util.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

static const struct reputation_reason *has(const struct reputation_result *r, const char *code)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (!strcmp(r->reasons[i].code, code))
			return &r->reasons[i];
	return NULL;
}

static void need_dpkg_libc(void)
{
	if (access(LIBC, R_OK) || !pkgindex_available())
		cr_skip_test("needs a dpkg system with " LIBC);
}

static struct reputation_result score_path(const char *path, uid_t uid)
{
	struct reputation_input in = { .path = path, .fd = -1, .uid = uid };
	struct reputation_result r;

	cr_assert_eq(reputation_score(&in, &r), 0);
	return r;
}

Test(reputation, package_owned_libc_is_low_risk_through_the_lib_symlink)
{
	struct reputation_result r;
	char *canon;

	need_dpkg_libc();
	canon = realpath(LIBC, NULL);
	cr_assert_not_null(canon);
	cr_expect_not_null(pkgindex_owner(canon), "usrmerge: %s", canon);
	free(canon);
	r = score_path(LIBC, 0);
	cr_assert_not_null(has(&r, "package_owned"));
	cr_expect(strstr(has(&r, "package_owned")->detail, "libc6"));
	cr_expect_not_null(has(&r, "path_system"));
	cr_expect_leq(r.score, 0.2);
}

static void copy_file(const char *from, int fd)
{
	char *buf;
	size_t len;

	cr_assert_eq(util_read_file(from, 64u << 20, &buf, &len), 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	free(buf);
}

Test(reputation, libc_bytes_copied_to_dev_shm_are_high_risk)
{
	char path[] = "/dev/shm/bpfprof-rep-XXXXXX";
	struct reputation_result r;
	int fd;

	need_dpkg_libc();
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	copy_file(LIBC, fd);
	r = score_path(path, getuid());
	unlink(path);
	close(fd);
	cr_expect_not_null(has(&r, "path_tmp"));
	cr_expect_not_null(has(&r, "not_package_owned"));
	cr_expect_null(has(&r, "package_owned"));
	cr_expect_geq(r.score, 0.8);
}

Test(reputation, memfd_is_high_risk)
{
	struct reputation_input in = { .path = "/memfd:payload (deleted)", .uid = 1000 };
	struct reputation_result r;

	in.fd = memfd_create("payload", MFD_CLOEXEC);
	cr_assert_geq(in.fd, 0);
	cr_assert_eq(reputation_score(&in, &r), 0);
	close(in.fd);
	cr_expect_not_null(has(&r, "memfd"));
	cr_expect_geq(r.score, 0.8);
}

Test(reputation, deleted_file_is_flagged)
{
	struct reputation_input in = { .path = "/opt/x/libgone.so (deleted)", .fd = -1 };
	struct reputation_result r;

	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "deleted"));
}

Test(reputation, exceptions_decide_and_deny_beats_allow)
{
	static const char sha[] = "aa00000000000000000000000000000000000000000000000000000000000000";
	struct exceptions *ex = exceptions_new();
	struct reputation_input in = { .path = "/tmp/evil.so", .fd = -1, .sha256_hex = sha,
				       .exceptions = ex };
	struct reputation_result r;
	char err[256];

	cr_assert_eq(exceptions_add(ex, "allow-path", "/tmp/*.so", err, sizeof(err)), 0);
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_float_eq(r.score, 0.0, 1e-9);
	cr_expect_not_null(has(&r, "allow_path"));
	cr_assert_eq(exceptions_add(ex, "deny-hash", sha, err, sizeof(err)), 0);
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_float_eq(r.score, 1.0, 1e-9);
	cr_expect_not_null(has(&r, "deny_hash"));
	cr_expect_eq(exceptions_add(ex, "deny-hash", "not-a-hash", err, sizeof(err)), -EINVAL);
	cr_expect_eq(exceptions_add(ex, "maybe", "x", err, sizeof(err)), -EINVAL);
	exceptions_free(ex);
}

Test(reputation, owner_mode_and_age_come_from_the_stat)
{
	struct stat st = { .st_uid = 1234, .st_gid = 0, .st_mode = S_IFREG | 0666, .st_nlink = 1 };
	struct reputation_input in = { .path = "/usr/lib/libnothere.so", .fd = -1, .st = &st,
				       .uid = 1000, .now = 1000000 };
	struct reputation_result r;

	st.st_mtime = st.st_ctime = 1000000 - 60;
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "owner_other_user"));
	cr_expect_not_null(has(&r, "file_world_writable"));
	cr_expect_not_null(has(&r, "recent_file"));
	st.st_uid = 0;
	st.st_mode = S_IFREG | 0644;
	st.st_mtime = st.st_ctime = 1000000 - 10 * 86400;
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_null(has(&r, "owner_other_user"));
	cr_expect_null(has(&r, "file_world_writable"));
	cr_expect_null(has(&r, "recent_file"));
}

Test(reputation, code_the_loader_wrote_itself_counts_against_it)
{
	struct stat st = { .st_uid = 0, .st_mode = S_IFREG | 0644, .st_nlink = 1 };
	struct reputation_input in = { .path = "/usr/lib/libnothere.so", .fd = -1, .st = &st,
				       .now = 1000000 };
	struct reputation_result plain, dropped;

	st.st_mtime = st.st_ctime = 1000000 - 10 * 86400;
	cr_assert_eq(reputation_score(&in, &plain), 0);
	cr_expect_null(has(&plain, "written_by_loader"));
	in.written_by_loader = true;
	in.written_ms_before = 3;
	cr_assert_eq(reputation_score(&in, &dropped), 0);
	cr_assert_not_null(has(&dropped, "written_by_loader"));
	cr_expect_str_eq(has(&dropped, "written_by_loader")->detail,
			 "the loading thread wrote it 3 ms before mapping it executable");
	cr_expect_float_eq(dropped.score, plain.score + 0.3, 1e-9);
}

Test(reputation, world_writable_directory_is_flagged)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	struct reputation_result r;
	int fd;

	/* not under a temporary directory: those are flagged as such instead
	 * (and the build tree itself may live in /tmp) */
	snprintf(dir, sizeof(dir), "%s/rep-wwXXXXXX", !access("/srv", W_OK) ? "/srv" :
		 getenv("HOME") ? getenv("HOME") : ".");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0777), 0);
	snprintf(file, sizeof(file), "%s/lib.so", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	r = score_path(file, getuid());
	unlink(file);
	rmdir(dir);
	cr_expect_not_null(has(&r, "dir_world_writable"));
}

Test(reputation, json_lists_reasons_with_code_detail_weight)
{
	struct reputation_input in = { .path = "/memfd:x (deleted)", .fd = -1 };
	struct reputation_result r;
	json_t *j, *x;

	cr_assert_eq(reputation_score(&in, &r), 0);
	j = reputation_result_to_json(&r);
	x = json_array_get(json_object_get(j, "reasons"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(x, "code")), "memfd");
	cr_expect(json_is_string(json_object_get(x, "detail")));
	cr_expect(json_is_real(json_object_get(x, "weight")));
	cr_expect(json_is_real(json_object_get(j, "score")));
	json_decref(j);
}

Test(reputation, paths_resolve_inside_the_loading_process_root)
{
	struct reputation_input in = { .path = LIBC, .fd = -1, .pid = getppid() };
	struct reputation_result r;

	need_dpkg_libc();
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "package_owned"), "/proc/%d/root%s", (int)in.pid, LIBC);
	in.pid = 999999999; /* no such process: nothing resolves */
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "vanished"));
	cr_expect_null(has(&r, "package_owned"));
}

/* A process that has exited, reaped: its /proc entry is gone. */
static pid_t gone_process(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

Test(reputation, a_package_file_loaded_by_a_process_that_has_exited_is_still_package_owned)
{
	struct reputation_input in = { .path = LIBC, .fd = -1 };
	struct reputation_result r;

	need_dpkg_libc();
	in.pid = gone_process();
	in.fd = open(LIBC, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in.fd, 0);
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "package_owned"), "the exited loader's libc is dpkg's");
	cr_expect_not_null(has(&r, "resolved_on_host"));
	cr_expect_null(has(&r, "vanished"));
	cr_expect_null(has(&r, "not_package_owned"));
	cr_expect_leq(r.score, 0.2);
	close(in.fd);
	/* the kernel's device and inode do as well as an fd */
	{
		struct stat st;

		cr_assert_eq(stat(LIBC, &st), 0);
		in.fd = -1;
		in.dev = st.st_dev;
		in.ino = st.st_ino;
		cr_assert_eq(reputation_score(&in, &r), 0);
		cr_expect_not_null(has(&r, "package_owned"));
	}
}

Test(reputation, a_host_path_that_is_not_the_loaded_file_is_not_believed)
{
	char dir[] = "/tmp/bpfprof-rep-XXXXXX", obj[128], other[128];
	struct reputation_input in = { .path = obj, .fd = -1 };
	struct reputation_result r;
	struct stat st;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(obj, sizeof(obj), "%s/libx.so", dir);
	snprintf(other, sizeof(other), "%s/liby.so", dir);
	f = fopen(obj, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(stat(obj, &st), 0);
	in.dev = st.st_dev;
	in.ino = st.st_ino;
	f = fopen(other, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(rename(other, obj), 0, "another file now has the loaded one's name");
	in.pid = gone_process();
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "replaced"));
	cr_expect_null(has(&r, "resolved_on_host"));
	cr_expect_null(has(&r, "not_package_owned"), "an unresolved path asks dpkg nothing");
	/* and without anything to check against, nothing is believed either */
	in.ino = 0;
	cr_assert_eq(reputation_score(&in, &r), 0);
	cr_expect_not_null(has(&r, "vanished"));
	cr_expect(strstr(has(&r, "vanished")->detail, "exited"), "%s", has(&r, "vanished")->detail);
	unlink(obj);
	rmdir(dir);
}
