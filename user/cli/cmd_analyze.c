/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler analyze [--json] FILE...`: DCAM and source reputation of
 * each file, one JSON object per line or a report for a person. A file that
 * cannot be analysed gets an error line; the others are still analysed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/commands.h"
#include "analysis/dcam.h"
#include "score/exceptions.h"
#include "score/reputation.h"
#include "lib/jsonout.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpf-profiler analyze [--json] [LIST OPTIONS] FILE...\n\n"
		"Static analysis (DCAM) and source reputation of ELF objects.\n\n"
		"  --json              one JSON object per file and line\n"
		"  --no-reputation     static analysis only (no \"reputation\" member)\n"
		"  --allow-hash SHA256 trust a file by hash (repeatable)\n"
		"  --deny-hash SHA256  distrust a file by hash (repeatable)\n"
		"  --allow-path GLOB   trust paths matching GLOB (repeatable)\n"
		"  --deny-path GLOB    distrust paths matching GLOB (repeatable)\n"
		"                      (the agent's [exceptions] allow_hash, deny_hash,\n"
		"                      allow_path and deny_path rules, the same mechanism)\n"
		"  -h, --help          this help\n\n"
		"Reputation is computed as if the current user loaded the file. A file\n"
		"that is not a loadable ELF object (not ELF, truncated, corrupt) is\n"
		"analysed too: what is wrong with it is a \"structure\" finding. The\n"
		"predicted calls are those reachable from the load-time entry points,\n"
		"in order, as tokens (docs/analysis.md).\n"
		"Exit status: 0 when every file was analysed, 1 when one could not be\n"
		"read (an error line names it), 2 for bad arguments. Scores:\n"
		"docs/scoring.md.\n");
}

static void print_error(bool json, const char *path, const char *msg)
{
	fprintf(stderr, "bpf-profiler analyze: %s: %s\n", path, msg);
	if (json) {
		json_t *o = json_pack("{s:s, s:s}", "path", path, "error", msg);

		json_dumpf(o, stdout, JSONOUT_FLAGS);
		fputc('\n', stdout);
		json_decref(o);
	}
}

static void print_human(const char *path, const struct dcam_result *d,
			const struct reputation_result *rep)
{
	printf("%s\n  sha256      %s\n", path, d->sha256_hex);
	printf("  dcam        %.3f  (%s, %u entry points, %llu instructions%s)\n", d->score,
	       d->arch, d->n_entries, (unsigned long long)d->insns,
	       d->truncated ? ", walk bounded" : "");
	for (size_t i = 0; i < d->n_findings; i++) {
		const struct dcam_finding *f = &d->findings[i];

		printf("    %-11s %.2f  %s", dcam_category_name(f->category), f->weight, f->what);
		if (f->entry_kind)
			printf("  [%s %s @0x%llx, at 0x%llx]", f->entry_kind, f->entry,
			       (unsigned long long)f->entry_addr, (unsigned long long)f->addr);
		else if (f->via == DCAM_VIA_IMPORT)
			printf("  [imported, no analysed path calls it]");
		else if (f->addr)
			printf("  [at 0x%llx]", (unsigned long long)f->addr);
		putchar('\n');
	}
	if (d->n_predicted) {
		printf("  predicted   %zu call%s from the load-time entry points%s\n", d->n_predicted,
		       d->n_predicted == 1 ? "" : "s", d->predicted_truncated ? " (bounded)" : "");
		for (size_t i = 0; i < d->n_predicted; i++) {
			const struct dcam_predicted *p = &d->predicted[i];

			printf("    %-17s %s %s%s%s%s  [%s %s, at 0x%llx]\n", p->token,
			       dcam_pred_via_name(p->via), p->call, p->arg[0] ? " \"" : "", p->arg,
			       p->arg[0] ? "\"" : "", p->entry_kind, p->entry,
			       (unsigned long long)p->addr);
		}
	}
	if (!rep)
		return;
	printf("  reputation  %.3f\n", rep->score);
	for (size_t i = 0; i < rep->n_reasons; i++)
		printf("    %-19s %+.2f  %s\n", rep->reasons[i].code, rep->reasons[i].weight,
		       rep->reasons[i].detail);
}

static int analyze_one(struct dcam_cache *cache, const struct exceptions *ex,
		       bool with_rep, const char *path, bool json)
{
	struct reputation_input in = { .path = path, .fd = -1, .uid = getuid(), .exceptions = ex };
	struct reputation_result rep;
	struct dcam_result *d = NULL;
	char err[320];
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: a FIFO named on the command line must not hang us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		print_error(json, path, strerror(errno));
		return -1;
	}
	ret = dcam_analyze_fd(cache, fd, path, &d, err, sizeof(err));
	if (ret) {
		print_error(json, path, err);
		close(fd);
		return -1;
	}
	in.fd = fd;
	if (!fstat(fd, &st))
		in.st = &st;
	in.sha256_hex = d->sha256_hex;
	if (with_rep)
		reputation_score(&in, &rep);
	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "path", json_string(path));
		json_object_set_new(o, "sha256", json_string(d->sha256_hex));
		json_object_set_new(o, "dcam", dcam_result_to_json(d));
		if (with_rep)
			json_object_set_new(o, "reputation", reputation_result_to_json(&rep));
		json_dumpf(o, stdout, JSONOUT_FLAGS);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		print_human(path, d, with_rep ? &rep : NULL);
	}
	fflush(stdout);
	dcam_result_free(d);
	close(fd);
	return 0;
}

int cmd_analyze_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-reputation", no_argument, NULL, 'R' },
		{ "allow-hash", required_argument, NULL, 'A' },
		{ "deny-hash", required_argument, NULL, 'D' },
		{ "allow-path", required_argument, NULL, 'a' },
		{ "deny-path", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct exceptions *ex = exceptions_new();
	struct dcam_cache *cache;
	bool json = false, with_rep = true, progress;
	char why[256];
	int c, failed = 0, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *kind = c == 'A' ? "allow-hash" : c == 'D' ? "deny-hash"
				 : c == 'a' ? "allow-path" : "deny-path";

		switch (c) {
		case 'j':
			json = true;
			break;
		case 'R':
			with_rep = false;
			break;
		case 'A':
		case 'D':
		case 'a':
		case 'd':
			if (!ex || exceptions_add(ex, kind, optarg, why, sizeof(why))) {
				fprintf(stderr, "bpf-profiler analyze: --%s\n", ex ? why : "out of memory");
				exceptions_free(ex);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			exceptions_free(ex);
			return EXIT_OK;
		default:
			fprintf(stderr, "bpf-profiler analyze: see --help\n");
			exceptions_free(ex);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "bpf-profiler analyze: no FILE given (see --help)\n");
		exceptions_free(ex);
		return EXIT_USAGE;
	}
	cache = dcam_cache_new(1024);
	if (!cache) {
		exceptions_free(ex);
		return EXIT_FAIL;
	}
	progress = argc - optind > 1 && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
	for (int i = optind; i < argc; i++) {
		if (progress)
			fprintf(stderr, "\ranalyze: %d/%d", i - optind + 1, argc - optind);
		if (analyze_one(cache, ex, with_rep, argv[i], json))
			failed++;
	}
	if (progress)
		fprintf(stderr, "\r\033[K");
	status = failed ? EXIT_FAIL : EXIT_OK;
	dcam_cache_free(cache);
	exceptions_free(ex);
	return status;
}
