/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Attribution is read from /proc when a decision or alert is built, so a
 * process that already exited is attributed by what the window kept (pid,
 * tid, comm, uid). Container, pod and unit come from cgroup path names,
 * the only place every runtime leaves them: systemd's scopes
 * (docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
 * libpod-<id>.scope), the cgroupfs drivers' /docker/<id> and
 * /kubepods/<qos>/pod<uid>/<id>, and kubelet's kubepods-*-pod<uid>.slice. */
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "decision/attribution.h"
#include "pipeline/window.h"
#include "lib/util.h"

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* Copies the n characters at s, if they are 64 hex digits. */
static bool take_id(const char *s, size_t n, char id[ATTRIBUTION_CONTAINER_ID_LEN])
{
	if (n != ATTRIBUTION_CONTAINER_ID_LEN - 1 || !is_hex(s, n))
		return false;
	memcpy(id, s, n);
	id[n] = '\0';
	return true;
}

/* The component [s, s+n) as "<prefix><id><suffix>". */
static bool id_between(const char *s, size_t n, const char *prefix, const char *suffix,
		       char id[ATTRIBUTION_CONTAINER_ID_LEN])
{
	size_t p = strlen(prefix), q = strlen(suffix);

	return n > p + q && !strncmp(s, prefix, p) && !strncmp(s + n - q, suffix, q) &&
	       take_id(s + p, n - p - q, id);
}

/* The next component of a cgroup path at *c (slashes skipped): its length,
 * 0 at the end. */
static size_t path_component(const char **c)
{
	while (**c == '/')
		(*c)++;
	return strcspn(*c, "/");
}

int attribution_container_id(const char *path, char id[ATTRIBUTION_CONTAINER_ID_LEN],
			     const char **runtime)
{
	static const struct { const char *prefix, *runtime; } scopes[] = {
		{ "docker-", "docker" }, { "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" }, { "libpod-", "podman" },
	};
	static const struct { const char *tag, *runtime; } colon[] = {
		{ ":cri-containerd:", "containerd" }, { ":crio:", "cri-o" }, { ":docker:", "docker" },
	};
	const char *found_rt = NULL, *parent = "";
	size_t parent_len = 0, n;
	bool found = false;

	/* the deepest component that names a container wins */
	for (const char *c = path; (n = path_component(&c)); c += n) {
		for (size_t i = 0; i < ARRAY_SIZE(scopes); i++)
			if (id_between(c, n, scopes[i].prefix, ".scope", id)) {
				found = true;
				found_rt = scopes[i].runtime;
			}
		for (size_t i = 0; i < ARRAY_SIZE(colon); i++) {
			const char *t = memmem(c, n, colon[i].tag, strlen(colon[i].tag));

			if (t && take_id(t + strlen(colon[i].tag), c + n - t - strlen(colon[i].tag), id)) {
				found = true;
				found_rt = colon[i].runtime;
			}
		}
		/* cgroupfs drivers: the bare id under docker/, libpod_parent/ or a pod */
		if (take_id(c, n, id)) {
			found = true;
			found_rt = parent_len == 6 && !strncmp(parent, "docker", 6) ? "docker"
				 : parent_len > 13 && !strncmp(parent, "libpod-", 7) ? "podman"
				 : !strncmp(path, "/libpod_parent", 14) ? "podman" : NULL;
		}
		parent = c;
		parent_len = n;
	}
	if (!found)
		return -ENOENT;
	if (runtime)
		*runtime = found_rt;
	return 0;
}

static bool is_uid_char(char c, char dash)
{
	return isxdigit((unsigned char)c) || c == dash;
}

/* 36 characters of a pod uid at s with dash as separator, as 8-4-4-4-12. */
static bool take_pod_uid(const char *s, size_t n, char dash, char uid[ATTRIBUTION_POD_UID_LEN])
{
	char take[ATTRIBUTION_POD_UID_LEN];

	/* into take first: a near miss leaves uid as it was */
	if (n != ATTRIBUTION_POD_UID_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? s[i] != dash : !is_uid_char(s[i], 0) || s[i] == dash)
			return false;
		take[i] = sep ? '-' : (char)tolower((unsigned char)s[i]);
	}
	take[n] = '\0';
	memcpy(uid, take, sizeof(take));
	return true;
}

int attribution_pod_uid(const char *path, char uid[ATTRIBUTION_POD_UID_LEN])
{
	bool in_kubepods = false;
	size_t n;

	for (const char *c = path; (n = path_component(&c)); c += n) {
		const char *pod;

		/* systemd driver: kubepods-burstable-pod<uid with _>.slice */
		if (!strncmp(c, "kubepods", 8) && n > 6 && !strncmp(c + n - 6, ".slice", 6) &&
		    (pod = memmem(c, n, "-pod", 4)) && take_pod_uid(pod + 4, c + n - 6 - pod - 4, '_', uid))
			return 0;
		/* cgroupfs driver: /kubepods/burstable/pod<uid>/ */
		if (in_kubepods && n > 3 && !strncmp(c, "pod", 3) && take_pod_uid(c + 3, n - 3, '-', uid))
			return 0;
		if (!strncmp(c, "kubepods", 8))
			in_kubepods = true;
	}
	return -ENOENT;
}

int attribution_unit(const char *path, char *unit, size_t len)
{
	const char *best = NULL;
	size_t best_n = 0, n;

	for (const char *c = path; (n = path_component(&c)); c += n) {
		if ((n > 8 && !strncmp(c + n - 8, ".service", 8)) ||
		    (n > 6 && !strncmp(c + n - 6, ".scope", 6))) {
			best = c;
			best_n = n;
		}
	}
	if (!best || best_n >= len)
		return -ENOENT;
	memcpy(unit, best, best_n);
	unit[best_n] = '\0';
	return 0;
}

int attribution_parse_status(const char *text, struct attribution *a)
{
	bool uid = false, gid = false;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long r, e;
		int ppid;

		if (!strncmp(l, "Name:\t", 6)) {
			size_t n = strcspn(l + 6, "\n");

			n = n < sizeof(a->comm) - 1 ? n : sizeof(a->comm) - 1;
			memcpy(a->comm, l + 6, n);
			a->comm[n] = '\0';
		} else if (sscanf(l, "PPid: %d", &ppid) == 1) {
			a->ppid = ppid;
		} else if (sscanf(l, "Uid: %lu %lu", &r, &e) == 2) {
			a->uid = r;
			a->euid = e;
			uid = true;
		} else if (sscanf(l, "Gid: %lu %lu", &r, &e) == 2) {
			a->gid = r;
			a->egid = e;
			gid = true;
		}
	}
	a->have_ids = uid && gid;
	a->have_uid = uid;
	return a->have_ids ? 0 : -EINVAL;
}

void attribution_join_cmdline(const char *raw, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (!outlen)
		return;
	while (len && raw[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len && n + 1 < outlen; i++)
		out[n++] = raw[i] ? raw[i] : ' ';
	out[n] = '\0';
}

void attribution_parse_cgroup(const char *text, struct attribution *a)
{
	char v1_systemd[ATTRIBUTION_CGROUP_MAX] = "", line[ATTRIBUTION_CGROUP_MAX + 64];
	bool v2 = false, id = false, pod = false, unit = false;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *path;
		size_t n = strcspn(l, "\n");

		if (n >= sizeof(line))
			continue;
		memcpy(line, l, n);
		line[n] = '\0';
		/* hierarchy-id:controllers:path */
		path = strchr(line, ':');
		path = path ? strchr(path + 1, ':') : NULL;
		if (!path)
			continue;
		path++;
		if (!strncmp(line, "0::", 3)) {
			snprintf(a->cgroup, sizeof(a->cgroup), "%s", path);
			v2 = true;
		} else if (strstr(line, ":name=systemd:")) {
			snprintf(v1_systemd, sizeof(v1_systemd), "%s", path);
		}
		id = id || !attribution_container_id(path, a->container_id, &a->runtime);
		pod = pod || !attribution_pod_uid(path, a->pod_uid);
		unit = unit || !attribution_unit(path, a->unit, sizeof(a->unit));
	}
	/* a hybrid host's v2 path is "/" for every process: systemd's says more */
	if ((!v2 || !strcmp(a->cgroup, "/")) && v1_systemd[0])
		snprintf(a->cgroup, sizeof(a->cgroup), "%s", v1_systemd);
}

/* Where cgroup v2 is mounted (/sys/fs/cgroup, or .../unified on a hybrid
 * host), from our mountinfo, once. */
static char cgroup2_root[PATH_MAX];
static pthread_once_t cgroup2_once = PTHREAD_ONCE_INIT;

static void find_cgroup2(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mnt[PATH_MAX];
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(cgroup2_root, sizeof(cgroup2_root), "%s", mnt);
			break;
		}
	}
	free(line);
	if (f)
		fclose(f);
}

static uint64_t cgroup_id_of(const char *v2_path)
{
	char p[PATH_MAX + ATTRIBUTION_CGROUP_MAX];
	struct stat st;

	pthread_once(&cgroup2_once, find_cgroup2);
	if (!cgroup2_root[0] || !v2_path[0])
		return 0;
	snprintf(p, sizeof(p), "%s%s", cgroup2_root, v2_path);
	return stat(p, &st) ? 0 : (uint64_t)st.st_ino;
}

static int find_id(const char *dir, uint64_t id, int depth, char *out, size_t len)
{
	struct dirent *e;
	struct stat st;
	int found = -ENOENT;
	DIR *d;

	if (depth > 8 || !(d = opendir(dir)))
		return -ENOENT;
	while (found && (e = readdir(d))) {
		char p[PATH_MAX];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p) ||
		    stat(p, &st))
			continue;
		if ((uint64_t)st.st_ino == id) {
			snprintf(out, len, "%s", p);
			found = 0;
		} else {
			found = find_id(p, id, depth + 1, out, len);
		}
	}
	closedir(d);
	return found;
}

/* The v2 path of a cgroup by its id (a directory's inode): a process gone
 * before its decision still names its container and unit, since a cgroup
 * outlives its processes. */
static int cgroup_path_of(uint64_t id, char *out, size_t len)
{
	char full[PATH_MAX];
	size_t root;

	pthread_once(&cgroup2_once, find_cgroup2);
	root = strlen(cgroup2_root);
	if (!root || find_id(cgroup2_root, id, 0, full, sizeof(full)))
		return -ENOENT;
	snprintf(out, len, "%s", full + root);
	return 0;
}

/* /proc/PID/NAME into buf (NUL-terminated); bytes read or -errno. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < (ssize_t)len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

int attribution_read(pid_t pid, struct attribution *a)
{
	char *buf = malloc(16384), link[64];
	ssize_t n;

	memset(a, 0, sizeof(*a));
	a->pid = a->tid = pid;
	if (!buf)
		return -ENOMEM;
	n = read_proc(pid, "status", buf, 16384);
	if (n < 0) {
		free(buf);
		return n == -ENOENT ? -ESRCH : (int)n;
	}
	attribution_parse_status(buf, a);
	if ((n = read_proc(pid, "cmdline", buf, ATTRIBUTION_CMDLINE_MAX)) > 0)
		attribution_join_cmdline(buf, n, a->cmdline, sizeof(a->cmdline));
	if (read_proc(pid, "cgroup", buf, 16384) > 0) {
		char *v2 = !strncmp(buf, "0::", 3) ? buf : strstr(buf, "\n0::");

		attribution_parse_cgroup(buf, a);
		/* the id is the v2 directory's (what bpf_get_current_cgroup_id says) */
		if (v2) {
			v2 += v2 == buf ? 3 : 4;
			v2[strcspn(v2, "\n")] = '\0';
			a->cgroup_id = cgroup_id_of(v2);
		}
	}
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, a->exe, sizeof(a->exe) - 1);
	a->exe[n > 0 ? n : 0] = '\0';
	if (a->ppid > 0 && read_proc(a->ppid, "comm", buf, sizeof(a->parent_comm)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(a->parent_comm, sizeof(a->parent_comm), "%s", buf);
	}
	free(buf);
	return 0;
}

#define REMEMBERED 64

static struct attribution *remembered; /* REMEMBERED entries, round robin */
static unsigned remembered_next;
static pthread_mutex_t remembered_lock = PTHREAD_MUTEX_INITIALIZER;

void attribution_remember(pid_t pid)
{
	struct attribution *a = malloc(sizeof(*a));

	if (!a)
		return;
	if (!attribution_read(pid, a)) {
		pthread_mutex_lock(&remembered_lock);
		if (!remembered)
			remembered = calloc(REMEMBERED, sizeof(*remembered));
		if (remembered)
			remembered[remembered_next++ % REMEMBERED] = *a;
		pthread_mutex_unlock(&remembered_lock);
	}
	free(a);
}

void attribution_note_exe(pid_t pid, const char *exe)
{
	struct attribution *r;

	pthread_mutex_lock(&remembered_lock);
	if (!remembered)
		remembered = calloc(REMEMBERED, sizeof(*remembered));
	for (unsigned i = 1; remembered && i <= REMEMBERED; i++) {
		r = &remembered[(remembered_next - i) % REMEMBERED];
		if (r->pid == pid) {
			snprintf(r->exe, sizeof(r->exe), "%s", exe);
			pthread_mutex_unlock(&remembered_lock);
			return;
		}
	}
	if (remembered) {
		r = &remembered[remembered_next++ % REMEMBERED];
		memset(r, 0, sizeof(*r));
		r->pid = r->tid = pid;
		snprintf(r->exe, sizeof(r->exe), "%s", exe);
	}
	pthread_mutex_unlock(&remembered_lock);
}

/* The newest remembered attribution of pid; false if none. */
static bool recall(pid_t pid, struct attribution *a)
{
	bool found = false;

	pthread_mutex_lock(&remembered_lock);
	for (unsigned i = 1; remembered && i <= REMEMBERED && !found; i++) {
		const struct attribution *r = &remembered[(remembered_next - i) % REMEMBERED];

		if (r->pid == pid) {
			*a = *r;
			found = true;
		}
	}
	pthread_mutex_unlock(&remembered_lock);
	return found;
}

/* An exiting process still has a status but no longer its exe, command
 * line or cgroup: those come from what was remembered. */
static void fill_from(struct attribution *a, const struct attribution *r)
{
	if (!a->exe[0])
		memcpy(a->exe, r->exe, sizeof(a->exe));
	if (!a->cmdline[0])
		memcpy(a->cmdline, r->cmdline, sizeof(a->cmdline));
	if (!a->cgroup[0]) {
		memcpy(a->cgroup, r->cgroup, sizeof(a->cgroup));
		a->cgroup_id = r->cgroup_id;
	}
	if (!a->container_id[0]) {
		memcpy(a->container_id, r->container_id, sizeof(a->container_id));
		a->runtime = r->runtime;
	}
	if (!a->pod_uid[0])
		memcpy(a->pod_uid, r->pod_uid, sizeof(a->pod_uid));
	if (!a->unit[0])
		memcpy(a->unit, r->unit, sizeof(a->unit));
	if (!a->parent_comm[0]) {
		memcpy(a->parent_comm, r->parent_comm, sizeof(a->parent_comm));
		a->ppid = a->ppid ? a->ppid : r->ppid;
	}
}

void attribution_of_window(const struct window *w, struct attribution *a)
{
	struct attribution *r = malloc(sizeof(*r));
	bool gone = attribution_read((pid_t)w->pid, a) == -ESRCH;

	if (r && recall((pid_t)w->pid, r)) {
		if (gone)
			*a = *r;
		else
			fill_from(a, r);
		gone = gone && !r->have_ids; /* an entry may hold only the exe */
	}
	free(r);

	a->tid = (pid_t)w->tid;
	snprintf(a->comm, sizeof(a->comm), "%s", w->comm);
	/* the cgroup the kernel saw at the load: /proc has none for a process
	 * gone, and the root for one that exited and is not reaped yet */
	if (w->cgroup_id && a->cgroup_id != w->cgroup_id &&
	    !cgroup_path_of(w->cgroup_id, a->cgroup, sizeof(a->cgroup))) {
		a->cgroup_id = w->cgroup_id;
		a->container_id[0] = a->pod_uid[0] = a->unit[0] = '\0';
		a->runtime = NULL;
		attribution_container_id(a->cgroup, a->container_id, &a->runtime);
		attribution_pod_uid(a->cgroup, a->pod_uid);
		attribution_unit(a->cgroup, a->unit, sizeof(a->unit));
	}
	if (gone || !a->have_ids) {
		a->uid = w->uid;
		a->have_uid = true;
	}
	/* gone before anyone read /proc: what the kernel saw at the load */
	if (gone && w->ppid && !a->have_ids) {
		a->gid = w->gid;
		a->euid = w->euid;
		a->egid = w->egid;
		a->ppid = (pid_t)w->ppid;
		a->have_ids = true;
	}
	/* read as it exited (a zombie still has a status, no command line
	 * any more), or gone: the arguments the kernel saw at the load */
	if (!a->cmdline[0])
		attribution_join_cmdline(w->args, w->args_len, a->cmdline, sizeof(a->cmdline));
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

json_t *attribution_to_json(const struct attribution *a)
{
	json_t *o = json_pack("{s:I, s:I}", "pid", (json_int_t)a->pid, "tid", (json_int_t)a->tid);

	if (!o)
		return NULL;
	set_str(o, "comm", a->comm);
	if (a->have_uid || a->have_ids)
		json_object_set_new(o, "uid", json_integer(a->uid));
	if (a->have_ids) {
		json_object_set_new(o, "gid", json_integer(a->gid));
		json_object_set_new(o, "euid", json_integer(a->euid));
		json_object_set_new(o, "egid", json_integer(a->egid));
	}
	if (a->ppid > 0)
		json_object_set_new(o, "ppid", json_integer(a->ppid));
	set_str(o, "parent_comm", a->parent_comm);
	set_str(o, "cmdline", a->cmdline);
	set_str(o, "exe", a->exe);
	if (a->cgroup_id)
		json_object_set_new(o, "cgroup_id", json_integer((json_int_t)a->cgroup_id));
	set_str(o, "cgroup", a->cgroup);
	set_str(o, "container_id", a->container_id);
	set_str(o, "container_runtime", a->runtime);
	set_str(o, "pod_uid", a->pod_uid);
	set_str(o, "unit", a->unit);
	return o;
}

void attribution_hostname(char *out, size_t len)
{
	if (!len)
		return;
	if (gethostname(out, len - 1))
		out[0] = '\0';
	out[len - 1] = '\0';
}
