/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for the attribution parsers: /proc/PID/status, cmdline and
 * cgroup text, which a monitored process shapes (its argv, the names of
 * cgroups it may create under a delegated subtree). Properties: every
 * output is NUL-terminated within its buffer, a container id is 64 lower
 * hex digits, a pod uid is 8-4-4-4-12 and a unit ends in .service or .scope. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "decision/attribution.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), line[32];
	struct attribution a;
	size_t n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&a, 0, sizeof(a));
	attribution_parse_status(text, &a);
	check(strlen(a.comm) < sizeof(a.comm));
	attribution_join_cmdline((const char *)data, size, line, sizeof(line));
	check(strlen(line) < sizeof(line));
	memset(&a, 0, sizeof(a));
	attribution_parse_cgroup(text, &a);
	check(strlen(a.cgroup) < sizeof(a.cgroup));
	n = strlen(a.container_id);
	check(n == 0 || n == 64);
	for (size_t i = 0; i < n; i++)
		check(isxdigit((unsigned char)a.container_id[i]) && !isupper((unsigned char)a.container_id[i]));
	n = strlen(a.pod_uid);
	check(n == 0 || (n == 36 && a.pod_uid[8] == '-' && a.pod_uid[23] == '-'));
	n = strlen(a.unit);
	check(n == 0 || (n > 6 && (!strcmp(a.unit + n - 6, ".scope") ||
				   (n > 8 && !strcmp(a.unit + n - 8, ".service")))));
	free(text);
	return 0;
}
