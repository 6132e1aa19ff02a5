/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Attribution parsers on the text /proc gives, with the cgroup paths each
 * container runtime and cgroup driver writes, and on this process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup2.h"
#include "decision/attribution.h"
#include "pipeline/window.h"

#define ID64 "3f4a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"

static void expect_container(const char *path, const char *runtime)
{
	char id[ATTRIBUTION_CONTAINER_ID_LEN];
	const char *rt = "unset";

	cr_assert_eq(attribution_container_id(path, id, &rt), 0, "no container in %s", path);
	cr_assert_str_eq(id, ID64, "%s", path);
	if (runtime)
		cr_assert_str_eq(rt, runtime, "%s", path);
	else
		cr_assert_null(rt, "%s: %s", path, rt);
}

Test(attribution, container_ids_of_every_runtime_and_driver)
{
	expect_container("/system.slice/docker-" ID64 ".scope", "docker");
	expect_container("/docker/" ID64, "docker");
	expect_container("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			 "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-" ID64 ".scope",
			 "containerd");
	expect_container("/kubepods.slice/kubepods-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/"
			 "crio-" ID64 ".scope", "cri-o");
	expect_container("/machine.slice/libpod-" ID64 ".scope", "podman");
	expect_container("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64
			 ".scope/container", "podman");
	expect_container("/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" ID64, NULL);
	expect_container("/system.slice/containerd.service/kubepods-besteffort-pod0f1e2d3c_4b5a_"
			 "6978_8796_a5b4c3d2e1f0.slice:cri-containerd:" ID64, "containerd");
}

Test(attribution, paths_without_a_container_name_none)
{
	char id[ATTRIBUTION_CONTAINER_ID_LEN];

	cr_assert_eq(attribution_container_id("/system.slice/nginx.service", id, NULL), -ENOENT);
	cr_assert_eq(attribution_container_id("/", id, NULL), -ENOENT);
	/* conmon is podman's monitor, not the container; short ids are not ids */
	cr_assert_eq(attribution_container_id("/machine.slice/libpod-conmon-" ID64 ".scope", id,
					      NULL), -ENOENT);
	cr_assert_eq(attribution_container_id("/system.slice/docker-3f4a1b2c.scope", id, NULL),
		     -ENOENT);
	cr_assert_eq(attribution_container_id("/docker/" ID64 "0", id, NULL), -ENOENT);
}

Test(attribution, pod_uid_of_both_cgroup_drivers)
{
	char uid[ATTRIBUTION_POD_UID_LEN];

	cr_assert_eq(attribution_pod_uid("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-"
					 "pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-"
					 ID64 ".scope", uid), 0);
	cr_assert_str_eq(uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	cr_assert_eq(attribution_pod_uid("/kubepods.slice/kubepods-pod0f1e2d3c_4b5a_6978_8796_"
					 "a5b4c3d2e1f0.slice", uid), 0);
	cr_assert_str_eq(uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	cr_assert_eq(attribution_pod_uid("/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/"
					 ID64, uid), 0);
	cr_assert_str_eq(uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	cr_assert_eq(attribution_pod_uid("/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" ID64,
					 uid), 0);
	cr_assert_eq(attribution_pod_uid("/system.slice/pod-manager.service", uid), -ENOENT);
	cr_assert_eq(attribution_pod_uid("/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", uid), -ENOENT,
		     "a pod outside kubepods is a name, not a pod");
}

Test(attribution, unit_is_the_deepest_service_or_scope)
{
	char unit[256];

	cr_assert_eq(attribution_unit("/system.slice/nginx.service", unit, sizeof(unit)), 0);
	cr_assert_str_eq(unit, "nginx.service");
	cr_assert_eq(attribution_unit("/user.slice/user-1000.slice/session-3.scope", unit,
				      sizeof(unit)), 0);
	cr_assert_str_eq(unit, "session-3.scope");
	cr_assert_eq(attribution_unit("/system.slice/foo.service/payload", unit, sizeof(unit)), 0);
	cr_assert_str_eq(unit, "foo.service");
	cr_assert_eq(attribution_unit("/system.slice/docker-" ID64 ".scope", unit, sizeof(unit)), 0);
	cr_assert_str_eq(unit, "docker-" ID64 ".scope");
	cr_assert_eq(attribution_unit("/", unit, sizeof(unit)), -ENOENT);
	cr_assert_eq(attribution_unit("/docker/" ID64, unit, sizeof(unit)), -ENOENT);
}

Test(attribution, status_gives_names_ids_and_parent)
{
	struct attribution a = { 0 };
	const char *status = "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\n"
			     "Ngid:\t0\nPid:\t812\nPPid:\t77\nTracerPid:\t0\n"
			     "Uid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\n";

	cr_assert_eq(attribution_parse_status(status, &a), 0);
	cr_assert_str_eq(a.comm, "python3");
	cr_assert_eq(a.ppid, 77);
	cr_assert_eq(a.uid, 1000);
	cr_assert_eq(a.euid, 0, "a setuid program's effective uid is kept apart");
	cr_assert_eq(a.gid, 100);
	cr_assert_eq(attribution_parse_status("Name:\tx\n", &a), -EINVAL);
}

Test(attribution, cmdline_joins_arguments_and_is_bounded)
{
	char out[16];
	const char raw[] = "python3\0-c\0print(1)\0";

	attribution_join_cmdline(raw, sizeof(raw) - 1, out, sizeof(out));
	cr_assert_str_eq(out, "python3 -c prin");
	attribution_join_cmdline("", 0, out, sizeof(out));
	cr_assert_str_eq(out, "");
}

Test(attribution, cgroup_file_of_v2_and_hybrid_hosts)
{
	struct attribution a = { 0 };

	attribution_parse_cgroup("0::/system.slice/docker-" ID64 ".scope\n", &a);
	cr_assert_str_eq(a.cgroup, "/system.slice/docker-" ID64 ".scope");
	cr_assert_str_eq(a.container_id, ID64);
	cr_assert_str_eq(a.runtime, "docker");
	cr_assert_str_eq(a.unit, "docker-" ID64 ".scope");
	memset(&a, 0, sizeof(a));
	/* hybrid: v2 says "/", the systemd and controller hierarchies say more */
	attribution_parse_cgroup("9:name=systemd:/system.slice/cron.service\n4:memory:/docker/" ID64
				 "\n0::/\n", &a);
	cr_assert_str_eq(a.cgroup, "/system.slice/cron.service");
	cr_assert_str_eq(a.container_id, ID64);
	cr_assert_str_eq(a.unit, "cron.service");
}

Test(attribution, this_process_is_read_from_proc)
{
	struct attribution a;
	json_t *j;

	cr_assert_eq(attribution_read(getpid(), &a), 0);
	cr_assert_eq(a.pid, getpid());
	cr_assert(a.have_ids);
	cr_assert_eq(a.uid, getuid());
	cr_assert_eq(a.ppid, getppid());
	cr_assert(a.cmdline[0], "no command line");
	cr_assert(strstr(a.exe, "test_attribution"), "%s", a.exe);
	j = attribution_to_json(&a);
	cr_assert_eq(json_integer_value(json_object_get(j, "pid")), getpid());
	cr_assert(json_is_string(json_object_get(j, "cmdline")));
	json_decref(j);
	cr_assert_eq(attribution_read(0x3ffffff, &a), -ESRCH);
}

static char state_of(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return p && p[1] && p[2] ? p[2] : '?';
}

/* A process read as it exited — a zombie still has its status, no command
 * line any more — is named by the arguments the kernel saw at its load
 * (test_agent's container test once found no command line this way). */
Test(attribution, a_process_read_as_it_exited_keeps_the_kernel_s_arguments)
{
	static const char args[] = "/fixtures/loader\0/fixtures/libbenign.so";
	struct window *w = calloc(1, sizeof(*w));
	struct attribution a;
	pid_t pid;

	cr_assert_not_null(w);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	for (int i = 0; i < 200 && state_of(pid) != 'Z'; i++)
		usleep(10000);
	cr_assert_eq(state_of(pid), 'Z', "the child did not become a zombie");
	attribution_remember(pid); /* its status reads, its command line is empty */
	w->pid = w->tid = (uint32_t)pid;
	w->ppid = (uint32_t)getpid();
	memcpy(w->args, args, sizeof(args));
	w->args_len = sizeof(args);
	attribution_of_window(w, &a);
	cr_assert_str_eq(a.cmdline, "/fixtures/loader /fixtures/libbenign.so");
	waitpid(pid, NULL, 0);
	free(w);
}

/* What was remembered of a process at its exec is stale once it moves:
 * a shell that execs the loader after putting itself in a container's
 * cgroup was remembered in its parent's (test_agent's container test once
 * lost its container this way when the loader was gone before its
 * decision). The cgroup the kernel saw at the load names the container. */
Test(attribution, a_process_gone_is_named_by_the_cgroup_of_its_load)
{
	static const char id[] = "89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567";
	struct window *w = calloc(1, sizeof(*w));
	char root[512], slice[640], scope[768], procs[800], go;
	struct attribution a;
	struct stat st;
	int p[2];
	FILE *f;
	pid_t pid;

	cgroup2_mount(root, sizeof(root));
	if (!root[0] || geteuid() != 0)
		cr_skip_test("needs root and a cgroup v2 mount to make a container's cgroup");
	cr_assert_not_null(w);
	snprintf(slice, sizeof(slice), "%s/bpfprof-attr-%d.slice", root, (int)getpid());
	snprintf(scope, sizeof(scope), "%s/docker-%s.scope", slice, id);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", scope);
	cr_assert_eq(mkdir(slice, 0755), 0, "%s: %m", slice);
	cr_assert_eq(mkdir(scope, 0755), 0, "%s: %m", scope);
	cr_assert_eq(stat(scope, &st), 0);
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) { /* waits to be remembered, then moves and exits */
		close(p[1]);
		if (read(p[0], &go, 1) != 1)
			_exit(1);
		f = fopen(procs, "w");
		_exit(f && fprintf(f, "0\n") > 0 && !fclose(f) ? 0 : 1);
	}
	close(p[0]);
	attribution_remember(pid);
	cr_assert_eq(write(p[1], "", 1), 1);
	close(p[1]);
	cr_assert_eq(waitpid(pid, NULL, 0), pid); /* gone */
	w->pid = w->tid = (uint32_t)pid;
	w->cgroup_id = st.st_ino; /* the id bpf_get_current_cgroup_id gives */
	attribution_of_window(w, &a);
	rmdir(scope);
	rmdir(slice);
	cr_expect_str_eq(a.container_id, id);
	cr_expect(strstr(a.cgroup, "/docker-"), "%s", a.cgroup);
	cr_expect_eq(a.cgroup_id, st.st_ino, "cgroup %s id %llu container %s", a.cgroup, (unsigned long long)a.cgroup_id, a.container_id);
	free(w);
}
