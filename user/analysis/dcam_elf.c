/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The object's structure as the loader sees it: program headers, the
 * dynamic segment, dynamic symbols and relocations. libelf converts the
 * records; every offset is checked against the image before it is read. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <libelf.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"

const uint8_t *dcam_va_ptr(const struct an *a, uint64_t va, size_t *avail, bool exec)
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

bool dcam_va_to_off(const struct an *a, uint64_t va, uint64_t *off)
{
	size_t avail;
	const uint8_t *p = dcam_va_ptr(a, va, &avail, false);

	if (!p)
		return false;
	*off = (uint64_t)(p - a->img);
	return true;
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

const char *dcam_dynstr_at(const struct an *a, uint64_t idx)
{
	const char *s;

	if (!a->dynstr || idx >= a->dynstr_len)
		return NULL;
	s = a->dynstr + idx;
	if (!memchr(s, '\0', a->dynstr_len - idx))
		return NULL;
	return s;
}

const char *dcam_sym_name(const struct an *a, uint32_t idx)
{
	GElf_Sym sym;
	const char *s;

	if (idx >= a->nsyms || !gelf_getsym(a->dynsym, (int)idx, &sym))
		return NULL;
	s = dcam_dynstr_at(a, sym.st_name);
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

const struct slot *dcam_find_slot(const struct slot *v, size_t n, uint64_t addr)
{
	struct slot key = { .addr = addr };

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_slot) : NULL;
}

static void add_name(struct an *a, uint64_t addr, const char *name)
{
	if (!name || !*name || a->nnames >= LIM_SYMS)
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

static int load_segments(struct an *a, char *err, size_t errlen)
{
	size_t phnum;

	if (elf_getphdrnum(a->elf, &phnum))
		return dcam_fail(err, errlen, -ENOEXEC, "corrupt program header table (%s)",
				 elf_errmsg(-1));
	if (!phnum)
		return dcam_fail(err, errlen, -ENOEXEC, "no program headers: not a loadable object");
	if (phnum > 65535)
		return dcam_fail(err, errlen, -ENOEXEC, "%zu program headers: corrupt", phnum);
	a->segs = calloc(phnum, sizeof(*a->segs));
	if (!a->segs)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(a->elf, (int)i, &ph))
			return dcam_fail(err, errlen, -ENOEXEC,
					 "program header %zu is truncated or corrupt", i);
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_DYNAMIC) &&
		    (ph.p_offset > a->size || ph.p_filesz > a->size - ph.p_offset))
			return dcam_fail(err, errlen, -ENOEXEC,
					 "truncated: segment %zu (offset 0x%" PRIx64 ", 0x%" PRIx64
					 " bytes) ends past the end of the file (%zu bytes)",
					 i, (uint64_t)ph.p_offset, (uint64_t)ph.p_filesz, a->size);
		switch (ph.p_type) {
		case PT_LOAD:
			/* real objects have a handful; many would make lookups slow */
			if (a->nsegs == LIM_SEGMENTS)
				return dcam_fail(err, errlen, -ENOEXEC,
						 "more than %d loadable segments: corrupt", LIM_SEGMENTS);
			a->segs[a->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset,
							    ph.p_filesz, ph.p_flags };
			if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
				dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, ph.p_vaddr,
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
				dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0,
						 DCAM_W_EXEC_STACK, "executable stack (PT_GNU_STACK)");
			break;
		}
	}
	if (!a->nsegs)
		return dcam_fail(err, errlen, -ENOEXEC, "no loadable segments");
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
		dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_NO_SECTIONS,
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
			dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, sh.sh_addr,
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
		dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_TEXTREL,
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
	if (a->hash && dcam_va_to_off(a, a->hash, &off) && rd32(a, off + 4, &v))
		return v;
	if (!a->gnu_hash || !dcam_va_to_off(a, a->gnu_hash, &off) || !rd32(a, off, &nbuckets) ||
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

	if (!a->symtab || !a->strtab || !entsz || !dcam_va_to_off(a, a->symtab, &off) ||
		 !dcam_va_to_off(a, a->strtab, &stroff))
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
			add_name(a, s.st_value, dcam_dynstr_at(a, s.st_name));
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

	if (!va || !sz || !entsz || !dcam_va_to_off(a, va, &off) || sz > a->size - off)
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
			if (!dcam_grow(&a->slots, &a->capslots, a->nslots, sizeof(*a->slots)))
				return;
			a->slots[a->nslots++] = (struct slot){ r.r_offset, sym };
		} else if (!sym && is_relative(a->machine, type) && in_array(a, r.r_offset) &&
			   a->narr < LIM_ARRAY) {
			if (!dcam_grow(&a->arr_relocs, &a->caparr, a->narr, sizeof(*a->arr_relocs)))
				return;
			a->arr_relocs[a->narr++] = (struct slot){ r.r_offset, (uint64_t)r.r_addend };
		}
	}
}

int dcam_elf_load(struct an *a, const GElf_Ehdr *eh, char *err, size_t errlen)
{
	int ret = load_segments(a, err, errlen);

	if (ret)
		return ret;
	load_sections(a, eh);
	read_dynamic(a);
	load_dynsyms(a);
	if (a->nnames)
		qsort(a->names, a->nnames, sizeof(*a->names), cmp_fname);
	scan_relocs(a, a->jmprel, a->pltrelsz);
	scan_relocs(a, a->rela, a->relasz);
	if (a->nslots)
		qsort(a->slots, a->nslots, sizeof(*a->slots), cmp_slot);
	if (a->narr)
		qsort(a->arr_relocs, a->narr, sizeof(*a->arr_relocs), cmp_slot);
	return a->nsyms && !a->reached ? -ENOMEM : 0;
}
