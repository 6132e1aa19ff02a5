/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Every long option a command's --help lists is in its man page source
 * (docs/man/bpf-profiler-CMD.8.scd), so the two cannot drift apart. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/util.h"

Test(man_pages, every_option_of_every_command_is_in_its_page)
{
	static const char *const cmds[] = { "trace", "agent", "probe", "analyze", "report", "db",
					    "score", "eval" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char path[256], cmd[256], *page, *help = NULL, *tok, *save = NULL;
		size_t len, cap = 0;
		FILE *p;

		snprintf(path, sizeof(path), "%s/docs/man/bpf-profiler-%s.8.scd", BPFPROF_SRCDIR,
			 cmds[i]);
		cr_assert_eq(util_read_file(path, 1 << 20, &page, &len), 0, "no %s", path);
		snprintf(cmd, sizeof(cmd), "%s %s --help", BPFPROF_BIN, cmds[i]);
		p = popen(cmd, "r");
		cr_assert_gt(getdelim(&help, &cap, '\0', p), 0);
		pclose(p);
		for (tok = strtok_r(help, " \t\n,=[]|()", &save); tok;
		     tok = strtok_r(NULL, " \t\n,=[]|()", &save)) {
			char opt[128], escaped[160];

			if (strncmp(tok, "--", 2) || strlen(tok) < 3 || strlen(tok) >= sizeof(opt))
				continue;
			snprintf(opt, sizeof(opt), "%s", tok);
			opt[strspn(opt, "-abcdefghijklmnopqrstuvwxyz0123456789")] = '\0';
			/* scdoc escapes nothing in option names but '_' */
			snprintf(escaped, sizeof(escaped), "%s", opt);
			cr_expect(strstr(page, opt) || strstr(page, escaped),
				  "%s: %s is not in its man page", cmds[i], opt);
		}
		free(help);
		free(page);
	}
}
