/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* DCAM's knowledge: which imported functions are sensitive (category, base
 * weight) and the names of syscall numbers per architecture. Private to
 * dcam*.c; the weights are documented in docs/scoring.md. */
#ifndef BPFPROF_DCAM_RULES_H
#define BPFPROF_DCAM_RULES_H

#include <stdbool.h>
#include "analysis/dcam.h"

enum {
	DCAM_RULE_PREFIX = 1,    /* name is a prefix (crypto library APIs) */
	DCAM_RULE_PROT_ARG = 2,  /* weight depends on a PROT_EXEC constant in the 3rd argument */
	DCAM_RULE_EXEC_ONLY = 4, /* a finding only with a PROT_EXEC constant (mmap) */
};

struct dcam_rule {
	const char *name;
	enum dcam_category category;
	float weight;
	unsigned flags;
};

/* The rule for an imported function name, or NULL when it is not sensitive. */
const struct dcam_rule *dcam_rules_import(const char *name);
/* Name of syscall nr on EM_X86_64 / EM_AARCH64 (NULL if not in the table);
 * *sensitive tells whether it belongs to a sensitive category. */
const char *dcam_rules_syscall(unsigned machine, long nr, bool *sensitive);
/* The generated table (user/analysis/dcam_syscalls.c): name of nr, or NULL. */
const char *dcam_syscall_name(unsigned machine, long nr);
/* Base weights of the non-import findings. */
#define DCAM_W_RAW_SYSCALL 0.6
#define DCAM_W_RAW_SYSCALL_SENSITIVE 0.8
#define DCAM_W_CRYPTO_CONST 0.3
/* a constant path the load-time code opens for writing (authorized_keys,
 * cron, units, ld.so.preload, rc files), or a set-ID mode it gives a file */
#define DCAM_W_PERSIST_WRITE 0.8
#define DCAM_W_PROCMEM_WRITE 0.9  /* /proc/PID/mem: as ptrace */
/* a constant path of a log or history the load-time code empties or deletes */
#define DCAM_W_LOG_WIPE 0.8
#define DCAM_W_WX_SEGMENT 0.7
#define DCAM_W_EXEC_STACK 0.3
#define DCAM_W_NO_SECTIONS 0.4
#define DCAM_W_ENTRY_OUTSIDE 0.8
#define DCAM_W_PACKER 0.6
#define DCAM_W_DECODED_NAME 0.6 /* dlsym of a name the code decodes into a stack buffer */
#define DCAM_W_TEXTREL 0.3
/* What the loader would refuse or a tool would misread: an object that
 * cannot be analysed is a finding, never a silent zero. */
#define DCAM_W_NOT_ELF 0.8      /* not ELF (or empty), yet mapped as code */
#define DCAM_W_TRUNCATED 0.7    /* header, program headers or a segment past the end */
#define DCAM_W_CORRUPT 0.7      /* program headers the loader refuses, not a loadable type */
#define DCAM_W_NO_DYNAMIC 0.5   /* a shared object without a (mapped) dynamic segment */
#define DCAM_W_MACHINE 0.4      /* a machine whose code we do not decode */
#define DCAM_W_SECTIONS 0.6     /* section headers disagreeing with what the loader maps */
#define DCAM_W_OVERLAP 0.6      /* loadable segments mapped over each other */
/* Interposition: exports libc's own names and reaches the originals with
 * dlsym(RTLD_NEXT, ...) (dcam_interpose.c). */
#define DCAM_W_HOOK_HIDE 0.9    /* hooks that hide (directory listing) or grab credentials */
#define DCAM_W_HOOK 0.5         /* other libc functions hooked */
#define DCAM_W_HOOK_RUNTIME 0.2 /* wholesale: a runtime interposing dozens of functions */
#define DCAM_HOOK_RUNTIME_MIN 24 /* functions hooked at once */
/* Factors by how a finding was reached. */
#define DCAM_F_INIT 1.0
#define DCAM_F_EXPORT 0.6
#define DCAM_F_IMPORT 0.3

#endif
