/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Tables of sensitive imports and syscall names. Exact names are looked up
 * first, then the crypto-library prefixes; keep both lists small and sure:
 * every entry here is a finding in someone's report. */
#include <elf.h>
#include <string.h>
#include "analysis/dcam_rules.h"
#include "lib/util.h"

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
	/* io_uring: reads, writes and connects that no syscall tracepoint sees */
	{ "io_uring_setup", DCAM_CAT_RAW_SYSCALL, 0.5, 0 },
	{ "io_uring_queue_init", DCAM_CAT_RAW_SYSCALL, 0.5, 0 },
	{ "io_uring_queue_init_params", DCAM_CAT_RAW_SYSCALL, 0.5, 0 },
	{ "io_uring_queue_init_mem", DCAM_CAT_RAW_SYSCALL, 0.5, 0 },
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

/* Syscalls whose raw use bypasses a libc hook of a sensitive category. */
static const char *const sensitive_syscalls[] = {
	"mmap", "mprotect", "pkey_mprotect", "socket", "connect", "accept", "accept4",
	"sendto", "sendmsg", "sendmmsg", "bind", "listen", "clone", "clone3", "fork",
	"vfork", "execve", "execveat", "kill", "tkill", "tgkill", "ptrace", "setuid",
	"setreuid", "setresuid", "process_vm_readv", "process_vm_writev", "memfd_create",
	"pidfd_getfd", "init_module", "finit_module", "bpf", "io_uring_setup", "io_uring_enter",
};

const char *dcam_rules_syscall(unsigned machine, long nr, bool *sensitive)
{
	const char *name = dcam_syscall_name(machine, nr);

	*sensitive = false;
	for (size_t i = 0; name && i < ARRAY_SIZE(sensitive_syscalls); i++)
		if (!strcmp(name, sensitive_syscalls[i]))
			*sensitive = true;
	return name;
}
