/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Kernel feature probes. BPF LSM is the case that needs trying: on some
 * hosts `bpf` is in the LSM list yet every trampoline program is refused at
 * load, so "listed" and "usable" are reported separately. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kernel/probe.h"
#include "lib/util.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

static const char *const names[PROBE_NFEATURES] = {
	[PROBE_BTF] = "btf",
	[PROBE_RINGBUF] = "ringbuf",
	[PROBE_UPROBES] = "uprobes",
	[PROBE_SYSCALL_TP] = "syscall_tracepoints",
	[PROBE_TASK_STORAGE] = "task_storage",
	[PROBE_SEND_SIGNAL] = "bpf_send_signal",
	[PROBE_BPF_LSM_LISTED] = "bpf_lsm_listed",
	[PROBE_BPF_LSM] = "bpf_lsm",
	[PROBE_TRAMPOLINES] = "bpf_trampolines",
	[PROBE_CGROUP_V2_BPF] = "cgroup_v2_bpf",
	[PROBE_LANDLOCK] = "landlock",
	[PROBE_SECCOMP] = "seccomp",
	[PROBE_UPROBE_CTX_WRITE] = "uprobe_ctx_write",
};

const char *probe_feature_name(enum probe_feature f)
{
	return names[f];
}

static bool have_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	const int need[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (!(data[need[i] / 32].effective & (1u << (need[i] % 32))))
			return false;
	return true;
}

/* tracefs (tracepoint ids for libbpf) and securityfs (the LSM list) are
 * mounted by systemd on most hosts, not in minimal containers or VMs. */
static bool tracepoint_exists(const char *event)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", event);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s", event);
	return !access(path, F_OK);
}

const char *probe_source_name(enum probe_source s)
{
	static const char *const names[] = {
		[PROBE_SRC_DLOPEN] = "dlopen", [PROBE_SRC_EXEC_MAPPING] = "exec_mapping",
		[PROBE_SRC_MPROTECT] = "mprotect_exec", [PROBE_SRC_PKEY_MPROTECT] = "pkey_mprotect",
		[PROBE_SRC_EXEC_IMAGE] = "exec_image", [PROBE_SRC_CODE_ANON] = "anon_memfd_code",
		[PROBE_SRC_INJECTION] = "injection", [PROBE_SRC_CHILDREN] = "threads_children",
		[PROBE_SRC_IO_URING] = "io_uring", [PROBE_SRC_EXIT_STRINGS] = "paths_at_exit",
		[PROBE_SRC_CONTENT_CACHE] = "content_cache", [PROBE_SRC_INJECTION_GATE] = "injection_gate",
	};

	return (unsigned int)s < PROBE_NSOURCES ? names[s] : "?";
}

/* The injection gate's kfuncs: signalling another task, and finding it
 * (in the injector's pid namespace, or the initial one). */
static bool injection_gate_kfuncs(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, "bpf_send_signal_task", BTF_KIND_FUNC) > 0 &&
	     (btf__find_by_name_kind(btf, "bpf_task_from_vpid", BTF_KIND_FUNC) > 0 ||
	      btf__find_by_name_kind(btf, "bpf_task_from_pid", BTF_KIND_FUNC) > 0);
	btf__free(btf);
	return ok;
}

static void source(struct probe_source_result *o, bool ok, const char *yes, const char *no)
{
	o->ok = ok;
	snprintf(o->detail, sizeof(o->detail), "%s", ok ? yes : no);
}

void probe_sources(const struct probe_result *r, struct probe_source_result out[PROBE_NSOURCES])
{
	bool base = r->ok[PROBE_SYSCALL_TP] && r->ok[PROBE_TASK_STORAGE] && r->ok[PROBE_RINGBUF];

	source(&out[PROBE_SRC_DLOPEN], r->ok[PROBE_UPROBES],
	       "uprobes on every object exporting dlopen/dlmopen", "no uprobes");
	source(&out[PROBE_SRC_EXEC_MAPPING], base && tracepoint_exists("syscalls/sys_enter_mmap"),
	       "mmap(PROT_EXEC) of files, the loader's start-up mappings", "no mmap tracepoint");
	source(&out[PROBE_SRC_MPROTECT], base && tracepoint_exists("syscalls/sys_enter_mprotect"),
	       "mprotect adding exec (bpf_find_vma names the file)", "no mprotect tracepoint");
	source(&out[PROBE_SRC_PKEY_MPROTECT],
	       base && tracepoint_exists("syscalls/sys_enter_pkey_mprotect"),
	       "pkey_mprotect adding exec", "no pkey_mprotect tracepoint on this kernel");
	source(&out[PROBE_SRC_EXEC_IMAGE], base && tracepoint_exists("sched/sched_process_exec"),
	       "exec'd images (static binaries, execveat of a memfd)", "no sched_process_exec");
	source(&out[PROBE_SRC_CODE_ANON], base,
	       "executable anonymous and memfd memory (gated when it makes system calls itself)",
	       "no syscall tracepoints");
	source(&out[PROBE_SRC_INJECTION],
	       base && tracepoint_exists("syscalls/sys_enter_ptrace") &&
		       tracepoint_exists("syscalls/sys_enter_process_vm_writev") &&
		       tracepoint_exists("syscalls/sys_exit_openat"),
	       "ptrace writes, process_vm_writev, /proc/PID/mem: a window in the target",
	       "a ptrace, process_vm_writev or openat exit tracepoint is missing");
	source(&out[PROBE_SRC_CHILDREN], base && tracepoint_exists("sched/sched_process_fork"),
	       "threads and children inherit the window (watch)", "no sched_process_fork");
	source(&out[PROBE_SRC_IO_URING], base && tracepoint_exists("io_uring/io_uring_submit_req"),
	       "io_uring operations as the calls they stand for",
	       "no io_uring_submit_req tracepoint: io_uring operations are not seen");
	source(&out[PROBE_SRC_EXIT_STRINGS], base && tracepoint_exists("syscalls/sys_exit_openat"),
	       "paths on untouched pages read at the syscall's exit", "no exit tracepoints");
	source(&out[PROBE_SRC_CONTENT_CACHE], base,
	       "verdicts keyed by device, inode, ctime, size and i_version", "no syscall tracepoints");
	source(&out[PROBE_SRC_INJECTION_GATE],
	       out[PROBE_SRC_INJECTION].ok && injection_gate_kfuncs(),
	       "the gate stops an injection's target before the injected code can run",
	       "no bpf_send_signal_task kfunc (6.13+): injections are judged after the write");
}

void probe_mount_kernel_fs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    access("/sys/kernel/debug/tracing/events", F_OK))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (access("/sys/kernel/security/lsm", F_OK))
		mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
}

int probe_require_tracing(char *err, size_t errlen)
{
	if (!have_caps()) {
		snprintf(err, errlen, "needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
		return -EPERM;
	}
	if (access(BTF_PATH, R_OK)) {
		snprintf(err, errlen, "this kernel has no BTF (%s): CO-RE programs cannot load",
			 BTF_PATH);
		return -ENOTSUP;
	}
	probe_mount_kernel_fs();
	if (access("/sys/kernel/tracing/events/syscalls", F_OK) &&
	    access("/sys/kernel/debug/tracing/events/syscalls", F_OK)) {
		snprintf(err, errlen, "no syscall tracepoints (tracefs not mountable, or "
			 "CONFIG_FTRACE_SYSCALLS off)");
		return -ENOTSUP;
	}
	return 0;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int btf_func_id(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	return id;
}

/* Loads a trampoline program on func and attaches it: both steps must work. */
static bool try_trampoline(enum bpf_prog_type type, enum bpf_attach_type attach,
			   const char *func, char *detail, size_t len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);
	int id = btf_func_id(func), fd, link;

	if (id < 0) {
		snprintf(detail, len, "%s not in BTF", func);
		return false;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(type, "bpfprof_probe", "GPL", ret0, ARRAY_SIZE(ret0), &opts);
	if (fd < 0) {
		snprintf(detail, len, "load refused: %s", strerror(errno));
		return false;
	}
	link = bpf_link_create(fd, 0, attach, NULL);
	if (link < 0) {
		snprintf(detail, len, "attach refused: %s", strerror(errno));
		close(fd);
		return false;
	}
	close(link);
	close(fd);
	snprintf(detail, len, "loaded and attached on %s", func);
	return true;
}

static bool lsm_listed(char *detail, size_t len)
{
	char *buf;
	size_t n;
	bool listed;

	if (util_read_file("/sys/kernel/security/lsm", 4096, &buf, &n)) {
		snprintf(detail, len, "/sys/kernel/security/lsm unreadable");
		return false;
	}
	listed = strstr(buf, "bpf") != NULL;
	snprintf(detail, len, "%s", buf);
	free(buf);
	return listed;
}

bool probe_bpf_lsm(char *detail, size_t len)
{
	char listed[160];

	probe_mount_kernel_fs();
	if (!lsm_listed(listed, sizeof(listed))) {
		snprintf(detail, len, "bpf is not in the active LSM list");
		return false;
	}
	return try_trampoline(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open", detail, len);
}

static bool find_cgroup2(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], mnt[512], type[64];
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%255s %511s %63s %*[^\n]", dev, mnt, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(path, len, "%s", mnt);
			found = true;
		}
	fclose(f);
	return found;
}

/* Attaches an allow-all connect4 program to a scratch cgroup, then removes it. */
static bool try_cgroup_bpf(char *detail, size_t len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
	static const struct bpf_insn ret1[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char root[512], cg[600];
	int fd, cgfd;
	bool ok = false;

	if (!find_cgroup2(root, sizeof(root))) {
		snprintf(detail, len, "no cgroup2 mount");
		return false;
	}
	snprintf(cg, sizeof(cg), "%s/bpf-profiler-probe-%d", root, (int)getpid());
	if (mkdir(cg, 0700) && errno != EEXIST) {
		snprintf(detail, len, "mkdir in %.100s: %s", root, strerror(errno));
		return false;
	}
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "bpfprof_probe", "GPL", ret1,
			   ARRAY_SIZE(ret1), &opts);
	if (cgfd < 0 || fd < 0) {
		snprintf(detail, len, "load refused: %s", strerror(errno));
	} else if (bpf_prog_attach(fd, cgfd, BPF_CGROUP_INET4_CONNECT, 0)) {
		snprintf(detail, len, "attach refused: %s", strerror(errno));
	} else {
		bpf_prog_detach2(fd, cgfd, BPF_CGROUP_INET4_CONNECT);
		snprintf(detail, len, "cgroup2 at %.120s", root);
		ok = true;
	}
	if (fd >= 0)
		close(fd);
	if (cgfd >= 0)
		close(cgfd);
	rmdir(cg);
	return ok;
}

/* The verifier's answer to a uprobe writing its return register. */
static bool try_uprobe_ctx_write(char *detail, size_t len)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_1,
		  .off = 80 /* offsetof(struct pt_regs, ax) on x86-64 */, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "bpfprof_probe", "GPL", prog,
			       ARRAY_SIZE(prog), NULL);

	if (fd < 0) {
		snprintf(detail, len, "verifier refuses: %s", strerror(errno));
		return false;
	}
	close(fd);
	snprintf(detail, len, "allowed");
	return true;
}

void probe_run(struct probe_result *r)
{
	long abi;
	int action = SECCOMP_RET_KILL_PROCESS;

	memset(r, 0, sizeof(*r));
	libbpf_set_print(NULL);
	probe_mount_kernel_fs();
#define SET(f, cond, ...) do { r->ok[f] = (cond); snprintf(r->detail[f], sizeof(r->detail[f]), __VA_ARGS__); } while (0)
	SET(PROBE_BTF, !access(BTF_PATH, R_OK), "%s", BTF_PATH);
	SET(PROBE_RINGBUF, libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0, "map type");
	SET(PROBE_TASK_STORAGE, libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) > 0, "map type");
	SET(PROBE_UPROBES, !access("/sys/bus/event_source/devices/uprobe/type", R_OK), "uprobe PMU");
	SET(PROBE_SYSCALL_TP,
	    !access("/sys/kernel/tracing/events/syscalls/sys_enter_openat/id", R_OK) ||
	    !access("/sys/kernel/debug/tracing/events/syscalls/sys_enter_openat/id", R_OK),
	    "syscalls/sys_enter_* events");
	SET(PROBE_SEND_SIGNAL,
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_send_signal, NULL) > 0, "helper");
	r->ok[PROBE_BPF_LSM_LISTED] = lsm_listed(r->detail[PROBE_BPF_LSM_LISTED], 160);
	r->ok[PROBE_BPF_LSM] = probe_bpf_lsm(r->detail[PROBE_BPF_LSM], 160);
	r->ok[PROBE_TRAMPOLINES] = try_trampoline(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
						  "vfs_read", r->detail[PROBE_TRAMPOLINES], 160);
	r->ok[PROBE_CGROUP_V2_BPF] = try_cgroup_bpf(r->detail[PROBE_CGROUP_V2_BPF], 160);
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	r->landlock_abi = abi > 0 ? (int)abi : 0;
	SET(PROBE_LANDLOCK, abi > 0, abi > 0 ? "ABI %ld" : "not available (%ld)", abi);
	SET(PROBE_SECCOMP, !syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action),
	    "filter mode, kill_process action");
	r->ok[PROBE_UPROBE_CTX_WRITE] = try_uprobe_ctx_write(r->detail[PROBE_UPROBE_CTX_WRITE], 160);
#undef SET
}

json_t *probe_backends_json(const struct probe_result *r)
{
	const char *exec_deny = r->ok[PROBE_BPF_LSM] ? "bpf_lsm" :
				r->ok[PROBE_SEND_SIGNAL] ? "signal" : "none";
	const char *net = r->ok[PROBE_BPF_LSM] ? "bpf_lsm" :
			  r->ok[PROBE_CGROUP_V2_BPF] ? "cgroup_bpf" :
			  r->ok[PROBE_LANDLOCK] ? "landlock" : "none";

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		"quarantine", exec_deny,
		"gate", r->ok[PROBE_SEND_SIGNAL] ? "signal" : "none",
		"network_restriction", net,
		"device_restriction", r->ok[PROBE_CGROUP_V2_BPF] ? "cgroup_bpf" : "none",
		"function_hook_block", r->ok[PROBE_UPROBE_CTX_WRITE] ? "uprobe_override" :
				       r->ok[PROBE_SEND_SIGNAL] ? "signal" : "none",
		"child_confinement", r->ok[PROBE_LANDLOCK] && r->ok[PROBE_SECCOMP] ?
				     "landlock+seccomp" : r->ok[PROBE_SECCOMP] ? "seccomp" : "none");
}
