/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The BPF LSM backend on a kernel that has it (scripts/vmtest.sh runs this
 * as root in a QEMU guest): loads it through user/respond/lsm.c and checks each
 * denial in a separate process, which must survive it. Prints one line per
 * check and "N passed, N failed"; exits 1 on any failure.
 * usage: lsm_selftest [FIXTURE_DIR]  (libevil.so, libbenign.so, loader) */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/kdev.h"
#include "respond/lsm.h"

#define MAX_SEEN 64
#define MARKER "/tmp/lsm-selftest-evil-ran"

static struct bp_lsm_event seen[MAX_SEEN];
static int nseen, passed, failed;

static void on_denial(void *ctx, const struct bp_lsm_event *e)
{
	(void)ctx;
	if (nseen < MAX_SEEN)
		seen[nseen++] = *e;
}

/* Whether the kernel reported a denial of this kind for pid. */
static bool reported(struct lsm *lsm, uint32_t kind, pid_t pid)
{
	lsm_poll(lsm);
	for (int i = 0; i < nseen; i++)
		if (seen[i].kind == kind && seen[i].pid == (uint32_t)pid)
			return true;
	return false;
}

static void check(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s", ok ? "PASS" : "FAIL", what);
	if (!ok && fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	ok ? passed++ : failed++;
}

/* The child's answer through a pipe: what it saw, and that it lived. */
struct answer {
	int err;            /* errno of the denied call, 0 if it worked */
	pid_t actor;        /* the process that made the call */
	char msg[200];
};

typedef void (*child_fn)(const void *arg, struct answer *a);

/* Runs fn in a child; gate (if given) runs in the parent before the child
 * starts, with the child's pid. Returns the child's pid (reaped) and its
 * answer; *lived says it exited normally with status 0 afterwards. */
static pid_t in_child(child_fn fn, const void *arg, int (*gate)(void *, pid_t), void *gctx,
		      struct answer *a, bool *lived)
{
	int go[2], back[2], status = 0;
	char c = 'g';
	pid_t pid;

	memset(a, 0, sizeof(*a));
	*lived = false;
	if (pipe(go) || pipe(back))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct answer mine = { .actor = getpid() };

		close(go[1]);
		close(back[0]);
		if (read(go[0], &c, 1) != 1 || c != 'g')
			_exit(2); /* the gate failed: not lived, the check fails */
		fn(arg, &mine);
		if (write(back[1], &mine, sizeof(mine)) != sizeof(mine))
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	close(back[1]);
	if (pid > 0 && gate && gate(gctx, pid))
		c = 'x';
	if (pid > 0 && write(go[1], &c, 1) == 1 && read(back[0], a, sizeof(*a)) != sizeof(*a))
		snprintf(a->msg, sizeof(a->msg), "no answer from the child");
	close(go[1]);
	close(back[0]);
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		*lived = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return pid;
}

static void do_dlopen(const void *arg, struct answer *a)
{
	void *h;

	setenv("BPFPROF_MARKER", MARKER, 1);
	h = dlopen(arg, RTLD_NOW);
	if (h) {
		a->err = 0;
		dlclose(h);
		return;
	}
	/* glibc 2.36 says "failed to map segment from shared object" and
	 * drops the mmap's EPERM (errno is left 0): do_mmap shows the errno */
	a->err = -1;
	snprintf(a->msg, sizeof(a->msg), "%s", dlerror());
}

static void do_mmap(const void *arg, struct answer *a)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	void *p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

	a->err = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED)
		munmap(p, 4096);
	if (fd >= 0)
		close(fd);
}

static void do_mprotect(const void *arg, struct answer *a)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	void *p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED) {
		a->err = -1;
		snprintf(a->msg, sizeof(a->msg), "read-only mapping failed: %s", strerror(errno));
	} else {
		a->err = mprotect(p, 4096, PROT_READ | PROT_EXEC) ? errno : 0;
		munmap(p, 4096);
	}
	if (fd >= 0)
		close(fd);
}

static void do_exec(const void *arg, struct answer *a)
{
	char *const *argv = arg;
	pid_t pid = fork();
	int status;

	a->actor = pid;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(100 + (errno & 0x1f));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		a->err = -1;
		snprintf(a->msg, sizeof(a->msg), "cannot run the exec child");
		return;
	}
	/* the exec'ed loader exits 0..3, a failed execv 100+errno */
	a->err = WEXITSTATUS(status) >= 100 ? WEXITSTATUS(status) - 100 : 0;
	if (!a->err && WEXITSTATUS(status))
		snprintf(a->msg, sizeof(a->msg), "ran, exit %d", WEXITSTATUS(status));
}

static struct sockaddr_in listener_addr;

/* Not routable in the guest (only lo): ENETUNREACH unless denied before. */
static const struct sockaddr_in far_addr = {
	.sin_family = AF_INET, .sin_port = 0x0900, .sin_addr.s_addr = 0x0100000a, /* 10.0.0.1:9 */
};

static int connect_to(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)))
		err = errno;
	close(fd);
	return err;
}

static int connect_listener(void)
{
	return connect_to(&listener_addr);
}

/* arg: where to (NULL: the listener) */
static void do_connect(const void *arg, struct answer *a)
{
	a->err = connect_to(arg ? arg : &listener_addr);
}

static void *thread_exits(void *arg)
{
	return arg;
}

/* A thread of the restricted process exits first: the process stays
 * restricted (only the whole group's exit ends it). */
static void do_connect_after_thread_exit(const void *arg, struct answer *a)
{
	pthread_t t;

	(void)arg;
	if (pthread_create(&t, NULL, thread_exits, NULL) || pthread_join(t, NULL)) {
		a->err = -1;
		return;
	}
	a->err = connect_listener();
}

/* The connect is made by a child forked after the restriction. */
static void do_connect_in_grandchild(const void *arg, struct answer *a)
{
	pid_t pid = fork();
	int status;

	(void)arg;
	if (pid == 0)
		_exit(connect_listener());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		a->err = -1;
	else
		a->err = WEXITSTATUS(status);
}

static bool restricted_at_start;

static int restrict_gate(void *ctx, pid_t pid)
{
	int ret = lsm_restrict_pid(ctx, pid);

	restricted_at_start = !ret && lsm_restricts(ctx, pid);
	return ret;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

static int listen_loopback(void)
{
	socklen_t len = sizeof(listener_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	listener_addr.sin_family = AF_INET;
	listener_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&listener_addr, sizeof(listener_addr)) ||
	    listen(fd, 16) || getsockname(fd, (struct sockaddr *)&listener_addr, &len))
		return -errno;
	return fd;
}

static bool file_key(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	if (stat(path, &st))
		return false;
	*dev = kdev_from_dev(st.st_dev);
	*ino = st.st_ino;
	return true;
}

static void check_files(struct lsm *lsm, const char *dir)
{
	char evil[512], benign[512], loader[512];
	char *loader_argv[] = { loader, benign, NULL };
	struct answer a;
	uint64_t dev = 0, ino = 0;
	bool lived;
	pid_t pid;
	int ret;

	snprintf(evil, sizeof(evil), "%s/libevil.so", dir);
	snprintf(benign, sizeof(benign), "%s/libbenign.so", dir);
	snprintf(loader, sizeof(loader), "%s/loader", dir);
	unlink(MARKER);

	pid = in_child(do_exec, loader_argv, NULL, NULL, &a, &lived);
	check(pid > 0 && lived && a.err == 0 && !a.msg[0],
	      "exec of a file not quarantined works (control)", "%s %s", strerror(a.err), a.msg);

	ret = lsm_quarantine_path(lsm, "/nonexistent/lib.so");
	check(ret == -ENOENT, "quarantining a path that does not exist fails (ENOENT)", "%d", ret);
	ret = lsm_quarantine_path(lsm, evil);
	check(ret == 0 && file_key(evil, &dev, &ino), "quarantine libevil.so by path",
	      "%s", strerror(-ret));
	pid = in_child(do_dlopen, evil, NULL, NULL, &a, &lived);
	check(pid > 0 && a.err && strstr(a.msg, "failed to map segment") && lived,
	      "dlopen of a quarantined library fails and the process lives on",
	      "dlerror \"%s\", lived %d", a.msg, lived);
	printf("info: dlerror \"%s\"\n", a.msg);
	check(access(MARKER, F_OK) != 0, "the quarantined library's constructor did not run",
	      "%s exists", MARKER);
	check(reported(lsm, BP_LSM_DENY_MMAP_EXEC, pid) && nseen > 0 &&
	      seen[nseen - 1].dev == dev && seen[nseen - 1].ino == ino,
	      "the mmap_exec denial is reported with the process and the file", "%d reports",
	      nseen);

	pid = in_child(do_dlopen, benign, NULL, NULL, &a, &lived);
	check(pid > 0 && a.err == 0 && lived, "dlopen of a library not quarantined works "
	      "(control)", "%s", a.msg);

	pid = in_child(do_mmap, evil, NULL, NULL, &a, &lived);
	check(pid > 0 && a.err == EPERM && lived && reported(lsm, BP_LSM_DENY_MMAP_EXEC, pid),
	      "mmap(PROT_EXEC) of a quarantined file fails with EPERM, reported",
	      "errno %d (%s)", a.err, a.err > 0 ? strerror(a.err) : "");

	pid = in_child(do_mprotect, evil, NULL, NULL, &a, &lived);
	check(pid > 0 && a.err == EPERM && lived && reported(lsm, BP_LSM_DENY_MPROTECT_EXEC, pid),
	      "mprotect(PROT_EXEC) of a quarantined file's mapping fails with EPERM, reported",
	      "errno %d (%s) %s", a.err, a.err > 0 ? strerror(a.err) : "", a.msg);

	ret = lsm_quarantine_path(lsm, loader);
	pid = in_child(do_exec, loader_argv, NULL, NULL, &a, &lived);
	check(ret == 0 && pid > 0 && lived && (a.err == EPERM || a.err == EACCES) &&
	      reported(lsm, BP_LSM_DENY_EXEC, a.actor),
	      "exec of a quarantined executable fails with EPERM/EACCES, reported",
	      "errno %d (%s) %s", a.err, a.err > 0 ? strerror(a.err) : "", a.msg);

	ret = lsm_release_file(lsm, dev, ino);
	pid = in_child(do_dlopen, evil, NULL, NULL, &a, &lived);
	check(ret == 0 && pid > 0 && a.err == 0 && lived && access(MARKER, F_OK) == 0,
	      "a released library loads again (and its constructor runs)", "release %d, %s",
	      ret, a.msg);
	unlink(MARKER);
}

/* A second instance, loopback allowed: restricts only what it holds. */
static void check_loopback_only(void)
{
	struct lsm_opts opts = { .net = SANDBOX_NET_LOOPBACK, .on_denial = on_denial };
	struct answer a, far;
	struct lsm *lsm;
	char err[256];
	bool lived;
	pid_t pid;
	int ret = lsm_open(&opts, &lsm, err, sizeof(err));

	check(ret == 0, "a second LSM instance, loopback allowed, loads", "%s", err);
	if (ret)
		return;
	in_child(do_connect, &far_addr, NULL, NULL, &far, &lived);
	pid = in_child(do_connect, NULL, restrict_gate, lsm, &a, &lived);
	check(pid > 0 && a.err == 0 && lived,
	      "restricted with loopback allowed: connect to 127.0.0.1 works", "errno %d (%s)",
	      a.err, a.err > 0 ? strerror(a.err) : "");
	pid = in_child(do_connect, &far_addr, restrict_gate, lsm, &a, &lived);
	check(pid > 0 && a.err == EPERM && far.err != EPERM && lived &&
	      reported(lsm, BP_LSM_DENY_CONNECT, pid),
	      "restricted with loopback allowed: connect to 10.0.0.1 is denied (EPERM, "
	      "unrestricted gets another error)", "errno %d, unrestricted %d (%s)", a.err,
	      far.err, far.err > 0 ? strerror(far.err) : "");
	lsm_close(lsm);
}

static void check_network(struct lsm *lsm)
{
	struct answer a;
	bool lived;
	pid_t pid;
	int lfd, ret = lo_up();

	lfd = ret ? ret : listen_loopback();
	ret = lsm_restrict_pid(lsm, 0x3fffffff);
	check(ret == -ESRCH, "restricting a pid that does not exist fails (ESRCH)", "%d", ret);
	check(lfd >= 0, "a listener on 127.0.0.1 (lo up)", "%s", strerror(-lfd));
	if (lfd < 0)
		return;
	pid = in_child(do_connect, NULL, NULL, NULL, &a, &lived);
	check(pid > 0 && a.err == 0 && lived, "an unrestricted process connects to 127.0.0.1",
	      "%s", strerror(a.err));
	pid = in_child(do_connect, NULL, restrict_gate, lsm, &a, &lived);
	check(pid > 0 && a.err == EPERM && lived && reported(lsm, BP_LSM_DENY_CONNECT, pid),
	      "a restricted process cannot connect (EPERM, reported)", "errno %d (%s)", a.err,
	      a.err > 0 ? strerror(a.err) : "");
	check(restricted_at_start && !lsm_restricts(lsm, pid),
	      "a restricted process leaves the restricted set when it exits",
	      "restricted at start %d, after exit %d", restricted_at_start,
	      lsm_restricts(lsm, pid));
	pid = in_child(do_connect_after_thread_exit, NULL, restrict_gate, lsm, &a, &lived);
	check(pid > 0 && a.err == EPERM && lived,
	      "a restricted process stays restricted after one of its threads exits",
	      "errno %d (%s)", a.err, a.err > 0 ? strerror(a.err) : "");
	pid = in_child(do_connect_in_grandchild, NULL, restrict_gate, lsm, &a, &lived);
	check(pid > 0 && a.err == EPERM && lived,
	      "a child forked by a restricted process cannot connect either", "errno %d (%s)",
	      a.err, a.err > 0 ? strerror(a.err) : "");
	check_loopback_only();
	close(lfd);
}

int main(int argc, char **argv)
{
	struct lsm_opts opts = { .net = SANDBOX_NET_NONE, .on_denial = on_denial };
	const char *dir = argc > 1 ? argv[1] : FIXTURE_DIR;
	struct utsname u;
	struct lsm *lsm;
	char err[256];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!uname(&u))
		printf("info: kernel %s %s\n", u.release, u.version);
	ret = lsm_open(&opts, &lsm, err, sizeof(err));
	check(ret == 0, "load and attach the BPF LSM programs (user/respond/lsm.c)", "%s (%d)", err, ret);
	if (!ret) {
		check_files(lsm, dir);
		check_network(lsm);
		check(lsm_lost_reports(lsm) == 0, "no denial report lost", "%llu lost",
		      (unsigned long long)lsm_lost_reports(lsm));
		lsm_close(lsm);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
