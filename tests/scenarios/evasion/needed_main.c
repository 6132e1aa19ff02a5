/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_needed: an ordinary program whose DT_NEEDED list includes
 * libscn_ev_needed.so (see needed.c). */
#include <stdio.h>

int scn_needed_version(void);

int main(void)
{
	printf("plugin api %d\n", scn_needed_version());
	return 0;
}
