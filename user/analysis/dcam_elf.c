/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The object's structure as the loader sees it: the ELF header, program
 * headers, the dynamic segment read at its address (as ld.so does), the
 * dynamic symbols counted from the hash tables, and the relocations that
 * bind GOT slots to them. Records are parsed by hand from bounded copies
 * (ELF32/64, either byte order): libelf wants the whole image in memory
 * and builds a descriptor per section header, which is how a file with
 * 4 M of them took a gigabyte. Section headers, which the loader never
 * reads, are only compared with this view (dcam_elf_sections). Whatever
 * is wrong becomes a structure finding; the analysis goes on with what
 * the loader would map. */
#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"

uint64_t dcam_rd(const struct an *a, const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)p[a->le ? i : size - 1 - i] << (8 * i);
	return v;
}

static void structure(struct an *a, uint64_t addr, double w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void structure(struct an *a, uint64_t addr, double w, const char *fmt, ...)
{
	char what[DCAM_WHAT_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, addr, w, "%s", what);
}

/* The last segment wins: the loader maps them in order, MAP_FIXED. */
bool dcam_va_off(const struct an *a, uint64_t va, uint64_t *off, uint64_t *avail, bool exec)
{
	for (size_t i = a->nsegs; i-- > 0;) {
		const struct seg *s = &a->segs[i];

		if (exec && !(s->flags & PF_X))
			continue;
		if (va >= s->vaddr && va - s->vaddr < s->filesz) {
			*off = s->off + (va - s->vaddr);
			*avail = s->filesz - (va - s->vaddr);
			return true;
		}
	}
	return false;
}

bool dcam_off_to_va(const struct an *a, uint64_t off, uint64_t *va)
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

bool dcam_va_read(const struct an *a, uint64_t va, void *dst, size_t len)
{
	uint64_t off, avail;

	return dcam_va_off(a, va, &off, &avail, false) && avail >= len &&
	       dcam_src_read(a->src, off, dst, len);
}

const char *dcam_va_str(const struct an *a, uint64_t va, char *buf, size_t len)
{
	uint64_t off, avail;
	size_t n;

	if (!len || !dcam_va_off(a, va, &off, &avail, false))
		return NULL;
	n = avail < len - 1 ? (size_t)avail : len - 1;
	if (!n || !dcam_src_read(a->src, off, buf, n))
		return NULL;
	buf[n] = '\0';
	if (strlen(buf) == n && n == len - 1)
		return NULL; /* longer than buf: not a name we can use */
	/* text, lines of it too (a program handed to an interpreter) */
	for (const char *p = buf; *p; p++)
		if (((unsigned char)*p < 0x20 && !strchr("\t\n\r", *p)) || (unsigned char)*p >= 0x7f)
			return NULL;
	return buf[0] ? buf : NULL;
}

const char *dcam_dynstr_at(const struct an *a, uint64_t idx)
{
	/* the copy ends with a NUL of our own */
	return a->dynstr && idx < a->dynstr_len ? a->dynstr + idx : NULL;
}

const char *dcam_sym_name(const struct an *a, uint32_t idx)
{
	const char *s;

	if (idx >= a->nsyms)
		return NULL;
	s = dcam_dynstr_at(a, a->syms[idx].name);
	return s && *s ? s : NULL;
}

uint64_t dcam_code_bytes(const struct an *a)
{
	uint64_t n = 0;

	for (size_t i = 0; i < a->nsegs; i++)
		if (a->segs[i].flags & PF_X)
			n += a->segs[i].filesz;
	return n;
}

bool dcam_sym_is_func_export(const struct dsym *s)
{
	unsigned type = ELF64_ST_TYPE(s->info), bind = ELF64_ST_BIND(s->info);

	return s->shndx != SHN_UNDEF && s->value && (type == STT_FUNC || type == STT_GNU_IFUNC) &&
	       (bind == STB_GLOBAL || bind == STB_WEAK);
}

static int cmp_slot(const void *x, const void *y)
{
	const struct slot *p = x, *q = y;

	return p->addr < q->addr ? -1 : p->addr > q->addr;
}

/* Linkers write relocations in address order (tens of thousands of
 * them in a large library): a sorted table is checked, not sorted again. */
static void sort_slots(struct slot *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i].addr < v[i - 1].addr) {
			qsort(v, n, sizeof(*v), cmp_slot);
			return;
		}
}

static int cmp_fname(const void *x, const void *y)
{
	const struct fname *p = x, *q = y;

	return p->addr < q->addr ? -1 : p->addr > q->addr;
}

const struct slot *dcam_find_slot(const struct slot *v, size_t n, uint64_t addr)
{
	struct slot key = { .addr = addr };

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_slot) : NULL;
}

static void add_name(struct an *a, uint64_t addr, const char *name)
{
	if (!name || !*name || a->nnames >= LIM_SYMS + LIM_SYMTAB)
		return;
	if (!dcam_grow(&a->names, &a->capnames, a->nnames, sizeof(*a->names)))
		return;
	a->names[a->nnames++] = (struct fname){ addr, name };
}

const char *dcam_name_at(const struct an *a, uint64_t addr)
{
	struct fname key = { .addr = addr }, *f;

	if (!a->nnames)
		return NULL;
	f = bsearch(&key, a->names, a->nnames, sizeof(key), cmp_fname);
	return f ? f->name : NULL;
}

static bool read_header(struct an *a)
{
	uint8_t h[64];
	const uint8_t *p;
	size_t need, w;

	if (!a->size) {
		structure(a, 0, DCAM_W_NOT_ELF, "empty file (0 bytes)");
		return false;
	}
	if (a->size < SELFMAG || !dcam_src_read(a->src, 0, h, SELFMAG) ||
	    memcmp(h, ELFMAG, SELFMAG)) {
		structure(a, 0, DCAM_W_NOT_ELF, "not an ELF file");
		return false;
	}
	if (a->size < EI_NIDENT || !dcam_src_read(a->src, 0, h, EI_NIDENT)) {
		structure(a, 0, DCAM_W_TRUNCATED, "truncated ELF header (%" PRIu64 " bytes)", a->size);
		return false;
	}
	if ((h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64) ||
	    (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)) {
		structure(a, 0, DCAM_W_CORRUPT, "corrupt ELF identification (class %u, data %u)",
			  h[EI_CLASS], h[EI_DATA]);
		return false;
	}
	a->is64 = h[EI_CLASS] == ELFCLASS64;
	a->le = h[EI_DATA] == ELFDATA2LSB;
	need = a->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (a->size < need || !dcam_src_read(a->src, 0, h, need)) {
		structure(a, 0, DCAM_W_TRUNCATED, "truncated ELF header (%" PRIu64 " bytes)", a->size);
		return false;
	}
	a->etype = (uint16_t)dcam_rd(a, h + 16, 2);
	a->machine = (unsigned)dcam_rd(a, h + 18, 2);
	/* entry, phoff, shoff are address-sized; flags and ehsize follow, then
	 * the five 16-bit table fields */
	w = a->is64 ? 8 : 4;
	a->e_entry = dcam_rd(a, h + 24, w);
	a->e_phoff = dcam_rd(a, h + 24 + w, w);
	a->e_shoff = dcam_rd(a, h + 24 + 2 * w, w);
	p = h + 24 + 3 * w + 6;
	a->e_phentsize = (uint32_t)dcam_rd(a, p, 2);
	a->e_phnum = (uint32_t)dcam_rd(a, p + 2, 2);
	a->e_shentsize = (uint32_t)dcam_rd(a, p + 4, 2);
	a->e_shnum = (uint32_t)dcam_rd(a, p + 6, 2);
	a->e_shstrndx = (uint32_t)dcam_rd(a, p + 8, 2);
	if (a->etype != ET_DYN && a->etype != ET_EXEC) {
		structure(a, 0, DCAM_W_CORRUPT, "ELF type %u is not a loadable object", a->etype);
		return false;
	}
	return true;
}

static void add_segment(struct an *a, uint32_t i, uint32_t type, uint32_t flags, uint64_t off,
			uint64_t vaddr, uint64_t filesz, uint64_t memsz)
{
	switch (type) {
	case PT_LOAD:
		if (off > a->size || filesz > a->size - off) {
			structure(a, vaddr, DCAM_W_TRUNCATED,
				  "truncated: segment %u (0x%" PRIx64 " bytes at 0x%" PRIx64
				  ") ends past the end of the file", i, filesz, off);
			filesz = off > a->size ? 0 : a->size - off; /* what the file holds */
		}
		/* real objects have a handful; many would make lookups slow */
		if (a->nsegs == LIM_SEGMENTS) {
			structure(a, 0, DCAM_W_CORRUPT, "more than %d loadable segments: corrupt",
				  LIM_SEGMENTS);
			return;
		}
		for (size_t k = 0; k < a->nsegs; k++) {
			const struct seg *o = &a->segs[k];

			if (vaddr < o->vaddr + o->memsz && o->vaddr < vaddr + memsz &&
			    vaddr + memsz > vaddr && o->vaddr + o->memsz > o->vaddr) {
				structure(a, vaddr, DCAM_W_OVERLAP, "loadable segments overlap at 0x%"
					  PRIx64 " (the later one is what the loader maps)", vaddr);
				break;
			}
		}
		a->segs[a->nsegs++] = (struct seg){ vaddr, memsz, off, filesz, flags };
		if ((flags & PF_W) && (flags & PF_X))
			structure(a, vaddr, DCAM_W_WX_SEGMENT,
				  "writable and executable segment at 0x%" PRIx64, vaddr);
		break;
	case PT_DYNAMIC:
		a->has_dynamic = true;
		a->dyn_vaddr = vaddr;
		a->dyn_off = off;
		a->dyn_sz = filesz;
		break;
	case PT_INTERP:
		a->has_interp = true;
		break;
	case PT_GNU_STACK:
		if (flags & PF_X)
			structure(a, 0, DCAM_W_EXEC_STACK, "executable stack (PT_GNU_STACK)");
		break;
	}
}

static bool load_segments(struct an *a)
{
	size_t entsz = a->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t bytes = (uint64_t)a->e_phnum * entsz;
	uint32_t n = a->e_phnum;
	uint8_t *tab;

	if (!n) {
		structure(a, 0, DCAM_W_CORRUPT, "no program headers: not a loadable object");
		return false;
	}
	if (a->e_phentsize != entsz) {
		structure(a, 0, DCAM_W_CORRUPT,
			  "program header entry size %u (the loader wants %zu): corrupt",
			  a->e_phentsize, entsz);
		return false;
	}
	if (bytes > LIM_PHDR_BYTES) {
		structure(a, 0, DCAM_W_CORRUPT, "%u program headers: more than the kernel maps", n);
		n = (uint32_t)(LIM_PHDR_BYTES / entsz);
		bytes = (uint64_t)n * entsz;
	}
	if (a->e_phoff > a->size || bytes > a->size - a->e_phoff) {
		structure(a, 0, DCAM_W_TRUNCATED,
			  "truncated: program header table (0x%" PRIx64 ", %u entries) ends past "
			  "the end of the file (%" PRIu64 " bytes)", a->e_phoff, n, a->size);
		return false;
	}
	tab = malloc(bytes);
	a->segs = calloc(n, sizeof(*a->segs));
	if (!tab || !a->segs || !dcam_src_read(a->src, a->e_phoff, tab, bytes)) {
		free(tab);
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p = tab + (size_t)i * entsz;

		if (a->is64)
			add_segment(a, i, (uint32_t)dcam_rd(a, p, 4), (uint32_t)dcam_rd(a, p + 4, 4),
				    dcam_rd(a, p + 8, 8), dcam_rd(a, p + 16, 8), dcam_rd(a, p + 32, 8),
				    dcam_rd(a, p + 40, 8));
		else
			add_segment(a, i, (uint32_t)dcam_rd(a, p, 4), (uint32_t)dcam_rd(a, p + 24, 4),
				    dcam_rd(a, p + 4, 4), dcam_rd(a, p + 8, 4), dcam_rd(a, p + 16, 4),
				    dcam_rd(a, p + 20, 4));
	}
	free(tab);
	if (!a->nsegs) {
		structure(a, 0, DCAM_W_CORRUPT, "no loadable segments");
		return false;
	}
	return true;
}

/* ld.so reads the dynamic segment at its address in the mapped image, not
 * at p_offset: we do the same, and report a file that says otherwise. */
static void read_dynamic(struct an *a)
{
	size_t entsz = a->is64 ? 16 : 8, n;
	uint64_t off, avail;
	uint8_t *d;

	if (!a->has_dynamic) {
		if (a->etype == ET_DYN || a->has_interp)
			structure(a, 0, DCAM_W_NO_DYNAMIC,
				  "no dynamic segment in a dynamically loaded object");
		return;
	}
	if (!dcam_va_off(a, a->dyn_vaddr, &off, &avail, false)) {
		structure(a, a->dyn_vaddr, DCAM_W_NO_DYNAMIC,
			  "dynamic segment at 0x%" PRIx64 " is not in a loadable segment",
			  a->dyn_vaddr);
		return;
	}
	if (off != a->dyn_off)
		structure(a, a->dyn_vaddr, DCAM_W_SECTIONS,
			  "dynamic segment's file offset 0x%" PRIx64 " disagrees with its address "
			  "(the loader reads offset 0x%" PRIx64 ")", a->dyn_off, off);
	n = (size_t)((a->dyn_sz < avail ? a->dyn_sz : avail) / entsz);
	if (n > LIM_DYN)
		n = LIM_DYN;
	if (!n || !(d = malloc(n * entsz)))
		return;
	if (!dcam_src_read(a->src, off, d, n * entsz))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t tag = dcam_rd(a, d + i * entsz, entsz / 2);
		uint64_t v = dcam_rd(a, d + i * entsz + entsz / 2, entsz / 2);

		if (tag == DT_NULL)
			break;
		switch (tag) {
		case DT_INIT: a->dt_init = v; break;
		case DT_INIT_ARRAY: a->init_arr = v; break;
		case DT_INIT_ARRAYSZ: a->init_arrsz = v; break;
		case DT_PREINIT_ARRAY: a->preinit_arr = v; break;
		case DT_PREINIT_ARRAYSZ: a->preinit_arrsz = v; break;
		case DT_FINI: a->dt_fini = v; break;
		case DT_FINI_ARRAY: a->fini_arr = v; break;
		case DT_FINI_ARRAYSZ: a->fini_arrsz = v; break;
		case DT_SYMTAB: a->symtab = v; break;
		case DT_SYMENT: a->syment = v; break;
		case DT_STRTAB: a->strtab = v; break;
		case DT_STRSZ: a->strsz = v; break;
		case DT_JMPREL: a->jmprel = v; break;
		case DT_PLTRELSZ: a->pltrelsz = v; break;
		case DT_PLTREL: a->pltrel = v; break;
		case DT_RELA: a->rela = v; break;
		case DT_RELASZ: a->relasz = v; break;
		case DT_REL: a->rel = v; break;
		case DT_RELSZ: a->relsz = v; break;
		case DT_HASH: a->hash = v; break;
		case DT_GNU_HASH: a->gnu_hash = v; break;
		case DT_TEXTREL: a->textrel = true; break;
		case DT_FLAGS:
			if (v & DF_TEXTREL)
				a->textrel = true;
			break;
		}
	}
	free(d);
	if (a->textrel)
		structure(a, 0, DCAM_W_TEXTREL, "text relocations (code patched at load)");
}

static bool rd32(const struct an *a, uint64_t va, uint32_t *v)
{
	uint8_t b[4];

	if (!dcam_va_read(a, va, b, 4))
		return false;
	*v = (uint32_t)dcam_rd(a, b, 4);
	return true;
}

/* The dynsym count is not in the dynamic segment: DT_HASH's nchain, or
 * one past the last symbol DT_GNU_HASH's chains reach (the hashed symbols
 * come last). 0 when neither tells. */
static size_t hash_count(const struct an *a)
{
	uint32_t v, nbuckets, symoff, bloom, maxsym = 0;
	uint64_t buckets, chains;

	if (a->hash && rd32(a, a->hash + 4, &v))
		return v;
	if (!a->gnu_hash || !rd32(a, a->gnu_hash, &nbuckets) || !rd32(a, a->gnu_hash + 4, &symoff) ||
	    !rd32(a, a->gnu_hash + 8, &bloom) || nbuckets > LIM_SYMS || bloom > LIM_SYMS)
		return 0;
	buckets = a->gnu_hash + 16 + (uint64_t)bloom * (a->is64 ? 8 : 4);
	chains = buckets + 4ull * nbuckets;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (rd32(a, buckets + 4ull * i, &v) && v > maxsym)
			maxsym = v;
	if (!maxsym || maxsym < symoff)
		return 0; /* nothing hashed: the table does not tell the count */
	for (uint32_t i = maxsym; i < LIM_SYMS; i++) {
		if (!rd32(a, chains + 4ull * (i - symoff), &v))
			return i;
		if (v & 1)
			return i + 1;
	}
	return LIM_SYMS;
}

static void load_dynsyms(struct an *a)
{
	size_t entsz = a->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym), n;
	uint64_t off, avail;

	if (!a->symtab || !a->strtab || !dcam_va_off(a, a->strtab, &off, &avail, false))
		return;
	a->dynstr_len = (size_t)(a->strsz < avail ? a->strsz : avail);
	if (a->dynstr_len > LIM_DYNSTR)
		a->dynstr_len = LIM_DYNSTR;
	a->dynstr = malloc(a->dynstr_len + 1);
	if (!a->dynstr || !dcam_src_read(a->src, off, a->dynstr, a->dynstr_len)) {
		free(a->dynstr);
		a->dynstr = NULL;
		a->dynstr_len = 0;
		return;
	}
	a->dynstr[a->dynstr_len] = '\0';
	a->dyn_count = hash_count(a);
	/* relocations name symbols the hash tables leave out (imports) */
	n = a->dyn_count > a->max_reloc_sym ? a->dyn_count : a->max_reloc_sym + 1;
	/* no hash table nor relocation: the symbols run up to the string
	 * table (ld's layout) */
	if (n <= 1 && a->strtab > a->symtab)
		n = (size_t)((a->strtab - a->symtab) / entsz);
	if (n > LIM_SYMS)
		n = LIM_SYMS;
	if (!dcam_va_off(a, a->symtab, &off, &avail, false))
		return;
	if (n > avail / entsz)
		n = (size_t)(avail / entsz);
	if (!n)
		return;
	a->syms = calloc(n, sizeof(*a->syms));
	a->reached = calloc(n, 1);
	if (!a->syms || !a->reached)
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[sizeof(Elf64_Sym)];
		struct dsym *s = &a->syms[i];

		if (!dcam_src_read(a->src, off + i * entsz, b, entsz))
			break;
		s->name = (uint32_t)dcam_rd(a, b, 4);
		if (a->is64) {
			s->info = b[4];
			s->shndx = (uint16_t)dcam_rd(a, b + 6, 2);
			s->value = dcam_rd(a, b + 8, 8);
		} else {
			s->value = dcam_rd(a, b + 4, 4);
			s->info = b[12];
			s->shndx = (uint16_t)dcam_rd(a, b + 14, 2);
		}
		a->nsyms = i + 1;
		if (i && s->shndx != SHN_UNDEF && s->value &&
		    (ELF64_ST_TYPE(s->info) == STT_FUNC || ELF64_ST_TYPE(s->info) == STT_GNU_IFUNC))
			add_name(a, s->value, dcam_dynstr_at(a, s->name));
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
	       (a->preinit_arr && addr - a->preinit_arr < a->preinit_arrsz) ||
	       (a->fini_arr && addr - a->fini_arr < a->fini_arrsz);
}

/* GOT slots with a symbol (JUMP_SLOT, GLOB_DAT) name the import a call
 * through them reaches; RELATIVE relocations of init-array slots give their
 * target when the file holds zeros there (RELA, --apply-dynamic-relocs off),
 * and elsewhere the pointers the code loads from its data (a table of
 * strings, a string variable). */
static void scan_relocs(struct an *a, uint64_t va, uint64_t sz, bool rela)
{
	size_t entsz = a->is64 ? (rela ? 24 : 16) : (rela ? 12 : 8), w = a->is64 ? 8 : 4;
	uint64_t off, avail, n;

	if (!va || !sz || !dcam_va_off(a, va, &off, &avail, false))
		return;
	n = (sz < avail ? sz : avail) / entsz;
	for (uint64_t i = 0; i < n && a->nslots < LIM_SLOTS; i++) {
		uint8_t b[24];
		uint64_t r_off, info, addend;
		uint32_t sym, type;

		if (!dcam_src_read(a->src, off + i * entsz, b, entsz))
			return;
		r_off = dcam_rd(a, b, w);
		info = dcam_rd(a, b + w, w);
		addend = rela ? dcam_rd(a, b + 2 * w, w) : 0;
		sym = (uint32_t)(a->is64 ? info >> 32 : info >> 8);
		type = (uint32_t)(a->is64 ? info & 0xffffffff : info & 0xff);
		if (sym && sym < LIM_SYMS) {
			if (!dcam_grow(&a->slots, &a->capslots, a->nslots, sizeof(*a->slots)))
				return;
			a->slots[a->nslots++] = (struct slot){ r_off, sym };
			if (sym > a->max_reloc_sym)
				a->max_reloc_sym = sym;
		} else if (!sym && rela && is_relative(a->machine, type) && in_array(a, r_off)) {
			if (a->narr >= LIM_ARRAY ||
			    !dcam_grow(&a->arr_relocs, &a->caparr, a->narr, sizeof(*a->arr_relocs)))
				continue;
			a->arr_relocs[a->narr++] = (struct slot){ r_off, addend };
		} else if (!sym && rela && is_relative(a->machine, type) && a->nptr < LIM_PTR_RELOCS) {
			if (!dcam_grow(&a->ptr_relocs, &a->capptr, a->nptr, sizeof(*a->ptr_relocs)))
				return;
			a->ptr_relocs[a->nptr++] = (struct slot){ r_off, addend };
		}
	}
}

bool dcam_flat_load(struct an *a)
{
	uint8_t h[SELFMAG];

	if (a->size >= SELFMAG && dcam_src_read(a->src, 0, h, SELFMAG) &&
	    !memcmp(h, ELFMAG, SELFMAG))
		return false;
	return dcam_code_setup(a);
}

bool dcam_code_setup(struct an *a)
{
	if (!a->size)
		return false;
	a->segs = calloc(1, sizeof(*a->segs));
	if (!a->segs)
		return false;
#if defined(__aarch64__)
	a->machine = EM_AARCH64;
#else
	a->machine = EM_X86_64;
#endif
	a->is64 = a->le = a->flat = true;
	a->segs[0] = (struct seg){ .vaddr = 0, .memsz = a->size, .off = 0, .filesz = a->size,
				   .flags = PF_R | PF_X };
	a->nsegs = 1;
	return true;
}

bool dcam_elf_load(struct an *a)
{
	if (!read_header(a) || !load_segments(a))
		return false;
	read_dynamic(a);
	scan_relocs(a, a->jmprel, a->pltrelsz, a->pltrel != DT_REL);
	scan_relocs(a, a->rela, a->relasz, true);
	scan_relocs(a, a->rel, a->relsz, false);
	load_dynsyms(a);
	/* slots of symbols past what could be read name nothing */
	for (size_t i = 0; i < a->nslots; i++)
		if (a->slots[i].val >= a->nsyms)
			a->slots[i--] = a->slots[--a->nslots];
	sort_slots(a->slots, a->nslots);
	sort_slots(a->arr_relocs, a->narr);
	sort_slots(a->ptr_relocs, a->nptr);
	return true;
}

/* --- section headers: compared, never needed ------------------------- */

struct shdr {
	uint32_t name, type, link;
	uint64_t flags, addr, off, size, entsize;
};

static bool read_shdr(struct an *a, uint32_t i, struct shdr *sh)
{
	uint8_t b[64];
	size_t entsz = a->is64 ? 64 : 40, w = a->is64 ? 8 : 4;

	if (!dcam_src_read(a->src, a->e_shoff + (uint64_t)i * entsz, b, entsz))
		return false;
	sh->name = (uint32_t)dcam_rd(a, b, 4);
	sh->type = (uint32_t)dcam_rd(a, b + 4, 4);
	sh->flags = dcam_rd(a, b + 8, w);
	sh->addr = dcam_rd(a, b + 8 + w, w);
	sh->off = dcam_rd(a, b + 8 + 2 * w, w);
	sh->size = dcam_rd(a, b + 8 + 3 * w, w);
	sh->link = (uint32_t)dcam_rd(a, b + 8 + 4 * w, 4);
	sh->entsize = dcam_rd(a, b + 16 + 5 * w, w);
	return true;
}

static bool exec_mapped(const struct an *a, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];

		if ((s->flags & PF_X) && addr >= s->vaddr && addr - s->vaddr <= s->memsz &&
		    size <= s->memsz - (addr - s->vaddr))
			return true;
	}
	return false;
}

static bool upx_name(const char *n)
{
	return !strncmp(n, "UPX", 3) || !strncmp(n, ".upx", 4);
}

static void section_name(struct an *a, const struct shdr *names, uint32_t idx, char *buf,
			 size_t len)
{
	snprintf(buf, len, "#%u", idx);
	if (names && names->type == SHT_STRTAB && idx < names->size) {
		char tmp[32];
		uint64_t n = names->size - idx < sizeof(tmp) - 1 ? names->size - idx : sizeof(tmp) - 1;

		if (dcam_src_read(a->src, names->off + idx, tmp, (size_t)n)) {
			tmp[n] = '\0';
			if (tmp[0])
				snprintf(buf, len, "%s", tmp);
		}
	}
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

/* .symtab names our report's entry points (static constructors have no
 * dynamic symbol). Cosmetic: nothing else depends on it. */
static void load_symtab_names(struct an *a, const struct shdr *sh, const struct shdr *str)
{
	size_t entsz = a->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	uint64_t n = sh->size / entsz, strn = str->size;

	if (sh->entsize != entsz || str->type != SHT_STRTAB || str->off > a->size ||
	    str->size > a->size - str->off || sh->off > a->size || sh->size > a->size - sh->off)
		return;
	if (strn > LIM_SYMSTR)
		strn = LIM_SYMSTR;
	a->symstr = malloc(strn + 1);
	if (!a->symstr || !dcam_src_read(a->src, str->off, a->symstr, strn))
		return;
	a->symstr[strn] = '\0';
	for (uint64_t i = 1; i < n && i < LIM_SYMTAB; i++) {
		uint8_t b[sizeof(Elf64_Sym)];
		uint64_t value;
		uint32_t name;
		uint8_t info;

		if (!dcam_src_read(a->src, sh->off + i * entsz, b, entsz))
			break;
		name = (uint32_t)dcam_rd(a, b, 4);
		info = a->is64 ? b[4] : b[12];
		value = a->is64 ? dcam_rd(a, b + 8, 8) : dcam_rd(a, b + 4, 4);
		if (ELF64_ST_TYPE(info) == STT_FUNC && value && name < strn)
			add_name(a, value, a->symstr + name);
	}
}

#define DISAGREE "section headers disagree with the loader's view: "

/* One section against the program headers and the dynamic segment. */
static void compare_section(struct an *a, const struct shdr *sh, const char *nm)
{
	uint64_t n = sh->entsize ? sh->size / sh->entsize : 0;
	bool in_file = sh->off <= a->size && sh->size <= a->size - sh->off;

	if (upx_name(nm))
		structure(a, sh->addr, DCAM_W_PACKER, "packer section %s", nm);
	if (sh->type != SHT_NOBITS && sh->size && !in_file) {
		structure(a, sh->addr, DCAM_W_SECTIONS, "section %s (0x%" PRIx64 " bytes at 0x%"
			  PRIx64 ") ends past the end of the file", nm, sh->size, sh->off);
		return;
	}
	if ((sh->flags & SHF_ALLOC) && (sh->flags & SHF_EXECINSTR) && sh->type != SHT_NOBITS &&
	    sh->size && !exec_mapped(a, sh->addr, sh->size))
		structure(a, sh->addr, DCAM_W_SECTIONS, "section %s claims code at 0x%" PRIx64
			  " where no executable segment maps", nm, sh->addr);
	if (sh->type == SHT_DYNSYM && a->symtab && sh->addr != a->symtab)
		structure(a, sh->addr, DCAM_W_SECTIONS, DISAGREE ".dynsym at 0x%" PRIx64
			  ", DT_SYMTAB 0x%" PRIx64, sh->addr, a->symtab);
	else if (sh->type == SHT_DYNSYM && a->dyn_count && n != a->dyn_count)
		structure(a, sh->addr, DCAM_W_SECTIONS, DISAGREE ".dynsym holds %" PRIu64
			  " symbols, the hash table %zu", n, a->dyn_count);
	else if (sh->type == SHT_DYNSYM && !a->dyn_count && n <= a->max_reloc_sym)
		structure(a, sh->addr, DCAM_W_SECTIONS, DISAGREE ".dynsym holds %" PRIu64
			  " symbols, relocations use %u", n, a->max_reloc_sym + 1);
	if (sh->type == SHT_DYNAMIC && a->has_dynamic && sh->addr != a->dyn_vaddr)
		structure(a, sh->addr, DCAM_W_SECTIONS, DISAGREE ".dynamic at 0x%" PRIx64
			  ", PT_DYNAMIC 0x%" PRIx64, sh->addr, a->dyn_vaddr);
}

void dcam_elf_sections(struct an *a)
{
	size_t entsz = a->is64 ? 64 : 40;
	uint64_t count = a->e_shnum;
	struct shdr sh0, names, sh;
	bool have_names = false;
	uint32_t symtab = 0, strndx = a->e_shstrndx;

	if (!a->e_shoff) {
		structure(a, 0, DCAM_W_NO_SECTIONS, "no section headers");
		goto out;
	}
	if (a->e_shentsize != entsz) {
		structure(a, 0, DCAM_W_SECTIONS, DISAGREE "entry size %u", a->e_shentsize);
		goto out;
	}
	if (!read_shdr(a, 0, &sh0)) {
		structure(a, 0, DCAM_W_SECTIONS, "section header table at 0x%" PRIx64
			  " ends past the end of the file (%" PRIu64 " bytes)", a->e_shoff, a->size);
		goto out;
	}
	/* extended numbering: the count and the name table index in entry 0 */
	if (!count)
		count = sh0.size;
	if (strndx == SHN_XINDEX)
		strndx = sh0.link;
	if (a->e_shoff > a->size || count > (a->size - a->e_shoff) / entsz) {
		structure(a, 0, DCAM_W_SECTIONS, "section header table (0x%" PRIx64 ", %" PRIu64
			  " entries) ends past the end of the file (%" PRIu64 " bytes)",
			  a->e_shoff, count, a->size);
		goto out;
	}
	if (count > LIM_SECTIONS) {
		structure(a, 0, DCAM_W_SECTIONS, "huge section header table (%" PRIu64 " entries)",
			  count);
		count = LIM_SECTIONS;
	}
	if (strndx && strndx < count && read_shdr(a, strndx, &names) &&
	    names.off <= a->size && names.size <= a->size - names.off)
		have_names = true;
	else if (strndx)
		structure(a, 0, DCAM_W_SECTIONS, "section name table index %u is bogus", strndx);
	for (uint32_t i = 1; i < count; i++) {
		char nm[40];

		if (!read_shdr(a, i, &sh))
			break;
		section_name(a, have_names ? &names : NULL, sh.name, nm, sizeof(nm));
		compare_section(a, &sh, nm);
		if (sh.type == SHT_SYMTAB && !symtab)
			symtab = i;
	}
	if (symtab && read_shdr(a, symtab, &sh)) {
		struct shdr str;

		if (sh.link && sh.link < count && read_shdr(a, sh.link, &str))
			load_symtab_names(a, &sh, &str);
	}
out:
	if (a->nnames)
		qsort(a->names, a->nnames, sizeof(*a->names), cmp_fname);
}
