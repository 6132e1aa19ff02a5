/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Who loaded the code: the process behind a decision or an alert as an
 * operator needs it — ids, parent, command line, executable, cgroup, the
 * container, Kubernetes pod and systemd unit its cgroup names, the host. */
#ifndef BPFPROF_ATTRIBUTION_H
#define BPFPROF_ATTRIBUTION_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ATTRIBUTION_CMDLINE_MAX 4096
#define ATTRIBUTION_CGROUP_MAX 1024
#define ATTRIBUTION_CONTAINER_ID_LEN 65 /* 64 hex digits */
#define ATTRIBUTION_POD_UID_LEN 37      /* 8-4-4-4-12 */

struct attribution {
	pid_t pid, tid, ppid;                  /* ppid 0: unknown */
	char comm[17], parent_comm[17];
	bool have_ids;                         /* uid..egid were read */
	bool have_uid;                         /* uid is known (the window's, if nothing else) */
	uid_t uid, euid;
	gid_t gid, egid;
	char cmdline[ATTRIBUTION_CMDLINE_MAX]; /* argv joined by spaces */
	char exe[PATH_MAX];
	uint64_t cgroup_id;                    /* the cgroup v2 directory's inode, 0: unknown */
	char cgroup[ATTRIBUTION_CGROUP_MAX];   /* cgroup v2 path (the systemd one on v1) */
	char container_id[ATTRIBUTION_CONTAINER_ID_LEN];
	const char *runtime;                   /* "docker", "containerd", "cri-o", "podman", or NULL */
	char pod_uid[ATTRIBUTION_POD_UID_LEN];
	char unit[256];                        /* systemd unit, e.g. "nginx.service" */
};

/* Reads /proc/PID/{status,cmdline,exe,cgroup} and the parent's comm into
 * *a (zeroed first; tid = pid). A process that exited leaves only pid:
 * -ESRCH. Fields a process hides (another mount namespace's exe, ...)
 * stay empty. */
int attribution_read(pid_t pid, struct attribution *a);
/* Reads pid's attribution now and keeps it (the last 64 processes), for
 * a process that has exited by the time its decision is built: call it
 * when a window opens. */
void attribution_remember(pid_t pid);

/* pid runs exe now (its exec'd image, resolved when its window was
 * judged): kept like attribution_remember's, for its later decisions. */
void attribution_note_exe(pid_t pid, const char *exe);

struct window;
/* attribution_read of the window's process or, when it has exited, what
 * attribution_remember kept of it; completed with what the window kept:
 * its tid and comm (the kernel's, at the load) and its uid. */
void attribution_of_window(const struct window *w, struct attribution *a);
/* The "process" object of decisions and alerts (schemas/decision.schema.json);
 * empty fields are left out. */
json_t *attribution_to_json(const struct attribution *a);
/* This host's name ("" when it has none). */
void attribution_hostname(char *out, size_t len);

/* Pure parsers, on the text of the /proc files. */
/* Name, PPid, Uid and Gid of /proc/PID/status; -EINVAL without Uid/Gid. */
int attribution_parse_status(const char *text, struct attribution *a);
/* NUL-separated argv -> one line, arguments separated by spaces. */
void attribution_join_cmdline(const char *raw, size_t len, char *out, size_t outlen);
/* /proc/PID/cgroup: the cgroup v2 path ("0::PATH") into a->cgroup, else
 * the name=systemd one; container id, pod uid and unit from whichever
 * line names them. */
void attribution_parse_cgroup(const char *text, struct attribution *a);
/* From one cgroup path: the container id (docker-<id>.scope,
 * cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope,
 * /docker/<id>, .../kubepods/.../<id>, ...:cri-containerd:<id>) and its
 * runtime; 0 found, -ENOENT not. */
int attribution_container_id(const char *path, char id[ATTRIBUTION_CONTAINER_ID_LEN],
			     const char **runtime);
/* kubepods-<qos>-pod<uid>.slice or /kubepods/[<qos>/]pod<uid>/: the pod
 * uid with dashes; 0 found, -ENOENT not. */
int attribution_pod_uid(const char *path, char uid[ATTRIBUTION_POD_UID_LEN]);
/* The deepest .service or .scope component; 0 found, -ENOENT not. */
int attribution_unit(const char *path, char *unit, size_t len);

#endif
