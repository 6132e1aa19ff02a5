/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Restricted cgroup. Nothing is pinned: the programs live as long as the
 * links this process holds, so a crash lifts the restriction rather than
 * leaving an orphan policy behind; the empty cgroup directory is removed
 * on close (a crash can leave the directory, never a confined process in a
 * cgroup with programs nobody owns). */
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/log.h"
#include "respond/sandbox.h"
#include "sandbox.skel.h"
#include "lib/util.h"

#define SANDBOX_MAX 256
#define SANDBOX_PREFIX "bpf-profiler-restricted-"

struct sandbox {
	struct sandbox_bpf *skel;
	struct bpf_link *links[6];
	struct ring_buffer *rb;
	struct sandbox_opts opts;
	char root[256];     /* cgroup2 mount */
	char path[512];     /* our cgroup */
	int cgfd;
	/* each confined process and the cgroup it came from */
	struct { pid_t pid; char from[256]; } confined[SANDBOX_MAX];
	int nconfined;
};

static int find_cgroup2(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], mnt[256], type[64];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, mnt, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(path, len, "%s", mnt);
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/* A killed agent or trace leaves its empty directory behind: the next one
 * removes those whose owner is gone (rmdir refuses one that still holds a
 * process, which is left alone). */
static void sweep_stale(const char *root)
{
	DIR *d = opendir(root);
	char path[512];
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, SANDBOX_PREFIX, strlen(SANDBOX_PREFIX)))
			continue;
		pid = strtol(e->d_name + strlen(SANDBOX_PREFIX), &end, 10);
		if (*end || pid <= 0 || pid == getpid() || !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
		if (!rmdir(path))
			log_info("sandbox: removed %s, left by a process that is gone", path);
	}
	closedir(d);
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct sandbox *sb = ctx;

	if (size >= sizeof(struct sandbox_event) && sb->opts.on_denial)
		sb->opts.on_denial(sb->opts.ctx, data);
	return 0;
}

int sandbox_open(const struct sandbox_opts *opts, struct sandbox **out, char *err, size_t errlen)
{
	struct sandbox *sb = calloc(1, sizeof(*sb));
	struct bpf_program *progs[6];
	int ret;

	if (!sb)
		return -ENOMEM;
	sb->opts = *opts;
	sb->cgfd = -1;
	ret = find_cgroup2(sb->root, sizeof(sb->root));
	if (ret) {
		snprintf(err, errlen, "no cgroup v2 hierarchy mounted");
		goto fail;
	}
	sweep_stale(sb->root);
	snprintf(sb->path, sizeof(sb->path), "%s/" SANDBOX_PREFIX "%d", sb->root, (int)getpid());
	if (mkdir(sb->path, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create the restricted cgroup: %s", strerror(-ret));
		goto fail;
	}
	sb->cgfd = open(sb->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sb->skel = sandbox_bpf__open();
	if (sb->cgfd < 0 || !sb->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the sandbox programs: %s", strerror(-ret));
		goto fail;
	}
	sb->skel->rodata->allow_loopback = opts->net == SANDBOX_NET_LOOPBACK;
	ret = sandbox_bpf__load(sb->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the sandbox programs: %s", strerror(-ret));
		goto fail;
	}
	progs[0] = sb->skel->progs.sandbox_connect4;
	progs[1] = sb->skel->progs.sandbox_connect6;
	progs[2] = sb->skel->progs.sandbox_sendmsg4;
	progs[3] = sb->skel->progs.sandbox_sendmsg6;
	progs[4] = sb->skel->progs.sandbox_sock_create;
	progs[5] = sb->skel->progs.sandbox_dev;
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		sb->links[i] = bpf_program__attach_cgroup(progs[i], sb->cgfd);
		if (!sb->links[i]) {
			ret = -errno;
			snprintf(err, errlen, "cannot attach %s to the restricted cgroup: %s",
				 bpf_program__name(progs[i]), strerror(-ret));
			goto fail;
		}
	}
	sb->rb = ring_buffer__new(bpf_map__fd(sb->skel->maps.denials), on_ring, sb, NULL);
	if (!sb->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the denial ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = sb;
	return 0;
fail:
	sandbox_close(sb);
	return ret;
}

/* The process's cgroup v2 path ("0::/path" in /proc/PID/cgroup). */
static int cgroup_of(pid_t pid, char *out, size_t len)
{
	char path[64], *buf, *line;
	size_t n;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	ret = util_read_file(path, 65536, &buf, &n);
	if (ret)
		return ret;
	ret = -ENOENT;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "0::", 3)) {
			snprintf(out, len, "%s", line + 3);
			ret = 0;
			break;
		}
	free(buf);
	return ret;
}

static int move_to(const char *cgroup_dir, pid_t pid)
{
	char procs[600];
	FILE *f;
	int ret = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup_dir);
	f = fopen(procs, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", (int)pid) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

int sandbox_confine(struct sandbox *sb, pid_t pid)
{
	int ret;

	if (sandbox_confines(sb, pid))
		return 0;
	if (sb->nconfined == SANDBOX_MAX)
		return -ENOSPC;
	ret = cgroup_of(pid, sb->confined[sb->nconfined].from, sizeof(sb->confined[0].from));
	if (ret)
		return ret;
	ret = move_to(sb->path, pid);
	if (ret)
		return ret;
	sb->confined[sb->nconfined++].pid = pid;
	return 0;
}

bool sandbox_confines(const struct sandbox *sb, pid_t pid)
{
	for (int i = 0; i < sb->nconfined; i++)
		if (sb->confined[i].pid == pid)
			return true;
	return false;
}

int sandbox_poll(struct sandbox *sb)
{
	return ring_buffer__consume(sb->rb);
}

const char *sandbox_path(const struct sandbox *sb)
{
	return sb->path;
}

/* Where pid goes back to: where it came from, or for its children (born in
 * our cgroup) where the first confined process came from. */
static const char *origin_of(const struct sandbox *sb, pid_t pid)
{
	for (int i = 0; i < sb->nconfined; i++)
		if (sb->confined[i].pid == pid)
			return sb->confined[i].from;
	return sb->nconfined ? sb->confined[0].from : "/";
}

/* Every process in our cgroup goes back, so the cgroup can be removed. */
static void release_all(struct sandbox *sb)
{
	char procs[600], dest[600], *buf, *line;
	size_t n;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", sb->path);
	if (util_read_file(procs, 1 << 20, &buf, &n))
		return;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		pid_t pid = atoi(line);

		snprintf(dest, sizeof(dest), "%s%s", sb->root, origin_of(sb, pid));
		if (move_to(dest, pid))
			log_warn("sandbox: cannot move pid %d back to %s", (int)pid, dest);
	}
	free(buf);
}

void sandbox_close(struct sandbox *sb)
{
	if (!sb)
		return;
	if (sb->cgfd >= 0)
		release_all(sb);
	ring_buffer__free(sb->rb);
	for (size_t i = 0; i < ARRAY_SIZE(sb->links); i++)
		bpf_link__destroy(sb->links[i]);
	sandbox_bpf__destroy(sb->skel);
	if (sb->cgfd >= 0) {
		close(sb->cgfd);
		if (rmdir(sb->path))
			log_warn("sandbox: cannot remove %s: %s", sb->path, strerror(errno));
	}
	free(sb);
}
