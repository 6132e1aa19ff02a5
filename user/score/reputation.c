/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Source reputation: a prior for an unknown origin plus one weight per
 * reason (package ownership, path class, memfd/deleted, age, owner, mode),
 * clamped to 0..1; allow/deny list matches decide outright. The path is
 * resolved inside the loading process's root (/proc/PID/root), so a
 * container's file is never mistaken for the host's packaged one. */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "lib/filehash.h"
#include "score/pkgindex.h"
#include "score/exceptions.h"
#include "score/reputation.h"
#include "lib/util.h"

#define PRIOR 0.3

static void reason(struct reputation_result *r, const char *code, double w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reason(struct reputation_result *r, const char *code, double w, const char *fmt, ...)
{
	struct reputation_reason *x;
	va_list ap;

	if (r->n_reasons >= REPUTATION_MAX_REASONS)
		return;
	x = &r->reasons[r->n_reasons++];
	x->code = code;
	x->weight = w;
	va_start(ap, fmt);
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	va_end(ap);
}

/* Exceptions on the path or the hash decide the score alone (the rules on
 * exe, container and unit are the agent's, before scoring). 1 if decided. */
static int apply_exceptions(const struct reputation_input *in, const char *canon,
			    struct reputation_result *r)
{
	struct exception_subject s = { .path = in->path, .sha256 = in->sha256_hex };
	struct exception_match m;
	char code[24];

	if (!exceptions_match(in->exceptions, &s, &m)) {
		if (!canon)
			return 0;
		s.path = canon;
		if (!exceptions_match(in->exceptions, &s, &m))
			return 0;
	}
	/* the codes of docs/scoring.md: allow_path, deny_hash, ... */
	snprintf(code, sizeof(code), "%s_%s", exception_effect_name(m.effect),
		 exception_field_name(m.field));
	r->score = m.effect == EXCEPTION_DENY;
	reason(r, m.effect == EXCEPTION_DENY ? (m.field == EXCEPTION_SHA256 ? "deny_hash" : "deny_path")
		  : (m.field == EXCEPTION_SHA256 ? "allow_hash" : "allow_path"),
	       m.effect == EXCEPTION_DENY ? 1 : -1, "%s %s matches %s rule %s",
	       m.field == EXCEPTION_SHA256 ? "sha256" : "path", m.value, code, m.pattern);
	return 1;
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static bool ends_with(const char *s, const char *e)
{
	size_t n = strlen(s), m = strlen(e);

	return n >= m && !strcmp(s + n - m, e);
}

enum path_class { PC_SYSTEM, PC_LOCAL, PC_TMP, PC_HOME, PC_OTHER };

static enum path_class classify(const char *p)
{
	static const char *const sys[] = { "/usr/lib/", "/lib/", "/usr/lib64/", "/lib64/",
					   "/usr/lib32/", "/usr/libexec/", "/usr/bin/",
					   "/usr/sbin/", "/bin/", "/sbin/" };
	static const char *const tmp[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/" };

	for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
		if (has_prefix(p, sys[i]))
			return PC_SYSTEM;
	for (size_t i = 0; i < ARRAY_SIZE(tmp); i++)
		if (has_prefix(p, tmp[i]))
			return PC_TMP;
	if (has_prefix(p, "/usr/local/") || has_prefix(p, "/opt/"))
		return PC_LOCAL;
	if (has_prefix(p, "/home/") || has_prefix(p, "/root/") || has_prefix(p, "/run/user/"))
		return PC_HOME;
	return PC_OTHER;
}

/* memfd name from the fd's link, when the loader's path does not say. */
static bool fd_is_memfd(int fd)
{
	char link[64], target[256];
	ssize_t n;

	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return has_prefix(target, "/memfd:");
}

/* Whether pid's root can no longer be followed: it exited (or is a zombie,
 * whose root is gone already). */
static bool root_gone(pid_t pid)
{
	char link[64], target[8];

	snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
	return readlink(link, target, sizeof(target)) < 0 && (errno == ENOENT || errno == ESRCH);
}

/* How the path was resolved, for the reasons: in the process's root, on
 * the host as the same file, on the host with nothing to check it against
 * (not believed), on the host as another file, not at all. */
enum resolved { RES_ROOT, RES_HOST, RES_HOST_UNCHECKED, RES_HOST_OTHER, RES_NONE };

/* realpath of the loader's path, inside its root when it is another
 * process. A short-lived process may be gone before its load is judged:
 * then the path is resolved on the host, and believed only when the file
 * there is the object (device and inode). NULL for memfds, deleted and
 * vanished files, and for a host path that is not known to be the object. */
static char *resolve_path(const struct reputation_input *in, const struct stat *obj,
			  enum resolved *how)
{
	char buf[PATH_MAX + 64], *r;
	struct stat st;

	*how = RES_ROOT;
	if (in->pid <= 0 || in->pid == getpid())
		return realpath(in->path, NULL);
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)in->pid, in->path);
	r = realpath(buf, NULL);
	if (r || !root_gone(in->pid)) {
		*how = r ? RES_ROOT : RES_NONE;
		return r;
	}
	r = realpath(in->path, NULL);
	if (!r) {
		*how = RES_NONE;
		return NULL;
	}
	if (!obj || stat(r, &st)) { /* nothing to check it against: not believed */
		*how = RES_HOST_UNCHECKED;
		free(r);
		return NULL;
	}
	if (st.st_dev == obj->st_dev && st.st_ino == obj->st_ino) {
		*how = RES_HOST;
		return r;
	}
	*how = RES_HOST_OTHER;
	free(r);
	return NULL;
}

static void path_reasons(const struct reputation_input *in, const char *canon,
			 struct reputation_result *r)
{
	const char *p = canon ? canon : in->path;
	const char *pkg = canon ? pkgindex_owner(canon) : NULL;
	enum path_class pc = classify(p);
	struct stat dst;

	if (pkg)
		reason(r, "package_owned", -0.4, "%s", pkg);
	else if (canon && pkgindex_available()) /* an unresolved path: nothing to ask */
		reason(r, "not_package_owned", 0.1, "no dpkg package lists %s", p);
	else
		reason(r, "no_package_db", 0, "no package database to ask");
	switch (pc) {
	case PC_SYSTEM:
		reason(r, "path_system", -0.1, "%s is in a system directory", p);
		break;
	case PC_LOCAL:
		reason(r, "path_local", 0, "%s is in /usr/local or /opt", p);
		break;
	case PC_TMP:
		reason(r, "path_tmp", 0.4, "%s is in a temporary directory", p);
		break;
	case PC_HOME:
		reason(r, "path_home", 0.2, "%s is in a home directory", p);
		break;
	case PC_OTHER:
		reason(r, "path_other", 0.05, "%s is outside the usual library directories", p);
		break;
	}
	if (canon && pc != PC_TMP) {
		char *dir = strdup(canon);

		if (dir && !stat(dirname(dir), &dst) && (dst.st_mode & S_IWOTH))
			reason(r, "dir_world_writable", 0.3, "%s is writable by everyone", dir);
		free(dir);
	}
}

static void stat_reasons(const struct reputation_input *in, const struct stat *st,
			 time_t now, bool memfd, struct reputation_result *r)
{
	time_t changed = st->st_mtime > st->st_ctime ? st->st_mtime : st->st_ctime;

	if (!memfd && st->st_nlink == 0 && !ends_with(in->path, " (deleted)"))
		reason(r, "deleted", 0.4, "the file was unlinked after it was opened");
	if (st->st_mode & S_IWOTH)
		reason(r, "file_world_writable", 0.3, "mode %04o: writable by everyone",
		       (unsigned)(st->st_mode & 07777));
	else if ((st->st_mode & S_IWGRP) && st->st_gid != 0)
		reason(r, "file_group_writable", 0.1, "mode %04o, group %u can write",
		       (unsigned)(st->st_mode & 07777), (unsigned)st->st_gid);
	if (changed > now + 60)
		reason(r, "future_time", 0.1, "modified in the future (clock or forged time)");
	else if (now - changed < 3600)
		reason(r, "recent_file", 0.15, "changed %ld s ago", (long)(now - changed));
	else if (now - changed < 86400)
		reason(r, "recent_day", 0.05, "changed %ld h ago", (long)(now - changed) / 3600);
	if (st->st_uid != 0 && st->st_uid != in->uid)
		reason(r, "owner_other_user", 0.2, "owned by uid %u, loaded by uid %u",
		       (unsigned)st->st_uid, (unsigned)in->uid);
	else if (st->st_uid != 0)
		reason(r, "owner_loader", 0.1, "owned by the loading user (uid %u), not root",
		       (unsigned)st->st_uid);
}

/* The object's identity: its stat, its fd's, or the kernel's device and
 * inode (only those two are filled then). */
static const struct stat *identity(const struct reputation_input *in, struct stat *buf)
{
	if (in->st)
		return in->st;
	if (in->fd >= 0 && !fstat(in->fd, buf))
		return buf;
	if (!in->ino)
		return NULL;
	memset(buf, 0, sizeof(*buf));
	buf->st_dev = in->dev;
	buf->st_ino = in->ino;
	return buf;
}

int reputation_score(const struct reputation_input *in, struct reputation_result *out)
{
	struct stat own, id;
	const struct stat *st = in->st, *obj = identity(in, &id);
	time_t now = in->now ? in->now : time(NULL);
	enum resolved how = RES_NONE;
	char *canon = NULL;
	bool memfd;
	double sum = PRIOR;

	memset(out, 0, sizeof(*out));
	if (!in->path)
		return -EINVAL;
	memfd = has_prefix(in->path, "/memfd:") || fd_is_memfd(in->fd);
	if (!memfd && !ends_with(in->path, " (deleted)"))
		canon = resolve_path(in, obj, &how);
	if (apply_exceptions(in, canon, out))
		goto out;
	if (memfd)
		reason(out, "memfd", 0.5, "anonymous memory file %s: no file on disk", in->path);
	else if (ends_with(in->path, " (deleted)"))
		reason(out, "deleted", 0.4, "the file was deleted after it was opened");
	else if (how == RES_HOST)
		reason(out, "resolved_on_host", 0, "process %d exited: %s resolved on the host, "
		       "same device and inode", (int)in->pid, canon);
	else if (how == RES_HOST_UNCHECKED)
		reason(out, "vanished", 0.3, "process %d exited, and neither an fd nor a device "
		       "and inode tell which file %s was", (int)in->pid, in->path);
	else if (how == RES_HOST_OTHER)
		reason(out, "replaced", 0.3, "process %d exited and %s now names another file "
		       "(device or inode differ)", (int)in->pid, in->path);
	else if (!canon)
		reason(out, "vanished", 0.3, "%s cannot be resolved now", in->path);
	/* code written and run by the same thread is a dropper's second stage
	 * (a compiler or an installer writes what another process runs) */
	if (in->written_by_loader)
		reason(out, "written_by_loader", 0.3, "the loading thread wrote it %.0f ms before "
		       "mapping it executable", in->written_ms_before);
	if (!memfd)
		path_reasons(in, canon, out);
	if (!st) {
		if ((in->fd >= 0 && !fstat(in->fd, &own)) || (canon && !stat(canon, &own)))
			st = &own;
	}
	if (st)
		stat_reasons(in, st, now, memfd, out);
	for (size_t i = 0; i < out->n_reasons; i++)
		sum += out->reasons[i].weight;
	out->score = round((sum < 0 ? 0 : sum > 1 ? 1 : sum) * 1000) / 1000;
out:
	free(canon);
	return 0;
}

json_t *reputation_result_to_json(const struct reputation_result *r)
{
	json_t *o = json_object(), *a = json_array();

	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct reputation_reason *x = &r->reasons[i];
		json_t *j = json_object();

		json_object_set_new(j, "code", json_string(x->code));
		json_object_set_new(j, "detail", json_string(x->detail));
		json_object_set_new(j, "weight", json_real(x->weight));
		json_array_append_new(a, j);
	}
	json_object_set_new(o, "score", json_real(r->score));
	json_object_set_new(o, "reasons", a);
	return o;
}
