/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM analysis: the driver. The file is hashed as a stream and read in
 * bounded chunks (dcam_src.c), never held whole: memory is bounded
 * whatever the file claims. The structure (dcam_elf.c), the walk
 * (dcam_walk.c, dcam_predict.c), interposition (dcam_interpose.c) and the
 * scans (dcam_scan.c) add findings and the predicted sequence; the score
 * combines the findings' weights per category. An object that cannot be
 * analysed is a result with a structure finding: only I/O fails. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "lib/log.h"
#include "lib/util.h"

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
					 "crypto", "raw_syscall", "structure", "interposition",
					 "persistence", "evasion" };
	return (unsigned)c < ARRAY_SIZE(n) ? n[c] : "?";
}

const char *dcam_via_name(enum dcam_via v)
{
	static const char *const n[] = { "init", "export", "import", "data", "file" };
	return (unsigned)v < ARRAY_SIZE(n) ? n[v] : "?";
}

const char *dcam_pred_via_name(enum dcam_pred_via v)
{
	static const char *const n[] = { "import", "dlsym", "syscall", "io_uring" };
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

/* Below this much code the exports cost less to walk (about a
 * millisecond at most) than to queue and judge again: read whole. */
#define LOAD_TIME_WHOLE_BELOW (16u << 10)

static void an_free(struct an *a)
{
	free(a->segs);
	free(a->syms);
	free(a->dynstr);
	free(a->reached);
	free(a->slots);
	free(a->arr_relocs);
	free(a->ptr_relocs);
	free(a->names);
	free(a->symstr);
	free(a->vkey);
	free(a->vgen);
	free(a->stack);
	free(a->memo);
	for (size_t i = 0; i < a->n_next; i++)
		free(a->next_names[i]);
	free(a->next_names);
}

/* Analyse what src holds. Returns 0 and *out, or a negative errno for
 * memory or I/O (src->err). */
static int analyze_src(struct dcam_src *src, const uint8_t sha[FILEHASH_LEN], bool code_only,
		       bool load_time_only, struct dcam_result **out)
{
	struct an a = { .src = src, .size = src->size, .load_time_only = load_time_only };
	struct dcam_result *r = calloc(1, sizeof(*r));
	bool decoded;

	if (!r)
		return -ENOMEM;
	r->refs = 1;
	r->size = src->size;
	r->arch = "other";
	memcpy(r->sha256, sha, FILEHASH_LEN);
	filehash_hex(sha, r->sha256_hex);
	a.res = r;
	if (!code_only && dcam_elf_load(&a)) {
		if (dcam_code_bytes(&a) < LOAD_TIME_WHOLE_BELOW)
			a.load_time_only = false;
		r->arch = arch_name(a.machine);
		dcam_elf_sections(&a);
		decoded = (a.machine == EM_X86_64 || a.machine == EM_AARCH64) && a.is64 && a.le;
		if (!decoded)
			dcam_add_finding(&a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_MACHINE,
					 "code of machine %u (%s, %s-endian) not decoded: imports only",
					 a.machine, a.is64 ? "ELF64" : "ELF32", a.le ? "little" : "big");
		dcam_walk_all(&a);
		if (a.nsyms)
			dcam_walk_unreached_imports(&a);
		dcam_interpose_check(&a);
		if (!a.load_time_only)
			dcam_scan_constants(&a);
		dcam_scan_packer(&a);
		r->partial = a.load_time_only;
	} else if (code_only ? dcam_code_setup(&a) : dcam_flat_load(&a)) {
		/* a blob mapped as code, or memory made executable (never ELF,
		 * so not a finding): what it calls, from its first byte */
		r->arch = arch_name(a.machine);
		dcam_walk_all(&a);
	}
	r->insns = a.insns;
	score(r);
	an_free(&a);
	if (src->err) {
		int ret = src->err;

		dcam_result_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

static int analyze_buf(struct dcam_cache *cache, const void *buf, size_t len, bool code_only,
		       struct dcam_result **out, char *err, size_t errlen)
{
	uint8_t sha[FILEHASH_LEN];
	struct dcam_src src;
	int ret;

	ret = filehash_sha256_mem(buf, len, sha);
	if (ret)
		return dcam_fail(err, errlen, ret, "sha256: %s", strerror(-ret));
	if (cache && (*out = dcam_cache_get(cache, sha)))
		return 0;
	dcam_src_init_mem(&src, buf, len);
	ret = analyze_src(&src, sha, code_only, false, out);
	dcam_src_fini(&src);
	if (ret)
		return dcam_fail(err, errlen, ret, "%s", strerror(-ret));
	if (cache)
		dcam_cache_put(cache, *out);
	return 0;
}

int dcam_analyze_mem(const void *buf, size_t len, struct dcam_result **out, char *err,
		     size_t errlen)
{
	return analyze_buf(NULL, buf, len, false, out, err, errlen);
}

int dcam_analyze_code(struct dcam_cache *cache, const void *buf, size_t len,
		      struct dcam_result **out, char *err, size_t errlen)
{
	return analyze_buf(cache, buf, len, true, out, err, errlen);
}

static bool same_file(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino && x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec &&
	       x->st_ctim.tv_sec == y->st_ctim.tv_sec && x->st_ctim.tv_nsec == y->st_ctim.tv_nsec;
}

static bool unchanged(int fd, const struct stat *st)
{
	struct stat now;

	return !fstat(fd, &now) && same_file(st, &now);
}

/* A cached result that answers the request (a reference), or NULL. */
static struct dcam_result *cached(struct dcam_cache *cache, const uint8_t sha[FILEHASH_LEN],
				  bool load_time_only)
{
	struct dcam_result *r = dcam_cache_get(cache, sha);

	if (r && r->partial && !load_time_only) {
		dcam_result_free(r);
		return NULL;
	}
	return r;
}

/* One attempt: hash, look up, analyse. *changed when the file was
 * modified meanwhile (its digest and bytes may not match). */
static int analyze_fd_once(struct dcam_cache *cache, int fd, const struct stat *st,
			   bool load_time_only, struct dcam_result **out, bool *changed,
			   char *err, size_t errlen)
{
	uint8_t sha[FILEHASH_LEN];
	/* an unchanged file seen before is not hashed again */
	bool have_sha = cache && !dcam_cache_file_sha(cache, st, sha);
	struct dcam_src src;
	int ret;

	*changed = false;
	if (have_sha && (*out = cached(cache, sha, load_time_only)))
		return 0; /* nor read */
	if (!have_sha) {
		ret = filehash_sha256_fd(fd, sha);
		if (ret)
			return dcam_fail(err, errlen, ret, "read: %s", strerror(-ret));
		if (!unchanged(fd, st)) {
			*changed = true;
			return dcam_fail(err, errlen, -EAGAIN, "the file changed while it was read");
		}
		if (cache) {
			dcam_cache_note_file(cache, st, sha);
			if ((*out = cached(cache, sha, load_time_only)))
				return 0;
		}
	}
	dcam_src_init_fd(&src, fd, (uint64_t)st->st_size);
	ret = analyze_src(&src, sha, false, load_time_only, out);
	dcam_src_fini(&src);
	if (ret)
		return dcam_fail(err, errlen, ret, "read: %s", strerror(-ret));
	if (!unchanged(fd, st)) {
		*changed = true;
		dcam_result_free(*out);
		*out = NULL;
		return dcam_fail(err, errlen, -EAGAIN, "the file changed while it was read");
	}
	if (cache)
		dcam_cache_put(cache, *out);
	return 0;
}

static int analyze_fd(struct dcam_cache *cache, int fd, const char *display_path,
		      bool load_time_only, struct dcam_result **out, char *err, size_t errlen)
{
	struct stat st;
	bool changed = true;
	int ret = -EAGAIN;

	for (int attempt = 0; attempt < 3 && changed; attempt++) {
		if (fstat(fd, &st))
			return dcam_fail(err, errlen, -errno, "fstat: %s", strerror(errno));
		if (!S_ISREG(st.st_mode))
			return dcam_fail(err, errlen, -EINVAL, "not a regular file");
		ret = analyze_fd_once(cache, fd, &st, load_time_only, out, &changed, err, errlen);
	}
	if (ret)
		return ret;
	log_debug("dcam: %s: score %.3f, %zu findings, %zu predicted, %llu instructions%s%s",
		  display_path ? display_path : "(fd)", (*out)->score, (*out)->n_findings,
		  (*out)->n_predicted, (unsigned long long)(*out)->insns,
		  (*out)->truncated ? " (bounded)" : "", (*out)->partial ? " (load time only)" : "");
	return 0;
}

int dcam_analyze_fd(struct dcam_cache *cache, int fd, const char *display_path,
		    struct dcam_result **out, char *err, size_t errlen)
{
	return analyze_fd(cache, fd, display_path, false, out, err, errlen);
}

int dcam_analyze_fd_load_time(struct dcam_cache *cache, int fd, const char *display_path,
			      struct dcam_result **out, char *err, size_t errlen)
{
	return analyze_fd(cache, fd, display_path, true, out, err, errlen);
}

void dcam_result_free(struct dcam_result *r)
{
	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(r->findings);
	free(r->predicted);
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
	json_t *pred = json_object(), *seq = json_array();

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
	for (size_t i = 0; i < r->n_predicted; i++) {
		const struct dcam_predicted *p = &r->predicted[i];
		json_t *j = json_object(), *where = json_object();

		json_object_set_new(j, "token", json_string(p->token));
		json_object_set_new(j, "via", json_string(dcam_pred_via_name(p->via)));
		json_object_set_new(j, "call", json_string(p->call));
		if (p->arg[0])
			json_object_set_new(j, "arg", json_string(p->arg));
		json_object_set_new(where, "entry", json_string(p->entry));
		json_object_set_new(where, "entry_kind", json_string(p->entry_kind));
		json_object_set_new(where, "entry_addr", hex_addr(p->entry_addr));
		json_object_set_new(where, "addr", hex_addr(p->addr));
		json_object_set_new(j, "where", where);
		json_array_append_new(seq, j);
	}
	json_object_set_new(pred, "sequence", seq);
	json_object_set_new(pred, "truncated", json_boolean(r->predicted_truncated));
	json_object_set_new(pred, "from_start", json_boolean(r->predicted_from_start));
	json_object_set_new(stats, "entries", json_integer(r->n_entries));
	json_object_set_new(stats, "instructions", json_integer((json_int_t)r->insns));
	json_object_set_new(stats, "truncated", json_boolean(r->truncated));
	if (r->partial)
		json_object_set_new(stats, "load_time_only", json_true());
	json_object_set_new(o, "score", json_real(r->score));
	json_object_set_new(o, "arch", json_string(r->arch ? r->arch : "other"));
	json_object_set_new(o, "findings", fs);
	json_object_set_new(o, "predicted", pred);
	json_object_set_new(o, "stats", stats);
	return o;
}


size_t dcam_result_predicted(const struct dcam_result *r, const char **tokens, size_t max)
{
	for (size_t i = 0; i < r->n_predicted && i < max; i++)
		tokens[i] = r->predicted[i].token;
	return r->n_predicted;
}
