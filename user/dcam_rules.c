/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Tables of sensitive imports and syscall names. Exact names are looked up
 * first, then the crypto-library prefixes; keep both lists small and sure:
 * every entry here is a finding in someone's report. */
#include <elf.h>
#include <string.h>
#include "dcam_rules.h"
#include "util.h"

static const struct dcam_rule exact[] = {
	/* network */
	{ "socket", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "connect", DCAM_CAT_NETWORK, 0.5, 0 },
	{ "bind", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "listen", DCAM_CAT_NETWORK, 0.5, 0 },
	{ "accept", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "accept4", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "send", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "sendto", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "sendmsg", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "sendmmsg", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "recvfrom", DCAM_CAT_NETWORK, 0.3, 0 },
	{ "recvmsg", DCAM_CAT_NETWORK, 0.3, 0 },
	{ "getaddrinfo", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "gethostbyname", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "gethostbyname2", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "gethostbyname_r", DCAM_CAT_NETWORK, 0.4, 0 },
	{ "gethostbyaddr", DCAM_CAT_NETWORK, 0.3, 0 },
	{ "curl_easy_perform", DCAM_CAT_NETWORK, 0.5, 0 },
	{ "SSL_connect", DCAM_CAT_NETWORK, 0.5, 0 },
	/* process */
	{ "execve", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execveat", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "fexecve", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execv", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execvp", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execvpe", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execl", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execlp", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "execle", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "system", DCAM_CAT_PROCESS, 0.7, 0 },
	{ "popen", DCAM_CAT_PROCESS, 0.6, 0 },
	{ "posix_spawn", DCAM_CAT_PROCESS, 0.6, 0 },
	{ "posix_spawnp", DCAM_CAT_PROCESS, 0.6, 0 },
	{ "fork", DCAM_CAT_PROCESS, 0.5, 0 },
	{ "vfork", DCAM_CAT_PROCESS, 0.5, 0 },
	{ "clone", DCAM_CAT_PROCESS, 0.5, 0 },
	{ "clone3", DCAM_CAT_PROCESS, 0.5, 0 },
	{ "daemon", DCAM_CAT_PROCESS, 0.5, 0 },
	{ "kill", DCAM_CAT_PROCESS, 0.4, 0 },
	{ "setuid", DCAM_CAT_PROCESS, 0.4, 0 },
	{ "setgid", DCAM_CAT_PROCESS, 0.4, 0 },
	{ "setreuid", DCAM_CAT_PROCESS, 0.4, 0 },
	{ "setresuid", DCAM_CAT_PROCESS, 0.4, 0 },
	/* memory */
	{ "mprotect", DCAM_CAT_MEMORY, 0.7, DCAM_RULE_PROT_ARG },
	{ "pkey_mprotect", DCAM_CAT_MEMORY, 0.7, DCAM_RULE_PROT_ARG },
	{ "mmap", DCAM_CAT_MEMORY, 0.6, DCAM_RULE_EXEC_ONLY },
	{ "mmap64", DCAM_CAT_MEMORY, 0.6, DCAM_RULE_EXEC_ONLY },
	{ "dlopen", DCAM_CAT_MEMORY, 0.5, 0 },
	{ "dlmopen", DCAM_CAT_MEMORY, 0.5, 0 },
	{ "__libc_dlopen_mode", DCAM_CAT_MEMORY, 0.6, 0 },
	{ "memfd_create", DCAM_CAT_MEMORY, 0.5, 0 },
	/* injection */
	{ "ptrace", DCAM_CAT_INJECTION, 0.9, 0 },
	{ "process_vm_writev", DCAM_CAT_INJECTION, 0.9, 0 },
	{ "process_vm_readv", DCAM_CAT_INJECTION, 0.7, 0 },
	{ "pidfd_getfd", DCAM_CAT_INJECTION, 0.6, 0 },
};

/* Crypto libraries' API name spaces (libcrypto, gcrypt, sodium, mbedTLS,
 * nettle). */
static const struct dcam_rule prefixes[] = {
	{ "EVP_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "AES_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "SHA1", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "SHA224", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "SHA256", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "SHA384", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "SHA512", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "MD5_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "RSA_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "HMAC", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "RAND_bytes", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "gcry_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "crypto_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "sodium_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "mbedtls_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
	{ "nettle_", DCAM_CAT_CRYPTO, 0.2, DCAM_RULE_PREFIX },
};

const struct dcam_rule *dcam_rules_import(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
		if (!strcmp(exact[i].name, name))
			return &exact[i];
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(prefixes[i].name, name, strlen(prefixes[i].name)))
			return &prefixes[i];
	return NULL;
}

struct sysname {
	long nr;
	const char *name;
	bool sensitive;
};

static const struct sysname x86_64_sys[] = {
	{ 0, "read", 0 }, { 1, "write", 0 }, { 2, "open", 0 }, { 3, "close", 0 },
	{ 9, "mmap", 1 }, { 10, "mprotect", 1 }, { 11, "munmap", 0 },
	{ 39, "getpid", 0 }, { 41, "socket", 1 }, { 42, "connect", 1 },
	{ 43, "accept", 1 }, { 44, "sendto", 1 }, { 46, "sendmsg", 1 },
	{ 49, "bind", 1 }, { 50, "listen", 1 }, { 56, "clone", 1 },
	{ 57, "fork", 1 }, { 58, "vfork", 1 }, { 59, "execve", 1 },
	{ 60, "exit", 0 }, { 62, "kill", 1 }, { 101, "ptrace", 1 },
	{ 105, "setuid", 1 }, { 186, "gettid", 0 }, { 202, "futex", 0 },
	{ 231, "exit_group", 0 }, { 257, "openat", 0 }, { 288, "accept4", 1 },
	{ 310, "process_vm_readv", 1 }, { 311, "process_vm_writev", 1 },
	{ 319, "memfd_create", 1 }, { 322, "execveat", 1 }, { 435, "clone3", 1 },
	{ 438, "pidfd_getfd", 1 },
};

static const struct sysname aarch64_sys[] = {
	{ 56, "openat", 0 }, { 57, "close", 0 }, { 63, "read", 0 }, { 64, "write", 0 },
	{ 93, "exit", 0 }, { 94, "exit_group", 0 }, { 98, "futex", 0 },
	{ 117, "ptrace", 1 }, { 129, "kill", 1 }, { 146, "setuid", 1 },
	{ 172, "getpid", 0 }, { 178, "gettid", 0 }, { 198, "socket", 1 },
	{ 200, "bind", 1 }, { 201, "listen", 1 }, { 202, "accept", 1 },
	{ 203, "connect", 1 }, { 206, "sendto", 1 }, { 211, "sendmsg", 1 },
	{ 215, "munmap", 0 }, { 220, "clone", 1 }, { 221, "execve", 1 },
	{ 222, "mmap", 1 }, { 226, "mprotect", 1 }, { 242, "accept4", 1 },
	{ 270, "process_vm_readv", 1 }, { 271, "process_vm_writev", 1 },
	{ 279, "memfd_create", 1 }, { 281, "execveat", 1 }, { 435, "clone3", 1 },
	{ 438, "pidfd_getfd", 1 },
};

const char *dcam_rules_syscall(unsigned machine, long nr, bool *sensitive)
{
	const struct sysname *t = machine == EM_AARCH64 ? aarch64_sys : x86_64_sys;
	size_t n = machine == EM_AARCH64 ? ARRAY_SIZE(aarch64_sys) : ARRAY_SIZE(x86_64_sys);

	*sensitive = false;
	for (size_t i = 0; i < n; i++)
		if (t[i].nr == nr) {
			*sensitive = t[i].sensitive;
			return t[i].name;
		}
	return NULL;
}
