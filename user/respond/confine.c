/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Landlock by raw system calls (glibc has no wrappers) and seccomp with
 * libseccomp. Only the write accesses are handled by the Landlock
 * ruleset, so reading and executing stay unrestricted. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "respond/confine.h"
#include "lib/util.h"

static const struct {
	const char *name;
	const char *calls[8];
} classes[] = {
	{ "ptrace", { "ptrace", "process_vm_writev", "process_vm_readv", NULL } },
	{ "exec", { "execve", "execveat", NULL } },
	{ "net", { "connect", "bind", "listen", "accept", "accept4", "sendto", "sendmsg", NULL } },
	{ "modules", { "init_module", "finit_module", "delete_module", NULL } },
	{ "bpf", { "bpf", "perf_event_open", NULL } },
};

bool confine_wanted(const struct confine_opts *o)
{
	return o->writes || (o->deny && *o->deny);
}

static int find_class(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (strlen(classes[i].name) == len && !strncmp(classes[i].name, name, len))
			return (int)i;
	return -1;
}

int confine_check(const struct confine_opts *o, char *err, size_t errlen)
{
	const char *p = o->deny;

	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (find_class(p, len) < 0) {
			snprintf(err, errlen, "unknown syscall class '%.*s' (known: ptrace, exec, net, "
				 "modules, bpf)", (int)len, p);
			return -EINVAL;
		}
		p += len + (p[len] == ',');
	}
	for (size_t i = 0; i < o->nwrite_dirs; i++)
		if (access(o->write_dirs[i], F_OK)) {
			snprintf(err, errlen, "%s: %s", o->write_dirs[i], strerror(errno));
			return -errno;
		}
	return 0;
}

#define WRITE_ACCESS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
		      LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
		      LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
		      LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
		      LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

static int apply_landlock(const struct confine_opts *o, char *err, size_t errlen)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = WRITE_ACCESS };
	int rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0), ret = 0;

	if (rs < 0) {
		snprintf(err, errlen, "Landlock unavailable: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < o->nwrite_dirs && !ret; i++) {
		struct landlock_path_beneath_attr pb = { .allowed_access = WRITE_ACCESS };

		pb.parent_fd = open(o->write_dirs[i], O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0)) {
			ret = -errno;
			snprintf(err, errlen, "Landlock rule for %s: %s", o->write_dirs[i], strerror(errno));
		}
		if (pb.parent_fd >= 0)
			close(pb.parent_fd);
	}
	if (!ret && syscall(SYS_landlock_restrict_self, rs, 0)) {
		ret = -errno;
		snprintf(err, errlen, "Landlock: %s", strerror(errno));
	}
	close(rs);
	return ret;
}

static int apply_seccomp(const struct confine_opts *o, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	const char *p = o->deny;
	int ret = 0;

	if (!ctx) {
		snprintf(err, errlen, "seccomp: cannot create a filter");
		return -ENOMEM;
	}
	while (p && *p && !ret) {
		size_t len = strcspn(p, ",");
		int c = find_class(p, len);

		for (size_t k = 0; c >= 0 && classes[c].calls[k] && !ret; k++) {
			int nr = seccomp_syscall_resolve_name(classes[c].calls[k]);

			if (nr != __NR_SCMP_ERROR)
				ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		}
		p += len + (p[len] == ',');
	}
	if (!ret)
		ret = seccomp_load(ctx);
	if (ret)
		snprintf(err, errlen, "seccomp: %s", strerror(-ret));
	seccomp_release(ctx);
	return ret;
}

int confine_apply(const struct confine_opts *o, char *err, size_t errlen)
{
	int ret;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	if (o->writes && (ret = apply_landlock(o, err, errlen)))
		return ret;
	if (o->deny && *o->deny && (ret = apply_seccomp(o, err, errlen)))
		return ret;
	return 0;
}
