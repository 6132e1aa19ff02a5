/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM analysis: the driver. The file is copied with pread, not mmap'd,
 * so a concurrent truncation cannot SIGBUS us; the structure (dcam_elf.c),
 * the walk (dcam_walk.c) and the scans (dcam_scan.c) add findings, and the
 * score combines their weights per category. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "lib/log.h"
#include "lib/util.h"

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static void elf_init(void) { elf_version(EV_CURRENT); }

int dcam_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

const char *dcam_category_name(enum dcam_category c)
{
	static const char *const n[] = { "network", "process", "memory", "injection",
					 "crypto", "raw_syscall", "structure" };
	return (unsigned)c < ARRAY_SIZE(n) ? n[c] : "?";
}

const char *dcam_via_name(enum dcam_via v)
{
	static const char *const n[] = { "init", "export", "import", "data", "file" };
	return (unsigned)v < ARRAY_SIZE(n) ? n[v] : "?";
}

bool dcam_grow(void *vp, size_t *cap, size_t n, size_t elem)
{
	void **v = vp, *p;
	size_t nc;

	if (n < *cap)
		return true;
	nc = *cap ? *cap * 2 : 64;
	p = realloc(*v, nc * elem);
	if (!p)
		return false;
	*v = p;
	*cap = nc;
	return true;
}

void dcam_add_finding(struct an *a, enum dcam_category cat, enum dcam_via via,
			     const struct entry *e, uint64_t addr, double weight,
			     const char *fmt, ...)
{
	struct dcam_result *r = a->res;
	char what[DCAM_WHAT_LEN];
	struct dcam_finding *f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* one finding per thing: the first path to it (init entries go first) */
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].category == cat && !strcmp(r->findings[i].what, what))
			return;
	if (r->n_findings >= LIM_FINDINGS) {
		r->truncated = true;
		return;
	}
	if (!dcam_grow(&r->findings, &a->capf, r->n_findings, sizeof(*f)))
		return;
	f = &r->findings[r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->category = cat;
	f->via = via;
	memcpy(f->what, what, sizeof(what));
	if (e) {
		snprintf(f->entry, sizeof(f->entry), "%s", e->name);
		f->entry_kind = e->kind;
		f->entry_addr = e->addr;
	}
	f->addr = addr;
	f->weight = weight;
}

double dcam_via_factor(enum dcam_via via)
{
	return via == DCAM_VIA_INIT ? DCAM_F_INIT : via == DCAM_VIA_EXPORT ? DCAM_F_EXPORT
	       : via == DCAM_VIA_IMPORT ? DCAM_F_IMPORT : 1.0;
}

static void score(struct dcam_result *r)
{
	double maxw[DCAM_CAT_COUNT] = { 0 }, keep = 1;

	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].weight > maxw[r->findings[i].category])
			maxw[r->findings[i].category] = r->findings[i].weight;
	for (int c = 0; c < DCAM_CAT_COUNT; c++)
		keep *= 1 - maxw[c];
	r->score = round((1 - keep) * 1000) / 1000;
}

static const char *arch_name(unsigned machine)
{
	return machine == EM_X86_64 ? "x86_64" : machine == EM_AARCH64 ? "aarch64" : "other";
}

static void an_free(struct an *a)
{
	if (a->elf)
		elf_end(a->elf);
	free(a->segs);
	free(a->reached);
	free(a->slots);
	free(a->arr_relocs);
	free(a->names);
	free(a->visited);
	free(a->stack);
}

/* img must be writable (libelf may convert in place) and stay alive. */
static int analyze_image(uint8_t *img, size_t len, const uint8_t sha[FILEHASH_LEN],
			 struct dcam_result **out, char *err, size_t errlen)
{
	struct an a = { .img = img, .size = len };
	struct dcam_result *r;
	GElf_Ehdr eh;
	int ret;

	if (!len)
		return dcam_fail(err, errlen, -ENOEXEC, "empty file (0 bytes)");
	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return dcam_fail(err, errlen, -ENOEXEC, "not an ELF file");
	if (len < (img[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr)))
		return dcam_fail(err, errlen, -ENOEXEC, "truncated ELF header (%zu bytes)", len);
	pthread_once(&elf_once, elf_init);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->refs = 1;
	r->size = len;
	memcpy(r->sha256, sha, FILEHASH_LEN);
	filehash_hex(sha, r->sha256_hex);
	a.res = r;
	a.elf = elf_memory((char *)img, len);
	if (!a.elf || elf_kind(a.elf) != ELF_K_ELF || !gelf_getehdr(a.elf, &eh)) {
		ret = dcam_fail(err, errlen, -ENOEXEC, "corrupt or truncated ELF (libelf: %s)",
				elf_errmsg(-1));
		goto out;
	}
	a.machine = eh.e_machine;
	a.etype = eh.e_type;
	r->arch = arch_name(a.machine);
	if (eh.e_type != ET_DYN && eh.e_type != ET_EXEC) {
		ret = dcam_fail(err, errlen, -ENOEXEC, "ELF type %u is not a loadable object",
				(unsigned)eh.e_type);
		goto out;
	}
	if (eh.e_shoff && (eh.e_shoff > len || (uint64_t)eh.e_shnum * eh.e_shentsize > len - eh.e_shoff)) {
		ret = dcam_fail(err, errlen, -ENOEXEC,
				"truncated or corrupt: section header table (0x%" PRIx64 ", %u entries) "
				"ends past the end of the file (%zu bytes)",
				(uint64_t)eh.e_shoff, (unsigned)eh.e_shnum, len);
		goto out;
	}
	ret = dcam_elf_load(&a, &eh, err, errlen);
	if (ret)
		goto out;
	dcam_walk_all(&a, &eh);
	if (a.nsyms)
		dcam_walk_unreached_imports(&a);
	dcam_scan_constants(&a);
	dcam_scan_packer(&a);
	r->insns = a.insns;
	score(r);
out:
	an_free(&a);
	if (ret) {
		dcam_result_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int dcam_analyze_mem(const void *buf, size_t len, struct dcam_result **out, char *err,
		     size_t errlen)
{
	uint8_t sha[FILEHASH_LEN];
	uint8_t *copy;
	int ret;

	if (len > DCAM_MAX_FILE)
		return dcam_fail(err, errlen, -EFBIG, "file larger than %llu MiB", DCAM_MAX_FILE >> 20);
	ret = filehash_sha256_mem(buf, len, sha);
	if (ret)
		return dcam_fail(err, errlen, ret, "sha256: %s", strerror(-ret));
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	ret = analyze_image(copy, len, sha, out, err, errlen);
	free(copy);
	return ret;
}

static int read_fd(int fd, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0, cap;
	uint8_t *b;

	if (fstat(fd, &st))
		return dcam_fail(err, errlen, -errno, "fstat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dcam_fail(err, errlen, -ENOEXEC, "not a regular file");
	if ((uint64_t)st.st_size > DCAM_MAX_FILE)
		return dcam_fail(err, errlen, -EFBIG, "file larger than %llu MiB", DCAM_MAX_FILE >> 20);
	cap = (size_t)st.st_size;
	b = malloc(cap ? cap : 1);
	if (!b)
		return -ENOMEM;
	/* a file that shrinks under us is analysed as read; one that grows is cut */
	while (n < cap) {
		ssize_t r = pread(fd, b + n, cap - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			return dcam_fail(err, errlen, -e, "read: %s", strerror(e));
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

int dcam_analyze_fd(struct dcam_cache *cache, int fd, const char *display_path,
		    struct dcam_result **out, char *err, size_t errlen)
{
	uint8_t sha[FILEHASH_LEN], *buf = NULL;
	char why[256] = "";
	size_t len = 0;
	struct stat st;
	bool known = cache && !fstat(fd, &st) && S_ISREG(st.st_mode);
	/* an unchanged file seen before is not hashed again */
	bool have_sha = known && !dcam_cache_file_sha(cache, &st, sha);
	int ret;

	if (have_sha && (*out = dcam_cache_get(cache, sha)))
		return 0; /* nor read */
	ret = read_fd(fd, &buf, &len, err, errlen);
	if (ret)
		return ret;
	if (!have_sha) {
		ret = filehash_sha256_mem(buf, len, sha);
		if (ret) {
			free(buf);
			return dcam_fail(err, errlen, ret, "sha256 failed");
		}
		if (known)
			dcam_cache_note_file(cache, &st, sha);
		if (cache && (*out = dcam_cache_get(cache, sha))) {
			free(buf);
			return 0;
		}
	}
	ret = analyze_image(buf, len, sha, out, why, sizeof(why));
	free(buf);
	if (ret)
		return dcam_fail(err, errlen, ret, "%s", why[0] ? why : strerror(-ret));
	if (cache)
		dcam_cache_put(cache, *out);
	log_debug("dcam: %s: score %.3f, %zu findings, %llu instructions%s",
		  display_path ? display_path : "(fd)", (*out)->score, (*out)->n_findings,
		  (unsigned long long)(*out)->insns, (*out)->truncated ? " (bounded)" : "");
	return 0;
}

void dcam_result_free(struct dcam_result *r)
{
	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(r->findings);
	free(r);
}

static json_t *hex_addr(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

json_t *dcam_result_to_json(const struct dcam_result *r)
{
	json_t *o = json_object(), *fs = json_array(), *stats = json_object();

	for (size_t i = 0; i < r->n_findings; i++) {
		const struct dcam_finding *f = &r->findings[i];
		json_t *j = json_object(), *where = json_object();

		json_object_set_new(j, "category", json_string(dcam_category_name(f->category)));
		json_object_set_new(j, "what", json_string(f->what));
		if (f->entry_kind) {
			json_object_set_new(where, "entry", json_string(f->entry));
			json_object_set_new(where, "entry_kind", json_string(f->entry_kind));
			json_object_set_new(where, "entry_addr", hex_addr(f->entry_addr));
		}
		if (f->addr || f->entry_kind)
			json_object_set_new(where, "addr", hex_addr(f->addr));
		json_object_set_new(j, "where", where);
		json_object_set_new(j, "via", json_string(dcam_via_name(f->via)));
		json_object_set_new(j, "weight", json_real(round(f->weight * 1000) / 1000));
		json_array_append_new(fs, j);
	}
	json_object_set_new(stats, "entries", json_integer(r->n_entries));
	json_object_set_new(stats, "instructions", json_integer((json_int_t)r->insns));
	json_object_set_new(stats, "truncated", json_boolean(r->truncated));
	json_object_set_new(o, "score", json_real(r->score));
	json_object_set_new(o, "arch", json_string(r->arch ? r->arch : "other"));
	json_object_set_new(o, "findings", fs);
	json_object_set_new(o, "stats", stats);
	return o;
}

