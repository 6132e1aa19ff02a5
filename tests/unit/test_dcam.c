/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM on the fixture libraries: each yields exactly its expected categories
 * and predicted calls, in order; fds of any kind work; the cache analyses a
 * file once; hostile input (empty, truncated, non-ELF, corrupt or forged
 * headers, random mutations) is a structure finding, analysed as far as the
 * loader would map it, in bounded memory. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "analysis/dcam.h"
#include "behaviors/tokens.h"
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

/* The same predicted calls, side by side: what the gate judges on is
 * what the full analysis predicts. */
static void expect_same_prediction(const struct dcam_result *x, const struct dcam_result *y)
{
	cr_assert_eq(x->n_predicted, y->n_predicted);
	for (size_t i = 0; i < x->n_predicted; i++)
		cr_expect_str_eq(x->predicted[i].token, y->predicted[i].token);
}

/* What a process waiting at the gate needs: the load-time code, with the
 * same prediction. The exports and the data's constants come with the
 * full analysis, which takes the partial result's place in the cache. */
Test(dcam, the_load_time_part_leaves_the_exports_to_the_full_analysis)
{
	struct dcam_cache *c = dcam_cache_new(8);
	struct dcam_result *part, *again, *full, *ctor_part, *ctor_full;
	int fd = open(fixture("dcam_crypto"), O_RDONLY), ctor = open(fixture("dcam_exfil_ctor"), O_RDONLY);
	char err[256];

	cr_assert_eq(dcam_analyze_fd_load_time(c, fd, "crypto", &part, err, sizeof(err)), 0, "%s", err);
	cr_expect(part->partial);
	cr_expect_null(find(part, "AES S-box"), "the constants scan is the full analysis's");
	cr_assert_not_null(find(part, "EVP_Digest"));
	cr_expect_eq(find(part, "EVP_Digest")->via, DCAM_VIA_IMPORT, "no export was walked");
	cr_assert_eq(dcam_analyze_fd_load_time(c, fd, "crypto", &again, err, sizeof(err)), 0);
	cr_expect_eq(again, part, "the partial result is cached for the next gate stop");
	dcam_result_free(again);

	cr_assert_eq(dcam_analyze_fd(c, fd, "crypto", &full, err, sizeof(err)), 0);
	cr_expect_not(full->partial, "a partial result does not answer a full request");
	cr_expect_not_null(find(full, "AES S-box"));
	cr_expect_eq(find(full, "EVP_Digest")->via, DCAM_VIA_EXPORT);
	cr_expect_gt(full->score, part->score);
	cr_assert_eq(dcam_analyze_fd_load_time(c, fd, "crypto", &again, err, sizeof(err)), 0);
	cr_expect_eq(again, full, "the full result took the partial one's place");
	dcam_result_free(again);

	/* a few KiB of code cost less to read whole than to queue */
	cr_assert_eq(dcam_analyze_fd_load_time(NULL, ctor, "ctor", &ctor_part, err, sizeof(err)), 0);
	cr_assert_eq(dcam_analyze_fd(NULL, ctor, "ctor", &ctor_full, err, sizeof(err)), 0);
	cr_expect_not(ctor_part->partial, "a small object is read whole at the gate");
	cr_expect_gt(ctor_full->n_predicted, 2);
	expect_same_prediction(ctor_part, ctor_full);

	dcam_result_free(ctor_part);
	dcam_result_free(ctor_full);
	dcam_result_free(full);
	dcam_result_free(part);
	dcam_cache_free(c);
	close(fd);
	close(ctor);
}

/* The worker finishes what the gate left, off its path, from its own fd:
 * the full result lands in the cache and its digest is listed. */
Test(dcam, the_worker_puts_the_full_analysis_in_the_partial_one_s_place)
{
	struct dcam_cache *c = dcam_cache_new(8);
	struct dcam_worker *w;
	struct dcam_result *part, *now;
	struct dcam_landed landed[4];
	int fd = open(fixture("dcam_crypto"), O_RDONLY);
	char err[256];
	size_t n;

	cr_assert_eq(dcam_worker_new(c, &w), 0);
	cr_assert_eq(dcam_analyze_fd_load_time(c, fd, "crypto", &part, err, sizeof(err)), 0);
	cr_assert_eq(dcam_worker_submit(w, fd, part->sha256, "crypto"), 0);
	cr_assert_eq(dcam_worker_submit(w, fd, part->sha256, "crypto"), 0);
	close(fd); /* the worker reads its duplicate */
	cr_assert_eq(dcam_worker_wait_idle(w, 20000), 0);
	cr_expect_not(dcam_worker_has(w, part->sha256));
	n = dcam_worker_take_landed(w, landed, 4);
	cr_assert_geq(n, 1, "landed");
	cr_expect_leq(n, 2, "once per submission at most (twice only if the first was done)");
	cr_expect(landed[0].changed, "the exports and the S-box raise the score");
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(memcmp(landed[i].sha, part->sha256, FILEHASH_LEN), 0);
	cr_expect_eq(dcam_worker_take_landed(w, landed, 4), 0, "taken once");
	now = dcam_cache_get(c, part->sha256);
	cr_assert_not_null(now);
	cr_expect_not(now->partial, "the cache holds the full result now");
	cr_expect_not_null(find(now, "AES S-box"));
	dcam_result_free(now);
	dcam_result_free(part);
	dcam_worker_free(w);
	dcam_cache_free(c);
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

static struct dcam_result *analyze_ok(const void *buf, size_t len)
{
	struct dcam_result *r = NULL;
	char err[256] = "";

	cr_assert_eq(dcam_analyze_mem(buf, len, &r, err, sizeof(err)), 0, "%s", err);
	return r;
}

static const struct dcam_finding *find_cat(const struct dcam_result *r, enum dcam_category c,
					   const char *what_part)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].category == c && strstr(r->findings[i].what, what_part))
			return &r->findings[i];
	return NULL;
}

/* Missing is not zero: what cannot be analysed is a structure finding with
 * real weight, never an error that leaves the static component empty. */
Test(dcam, objects_that_cannot_be_analysed_are_structure_findings)
{
	static const struct { const char *bytes; size_t len; const char *what; double w; } cases[] = {
		{ "", 0, "empty file", 0.8 },
		{ "#!/bin/sh\necho hi\n", 18, "not an ELF file", 0.8 },
		{ "\177ELF\2\1\1", 7, "truncated ELF header", 0.7 },
	};
	struct dcam_result *r;
	char *buf;
	size_t len;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct dcam_finding *f;

		r = analyze_ok(cases[i].bytes, cases[i].len);
		f = find_cat(r, DCAM_CAT_STRUCTURE, cases[i].what);
		cr_assert_not_null(f, "case %zu", i);
		cr_expect_float_eq(f->weight, cases[i].w, 1e-9, "case %zu", i);
		cr_expect_float_eq(r->score, cases[i].w, 1e-9, "case %zu", i);
		cr_expect_eq(strlen(r->sha256_hex), 64);
		dcam_result_free(r);
	}
	read_fixture("dcam_net_ctor", &buf, &len);
	r = analyze_ok(buf, 40);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "truncated ELF header"));
	dcam_result_free(r);
	/* cut in the middle: the segments past the end are findings, the rest
	 * is still analysed */
	r = analyze_ok(buf, len / 2);
	dump(r);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "past the end of the file"));
	cr_expect_geq(r->score, 0.7);
	dcam_result_free(r);
	free(buf);
}

Test(dcam, a_fd_that_is_not_a_regular_file_is_an_error)
{
	struct dcam_result *r = NULL;
	char err[256];
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	cr_assert_geq(fd, 0);
	cr_expect_eq(dcam_analyze_fd(NULL, fd, "/tmp", &r, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "not a regular file");
	close(fd);
}

static bool seq_is(const struct dcam_result *r, const char *const *want, size_t n)
{
	const char *got[DCAM_PRED_MAX];
	size_t k = dcam_result_predicted(r, got, ARRAY_SIZE(got));

	for (size_t i = 0; i < k && i < ARRAY_SIZE(got); i++)
		cr_log_info("predicted[%zu] %s (%s %s \"%s\")", i, got[i],
			    dcam_pred_via_name(r->predicted[i].via), r->predicted[i].call,
			    r->predicted[i].arg);
	if (k != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(got[i], want[i]))
			return false;
	return true;
}

#define SEQ(r, ...)                                                                    \
	do {                                                                           \
		static const char *const want_[] = { __VA_ARGS__ };                    \
		cr_expect(seq_is(r, want_, ARRAY_SIZE(want_)), "predicted sequence differs"); \
	} while (0)

Test(dcam, hostile_header_fields_are_findings_and_the_rest_is_analysed)
{
	struct dcam_result *r;
	char *buf;
	size_t len;
	Elf64_Ehdr *eh;

	read_fixture("dcam_net_ctor", &buf, &len);
	eh = (Elf64_Ehdr *)buf;
	eh->e_phoff = 0x7fffffffffffff00ull;
	r = analyze_ok(buf, len);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "program header table"));
	cr_expect_geq(r->score, 0.7);
	dcam_result_free(r);
	free(buf);

	/* section headers past the end: the loader does not care, neither do we */
	read_fixture("dcam_net_ctor", &buf, &len);
	eh = (Elf64_Ehdr *)buf;
	eh->e_shoff = len - 8;
	eh->e_shnum = 0xffff;
	r = analyze_ok(buf, len);
	dump(r);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "section header table"));
	cr_expect_not_null(find(r, "connect"));
	SEQ(r, "socket:inet", "connect:inet");
	dcam_result_free(r);
	free(buf);

	/* a PT_LOAD claiming bytes far past the end of the file */
	read_fixture("dcam_net_ctor", &buf, &len);
	eh = (Elf64_Ehdr *)buf;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff + (size_t)i * eh->e_phentsize);

		if (ph->p_type == PT_LOAD)
			ph->p_filesz = 1ull << 40;
	}
	r = analyze_ok(buf, len);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "past the end of the file"));
	dcam_result_free(r);
	free(buf);
}

static Elf64_Shdr *section(char *buf, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	for (int i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff + (size_t)i * sizeof(Elf64_Shdr));

		if (sh->sh_type == type)
			return sh;
	}
	return NULL;
}

/* Forged section headers (what readelf and objdump believe) change nothing
 * in what the loader maps: the analysis is the same, plus a finding. */
Test(dcam, bogus_section_headers_are_a_finding_and_do_not_change_the_analysis)
{
	struct dcam_result *r;
	Elf64_Shdr *sh;
	char *buf;
	size_t len;

	read_fixture("dcam_net_ctor", &buf, &len);
	sh = section(buf, SHT_DYNSYM);
	cr_assert_not_null(sh);
	sh->sh_size *= 3; /* a .dynsym count the hash table does not have */
	r = analyze_ok(buf, len);
	dump(r);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, ".dynsym holds"));
	SEQ(r, "socket:inet", "connect:inet");
	dcam_result_free(r);
	free(buf);

	read_fixture("dcam_exfil_ctor", &buf, &len);
	sh = section(buf, SHT_DYNSYM);
	sh->sh_size = sh->sh_entsize; /* fewer symbols than the relocations use */
	r = analyze_ok(buf, len);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "relocations use"));
	SEQ(r, "socket:inet", "connect:inet", "openat:cred", "sendto");
	dcam_result_free(r);
	free(buf);

	read_fixture("dcam_exfil_ctor", &buf, &len);
	for (sh = section(buf, SHT_PROGBITS); sh; sh = NULL) {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

		/* every code section moved where nothing executable is mapped */
		for (int i = 0; i < eh->e_shnum; i++) {
			Elf64_Shdr *s = (Elf64_Shdr *)(buf + eh->e_shoff + (size_t)i * sizeof(*s));

			if (s->sh_flags & SHF_EXECINSTR)
				s->sh_addr += 0x100000;
		}
	}
	r = analyze_ok(buf, len);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "where no executable segment maps"));
	cr_expect_float_eq(find_cat(r, DCAM_CAT_STRUCTURE, "where no")->weight, 0.6, 1e-9);
	SEQ(r, "socket:inet", "connect:inet", "openat:cred", "sendto");
	dcam_result_free(r);
	free(buf);
}

/* Bytes mapped as code without any ELF around them (a shellcode blob, a
 * hand-rolled loader's image), and anonymous memory made executable, are
 * code as they stand: walked from the first byte, so they are predicted
 * like a constructor. */
Test(dcam, code_that_is_not_elf_is_walked_from_its_first_byte)
{
	static const uint8_t blob[] = {
		0xb8, 0x29, 0x00, 0x00, 0x00, /* mov eax, 41 (socket) */
		0xbf, 0x02, 0x00, 0x00, 0x00, /* mov edi, AF_INET */
		0xbe, 0x01, 0x00, 0x00, 0x00, /* mov esi, SOCK_STREAM */
		0x31, 0xd2,                   /* xor edx, edx */
		0x0f, 0x05,                   /* syscall */
		0x89, 0xc7,                   /* mov edi, eax */
		0xb8, 0x2a, 0x00, 0x00, 0x00, /* mov eax, 42 (connect) */
		0x0f, 0x05,                   /* syscall */
		0xb8, 0x0a, 0x00, 0x00, 0x00, /* mov eax, 10 (mprotect) */
		0xba, 0x05, 0x00, 0x00, 0x00, /* mov edx, PROT_READ|PROT_EXEC */
		0x0f, 0x05,                   /* syscall */
		0xc3,                         /* ret */
	};
	struct dcam_result *r, *again;
	struct dcam_cache *cache;
	uint64_t hits, misses;
	char err[256] = "";

#if !defined(__x86_64__)
	cr_skip_test("x86-64 code bytes; code with no ELF is decoded for the host's machine");
#endif
	r = analyze_ok(blob, sizeof(blob));
	dump(r);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "not an ELF file"));
	SEQ(r, "socket:inet", "connect:inet", "mprotect:exec");
	cr_expect_str_eq(r->predicted[0].entry_kind, "code");
	cr_expect_eq(r->predicted[0].via, DCAM_PRED_SYSCALL);
	cr_expect_not_null(find(r, "syscall 42 (connect)"));
	dcam_result_free(r);

	/* the same bytes as memory made executable: no file, so "not an ELF
	 * file" is no finding; the calls are the same */
	cr_assert_eq(dcam_analyze_code(NULL, blob, sizeof(blob), &r, err, sizeof(err)), 0, "%s",
		     err);
	cr_expect_null(find_cat(r, DCAM_CAT_STRUCTURE, ""));
	SEQ(r, "socket:inet", "connect:inet", "mprotect:exec");
	cr_expect_float_eq(r->score, find(r, "syscall 42 (connect)")->weight, 1e-9);
	dcam_result_free(r);
	/* with a cache the same bytes are walked once: the window is judged at
	 * the gate and again when it closes */
	cache = dcam_cache_new(4);
	cr_assert_not_null(cache);
	cr_assert_eq(dcam_analyze_code(cache, blob, sizeof(blob), &r, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(dcam_analyze_code(cache, blob, sizeof(blob), &again, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(again, r, "the same code was walked again");
	dcam_cache_stats(cache, &hits, &misses);
	cr_expect_eq(hits, 1);
	cr_expect_eq(misses, 1);
	dcam_result_free(again);
	dcam_result_free(r);
	dcam_cache_free(cache);
	/* JIT-like code with no system call: nothing found, nothing predicted */
	cr_assert_eq(dcam_analyze_code(NULL, blob + 19, 2, &r, err, sizeof(err)), 0, "%s",
		     err);
	cr_expect_eq(r->n_findings, 0);
	cr_expect_eq(r->n_predicted, 0);
	cr_expect_float_eq(r->score, 0, 1e-12);
	dcam_result_free(r);
}

Test(dcam, constructor_that_connects_reads_shadow_and_sends_is_predicted_in_order)
{
	struct dcam_result *r = analyze_path(fixture("dcam_exfil_ctor"));

	SEQ(r, "socket:inet", "connect:inet", "openat:cred", "sendto");
	cr_expect_str_eq(r->predicted[2].arg, "/etc/shadow");
	cr_expect_str_eq(r->predicted[2].call, "open");
	cr_expect_str_eq(r->predicted[0].entry, "exfil_ctor");
	cr_expect_str_eq(r->predicted[0].entry_kind, "init_array");
	cr_expect_eq(r->predicted[0].via, DCAM_PRED_IMPORT);
	cr_expect_not(r->predicted_truncated);
	dcam_result_free(r);
}

Test(dcam, forked_child_connecting_back_to_a_shell_is_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_fork_shell"));

	/* the socket comes back from a local function and is put on stdio */
	SEQ(r, "clone:process", "socket:inet", "connect:inet", "dup2:socket", "dup2:socket",
	    "dup2:socket", "execve:shell");
	cr_expect_str_eq(r->predicted[6].arg, "/bin/sh");
	dcam_result_free(r);
}

/* What a shell one-liner runs: a command line longer than a path is still
 * read, its quoted stages' shells and downloaders are calls, bash's
 * /dev/tcp redirection is a socket connected and put on stdio, and
 * execl(SHELL, "bash", "-c", CMD) runs CMD as system() would. */
Test(dcam, shell_one_liners_are_predicted_through_their_command_lines)
{
	struct dcam_result *r = analyze_path(fixture("dcam_shell_oneliners"));

	SEQ(r, "clone:process", "execve:shell", "clone:process", "execve:shell", "clone:process",
	    "execve:downloader", "openat:write_tmp", "clone:process", "execve:shell",
	    "clone:process", "execve:shell", "socket:inet", "connect:inet", "dup2:socket");
	cr_expect_str_eq(r->predicted[5].arg, "nc");
	cr_expect_str_eq(r->predicted[6].arg, "/tmp/.f"); /* nc's output, the fifo */
	cr_expect_str_eq(r->predicted[8].arg, "/bin/bash");
	cr_expect_str_eq(r->predicted[12].arg, "/dev/tcp/203.0.113.9/4444");
	dcam_result_free(r);
}

/* What a command line's programs do to files is read from their words:
 * a redirection into authorized_keys, a cron table installed by crontab, a
 * copy made set-user-ID, the shadow file posted by curl, a program run
 * from /tmp; listing the crontab and throwing output away add nothing. */
Test(dcam, a_command_line_s_writes_and_credential_reads_are_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_command_effects"));

	SEQ(r, "clone:process", "execve:shell", "openat:persist", /* >> authorized_keys */
	    "clone:process", "execve:shell",                      /* crontab -l */
	    "clone:process", "execve:shell", "openat:persist",    /* | crontab - */
	    "clone:process", "execve:shell", "openat:write_tmp", "fchmodat:setid",
	    "clone:process", "execve:shell", "clone:process", "execve:downloader", "openat:cred",
	    "clone:process", "execve:shell", "clone:process", "execve");
	cr_expect_str_eq(r->predicted[7].arg, "crontab");
	cr_expect_str_eq(r->predicted[16].arg, "@/etc/shadow");
	cr_expect_str_eq(r->predicted[20].arg, "/tmp/.u");
	dcam_result_free(r);
}

/* Logs emptied or deleted, by calls and by command lines, are predicted
 * as wipes and are findings; a log appended to and a rotated log deleted
 * are ordinary writes and unlinks. */
Test(dcam, wiped_logs_are_predicted_and_found)
{
	struct dcam_result *r = analyze_path(fixture("dcam_log_wipe"));
	size_t evasion = 0;

	SEQ(r, "openat:logwipe", "unlinkat:log", "openat:write", "unlinkat",
	    "clone:process", "execve:shell", "openat:logwipe",   /* > lastlog, not >> syslog */
	    "clone:process", "execve:shell", "unlinkat:log",     /* rm -rf /var/log/<glob> */
	    "openat:logwipe", "unlinkat:log");                   /* shred; ln -sf over a history */
	cr_expect_str_eq(r->predicted[0].arg, "/var/log/wtmp");
	cr_expect_str_eq(r->predicted[9].arg, "/var/log/*");
	cr_expect_str_eq(r->predicted[11].arg, "~/.bash_history");
	for (size_t i = 0; i < r->n_findings; i++)
		evasion += r->findings[i].category == DCAM_CAT_EVASION;
	cr_expect_eq(evasion, 2, "the wtmp emptied and auth.log deleted by calls");
	dcam_result_free(r);
}

/* A stealer's table of targets in the object's data, joined to $HOME at
 * run time: the loaded pointer of the table's first entry goes through the
 * format, so its path is a credential read before the connection's send. */
Test(dcam, a_table_of_targets_is_read_through_its_format)
{
	struct dcam_result *r = analyze_path(fixture("dcam_target_table"));
	size_t cred = r->n_predicted;

	for (size_t i = 0; i < r->n_predicted; i++)
		if (!strcmp(r->predicted[i].token, "openat:cred") && cred == r->n_predicted)
			cred = i;
	cr_assert_lt(cred, r->n_predicted, "no credential read predicted");
	cr_expect_str_eq(r->predicted[cred].arg, "%s/.ssh/id_rsa");
	cr_expect_str_eq(r->predicted[cred - 1].token, "connect:inet");
	cr_expect_str_eq(r->predicted[r->n_predicted - 1].token, "sendto");
	dcam_result_free(r);
}

/* Code the object runs at exit is its code all the same: a destructor
 * (fini_array) and a handler registered with atexit() are predicted after
 * the load-time code, so a payload put off to exit is read at the load. */
Test(dcam, code_run_at_exit_is_predicted)
{
	struct dcam_result *r = analyze_path(FIXTURE_DIR "/libexitpayload.so");
	bool fini = false;

	SEQ(r, "socket:inet", "connect:inet", "openat:cred", "sendto", "openat:write");
	for (size_t i = 0; i < r->n_predicted; i++)
		fini |= !strcmp(r->predicted[i].entry_kind, "fini_array");
	cr_expect(fini, "the destructor is not the entry of the prediction");
	dcam_result_free(r);
}

/* A payload called through a function pointer in the object's data (a
 * slot the loader fills with a RELATIVE relocation) is walked as the
 * object's own code: the reverse shell behind it is predicted. */
Test(dcam, a_call_through_a_pointer_the_loader_fills_is_followed)
{
	struct dcam_result *r = analyze_path(fixture("dcam_fnptr_call"));

	SEQ(r, "socket:inet", "connect:inet", "dup2:socket", "dup2:socket", "execve:shell");
	dcam_result_free(r);
}

/* A helper with more code than an entry's budget (Rust's address
 * parsing and resolution before its connect) does not use up the walk of
 * the calls that follow it, and a pointer kept in a register and called
 * in a loop is followed like one called from memory. */
Test(dcam, a_long_helper_leaves_budget_for_the_payload_called_through_a_register)
{
	struct dcam_result *r = analyze_path(fixture("dcam_deep_helper"));

	dump(r);
	SEQ(r, "socket:inet", "connect:inet");
	cr_expect(r->predicted_truncated, "the helper is longer than the budget");
	dcam_result_free(r);
}

/* What a command line hides behind another program is read: a command
 * in base64 decoded into a shell (its /dev/tcp reverse shell), busybox's
 * applet, the program a wrapper (nice) starts; a base64 literal that
 * decodes to no text adds nothing. */
Test(dcam, commands_behind_base64_busybox_and_wrappers_are_read)
{
	struct dcam_result *r = analyze_path(fixture("dcam_wrapped_commands"));

	SEQ(r, "clone:process", "execve:shell", "clone:process", "execve:shell", "clone:process",
	    "execve:shell", "socket:inet", "connect:inet", "dup2:socket", /* base64 -d | bash */
	    "clone:process", "execve:shell", "clone:process", "execve:downloader", "clone:process",
	    "execve:shell",                                                 /* busybox wget | sh */
	    "clone:process", "execve:shell", "clone:process", "execve",     /* nice /tmp/.u */
	    "clone:process", "execve:shell");
	cr_expect_str_eq(r->predicted[6].arg, "/dev/tcp/203.0.113.9/4444");
	cr_expect_str_eq(r->predicted[18].arg, "/tmp/.u");
	dcam_result_free(r);
}

/* A relay tool told to run a shell on its connection is a reverse shell
 * (nc -e in a command line) or a bind shell (socat listening, EXEC:
 * address, by execl); the same tool probing a port is only the tool. */
Test(dcam, a_relay_tool_running_a_shell_is_predicted_as_a_remote_shell)
{
	struct dcam_result *r = analyze_path(fixture("dcam_relay_shells"));

	SEQ(r, "clone:process", "execve:shell", "clone:process", "execve:downloader",
	    "clone:process", "execve:shell", "clone:process", "execve:downloader", "socket:inet",
	    "connect:inet", "dup2:socket", "execve:shell", "clone:process", "execve:downloader",
	    "bind:inet", "listen", "accept4", "dup2:socket", "execve:shell");
	cr_expect_str_eq(r->predicted[8].arg, "nc");
	cr_expect_str_eq(r->predicted[14].arg, "/usr/bin/socat");
	dcam_result_free(r);
}

/* A transfer through libcurl predicts the connection and exchange it makes
 * inside the library: with the file written before it and made executable
 * after, the whole dropper is read before it runs. */
Test(dcam, a_libcurl_transfer_is_a_connection_and_an_exchange)
{
	struct dcam_result *r = analyze_path(fixture("dcam_curl_fetch"));

	SEQ(r, "openat:write_tmp", "socket:inet", "connect:inet", "sendto", "recvfrom",
	    "fchmodat:exec", "clone:process", "execve");
	cr_expect_str_eq(r->predicted[1].call, "curl_easy_perform");
	dcam_result_free(r);
}

/* An interposing hook is code the application runs at its next call of
 * the function it replaces: a preloaded accept() that hands a connection
 * to a shell is predicted as a bind shell (the call it stands in for, then
 * the hook's own calls, on the original's socket), though nothing of it
 * runs at load time. */
Test(dcam, an_interposing_hook_is_predicted_from_the_call_it_replaces)
{
	struct dcam_result *r = analyze_path(fixture("dcam_accept_backdoor"));

	SEQ(r, "accept4", "clone:process", "dup2:socket", "dup2:socket", "dup2:socket",
	    "execve:shell", "accept4");
	cr_assert_geq(r->n_predicted, 1);
	cr_expect_str_eq(r->predicted[0].entry_kind, "hook");
	cr_expect_str_eq(r->predicted[0].entry, "accept");
	cr_expect_not(r->predicted_from_start);
	dcam_result_free(r);
}

/* An interpreter's inline program (python -c over several lines by execlp,
 * perl -e in a system() command line) is read for a reverse shell's
 * steps: its connection, the socket on stdio, the shell. The fork's parent
 * path is walked first, its child's after. */
Test(dcam, an_interpreter_s_inline_program_is_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_interp_oneliners"));

	SEQ(r, "clone:process", "clone:process", "execve:shell", "socket:inet", "connect:inet",
	    "dup2:socket", "execve:shell", "clone:process", "execve:shell", "execve", "socket:inet",
	    "connect:inet", "dup2:socket", "execve:shell");
	cr_expect_str_eq(r->predicted[9].arg, "python3");
	dcam_result_free(r);
}

/* An executable that is only a payload (no interpreter, a start that
 * calls the kernel first) is predicted from its start; a static program's
 * start hands over to libc, and its main, which _start passes to
 * __libc_start_main, is predicted: a statically linked program loads
 * nothing else to judge before it runs. */
Test(dcam, a_payload_executable_is_predicted_from_its_start_and_a_static_program_from_its_main)
{
	struct dcam_result *r;

	if (access(FIXTURE_DIR "/payload_elf", R_OK))
		cr_skip_test("payload_elf is x86-64 code: not built on this machine");
	r = analyze_path(FIXTURE_DIR "/payload_elf");
	cr_expect(r->predicted_from_start);
	SEQ(r, "openat:write", "socket:inet", "connect:inet", "dup2:socket", "execve:shell");
	cr_assert_eq(r->n_predicted, 5);
	cr_expect_str_eq(r->predicted[0].entry_kind, "e_entry");
	cr_expect_str_eq(r->predicted[4].arg, "/bin/sh");
	dcam_result_free(r);

	if (!access(FIXTURE_DIR "/dcam/dcam_a64_start", R_OK)) { /* built where ld.lld is */
		r = analyze_path(FIXTURE_DIR "/dcam/dcam_a64_start");
		cr_expect(r->predicted_from_start, "aarch64: svc first is not a payload's start");
		SEQ(r, "socket:inet", "connect:inet", "execve");
		dcam_result_free(r);
	}

	/* libc is linked in: its connect (two system call sites, one per
	 * cancellation path in glibc) is walked as the program's own code */
	r = analyze_path(FIXTURE_DIR "/dcam/dcam_static_main");
	cr_expect_not(r->predicted_from_start);
	cr_assert_geq(r->n_predicted, 2);
	cr_expect_str_eq(r->predicted[0].token, "socket:inet");
	cr_expect_str_eq(r->predicted[1].token, "connect:inet");
	cr_expect_str_eq(r->predicted[0].entry_kind, "main");
	dcam_result_free(r);
}

/* A native module has no constructor to predict: its runtime calls its
 * init (PyInit_NAME, luaopen_NAME, JNI_OnLoad, ...) as soon as dlopen
 * returns, as a plugin host calls its plugin's entry (C_GetFunctionList,
 * la_version, ...), and that is what is predicted. A runtime's own library exports
 * dozens of them for its startup, not its dlopen: none is. */
Test(dcam, a_native_module_s_init_is_predicted_and_a_runtime_s_many_inits_are_not)
{
	struct dcam_result *r = analyze_path(FIXTURE_DIR "/dcam/scnmod.so");

	SEQ(r, "openat:write", "socket:inet", "connect:inet", "openat:cred", "sendto");
	cr_expect_str_eq(r->predicted[0].entry, "PyInit_scnmod");
	cr_expect_str_eq(r->predicted[0].entry_kind, "module_init");
	cr_assert_not_null(find(r, "connect"));
	cr_expect_eq(find(r, "connect")->via, DCAM_VIA_INIT, "the init's code is load-time code");
	dcam_result_free(r);

	for (const char *const *n = (const char *const[]){ "napi_register_module_v1",
			"node_register_module_v108", "JNI_OnLoad", "JNI_OnLoad_scn", "luaopen_scn",
			"Init_scn", "boot_Scn__Mod", "C_GetFunctionList", "OSSL_provider_init",
			"bind_engine", "la_version", "gtk_module_init", "g_io_module_load", "gconv_init", NULL };
	     *n; n++) {
		char name[64];

		snprintf(name, sizeof(name), "dcam_init_%s", *n);
		r = analyze_path(fixture(name));
		cr_expect_gt(r->n_predicted, 0, "%s was not predicted", *n);
		if (r->n_predicted)
			cr_expect_str_eq(r->predicted[0].entry, *n);
		dcam_result_free(r);
	}

	r = analyze_path(fixture("dcam_runtime_inits"));
	cr_expect_eq(r->n_predicted, 0, "a runtime's module inits were predicted");
	cr_assert_not_null(find(r, "connect"));
	cr_expect_eq(find(r, "connect")->via, DCAM_VIA_EXPORT);
	dcam_result_free(r);
}

Test(dcam, thread_start_routine_is_walked_after_its_creation)
{
	struct dcam_result *r = analyze_path(fixture("dcam_thread_connect"));

	SEQ(r, "clone:thread", "socket:inet", "connect:inet");
	/* what the thread does runs at load: found from init, not as a bare import */
	cr_expect_eq(find(r, "connect")->via, DCAM_VIA_INIT);
	dcam_result_free(r);
}

Test(dcam, functions_looked_up_with_dlsym_are_calls)
{
	struct dcam_result *r = analyze_path(fixture("dcam_dlsym_connect"));

	SEQ(r, "socket:inet", "connect:inet");
	cr_expect_eq(r->predicted[1].via, DCAM_PRED_DLSYM);
	cr_expect_str_eq(r->predicted[1].call, "connect");
	cr_expect_not_null(find_cat(r, DCAM_CAT_NETWORK, "dlsym(connect)"));
	dcam_result_free(r);
}

Test(dcam, syscall_instructions_with_constant_numbers_are_calls)
{
	struct dcam_result *r = analyze_path(fixture("dcam_raw_connect"));

	SEQ(r, "socket:inet", "connect:inet");
	cr_expect_eq(r->predicted[0].via, DCAM_PRED_SYSCALL);
	cr_expect_not_null(find(r, "syscall 42 (connect)"));
	dcam_result_free(r);
}

Test(dcam, io_uring_setup_through_liburing_and_syscall_is_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_uring"));

	SEQ(r, "io_uring_setup", "io_uring_setup");
	cr_expect_eq(r->predicted[0].via, DCAM_PRED_IMPORT);
	cr_expect_str_eq(r->predicted[0].call, "io_uring_queue_init");
	cr_expect_eq(r->predicted[1].via, DCAM_PRED_SYSCALL);
	cr_expect_not_null(find_cat(r, DCAM_CAT_RAW_SYSCALL, "io_uring_queue_init"));
	/* syscall() steps around libc as the instruction does */
	cr_expect_not_null(find_cat(r, DCAM_CAT_RAW_SYSCALL, "syscall(425) (io_uring_setup)"));
	dcam_result_free(r);
}

Test(dcam, io_uring_operations_are_predicted_as_the_calls_they_stand_for)
{
	struct dcam_result *r = analyze_path(fixture("dcam_uring_ops"));
	const struct dcam_predicted *open;

	/* liburing's prep helpers store the opcode through the entry's
	 * pointer (merged with its zeroed flags); the raw entry is built on
	 * the stack, its path stored before its opcode */
	SEQ(r, "io_uring_setup", "socket:inet", "connect:inet", "sendto", "openat:cred");
	cr_expect_eq(r->predicted[1].via, DCAM_PRED_IO_URING);
	cr_expect_str_eq(r->predicted[1].call, "socket");
	cr_expect_eq(r->predicted[3].via, DCAM_PRED_IO_URING);
	open = &r->predicted[4];
	cr_expect_eq(open->via, DCAM_PRED_IO_URING);
	cr_expect_str_eq(open->arg, "/etc/shadow");
	dcam_result_free(r);
}

/* A constructor that decodes the names it hands dlsym leaves no import and
 * no string naming what it calls (tests/fixtures/libhidden.c): the hiding
 * is the finding. A constant name is the call's own finding instead. */
Test(dcam, dlsym_of_a_name_decoded_at_run_time_is_a_finding)
{
	static const char what[] = "dlsym of a name decoded at run time";
	struct dcam_result *r = analyze_path(FIXTURE_DIR "/libhidden.so");
	const struct dcam_finding *f = find_cat(r, DCAM_CAT_STRUCTURE, what);

	cr_assert_not_null(f);
	cr_expect_eq(f->via, DCAM_VIA_INIT);
	cr_expect_float_eq(f->weight, 0.6, 1e-9);
	dcam_result_free(r);
	r = analyze_path(fixture("dcam_dlsym_connect"));
	cr_expect_null(find_cat(r, DCAM_CAT_STRUCTURE, what));
	dcam_result_free(r);
}

Test(dcam, persistence_write_and_a_downloader_pipeline_are_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_persist_ctor"));

	SEQ(r, "openat:persist", "clone:process", "execve:shell", "clone:process",
	    "execve:downloader", "clone:process", "execve:shell");
	dcam_result_free(r);
}

/* A set-ID mode makes a file run as its owner for whoever starts it: its
 * own token, and a persistence finding, by descriptor or by name. */
Test(dcam, a_set_id_mode_is_its_own_token_and_a_finding)
{
	struct dcam_result *r = analyze_path(fixture("dcam_setuid_copy"));

	SEQ(r, "openat:write_tmp", "fchmod:setid", "fchmodat:setid");
	cr_expect_not_null(find_cat(r, DCAM_CAT_PERSISTENCE, "fchmod(mode 4755)"));
	cr_expect_not_null(find_cat(r, DCAM_CAT_PERSISTENCE, "chmod(mode 2755)"));
	dcam_result_free(r);
}

Test(dcam, paths_built_with_snprintf_are_classed_by_their_format)
{
	struct dcam_result *r = analyze_path(fixture("dcam_built_paths"));

	SEQ(r, "openat:persist", "openat:procmem");
	cr_expect_str_eq(r->predicted[0].arg, "%s/.ssh/authorized_keys");
	cr_expect_str_eq(r->predicted[1].arg, "/proc/%d/mem");
	/* what the arguments say is a finding too, from the constructor */
	cr_expect_not_null(find_cat(r, DCAM_CAT_PERSISTENCE, "open(\"%s/.ssh/authorized_keys\")"));
	cr_expect_not_null(find_cat(r, DCAM_CAT_INJECTION, "open(\"/proc/%d/mem\")"));
	cr_expect_geq(r->score, 0.9, "%.3f", r->score);
	dcam_result_free(r);
}

Test(dcam, a_readdir_hider_is_high_static_risk)
{
	struct dcam_result *r = analyze_path(fixture("dcam_hide_readdir"));
	const struct dcam_finding *f = find_cat(r, DCAM_CAT_INTERPOSITION, "readdir");

	dump(r);
	cr_assert_not_null(f);
	cr_expect(strstr(f->what, "readdir64"), "%s", f->what);
	cr_expect_float_eq(f->weight, 0.9, 1e-9);
	cr_expect_geq(r->score, 0.9);
	dcam_result_free(r);
}

Test(dcam, an_open_hook_that_hides_nothing_is_medium)
{
	struct dcam_result *r = analyze_path(fixture("dcam_hook_open"));
	const struct dcam_finding *f = find_cat(r, DCAM_CAT_INTERPOSITION, "open");

	cr_assert_not_null(f);
	cr_expect_float_eq(f->weight, 0.5, 1e-9);
	cr_expect_lt(r->score, 0.7);
	for (size_t i = 0; i < r->n_predicted; i++)
		cr_expect_not(strstr(r->predicted[i].token, "interpose:"), "%s", r->predicted[i].token);
	dcam_result_free(r);
}

/* Commands that turn security controls off are read from their words:
 * the kernel records an exec's file, not its arguments, so only the
 * prediction can tell "iptables -F" from "iptables -A" (T1562). */
Test(dcam, commands_that_turn_security_controls_off_are_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_impair"));

	dump(r);
	SEQ(r, "clone:process", "execve:shell", "execve:impair", "execve:impair", "execve:impair",
	    "execve:impair", "execve:impair", "clone:process", "execve:shell");
	cr_expect_str_eq(r->predicted[2].arg, "pkill");
	cr_expect_str_eq(r->predicted[5].arg, "systemctl");
	dcam_result_free(r);
}

/* A first stage's look around the host (who it runs as, the kernel, the
 * addresses, the accounts, the set-user-ID programs) is read from its
 * command line, then what it does with the output: sends it. Listing a
 * directory or asking the date is no discovery. */
Test(dcam, discovery_commands_are_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_discovery"));

	dump(r);
	SEQ(r, "clone:process", "execve:shell", "execve:recon", "execve:recon", "execve:recon",
	    "execve:recon", "execve:recon", "socket:inet", "connect:inet", "sendto");
	cr_expect_str_eq(r->predicted[2].arg, "id");
	cr_expect_str_eq(r->predicted[5].arg, "grep");
	dcam_result_free(r);
}

/* What a send carries is read when the walk knows it: a mining pool's
 * protocol is the send of a miner (T1496); a JSON-RPC login with a user
 * and a password is any service's. */
Test(dcam, a_mining_pool_s_protocol_is_predicted_from_what_is_sent)
{
	struct dcam_result *r = analyze_path(fixture("dcam_stratum"));

	dump(r);
	SEQ(r, "clone:thread", "socket:inet", "connect:inet", "sendto:mining", "sendto");
	dcam_result_free(r);
}

/* posix_spawn's file actions dup2 in the child: a socket put on the
 * spawned shell's stdio that way is a reverse shell's plumbing too. */
Test(dcam, a_socket_on_a_spawned_shell_s_stdio_is_predicted)
{
	struct dcam_result *r = analyze_path(fixture("dcam_spawn_shell"));

	dump(r);
	SEQ(r, "socket:inet", "connect:inet", "dup2:socket", "dup2:socket", "dup2:socket",
	    "clone:process", "execve:shell");
	dcam_result_free(r);
}

/* What a hook of a listing or of authentication does is not in its
 * system calls (a process hider reads /proc as ps does): the hook is a
 * token of its own, before the call it stands in for, so the prediction
 * of a preloaded hider or password grabber says what it is. */
Test(dcam, hooks_that_hide_or_see_passwords_are_tokens_of_their_own)
{
	struct dcam_result *r = analyze_path(fixture("dcam_hide_readdir"));

	dump(r);
	SEQ(r, "interpose:hide", "interpose:hide");
	cr_expect_str_eq(r->predicted[0].entry_kind, "hook");
	dcam_result_free(r);

	r = analyze_path(fixture("dcam_pam_hook"));
	dump(r);
	SEQ(r, "interpose:auth", "openat:write_tmp");
	cr_expect_str_eq(r->predicted[0].call, "pam_authenticate");
	cr_expect_not_null(find_cat(r, DCAM_CAT_INTERPOSITION, "pam_authenticate"));
	dcam_result_free(r);
}

Test(dcam, every_predicted_token_is_in_the_vocabulary)
{
	static const char *const names[] = { "dcam_net_ctor", "dcam_exfil_ctor", "dcam_fork_shell",
					     "dcam_thread_connect", "dcam_dlsym_connect",
					     "dcam_raw_connect", "dcam_uring", "dcam_uring_ops",
					     "dcam_persist_ctor", "dcam_accept_backdoor",
					     "dcam_command_effects", "dcam_relay_shells",
					     "dcam_curl_fetch", "dcam_target_table",
					     "dcam_fnptr_call", "dcam_wrapped_commands",
					     "dcam_built_paths", "dcam_shell_oneliners",
					     "dcam_interp_oneliners", "dcam_setuid_copy",
					     "dcam_log_wipe" };
	struct tokens *t;

	cr_assert_eq(tokens_load_default(&t), 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct dcam_result *r = analyze_path(fixture(names[i]));

		cr_expect_gt(r->n_predicted, 0, "%s", names[i]);
		for (size_t k = 0; k < r->n_predicted; k++) {
			int id = tokens_find(t, r->predicted[k].token);

			cr_expect(id >= 0 && tokens_listed(t, (token_id)id), "%s: %s", names[i],
				  r->predicted[k].token);
		}
		dcam_result_free(r);
	}
	tokens_free(t);
}

Test(dcam, libraries_without_load_time_behaviour_predict_nothing)
{
	static const char *const names[] = { "dcam_benign", "dcam_crypto" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct dcam_result *r = analyze_path(fixture(names[i]));

		cr_expect_eq(r->n_predicted, 0, "%s", names[i]);
		dcam_result_free(r);
	}
}

/* Peak RSS of a child that analyses fd, in KiB. */
static long child_rss_kib(int fd)
{
	struct rusage ru;
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (!pid) {
		struct dcam_result *r;
		char err[256];
		int ret = dcam_analyze_fd(NULL, fd, "rss", &r, err, sizeof(err));

		_exit(ret ? 1 : r->n_findings ? 0 : 2);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "analysis in the child failed (%d)", st);
	cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	return ru.ru_maxrss;
}

/* A file claiming 4 M section headers (256 MiB, sparse) once took the
 * agent past a gigabyte; whatever a file claims, memory stays bounded. */
Test(dcam, memory_stays_bounded_for_4m_section_headers, .timeout = 120)
{
	char *buf, tmpl[] = "/tmp/bpfprof-dcam-shdr-XXXXXX";
	uint64_t n = 4u << 20, shoff;
	Elf64_Shdr sh0 = { .sh_size = n };
	struct dcam_result *r;
	Elf64_Ehdr *eh;
	size_t len;
	long kib;
	int fd;

	read_fixture("dcam_net_ctor", &buf, &len);
	shoff = (len + 63) & ~63ull;
	eh = (Elf64_Ehdr *)buf;
	eh->e_shoff = shoff;
	eh->e_shnum = 0; /* extended numbering: the count is in entry 0 */
	eh->e_shstrndx = 0;
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	unlink(tmpl);
	cr_assert_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	cr_assert_eq(pwrite(fd, &sh0, sizeof(sh0), (off_t)shoff), (ssize_t)sizeof(sh0));
	cr_assert_eq(ftruncate(fd, (off_t)(shoff + n * sizeof(Elf64_Shdr))), 0);
	kib = child_rss_kib(fd);
	cr_log_info("peak RSS analysing 4 M section headers: %ld KiB", kib);
	cr_expect_leq(kib, 64 * 1024, "peak RSS %ld KiB is over 64 MiB", kib);
	cr_assert_eq(dcam_analyze_fd(NULL, fd, tmpl, &r, (char[256]){ 0 }, 256), 0);
	cr_expect_not_null(find_cat(r, DCAM_CAT_STRUCTURE, "huge section header table"));
	SEQ(r, "socket:inet", "connect:inet");
	dcam_result_free(r);
	close(fd);
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
 * splats, truncation) for a bounded time; every run must end with a result
 * (what is wrong is a finding). */
Test(dcam, mutated_fixtures_never_crash_or_hang, .timeout = 60)
{
	static const char *const names[] = { "dcam_net_ctor", "dcam_raw_syscall", "dcam_crypto",
					     "dcam_wx_segment", "dcam_fork_shell", "dcam_hide_readdir",
					     "dcam_persist_ctor" };
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
	cr_expect_eq(ok, runs, "a mutated file was an error, not a result");
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
