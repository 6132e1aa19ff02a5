/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The walk: Capstone decodes only code reachable from the entry points,
 * under fixed bounds (instructions, depth). Branch targets come from
 * op_str, not Capstone's slow detail mode; a small register model follows
 * constants, addresses, GOT loads and the fds known calls return far
 * enough to name a call's import and its key arguments.
 *
 * Two passes. The prediction pass walks the load-time entry points in the
 * loader's order and emits the calls it meets in program order: a call to
 * local code is walked where it is made, with the caller's argument
 * registers, before the code after it; a thread's start routine is walked
 * at pthread_create; within a function the path falls through first and
 * a branch's other side is walked when the path ends (ret, a jump back
 * into walked code), the latest branch first. The findings pass walks
 * every entry point (load-time ones first, then the exports), each
 * instruction once per file, and reports what it reaches. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <capstone/capstone.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "lib/util.h"

#define LIM_PRED_INSNS 16384 /* the prediction pass, all load-time entries */
#define LIM_MODULE_INITS 4   /* more: a runtime's library, not a module */
#define LIM_MEMO 4096        /* (function, arguments) walked per entry */
#define RTLD_NEXT_HANDLE ((uint64_t)-1)

struct walk {
	const struct entry *e;
	bool predict;     /* the prediction pass: each call walked in its context */
	uint32_t gen;     /* findings pass: one visited generation for the file */
	uint64_t budget;
	uint64_t callee_max; /* what one call may spend: a quarter of the entry's */
	/* a hook's walk: what the hooked function returns, which a call
	 * through an unknown pointer (its original) returns too */
	uint8_t hook_ret_kind;
	uint64_t hook_ret_val;
};


static const uint8_t x86_call_args[6] = { 7, 6, 2, 1, 8, 9 };     /* rdi rsi rdx rcx r8 r9 */
static const uint8_t x86_sys_args[6] = { 7, 6, 2, 10, 8, 9 };     /* rdi rsi rdx r10 r8 r9 */
static const uint8_t x86_syscall_fn_args[6] = { 6, 2, 1, 8, 9, REG_NONE }; /* syscall(nr, ...) */
static const uint8_t a64_args[6] = { 0, 1, 2, 3, 4, 5 };
static const uint8_t a64_syscall_fn_args[6] = { 1, 2, 3, 4, 5, 6 };
static const uint8_t no_args[6] = { REG_NONE, REG_NONE, REG_NONE, REG_NONE, REG_NONE, REG_NONE };

static const uint8_t *call_args(const struct an *a)
{
	return a->machine == EM_X86_64 ? x86_call_args : a64_args;
}

/* --- visited: an address set per generation (a function invocation in the
 * prediction pass, the whole file in the findings pass) --------------- */

static size_t vslot(const struct an *a, uint64_t key)
{
	size_t mask = a->visited_cap - 1, h = (key * 0x9e3779b97f4a7c15ull) >> 20 & mask;

	while (a->vkey[h] && a->vkey[h] != key)
		h = (h + 1) & mask;
	return h;
}

static bool visited_add(struct an *a, uint64_t addr, uint32_t gen)
{
	uint64_t key = addr + 1; /* 0 marks an empty slot */
	size_t h;

	if ((a->visited_n + 1) * 2 > a->visited_cap) {
		size_t cap = a->visited_cap ? a->visited_cap * 2 : 1024, ocap = a->visited_cap;
		uint64_t *ok = a->vkey, *nk = calloc(cap, sizeof(*nk));
		uint32_t *og = a->vgen, *ng = calloc(cap, sizeof(*ng));

		if (!nk || !ng) {
			free(nk);
			free(ng);
			return false;
		}
		a->vkey = nk;
		a->vgen = ng;
		a->visited_cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (ok[i]) {
				h = vslot(a, ok[i]);
				a->vkey[h] = ok[i];
				a->vgen[h] = og[i];
			}
		free(ok);
		free(og);
	}
	h = vslot(a, key);
	if (a->vkey[h] && a->vgen[h] == gen)
		return false;
	if (!a->vkey[h])
		a->visited_n++;
	a->vkey[h] = key;
	a->vgen[h] = gen;
	return true;
}

static bool visited_has(const struct an *a, uint64_t addr, uint32_t gen)
{
	size_t h;

	if (!a->visited_cap)
		return false;
	h = vslot(a, addr + 1);
	return a->vkey[h] && a->vgen[h] == gen;
}

static void truncated(struct an *a, const struct walk *w)
{
	if (w->predict)
		a->res->predicted_truncated = true;
	else
		a->res->truncated = true;
}

static void push(struct an *a, uint64_t addr, const struct regs *rg)
{
	if (!dcam_grow(&a->stack, &a->capstack, a->nstack, sizeof(*a->stack)))
		return;
	a->stack[a->nstack].addr = addr;
	a->stack[a->nstack].rg = *rg;
	a->nstack++;
}

static void walk_fn(struct an *a, struct walk *w, uint64_t addr, const struct regs *in, int depth,
		    struct retval *ret);

static void clobber_call(unsigned machine, struct regs *rg)
{
	static const int volatile_regs[] = { 0, 1, 2, 6, 7, 8, 9, 10, 11 };

	if (machine == EM_AARCH64) {
		memset(rg->kind, RK_UNKNOWN, 19); /* x0-x18 */
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(volatile_regs); i++)
		rg->kind[volatile_regs[i]] = RK_UNKNOWN;
}

/* A call through a pointer the walk does not know. In a hook that is the
 * original it stands in for (the pointer dlsym(RTLD_NEXT) gave, kept in a
 * variable): its result is the hooked function's (accept's: a socket). */
static void call_unknown(struct an *a, const struct walk *w, struct regs *rg)
{
	clobber_call(a->machine, rg);
	if (w->hook_ret_kind != RK_UNKNOWN) {
		rg->kind[0] = w->hook_ret_kind;
		rg->val[0] = w->hook_ret_val;
	}
}

/* A call into the object's own code: walked now, with the caller's
 * arguments; what it leaves in the result register comes back. The
 * callee may spend three quarters of what is left, and at most a quarter
 * of the entry's budget: a long helper (Rust's address parsing before its
 * connect, static glibc's snprintf before a payload's mprotect) must not
 * use up the budget of the caller's own calls that follow it. */
static void call_local(struct an *a, struct walk *w, uint64_t target, struct regs *rg, int depth)
{
	struct retval ret = { 0 };
	struct regs callee = *rg;
	uint64_t kept = w->budget / 4;

	if (w->callee_max && w->budget - kept > w->callee_max)
		kept = w->budget - w->callee_max;
	callee.nslots = 0; /* a new frame */
	w->budget -= kept;
	walk_fn(a, w, target, &callee, depth + 1, &ret);
	w->budget += kept;
	clobber_call(a->machine, rg);
	if (ret.set) {
		rg->kind[0] = ret.kind;
		rg->val[0] = ret.val;
	}
}

/* Code that runs as a result of the call: a thread's start routine, the
 * main of __libc_start_main, clone's function. Walked with no arguments
 * known. */
static void follow_routine(struct an *a, struct walk *w, uint8_t kind, uint64_t target, int depth)
{
	struct regs fresh;
	uint64_t off, avail;

	if (kind != RK_CONST || !dcam_va_off(a, target, &off, &avail, true))
		return;
	memset(&fresh, 0, sizeof(fresh));
	call_local(a, w, target, &fresh, depth);
}

static const char *arg_str(const struct an *a, const struct regs *rg, uint8_t reg, char *buf,
			   size_t len)
{
	return reg != REG_NONE && rg->kind[reg] == RK_CONST ? dcam_va_str(a, rg->val[reg], buf, len)
							     : NULL;
}

/* --- findings ------------------------------------------------------- */

static void import_finding(struct an *a, const struct entry *e, const char *name, uint64_t at,
			   const struct regs *rg, const char *prefix)
{
	const struct dcam_rule *rule = dcam_rules_import(name);
	uint8_t prot_reg = call_args(a)[2];
	double w;

	if (!rule)
		return;
	w = rule->weight;
	if (rule->flags & (DCAM_RULE_PROT_ARG | DCAM_RULE_EXEC_ONLY)) {
		bool known = !prefix && rg->kind[prot_reg] == RK_CONST;
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
	dcam_add_finding(a, rule->category, e->via, e, at, w * dcam_via_factor(e->via), "%s%s%s",
			 prefix ? prefix : "", name, prefix ? ")" : "");
}

/* --- calls ----------------------------------------------------------- */

static void predict(struct an *a, struct walk *w, const char *name, enum dcam_pred_via via,
		    const uint8_t *args, uint64_t at, struct regs *rg)
{
	struct callsite c = { .name = name, .via = via, .rg = rg, .argreg = args, .at = at,
			      .e = w->e };
	uint8_t kind = RK_UNKNOWN;
	uint64_t val = 0;

	dcam_predict_call(a, &c, w->predict, &kind, &val);
	if (rg->nring_ops && dcam_ring_submits(name)) {
		c.via = DCAM_PRED_IO_URING;
		c.argreg = no_args;
		dcam_predict_ring_ops(a, &c, w->predict);
		rg->nring_ops = 0;
	}
	rg->kind[0] = kind; /* the result, in rax / x0 */
	rg->val[0] = val;
}

/* libc's syscall(nr, ...) with a constant number: the call of that number.
 * When finding, a sensitive one is a raw_syscall finding: it skips the libc
 * function a hook would see, as the instruction does. */
static const char *syscall_fn(struct an *a, const struct walk *w, uint64_t at,
			      const struct regs *rg)
{
	uint8_t r = call_args(a)[0];
	bool sensitive;
	const char *name;

	if (rg->kind[r] != RK_CONST)
		return NULL;
	name = dcam_rules_syscall(a->machine, (long)rg->val[r], &sensitive);
	if (sensitive && !w->predict)
		dcam_add_finding(a, DCAM_CAT_RAW_SYSCALL, w->e->via, w->e, at,
				 DCAM_W_RAW_SYSCALL_SENSITIVE * dcam_via_factor(w->e->via),
				 "syscall(%" PRIu64 ") (%s)", rg->val[r], name);
	return name;
}

static void on_builder(struct an *a, const char *name, const struct regs *before,
		       struct regs *after);

static void on_import(struct an *a, struct walk *w, uint32_t sym, uint64_t at, struct regs *rg,
		      int depth)
{
	const char *name = dcam_sym_name(a, sym);
	const uint8_t *args = call_args(a);
	struct regs before;
	char buf[DCAM_ARG_LEN];

	if (!name)
		return;
	a->reached[sym] = 1;
	if (a->syms[sym].shndx != SHN_UNDEF) {
		/* our own interposable symbol: the call is local code */
		if (a->syms[sym].value)
			call_local(a, w, a->syms[sym].value, rg, depth);
		return;
	}
	if (!w->predict) {
		import_finding(a, w->e, name, at, rg, NULL);
		if (w->e->via == DCAM_VIA_EXPORT)
			dcam_note_call_in_export(a, w->e->name, name);
	}
	before = *rg;
	clobber_call(a->machine, rg);
	on_builder(a, name, &before, rg);
	if (!strcmp(name, "dlsym") || !strcmp(name, "dlvsym")) {
		const char *target = arg_str(a, &before, args[1], buf, sizeof(buf));

		/* a name written into a stack buffer by the code itself, not by
		 * a string function the walk follows: decoded at run time so
		 * that no import or string names the function (dynamic API
		 * resolution, T1027.007) */
		if (!target && !w->predict && before.kind[args[1]] == RK_STACKBUF &&
		    !dcam_strbuf(&before, before.val[args[1]]))
			dcam_add_finding(a, DCAM_CAT_STRUCTURE, w->e->via, w->e, at,
					 DCAM_W_DECODED_NAME * dcam_via_factor(w->e->via),
					 "%s of a name decoded at run time", name);
		if (!target)
			return;
		if (!w->predict) {
			if (before.kind[args[0]] == RK_CONST && before.val[args[0]] == RTLD_NEXT_HANDLE)
				dcam_note_next(a, target);
			import_finding(a, w->e, target, at, &before, "dlsym(");
		}
		predict(a, w, target, DCAM_PRED_DLSYM, no_args, at, rg);
		rg->kind[0] = RK_UNKNOWN;
		return;
	}
	if (!strcmp(name, "syscall")) {
		const char *nr = syscall_fn(a, w, at, &before);

		if (nr)
			predict(a, w, nr, DCAM_PRED_SYSCALL,
				a->machine == EM_X86_64 ? x86_syscall_fn_args : a64_syscall_fn_args,
				at, &before);
		rg->kind[0] = before.kind[0];
		rg->val[0] = before.val[0];
		rg->nring_ops = before.nring_ops;
		return;
	}
	predict(a, w, name, DCAM_PRED_IMPORT, args, at, &before);
	rg->kind[0] = before.kind[0];
	rg->val[0] = before.val[0];
	rg->nring_ops = before.nring_ops;
	/* code the call runs: walked right after the call's own token */
	if (!strcmp(name, "pthread_create"))
		follow_routine(a, w, before.kind[args[2]], before.val[args[2]], depth);
	else if (!strcmp(name, "__libc_start_main") || !strcmp(name, "clone") ||
		 /* a handler the process runs at exit: the object's code
		  * all the same, however late (a payload put off to exit) */
		 !strcmp(name, "atexit") || !strcmp(name, "__cxa_atexit") ||
		 !strcmp(name, "on_exit"))
		follow_routine(a, w, before.kind[args[0]], before.val[args[0]], depth);
}

static void on_syscall(struct an *a, struct walk *w, uint64_t at, const char *insn,
		       struct regs *rg, int nr_reg)
{
	bool sensitive = false;
	const char *name;

	if (rg->kind[nr_reg] != RK_CONST) {
		if (!w->predict)
			dcam_add_finding(a, DCAM_CAT_RAW_SYSCALL, w->e->via, w->e, at,
					 DCAM_W_RAW_SYSCALL * dcam_via_factor(w->e->via),
					 "%s (number not constant)", insn);
		rg->kind[0] = RK_UNKNOWN;
		return;
	}
	name = dcam_rules_syscall(a->machine, (long)rg->val[nr_reg], &sensitive);
	if (!w->predict)
		dcam_add_finding(a, DCAM_CAT_RAW_SYSCALL, w->e->via, w->e, at,
				 (sensitive ? DCAM_W_RAW_SYSCALL_SENSITIVE : DCAM_W_RAW_SYSCALL) *
					 dcam_via_factor(w->e->via),
				 "%s %" PRIu64 " (%s)", insn, rg->val[nr_reg], name ? name : "?");
	if (name)
		predict(a, w, name, DCAM_PRED_SYSCALL,
			a->machine == EM_X86_64 ? x86_sys_args : a64_args, at, rg);
	else
		rg->kind[0] = RK_UNKNOWN;
}

/* A call/jump to target: an import when target is a PLT stub, else local
 * code to walk. */
static bool plt_slot(const struct an *a, uint64_t t, uint64_t *slot)
{
	uint8_t p[16];
	size_t o = 0;

	if (!dcam_va_read(a, t, p, sizeof(p))) {
		uint64_t off, avail;

		/* a stub at the very end of a segment */
		memset(p, 0, sizeof(p));
		if (!dcam_va_off(a, t, &off, &avail, true) || avail < 6 ||
		    !dcam_src_read(a->src, off, p, (size_t)(avail < 16 ? avail : 16)))
			return false;
	}
	if (a->machine == EM_X86_64) {
		int32_t disp;

		if (!memcmp(p, "\xf3\x0f\x1e\xfa", 4)) /* endbr64 */
			o = 4;
		if (p[o] == 0xf2) /* bnd */
			o++;
		if (p[o] != 0xff || p[o + 1] != 0x25)
			return false;
		memcpy(&disp, p + o + 2, 4);
		*slot = t + o + 6 + (int64_t)disp;
		return true;
	}
	if (a->machine == EM_AARCH64) {
		uint32_t w0, w1;
		int64_t imm;

		if (!memcmp(p, "\x5f\x24\x03\xd5", 4)) /* bti c */
			o = 4;
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

/* Returns true when the target was an import (a jump to it is a tail call). */
static bool on_target(struct an *a, struct walk *w, uint64_t t, uint64_t at, struct regs *rg,
		      int depth, bool call)
{
	uint64_t slot;
	const struct slot *s;

	if (plt_slot(a, t, &slot)) {
		s = dcam_find_slot(a->slots, a->nslots, slot);
		if (s)
			on_import(a, w, (uint32_t)s->val, at, rg, depth);
		else
			clobber_call(a->machine, rg);
		return true;
	}
	if (call)
		call_local(a, w, t, rg, depth);
	else
		push(a, t, rg); /* a jump: the same path goes on there */
	return false;
}

/* --- the register model ---------------------------------------------- */

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

/* An immediate that may be negative ("#-1"), as the 64-bit value it makes. */
static bool parse_imm(const char *s, uint64_t *v)
{
	if (*s == '#')
		s++;
	if (*s == '-') {
		if (!parse_u64(s + 1, v))
			return false;
		*v = (uint64_t)-(int64_t)*v;
		return true;
	}
	return parse_u64(s, v);
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

/* Instructions whose first operand is read, not written. */
static bool reads_first_operand(unsigned machine, const char *m)
{
	static const char *const x86[] = { "test", "cmp", "push", "bt", "ucomisd", "ucomiss",
					   "comisd", "comiss", "ptest", "nop" };
	static const char *const a64[] = { "cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "prfm" };

	if (machine == EM_AARCH64) {
		if (m[0] == 's' && m[1] == 't' && !strstr(m, "xr"))
			return true; /* str, stp, stur...; stxr writes its status register */
		for (size_t i = 0; i < ARRAY_SIZE(a64); i++)
			if (!strcmp(m, a64[i]))
				return true;
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(x86); i++)
		if (!strcmp(m, x86[i]))
			return true;
	return false;
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

static uint64_t stackbuf_key(uint8_t base, int64_t disp)
{
	return (uint64_t)disp << 1 | base;
}

const char *dcam_strbuf(const struct regs *rg, uint64_t key)
{
	for (uint8_t i = 0; i < rg->nbufs; i++)
		if (rg->buf[i].key == key)
			return rg->buf[i].text;
	return NULL;
}

/* A store into the frame at (base, disp) may overwrite a built string
 * (compilers inline strcpy of a constant as immediate stores): what the
 * buffer holds is no longer known. */
static void strbuf_clobber(struct regs *rg, uint8_t base, int64_t disp)
{
	for (uint8_t i = 0; i < rg->nbufs; i++) {
		int64_t at = (int64_t)rg->buf[i].key >> 1;

		if ((rg->buf[i].key & 1) == base && disp >= at && disp < at + 128)
			snprintf(rg->buf[i].text, sizeof(rg->buf[i].text), "%%s");
	}
}

/* Record the text now in the stack buffer key (append: after what is there). */
static void strbuf_set(struct regs *rg, uint64_t key, const char *text, bool append)
{
	struct strbuf *b = NULL;
	char old[STRBUF_LEN] = "";
	const char *head;
	size_t n, m;

	for (uint8_t i = 0; i < rg->nbufs; i++)
		if (rg->buf[i].key == key)
			b = &rg->buf[i];
	if (b && append)
		snprintf(old, sizeof(old), "%s", b->text);
	if (!b) {
		if (rg->nbufs == STRBUFS)
			memmove(rg->buf, rg->buf + 1, sizeof(rg->buf[0]) * --rg->nbufs);
		b = &rg->buf[rg->nbufs++];
	}
	b->key = key;
	head = append && old[0] ? old : append ? "%s" : "";
	n = strlen(head) < sizeof(b->text) - 1 ? strlen(head) : sizeof(b->text) - 1;
	memcpy(b->text, head, n);
	m = strlen(text) < sizeof(b->text) - 1 - n ? strlen(text) : sizeof(b->text) - 1 - n;
	memcpy(b->text + n, text, m); /* what does not fit is cut */
	b->text[n + m] = '\0';
}

/* --- string builders: what a path is made of ------------------------ */

static const struct builder {
	const char *name;
	int8_t dest, src;
	bool append;
	int8_t va; /* a format's first argument (its register index), 0: none */
} builders[] = {
	{ "sprintf", 0, 1, false, 2 }, { "snprintf", 0, 2, false, 3 },
	{ "__sprintf_chk", 0, 3, false, 4 }, { "__snprintf_chk", 0, 4, false, 5 },
	{ "strcpy", 0, 1, false, 0 }, { "stpcpy", 0, 1, false, 0 }, { "strncpy", 0, 1, false, 0 },
	{ "__strcpy_chk", 0, 1, false, 0 }, { "__stpcpy_chk", 0, 1, false, 0 },
	{ "memcpy", 0, 1, false, 0 }, { "strcat", 0, 1, true, 0 }, { "strncat", 0, 1, true, 0 },
	{ "__strcat_chk", 0, 1, true, 0 },
	/* writers of what is known only at run time */
	{ "memset", 0, -1, false, 0 }, { "read", 1, -1, false, 0 }, { "fread", 0, -1, false, 0 },
	{ "fgets", 0, -1, false, 0 }, { "getcwd", 0, -1, false, 0 },
	{ "readlink", 1, -1, false, 0 }, { "realpath", 1, -1, false, 0 },
	{ "recv", 1, -1, false, 0 }, { "recvfrom", 1, -1, false, 0 },
};

/* A format's text with each %s whose argument is a known string put in
 * ("%s/%s" of an unknown home and ".aws/credentials" from a table:
 * "%s/.aws/credentials"); every other conversion, and arguments past the
 * registers, stay as they are. */
static const char *format_args(const struct an *a, const struct regs *rg, const char *fmt,
			       int va, char *out, size_t cap)
{
	const uint8_t *args = call_args(a);
	size_t n = 0;

	for (const char *p = fmt; *p && n + 1 < cap; p++) {
		size_t spec, len;
		char arg[STRBUF_LEN];
		const char *text = NULL;

		if (*p != '%') {
			out[n++] = *p;
			continue;
		}
		spec = strspn(p + 1, "-+ #0123456789.*hljztL");
		if (!p[1 + spec])
			break;
		for (size_t k = 1; k <= spec; k++) /* a '*' width or precision: an argument */
			va += p[k] == '*';
		if (p[1 + spec] != '%') {
			if (p[1 + spec] == 's' && !spec && va < 6)
				text = arg_str(a, rg, args[va], arg, sizeof(arg));
			va++;
		}
		len = text ? strlen(text) : spec + 2;
		if (n + len >= cap)
			break;
		memcpy(out + n, text ? text : p, len);
		n += len;
		p += spec + 1;
	}
	out[n] = '\0';
	return out;
}

/* A string built into a stack buffer: its text, unknown parts as "%s". */
static void on_builder(struct an *a, const char *name, const struct regs *before,
		       struct regs *after)
{
	const uint8_t *args = call_args(a);
	char buf[STRBUF_LEN], fmt[STRBUF_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(builders); i++) {
		const struct builder *b = &builders[i];
		uint8_t d = args[b->dest];
		const char *text;

		if (strcmp(name, b->name))
			continue;
		if (before->kind[d] != RK_STACKBUF)
			return;
		text = b->src < 0 ? NULL : arg_str(a, before, args[b->src], buf, sizeof(buf));
		if (text && b->va)
			text = format_args(a, before, text, b->va, fmt, sizeof(fmt));
		if (!text && b->src >= 0 && before->kind[args[b->src]] == RK_STACKBUF)
			text = dcam_strbuf(before, before->val[args[b->src]]);
		strbuf_set(after, before->val[d], text ? text : "%s", b->append);
		return;
	}
}

/* A stack-frame operand: "dword ptr [rbp - 0x14]", "qword ptr [rsp + 8]",
 * "[sp, #0x1c]", "[x29, #16]": its base register and displacement. */
static bool frame_operand(unsigned machine, const char *s, uint8_t *base, int64_t *disp)
{
	uint64_t v = 0;
	const char *p;

	if (machine == EM_X86_64) {
		if (!strncmp(s, "dword ptr [", 11) || !strncmp(s, "qword ptr [", 11))
			p = s + 11;
		else if (*s == '[') /* lea's operand */
			p = s + 1;
		else
			return false;
		if (strncmp(p, "rbp", 3) && strncmp(p, "rsp", 3))
			return false;
		*base = p[1] == 'b' ? 0 : 1;
		p += 3;
		if (*p == ']') {
			*disp = 0;
			return true;
		}
		if ((p[1] != '+' && p[1] != '-') || !parse_u64(p + 3, &v))
			return false;
		*disp = p[1] == '-' ? -(int64_t)v : (int64_t)v;
		return true;
	}
	if (*s != '[')
		return false;
	p = s + 1;
	if (!strncmp(p, "sp", 2) && (p[2] == ']' || p[2] == ','))
		*base = 1, p += 2;
	else if (!strncmp(p, "x29", 3) && (p[3] == ']' || p[3] == ','))
		*base = 0, p += 3;
	else
		return false;
	if (*p == ']') {
		*disp = 0;
		return p[1] == '\0';
	}
	if (strncmp(p, ", #", 3) || !parse_imm(p + 2, &v) || !strchr(p, ']') || strchr(p, ']')[1])
		return false; /* pre/post-index forms move the base: not a slot */
	*disp = (int64_t)v;
	return true;
}

static struct frame_slot *slot_find(struct regs *rg, uint8_t base, int64_t disp)
{
	for (uint8_t i = 0; i < rg->nslots; i++)
		if (rg->slot[i].base == base && rg->slot[i].disp == disp)
			return &rg->slot[i];
	return NULL;
}

static void slot_store(struct regs *rg, uint8_t base, int64_t disp, uint8_t kind, uint64_t val)
{
	struct frame_slot *f = slot_find(rg, base, disp);

	if (!f) {
		if (rg->nslots == FRAME_SLOTS)
			memmove(rg->slot, rg->slot + 1, sizeof(rg->slot[0]) * --rg->nslots);
		f = &rg->slot[rg->nslots++];
	}
	*f = (struct frame_slot){ .disp = disp, .base = base, .kind = kind, .val = val };
}

/* Any store to the frame, of any size, may overwrite a built string:
 * through the stack or frame pointer, or a register holding a buffer's
 * address. An indexed store clobbers every buffer on that base. */
static void clobber_stores(struct an *a, const cs_insn *in, struct regs *rg)
{
	const char *op = in->op_str, *mem;
	bool x86 = a->machine == EM_X86_64, full;
	uint8_t base;
	int64_t disp;
	int r;

	if (x86) {
		mem = strchr(op, '[');
		/* the destination is the first operand: "<size> ptr [...], src" */
		if (!mem || !strstr(op, "ptr [") || strchr(op, ',') < mem)
			return;
	} else if (in->mnemonic[0] != 's' || in->mnemonic[1] != 't' || !(mem = strchr(op, '['))) {
		return;
	}
	if (frame_operand(a->machine, mem, &base, &disp)) {
		strbuf_clobber(rg, base, disp);
		return;
	}
	r = reg_index(a->machine, mem + 1, &full);
	if (!x86 && !strncmp(mem + 1, "sp", 2))
		r = 31, base = 1;
	for (uint8_t i = 0; i < rg->nbufs; i++) {
		uint8_t b = rg->buf[i].key & 1;

		if ((r >= 0 && r < 32 && rg->kind[r] == RK_STACKBUF && rg->val[r] == rg->buf[i].key) ||
		    (x86 && ((r == 4 && b == 1) || (r == 5 && b == 0))) ||
		    (!x86 && ((r == 31 && b == 1) || (r == 29 && b == 0))))
			snprintf(rg->buf[i].text, sizeof(rg->buf[i].text), "%%s");
	}
}

/* mov [frame], reg / str reg, [frame]: the register's value is kept there;
 * mov reg, [frame] / ldr reg, [frame]: it comes back. */
static bool track_frame(struct an *a, const cs_insn *in, struct regs *rg)
{
	const char *m = in->mnemonic, *second = strchr(in->op_str, ',');
	bool x86 = a->machine == EM_X86_64, full;
	uint8_t base;
	int64_t disp;
	int r;

	if (rg->nbufs)
		clobber_stores(a, in, rg);
	if (!second || (x86 ? strcmp(m, "mov") : strcmp(m, "str") && strcmp(m, "ldr") &&
					       strcmp(m, "stur") && strcmp(m, "ldur")))
		return false;
	second += 2;
	if (x86 && frame_operand(a->machine, in->op_str, &base, &disp)) {
		uint64_t imm;

		r = reg_index(a->machine, second, &full);
		if (r < 0 && parse_imm(second, &imm))
			slot_store(rg, base, disp, RK_CONST, in->op_str[0] == 'd' ? (uint32_t)imm : imm);
		else
			slot_store(rg, base, disp, r >= 0 && full ? rg->kind[r] : RK_UNKNOWN,
				   r >= 0 && full ? rg->val[r] : 0);
		return true;
	}
	if (!frame_operand(a->machine, second, &base, &disp))
		return false;
	r = reg_index(a->machine, in->op_str, &full);
	if (r < 0)
		return false;
	if (!x86 && m[0] == 's') { /* str/stur reg, [frame] */
		slot_store(rg, base, disp, full ? rg->kind[r] : RK_UNKNOWN, full ? rg->val[r] : 0);
		return true;
	}
	{
		struct frame_slot *f = slot_find(rg, base, disp);

		rg->kind[r] = f && full ? f->kind : RK_UNKNOWN;
		rg->val[r] = f && full ? f->val : 0;
	}
	return true;
}

/* "[reg]", "[reg + 0x40]", "[reg - 8]", "[sp, #0x40]", "[x0]": a memory
 * operand's base register and displacement, no index. After the "]" only
 * the end or x86's source operand: aarch64's pre-index write-back
 * ("[x0, #16]!") is refused; its post-index form ("[x0], #16") is taken
 * as the address it stores at, the base before it moves. */
static bool mem_operand(unsigned machine, const char *mem, uint8_t *base, int64_t *disp)
{
	const char *p = mem + 1, *end = strchr(mem, ']');
	uint64_t v;
	bool full;
	int r;

	if (!end || (end[1] != '\0' && end[1] != ','))
		return false;
	if (machine == EM_AARCH64 && !strncmp(p, "sp", 2))
		r = 31;
	else if ((r = reg_index(machine, p, &full)) < 0 || !full)
		return false;
	p += strcspn(p, " ,]");
	*base = (uint8_t)r;
	*disp = 0;
	if (*p == ']')
		return true;
	if (machine == EM_X86_64 ? p[0] != ' ' || (p[1] != '+' && p[1] != '-') || p[2] != ' '
				 : p[0] != ',' || p[1] != ' ' || p[2] != '#')
		return false;
	if (!parse_u64(p + (machine == EM_X86_64 ? 3 : 2), &v))
		return false;
	*disp = machine == EM_X86_64 && p[1] == '-' ? -(int64_t)v : (int64_t)v;
	return true;
}

/* Constants stored into an io_uring submission queue entry. Its first byte
 * is the operation: built on the stack, a byte store ("mov byte ptr
 * [rsp + 0x40], 0x10", "strb w1, [sp, #0x40]"); prepared in place at the
 * pointer io_uring_get_sqe returned, possibly merged by the compiler with
 * the zeroed flags and priority after it into one wider store at that
 * pointer ("mov dword ptr [rax], 0x10"). Only operations that stand for a
 * tokened call are kept, with the entry's addr (16 bytes in) and
 * open_flags (28 bytes in) when constants land there, before or after the
 * opcode; a submission turns them into predictions (dcam_ring_submits). */
static void track_ring_op(struct an *a, const cs_insn *in, struct regs *rg)
{
	const char *op = in->op_str, *mem = strchr(op, '['), *src = strchr(op, ',');
	bool x86 = a->machine == EM_X86_64, byte, full, stack;
	struct ring_op *last = rg->nring_ops ? &rg->ring_op[rg->nring_ops - 1] : NULL;
	unsigned size;
	uint8_t base;
	int64_t disp;
	uint64_t v;
	int r;

	if (!mem || !src)
		return;
	if (x86) {
		if (strcmp(in->mnemonic, "mov") || src < mem)
			return;
		size = !strncmp(op, "byte", 4) ? 1 : !strncmp(op, "word", 4) ? 2
		     : !strncmp(op, "dword", 5) ? 4 : 8;
		r = reg_index(a->machine, src + 2, &full);
		if (r >= 0 ? !full || rg->kind[r] != RK_CONST : !parse_imm(src + 2, &v))
			return;
	} else {
		if (strcmp(in->mnemonic, "strb") && strcmp(in->mnemonic, "str") &&
		    strcmp(in->mnemonic, "stur"))
			return;
		r = reg_index(a->machine, op, &full);
		if (r < 0 || !full || rg->kind[r] != RK_CONST)
			return;
		size = in->mnemonic[3] == 'b' ? 1 : op[0] == 'w' ? 4 : 8;
	}
	if (r >= 0)
		v = rg->val[r];
	if (!mem_operand(a->machine, mem, &base, &disp))
		return;
	if (last && last->base == base) {
		if (size == 8 && disp == last->disp + 16) {
			last->has_addr = true;
			last->addr = v;
			return;
		}
		if (size == 4 && disp == last->disp + 28) {
			last->has_flags = true;
			last->flags = (uint32_t)v;
			return;
		}
	}
	byte = size == 1;
	stack = x86 ? base == 4 || base == 5 : base == 31 || base == 29;
	v &= 0xff;
	if ((!byte && (disp || stack)) || !dcam_ring_op_predicted(v))
		return;
	if (last && last->op == v && last->base == base && last->disp == disp)
		return;
	if (rg->nring_ops == RING_OPS)
		memmove(rg->ring_op, rg->ring_op + 1, sizeof(rg->ring_op[0]) * --rg->nring_ops);
	last = &rg->ring_op[rg->nring_ops++];
	*last = (struct ring_op){ .op = (uint8_t)v, .base = base, .disp = disp };
	if (stack) { /* fields stored before the opcode are in the frame's slots */
		uint8_t frame = base == (x86 ? 4 : 31) ? 1 : 0;
		const struct frame_slot *f = slot_find(rg, frame, disp + 16);

		if (f && f->kind == RK_CONST)
			last->has_addr = true, last->addr = f->val;
		f = slot_find(rg, frame, disp + 28);
		if (f && f->kind == RK_CONST)
			last->has_flags = true, last->flags = (uint32_t)f->val;
	}
}

/* A pointer loaded from the object's own data where the loader writes one
 * (a RELATIVE relocation): an entry of a table of strings ("qword ptr
 * [r15]" with r15 the table's known address, "[x19, #8]"), a string
 * variable ([rip + X]). The walk sees a loop's body once, so a table
 * gives its first entry. */
static bool const_load(const struct an *a, const cs_insn *in, const char *src,
		       const struct regs *rg, uint64_t *v)
{
	const struct slot *s;
	const char *p;
	uint64_t addr, off = 0;
	bool full;
	int b;

	if (!a->nptr)
		return false;
	if (a->machine == EM_X86_64) {
		if (strncmp(src, "qword ptr [", 11))
			return false;
		p = src + 11;
	} else {
		if (*src != '[' || src[1] != 'x')
			return false;
		p = src + 1;
	}
	if (a->machine == EM_X86_64 && x86_riprel(in, &addr))
		goto found;
	b = reg_index(a->machine, p, &full);
	if (b < 0 || !full || rg->kind[b] != RK_CONST)
		return false;
	p += strcspn(p, ", ]");
	if (!strncmp(p, " + ", 3) || !strncmp(p, ", #", 3)) {
		if (!parse_u64(p + 3, &off))
			return false;
		p = strchr(p, ']');
	}
	if (!p || strcmp(p, "]"))
		return false; /* an index register, a write-back */
	addr = rg->val[b] + off;
found:
	s = dcam_find_slot(a->ptr_relocs, a->nptr, addr);
	if (!s)
		return false;
	*v = s->val;
	return true;
}

/* Destination-register bookkeeping shared by both architectures. */
static void track_write(struct an *a, const cs_insn *in, struct regs *rg)
{
	bool full, sfull;
	int r, sr;
	const char *src, *m = in->mnemonic;
	uint64_t v;
	uint8_t base;
	int64_t disp;

	track_ring_op(a, in, rg);
	if (track_frame(a, in, rg) || reads_first_operand(a->machine, m))
		return;
	r = reg_index(a->machine, in->op_str, &full);
	if (r < 0)
		return;
	rg->kind[r] = RK_UNKNOWN;
	if (!full)
		return;
	src = strchr(in->op_str, ',');
	if (!src)
		return;
	src += 2;
	if ((!strcmp(m, "mov") || !strcmp(m, "movz") || !strcmp(m, "movabs")) &&
	    parse_imm(src, &v)) {
		rg->kind[r] = RK_CONST;
		rg->val[r] = a->machine == EM_X86_64 && in->op_str[0] == 'e' ? (uint32_t)v
		       : a->machine == EM_AARCH64 && in->op_str[0] == 'w' ? (uint32_t)v : v;
	} else if (!strcmp(m, "movn") && parse_u64(src, &v)) {
		rg->kind[r] = RK_CONST;
		rg->val[r] = ~v;
	} else if (!strcmp(m, "xor") && !strncmp(in->op_str, src, strlen(src)) &&
		   strlen(src) == (size_t)(strchr(in->op_str, ',') - in->op_str)) {
		rg->kind[r] = RK_CONST; /* xor reg, reg */
		rg->val[r] = 0;
	} else if (!strcmp(m, "or") && parse_imm(src, &v) && v == (uint64_t)-1) {
		rg->kind[r] = RK_CONST; /* or reg, -1 */
		rg->val[r] = in->op_str[0] == 'e' ? 0xffffffffull : v;
	} else if (!strcmp(m, "adrp") && parse_u64(src, &v)) {
		rg->kind[r] = RK_CONST;
		rg->val[r] = v;
	} else if (!strcmp(m, "lea") && x86_riprel(in, &v)) {
		rg->kind[r] = RK_CONST; /* an address: a string, a function */
		rg->val[r] = v;
	} else if (!strcmp(m, "lea") && frame_operand(a->machine, src, &base, &disp)) {
		rg->kind[r] = RK_STACKBUF; /* a buffer on the stack */
		rg->val[r] = stackbuf_key(base, disp);
	} else if (a->machine == EM_AARCH64 && (!strcmp(m, "add") || !strcmp(m, "mov")) &&
		   (!strncmp(src, "sp", 2) || !strncmp(src, "x29", 3))) {
		v = 0; /* add x0, sp, #0x18; mov x0, sp */
		if (src[strcspn(src, ",")] && !parse_u64(strchr(src, '#') ? strchr(src, '#') : "", &v))
			return;
		rg->kind[r] = RK_STACKBUF;
		rg->val[r] = stackbuf_key(src[0] == 's' ? 1 : 0, (int64_t)v);
	} else if (!strcmp(m, "add") && a->machine == EM_AARCH64 &&
		   (sr = reg_index(a->machine, src, &sfull)) >= 0 && sfull && sr != r &&
		   rg->kind[sr] == RK_CONST && strchr(src, '#') && parse_u64(strchr(src, '#'), &v)) {
		rg->kind[r] = RK_CONST; /* adrp x0, page; add x0, x0, #off */
		rg->val[r] = rg->val[sr] + v;
	} else if ((!strcmp(m, "mov") || !strcmp(m, "ldr")) && const_load(a, in, src, rg, &v)) {
		rg->kind[r] = RK_CONST; /* a pointer from a table in data */
		rg->val[r] = v;
	} else if ((!strcmp(m, "mov") || !strcmp(m, "movsxd")) &&
		   (sr = reg_index(a->machine, src, &sfull)) >= 0 && sfull &&
		   src[strcspn(src, ", ]")] == '\0') {
		rg->kind[r] = rg->kind[sr]; /* mov reg, reg: the value moves */
		rg->val[r] = rg->val[sr];
		if (a->machine == EM_X86_64 && sr == 4 && in->op_str[0] == 'r') {
			rg->kind[r] = RK_STACKBUF; /* mov reg, rsp: a buffer at the stack top */
			rg->val[r] = stackbuf_key(1, 0);
		}
	}
}

/* aarch64 "add xN, xN, #imm" on a known page keeps it known. */
static bool a64_add_self(struct an *a, const cs_insn *in, struct regs *rg)
{
	bool full, sfull;
	int r, sr;
	const char *src, *hash;
	uint64_t v;

	if (strcmp(in->mnemonic, "add") || (r = reg_index(a->machine, in->op_str, &full)) < 0 ||
	    !full || !(src = strchr(in->op_str, ',')))
		return false;
	src += 2;
	sr = reg_index(a->machine, src, &sfull);
	hash = strchr(src, '#');
	if (sr != r || rg->kind[r] != RK_CONST || !hash || !parse_u64(hash, &v))
		return false;
	rg->val[r] += v;
	return true;
}

enum step { STEP_NEXT, STEP_END };

/* A function's result over its paths: an fd a known call made beats a
 * constant (the error path's -1), which beats nothing known. */
static int ret_rank(uint8_t kind)
{
	return kind == RK_SOCKFD || kind == RK_MEMFD ? 3 : kind == RK_IMPORT ? 2
	       : kind == RK_CONST ? 1 : 0;
}

static void set_ret(const struct regs *rg, struct retval *ret)
{
	if (!ret->set || ret_rank(rg->kind[0]) > ret_rank(ret->kind)) {
		ret->set = true;
		ret->kind = rg->kind[0];
		ret->val = rg->val[0];
	}
}

static enum step step_x86(struct an *a, struct walk *w, const cs_insn *in, struct regs *rg,
			  int depth, struct retval *ret)
{
	uint64_t t, at = in->address;
	const struct slot *s;
	bool full;
	int r;

	switch (in->id) {
	case X86_INS_SYSCALL:
		on_syscall(a, w, at, "syscall", rg, 0);
		return STEP_NEXT;
	case X86_INS_SYSENTER:
		on_syscall(a, w, at, "sysenter", rg, 0);
		return STEP_NEXT;
	case X86_INS_INT:
		if (!strcmp(in->op_str, "0x80"))
			on_syscall(a, w, at, "int 0x80", rg, 0);
		return STEP_NEXT;
	case X86_INS_CALL:
	case X86_INS_JMP: {
		bool call = in->id == X86_INS_CALL, tail = true;

		if (parse_u64(in->op_str, &t)) {
			tail = on_target(a, w, t, at, rg, depth, call);
		} else if (x86_riprel(in, &t)) {
			s = dcam_find_slot(a->slots, a->nslots, t);
			if (s)
				on_import(a, w, (uint32_t)s->val, at, rg, depth);
			else if ((s = dcam_find_slot(a->ptr_relocs, a->nptr, t)))
				/* a slot the loader fills with one of the object's
				 * own functions (Rust calls its std this way) */
				tail = on_target(a, w, s->val, at, rg, depth, call);
			else
				call_unknown(a, w, rg);
		} else if ((r = reg_index(a->machine, in->op_str, &full)) >= 0 &&
			   rg->kind[r] == RK_IMPORT) {
			on_import(a, w, (uint32_t)rg->val[r], at, rg, depth);
		} else if (r >= 0 && full && rg->kind[r] == RK_CONST) {
			/* a function pointer the walk knows: loaded from a
			 * slot the loader fills (Rust's "mov r13, [rip + X]"
			 * before a loop of "call r13") or built with lea */
			tail = on_target(a, w, rg->val[r], at, rg, depth, call);
		} else if (call) {
			call_unknown(a, w, rg);
		}
		if (call)
			return STEP_NEXT;
		if (tail)
			set_ret(rg, ret); /* a tail call returns what the callee does */
		return STEP_END;
	}
	case X86_INS_RET:
		set_ret(rg, ret);
		return STEP_END;
	case X86_INS_RETF:
	case X86_INS_HLT:
	case X86_INS_UD2:
	case X86_INS_LJMP:
		return STEP_END;
	}
	if ((in->mnemonic[0] == 'j' || !strncmp(in->mnemonic, "loop", 4)) &&
	    parse_u64(in->op_str, &t)) {
		push(a, t, rg); /* conditional branch: the other way later */
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

static enum step step_a64(struct an *a, struct walk *w, const cs_insn *in, struct regs *rg,
			  int depth, struct retval *ret)
{
	uint64_t t, off, at = in->address;
	const struct slot *s;
	bool full;
	int r;

	switch (in->id) {
	case ARM64_INS_SVC:
		on_syscall(a, w, at, "svc", rg, 8);
		return STEP_NEXT;
	case ARM64_INS_BL:
		if (a64_target(in, &t))
			on_target(a, w, t, at, rg, depth, true);
		else
			clobber_call(a->machine, rg);
		return STEP_NEXT;
	case ARM64_INS_B:
		if (!a64_target(in, &t))
			return STEP_END;
		if (in->mnemonic[1] == '.') {
			push(a, t, rg);
			return STEP_NEXT;
		}
		if (on_target(a, w, t, at, rg, depth, false))
			set_ret(rg, ret);
		return STEP_END;
	case ARM64_INS_CBZ:
	case ARM64_INS_CBNZ:
	case ARM64_INS_TBZ:
	case ARM64_INS_TBNZ:
		if (a64_target(in, &t))
			push(a, t, rg);
		return STEP_NEXT;
	case ARM64_INS_BLR:
	case ARM64_INS_BR: {
		bool call = in->id == ARM64_INS_BLR, tail = true;

		r = reg_index(a->machine, in->op_str, &full);
		if (r >= 0 && rg->kind[r] == RK_IMPORT)
			on_import(a, w, (uint32_t)rg->val[r], at, rg, depth);
		else if (r >= 0 && full && rg->kind[r] == RK_CONST)
			/* a function pointer the walk knows (ldr from a slot
			 * the loader fills, adr/adrp+add) */
			tail = on_target(a, w, rg->val[r], at, rg, depth, call);
		else
			call_unknown(a, w, rg);
		if (call)
			return STEP_NEXT;
		if (tail)
			set_ret(rg, ret);
		return STEP_END;
	}
	case ARM64_INS_RET:
		set_ret(rg, ret);
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
	if (a64_add_self(a, in, rg))
		return STEP_NEXT;
	track_write(a, in, rg);
	return STEP_NEXT;
}

static cs_insn *insn_at_depth(struct an *a, int depth)
{
	if (!a->insn[depth])
		a->insn[depth] = cs_malloc(a->cs);
	return a->insn[depth];
}

/* A path that joins walked code just before the function returns (the
 * shared "leave; ret" of several returns, or unoptimised code's load of
 * the result from its frame slot) still returns its own value. */
static void peek_epilogue(struct an *a, cs_insn *in, const uint8_t **code, size_t *avail,
			  uint64_t *pc, const struct regs *rg, struct retval *ret)
{
	static const char *const moves[] = { "leave", "pop", "nop", "endbr64", "add", "sub", "ldp",
					     "ldr", "ldur", "mov" };
	struct regs r = *rg;

	for (int i = 0; i < 6 && cs_disasm_iter(a->cs, code, avail, pc, in); i++) {
		bool ok = false;

		if (a->machine == EM_X86_64 ? in->id == X86_INS_RET : in->id == ARM64_INS_RET) {
			set_ret(&r, ret);
			return;
		}
		for (size_t k = 0; k < ARRAY_SIZE(moves); k++)
			ok |= !strcmp(in->mnemonic, moves[k]);
		if (!ok)
			return;
		track_write(a, in, &r);
	}
}

static void walk_block(struct an *a, struct walk *w, const struct work *it, uint32_t gen,
		       int depth, struct retval *ret)
{
	uint64_t off, seg_avail, pc = it->addr;
	cs_insn *in = insn_at_depth(a, depth);
	const uint8_t *code;
	size_t avail;
	struct regs rg = it->rg;
	int pin;

	if (!in || !dcam_va_off(a, it->addr, &off, &seg_avail, true))
		return;
	code = dcam_src_ptr(a->src, off, &avail, &pin);
	if (!code)
		return;
	if (avail > seg_avail)
		avail = (size_t)seg_avail;
	if (avail > LIM_BLOCK_BYTES)
		avail = LIM_BLOCK_BYTES;
	while (w->budget && cs_disasm_iter(a->cs, &code, &avail, &pc, in)) {
		enum step st;

		w->budget--;
		a->insns++;
		st = a->machine == EM_X86_64 ? step_x86(a, w, in, &rg, depth, ret)
					     : step_a64(a, w, in, &rg, depth, ret);
		if (st == STEP_END)
			break;
		if (visited_has(a, pc, gen)) {
			if (w->predict)
				peek_epilogue(a, in, &code, &avail, &pc, &rg, ret);
			break;
		}
	}
	dcam_src_unpin(a->src, pin);
	if (!w->budget)
		truncated(a, w);
}

/* The prediction pass walks a function again for each call, with the
 * caller's arguments and prepared io_uring operations; the same function
 * with the same of both (and a recursive call) is not walked again: its
 * calls are already in the sequence, only its result is needed. */
static uint64_t args_ctx(const struct an *a, uint64_t addr, const struct regs *in)
{
	const uint8_t *args = call_args(a);
	uint64_t h = addr * 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 6; i++)
		h = (h ^ ((uint64_t)in->kind[args[i]] << 56 ^ in->val[args[i]])) * 0x100000001b3ull;
	/* operations prepared by the caller are submitted by the callee */
	for (uint8_t i = 0; i < in->nring_ops; i++)
		h = (h ^ in->ring_op[i].op ^ in->ring_op[i].addr << 8 ^
		     (uint64_t)in->ring_op[i].flags << 32) * 0x100000001b3ull;
	return h;
}

static struct memo *memo_find(struct an *a, uint64_t addr, uint64_t ctx)
{
	for (size_t i = 0; i < a->nmemo; i++)
		if (a->memo[i].addr == addr && a->memo[i].ctx == ctx)
			return &a->memo[i];
	return NULL;
}

static void walk_fn(struct an *a, struct walk *w, uint64_t addr, const struct regs *in, int depth,
		    struct retval *ret)
{
	uint32_t gen = w->predict ? ++a->gen : w->gen;
	size_t base = a->nstack, memo = SIZE_MAX;
	uint64_t ctx = 0;

	if (depth > LIM_DEPTH) {
		truncated(a, w);
		return;
	}
	if (w->predict) {
		struct memo *m;

		ctx = args_ctx(a, addr, in);
		m = memo_find(a, addr, ctx);
		if (m) {
			if (m->ret.set && !ret->set)
				*ret = m->ret;
			return;
		}
		if (a->nmemo < LIM_MEMO &&
		    dcam_grow(&a->memo, &a->capmemo, a->nmemo, sizeof(*a->memo))) {
			memo = a->nmemo++;
			a->memo[memo] = (struct memo){ .addr = addr, .ctx = ctx };
		}
	}
	push(a, addr, in);
	while (a->nstack > base && w->budget) {
		struct work it = a->stack[--a->nstack];

		if (visited_add(a, it.addr, gen))
			walk_block(a, w, &it, gen, depth, ret);
	}
	a->nstack = base;
	if (memo != SIZE_MAX)
		a->memo[memo].ret = *ret;
}

static void walk_entry(struct an *a, struct walk *w)
{
	const struct entry *e = w->e;
	uint64_t off, avail;
	struct retval ret = { 0 };
	struct regs none;

	if (!dcam_va_off(a, e->addr, &off, &avail, true)) {
		if (!w->predict)
			dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, e, e->addr,
					 DCAM_W_ENTRY_OUTSIDE * dcam_via_factor(e->via),
					 "entry point %s outside executable segments", e->name);
		return;
	}
	if (!a->cs_open)
		return;
	memset(&none, 0, sizeof(none));
	w->callee_max = w->budget / 4;
	a->nstack = 0;
	a->nmemo = 0;
	a->pred_entry_start = a->res->n_predicted;
	walk_fn(a, w, e->addr, &none, 0, &ret);
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

/* The load-time entry points in the order the loader runs them. */
struct entries {
	struct entry *v;
	size_t n, cap;
};

static void add_entry(struct an *a, struct entries *es, uint64_t addr, const char *kind,
		      const char *fallback)
{
	if (!dcam_grow(&es->v, &es->cap, es->n, sizeof(*es->v)))
		return;
	entry_init(a, &es->v[es->n++], addr, kind, DCAM_VIA_INIT, fallback);
}

static void add_array(struct an *a, struct entries *es, uint64_t va, uint64_t sz,
		      const char *kind)
{
	size_t w = a->is64 ? 8 : 4, n = (size_t)(sz / w);

	for (size_t i = 0; i < n && i < LIM_ARRAY; i++) {
		uint64_t slot = va + w * i, target = 0;
		const struct slot *s = dcam_find_slot(a->arr_relocs, a->narr, slot);
		char fallback[32];
		uint8_t b[8];

		if (s)
			target = s->val;
		else if (dcam_va_read(a, slot, b, w))
			target = dcam_rd(a, b, w);
		if (!target || target == (a->is64 ? ~0ull : 0xffffffffull))
			continue;
		snprintf(fallback, sizeof(fallback), "%s[%zu]", kind, i);
		add_entry(a, es, target, kind, fallback);
	}
}

/* Exports their host calls as soon as its dlopen returns, before it uses
 * anything else of the object: a native module's init (Python's import,
 * Node's require, Java's System.loadLibrary, Lua's require, Ruby's
 * require, Perl's DynaLoader) and a plugin's entry (a PKCS#11 provider's
 * function list, an OpenSSL provider or engine, an LD_AUDIT library's
 * version handshake, a GTK or GIO module, an iconv converter). Their
 * code runs at load as surely as a constructor's does, so it is
 * predicted after the constructors: a malicious module is judged at its
 * mapping, before its host calls into it. */
static const struct {
	const char *name;
	bool prefix;
} module_inits[] = {
	{ "PyInit_", true },
	{ "napi_register_module_v1", false },
	{ "node_register_module_v", true },
	{ "JNI_OnLoad", false },
	{ "JNI_OnLoad_", true },
	{ "luaopen_", true },
	{ "Init_", true },
	{ "boot_", true },
	{ "C_GetFunctionList", false },
	{ "OSSL_provider_init", false },
	{ "bind_engine", false },
	{ "la_version", false },
	{ "gtk_module_init", false },
	{ "g_io_module_load", false },
	{ "gconv_init", false },
};

static bool is_module_init(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(module_inits); i++) {
		size_t n = strlen(module_inits[i].name);

		if (module_inits[i].prefix ? !strncmp(name, module_inits[i].name, n) && name[n]
					   : !strcmp(name, module_inits[i].name))
			return true;
	}
	return false;
}

/* A module exports its init (a few, at most); a runtime's own library
 * exports dozens of them (libpython's built-in modules, libruby's Init_*)
 * that its startup calls, not its dlopen: none is predicted then. */
static void module_init_entries(struct an *a, struct entries *es)
{
	size_t found = 0, first = es->n;

	for (size_t i = 1; i < a->nsyms; i++) {
		const char *n = dcam_dynstr_at(a, a->syms[i].name);

		if (!dcam_sym_is_func_export(&a->syms[i]) || !n || !is_module_init(n))
			continue;
		if (++found > LIM_MODULE_INITS) {
			es->n = first;
			return;
		}
		add_entry(a, es, a->syms[i].value, "module_init", n);
	}
}

static void load_time_entries(struct an *a, struct entries *es)
{
	add_array(a, es, a->preinit_arr, a->preinit_arrsz, "preinit_array");
	if (a->dt_init)
		add_entry(a, es, a->dt_init, "DT_INIT", "_init");
	add_array(a, es, a->init_arr, a->init_arrsz, "init_array");
	module_init_entries(a, es);
}

/* The code the object runs when the process exits or unloads it:
 * fini_array (the loader runs it last to first) and DT_FINI. Its own code
 * as surely as a constructor, only later: a payload put in a destructor
 * runs after the window of its load has closed. */
static void exit_entries(struct an *a, struct entries *es)
{
	size_t first = es->n;

	add_array(a, es, a->fini_arr, a->fini_arrsz, "fini_array");
	for (size_t i = first, j = es->n; j > i + 1; i++, j--) {
		struct entry t = es->v[i];

		es->v[i] = es->v[j - 1];
		es->v[j - 1] = t;
	}
	if (a->dt_fini)
		add_entry(a, es, a->dt_fini, "DT_FINI", "_fini");
}

/* Instructions the findings pass may still decode. */
static uint64_t budget_left(const struct an *a, uint64_t base)
{
	uint64_t used = a->insns - base;

	return used < LIM_INSNS_TOTAL ? LIM_INSNS_TOTAL - used : 0;
}

/* What an executable's start does before it calls, jumps or returns
 * anywhere (a straight run of at most 32 instructions; conditional
 * branches are stepped over): whether it issues a system call first, and
 * the constant in the first argument register at its first call. A
 * shellcode executable (msfvenom -f elf, a hand-written dropper) is the
 * payload itself from its first instruction; a C runtime's start hands
 * over to its library first (__libc_start_main, Go's rt0_go), and glibc's
 * passes main as that argument (Go's and musl's starts have another
 * shape: no main). */
static void scan_start(struct an *a, bool *kernel_first, uint64_t *main)
{
	cs_insn *in = insn_at_depth(a, 0);
	uint64_t off, seg_avail, pc = a->e_entry;
	const uint8_t arg0 = call_args(a)[0];
	const uint8_t *code;
	struct regs rg;
	size_t avail;
	int pin;

	*kernel_first = false;
	*main = 0;
	memset(&rg, 0, sizeof(rg));
	if (!in || !dcam_va_off(a, pc, &off, &seg_avail, true) ||
	    !(code = dcam_src_ptr(a->src, off, &avail, &pin)))
		return;
	if (avail > seg_avail)
		avail = (size_t)seg_avail;
	for (int i = 0; i < 32 && cs_disasm_iter(a->cs, &code, &avail, &pc, in); i++) {
		unsigned id = in->id;
		bool call, leaves;

		a->insns++;
		if (a->machine == EM_X86_64) {
			*kernel_first = id == X86_INS_SYSCALL || id == X86_INS_SYSENTER ||
					(id == X86_INS_INT && !strcmp(in->op_str, "0x80"));
			call = id == X86_INS_CALL || id == X86_INS_JMP;
			leaves = call || id == X86_INS_RET || id == X86_INS_LJMP || id == X86_INS_HLT;
		} else {
			*kernel_first = id == ARM64_INS_SVC;
			call = id == ARM64_INS_BL || (id == ARM64_INS_B && !strchr(in->mnemonic, '.'));
			leaves = call || id == ARM64_INS_BLR || id == ARM64_INS_BR || id == ARM64_INS_RET;
		}
		if (call && rg.kind[arg0] == RK_CONST)
			*main = rg.val[arg0];
		if (*kernel_first || leaves)
			break;
		track_write(a, in, &rg);
	}
	dcam_src_unpin(a->src, pin);
}


/* An interposing hook runs each time the process calls the function it
 * replaces, so what it adds to that call is predicted too, after the
 * load-time code: the call it stands in for (its arguments unknown), then
 * the hook's own calls (an accept hook that hands the connection to a
 * shell: a bind shell on the application's own port). A hook that hides
 * or sees passwords is a token itself, before them. */
static void predict_hooks(struct an *a, uint64_t budget)
{
	static const struct regs unknown;
	struct entry e;

	if (!a->n_next) /* no original reached: nothing interposed */
		return;
	for (size_t i = 1; a->cs_open && i < a->nsyms && budget; i++) {
		const struct dsym *s = &a->syms[i];
		const char *n = dcam_dynstr_at(a, s->name);
		struct walk w = { .e = &e, .predict = true };
		struct callsite c = { .name = n, .via = DCAM_PRED_IMPORT, .rg = &unknown,
				      .argreg = call_args(a), .at = s->value, .e = &e };

		if (!dcam_sym_is_func_export(s) || !n || !*n || !dcam_interposes(a, n))
			continue;
		e.addr = s->value;
		e.kind = "hook";
		e.via = DCAM_VIA_EXPORT;
		snprintf(e.name, sizeof(e.name), "%s", n);
		a->pred_entry_start = a->res->n_predicted;
		dcam_predict_hook(a, &c, &w.hook_ret_kind, &w.hook_ret_val);
		w.budget = budget < LIM_INSNS_ENTRY ? budget : LIM_INSNS_ENTRY;
		budget -= w.budget;
		walk_entry(a, &w);
		budget += w.budget;
	}
}

void dcam_walk_all(struct an *a)
{
	struct entries es = { 0 };
	uint64_t pred_budget = LIM_PRED_INSNS, base, main;
	bool payload_entry, may_hook;
	bool decoded = (a->machine == EM_X86_64 || a->machine == EM_AARCH64) && a->is64 && a->le;
	struct entry e;

	if (decoded) {
		if (a->machine == EM_X86_64)
			a->cs_open = cs_open(CS_ARCH_X86, CS_MODE_64, &a->cs) == CS_ERR_OK;
		else
			a->cs_open = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &a->cs) == CS_ERR_OK;
	}
	load_time_entries(a, &es);
	if (a->flat)
		add_entry(a, &es, 0, "code", "code[0]");
	/* an executable's own start: after its constructors, as the loader does */
	if (a->e_entry && (a->has_interp || a->etype == ET_EXEC))
		add_entry(a, &es, a->e_entry, "e_entry", "_start");
	/* an executable's main is the application, not code it loads: its
	 * calls are observed and only constructors are predicted — unless it
	 * has no runtime at all (no interpreter, and its start calls the
	 * kernel before anything else): then the start is the payload */
	payload_entry = false;
	main = 0;
	if (a->cs_open && a->e_entry && !a->has_interp && a->etype == ET_EXEC)
		scan_start(a, &payload_entry, &main);
	a->res->predicted_from_start = payload_entry;
	/* a statically linked program loads nothing else: no interpreter,
	 * no libc.so, no dlopen. Its main is the only code there is to read
	 * before it runs (implants are linked statically to run anywhere) */
	if (!payload_entry && main)
		add_entry(a, &es, main, "main", "main");
	exit_entries(a, &es);

	/* prediction: what the object does as it loads, in order */
	for (size_t i = 0; a->cs_open && i < es.n && pred_budget; i++) {
		struct walk w = { .e = &es.v[i], .predict = true };

		if (!strcmp(es.v[i].kind, "e_entry") && !payload_entry)
			continue;
		w.budget = pred_budget < LIM_INSNS_ENTRY ? pred_budget : LIM_INSNS_ENTRY;
		/* a static program's main walks its libc too: half of what
		 * is left, the rest for its exit code */
		if (!strcmp(es.v[i].kind, "main") && pred_budget / 2 > w.budget)
			w.budget = pred_budget / 2;
		pred_budget -= w.budget;
		walk_entry(a, &w);
		pred_budget += w.budget; /* what the entry did not use */
	}
	if (a->cs_open && !pred_budget)
		a->res->predicted_truncated = true;

	/* findings: every entry point, the load-time ones first (attribution) */
	may_hook = a->load_time_only && dcam_imports_dlsym(a);
	a->gen++;
	base = a->insns;
	for (size_t i = 0; decoded && i < es.n; i++) {
		struct walk w = { .e = &es.v[i], .gen = a->gen };
		uint64_t left = budget_left(a, base);

		w.budget = left < LIM_INSNS_ENTRY ? left : LIM_INSNS_ENTRY;
		a->res->n_entries++;
		walk_entry(a, &w);
	}
	for (size_t i = 1; decoded && i < a->nsyms && a->res->n_entries < LIM_ENTRIES; i++) {
		const struct dsym *s = &a->syms[i];
		struct walk w = { .e = &e, .gen = a->gen };
		uint64_t left = budget_left(a, base);
		const char *n;

		if (!dcam_sym_is_func_export(s))
			continue;
		n = dcam_dynstr_at(a, s->name);
		/* at load time only the exports that may be hooks: they run
		 * at the process's next call of the function they replace */
		if (a->load_time_only && !(may_hook && n && dcam_hook_candidate(n)))
			continue;
		e.addr = s->value;
		e.kind = "export";
		e.via = DCAM_VIA_EXPORT;
		snprintf(e.name, sizeof(e.name), "%s", n && *n ? n : "?");
		a->res->n_entries++;
		w.budget = left < LIM_INSNS_ENTRY ? left : LIM_INSNS_ENTRY;
		if (!w.budget) {
			a->res->truncated = true;
			break;
		}
		walk_entry(a, &w);
	}
	predict_hooks(a, pred_budget);
	free(es.v);
	for (size_t i = 0; i < ARRAY_SIZE(a->insn); i++)
		if (a->insn[i])
			cs_free(a->insn[i], 1);
	memset(a->insn, 0, sizeof(a->insn));
	if (a->cs_open)
		cs_close(&a->cs);
	a->cs_open = false;
}

void dcam_walk_unreached_imports(struct an *a)
{
	for (size_t i = 1; i < a->nsyms; i++) {
		const struct dcam_rule *rule;
		const struct dsym *s = &a->syms[i];
		const char *n;

		if (a->reached[i] || s->shndx != SHN_UNDEF || !(n = dcam_dynstr_at(a, s->name)) || !*n)
			continue;
		rule = dcam_rules_import(n);
		if (!rule || (rule->flags & DCAM_RULE_EXEC_ONLY))
			continue;
		dcam_add_finding(a, rule->category, DCAM_VIA_IMPORT, NULL, 0,
				 rule->weight * DCAM_F_IMPORT, "%s", n);
	}
}
