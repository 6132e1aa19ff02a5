/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The analyst report page in a real browser: headless Chromium loads it
 * from the agent over TCP (token in the URL fragment), runs its JS, and
 * the decisions table shows the decision this test stored. */
#include "api_fixture.h"

#define T0 1795764095000000000LL

static void setup(void)
{
	fx_setup();
	fx_start_api(NULL, 0);
}

TestSuite(report_page, .init = setup, .fini = fx_teardown, .timeout = 120);

static char *dump_dom(const char *fragment)
{
	char cmd[1024], profile[96], *out;
	int st;

	cr_assert_eq(system("command -v chromium >/dev/null"), 0,
		     "chromium not found: install Debian's chromium package (scripts/deps.sh)");
	snprintf(profile, sizeof(profile), "%s/chromium-profile", fx.dir);
	snprintf(cmd, sizeof(cmd),
		 "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic "
		 "--no-first-run --disable-background-networking --disable-component-update "
		 "--disable-sync --disable-dev-shm-usage --user-data-dir=%s "
		 "--virtual-time-budget=5000 --dump-dom 'http://127.0.0.1:%d/%s' 2>/dev/null",
		 profile, fx.port, fragment);
	st = fx_run(cmd, &out);
	cr_assert_eq(st, 0, "chromium exited %d: %.2000s", st, out);
	return out;
}

Test(report_page, the_decisions_table_shows_a_stored_decision)
{
	char frag[128], *dom, *table;
	int64_t id = fx_put(T0, "high", "/tmp/libreport-page-test.so");
	char idcell[64];

	snprintf(frag, sizeof(frag), "#token=%s", TEST_TOKEN);
	dom = dump_dom(frag);
	table = strstr(dom, "<table id=\"decisions\">");
	cr_assert_not_null(table, "no decisions table in: %.3000s", dom);
	cr_assert(strstr(table, "<td class=\"path\">/tmp/libreport-page-test.so</td>"),
		  "the stored decision is not in the table: %.3000s", table);
	snprintf(idcell, sizeof(idcell), "data-id=\"%lld\"", (long long)id);
	cr_assert(strstr(table, idcell), "no row for decision %lld", (long long)id);
	cr_assert(strstr(table, "<td class=\"lvl\">high</td>"), "%.3000s", table);
	/* the statistics panel degrades gracefully without /v1/behaviors/stats */
	cr_assert(strstr(dom, "not available"), "%.3000s", dom);
	free(dom);
}

Test(report_page, a_decision_link_opens_its_explanation)
{
	char frag[160], *dom, *detail;
	int64_t id;

	fx_put(T0, "low", "/usr/lib/libfine.so");
	id = fx_put(T0 + 1000000000LL, "high", "/tmp/libexplained.so");
	fx_put(T0 + 2000000000LL, "low", "/usr/lib/libother.so");
	snprintf(frag, sizeof(frag), "#token=%s&decision=%lld", TEST_TOKEN, (long long)id);
	dom = dump_dom(frag);
	detail = strstr(dom, "<section id=\"detail\" aria-live=\"polite\">");
	cr_assert_not_null(detail, "explanation not shown: %.4000s", dom);
	cr_assert(strstr(detail, "<dd>/tmp/libexplained.so</dd>"), "%.4000s", detail);
	cr_assert(strstr(detail, "<td class=\"tokens\">connect:inet openat:write mprotect:exec</td>"), "matches: %.4000s",
		  detail);
	cr_assert(strstr(detail, "<td>init_array evil_init</td>"), "findings: %.4000s", detail);
	cr_assert(strstr(detail, "<td>loaded from /tmp</td>"), "reputation: %.4000s", detail);
	free(dom);
}

Test(report_page, without_the_token_the_page_asks_for_it_and_shows_no_data)
{
	char *dom;

	fx_put(T0, "high", "/tmp/libsecret-path.so");
	dom = dump_dom("");
	cr_assert_null(strstr(dom, "/tmp/libsecret-path.so"), "data leaked without a token");
	cr_assert_not_null(strstr(dom, "<section id=\"auth\">"), "token form not shown: %.3000s", dom);
	free(dom);
}
