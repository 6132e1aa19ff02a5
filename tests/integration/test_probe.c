/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler probe` on this kernel: every load source is listed with
 * whether it works here, and the ones this kernel has (docs/kernel.md)
 * say yes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include "harness.h"

Test(probe, lists_every_load_source_and_this_kernel_supports_them)
{
	static const char *const sources[] = {
		"dlopen", "exec_mapping", "mprotect_exec", "pkey_mprotect", "exec_image",
		"anon_memfd_code", "injection", "threads_children", "io_uring", "paths_at_exit",
		"content_cache", "injection_gate",
	};
	char cmd[256], buf[65536];
	json_t *root, *src;
	size_t n;
	FILE *p;

	require_root();
	snprintf(cmd, sizeof(cmd), "%s probe --json", BPFPROF_BIN);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	cr_assert_eq(pclose(p), 0);
	root = json_loads(buf, 0, NULL);
	cr_assert_not_null(root, "probe --json is not JSON: %s", buf);
	src = json_object_get(root, "sources");
	cr_assert(json_is_object(src), "no sources in %s", buf);
	cr_assert_eq(json_object_size(src), sizeof(sources) / sizeof(*sources));
	for (size_t i = 0; i < sizeof(sources) / sizeof(*sources); i++) {
		json_t *s = json_object_get(src, sources[i]);

		cr_assert_not_null(s, "source %s missing", sources[i]);
		/* Linux 6.18 with BTF has every one of them */
		cr_expect(json_is_true(json_object_get(s, "ok")), "%s: %s", sources[i],
			  json_string_value(json_object_get(s, "detail")));
	}
	json_decref(root);
}
