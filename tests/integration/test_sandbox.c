/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The restricted cgroup on the real kernel: a confined process loses the
 * network and devices, others do not, and closing undoes everything. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "respond/sandbox.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to attach cgroup BPF programs");
}

TestSuite(sandbox, .init = require_root, .timeout = 60);

/* A child that does one probe per request byte and answers with errno. */
struct probe_child {
	pid_t pid;
	int req, resp;
};

enum { DO_CONNECT = 'c', DO_DEVICE = 'd', DO_FAR = 'f', DO_QUIT = 'q' };

static int try_connect(uint32_t addr_be, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = addr_be,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ret = 0;

	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		ret = errno;
	close(fd);
	return ret;
}

static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

static struct probe_child start_child(int port, bool own_netns)
{
	int rq[2], rs[2];
	struct probe_child c;

	cr_assert_eq(pipe(rq), 0);
	cr_assert_eq(pipe(rs), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		char op;

		/* never outlive a failed test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* a fresh network namespace has only lo: nothing can leave it */
		if (own_netns && (unshare(CLONE_NEWNET) || loopback_up()))
			_exit(1);
		while (read(rq[0], &op, 1) == 1 && op != DO_QUIT) {
			int e = 0;

			if (op == DO_CONNECT) {
				e = try_connect(htonl(INADDR_LOOPBACK), port);
			} else if (op == DO_FAR) {
				e = try_connect(inet_addr("192.0.2.1"), 9);
			} else if (op == DO_DEVICE) {
				int fd = open("/dev/kmsg", O_RDONLY);

				e = fd < 0 ? errno : 0;
				if (fd >= 0)
					close(fd);
			}
			if (write(rs[1], &e, sizeof(e)) != sizeof(e))
				_exit(1);
		}
		_exit(0);
	}
	close(rq[0]);
	close(rs[1]);
	c.req = rq[1];
	c.resp = rs[0];
	return c;
}

static int ask(struct probe_child *c, char op)
{
	int e = -1;

	cr_assert_eq(write(c->req, &op, 1), 1);
	cr_assert_eq(read(c->resp, &e, sizeof(e)), sizeof(e));
	return e;
}

static void stop_child(struct probe_child *c)
{
	char q = DO_QUIT;

	cr_assert_eq(write(c->req, &q, 1), 1);
	waitpid(c->pid, NULL, 0);
	close(c->req);
	close(c->resp);
}

static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int denials;

static void count_denial(void *ctx, const struct sandbox_event *e)
{
	(void)ctx;
	(void)e;
	denials++;
}

Test(sandbox, confined_process_loses_network_and_devices_others_keep_them)
{
	struct sandbox_opts o = { .net = SANDBOX_NET_NONE, .on_denial = count_denial };
	struct sandbox *sb;
	char err[256], path[512];
	int port, lfd = listener(&port);
	struct probe_child conf = start_child(port, false), other = start_child(port, false);
	struct stat st;

	cr_assert_eq(sandbox_open(&o, &sb, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s", sandbox_path(sb));
	cr_assert_eq(ask(&conf, DO_CONNECT), 0, "connect works before confinement");
	cr_assert_eq(sandbox_confine(sb, conf.pid), 0);

	cr_assert_eq(ask(&conf, DO_CONNECT), EPERM, "confined connect must be denied");
	cr_assert_eq(ask(&conf, DO_DEVICE), EPERM, "confined /dev/kmsg must be denied");
	cr_assert_eq(ask(&other, DO_CONNECT), 0, "an unconfined process is unaffected");
	cr_assert_eq(ask(&other, DO_DEVICE), 0);
	sandbox_poll(sb);
	cr_assert_geq(denials, 2, "denials are reported");

	sandbox_close(sb);
	cr_assert_neq(stat(path, &st), 0, "the restricted cgroup is removed");
	cr_assert_eq(ask(&conf, DO_CONNECT), 0, "closing lifts the restriction");
	stop_child(&conf);
	stop_child(&other);
	close(lfd);
}

Test(sandbox, loopback_policy_keeps_loopback_and_denies_the_rest)
{
	struct sandbox_opts o = { .net = SANDBOX_NET_LOOPBACK };
	struct sandbox *sb;
	char err[256];
	struct probe_child c = start_child(0, true);

	cr_assert_eq(ask(&c, DO_FAR), ENETUNREACH, "unconfined: only the namespace stops it");
	cr_assert_eq(sandbox_open(&o, &sb, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sandbox_confine(sb, c.pid), 0);
	cr_assert_eq(ask(&c, DO_FAR), EPERM, "non-loopback connect must be denied");
	cr_assert_eq(ask(&c, DO_CONNECT), ECONNREFUSED, "loopback connect reaches the stack");
	sandbox_close(sb);
	stop_child(&c);
}

/* A killed agent cannot remove its cgroup: the next sandbox does, and only
 * when the owner is gone (pid 1's stays). */
Test(sandbox, a_dead_owners_cgroup_is_removed_by_the_next_sandbox)
{
	struct sandbox_opts o = { .net = SANDBOX_NET_NONE };
	struct sandbox *sb;
	char err[256], root[512], dead[600], live[600];
	struct stat st;
	pid_t gone = fork();

	if (!gone)
		_exit(0);
	waitpid(gone, NULL, 0);
	cr_assert_eq(sandbox_open(&o, &sb, err, sizeof(err)), 0, "%s", err);
	snprintf(root, sizeof(root), "%s", sandbox_path(sb));
	*strrchr(root, '/') = '\0';
	sandbox_close(sb);
	snprintf(dead, sizeof(dead), "%s/bpf-profiler-restricted-%d", root, (int)gone);
	snprintf(live, sizeof(live), "%s/bpf-profiler-restricted-1", root);
	cr_assert_eq(mkdir(dead, 0700), 0, "%s: %s", dead, strerror(errno));
	cr_assert_eq(mkdir(live, 0700), 0, "%s: %s", live, strerror(errno));
	cr_assert_eq(sandbox_open(&o, &sb, err, sizeof(err)), 0, "%s", err);
	sandbox_close(sb);
	cr_assert_neq(stat(dead, &st), 0, "the cgroup of a process that is gone is left behind");
	cr_assert_eq(stat(live, &st), 0, "the cgroup of a live process was removed");
	rmdir(live);
}
