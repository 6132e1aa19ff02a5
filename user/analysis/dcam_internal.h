/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the DCAM stages share (private to user/analysis/): the bounds, the
 * analysis state and the helpers each stage calls. dcam_elf.c reads the
 * structure, dcam_walk.c decodes code from the entry points, dcam_scan.c
 * looks at the bytes, dcam.c drives them and scores. */
#ifndef BPFPROF_DCAM_INTERNAL_H
#define BPFPROF_DCAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include <gelf.h>
#include "analysis/dcam.h"

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

int dcam_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Room for one more element in the array *vp holding n of *cap. */
bool dcam_grow(void *vp, size_t *cap, size_t n, size_t elem);
/* One finding per thing (category and text): the first path to it. */
void dcam_add_finding(struct an *a, enum dcam_category cat, enum dcam_via via,
		      const struct entry *e, uint64_t addr, double weight,
		      const char *fmt, ...) __attribute__((format(printf, 7, 8)));
double dcam_via_factor(enum dcam_via via);

/* dcam_elf.c: the structure, as the loader reads it */
int dcam_elf_load(struct an *a, const GElf_Ehdr *eh, char *err, size_t errlen);
/* Bytes at virtual address va inside a segment's file image (executable
 * segments only when exec); *avail is how many follow. */
const uint8_t *dcam_va_ptr(const struct an *a, uint64_t va, size_t *avail, bool exec);
bool dcam_va_to_off(const struct an *a, uint64_t va, uint64_t *off);
bool dcam_off_to_va(const struct an *a, uint64_t off, uint64_t *va);
const char *dcam_dynstr_at(const struct an *a, uint64_t idx);
const char *dcam_sym_name(const struct an *a, uint32_t idx);
const char *dcam_name_at(const struct an *a, uint64_t addr);
const struct slot *dcam_find_slot(const struct slot *v, size_t n, uint64_t addr);

/* dcam_walk.c: the code reachable from the entry points */
void dcam_walk_all(struct an *a, const GElf_Ehdr *eh);
/* Sensitive imports no analysed path reached (or every import, for
 * machines we do not decode): reported at the import factor. */
void dcam_walk_unreached_imports(struct an *a);

/* dcam_scan.c: the bytes themselves */
void dcam_scan_constants(struct an *a);
void dcam_scan_packer(struct an *a);

#endif
