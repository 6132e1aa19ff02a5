/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM analysis: libelf reads the structure (program headers first: they are
 * what the loader trusts), Capstone decodes only code reachable from the
 * entry points, under fixed bounds (instructions, depth, findings). Branch
 * targets come from op_str, not Capstone's slow detail mode. The file is
 * copied with pread, not mmap'd, so a concurrent truncation cannot SIGBUS us. */
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
#include <capstone/capstone.h>
#include <gelf.h>
#include <libelf.h>
#include "analysis/dcam.h"
#include "analysis/dcam_rules.h"
#include "lib/log.h"
#include "lib/util.h"

#define DCAM_MAX_FILE (512ull << 20)
#define LIM_INSNS_ENTRY 4096
#define LIM_INSNS_TOTAL 65536
#define LIM_DEPTH 6
#define LIM_ENTRIES 65536
#define LIM_FINDINGS 256
#define LIM_BLOCK_BYTES 65536
#define LIM_SYMS (1u << 20)
#define LIM_ARRAY 4096 /* init array slots */
#define LIM_SEGMENTS 256
#define PROT_EXEC_BIT 4

struct seg {
	uint64_t vaddr, memsz, off, filesz;
	uint32_t flags;
};

struct slot {
	uint64_t addr; /* GOT or init-array slot */
	uint64_t val;  /* GOT: dynsym index; init array: target */
};

struct fname {
	uint64_t addr;
	const char *name;
};

struct entry {
	uint64_t addr;
	const char *kind; /* "DT_INIT", "init_array", ... */
	enum dcam_via via;
	char name[DCAM_ENTRY_LEN];
};

enum { RK_UNKNOWN, RK_CONST, RK_IMPORT };
struct regs {
	uint8_t kind[32];
	uint64_t val[32];
};

struct work {
	uint64_t addr;
	int depth;
};

struct an {
	const uint8_t *img;
	size_t size;
	Elf *elf;
	unsigned machine;
	uint16_t etype;
	struct seg *segs;
	size_t nsegs;
	bool has_interp;
	uint64_t dyn_off, dyn_sz;
	bool has_dynamic;
	/* from the dynamic segment (virtual addresses) */
	uint64_t dt_init, init_arr, init_arrsz, preinit_arr, preinit_arrsz;
	uint64_t symtab, strtab, strsz, jmprel, pltrelsz, rela, relasz, hash, gnu_hash;
	bool textrel;
	/* dynamic symbols */
	Elf_Data *dynsym;
	size_t nsyms, sh_dynsym_count;
	const char *dynstr;
	size_t dynstr_len;
	uint8_t *reached; /* per dynsym: an analysed path called it */
	struct slot *slots;
	size_t nslots, capslots;
	struct slot *arr_relocs; /* RELATIVE relocs of init-array slots */
	size_t narr, caparr;
	struct fname *names;
	size_t nnames, capnames;
	/* walk */
	csh cs;
	bool cs_open;
	uint64_t *visited;
	size_t visited_cap, visited_n;
	struct work *stack;
	size_t nstack, capstack;
	uint64_t insns;
	/* output */
	struct dcam_result *res;
	size_t capf;
};

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static void elf_init(void) { elf_version(EV_CURRENT); }

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
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

/* Room for one more element in the array *vp holding n of *cap. */
static bool grow(void *vp, size_t *cap, size_t n, size_t elem)
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

/* --- findings ------------------------------------------------------------ */

static void add_finding(struct an *a, enum dcam_category cat, enum dcam_via via,
			const struct entry *e, uint64_t addr, double weight,
			const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void add_finding(struct an *a, enum dcam_category cat, enum dcam_via via,
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
	if (!grow(&r->findings, &a->capf, r->n_findings, sizeof(*f)))
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

static double via_factor(enum dcam_via via)
{
	return via == DCAM_VIA_INIT ? DCAM_F_INIT : via == DCAM_VIA_EXPORT ? DCAM_F_EXPORT
	       : via == DCAM_VIA_IMPORT ? DCAM_F_IMPORT : 1.0;
}

/* --- addresses ----------------------------------------------------------- */

/* Bytes at virtual address va inside a segment's file image (executable
 * segments only when exec); *avail is how many follow. */
static const uint8_t *va_ptr(const struct an *a, uint64_t va, size_t *avail, bool exec)
{
	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];

		if (exec && !(s->flags & PF_X))
			continue;
		if (va >= s->vaddr && va - s->vaddr < s->filesz) {
			*avail = s->filesz - (va - s->vaddr);
			return a->img + s->off + (va - s->vaddr);
		}
	}
	return NULL;
}

static bool va_to_off(const struct an *a, uint64_t va, uint64_t *off)
{
	size_t avail;
	const uint8_t *p = va_ptr(a, va, &avail, false);

	if (!p)
		return false;
	*off = (uint64_t)(p - a->img);
	return true;
}

static bool off_to_va(const struct an *a, uint64_t off, uint64_t *va)
{
	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];

		if (off >= s->off && off - s->off < s->filesz) {
			*va = s->vaddr + (off - s->off);
			return true;
		}
	}
	return false;
}

/* --- symbols ------------------------------------------------------------- */

static const char *dynstr_at(const struct an *a, uint64_t idx)
{
	const char *s;

	if (!a->dynstr || idx >= a->dynstr_len)
		return NULL;
	s = a->dynstr + idx;
	if (!memchr(s, '\0', a->dynstr_len - idx))
		return NULL;
	return s;
}

static const char *sym_name(const struct an *a, uint32_t idx)
{
	GElf_Sym sym;
	const char *s;

	if (idx >= a->nsyms || !gelf_getsym(a->dynsym, (int)idx, &sym))
		return NULL;
	s = dynstr_at(a, sym.st_name);
	return s && *s ? s : NULL;
}

static int cmp_slot(const void *x, const void *y)
{
	const struct slot *p = x, *q = y;

	return p->addr < q->addr ? -1 : p->addr > q->addr;
}

static int cmp_fname(const void *x, const void *y)
{
	const struct fname *p = x, *q = y;

	return p->addr < q->addr ? -1 : p->addr > q->addr;
}

static const struct slot *find_slot(const struct slot *v, size_t n, uint64_t addr)
{
	struct slot key = { .addr = addr };

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_slot) : NULL;
}

static void add_name(struct an *a, uint64_t addr, const char *name)
{
	if (!name || !*name || a->nnames >= LIM_SYMS)
		return;
	if (!grow(&a->names, &a->capnames, a->nnames, sizeof(*a->names)))
		return;
	a->names[a->nnames++] = (struct fname){ addr, name };
}

static const char *name_at(const struct an *a, uint64_t addr)
{
	struct fname key = { .addr = addr }, *f;

	if (!a->nnames)
		return NULL;
	f = bsearch(&key, a->names, a->nnames, sizeof(key), cmp_fname);
	return f ? f->name : NULL;
}

/* --- structure ----------------------------------------------------------- */

static int load_segments(struct an *a, char *err, size_t errlen)
{
	size_t phnum;

	if (elf_getphdrnum(a->elf, &phnum))
		return fail(err, errlen, -ENOEXEC, "corrupt program header table (%s)",
			    elf_errmsg(-1));
	if (!phnum)
		return fail(err, errlen, -ENOEXEC, "no program headers: not a loadable object");
	if (phnum > 65535)
		return fail(err, errlen, -ENOEXEC, "%zu program headers: corrupt", phnum);
	a->segs = calloc(phnum, sizeof(*a->segs));
	if (!a->segs)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(a->elf, (int)i, &ph))
			return fail(err, errlen, -ENOEXEC,
				    "program header %zu is truncated or corrupt", i);
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_DYNAMIC) &&
		    (ph.p_offset > a->size || ph.p_filesz > a->size - ph.p_offset))
			return fail(err, errlen, -ENOEXEC,
				    "truncated: segment %zu (offset 0x%" PRIx64 ", 0x%" PRIx64
				    " bytes) ends past the end of the file (%zu bytes)",
				    i, (uint64_t)ph.p_offset, (uint64_t)ph.p_filesz, a->size);
		switch (ph.p_type) {
		case PT_LOAD:
			/* real objects have a handful; many would make lookups slow */
			if (a->nsegs == LIM_SEGMENTS)
				return fail(err, errlen, -ENOEXEC,
					    "more than %d loadable segments: corrupt", LIM_SEGMENTS);
			a->segs[a->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset,
							    ph.p_filesz, ph.p_flags };
			if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
				add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, ph.p_vaddr,
					    DCAM_W_WX_SEGMENT,
					    "writable and executable segment at 0x%" PRIx64,
					    (uint64_t)ph.p_vaddr);
			break;
		case PT_DYNAMIC:
			a->has_dynamic = true;
			a->dyn_off = ph.p_offset;
			a->dyn_sz = ph.p_filesz;
			break;
		case PT_INTERP:
			a->has_interp = true;
			break;
		case PT_GNU_STACK:
			if (ph.p_flags & PF_X)
				add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0,
					    DCAM_W_EXEC_STACK, "executable stack (PT_GNU_STACK)");
			break;
		}
	}
	if (!a->nsegs)
		return fail(err, errlen, -ENOEXEC, "no loadable segments");
	return 0;
}

static bool upx_name(const char *n)
{
	return n && (!strncmp(n, "UPX", 3) || !strncmp(n, ".upx", 4));
}

/* Section headers are optional to the loader and easy to forge: we use them
 * only for names (symtab), packer signs and the dynsym count. */
static void load_sections(struct an *a, const GElf_Ehdr *eh)
{
	size_t shnum = 0, shstrndx = 0, n = 0;
	Elf_Scn *scn = NULL;

	if (!eh->e_shoff || elf_getshdrnum(a->elf, &shnum) || !shnum) {
		add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_NO_SECTIONS,
			    "no section headers");
		return;
	}
	if (elf_getshdrstrndx(a->elf, &shstrndx))
		shstrndx = 0;
	while ((scn = elf_nextscn(a->elf, scn)) && n++ < 65536) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = shstrndx ? elf_strptr(a->elf, shstrndx, sh.sh_name) : NULL;
		if (upx_name(name))
			add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, sh.sh_addr,
				    DCAM_W_PACKER, "packer section %s", name);
		if (sh.sh_type == SHT_DYNSYM && sh.sh_entsize)
			a->sh_dynsym_count = sh.sh_size / sh.sh_entsize;
		if (sh.sh_type == SHT_SYMTAB && sh.sh_entsize &&
		    sh.sh_offset <= a->size && sh.sh_size <= a->size - sh.sh_offset) {
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t cnt = sh.sh_size / sh.sh_entsize;

			for (size_t i = 0; d && i < cnt && i < LIM_SYMS; i++) {
				GElf_Sym s;

				if (!gelf_getsym(d, (int)i, &s))
					break;
				if (GELF_ST_TYPE(s.st_info) == STT_FUNC && s.st_value)
					add_name(a, s.st_value,
						 elf_strptr(a->elf, sh.sh_link, s.st_name));
			}
		}
	}
}

static void read_dynamic(struct an *a)
{
	Elf_Data *d;
	size_t n;

	if (!a->has_dynamic || !a->dyn_sz)
		return;
	d = elf_getdata_rawchunk(a->elf, (int64_t)a->dyn_off, a->dyn_sz, ELF_T_DYN);
	if (!d)
		return;
	n = a->dyn_sz / gelf_fsize(a->elf, ELF_T_DYN, 1, EV_CURRENT);
	for (size_t i = 0; i < n && i < 65536; i++) {
		GElf_Dyn dyn;

		if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		switch (dyn.d_tag) {
		case DT_INIT: a->dt_init = dyn.d_un.d_ptr; break;
		case DT_INIT_ARRAY: a->init_arr = dyn.d_un.d_ptr; break;
		case DT_INIT_ARRAYSZ: a->init_arrsz = dyn.d_un.d_val; break;
		case DT_PREINIT_ARRAY: a->preinit_arr = dyn.d_un.d_ptr; break;
		case DT_PREINIT_ARRAYSZ: a->preinit_arrsz = dyn.d_un.d_val; break;
		case DT_SYMTAB: a->symtab = dyn.d_un.d_ptr; break;
		case DT_STRTAB: a->strtab = dyn.d_un.d_ptr; break;
		case DT_STRSZ: a->strsz = dyn.d_un.d_val; break;
		case DT_JMPREL: a->jmprel = dyn.d_un.d_ptr; break;
		case DT_PLTRELSZ: a->pltrelsz = dyn.d_un.d_val; break;
		case DT_RELA: a->rela = dyn.d_un.d_ptr; break;
		case DT_RELASZ: a->relasz = dyn.d_un.d_val; break;
		case DT_HASH: a->hash = dyn.d_un.d_ptr; break;
		case DT_GNU_HASH: a->gnu_hash = dyn.d_un.d_ptr; break;
		case DT_TEXTREL: a->textrel = true; break;
		case DT_FLAGS:
			if (dyn.d_un.d_val & DF_TEXTREL)
				a->textrel = true;
			break;
		}
	}
	if (a->textrel)
		add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_TEXTREL,
			    "text relocations (code patched at load)");
}

static bool rd32(const struct an *a, uint64_t off, uint32_t *v)
{
	if (off > a->size || a->size - off < 4)
		return false;
	memcpy(v, a->img + off, 4);
	return true;
}

/* The dynsym count is not in the dynamic segment: take it from the section
 * header, DT_HASH's nchain or the end of DT_GNU_HASH's chains. */
static size_t dynsym_count(const struct an *a)
{
	uint64_t off;
	uint32_t v, nbuckets, symoff, bloom, maxsym = 0;

	if (a->sh_dynsym_count)
		return a->sh_dynsym_count;
	if (a->hash && va_to_off(a, a->hash, &off) && rd32(a, off + 4, &v))
		return v;
	if (!a->gnu_hash || !va_to_off(a, a->gnu_hash, &off) || !rd32(a, off, &nbuckets) ||
	    !rd32(a, off + 4, &symoff) || !rd32(a, off + 8, &bloom))
		return 0;
	{
		uint64_t buckets = off + 16 + (uint64_t)bloom * (a->machine == EM_386 ? 4 : 8);
		uint64_t chains = buckets + 4ull * nbuckets;

		if (nbuckets > LIM_SYMS)
			return 0;
		for (uint32_t i = 0; i < nbuckets; i++)
			if (rd32(a, buckets + 4ull * i, &v) && v > maxsym)
				maxsym = v;
		if (maxsym < symoff)
			return symoff;
		for (uint32_t i = maxsym; i < LIM_SYMS; i++) {
			if (!rd32(a, chains + 4ull * (i - symoff), &v))
				return i;
			if (v & 1)
				return i + 1;
		}
	}
	return 0;
}

static void load_dynsyms(struct an *a)
{
	uint64_t off, stroff;
	size_t n, entsz = gelf_fsize(a->elf, ELF_T_SYM, 1, EV_CURRENT);

	if (!a->symtab || !a->strtab || !entsz || !va_to_off(a, a->symtab, &off) ||
	    !va_to_off(a, a->strtab, &stroff))
		return;
	a->dynstr = (const char *)a->img + stroff;
	a->dynstr_len = a->size - stroff < a->strsz ? a->size - stroff : a->strsz;
	n = dynsym_count(a);
	if (n > LIM_SYMS)
		n = LIM_SYMS;
	if (n > (a->size - off) / entsz)
		n = (a->size - off) / entsz;
	if (!n)
		return;
	a->dynsym = elf_getdata_rawchunk(a->elf, (int64_t)off, n * entsz, ELF_T_SYM);
	if (!a->dynsym)
		return;
	a->nsyms = n;
	a->reached = calloc(n, 1);
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;

		if (!gelf_getsym(a->dynsym, (int)i, &s))
			break;
		if (s.st_shndx != SHN_UNDEF && s.st_value &&
		    (GELF_ST_TYPE(s.st_info) == STT_FUNC || GELF_ST_TYPE(s.st_info) == STT_GNU_IFUNC))
			add_name(a, s.st_value, dynstr_at(a, s.st_name));
	}
}

static bool is_relative(unsigned machine, uint32_t type)
{
	return (machine == EM_X86_64 && type == R_X86_64_RELATIVE) ||
	       (machine == EM_AARCH64 && type == R_AARCH64_RELATIVE);
}

static bool in_array(const struct an *a, uint64_t addr)
{
	return (a->init_arr && addr - a->init_arr < a->init_arrsz) ||
	       (a->preinit_arr && addr - a->preinit_arr < a->preinit_arrsz);
}

/* GOT slots with a symbol (JUMP_SLOT, GLOB_DAT) name the import a call
 * through them reaches; RELATIVE relocations of init-array slots give their
 * target when the file holds zeros there (RELA, --apply-dynamic-relocs off). */
static void scan_relocs(struct an *a, uint64_t va, uint64_t sz)
{
	size_t entsz = gelf_fsize(a->elf, ELF_T_RELA, 1, EV_CURRENT), n;
	uint64_t off;
	Elf_Data *d;

	if (!va || !sz || !entsz || !va_to_off(a, va, &off) || sz > a->size - off)
		return;
	n = sz / entsz;
	d = elf_getdata_rawchunk(a->elf, (int64_t)off, n * entsz, ELF_T_RELA);
	if (!d)
		return;
	for (size_t i = 0; i < n && i < LIM_SYMS; i++) {
		GElf_Rela r;
		uint32_t sym, type;

		if (!gelf_getrela(d, (int)i, &r))
			break;
		sym = (uint32_t)GELF_R_SYM(r.r_info);
		type = (uint32_t)GELF_R_TYPE(r.r_info);
		if (sym && sym < a->nsyms) {
			if (!grow(&a->slots, &a->capslots, a->nslots, sizeof(*a->slots)))
				return;
			a->slots[a->nslots++] = (struct slot){ r.r_offset, sym };
		} else if (!sym && is_relative(a->machine, type) && in_array(a, r.r_offset) &&
			   a->narr < LIM_ARRAY) {
			if (!grow(&a->arr_relocs, &a->caparr, a->narr, sizeof(*a->arr_relocs)))
				return;
			a->arr_relocs[a->narr++] = (struct slot){ r.r_offset, (uint64_t)r.r_addend };
		}
	}
}

/* --- the walk ------------------------------------------------------------ */

static bool visited_add(struct an *a, uint64_t addr)
{
	size_t mask, h;

	if ((a->visited_n + 1) * 2 > a->visited_cap) {
		size_t cap = a->visited_cap ? a->visited_cap * 2 : 1024;
		uint64_t *nv = calloc(cap, sizeof(*nv));

		if (!nv)
			return false;
		for (size_t i = 0; i < a->visited_cap; i++) {
			uint64_t v = a->visited[i];

			if (!v)
				continue;
			for (h = (v * 0x9e3779b97f4a7c15ull) >> 20 & (cap - 1); nv[h];
			     h = (h + 1) & (cap - 1))
				;
			nv[h] = v;
		}
		free(a->visited);
		a->visited = nv;
		a->visited_cap = cap;
	}
	addr += 1; /* 0 marks an empty slot */
	mask = a->visited_cap - 1;
	for (h = (addr * 0x9e3779b97f4a7c15ull) >> 20 & mask; a->visited[h]; h = (h + 1) & mask)
		if (a->visited[h] == addr)
			return false;
	a->visited[h] = addr;
	a->visited_n++;
	return true;
}

static bool visited_has(const struct an *a, uint64_t addr)
{
	size_t mask = a->visited_cap - 1, h;

	if (!a->visited_cap)
		return false;
	addr += 1;
	for (h = (addr * 0x9e3779b97f4a7c15ull) >> 20 & mask; a->visited[h]; h = (h + 1) & mask)
		if (a->visited[h] == addr)
			return true;
	return false;
}

static void push(struct an *a, uint64_t addr, int depth)
{
	if (depth > LIM_DEPTH) {
		a->res->truncated = true;
		return;
	}
	if (!grow(&a->stack, &a->capstack, a->nstack, sizeof(*a->stack)))
		return;
	a->stack[a->nstack++] = (struct work){ addr, depth };
}

static void on_import(struct an *a, const struct entry *e, uint32_t sym, uint64_t at,
		      const struct regs *rg, int prot_reg, int depth)
{
	const char *name = sym_name(a, sym);
	const struct dcam_rule *rule;
	GElf_Sym s;
	double w;

	if (!name || !gelf_getsym(a->dynsym, (int)sym, &s))
		return;
	a->reached[sym] = 1;
	if (s.st_shndx != SHN_UNDEF) {
		/* our own interposable symbol: the call is local code */
		if (s.st_value)
			push(a, s.st_value, depth);
		return;
	}
	rule = dcam_rules_import(name);
	if (!rule)
		return;
	w = rule->weight;
	if (rule->flags & (DCAM_RULE_PROT_ARG | DCAM_RULE_EXEC_ONLY)) {
		bool known = rg->kind[prot_reg] == RK_CONST;
		bool exec = known && (rg->val[prot_reg] & PROT_EXEC_BIT);

		if (exec) {
			add_finding(a, rule->category, e->via, e, at, w * via_factor(e->via),
				    "%s(PROT_EXEC)", name);
			return;
		}
		if (known || (rule->flags & DCAM_RULE_EXEC_ONLY))
			return;
		w *= 0.6; /* protection not a constant here */
	}
	add_finding(a, rule->category, e->via, e, at, w * via_factor(e->via), "%s", name);
}

static void on_syscall(struct an *a, const struct entry *e, uint64_t at, const char *insn,
		       const struct regs *rg, int nr_reg)
{
	bool sensitive = false;
	const char *name;

	if (rg->kind[nr_reg] != RK_CONST) {
		add_finding(a, DCAM_CAT_RAW_SYSCALL, e->via, e, at,
			    DCAM_W_RAW_SYSCALL * via_factor(e->via), "%s (number not constant)",
			    insn);
		return;
	}
	name = dcam_rules_syscall(a->machine, (long)rg->val[nr_reg], &sensitive);
	add_finding(a, DCAM_CAT_RAW_SYSCALL, e->via, e, at,
		    (sensitive ? DCAM_W_RAW_SYSCALL_SENSITIVE : DCAM_W_RAW_SYSCALL) *
			    via_factor(e->via),
		    "%s %" PRIu64 " (%s)", insn, rg->val[nr_reg], name ? name : "?");
}

/* A call/jump to target: an import when target is a PLT stub, else local
 * code to walk. */
static bool plt_slot(const struct an *a, uint64_t t, uint64_t *slot)
{
	size_t avail, o = 0;
	const uint8_t *p = va_ptr(a, t, &avail, true);

	if (!p)
		return false;
	if (a->machine == EM_X86_64) {
		int32_t disp;

		if (avail >= 4 && !memcmp(p, "\xf3\x0f\x1e\xfa", 4)) /* endbr64 */
			o = 4;
		if (o < avail && p[o] == 0xf2) /* bnd */
			o++;
		if (avail < o + 6 || p[o] != 0xff || p[o + 1] != 0x25)
			return false;
		memcpy(&disp, p + o + 2, 4);
		*slot = t + o + 6 + (int64_t)disp;
		return true;
	}
	if (a->machine == EM_AARCH64) {
		uint32_t w0, w1;
		int64_t imm;

		if (avail >= 4 && !memcmp(p, "\x5f\x24\x03\xd5", 4)) /* bti c */
			o = 4;
		if (avail < o + 8)
			return false;
		memcpy(&w0, p + o, 4);
		memcpy(&w1, p + o + 4, 4);
		if ((w0 & 0x9f00001f) != 0x90000010 || (w1 & 0xffc003ff) != 0xf9400211)
			return false; /* adrp x16, page; ldr x17, [x16, #off] */
		imm = (int64_t)((((w0 >> 5) & 0x7ffff) << 2) | ((w0 >> 29) & 3));
		imm = (imm ^ (1 << 20)) - (1 << 20);
		*slot = ((t + o) & ~0xfffull) + (uint64_t)(imm << 12) + ((w1 >> 10) & 0xfff) * 8;
		return true;
	}
	return false;
}

static void on_target(struct an *a, const struct entry *e, uint64_t t, uint64_t at,
		      const struct regs *rg, int depth, int prot_reg)
{
	uint64_t slot;
	const struct slot *s;

	if (plt_slot(a, t, &slot)) {
		s = find_slot(a->slots, a->nslots, slot);
		if (s)
			on_import(a, e, (uint32_t)s->val, at, rg, prot_reg, depth);
		return;
	}
	push(a, t, depth);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s == '#')
		s++;
	if (*s == '-' || !*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && (*end == '\0' || *end == ',' || *end == ']');
}

/* Register index from the first operand of op_str; *full when it names the
 * whole 64- or 32-bit register (so a constant written to it is known).
 * Hand-parsed: this runs for most decoded instructions. */
static int reg_index(unsigned machine, const char *s, bool *full)
{
	static const char base[8][2] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
	size_t len = strcspn(s, ", ]");

	*full = false;
	if (machine == EM_AARCH64 || (s[0] == 'r' && s[1] >= '0' && s[1] <= '9')) {
		int n = 0;
		size_t i = 1;

		if (machine == EM_AARCH64 && s[0] != 'x' && s[0] != 'w')
			return -1;
		for (; i < len && i < 3 && s[i] >= '0' && s[i] <= '9'; i++)
			n = n * 10 + (s[i] - '0');
		if (i == 1 || n > (machine == EM_AARCH64 ? 30 : 15))
			return -1;
		if (machine == EM_AARCH64) {
			*full = i == len;
			return i == len ? n : -1;
		}
		if (n < 8 || len > i + 1)
			return -1;
		*full = i == len || s[i] == 'd';
		return n;
	}
	if (len == 3 && (s[0] == 'r' || s[0] == 'e')) {
		for (int r = 0; r < 8; r++)
			if (s[1] == base[r][0] && s[2] == base[r][1]) {
				*full = true;
				return r;
			}
		return -1;
	}
	if (len == 2) {
		for (int r = 0; r < 8; r++)
			if (s[0] == base[r][0] && s[1] == base[r][1])
				return r;
		for (int r = 0; r < 4; r++) /* al, cl, dl, bl */
			if (s[0] == base[r][0] && s[1] == 'l')
				return r;
		return -1;
	}
	if (len == 3 && s[2] == 'l') /* spl, bpl, sil, dil */
		for (int r = 4; r < 8; r++)
			if (s[0] == base[r][0] && s[1] == base[r][1])
				return r;
	return -1;
}

static void clobber_call(unsigned machine, struct regs *rg)
{
	if (machine == EM_AARCH64) {
		memset(rg->kind, RK_UNKNOWN, 19); /* x0-x18 */
		return;
	}
	static const int volatile_regs[] = { 0, 1, 2, 6, 7, 8, 9, 10, 11 };
	for (size_t i = 0; i < ARRAY_SIZE(volatile_regs); i++)
		rg->kind[volatile_regs[i]] = RK_UNKNOWN;
}

/* Destination-register bookkeeping shared by both architectures. */
static void track_write(struct an *a, const cs_insn *in, struct regs *rg)
{
	bool full;
	int r = reg_index(a->machine, in->op_str, &full);
	const char *src;
	uint64_t v;

	if (r < 0)
		return;
	rg->kind[r] = RK_UNKNOWN;
	if (!full)
		return;
	src = strchr(in->op_str, ',');
	if (!src)
		return;
	src += 2;
	if ((!strcmp(in->mnemonic, "mov") || !strcmp(in->mnemonic, "movz")) && parse_u64(src, &v)) {
		rg->kind[r] = RK_CONST;
		rg->val[r] = a->machine == EM_X86_64 && in->op_str[0] == 'e' ? (uint32_t)v : v;
	} else if (!strcmp(in->mnemonic, "xor") && !strncmp(in->op_str, src, strlen(src)) &&
		   strlen(src) == (size_t)(strchr(in->op_str, ',') - in->op_str)) {
		rg->kind[r] = RK_CONST; /* xor reg, reg */
		rg->val[r] = 0;
	} else if (!strcmp(in->mnemonic, "adrp") && parse_u64(src, &v)) {
		rg->kind[r] = RK_CONST;
		rg->val[r] = v;
	}
}

/* x86-64 rip-relative memory operand: the absolute address it names. */
static bool x86_riprel(const cs_insn *in, uint64_t *addr)
{
	const char *p = strstr(in->op_str, "[rip ");
	uint64_t d;

	if (!p || (p[5] != '+' && p[5] != '-') || !parse_u64(p + 7, &d))
		return false;
	*addr = in->address + in->size + (p[5] == '+' ? d : (uint64_t)-d);
	return true;
}

enum step { STEP_NEXT, STEP_END };

static enum step step_x86(struct an *a, const struct entry *e, const cs_insn *in,
			  struct regs *rg, int depth)
{
	uint64_t t;
	const struct slot *s;
	bool full;
	int r;

	switch (in->id) {
	case X86_INS_SYSCALL:
		on_syscall(a, e, in->address, "syscall", rg, 0);
		return STEP_NEXT;
	case X86_INS_SYSENTER:
		on_syscall(a, e, in->address, "sysenter", rg, 0);
		return STEP_NEXT;
	case X86_INS_INT:
		if (!strcmp(in->op_str, "0x80"))
			on_syscall(a, e, in->address, "int 0x80", rg, 0);
		return STEP_NEXT;
	case X86_INS_CALL:
	case X86_INS_JMP: {
		bool call = in->id == X86_INS_CALL;

		if (parse_u64(in->op_str, &t)) {
			on_target(a, e, t, in->address, rg, call ? depth + 1 : depth, 2);
		} else if (x86_riprel(in, &t)) {
			s = find_slot(a->slots, a->nslots, t);
			if (s)
				on_import(a, e, (uint32_t)s->val, in->address, rg, 2, depth + 1);
		} else if ((r = reg_index(a->machine, in->op_str, &full)) >= 0 &&
			   rg->kind[r] == RK_IMPORT) {
			on_import(a, e, (uint32_t)rg->val[r], in->address, rg, 2, depth + 1);
		}
		if (!call)
			return STEP_END;
		clobber_call(a->machine, rg);
		return STEP_NEXT;
	}
	case X86_INS_RET:
	case X86_INS_RETF:
	case X86_INS_HLT:
	case X86_INS_UD2:
	case X86_INS_LJMP:
		return STEP_END;
	}
	if ((in->mnemonic[0] == 'j' || !strncmp(in->mnemonic, "loop", 4)) &&
	    parse_u64(in->op_str, &t)) {
		push(a, t, depth); /* conditional branch: both ways */
		return STEP_NEXT;
	}
	/* mov reg, [rip+X] loading a GOT slot: the register holds an import */
	if (!strcmp(in->mnemonic, "mov") && x86_riprel(in, &t) &&
	    (s = find_slot(a->slots, a->nslots, t)) &&
	    (r = reg_index(a->machine, in->op_str, &full)) >= 0 && full) {
		rg->kind[r] = RK_IMPORT;
		rg->val[r] = s->val;
		return STEP_NEXT;
	}
	track_write(a, in, rg);
	return STEP_NEXT;
}

/* The target of an aarch64 branch: its last "#imm" operand. */
static bool a64_target(const cs_insn *in, uint64_t *t)
{
	const char *p = strrchr(in->op_str, '#');

	return p && parse_u64(p, t);
}

static enum step step_a64(struct an *a, const struct entry *e, const cs_insn *in,
			  struct regs *rg, int depth)
{
	uint64_t t, off;
	const struct slot *s;
	bool full;
	int r;

	switch (in->id) {
	case ARM64_INS_SVC:
		on_syscall(a, e, in->address, "svc", rg, 8);
		return STEP_NEXT;
	case ARM64_INS_BL:
		if (a64_target(in, &t))
			on_target(a, e, t, in->address, rg, depth + 1, 2);
		clobber_call(a->machine, rg);
		return STEP_NEXT;
	case ARM64_INS_B:
		if (!a64_target(in, &t))
			return STEP_END;
		if (in->mnemonic[1] == '.') {
			push(a, t, depth);
			return STEP_NEXT;
		}
		on_target(a, e, t, in->address, rg, depth, 2);
		return STEP_END;
	case ARM64_INS_CBZ:
	case ARM64_INS_CBNZ:
	case ARM64_INS_TBZ:
	case ARM64_INS_TBNZ:
		if (a64_target(in, &t))
			push(a, t, depth);
		return STEP_NEXT;
	case ARM64_INS_BLR:
	case ARM64_INS_BR:
		r = reg_index(a->machine, in->op_str, &full);
		if (r >= 0 && rg->kind[r] == RK_IMPORT)
			on_import(a, e, (uint32_t)rg->val[r], in->address, rg, 2, depth + 1);
		if (in->id == ARM64_INS_BR)
			return STEP_END;
		clobber_call(a->machine, rg);
		return STEP_NEXT;
	case ARM64_INS_RET:
		return STEP_END;
	}
	/* ldr xM, [xN, #off] with xN an adrp page: a GOT load */
	if (!strcmp(in->mnemonic, "ldr") && (r = reg_index(a->machine, in->op_str, &full)) >= 0) {
		const char *m = strchr(in->op_str, '[');
		bool f2;
		int base = m ? reg_index(a->machine, m + 1, &f2) : -1;
		const char *imm = m ? strchr(m, '#') : NULL;

		if (base >= 0 && rg->kind[base] == RK_CONST && (!imm || parse_u64(imm, &off))) {
			s = find_slot(a->slots, a->nslots, rg->val[base] + (imm ? off : 0));
			if (s) {
				rg->kind[r] = RK_IMPORT;
				rg->val[r] = s->val;
				return STEP_NEXT;
			}
		}
	}
	track_write(a, in, rg);
	return STEP_NEXT;
}

static void walk_block(struct an *a, const struct entry *e, const struct work *w,
		       cs_insn *in, uint64_t *budget)
{
	size_t avail;
	const uint8_t *code = va_ptr(a, w->addr, &avail, true);
	uint64_t pc = w->addr;
	struct regs rg;

	if (!code)
		return;
	if (avail > LIM_BLOCK_BYTES)
		avail = LIM_BLOCK_BYTES;
	memset(&rg, 0, sizeof(rg));
	while (*budget && cs_disasm_iter(a->cs, &code, &avail, &pc, in)) {
		enum step st;

		(*budget)--;
		a->insns++;
		st = a->machine == EM_X86_64 ? step_x86(a, e, in, &rg, w->depth)
					     : step_a64(a, e, in, &rg, w->depth);
		if (st == STEP_END || visited_has(a, pc))
			return;
	}
	if (!*budget)
		a->res->truncated = true;
}

static void walk_entry(struct an *a, const struct entry *e, cs_insn *in)
{
	uint64_t budget = LIM_INSNS_TOTAL - a->insns;
	size_t avail;

	if (!va_ptr(a, e->addr, &avail, true)) {
		add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, e, e->addr,
			    DCAM_W_ENTRY_OUTSIDE * via_factor(e->via),
			    "entry point %s outside executable segments", e->name);
		return;
	}
	if (!a->cs_open)
		return;
	if (budget > LIM_INSNS_ENTRY)
		budget = LIM_INSNS_ENTRY;
	a->nstack = 0;
	push(a, e->addr, 0);
	while (a->nstack && budget) {
		struct work w = a->stack[--a->nstack];

		if (visited_add(a, w.addr))
			walk_block(a, e, &w, in, &budget);
	}
	if (a->insns >= LIM_INSNS_TOTAL)
		a->res->truncated = true;
}

static void entry_init(struct an *a, struct entry *e, uint64_t addr, const char *kind,
		       enum dcam_via via, const char *fallback)
{
	const char *n = name_at(a, addr);

	e->addr = addr;
	e->kind = kind;
	e->via = via;
	snprintf(e->name, sizeof(e->name), "%s", n ? n : fallback);
}

static void walk_array(struct an *a, uint64_t va, uint64_t sz, const char *kind, cs_insn *in)
{
	size_t n = sz / 8;

	if (a->machine != EM_X86_64 && a->machine != EM_AARCH64)
		return;
	for (size_t i = 0; i < n && i < LIM_ARRAY; i++) {
		uint64_t slot = va + 8 * i, target = 0, off;
		const struct slot *s = find_slot(a->arr_relocs, a->narr, slot);
		char fallback[32];
		struct entry e;

		if (s)
			target = s->val;
		else if (va_to_off(a, slot, &off) && off + 8 <= a->size)
			memcpy(&target, a->img + off, 8);
		if (!target || target == ~0ull)
			continue;
		snprintf(fallback, sizeof(fallback), "%s[%zu]", kind, i);
		entry_init(a, &e, target, kind, DCAM_VIA_INIT, fallback);
		a->res->n_entries++;
		walk_entry(a, &e, in);
	}
}

static void walk_all(struct an *a, const GElf_Ehdr *eh)
{
	cs_insn *in = NULL;
	struct entry e;

	if (a->machine == EM_X86_64)
		a->cs_open = cs_open(CS_ARCH_X86, CS_MODE_64, &a->cs) == CS_ERR_OK;
	else if (a->machine == EM_AARCH64)
		a->cs_open = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &a->cs) == CS_ERR_OK;
	if (a->cs_open) {
		in = cs_malloc(a->cs);
		if (!in) {
			cs_close(&a->cs);
			a->cs_open = false;
		}
	}
	/* the analysis order is the attribution order: load-time code first */
	walk_array(a, a->preinit_arr, a->preinit_arrsz, "preinit_array", in);
	if (a->dt_init) {
		entry_init(a, &e, a->dt_init, "DT_INIT", DCAM_VIA_INIT, "_init");
		a->res->n_entries++;
		walk_entry(a, &e, in);
	}
	walk_array(a, a->init_arr, a->init_arrsz, "init_array", in);
	if (eh->e_entry && (a->has_interp || a->etype == ET_EXEC)) {
		entry_init(a, &e, eh->e_entry, "e_entry", DCAM_VIA_INIT, "_start");
		a->res->n_entries++;
		walk_entry(a, &e, in);
	}
	for (size_t i = 1; i < a->nsyms && a->res->n_entries < LIM_ENTRIES; i++) {
		GElf_Sym s;
		const char *n;

		if (!gelf_getsym(a->dynsym, (int)i, &s))
			break;
		if (s.st_shndx == SHN_UNDEF || !s.st_value ||
		    (GELF_ST_TYPE(s.st_info) != STT_FUNC && GELF_ST_TYPE(s.st_info) != STT_GNU_IFUNC) ||
		    (GELF_ST_BIND(s.st_info) != STB_GLOBAL && GELF_ST_BIND(s.st_info) != STB_WEAK))
			continue;
		n = dynstr_at(a, s.st_name);
		e.addr = s.st_value;
		e.kind = "export";
		e.via = DCAM_VIA_EXPORT;
		snprintf(e.name, sizeof(e.name), "%s", n && *n ? n : "?");
		a->res->n_entries++;
		walk_entry(a, &e, in);
	}
	if (in)
		cs_free(in, 1);
	if (a->cs_open)
		cs_close(&a->cs);
}

/* Sensitive imports no analysed path reached (or every import, for
 * machines we do not decode): reported at the import factor. */
static void unreached_imports(struct an *a)
{
	for (size_t i = 1; i < a->nsyms; i++) {
		const struct dcam_rule *rule;
		const char *n;
		GElf_Sym s;

		if (a->reached[i] || !gelf_getsym(a->dynsym, (int)i, &s) ||
		    s.st_shndx != SHN_UNDEF || !(n = dynstr_at(a, s.st_name)) || !*n)
			continue;
		rule = dcam_rules_import(n);
		if (!rule || (rule->flags & DCAM_RULE_EXEC_ONLY))
			continue;
		add_finding(a, rule->category, DCAM_VIA_IMPORT, NULL, 0,
			    rule->weight * DCAM_F_IMPORT, "%s", n);
	}
}

/* --- data ---------------------------------------------------------------- */

static const struct {
	const char *what;
	uint8_t bytes[32];
	size_t len;
} constants[] = {
	{ "AES S-box", { 0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67,
			 0x2b, 0xfe, 0xd7, 0xab, 0x76, 0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59,
			 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0 }, 32 },
	{ "AES inverse S-box", { 0x52, 0x09, 0x6a, 0xd5, 0x30, 0x36, 0xa5, 0x38, 0xbf, 0x40, 0xa3,
				 0x9e, 0x81, 0xf3, 0xd7, 0xfb, 0x7c, 0xe3, 0x39, 0x82, 0x9b, 0x2f,
				 0xff, 0x87, 0x34, 0x8e, 0x43, 0x44, 0xc4, 0xde, 0xe9, 0xcb }, 32 },
	{ "SHA-256 round constants", { 0x98, 0x2f, 0x8a, 0x42, 0x91, 0x44, 0x37, 0x71, 0xcf, 0xfb,
				       0xc0, 0xb5, 0xa5, 0xdb, 0xb5, 0xe9, 0x5b, 0xc2, 0x56, 0x39,
				       0xf1, 0x11, 0xf1, 0x59, 0xa4, 0x82, 0x3f, 0x92, 0xd5, 0x5e,
				       0x1c, 0xab }, 32 },
	{ "SHA-256 round constants (big-endian)",
	  { 0x42, 0x8a, 0x2f, 0x98, 0x71, 0x37, 0x44, 0x91, 0xb5, 0xc0, 0xfb, 0xcf, 0xe9, 0xb5, 0xdb,
	    0xa5, 0x39, 0x56, 0xc2, 0x5b, 0x59, 0xf1, 0x11, 0xf1, 0x92, 0x3f, 0x82, 0xa4, 0xab, 0x1c,
	    0x5e, 0xd5 }, 32 },
	{ "ChaCha20 constant \"expand 32-byte k\"", "expand 32-byte k", 16 },
};

/* One memmem per constant over each distinct file range the segments map. */
static void scan_constants(struct an *a)
{
	bool found[ARRAY_SIZE(constants)] = { 0 }, separate_code = false;

	for (size_t i = 0; i < a->nsegs; i++)
		if (!(a->segs[i].flags & (PF_X | PF_W)))
			separate_code = true;

	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			if (a->segs[j].off <= s->off &&
			    s->off + s->filesz <= a->segs[j].off + a->segs[j].filesz)
				dup = true;
		/* constants live in data; code segments too only in the old
		 * layout where .rodata shares the text segment */
		if (dup || !s->filesz || ((s->flags & PF_X) && separate_code))
			continue;
		for (size_t c = 0; c < ARRAY_SIZE(constants); c++) {
			const uint8_t *p;
			uint64_t va = 0;

			if (found[c])
				continue;
			p = memmem(a->img + s->off, s->filesz, constants[c].bytes, constants[c].len);
			if (!p)
				continue;
			found[c] = true;
			off_to_va(a, (uint64_t)(p - a->img), &va);
			add_finding(a, DCAM_CAT_CRYPTO, DCAM_VIA_DATA, NULL, va, DCAM_W_CRYPTO_CONST,
				    "%s", constants[c].what);
		}
	}
}

/* Packed code looks random: entropy of the executable bytes (a sample), an
 * executable segment mostly unbacked by the file, a UPX header. */
static void scan_packer(struct an *a)
{
	uint64_t hist[256] = { 0 }, n = 0;
	size_t head = a->size < 4096 ? a->size : 4096;

	if (memmem(a->img, head, "UPX!", 4))
		add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_PACKER,
			    "UPX packer header");
	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];
		size_t len;

		if (!(s->flags & PF_X))
			continue;
		if (s->memsz > 4 * s->filesz + (64u << 10))
			add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, s->vaddr,
				    DCAM_W_PACKER,
				    "executable segment at 0x%" PRIx64 " mostly not in the file",
				    s->vaddr);
		len = s->filesz < (1u << 20) - n ? s->filesz : (1u << 20) - n;
		for (size_t k = 0; k < len; k++)
			hist[a->img[s->off + k]]++;
		n += len;
	}
	if (n >= 4096) {
		double h = 0;

		for (int i = 0; i < 256; i++)
			if (hist[i]) {
				double p = (double)hist[i] / (double)n;

				h -= p * log2(p);
			}
		if (h > 7.2)
			add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_PACKER,
				    "high-entropy code (%.2f bits/byte: packed or encrypted)", h);
	}
}

/* --- score and driver ------------------------------------------------------ */

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
		return fail(err, errlen, -ENOEXEC, "empty file (0 bytes)");
	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return fail(err, errlen, -ENOEXEC, "not an ELF file");
	if (len < (img[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr)))
		return fail(err, errlen, -ENOEXEC, "truncated ELF header (%zu bytes)", len);
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
		ret = fail(err, errlen, -ENOEXEC, "corrupt or truncated ELF (libelf: %s)",
			   elf_errmsg(-1));
		goto out;
	}
	a.machine = eh.e_machine;
	a.etype = eh.e_type;
	r->arch = arch_name(a.machine);
	if (eh.e_type != ET_DYN && eh.e_type != ET_EXEC) {
		ret = fail(err, errlen, -ENOEXEC, "ELF type %u is not a loadable object",
			   (unsigned)eh.e_type);
		goto out;
	}
	if (eh.e_shoff && (eh.e_shoff > len || (uint64_t)eh.e_shnum * eh.e_shentsize > len - eh.e_shoff)) {
		ret = fail(err, errlen, -ENOEXEC,
			   "truncated or corrupt: section header table (0x%" PRIx64 ", %u entries) "
			   "ends past the end of the file (%zu bytes)",
			   (uint64_t)eh.e_shoff, (unsigned)eh.e_shnum, len);
		goto out;
	}
	ret = load_segments(&a, err, errlen);
	if (ret)
		goto out;
	load_sections(&a, &eh);
	if (a.nnames)
		qsort(a.names, a.nnames, sizeof(*a.names), cmp_fname);
	read_dynamic(&a);
	load_dynsyms(&a);
	if (a.nnames)
		qsort(a.names, a.nnames, sizeof(*a.names), cmp_fname);
	scan_relocs(&a, a.jmprel, a.pltrelsz);
	scan_relocs(&a, a.rela, a.relasz);
	if (a.nslots)
		qsort(a.slots, a.nslots, sizeof(*a.slots), cmp_slot);
	if (a.narr)
		qsort(a.arr_relocs, a.narr, sizeof(*a.arr_relocs), cmp_slot);
	if (a.nsyms && !a.reached) {
		ret = -ENOMEM;
		goto out;
	}
	walk_all(&a, &eh);
	if (a.nsyms)
		unreached_imports(&a);
	scan_constants(&a);
	scan_packer(&a);
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
		return fail(err, errlen, -EFBIG, "file larger than %llu MiB", DCAM_MAX_FILE >> 20);
	ret = filehash_sha256_mem(buf, len, sha);
	if (ret)
		return fail(err, errlen, ret, "sha256: %s", strerror(-ret));
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
		return fail(err, errlen, -errno, "fstat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, -ENOEXEC, "not a regular file");
	if ((uint64_t)st.st_size > DCAM_MAX_FILE)
		return fail(err, errlen, -EFBIG, "file larger than %llu MiB", DCAM_MAX_FILE >> 20);
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
			return fail(err, errlen, -e, "read: %s", strerror(e));
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
			return fail(err, errlen, ret, "sha256 failed");
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
		return fail(err, errlen, ret, "%s", why[0] ? why : strerror(-ret));
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
