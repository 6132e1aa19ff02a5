/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Confinement of commands `trace` launches: Landlock limits writes,
 * seccomp denies classes of calls; both are inherited by what it runs. */
#include <sys/stat.h>
#include "harness.h"

TestSuite(confine, .init = require_root, .timeout = 60);

Test(confine, writes_are_allowed_only_below_the_given_directories)
{
	char allowed[160], denied[160], script[512];
	char *argv[] = { BPFPROF_BIN, "trace", "-o", "/dev/null", "--confine-writes", allowed, "--",
			 "/bin/sh", "-c", script, NULL };
	char path[200];

	snprintf(allowed, sizeof(allowed), "%s/confine-ok-%d", FIXTURE_DIR, (int)getpid());
	snprintf(denied, sizeof(denied), "%s/confine-no-%d", FIXTURE_DIR, (int)getpid());
	mkdir(allowed, 0755);
	mkdir(denied, 0755);
	/* a grandchild writes too: the rule is inherited across fork and exec */
	snprintf(script, sizeof(script), "echo a > %s/f; /bin/sh -c 'echo b > %s/f'; exit 0",
		 allowed, denied);
	cr_assert_eq(run(argv, NULL), 0);
	snprintf(path, sizeof(path), "%s/f", allowed);
	cr_assert_eq(access(path, F_OK), 0, "the allowed write did not happen");
	unlink(path);
	snprintf(path, sizeof(path), "%s/f", denied);
	cr_assert_neq(access(path, F_OK), 0, "a write outside the allowed directories happened");
	rmdir(allowed);
	rmdir(denied);
}

Test(confine, denied_syscall_classes_fail_with_eperm)
{
	/* exit 0 only if ptrace was refused with EPERM */
	char *argv[] = { BPFPROF_BIN, "trace", "-o", "/dev/null", "--deny-syscalls", "ptrace,bpf", "--",
			 "/usr/bin/python3", "-c",
			 "import ctypes, errno, sys\n"
			 "libc = ctypes.CDLL(None, use_errno=True)\n"
			 "r = libc.ptrace(0, 0, 0, 0)\n"
			 "sys.exit(0 if r == -1 and ctypes.get_errno() == errno.EPERM else 1)\n", NULL };
	char *plain[] = { BPFPROF_BIN, "trace", "-o", "/dev/null", "--",
			  "/usr/bin/python3", "-c",
			  "import ctypes, sys\n"
			  "sys.exit(0 if ctypes.CDLL(None).ptrace(0, 0, 0, 0) == 0 else 1)\n", NULL };

	cr_assert_eq(run(argv, NULL), 0, "ptrace was not denied");
	cr_assert_eq(run(plain, NULL), 0, "without the option ptrace(TRACEME) works");
}

Test(confine, bad_confinement_options_are_usage_errors)
{
	char *bad_class[] = { BPFPROF_BIN, "trace", "--deny-syscalls", "ptrace,teleport", "--", "/bin/true", NULL };
	char *bad_dir[] = { BPFPROF_BIN, "trace", "--confine-writes", "/nonexistent/dir", "--", "/bin/true", NULL };
	char *with_pid[] = { BPFPROF_BIN, "trace", "--deny-syscalls", "ptrace", "-p", "1", NULL };

	cr_assert_eq(run(bad_class, NULL), 2);
	cr_assert_eq(run(bad_dir, NULL), 2);
	cr_assert_eq(run(with_pid, NULL), 2);
}
