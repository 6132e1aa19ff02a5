/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the DCAM stages share (private to user/analysis/): the bounds, the
 * analysis state and the helpers each stage calls. dcam_src.c reads the
 * file in bounded chunks, dcam_elf.c reads the structure, dcam_walk.c
 * decodes code from the entry points, dcam_predict.c turns the calls it
 * meets into tokens, dcam_interpose.c and dcam_scan.c look for hooking and
 * at the bytes, dcam.c drives them and scores. */
#ifndef BPFPROF_DCAM_INTERNAL_H
#define BPFPROF_DCAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "analysis/dcam.h"

#define LIM_INSNS_ENTRY 4096
#define LIM_INSNS_TOTAL 65536
#define LIM_DEPTH 6
#define LIM_ENTRIES 65536
#define LIM_FINDINGS 256
#define LIM_BLOCK_BYTES 65536
#define LIM_SYMS (1u << 18)        /* dynamic symbols (46 k in libLLVM) */
#define LIM_SLOTS (1u << 18)       /* relocations naming a symbol */
#define LIM_DYNSTR (8u << 20)      /* bytes of dynamic string table kept */
#define LIM_SYMTAB 65536           /* .symtab entries read for names */
#define LIM_SYMSTR (2u << 20)      /* bytes of .symtab's strings kept */
#define LIM_ARRAY 4096             /* init array slots */
#define LIM_PTR_RELOCS (1u << 16)  /* pointers in data the walk can load (1 MiB) */
#define LIM_SEGMENTS 256
#define LIM_PHDR_BYTES 65536       /* the kernel's limit on a program header table */
#define LIM_DYN 4096               /* dynamic entries */
#define LIM_SECTIONS 1024          /* section headers compared; more is a finding */
#define LIM_NEXT_NAMES 1024        /* names resolved with dlsym(RTLD_NEXT, ...) */
#define PROT_EXEC_BIT 4

/* Reading: the file is never held whole. Chunks of CHUNK bytes (plus PAD,
 * so any read starting in a chunk has PAD contiguous bytes) are read with
 * pread into NCHUNKS buffers, least recently used first out. */
#define DCAM_CHUNK (256u << 10)
#define DCAM_CHUNK_PAD LIM_BLOCK_BYTES
#define DCAM_NCHUNKS 16

struct dcam_chunk {
	uint64_t base;
	size_t len;
	uint8_t *buf;
	unsigned lru, pins;
	bool used;
};

struct dcam_src {
	int fd;             /* -1: bytes in memory */
	const uint8_t *mem;
	uint64_t size;
	struct dcam_chunk ch[DCAM_NCHUNKS];
	unsigned tick;
	int err;            /* first read error, negative errno */
};

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

struct dsym {
	uint64_t value;
	uint32_t name;  /* offset in dynstr */
	uint16_t shndx;
	uint8_t info;
};

struct entry {
	uint64_t addr;
	const char *kind; /* "DT_INIT", "init_array", ... */
	enum dcam_via via;
	char name[DCAM_ENTRY_LEN];
};

/* What the walk knows of a register: nothing, a constant (a number or an
 * address), an import loaded from its GOT slot, or an fd a known call
 * returned (a socket of a family, a memfd). */
enum { RK_UNKNOWN, RK_CONST, RK_IMPORT, RK_SOCKFD, RK_MEMFD, RK_STACKBUF };
#define FRAME_SLOTS 8
struct frame_slot {
	int64_t disp; /* from the frame or stack pointer */
	uint8_t base, kind;
	uint64_t val;
};
/* A stack buffer a string was built in (snprintf, strcpy, strcat): its
 * text with the parts known only at run time left as conversions
 * ("%s/.ssh/authorized_keys", "/tmp/x-%d.so"). */
#define STRBUFS 2
#define STRBUF_LEN 80
struct strbuf {
	uint64_t key; /* RK_STACKBUF value of its address */
	char text[STRBUF_LEN];
};
/* An io_uring operation being prepared: the IORING_OP_* constant stored
 * as a queue entry's first byte, where that entry is (a register and a
 * displacement), and the constants stored in its addr (a path, an
 * address) and open_flags fields. */
#define RING_OPS 4
struct ring_op {
	uint8_t op, base;
	bool has_addr, has_flags;
	uint32_t flags;
	int64_t disp;
	uint64_t addr;
};
struct regs {
	uint8_t kind[32];
	uint64_t val[32];
	/* values spilled to the stack frame (unoptimised code keeps every
	 * local there): the latest FRAME_SLOTS stores */
	struct frame_slot slot[FRAME_SLOTS];
	uint8_t nslots, nbufs;
	struct strbuf buf[STRBUFS];
	/* io_uring operations prepared since the last submission, in order,
	 * so the submission predicts the calls the ring makes */
	struct ring_op ring_op[RING_OPS];
	uint8_t nring_ops;
};
/* The text built in the stack buffer key names, or NULL. */
const char *dcam_strbuf(const struct regs *rg, uint64_t key);

struct work {
	uint64_t addr;
	struct regs rg;
};

/* What a walked function leaves in the result register. */
struct retval {
	bool set;
	uint8_t kind;
	uint64_t val;
};

struct memo {
	uint64_t addr, ctx;
	struct retval ret;
};

struct an {
	struct dcam_src *src;
	uint64_t size;
	bool is64, le;
	unsigned machine;
	uint16_t etype;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_phnum, e_shnum, e_phentsize, e_shentsize, e_shstrndx;
	struct seg *segs;
	size_t nsegs;
	bool has_interp;
	bool flat; /* not ELF, mapped as code: one segment, walked from byte 0 */
	bool load_time_only; /* dcam_analyze_fd_load_time: no exports, no constants scan */
	uint64_t dyn_vaddr, dyn_off, dyn_sz;
	bool has_dynamic;
	/* from the dynamic segment (virtual addresses) */
	uint64_t dt_init, init_arr, init_arrsz, preinit_arr, preinit_arrsz;
	uint64_t dt_fini, fini_arr, fini_arrsz;
	uint64_t symtab, strtab, strsz, jmprel, pltrelsz, pltrel, rela, relasz, rel, relsz;
	uint64_t hash, gnu_hash, syment;
	bool textrel;
	/* dynamic symbols, copied */
	struct dsym *syms;
	size_t nsyms, dyn_count; /* kept; count the hash tables give (0: none) */
	uint32_t max_reloc_sym;
	char *dynstr;
	size_t dynstr_len;
	uint8_t *reached; /* per dynsym: an analysed path called it */
	struct slot *slots;
	size_t nslots, capslots;
	struct slot *arr_relocs; /* RELATIVE relocs of init-array slots */
	size_t narr, caparr;
	struct slot *ptr_relocs; /* RELATIVE relocs elsewhere: pointers in data */
	size_t nptr, capptr;
	struct fname *names;
	size_t nnames, capnames;
	char *symstr; /* .symtab's string table (names only) */
	/* walk */
	csh cs;
	bool cs_open;
	cs_insn *insn[LIM_DEPTH + 2]; /* one per call depth: a deeper walk runs mid-instruction */
	uint64_t *vkey;
	uint32_t *vgen;
	size_t visited_cap, visited_n;
	uint32_t gen;
	struct work *stack;
	size_t nstack, capstack;
	uint64_t insns;
	struct memo *memo;
	size_t nmemo, capmemo;
	size_t pred_entry_start; /* the current entry's first predicted call */
	/* dlsym(RTLD_NEXT, "name") seen anywhere: the originals it reaches */
	char **next_names;
	size_t n_next, cap_next;
	uint32_t hide_compares; /* hiding hooks (by list index) that compare names */
	/* output */
	struct dcam_result *res;
	size_t capf, cap_pred;
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

/* dcam_src.c: bounded reads of the file */
void dcam_src_init_mem(struct dcam_src *s, const void *buf, size_t len);
void dcam_src_init_fd(struct dcam_src *s, int fd, uint64_t size);
void dcam_src_fini(struct dcam_src *s);
/* Bytes at file offset off: *avail contiguous ones (at least PAD or up to
 * the end of the file). Valid until the next call, or until unpinned when
 * pin is given. NULL past the end or on a read error. */
const uint8_t *dcam_src_ptr(struct dcam_src *s, uint64_t off, size_t *avail, int *pin);
void dcam_src_unpin(struct dcam_src *s, int pin);
/* Copy len bytes at off into dst; false unless all were there. */
bool dcam_src_read(struct dcam_src *s, uint64_t off, void *dst, size_t len);
/* The same, leaving the chunks alone (a sample of far-apart bytes). */
bool dcam_src_sample(struct dcam_src *s, uint64_t off, void *dst, size_t len);

/* dcam_elf.c: the structure, as the loader reads it */
/* Reads the headers, segments and dynamic segment. Problems are findings;
 * returns false when nothing more can be analysed (no code to walk). */
bool dcam_elf_load(struct an *a);
/* Bytes that are not ELF at all, yet were mapped executable, are code
 * as they stand: set up one executable segment over them for the host's
 * machine. False for an ELF file (even a broken one) or an empty file. */
bool dcam_flat_load(struct an *a);
/* The same for bytes known to be code (memory made executable), whatever
 * they start with. */
bool dcam_code_setup(struct an *a);
/* Compares the section headers with what the loader maps (findings). */
void dcam_elf_sections(struct an *a);
/* File offset of virtual address va inside a segment's file image
 * (executable segments only when exec); *avail bytes follow in it. */
bool dcam_va_off(const struct an *a, uint64_t va, uint64_t *off, uint64_t *avail, bool exec);
bool dcam_off_to_va(const struct an *a, uint64_t off, uint64_t *va);
/* Copy len bytes at virtual address va (any segment's file image). */
bool dcam_va_read(const struct an *a, uint64_t va, void *dst, size_t len);
/* The NUL-terminated printable string at va, copied into buf; NULL if none. */
const char *dcam_va_str(const struct an *a, uint64_t va, char *buf, size_t len);
const char *dcam_dynstr_at(const struct an *a, uint64_t idx);
const char *dcam_sym_name(const struct an *a, uint32_t idx);
const char *dcam_name_at(const struct an *a, uint64_t addr);
const struct slot *dcam_find_slot(const struct slot *v, size_t n, uint64_t addr);
/* Bytes of the file the executable segments map. */
uint64_t dcam_code_bytes(const struct an *a);
bool dcam_sym_is_func_export(const struct dsym *s);
/* Integer fields of the file's byte order. */
uint64_t dcam_rd(const struct an *a, const uint8_t *p, size_t size);

/* dcam_walk.c: the code reachable from the entry points */
void dcam_walk_all(struct an *a);
/* Sensitive imports no analysed path reached (or every import, for
 * machines we do not decode): reported at the import factor. */
void dcam_walk_unreached_imports(struct an *a);

/* dcam_predict.c: calls to tokens */
#define REG_NONE 31 /* never written: an argument we cannot see */
struct callsite {
	const char *name;         /* function or syscall name */
	enum dcam_pred_via via;
	const struct regs *rg;    /* registers at the call */
	const uint8_t *argreg;    /* register of argument i */
	uint64_t at;
	const struct entry *e;
};
/* Append the tokens the call stands for to the predicted sequence (when
 * predict) and return what its result register holds afterwards. */
void dcam_predict_call(struct an *a, const struct callsite *c, bool predict, uint8_t *ret_kind,
		       uint64_t *ret_val);
/* A hook's entry: its own token (dcam_hook_token), then the call it
 * stands in for, as dcam_predict_call. */
void dcam_predict_hook(struct an *a, const struct callsite *c, uint8_t *ret_kind,
		       uint64_t *ret_val);
/* io_uring: whether op is an operation that stands for a call the
 * decoder makes a token of; whether the function or syscall name submits
 * a ring's prepared operations; the tokens of the operations prepared in
 * c->rg, predicted at their submission c (its arguments: those of the
 * operations, out of the walk's sight). */
bool dcam_ring_op_predicted(uint64_t op);
bool dcam_ring_submits(const char *name);
void dcam_predict_ring_ops(struct an *a, const struct callsite *c, bool predict);

/* dcam_interpose.c: hooking the process the object lives in */
void dcam_note_next(struct an *a, const char *name);
/* The export being walked calls callee (a name comparison in a hook). */
void dcam_note_call_in_export(struct an *a, const char *export_name, const char *callee);
void dcam_interpose_check(struct an *a);
/* name is one of the libc functions interposers hook: an export of it
 * runs whenever the process calls it, so the load-time analysis walks it
 * (when the object imports dlsym: a hook reaches the original through it;
 * libc itself exports these names and imports no dlsym) */
bool dcam_hook_candidate(const char *name);
bool dcam_imports_dlsym(const struct an *a);
/* name is a libc function the object exports and reaches the original of
 * with dlsym(RTLD_NEXT): its export runs whenever the process calls it
 * (known once the findings pass has walked the exports) */
bool dcam_interposes(const struct an *a, const char *name);
/* The token a hook of name is in itself, NULL when it is none: a hook of
 * a listing (directories, /proc, login records, packets) hides what it
 * filters out (T1014), one of authentication sees or bypasses passwords
 * (T1556.003); a runtime hooking wholesale is neither. */
const char *dcam_hook_token(const struct an *a, const char *name);

/* dcam_scan.c: the bytes themselves */
void dcam_scan_constants(struct an *a);
void dcam_scan_packer(struct an *a);

#endif
