/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Per-BPF-program run time and run count come from the kernel: a real
 * program is loaded and run, and the scrape reports its runs. Needs root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "agent/agent_metrics.h"

static int prog_fd = -1;

static size_t list(void *ctx, struct agent_metrics_prog *out, size_t max)
{
	(void)ctx;
	if (max < 1)
		return 0;
	out[0] = (struct agent_metrics_prog){ .name = "test_prog", .fd = prog_fd };
	return 1;
}

Test(metrics_bpf, run_count_and_time_of_a_loaded_program_are_reported)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char data[64] = { 0 }, *buf = NULL, line[160];
	size_t len = 0;
	struct agent_metrics *am;
	int stats_fd;
	FILE *f;

	if (geteuid() != 0)
		cr_skip_test("needs root to load a BPF program (integration tests run as root in CI)");
	stats_fd = agent_metrics_enable_bpf_stats();
	cr_assert_geq(stats_fd, 0, "BPF_ENABLE_STATS: %s", strerror(-stats_fd));
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bpfprof_test", "GPL", insns, 2, NULL);
	cr_assert_geq(prog_fd, 0, "bpf_prog_load: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = sizeof(data),
			    .repeat = 100);

		cr_assert_eq(bpf_prog_test_run_opts(prog_fd, &opts), 0, "%s", strerror(errno));
	}
	am = agent_metrics_new();
	agent_metrics_watch_progs(am, list, NULL);
	f = open_memstream(&buf, &len);
	cr_assert_eq(metrics_render(am->reg, f), 0);
	fclose(f);
	snprintf(line, sizeof(line), "bpf_profiler_bpf_program_runs_total{program=\"test_prog\"} 300\n");
	cr_assert(strstr(buf, line), "%s", buf);
	cr_assert(strstr(buf, "bpf_profiler_bpf_program_run_time_seconds_total{program=\"test_prog\"} "),
		  "%s", buf);
	cr_assert_null(strstr(buf, "bpf_profiler_bpf_program_run_time_seconds_total{program=\"test_prog\"} 0\n"),
		       "run time not counted: %s", buf);
	free(buf);
	agent_metrics_free(am);
	close(prog_fd);
	close(stats_fd);
}
