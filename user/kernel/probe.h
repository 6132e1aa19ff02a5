/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What this kernel can do, found by trying it (loading tiny programs,
 * attaching and detaching), never by version numbers. */
#ifndef BPFPROF_PROBE_H
#define BPFPROF_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum probe_feature {
	PROBE_BTF, PROBE_RINGBUF, PROBE_UPROBES, PROBE_SYSCALL_TP, PROBE_TASK_STORAGE,
	PROBE_SEND_SIGNAL, PROBE_BPF_LSM_LISTED, PROBE_BPF_LSM, PROBE_TRAMPOLINES,
	PROBE_CGROUP_V2_BPF, PROBE_LANDLOCK, PROBE_SECCOMP, PROBE_UPROBE_CTX_WRITE,
	PROBE_NFEATURES,
};

struct probe_result {
	bool ok[PROBE_NFEATURES];
	char detail[PROBE_NFEATURES][160];
	int landlock_abi;
};

/* Needs root for the BPF checks (they report "no" otherwise). */
void probe_run(struct probe_result *r);
const char *probe_feature_name(enum probe_feature f);
/* Whether BPF LSM programs load and attach here; detail says why not. */
bool probe_bpf_lsm(char *detail, size_t len);
/* The backend each mitigation would use, as a JSON object. */
json_t *probe_backends_json(const struct probe_result *r);

/* The ways code gets loaded that the tracer watches (docs/architecture.md),
 * each with whether this kernel gives what it needs. */
enum probe_source {
	PROBE_SRC_DLOPEN, PROBE_SRC_EXEC_MAPPING, PROBE_SRC_MPROTECT, PROBE_SRC_PKEY_MPROTECT,
	PROBE_SRC_EXEC_IMAGE, PROBE_SRC_CODE_ANON, PROBE_SRC_INJECTION, PROBE_SRC_CHILDREN,
	PROBE_SRC_IO_URING, PROBE_SRC_EXIT_STRINGS, PROBE_SRC_CONTENT_CACHE, PROBE_SRC_INJECTION_GATE,
	PROBE_NSOURCES,
};

struct probe_source_result {
	bool ok;
	char detail[160];
};

/* From a probe_run result and the tracepoints this kernel has. */
void probe_sources(const struct probe_result *r, struct probe_source_result out[PROBE_NSOURCES]);
const char *probe_source_name(enum probe_source s);

/* Mounts tracefs and securityfs where they are missing (root only). */
void probe_mount_kernel_fs(void);
/* Before loading BPF: -EPERM (privileges) or -ENOTSUP (no BTF), with err. */
int probe_require_tracing(char *err, size_t errlen);

#endif
