/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_shellcode [--exit] RAN DONE PORT: writes the shellcode (shellcode.S)
 * filled for one run to stdout. The runner serves it to the scenario that
 * reads code from the network; RAN or DONE may be "" (no marker). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shellcode.h"

int main(int argc, char **argv)
{
	unsigned char sc[SCN_SC_MAX];
	struct scn_sc_opts o = { 0 };
	int a = 1;
	size_t len;

	if (argc > 1 && !strcmp(argv[1], "--exit")) {
		o.exit_after = true;
		a++;
	}
	if (argc - a != 3) {
		fprintf(stderr, "usage: scn_shellcode [--exit] RAN DONE PORT\n");
		return 2;
	}
	o.ran = argv[a];
	o.done = argv[a + 1];
	o.port = atoi(argv[a + 2]);
	len = scn_shellcode_build(sc, &o);
	if (!len || fwrite(sc, 1, len, stdout) != len) {
		fprintf(stderr, "scn_shellcode: cannot build (paths too long?)\n");
		return 1;
	}
	return 0;
}
