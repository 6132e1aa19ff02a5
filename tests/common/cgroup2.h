/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Where cgroup v2 is mounted, for the tests that make a container's
 * cgroup (test_agent, test_attribution). */
#ifndef BPFPROF_TEST_CGROUP2_H
#define BPFPROF_TEST_CGROUP2_H

#include <stdio.h>
#include <string.h>

/* The mount point in out, "" when there is none. */
static inline void cgroup2_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024], mnt[512];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
			snprintf(out, len, "%s", mnt);
			break;
		}
	if (f)
		fclose(f);
}

#endif
