/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* schemas/decision.schema.json and decision_validate() agree: what the
 * store accepts and serves is valid JSON Schema 2020-12, and decisions the
 * schema rejects for a required field are rejected by the store too; a
 * monitored decision's "would" is in the schema. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "decision/decision.h"
#include "decision/decision_store.h"
#include "decision_sample.h"
#include "window_fixture.h"

#define T0 1795764095000000000LL

/* 0 when python3-jsonschema accepts the document against the schema. */
static int schema_check(json_t *doc)
{
	char path[] = "/tmp/bpfprof-decision-XXXXXX", cmd[512];
	int fd = mkstemp(path), st;

	cr_assert_geq(fd, 0);
	cr_assert_eq(json_dumpfd(doc, fd, 0), 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys,jsonschema; "
		 "v=jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))); "
		 "v.validate(json.load(open(sys.argv[2])))' %s/schemas/decision.schema.json %s "
		 ">/dev/null 2>&1",
		 BPFPROF_SRCDIR, path);
	st = system(cmd);
	unlink(path);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 127, "python3 not found (scripts/deps.sh)");
	return WEXITSTATUS(st);
}

Test(decision_schema, a_stored_decision_with_its_id_is_schema_valid)
{
	json_t *d = decision_sample(T0, "high", 0.9, "/tmp/libevil.so");

	cr_assert_eq(system("python3 -c 'import jsonschema' 2>/dev/null"), 0,
		     "python3-jsonschema is missing (scripts/deps.sh installs it)");
	json_object_set_new(d, "id", json_integer(12));
	json_object_set_new(d, "sha256", json_string("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
	json_object_set_new(json_object_get(d, "components"), "source", json_null());
	cr_assert_eq(decision_validate(d, NULL, 0), 0);
	cr_assert_eq(schema_check(d), 0);
	json_decref(d);
}

Test(decision_schema, both_reject_what_the_store_must_not_take)
{
	const char *required[] = { "time", "verdict_point", "pid", "comm", "path", "components",
				   "risk", "level", "action", "backend" };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		json_t *d = decision_sample(T0, "low", 0.1, "/x.so");

		json_object_del(d, required[i]);
		cr_expect_neq(decision_validate(d, NULL, 0), 0, "C accepts a decision without %s",
			      required[i]);
		cr_expect_neq(schema_check(d), 0, "schema accepts a decision without %s", required[i]);
		json_decref(d);
	}
	{
		json_t *d = decision_sample(T0, "severe", 0.1, "/x.so");

		cr_expect_neq(decision_validate(d, NULL, 0), 0);
		cr_expect_neq(schema_check(d), 0);
		json_object_set_new(d, "level", json_string("low"));
		json_object_set_new(d, "sha256", json_string("ABC"));
		cr_expect_neq(decision_validate(d, NULL, 0), 0);
		cr_expect_neq(schema_check(d), 0);
		json_decref(d);
	}
}

Test(decision_schema, a_monitored_decision_says_what_enforcement_would_do)
{
	static const char *const lookback[] = { "connect:inet", "openat:write_tmp", NULL };
	const char *const *parts[WINDOW_NPARTS] = { lookback };
	struct scorer_result r;
	struct window w;
	struct decision d = { .point = DECISION_GATE, .window = &w, .result = &r,
			      .mitigation = { .action = MITIGATE_ALLOW, .monitored = true,
					      .would_action = MITIGATE_QUARANTINE } };
	json_t *j;

	memset(&r, 0, sizeof(r));
	verdict_policy_default(&r.policy);
	r.verdict.level = VERDICT_HIGH;
	r.verdict.risk = 0.9;
	window_fixture(&w, 4242, parts, NULL);
	j = decision_to_json(&d);
	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "action")), "allow");
	cr_assert_str_eq(json_string_value(json_object_get(j, "would")), "quarantine");
	cr_assert_eq(schema_check(j), 0);
	json_decref(j);
	d.mitigation.monitored = false;
	j = decision_to_json(&d);
	cr_assert_null(json_object_get(j, "would"), "enforcing: no hypothetical action");
	json_decref(j);
	window_fixture_free(&w);
}
