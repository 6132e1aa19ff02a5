/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scripts/package.sh builds a .deb that installs with dpkg -i (files,
 * conffiles, state and log directories with their modes, man pages, a valid
 * logrotate file) and purges clean with dpkg --purge. The machine is left
 * as it was: the test skips if bpf-profiler is installed already. */
#include <grp.h>
#include <sys/stat.h>
#include "harness.h"

TestSuite(package, .init = require_root, .timeout = 300);

static void expect_mode(const char *path, mode_t type, mode_t mode)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s is not installed", path);
	cr_assert_eq(st.st_mode & S_IFMT, type, "%s has the wrong type", path);
	cr_assert_eq(st.st_mode & 07777, mode, "%s is mode %04o, not %04o", path,
		     st.st_mode & 07777, mode);
}

Test(package, the_deb_installs_with_its_files_and_modes_and_purges_clean)
{
	static const char *const pages[] = { "bpf-profiler.8", "bpf-profiler-agent.8",
		"bpf-profiler-trace.8", "bpf-profiler-report.8", "bpf-profiler-db.8",
		"bpf-profiler-probe.8", "bpf-profiler-analyze.8", "bpf-profiler-score.8",
		"bpf-profiler-eval.8" };
	char cmd[2048], deb[512] = "", path[1024];
	struct group *adm = getgrnam("adm");
	struct stat st;
	FILE *p;

	if (!system("dpkg-query -W -f='${Status}' bpf-profiler 2>/dev/null | grep -q installed") ||
	    !access("/etc/bpf-profiler", F_OK) || !access("/var/lib/bpf-profiler", F_OK))
		cr_skip_test("bpf-profiler is installed or configured on this machine: not touched");
	if (system("command -v dpkg-deb dpkg-shlibdeps scdoc >/dev/null"))
		cr_skip_test("dpkg-dev and scdoc are needed (scripts/deps.sh)");
	snprintf(cmd, sizeof(cmd), "bash %s/scripts/package.sh --binary %s 2>/dev/null", BPFPROF_SRCDIR,
		 BPFPROF_BIN);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(deb, sizeof(deb), p));
	cr_assert_eq(pclose(p), 0, "package.sh failed");
	deb[strcspn(deb, "\n")] = '\0';
	cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s/%s", BPFPROF_SRCDIR, deb), sizeof(path));
	cr_assert(strstr(deb, "bpf-profiler_") && strstr(deb, ".deb"), "%s", deb);

	snprintf(cmd, sizeof(cmd), "dpkg -i %s >/dev/null", path);
	cr_assert_eq(system(cmd), 0, "dpkg -i %s failed", path);
	expect_mode("/usr/sbin/bpf-profiler", S_IFREG, 0755);
	expect_mode("/lib/systemd/system/bpf-profiler.service", S_IFREG, 0644);
	expect_mode("/etc/bpf-profiler/bpf-profiler.conf", S_IFREG, 0644);
	expect_mode("/etc/logrotate.d/bpf-profiler", S_IFREG, 0644);
	expect_mode("/var/lib/bpf-profiler", S_IFDIR, 0700);
	expect_mode("/var/log/bpf-profiler", S_IFDIR, 0750);
	stat("/var/log/bpf-profiler", &st);
	if (adm)
		cr_assert_eq(st.st_gid, adm->gr_gid, "the log directory is not group adm");
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(path, sizeof(path), "/usr/share/man/man8/%s.gz", pages[i]);
		expect_mode(path, S_IFREG, 0644);
	}
	expect_mode("/usr/share/man/man5/bpf-profiler.conf.5.gz", S_IFREG, 0644);
	cr_assert_eq(system("dpkg-query -W -f='${Conffiles}' bpf-profiler | "
			    "grep -q /etc/bpf-profiler/bpf-profiler.conf"), 0, "the config is no conffile");
	cr_assert_eq(system("/usr/sbin/bpf-profiler --help >/dev/null"), 0);
	cr_assert_eq(system("/usr/sbin/bpf-profiler agent --config /etc/bpf-profiler/bpf-profiler.conf "
			    "--help >/dev/null"), 0);
	if (!system("command -v logrotate >/dev/null"))
		cr_assert_eq(system("logrotate -d /etc/logrotate.d/bpf-profiler >/dev/null 2>&1"), 0,
			     "the logrotate file does not parse");

	cr_assert_eq(system("dpkg --purge bpf-profiler >/dev/null"), 0, "dpkg --purge failed");
	cr_assert_neq(access("/usr/sbin/bpf-profiler", F_OK), 0);
	cr_assert_neq(access("/etc/bpf-profiler/bpf-profiler.conf", F_OK), 0, "purge kept the config");
	cr_assert_neq(access("/var/lib/bpf-profiler", F_OK), 0, "purge kept the state");
	cr_assert_neq(access("/var/log/bpf-profiler", F_OK), 0, "purge kept the logs");
}
