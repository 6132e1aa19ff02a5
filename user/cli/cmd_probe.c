/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler probe`: which kernel features work here, and which backend
 * each mitigation would use. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "kernel/probe.h"
#include "lib/jsonout.h"

int cmd_probe_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct probe_result r;
	struct probe_source_result src[PROBE_NSOURCES];
	bool json = false;
	json_t *backends;
	const char *k;
	json_t *v;
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (opt == 'j') {
			json = true;
		} else if (opt == 'h') {
			printf("Usage: bpf-profiler probe [--json]\n\n"
			       "Tries each kernel feature bpf-profiler can use (loading and attaching\n"
			       "tiny programs, then removing them) and prints what works, which ways\n"
			       "of loading code the tracer can see here (load sources: dlopen, exec\n"
			       "mappings, exec'd images, injection, io_uring, ...) and which backend\n"
			       "each mitigation would use. Run as root: without privileges the BPF\n"
			       "features report as unavailable.\n");
			return EXIT_OK;
		} else {
			fprintf(stderr, "Usage: bpf-profiler probe [--json]\n");
			return EXIT_USAGE;
		}
	}
	if (geteuid() != 0)
		fprintf(stderr, "bpf-profiler probe: not root: BPF features will show as unavailable\n");
	probe_run(&r);
	backends = probe_backends_json(&r);
	probe_sources(&r, src);
	if (json) {
		json_t *features = json_object(), *sources = json_object(), *root;
		char *s;

		for (int i = 0; i < PROBE_NSOURCES; i++)
			json_object_set_new(sources, probe_source_name(i),
					    json_pack("{s:b, s:s}", "ok", src[i].ok, "detail", src[i].detail));

		for (int f = 0; f < PROBE_NFEATURES; f++)
			json_object_set_new(features, probe_feature_name(f),
					    json_pack("{s:b, s:s}", "ok", r.ok[f], "detail", r.detail[f]));
		root = json_pack("{s:o, s:o, s:o, s:i}", "features", features, "sources", sources,
				 "backends", backends, "landlock_abi", r.landlock_abi);
		s = json_dumps(root, JSONOUT_FLAGS);
		printf("%s\n", s);
		free(s);
		json_decref(root);
		return EXIT_OK;
	}
	printf("Kernel features:\n");
	for (int f = 0; f < PROBE_NFEATURES; f++)
		printf("  %-20s %-4s %s\n", probe_feature_name(f), r.ok[f] ? "yes" : "no", r.detail[f]);
	printf("\nLoad sources:\n");
	for (int i = 0; i < PROBE_NSOURCES; i++)
		printf("  %-20s %-4s %s\n", probe_source_name(i), src[i].ok ? "yes" : "no", src[i].detail);
	printf("\nMitigation backends:\n");
	json_object_foreach(backends, k, v)
		printf("  %-20s %s\n", k, json_string_value(v));
	json_decref(backends);
	return EXIT_OK;
}
