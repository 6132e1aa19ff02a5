/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM on the fixture libraries: each yields exactly its expected categories;
 * fds of any kind work; the cache analyses a file once; hostile input (empty,
 * truncated, non-ELF, corrupt headers, random mutations) fails cleanly. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "analysis/dcam.h"
#include "lib/util.h"

static char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/dcam/lib%s.so", FIXTURE_DIR, name);
	return path;
}

static struct dcam_result *analyze_path(const char *path)
{
	char err[256] = "";
	struct dcam_result *r = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(dcam_analyze_fd(NULL, fd, path, &r, err, sizeof(err)), 0, "%s: %s", path,
		     err);
	close(fd);
	return r;
}

static unsigned categories(const struct dcam_result *r)
{
	unsigned m = 0;

	for (size_t i = 0; i < r->n_findings; i++)
		m |= 1u << r->findings[i].category;
	return m;
}

static const struct dcam_finding *find(const struct dcam_result *r, const char *what_prefix)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strncmp(r->findings[i].what, what_prefix, strlen(what_prefix)))
			return &r->findings[i];
	return NULL;
}

static void dump(const struct dcam_result *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		cr_log_info("%s: %s", dcam_category_name(r->findings[i].category),
			    r->findings[i].what);
}

#define C(x) (1u << DCAM_CAT_##x)

Test(dcam, benign_library_has_no_findings)
{
	struct dcam_result *r = analyze_path(fixture("dcam_benign"));

	dump(r);
	cr_expect_eq(r->n_findings, 0);
	cr_expect_float_eq(r->score, 0.0, 1e-9);
	cr_expect_gt(r->n_entries, 1, "constructor and exports are entry points");
	cr_expect_str_eq(r->arch, "x86_64");
	dcam_result_free(r);
}

Test(dcam, constructor_calling_connect_is_network_from_init_array)
{
	struct dcam_result *r = analyze_path(fixture("dcam_net_ctor"));
	const struct dcam_finding *f = find(r, "connect");

	dump(r);
	cr_expect_eq(categories(r), C(NETWORK));
	cr_assert_not_null(f);
	cr_expect_str_eq(f->entry_kind, "init_array");
	cr_expect_str_eq(f->entry, "net_ctor");
	cr_expect_eq(f->via, DCAM_VIA_INIT);
	cr_expect_neq(f->addr, 0);
	/* one category at connect's weight 0.5: score 1 - (1 - 0.5) */
	cr_expect_float_eq(r->score, 0.5, 1e-9);
	dcam_result_free(r);
}

Test(dcam, syscall_instruction_in_init_array_is_raw_syscall_with_number)
{
	struct dcam_result *r = analyze_path(fixture("dcam_raw_syscall"));
	const struct dcam_finding *f = find(r, "syscall 39 (getpid)");

	dump(r);
	cr_expect_eq(categories(r), C(RAW_SYSCALL));
	cr_assert_not_null(f);
	cr_expect_str_eq(f->entry_kind, "init_array");
	cr_expect_str_eq(f->entry, "raw_init");
	dcam_result_free(r);
}

Test(dcam, aes_sbox_and_libcrypto_calls_are_crypto)
{
	struct dcam_result *r = analyze_path(fixture("dcam_crypto"));

	dump(r);
	cr_expect_eq(categories(r), C(CRYPTO));
	cr_expect_not_null(find(r, "AES S-box"));
	cr_expect_not_null(find(r, "EVP_Digest"));
	cr_expect_eq(find(r, "EVP_Digest")->via, DCAM_VIA_EXPORT);
	dcam_result_free(r);
}

Test(dcam, writable_executable_segment_is_structure)
{
	struct dcam_result *r = analyze_path(fixture("dcam_wx_segment"));

	dump(r);
	cr_expect_eq(categories(r), C(STRUCTURE));
	cr_expect_not_null(find(r, "writable and executable segment"));
	dcam_result_free(r);
}

Test(dcam, aarch64_constructor_is_decoded_through_its_plt)
{
	struct dcam_result *r;
	const struct dcam_finding *f;

	if (access(fixture("dcam_a64_ctor"), R_OK))
		cr_skip_test("no aarch64 fixture (ld.lld missing at build time)");
	r = analyze_path(fixture("dcam_a64_ctor"));
	dump(r);
	cr_expect_str_eq(r->arch, "aarch64");
	cr_expect_eq(categories(r), C(NETWORK) | C(RAW_SYSCALL));
	f = find(r, "connect");
	cr_assert_not_null(f);
	cr_expect_eq(f->via, DCAM_VIA_INIT);
	cr_expect_not_null(find(r, "svc 172 (getpid)"));
	dcam_result_free(r);
}

static void read_fixture(const char *name, char **buf, size_t *len)
{
	cr_assert_eq(util_read_file(fixture(name), 16u << 20, buf, len), 0);
}

Test(dcam, memfd_and_deleted_files_are_analysed_through_the_fd)
{
	char *buf, err[256], tmpl[] = "/tmp/bpfprof-dcam-XXXXXX";
	struct dcam_result *r;
	size_t len;
	int fd;

	read_fixture("dcam_net_ctor", &buf, &len);
	fd = memfd_create("dcam-test", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	/* the file offset is at the end: analysis must not depend on it */
	cr_assert_eq(dcam_analyze_fd(NULL, fd, "memfd", &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(categories(r), C(NETWORK));
	dcam_result_free(r);
	close(fd);

	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	unlink(tmpl);
	cr_assert_eq(dcam_analyze_fd(NULL, fd, tmpl, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(categories(r), C(NETWORK));
	dcam_result_free(r);
	close(fd);
	free(buf);
}

Test(dcam, cache_analyses_identical_bytes_once)
{
	struct dcam_cache *c = dcam_cache_new(2);
	struct dcam_result *a, *b, *x, *y;
	uint64_t hits, misses;
	char err[256];
	int fd1 = open(fixture("dcam_crypto"), O_RDONLY), fd2 = open(fixture("dcam_crypto"), O_RDONLY);
	int fd3 = open(fixture("dcam_benign"), O_RDONLY), fd4 = open(fixture("dcam_wx_segment"), O_RDONLY);

	cr_assert_eq(dcam_analyze_fd(c, fd1, "a", &a, err, sizeof(err)), 0);
	cr_assert_eq(dcam_analyze_fd(c, fd2, "b", &b, err, sizeof(err)), 0);
	cr_expect_eq(a, b, "the second lookup shares the first result");
	dcam_cache_stats(c, &hits, &misses);
	cr_expect_eq(hits, 1);
	cr_expect_eq(misses, 1);
	/* two more files push the first out of a 2-entry cache; a and b stay valid */
	cr_assert_eq(dcam_analyze_fd(c, fd3, "c", &x, err, sizeof(err)), 0);
	cr_assert_eq(dcam_analyze_fd(c, fd4, "d", &y, err, sizeof(err)), 0);
	cr_expect_not_null(find(a, "AES S-box"));
	dcam_result_free(x);
	dcam_result_free(y);
	cr_assert_eq(dcam_analyze_fd(c, fd1, "a", &x, err, sizeof(err)), 0);
	cr_expect_neq(x, a, "evicted: analysed again");
	dcam_result_free(x);
	dcam_result_free(a);
	dcam_result_free(b);
	dcam_cache_free(c);
	close(fd1);
	close(fd2);
	close(fd3);
	close(fd4);
}

/* An unchanged file is not read again; a file rewritten in place (same
 * inode) is: its digest, and so its result, must follow the new bytes. */
Test(dcam, a_file_rewritten_in_place_is_analysed_anew)
{
	struct dcam_cache *c = dcam_cache_new(8);
	struct dcam_result *a, *b, *x;
	char *net, *benign, err[256], tmpl[] = "/tmp/bpfprof-dcam-rw-XXXXXX";
	size_t nlen, blen;
	int fd;

	read_fixture("dcam_net_ctor", &net, &nlen);
	read_fixture("dcam_benign", &benign, &blen);
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, net, nlen), (ssize_t)nlen);
	cr_assert_eq(dcam_analyze_fd(c, fd, tmpl, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dcam_analyze_fd(c, fd, tmpl, &b, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(a, b, "an unchanged file shares its result");
	cr_assert_eq(ftruncate(fd, 0), 0);
	cr_assert_eq(pwrite(fd, benign, blen, 0), (ssize_t)blen);
	cr_assert_eq(dcam_analyze_fd(c, fd, tmpl, &x, err, sizeof(err)), 0, "%s", err);
	cr_expect_neq(memcmp(x->sha256, a->sha256, FILEHASH_LEN), 0, "stale digest after a rewrite");
	cr_expect_eq(categories(x), 0, "the new bytes are benign");
	dcam_result_free(a);
	dcam_result_free(b);
	dcam_result_free(x);
	dcam_cache_free(c);
	close(fd);
	unlink(tmpl);
	free(net);
	free(benign);
}

static int analyze_buf(const void *buf, size_t len, char *err, size_t errlen)
{
	struct dcam_result *r = NULL;
	int ret = dcam_analyze_mem(buf, len, &r, err, errlen);

	if (!ret) {
		json_t *j = dcam_result_to_json(r);

		cr_assert_not_null(j);
		json_decref(j);
		dcam_result_free(r);
	}
	return ret;
}

Test(dcam, empty_non_elf_and_truncated_files_fail_with_a_reason)
{
	char *buf, err[256];
	size_t len;

	cr_expect_eq(analyze_buf("", 0, err, sizeof(err)), -ENOEXEC);
	cr_expect_str_eq(err, "empty file (0 bytes)");
	cr_expect_eq(analyze_buf("#!/bin/sh\necho hi\n", 18, err, sizeof(err)), -ENOEXEC);
	cr_expect_str_eq(err, "not an ELF file");
	cr_expect_eq(analyze_buf("\177ELF\2\1\1", 7, err, sizeof(err)), -ENOEXEC);
	read_fixture("dcam_net_ctor", &buf, &len);
	cr_expect_eq(analyze_buf(buf, 40, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "truncated ELF header"), "%s", err);
	cr_expect_eq(analyze_buf(buf, len / 2, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "truncated") || strstr(err, "corrupt"), "%s", err);
	free(buf);
}

Test(dcam, hostile_header_fields_fail_cleanly)
{
	char *buf, err[256];
	size_t len;
	Elf64_Ehdr *eh;

	read_fixture("dcam_net_ctor", &buf, &len);
	eh = (Elf64_Ehdr *)buf;
	eh->e_phoff = 0x7fffffffffffff00ull;
	cr_expect_lt(analyze_buf(buf, len, err, sizeof(err)), 0);
	free(buf);

	read_fixture("dcam_net_ctor", &buf, &len);
	eh = (Elf64_Ehdr *)buf;
	eh->e_shoff = len - 8;
	eh->e_shnum = 0xffff;
	cr_expect_lt(analyze_buf(buf, len, err, sizeof(err)), 0);
	free(buf);

	/* a PT_LOAD claiming bytes far past the end of the file */
	read_fixture("dcam_net_ctor", &buf, &len);
	eh = (Elf64_Ehdr *)buf;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff + (size_t)i * eh->e_phentsize);

		if (ph->p_type == PT_LOAD)
			ph->p_filesz = 1ull << 40;
	}
	cr_expect_eq(analyze_buf(buf, len, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "past the end of the file"), "%s", err);
	free(buf);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* libFuzzer-style: mutate fixture bytes (flips, random bytes, header-field
 * splats, truncation) for a bounded time; every run must end, fail or not. */
Test(dcam, mutated_fixtures_never_crash_or_hang, .timeout = 60)
{
	static const char *const names[] = { "dcam_net_ctor", "dcam_raw_syscall", "dcam_crypto",
					     "dcam_wx_segment" };
	uint64_t seed = 0x9e3779b97f4a7c15ull, start = util_now_mono_ns(), runs = 0, ok = 0;

	for (size_t n = 0; util_now_mono_ns() - start < 3000000000ull; n++) {
		char *buf, err[256];
		size_t len;

		read_fixture(names[n % ARRAY_SIZE(names)], &buf, &len);
		for (int k = 1 + (int)(rnd(&seed) % 8); k > 0; k--) {
			size_t at = rnd(&seed) % (rnd(&seed) % 4 ? 256 : len); /* headers often */
			uint64_t v = rnd(&seed);

			switch (rnd(&seed) % 4) {
			case 0: buf[at] ^= (char)(1 << (v % 8)); break;
			case 1: buf[at] = (char)v; break;
			case 2:
				if (at + 8 <= len)
					memcpy(buf + at, &v, 8);
				break;
			case 3:
				if (at + 2 <= len)
					memcpy(buf + at, "\xff\xff", 2);
				break;
			}
		}
		if (rnd(&seed) % 8 == 0)
			len = rnd(&seed) % len;
		if (!analyze_buf(buf, len, err, sizeof(err)))
			ok++;
		runs++;
		free(buf);
	}
	cr_log_info("%llu mutated inputs, %llu analysed", (unsigned long long)runs,
		    (unsigned long long)ok);
	cr_expect_gt(runs, 100);
}

Test(dcam, result_json_has_the_documented_fields)
{
	struct dcam_result *r = analyze_path(fixture("dcam_net_ctor"));
	json_t *j = dcam_result_to_json(r), *f, *where;

	cr_expect(json_is_real(json_object_get(j, "score")));
	f = json_array_get(json_object_get(j, "findings"), 0);
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(json_object_get(f, "category")), "network");
	cr_expect(json_is_string(json_object_get(f, "what")));
	cr_expect(json_is_real(json_object_get(f, "weight")));
	where = json_object_get(f, "where");
	cr_expect_str_eq(json_string_value(json_object_get(where, "entry")), "net_ctor");
	cr_expect(json_is_string(json_object_get(where, "addr")));
	json_decref(j);
	dcam_result_free(r);
}

struct thread_arg {
	struct dcam_cache *cache;
	int failures;
};

static void *analyze_all(void *p)
{
	static const char *const names[] = { "dcam_benign", "dcam_net_ctor", "dcam_raw_syscall",
					     "dcam_crypto", "dcam_wx_segment" };
	struct thread_arg *t = p;
	char path[4096], err[256];

	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			struct dcam_result *r;
			int fd;

			snprintf(path, sizeof(path), "%s/dcam/lib%s.so", FIXTURE_DIR, names[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || dcam_analyze_fd(t->cache, fd, path, &r, err, sizeof(err))) {
				t->failures++;
			} else {
				if ((i == 0) != (r->n_findings == 0))
					t->failures++;
				dcam_result_free(r);
			}
			if (fd >= 0)
				close(fd);
		}
	return NULL;
}

Test(dcam, one_cache_serves_concurrent_threads)
{
	struct dcam_cache *c = dcam_cache_new(3); /* smaller than the set: evictions race too */
	struct thread_arg args[4];
	pthread_t th[4];
	uint64_t hits, misses;

	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .cache = c };
		cr_assert_eq(pthread_create(&th[i], NULL, analyze_all, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(args[i].failures, 0);
	}
	dcam_cache_stats(c, &hits, &misses);
	cr_expect_eq(hits + misses, 4 * 20 * 5);
	dcam_cache_free(c);
}
