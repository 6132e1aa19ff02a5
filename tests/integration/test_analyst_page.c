/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The analyst page in a real browser, driven like an analyst: headless
 * Chromium loads it from the agent's API over TCP, a decision is clicked
 * with the mouse, and what is on screen is asserted (the detail beside the
 * list, every component with what decided it, the attribution, predicted
 * against observed, filters, refresh without reload). With
 * BPFPROF_SCREENSHOT_DIR set it saves the screenshots docs/ shows. */
#include "api_fixture.h"
#include "cdp.h"

#define T0 1795764095000000000LL
#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct cdp browser;

static void setup(void)
{
	fx_setup();
	fx_start_api(NULL, 0);
}

/* a failed assertion must not leave the browser running */
static void teardown(void)
{
	if (browser.pid > 0)
		cdp_stop(&browser);
	fx_teardown();
}

TestSuite(analyst_page, .init = setup, .fini = teardown, .timeout = 180);

static int64_t put_decision(int64_t t, const char *level, double risk, const char *path,
			    json_t *process, bool predicted)
{
	json_t *d = decision_sample(t, level, risk, path);
	char err[256];
	int64_t id;

	json_object_set_new(d, "host", json_string("node-7.example"));
	if (process)
		json_object_set_new(d, "process", process);
	if (predicted) {
		json_object_set_new(d, "predicted", json_pack("[s,s,s]", "socket:inet",
							      "connect:inet", "execve"));
		json_object_set_new(d, "predicted_score", json_real(0.875));
	}
	cr_assert_eq(decision_store_put(fx.store, d, &id, err, sizeof(err)), 0, "%s", err);
	json_decref(d);
	return id;
}

static int rows(struct cdp *c)
{
	json_t *v = cdp_eval(c, "document.querySelectorAll('#decisions tbody tr[data-id]').length");
	int n = (int)json_integer_value(v);

	json_decref(v);
	return n;
}

static void shot(struct cdp *c, const char *name)
{
	const char *dir = getenv("BPFPROF_SCREENSHOT_DIR");
	char path[512];

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cdp_screenshot(c, path);
}

Test(analyst_page, an_analyst_clicks_a_decision_and_sees_why_beside_the_list)
{
	struct cdp *cp = &browser;
	char url[256], profile[128], sel[128], *text;
	int64_t high;
	json_t *v;

	put_decision(T0, "low", 0.12, "/usr/lib/x86_64-linux-gnu/libfine.so",
		     json_pack("{s:i, s:i, s:s, s:i}", "pid", 4242, "tid", 4243, "comm", "nginx",
			       "uid", 33), false);
	put_decision(T0 + 1000000000LL, "medium", 0.55, "/opt/vendor/lib/libplugin.so",
		     json_pack("{s:i, s:i, s:s, s:s}", "pid", 777, "tid", 777, "comm", "vendor",
			       "unit", "vendor.service"), false);
	high = put_decision(T0 + 2000000000LL, "high", 0.915, "/tmp/libexplained.so",
			    json_pack("{s:i, s:i, s:s, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s}",
				      "pid", 4242, "tid", 4243, "comm", "dropper", "uid", 1000,
				      "gid", 1000, "ppid", 4200, "parent_comm", "bash", "cmdline",
				      "/usr/bin/dropper --fetch http://198.51.100.7/x", "exe",
				      "/usr/bin/dropper", "container_id", CID, "container_runtime",
				      "containerd", "unit", "cri-containerd-" CID ".scope"), true);

	snprintf(profile, sizeof(profile), "%s/chromium-profile", fx.dir);
	cdp_start(cp, profile, 1400, 900);
	cdp_attach_page(cp, 1400, 900);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/#token=%s", fx.port, TEST_TOKEN);
	json_decref(cdp_call(cp, "Page.navigate", json_pack("{s:s}", "url", url)));
	cr_assert(cdp_wait(cp, "document.querySelectorAll('#decisions tbody tr[data-id]').length == 2"),
		  "the default view is not medium and high: %d rows", rows(cp));
	text = cdp_eval_string(cp, "document.querySelector('#decisions').innerText");
	cr_assert_null(strstr(text, "libfine.so"), "low shown by default: %s", text);
	cr_assert(strstr(text, "container 0123456789ab"), "no container column: %s", text);
	free(text);
	/* numbers are never broken: every number cell is nowrap and one line */
	v = cdp_eval(cp, "[...document.querySelectorAll('#decisions td.num, #decisions td.time')]"
		     ".every(e => getComputedStyle(e).whiteSpace == 'nowrap' && "
		     "e.getClientRects().length == 1)");
	cr_assert(json_is_true(v), "a number cell may wrap");
	json_decref(v);

	snprintf(sel, sizeof(sel), "'#decisions tr[data-id=\"%lld\"]'", (long long)high);
	cdp_click(cp, sel);
	cr_assert(cdp_wait(cp, "!document.getElementById('detail').hidden && "
			   "document.getElementById('detail-id').textContent.length > 0"),
		  "clicking a decision opened nothing");
	/* beside the list, at the top: not below a hundred rows */
	v = cdp_eval(cp, "(() => { const l = document.getElementById('list').getBoundingClientRect(),"
		     " d = document.getElementById('detail').getBoundingClientRect();"
		     " return d.left >= l.right - 1 && d.top < 200 && d.width > 300; })()");
	cr_assert(json_is_true(v), "the detail is not beside the list");
	json_decref(v);
	text = cdp_eval_string(cp, "document.getElementById('detail').innerText");
	cr_assert(strstr(text, "/tmp/libexplained.so"), "%s", text);
	cr_assert(strstr(text, "0.915"), "risk: %s", text);
	/* each component with what decided it */
	cr_assert(strstr(text, "1 database matches (1 malicious)"), "sequence why: %s", text);
	cr_assert(strstr(text, "1 reasons, most: tmp_dir"), "source why: %s", text);
	cr_assert(strstr(text, "not computed"), "a missing component is not said so: %s", text);
	cr_assert(strstr(text, "connect:inet openat:write mprotect:exec"), "matches: %s", text);
	cr_assert(strstr(text, "evil_init"), "findings: %s", text);
	cr_assert(strstr(text, "loaded from /tmp"), "reputation: %s", text);
	/* predicted against observed */
	cr_assert(strstr(text, "socket:inet → connect:inet → execve"), "predicted: %s", text);
	cr_assert(strstr(text, "0.875"), "predicted score: %s", text);
	/* attribution */
	cr_assert(strstr(text, CID " (containerd)"), "container: %s", text);
	cr_assert(strstr(text, "/usr/bin/dropper --fetch http://198.51.100.7/x"), "cmdline: %s", text);
	cr_assert(strstr(text, "bash (pid 4200)"), "parent: %s", text);
	cr_assert(strstr(text, "uid 1000, gid 1000"), "user: %s", text);
	cr_assert(strstr(text, "node-7.example"), "host: %s", text);
	free(text);
	shot(cp, "analyst-page-detail.png");

	/* low is one click away */
	cdp_click(cp, "'#show-low'");
	cr_assert(cdp_wait(cp, "document.querySelectorAll('#decisions tbody tr[data-id]').length == 3"),
		  "show low: %d rows", rows(cp));
	/* filters: by container */
	json_decref(cdp_eval(cp, "document.getElementById('container').value = '0123456789ab'"));
	cdp_click(cp, "'#filters button[type=submit]'");
	cr_assert(cdp_wait(cp, "document.querySelectorAll('#decisions tbody tr[data-id]').length == 1"),
		  "container filter: %d rows", rows(cp));
	json_decref(cdp_eval(cp, "document.getElementById('container').value = ''; "
			     "document.getElementById('exe').value = '/usr/bin/*'"));
	cdp_click(cp, "'#filters button[type=submit]'");
	cr_assert(cdp_wait(cp, "document.querySelectorAll('#decisions tbody tr[data-id]').length == 1"),
		  "exe filter: %d rows", rows(cp));
	json_decref(cdp_eval(cp, "document.getElementById('exe').value = '';"
			     " document.getElementById('object').value = '/opt/*'"));
	cdp_click(cp, "'#filters button[type=submit]'");
	cr_assert(cdp_wait(cp, "document.querySelector('#decisions tbody').innerText"
			   ".includes('libplugin.so') && document.querySelectorAll("
			   "'#decisions tbody tr[data-id]').length == 1"), "object filter");
	json_decref(cdp_eval(cp, "document.getElementById('object').value = ''"));

	/* refresh without reload: a new decision appears, the page and the open
	 * decision stay */
	json_decref(cdp_eval(cp, "window.bpfprofMarker = 42"));
	put_decision(T0 + 3000000000LL, "high", 0.99, "/dev/shm/libnew.so", NULL, false);
	cdp_click(cp, "'#refresh'");
	cr_assert(cdp_wait(cp, "document.querySelector('#decisions tbody').innerText"
			   ".includes('libnew.so')"), "refresh did not bring the new decision");
	v = cdp_eval(cp, "window.bpfprofMarker === 42 && !document.getElementById('detail').hidden");
	cr_assert(json_is_true(v), "refreshing reloaded the page or closed the decision");
	json_decref(v);
	json_decref(cdp_eval(cp, "document.getElementById('level').value = 'medium';"
			     " document.getElementById('level').dispatchEvent(new Event('change'))"));
	cr_assert(cdp_wait(cp, "document.querySelectorAll('#decisions tbody tr[data-id]').length == 3"));
	shot(cp, "analyst-page.png");

	/* on a narrow screen the detail lies over the list */
	json_decref(cdp_call(cp, "Emulation.setDeviceMetricsOverride",
			     json_pack("{s:i, s:i, s:f, s:b}", "width", 700, "height", 900,
				       "deviceScaleFactor", 1.0, "mobile", 0)));
	v = cdp_eval(cp, "getComputedStyle(document.getElementById('detail')).position");
	cr_assert_str_eq(json_string_value(v), "fixed");
	json_decref(v);
	cdp_stop(cp);
	browser.pid = 0;
}
