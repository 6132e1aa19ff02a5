/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Interposition: an object that exports libc's own function names and
 * reaches the originals with dlsym(RTLD_NEXT, "name") sits between the
 * process and its libc, the way userland rootkits (libprocesshider, Jynx,
 * Azazel) hide processes and files. Both halves are needed: libc itself
 * and allocators export those names without RTLD_NEXT, and plenty of code
 * uses RTLD_NEXT for names it does not export. What is hooked sets the
 * weight: directory listing, login records and authentication are what
 * hiding and credential theft hook; runtimes that interpose wholesale
 * (sanitizers, tracers) hook dozens of functions at once. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "lib/util.h"

/* Functions whose hooking hides things or grabs credentials: what the
 * process lists (directories, /proc, login records, captured packets),
 * then authentication (PAM, the shadow file). */
static const char *const hiding[] = {
	"readdir", "readdir64", "readdir_r", "readdir64_r", "getdents", "getdents64",
	"scandir", "scandir64", "scandirat", "getutent", "getutxent", "getutid", "getutline",
	"pcap_loop", "pcap_dispatch", "pcap_next", "pcap_next_ex",
	"pam_authenticate", "pam_acct_mgmt", "pam_open_session", "pam_get_item",
	"getspnam", "getspnam_r",
};

/* libc (and libpam) functions commonly hooked by interposers: files,
 * processes, the network, accounts. */
static const char *const hookable[] = {
	"open", "open64", "openat", "openat64", "__open_2", "__open64_2", "creat", "fopen",
	"fopen64", "freopen", "opendir", "fdopendir", "stat", "stat64", "lstat", "lstat64",
	"fstat", "fstat64", "fstatat", "fstatat64", "__xstat", "__xstat64", "__lxstat",
	"__lxstat64", "__fxstat", "__fxstat64", "__fxstatat", "__fxstatat64", "statx", "access",
	"faccessat", "unlink", "unlinkat", "rename", "renameat", "rmdir", "link", "symlink",
	"read", "write", "fwrite", "connect", "accept", "accept4", "bind", "listen", "socket",
	"send", "sendto", "sendmsg", "recv", "recvfrom", "recvmsg", "getaddrinfo", "execve",
	"execv", "execvp", "fork", "kill", "ptrace", "getpwnam", "getpwnam_r", "getpwuid",
	"getpwuid_r", "getpwent", "crypt", "crypt_r", "login", "pututline", "pututxline",
	"updwtmp", "syslog", "dlopen", "dlsym",
};

/* What a hiding hook does with the original's result: compares names. */
static const char *const compares[] = {
	"strcmp", "strncmp", "strcasecmp", "strncasecmp", "strstr", "strcasestr", "memcmp",
	"fnmatch", "regexec", "strverscmp",
};

static int index_of(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return (int)i;
	return -1;
}

static bool listed(const char *name, const char *const *list, size_t n)
{
	return index_of(name, list, n) >= 0;
}

void dcam_note_call_in_export(struct an *a, const char *export_name, const char *callee)
{
	int i;

	if (!listed(callee, compares, ARRAY_SIZE(compares)))
		return;
	i = index_of(export_name, hiding, ARRAY_SIZE(hiding));
	if (i >= 0)
		a->hide_compares |= 1u << i;
}

void dcam_note_next(struct an *a, const char *name)
{
	char *copy;

	for (size_t i = 0; i < a->n_next; i++)
		if (!strcmp(a->next_names[i], name))
			return;
	if (a->n_next >= LIM_NEXT_NAMES ||
	    !dcam_grow(&a->next_names, &a->cap_next, a->n_next, sizeof(*a->next_names)) ||
	    !(copy = strdup(name)))
		return;
	a->next_names[a->n_next++] = copy;
}

static bool reaches_original(const struct an *a, const char *name)
{
	for (size_t i = 0; i < a->n_next; i++)
		if (!strcmp(a->next_names[i], name))
			return true;
	return false;
}

bool dcam_imports_dlsym(const struct an *a)
{
	for (size_t i = 1; i < a->nsyms; i++) {
		const char *n;

		if (a->syms[i].shndx != SHN_UNDEF || !(n = dcam_dynstr_at(a, a->syms[i].name)))
			continue;
		if (!strcmp(n, "dlsym") || !strcmp(n, "dlvsym"))
			return true;
	}
	return false;
}

bool dcam_hook_candidate(const char *name)
{
	return listed(name, hiding, ARRAY_SIZE(hiding)) || listed(name, hookable, ARRAY_SIZE(hookable));
}

bool dcam_interposes(const struct an *a, const char *name)
{
	return reaches_original(a, name) && dcam_hook_candidate(name);
}

static const char *hooked_export(const struct an *a, size_t i)
{
	const char *name = dcam_dynstr_at(a, a->syms[i].name);

	if (!dcam_sym_is_func_export(&a->syms[i]) || !name || !*name || !reaches_original(a, name))
		return NULL;
	return name;
}

/* A runtime (a sanitizer, a tracer, a time or socket wrapper) hooks
 * dozens of functions at once; a hiding hook that filters names is hiding
 * whatever else is hooked around it. */
static bool hooks_wholesale(const struct an *a, size_t *all, bool *filtering)
{
	const char *name;
	int h;

	*all = 0;
	*filtering = false;
	for (size_t i = 1; i < a->nsyms; i++) {
		if (!(name = hooked_export(a, i)))
			continue;
		(*all)++;
		h = index_of(name, hiding, ARRAY_SIZE(hiding));
		if (h >= 0 && (a->hide_compares & (1u << h)))
			*filtering = true;
	}
	return *all >= DCAM_HOOK_RUNTIME_MIN && !*filtering;
}

const char *dcam_hook_token(const struct an *a, const char *name)
{
	int h = index_of(name, hiding, ARRAY_SIZE(hiding));
	size_t all;
	bool filtering;

	if (h < 0 || !reaches_original(a, name) || hooks_wholesale(a, &all, &filtering))
		return NULL;
	return !strncmp(name, "pam_", 4) || !strncmp(name, "getspnam", 8) ? "interpose:auth"
									   : "interpose:hide";
}

/* The exports that reach their own original, hiding ones first. */
static size_t hooked_names(const struct an *a, bool hide_pass, char *buf, size_t len,
			   size_t *used, uint64_t *where)
{
	size_t n = 0;

	for (size_t i = 1; i < a->nsyms; i++) {
		const char *name = hooked_export(a, i);
		bool hide;

		if (!name)
			continue;
		hide = listed(name, hiding, ARRAY_SIZE(hiding));
		if (hide != hide_pass || (!hide && !listed(name, hookable, ARRAY_SIZE(hookable))))
			continue;
		if (!n++ && !*where)
			*where = a->syms[i].value;
		if (*used + strlen(name) + 8 < len)
			*used += (size_t)snprintf(buf + *used, len - *used, "%s%s", *used ? ", " : "",
						  name);
		else if (*used + 4 < len && strcmp(buf + *used - 3, "..."))
			*used += (size_t)snprintf(buf + *used, len - *used, "...");
	}
	return n;
}

void dcam_interpose_check(struct an *a)
{
	char names[DCAM_WHAT_LEN - 48] = "";
	size_t used = 0, all, nhide, nother;
	uint64_t where = 0;
	bool filtering;

	if (!a->n_next)
		return;
	nhide = hooked_names(a, true, names, sizeof(names), &used, &where);
	nother = hooked_names(a, false, names, sizeof(names), &used, &where);
	if (!nhide && !nother)
		return;
	if (hooks_wholesale(a, &all, &filtering))
		dcam_add_finding(a, DCAM_CAT_INTERPOSITION, DCAM_VIA_FILE, NULL, where,
				 DCAM_W_HOOK_RUNTIME, "interposes %zu functions (a runtime): %s",
				 all, names);
	else
		dcam_add_finding(a, DCAM_CAT_INTERPOSITION, DCAM_VIA_FILE, NULL, where,
				 nhide ? DCAM_W_HOOK_HIDE : DCAM_W_HOOK,
				 "hooks libc's %s through dlsym(RTLD_NEXT)%s", names,
				 filtering ? ", filtering names" : "");
}
