/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Opening the loaded object. Every way in goes through /proc/PID so paths
 * resolve in the process's mount namespace, every fd is checked against
 * the device and inode the kernel saw before it is believed, and every
 * open is safeopen_read: a name the process used may be our database. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel/kdev.h"
#include "kernel/procmaps.h"
#include "kernel/verdict_cache.h"
#include "lib/safeopen.h"
#include "pipeline/objfile.h"
#include "pipeline/soname.h"

static bool fd_is(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_ino == ino &&
	       st.st_dev == kdev_to_dev(dev);
}

static void adopt(struct window *w, int fd, const char *path)
{
	char link[64];
	ssize_t n;

	if (fd < 0)
		return;
	if (w->file_fd >= 0)
		close(w->file_fd);
	w->file_fd = fd;
	if (path && path[0] == '/') {
		snprintf(w->file_path, sizeof(w->file_path), "%.*s", BP_PATH_LEN, path);
		return;
	}
	/* a relative name means little later: where did it resolve to? */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, w->file_path, sizeof(w->file_path) - 1);
	w->file_path[n > 0 ? n : 0] = '\0';
}

/* The loader's fd for the file it is mapping right now. */
static void open_loader_fd(struct window *w, uint32_t pid, int fd, uint64_t dev, uint64_t ino)
{
	char link[64], target[BP_PATH_LEN];
	ssize_t n;
	int f;

	if (w->file_fd >= 0 && fd_is(w->file_fd, dev, ino))
		return;
	if (w->file_fd >= 0) { /* opened by name, but it is not what got mapped */
		close(w->file_fd);
		w->file_fd = -1;
		w->file_path[0] = '\0';
	}
	snprintf(link, sizeof(link), "/proc/%u/fd/%d", pid, fd);
	f = safeopen_read(link);
	if (f < 0)
		return;
	if (!fd_is(f, dev, ino)) { /* the fd was closed and reused meanwhile */
		close(f);
		return;
	}
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	adopt(w, f, n > 0 ? target : NULL);
}

/* Whether fd holds an ELF object: what the loader opens besides the object
 * (its cache /etc/ld.so.cache, hwcaps directories) is not one, and must not
 * be taken for the object when the load fails before any mapping. */
static bool is_elf(int fd)
{
	unsigned char m[4];

	return pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m) && !memcmp(m, "\177ELF", 4);
}

/* A path as the process named it, opened through its root or its cwd; if
 * the process is already gone, as we see it (right for `trace -- CMD`,
 * which shares our root and cwd). Either way the device and inode of the
 * load part's mmap record confirm it or throw it away. */
static int open_as(uint32_t pid, const char *name)
{
	char path[BP_PATH_LEN + 64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/%s/%s", pid, name[0] == '/' ? "root" : "cwd", name);
	fd = safeopen_read(path);
	if (fd < 0) /* gone, or a zombie whose root and cwd are gone */
		fd = safeopen_read(name);
	return fd;
}

int objfile_cache_key(const struct window *w, struct bp_file_key *key,
		      struct bp_file_marker *marker)
{
	struct stat st;

	if (w->file_fd < 0 || fstat(w->file_fd, &st) || !w->file_ino ||
	    st.st_ino != w->file_ino || st.st_dev != kdev_to_dev(w->file_dev))
		return -ENOENT;
	verdict_cache_key(&st, key, marker);
	return 0;
}

/* The name an exec'd image was run by, or the last file the loader opened
 * before mapping one: opened if it is still the device and inode mapped. */
static void open_named(struct window *w, uint32_t pid, const struct bp_ev_window_open *e,
		       uint64_t dev, uint64_t ino)
{
	const struct bp_call_rec *p = &e->pivot_rec;
	char name[BP_STR_LEN + 1] = "";
	int fd;

	if (p->call == BP_CALL_EXECVE)
		snprintf(name, sizeof(name), "%.*s", BP_STR_LEN, p->str);
	for (uint32_t i = e->nlookback; !name[0] && i-- > 0 && i < BP_LOOKBACK_MAX;)
		if (e->lookback[i].call == BP_CALL_OPENAT)
			snprintf(name, sizeof(name), "%.*s", BP_STR_LEN, e->lookback[i].str);
	if (!name[0])
		return;
	fd = open_as(pid, name);
	if (fd >= 0 && !fd_is(fd, dev, ino)) {
		close(fd);
		return;
	}
	adopt(w, fd, name);
}

static void copy_path(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Exited, or a zombie: its maps are empty, its root can no longer be
 * followed. */
static bool process_gone(uint32_t pid)
{
	char link[32], target[8];

	snprintf(link, sizeof(link), "/proc/%u/root", pid);
	return readlink(link, target, sizeof(target)) < 0 && (errno == ENOENT || errno == ESRCH);
}

/* A soname loaded already: the mapping whose file name is the soname, or
 * the one of the file the loader's search finds (libz.so.1 is mapped as
 * libz.so.1.2.13); a process that is gone leaves that file itself. */
static int open_soname(uint32_t pid, const char *name, char *path, size_t len)
{
	char found[PATH_MAX];
	struct stat st;
	int fd = procmaps_open_mapped((pid_t)pid, 0, 0, name, path, len);

	if (fd >= 0 || soname_resolve((pid_t)pid, name, found, sizeof(found)) ||
	    stat(found, &st))
		return fd;
	if (!process_gone(pid))
		return procmaps_open_mapped((pid_t)pid, kdev_from_dev(st.st_dev), st.st_ino, NULL,
					   path, len);
	fd = safeopen_read(found);
	if (fd >= 0)
		copy_path(path, len, found);
	return fd;
}

/* The mapped object by device and inode; when it is not mapped any more
 * (the process is exiting, or gone), the name it loaded (a bare soname
 * resolved the loader's way), if that is still the very file. A gate stop
 * at a dependency the object needed left the window holding the
 * dependency's fd: a process that exits right after its dlopen must not
 * leave its window judged as that. */
static int open_mapped_or_named(uint32_t pid, const struct window *w, char *path, size_t len)
{
	char found[PATH_MAX];
	int fd = procmaps_open_mapped((pid_t)pid, w->file_dev, w->file_ino, NULL, path, len);

	if (fd >= 0)
		return fd;
	if (strchr(w->path, '/')) {
		snprintf(found, sizeof(found), "%s", w->path);
		fd = open_as(pid, w->path);
	} else if (!soname_resolve((pid_t)pid, w->path, found, sizeof(found))) {
		fd = safeopen_read(found);
	}
	if (fd >= 0 && !fd_is(fd, w->file_dev, w->file_ino)) {
		close(fd);
		return -ENOENT;
	}
	if (fd >= 0)
		copy_path(path, len, found);
	return fd;
}

void objfile_track(struct window *w, const void *data, size_t size)
{
	const struct bp_event_hdr *h = data;
	char path[BP_PATH_LEN + 64];

	switch (h->type) {
	case BP_EV_WINDOW_OPEN: {
		const struct bp_ev_window_open *e = data;
		const struct bp_call_rec *p = &e->pivot_rec;

		if (size < sizeof(*e) || w->file_fd >= 0)
			return;
		/* code made executable outside dlopen: the very file mapped */
		if (h->pivot != BP_PIVOT_DLOPEN && bp_rec_maps_file(p)) {
			if (p->call == BP_CALL_MMAP)
				open_loader_fd(w, h->pid, (int)(p->arg[1] >> 32), p->arg[2], p->arg[3]);
			if (w->file_fd < 0)
				adopt(w, procmaps_open_mapped(h->pid, p->arg[2], p->arg[3], NULL, path,
							     sizeof(path)), path);
			/* the process is gone already: by the name it was run or
			 * opened by, if that is still the same file */
			if (w->file_fd < 0)
				open_named(w, h->pid, e, p->arg[2], p->arg[3]);
			return;
		}
		/* a bare name ("libm.so.6") is resolved by the loader: wait for it */
		if (h->pivot != BP_PIVOT_DLOPEN || !strchr(w->path, '/'))
			return;
		adopt(w, open_as(h->pid, w->path), w->path);
		return;
	}
	case BP_EV_CALL: {
		const struct bp_ev_call *e = data;

		if (size < sizeof(*e) || h->part != BP_PART_LOAD)
			return;
		/* the loader opens the object it resolved, then maps it: the last
		 * file opened before the first executable mapping is the candidate */
		if (e->rec.call == BP_CALL_OPENAT && !w->file_ino && e->rec.str[0]) {
			char name[BP_STR_LEN + 1];
			int fd;

			snprintf(name, sizeof(name), "%.*s", BP_STR_LEN, e->rec.str);
			fd = open_as(h->pid, name);
			if (fd >= 0 && !is_elf(fd)) {
				close(fd);
				fd = -1;
			}
			adopt(w, fd, name);
			return;
		}
		if (e->rec.call != BP_CALL_MMAP ||
		    !(e->rec.flags & BP_REC_FILE) || e->rec.arg[3] != w->file_ino)
			return;
		open_loader_fd(w, h->pid, (int)(e->rec.arg[1] >> 32), e->rec.arg[2], e->rec.arg[3]);
		return;
	}
	case BP_EV_GATE: {
		const struct bp_ev_gate *e = data;

		if (size < sizeof(*e) || !e->file.ino)
			return; /* an injection: no file */
		if (!w->file_ino) {
			w->file_dev = e->file.dev;
			w->file_ino = e->file.ino;
		}
		if (e->fd >= 0)
			open_loader_fd(w, h->pid, e->fd, e->file.dev, e->file.ino);
		/* no fd (an exec'd image, a mapping made executable): the mapping */
		if (w->file_fd < 0 || !fd_is(w->file_fd, e->file.dev, e->file.ino))
			adopt(w, procmaps_open_mapped(h->pid, e->file.dev, e->file.ino, NULL, path,
						     sizeof(path)), path);
		return;
	}
	case BP_EV_CODE: {
		/* memory made executable: for anonymous memory its bytes are the
		 * object; for a file's mapping, what to judge if the file cannot
		 * be opened any more */
		const struct bp_ev_code *e = data;

		if (size < sizeof(*e) || w->code || !e->len || e->len > sizeof(e->code))
			return;
		w->code = malloc(e->len);
		if (w->code) {
			memcpy(w->code, e->code, e->len);
			w->code_len = e->len;
		}
		return;
	}
	case BP_EV_DLOPEN_RET:
		if (w->file_ino && (w->file_fd < 0 || !fd_is(w->file_fd, w->file_dev, w->file_ino)))
			adopt(w, open_mapped_or_named(h->pid, w, path, sizeof(path)), path);
		/* nothing was mapped: the object was loaded already (python's libm) */
		else if (!w->file_ino && w->file_fd < 0 && w->ok == 1 && !strchr(w->path, '/'))
			adopt(w, open_soname(h->pid, w->path, path, sizeof(path)), path);
		return;
	default:
		return;
	}
}
