/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for the static analysis (DCAM) of an object's bytes.
 * Properties: any input yields a result, never an error (what is wrong with
 * it is a finding); the score is in 0..1 and the lists within their bounds;
 * every predicted token is in the vocabulary; the result serialises; and
 * the same bytes read through a file (the bounded chunked reader) give the
 * same result as read from memory; and the bytes as memory made executable
 * (walked as code whatever they hold) hold to the same properties, with no
 * structure finding. */
#include <stdint.h>
#include <string.h>
#include "analysis/dcam.h"
#include "behaviors/tokens.h"
#include "fuzz_common.h"

static struct tokens *vocab;

static void check(const struct dcam_result *r)
{
	json_t *j;

	FUZZ_CHECK(r->score >= 0 && r->score <= 1, "score %f out of 0..1", r->score);
	FUZZ_CHECK(r->n_findings <= 256, "%zu findings", r->n_findings);
	FUZZ_CHECK(r->n_predicted <= DCAM_PRED_MAX, "%zu predicted", r->n_predicted);
	for (size_t i = 0; i < r->n_findings; i++)
		FUZZ_CHECK(r->findings[i].weight >= 0 && r->findings[i].weight <= 1 &&
				   r->findings[i].what[0],
			   "finding %zu: weight %f, what '%s'", i, r->findings[i].weight,
			   r->findings[i].what);
	for (size_t i = 0; i < r->n_predicted; i++) {
		int id = tokens_find(vocab, r->predicted[i].token);

		FUZZ_CHECK(id >= 0 && tokens_listed(vocab, (token_id)id),
			   "predicted token '%s' is not in the vocabulary", r->predicted[i].token);
	}
	j = dcam_result_to_json(r);
	FUZZ_CHECK(j, "the result does not serialise");
	json_decref(j);
}

static bool same(const struct dcam_result *a, const struct dcam_result *b)
{
	if (a->score != b->score || a->n_findings != b->n_findings ||
	    a->n_predicted != b->n_predicted || memcmp(a->sha256, b->sha256, sizeof(a->sha256)))
		return false;
	for (size_t i = 0; i < a->n_findings; i++)
		if (strcmp(a->findings[i].what, b->findings[i].what))
			return false;
	for (size_t i = 0; i < a->n_predicted; i++)
		if (strcmp(a->predicted[i].token, b->predicted[i].token) ||
		    a->predicted[i].addr != b->predicted[i].addr)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dcam_result *m = NULL, *f = NULL;
	char err[256] = "", path[64];
	int fd, ret;

	if (!vocab && tokens_load_default(&vocab))
		abort();
	ret = dcam_analyze_mem(data, len, &m, err, sizeof(err));
	FUZZ_CHECK(ret == 0, "analysis failed (%d): %s", ret, err);
	check(m);
	fd = fuzz_file(data, len, path, sizeof(path));
	if (fd >= 0) {
		ret = dcam_analyze_fd(NULL, fd, path, &f, err, sizeof(err));
		FUZZ_CHECK(ret == 0, "analysis through a file failed (%d): %s", ret, err);
		FUZZ_CHECK(same(m, f), "memory and file analyses differ");
		dcam_result_free(f);
		close(fd);
	}
	dcam_result_free(m);
	ret = dcam_analyze_code(NULL, data, len, &m, err, sizeof(err));
	FUZZ_CHECK(ret == 0, "analysis as code failed (%d): %s", ret, err);
	check(m);
	for (size_t i = 0; i < m->n_findings; i++)
		FUZZ_CHECK(m->findings[i].category != DCAM_CAT_STRUCTURE,
			   "memory made executable has a structure finding: %s", m->findings[i].what);
	dcam_result_free(m);
	return 0;
}
