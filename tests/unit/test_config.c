/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "agent/config.h"
#include "lib/util.h"

static struct config cfg;
static char err[512];

static int load(const char *text)
{
	err[0] = '\0';
	return config_load_string(text, "test.conf", &cfg, err, sizeof(err));
}

Test(config, defaults_are_the_design_values)
{
	config_defaults(&cfg);
	cr_assert_float_eq(cfg.scoring.w_sequence, 0.5, 1e-12);
	cr_assert_float_eq(cfg.scoring.w_source, 0.25, 1e-12);
	cr_assert_float_eq(cfg.scoring.w_dcam, 0.25, 1e-12);
	cr_assert_eq(cfg.window.lookback, 16);
	cr_assert_eq(cfg.window.follow, 32);
	cr_assert_eq(cfg.policy.gate, 0);
	cr_assert_eq(cfg.policy.uncertain_escalate, 1);
	cr_assert_eq(cfg.api.unix_mode, 0600);
	cr_assert_str_eq(cfg.api.listen_tcp, "");
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
}

Test(config, default_config_gives_the_default_verdict_policy)
{
	struct verdict_policy from_cfg, def;

	config_defaults(&cfg);
	config_verdict_policy(&cfg, &from_cfg);
	verdict_policy_default(&def);
	for (int i = 0; i < VERDICT_NCOMPONENTS; i++)
		cr_assert_float_eq(from_cfg.weight[i], def.weight[i], 1e-12);
	cr_assert_float_eq(from_cfg.medium, def.medium, 1e-12);
	cr_assert_float_eq(from_cfg.high, def.high, 1e-12);
	cr_assert_eq(from_cfg.uncertain_escalates, def.uncertain_escalates);
}

Test(config, scoring_keys_reach_the_verdict_policy)
{
	struct verdict_policy p;

	cr_assert_eq(load("[scoring]\nweight_sequence = 0.6\nweight_source = 0.3\nweight_dcam = 0.1\n"
			  "threshold_medium = 0.3\nthreshold_high = 0.9\n"
			  "[policy]\nuncertain_escalates = off\n"), 0, "%s", err);
	config_verdict_policy(&cfg, &p);
	cr_assert_float_eq(p.weight[VERDICT_SEQUENCE], 0.6, 1e-12);
	cr_assert_float_eq(p.weight[VERDICT_DCAM], 0.1, 1e-12);
	cr_assert_float_eq(p.high, 0.9, 1e-12);
	cr_assert_not(p.uncertain_escalates);
}

Test(config, file_values_override_defaults_and_comments_are_ignored)
{
	cr_assert_eq(load("; the scorer\n"
			  "[scoring]\n"
			  "weight_sequence = 0.6\nweight_source = 0.2\nweight_dcam = 0.2\n"
			  "threshold_high = 0.8 ; inline comment\n"
			  "[window]\nlookback = 8\nfollow_ms = 50\n"
			  "[policy]\ngate = on\nfail = closed\nenforce = monitor\n"
			  "[api]\nlisten_tcp = 127.0.0.1:9464\ntoken_file = /etc/t\nunix_mode = 0660\n"
			  "max_body = 64k\n"
			  "[store]\nsync = full\ndecision_log =\n"),
		     0, "%s", err);
	cr_assert_float_eq(cfg.scoring.w_sequence, 0.6, 1e-12);
	cr_assert_float_eq(cfg.scoring.high, 0.8, 1e-12);
	cr_assert_eq(cfg.window.lookback, 8);
	cr_assert_eq(cfg.window.follow, 32);
	cr_assert_eq(cfg.policy.gate, 1);
	cr_assert_eq(cfg.policy.fail, CONFIG_FAIL_CLOSED);
	cr_assert_eq(cfg.policy.enforce, CONFIG_ENFORCE_MONITOR);
	cr_assert_str_eq(cfg.api.listen_tcp, "127.0.0.1:9464");
	cr_assert_eq(cfg.api.unix_mode, 0660);
	cr_assert_eq(cfg.api.max_body, 65536);
	cr_assert_eq(cfg.store.sync_full, 1);
	cr_assert_str_eq(cfg.store.decision_log, "");
}

Test(config, errors_name_the_line_and_the_key)
{
	cr_assert_eq(load("[window]\nlookback = 16\nfollow = lots\n"), -EINVAL);
	cr_assert(strstr(err, "test.conf:3:") && strstr(err, "window.follow"), "%s", err);
	cr_assert_eq(load("[policy]\n\nfail = ajar\n"), -EINVAL);
	cr_assert(strstr(err, "test.conf:3:") && strstr(err, "open or closed"), "%s", err);
	cr_assert_eq(load("[scoring]\nweigth_dcam = 0.2\n"), -EINVAL);
	cr_assert(strstr(err, ":2:") && strstr(err, "scoring.weigth_dcam: unknown key"), "%s", err);
	cr_assert_eq(load("[scorng]\nthreshold_high = 0.8\n"), -EINVAL);
	cr_assert(strstr(err, ":2:") && strstr(err, "[scorng]: unknown section"), "%s", err);
	cr_assert_eq(load("[window]\nlookback = 33\n"), -EINVAL);
	cr_assert(strstr(err, "window.lookback") && strstr(err, "1..32"), "%s", err);
	cr_assert_eq(load("[window\n"), -EINVAL);
	cr_assert(strstr(err, "test.conf:1: syntax error"), "%s", err);
}

Test(config, a_failed_load_leaves_the_live_config_untouched)
{
	config_defaults(&cfg);
	cfg.window.lookback = 99;
	cr_assert_eq(load("[window]\nlookback = 4\n[policy]\ngate = maybe\n"), -EINVAL);
	cr_assert_eq(cfg.window.lookback, 99);
}

Test(config, relations_between_keys_are_checked)
{
	cr_assert_eq(load("[scoring]\nweight_sequence = 0.9\n"), -EINVAL);
	cr_assert(strstr(err, "sum to 1"), "%s", err);
	cr_assert_eq(load("[scoring]\nthreshold_medium = 0.8\nthreshold_high = 0.5\n"), -EINVAL);
	cr_assert(strstr(err, "threshold_medium"), "%s", err);
	cr_assert_eq(load("[api]\nlisten_tcp = 127.0.0.1:9464\n"), -EINVAL);
	cr_assert(strstr(err, "token_file"), "%s", err);
	cr_assert_eq(load("[api]\nlisten_tcp = localhost\ntoken_file = /t\n"), -EINVAL);
	cr_assert(strstr(err, "api.listen_tcp"), "%s", err);
	cr_assert_eq(load("[api]\nlisten_tcp = [::1]:9464\ntoken_file = /t\n"), 0, "%s", err);
}

Test(config, set_overrides_one_key_with_the_same_checks)
{
	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "store", "db_path", "/tmp/x.db", err, sizeof(err)), 0);
	cr_assert_str_eq(cfg.store.db_path, "/tmp/x.db");
	cr_assert_eq(config_set(&cfg, "api", "listen_tcp", "127.0.0.1:1", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "token_file"), "%s", err);
	cr_assert_str_eq(cfg.api.listen_tcp, "");
	cr_assert_eq(config_set(&cfg, "api", "nope", "1", err, sizeof(err)), -EINVAL);
}

Test(config, the_documented_example_file_is_valid)
{
	cr_assert_eq(config_load(BPFPROF_SRCDIR "/scripts/bpf-profiler.conf", &cfg, err, sizeof(err)),
		     0, "%s", err);
}

Test(config, a_missing_file_is_an_error_naming_it)
{
	cr_assert_eq(config_load("/nonexistent/b.conf", &cfg, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent/b.conf"), "%s", err);
}

Test(config, every_key_is_in_the_example_file_and_the_operations_doc)
{
	char *example, *doc, *sect = NULL, needle[128];
	const char *section, *name;
	size_t len;

	cr_assert_eq(util_read_file(BPFPROF_SRCDIR "/scripts/bpf-profiler.conf", 1 << 20, &example,
				    &len), 0);
	cr_assert_eq(util_read_file(BPFPROF_SRCDIR "/docs/operations.md", 1 << 20, &doc, &len), 0);
	for (size_t i = 0; !config_key(i, &section, &name); i++) {
		snprintf(needle, sizeof(needle), "\n[%s]\n", section);
		sect = strstr(example, needle);
		cr_expect_not_null(sect, "example file lacks section [%s]", section);
		snprintf(needle, sizeof(needle), "\n%s =", name);
		cr_expect(sect && strstr(sect, needle), "example file lacks %s.%s", section, name);
		snprintf(needle, sizeof(needle), "| `[%s] %s` |", section, name);
		cr_expect(strstr(doc, needle), "docs/operations.md lacks %s", needle);
	}
	/* [submitter.NAME] sections are documented by their keys */
	for (size_t i = 0; !config_submitter_key(i, &name); i++) {
		snprintf(needle, sizeof(needle), "| `[submitter.NAME] %s` |", name);
		cr_expect(strstr(doc, needle), "docs/operations.md lacks %s", needle);
		snprintf(needle, sizeof(needle), "\n#%s =", name);
		cr_expect(strstr(example, needle), "example file lacks submitter key %s", name);
	}
	free(example);
	free(doc);
}

Test(config, submitter_sections_and_fleet_keys_parse_and_are_checked)
{
	struct config c;
	char err[512];

	cr_assert_eq(config_load_string("[submitter.acme-store]\ntoken_file = /t\ntrust = 0.25\n"
					"[submitter.other]\ntoken_file = /u\n[fleet]\n"
					"url = nats://127.0.0.1:4222\nhost_id = web-1\n", "t.conf", &c,
					err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.nsubmitters, 2);
	cr_assert_float_eq(config_submitter_find(&c, "acme-store")->trust, 0.25, 1e-9);
	cr_assert_float_eq(config_submitter_find(&c, "other")->trust, 0.5, 1e-9);
	cr_assert_str_eq(c.fleet.host_id, "web-1");
	cr_assert_eq(config_load_string("[submitter.x]\ntrust = 2\n", "t.conf", &c, err,
					sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "submitter.x.trust"), "%s", err);
	cr_assert_eq(config_load_string("[submitter.x]\ntrust = 1\n", "t.conf", &c, err,
					sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "token file"), "%s", err);
	cr_assert_eq(config_load_string("[fleet]\nurl = http://x\n", "t.conf", &c, err,
					sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "fleet.url"), "%s", err);
	cr_assert_eq(config_load_string("[fleet]\nurl = nats://a:1\nhost_id = a.b\n", "t.conf", &c,
					err, sizeof(err)), -EINVAL);
}
