/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The BPF LSM backend on this host: it loads exactly where the probe says
 * BPF LSM is usable, and elsewhere refuses with the probe's reason. Its
 * denials are proven in a guest kernel that has BPF LSM (scripts/vmtest.sh). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "respond/lsm.h"
#include "kernel/probe.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
}

TestSuite(lsm, .init = require_root, .timeout = 60);

Test(lsm, opens_where_probe_finds_bpf_lsm_usable_and_says_why_not_elsewhere)
{
	struct lsm_opts opts = { .net = SANDBOX_NET_NONE };
	char why[160], err[256] = "";
	bool usable = probe_bpf_lsm(why, sizeof(why));
	struct lsm *lsm = NULL;
	int ret = lsm_open(&opts, &lsm, err, sizeof(err));

	if (usable) {
		cr_assert_eq(ret, 0, "probe says usable (%s) but lsm_open: %s", why, err);
		cr_assert_eq(lsm_restrict_pid(lsm, getpid()), 0);
		cr_assert_eq(lsm_quarantine_path(lsm, "/nonexistent/file"), -ENOENT);
		lsm_close(lsm);
		return;
	}
	cr_assert_eq(ret, -EOPNOTSUPP, "lsm_open returned %d (%s)", ret, err);
	cr_assert_null(lsm);
	cr_assert(strstr(err, "BPF LSM is not usable here") && strstr(err, why),
		  "err \"%s\" does not carry the probe's reason \"%s\"", err, why);
}
