/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The walk: Capstone decodes only code reachable from the entry points,
 * under fixed bounds (instructions, depth). Branch targets come from
 * op_str, not Capstone's slow detail mode; a small register model follows
 * constants and GOT loads far enough to name a call's import and its
 * protection or syscall number. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include <gelf.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "lib/util.h"

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
	if (!dcam_grow(&a->stack, &a->capstack, a->nstack, sizeof(*a->stack)))
		return;
	a->stack[a->nstack++] = (struct work){ addr, depth };
}

static void on_import(struct an *a, const struct entry *e, uint32_t sym, uint64_t at,
		      const struct regs *rg, int prot_reg, int depth)
{
	const char *name = dcam_sym_name(a, sym);
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
			dcam_add_finding(a, rule->category, e->via, e, at, w * dcam_via_factor(e->via),
					 "%s(PROT_EXEC)", name);
			return;
		}
		if (known || (rule->flags & DCAM_RULE_EXEC_ONLY))
			return;
		w *= 0.6; /* protection not a constant here */
	}
	dcam_add_finding(a, rule->category, e->via, e, at, w * dcam_via_factor(e->via), "%s", name);
}

static void on_syscall(struct an *a, const struct entry *e, uint64_t at, const char *insn,
		       const struct regs *rg, int nr_reg)
{
	bool sensitive = false;
	const char *name;

	if (rg->kind[nr_reg] != RK_CONST) {
		dcam_add_finding(a, DCAM_CAT_RAW_SYSCALL, e->via, e, at,
				 DCAM_W_RAW_SYSCALL * dcam_via_factor(e->via), "%s (number not constant)",
				 insn);
		return;
	}
	name = dcam_rules_syscall(a->machine, (long)rg->val[nr_reg], &sensitive);
	dcam_add_finding(a, DCAM_CAT_RAW_SYSCALL, e->via, e, at,
			 (sensitive ? DCAM_W_RAW_SYSCALL_SENSITIVE : DCAM_W_RAW_SYSCALL) *
				 dcam_via_factor(e->via),
			 "%s %" PRIu64 " (%s)", insn, rg->val[nr_reg], name ? name : "?");
}

/* A call/jump to target: an import when target is a PLT stub, else local
 * code to walk. */
static bool plt_slot(const struct an *a, uint64_t t, uint64_t *slot)
{
	size_t avail, o = 0;
	const uint8_t *p = dcam_va_ptr(a, t, &avail, true);

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
		s = dcam_find_slot(a->slots, a->nslots, slot);
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
			s = dcam_find_slot(a->slots, a->nslots, t);
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
	    (s = dcam_find_slot(a->slots, a->nslots, t)) &&
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
			s = dcam_find_slot(a->slots, a->nslots, rg->val[base] + (imm ? off : 0));
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
	const uint8_t *code = dcam_va_ptr(a, w->addr, &avail, true);
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

	if (!dcam_va_ptr(a, e->addr, &avail, true)) {
		dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, e, e->addr,
				 DCAM_W_ENTRY_OUTSIDE * dcam_via_factor(e->via),
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
	const char *n = dcam_name_at(a, addr);

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
		const struct slot *s = dcam_find_slot(a->arr_relocs, a->narr, slot);
		char fallback[32];
		struct entry e;

		if (s)
			target = s->val;
		else if (dcam_va_to_off(a, slot, &off) && off + 8 <= a->size)
			memcpy(&target, a->img + off, 8);
		if (!target || target == ~0ull)
			continue;
		snprintf(fallback, sizeof(fallback), "%s[%zu]", kind, i);
		entry_init(a, &e, target, kind, DCAM_VIA_INIT, fallback);
		a->res->n_entries++;
		walk_entry(a, &e, in);
	}
}

void dcam_walk_all(struct an *a, const GElf_Ehdr *eh)
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
		n = dcam_dynstr_at(a, s.st_name);
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

void dcam_walk_unreached_imports(struct an *a)
{
	for (size_t i = 1; i < a->nsyms; i++) {
		const struct dcam_rule *rule;
		const char *n;
		GElf_Sym s;

		if (a->reached[i] || !gelf_getsym(a->dynsym, (int)i, &s) ||
		    s.st_shndx != SHN_UNDEF || !(n = dcam_dynstr_at(a, s.st_name)) || !*n)
			continue;
		rule = dcam_rules_import(n);
		if (!rule || (rule->flags & DCAM_RULE_EXEC_ONLY))
			continue;
		dcam_add_finding(a, rule->category, DCAM_VIA_IMPORT, NULL, 0,
				 rule->weight * DCAM_F_IMPORT, "%s", n);
	}
}
