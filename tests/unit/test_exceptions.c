/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Policy exceptions: each field's matching, deny before allow, the
 * agent's config keys and the analyze options naming the same rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include "agent/config.h"
#include "score/exceptions.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define CID "3f4a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"

static struct exceptions *rules(const char *const *kv)
{
	struct exceptions *ex = exceptions_new();
	char err[256];

	cr_assert_not_null(ex);
	for (; *kv; kv += 2)
		cr_assert_eq(exceptions_add(ex, kv[0], kv[1], err, sizeof(err)), 0, "%s", err);
	return ex;
}

static const char *decide(const struct exceptions *ex, struct exception_subject s)
{
	static char out[96];
	struct exception_match m;

	if (!exceptions_match(ex, &s, &m))
		return "none";
	snprintf(out, sizeof(out), "%s_%s %s", exception_effect_name(m.effect),
		 exception_field_name(m.field), m.pattern);
	return out;
}

Test(exceptions, each_field_matches_its_subject)
{
	struct exceptions *ex = rules((const char *const[]){
		"allow_path", "/opt/vendor/*.so", "allow_hash", SHA, "allow_exe", "/usr/bin/python3*",
		"allow_container", "3f4a1b2c3d4e", "allow_unit", "backup-*.service", NULL });

	cr_assert_str_eq(decide(ex, (struct exception_subject){ .path = "/opt/vendor/libx.so" }),
			 "allow_path /opt/vendor/*.so");
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .path = "/tmp/libx.so" }), "none");
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .sha256 = SHA }), "allow_hash " SHA);
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .exe = "/usr/bin/python3.11" }),
			 "allow_exe /usr/bin/python3*");
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .container_id = CID }),
			 "allow_container 3f4a1b2c3d4e");
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .container_id = "ff" CID }), "none");
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .unit = "backup-db.service" }),
			 "allow_unit backup-*.service");
	cr_assert_str_eq(decide(ex, (struct exception_subject){ 0 }), "none");
	cr_assert(exceptions_need(ex, EXCEPTION_EXE));
	cr_assert_eq(exceptions_count(ex), 5);
	exceptions_free(ex);
}

Test(exceptions, deny_beats_allow_whatever_the_order)
{
	struct exceptions *ex = rules((const char *const[]){
		"allow_path", "/tmp/*", "deny_hash", SHA, "allow_exe", "/usr/bin/*", NULL });

	cr_assert_str_eq(decide(ex, (struct exception_subject){ .path = "/tmp/x.so", .sha256 = SHA,
								 .exe = "/usr/bin/sh" }),
			 "deny_hash " SHA);
	cr_assert_str_eq(decide(ex, (struct exception_subject){ .path = "/tmp/x.so" }),
			 "allow_path /tmp/*");
	cr_assert(!exceptions_need(ex, EXCEPTION_UNIT));
	exceptions_free(ex);
}

Test(exceptions, bad_rules_are_refused_with_the_reason)
{
	struct exceptions *ex = exceptions_new();
	char err[256];

	cr_assert_eq(exceptions_add(ex, "allow_hash", "abc", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "64 hex"), "%s", err);
	cr_assert_eq(exceptions_add(ex, "allow_container", "abc", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "container id"), "%s", err);
	cr_assert_eq(exceptions_add(ex, "permit_path", "/x", err, sizeof(err)), -EINVAL);
	cr_assert_eq(exceptions_add(ex, "allow_colour", "/x", err, sizeof(err)), -EINVAL);
	/* the command line's spelling is the same rule */
	cr_assert_eq(exceptions_add(ex, "deny-path", "/x", err, sizeof(err)), 0);
	cr_assert_eq(exceptions_count(ex), 1);
	exceptions_free(ex);
}

Test(exceptions, the_match_explains_itself_in_json)
{
	struct exceptions *ex = rules((const char *const[]){ "deny_exe", "/tmp/*", NULL });
	struct exception_match m;
	json_t *j;

	cr_assert_eq(exceptions_match(ex, &(struct exception_subject){ .exe = "/tmp/dropper" }, &m), 1);
	j = exception_match_to_json(&m);
	cr_assert_str_eq(json_string_value(json_object_get(j, "effect")), "deny");
	cr_assert_str_eq(json_string_value(json_object_get(j, "rule")), "deny_exe");
	cr_assert_str_eq(json_string_value(json_object_get(j, "pattern")), "/tmp/*");
	cr_assert_str_eq(json_string_value(json_object_get(j, "matched")), "/tmp/dropper");
	json_decref(j);
	exceptions_free(ex);
}

Test(exceptions, the_config_collects_repeated_keys_and_names_a_bad_line)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	cr_assert_eq(config_load_string("[exceptions]\nallow_path = /opt/a/*\nallow_path = /opt/b/*\n"
					"allow_exe =\ndeny_unit = x.service\n", "t.conf", &cfg, err,
					sizeof(err)), 0, "%s", err);
	cr_assert_eq(exceptions_count(cfg.exceptions), 3, "an empty value is no rule");
	config_free(&cfg);
	config_defaults(&cfg);
	cr_assert_eq(config_load_string("[exceptions]\nallow_path = /opt/a/*\ndeny_hash = 12\n",
					"t.conf", &cfg, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "t.conf:3") && strstr(err, "exceptions.deny_hash"), "%s", err);
	cr_assert_null(cfg.exceptions, "a refused file leaves the config untouched");
}

Test(exceptions, retention_keys_take_ages_counts_and_a_level)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	cr_assert_eq(config_load_string("[retention]\nmax_age_low = 2h\nmax_count_high = 0\n"
					"record_level = medium\n", "t.conf", &cfg, err,
					sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.retention.max_age_s[0], 7200);
	cr_assert_eq(cfg.retention.max_age_s[1], 90 * 86400L);
	cr_assert_eq(cfg.retention.max_count[2], 0);
	cr_assert_eq(cfg.retention.record_level, 1);
	cr_assert_eq(config_load_string("[retention]\nmax_age_low = soon\n", "t.conf", &cfg, err,
					sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "retention.max_age_low"), "%s", err);
	config_free(&cfg);
}
