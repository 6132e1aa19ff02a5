/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `trace --enforce`: the mitigation ladder end to end on the real kernel —
 * low allows, medium hooks and confines, high quarantines and alerts. */
#include <sys/stat.h>
#include "harness.h"
#include "tmpdir.h"
#include "http_endpoint.h"

TestSuite(enforce, .init = require_root, .timeout = 120);

static size_t count_events(json_t *events, const char *type, const char *key, const char *value)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(events, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *v = key ? json_string_value(json_object_get(e, key)) : NULL;

		if (t && !strcmp(t, type) && (!key || (v && !strcmp(v, value))))
			n++;
	}
	return n;
}

Test(enforce, benign_load_is_low_and_allowed)
{
	char out[128];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--enforce", "--",
			 FIXTURE_DIR "/dlopen_loop", "libm.so.6", "1", NULL };
	json_t *events, *v;

	tmp_output(out, sizeof(out), "enforce-low");
	cr_assert_eq(run(argv, NULL), 0);
	events = read_events(out);
	v = find_event(events, "verdict", "libm.so.6");
	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "level")), "low");
	cr_assert_str_eq(json_string_value(json_object_get(v, "action")), "allow");
	cr_assert_eq(count_events(events, "denial", NULL, NULL), 0, "nothing restricted");
	cr_assert_eq(count_events(events, "hook", NULL, NULL), 0, "nothing hooked");
	json_decref(events);
	unlink(out);
}

Test(enforce, medium_keeps_the_process_running_confined_and_hooked)
{
	char out[128], portstr[16], cmd[512];
	int port, lfd = listen_local(&port);
	/* thresholds put any risk at medium: the library is unpackaged, so its
	 * source alone makes it risky */
	/* judged when dlopen returns (--no-gate): the gate's own medium path
	 * is medium_at_the_gate_confines_the_constructor_before_it_runs */
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--enforce", "--no-gate",
			 "--medium", "0.01", "--high", "0.99", "--", FIXTURE_DIR "/net_after_load",
			 FIXTURE_DIR "/libbenign.so", portstr, NULL };
	json_t *events, *v;
	int denied;

	snprintf(portstr, sizeof(portstr), "%d", port);
	tmp_output(out, sizeof(out), "enforce-medium");
	denied = run(argv, NULL);
	close(lfd);
	cr_assert(denied > 0 && denied < 20,
		  "connects before the verdict work, later ones are denied: %d denied", denied);
	events = read_events(out);
	v = find_event(events, "verdict", "libbenign.so");
	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "level")), "medium");
	cr_assert_str_eq(json_string_value(json_object_get(v, "action")), "hook+confine");
	cr_assert_geq(count_events(events, "hook", "func", "connect"), 1, "connect calls not logged");
	cr_assert_geq(count_events(events, "denial", NULL, NULL), 1, "denials not reported");
	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/trace-event.schema.json %s",
		 TOOLS_DIR, BPFPROF_SRCDIR, out);
	cr_assert_eq(system(cmd), 0, "hook, denial and verdict lines do not match the schema");
	cr_assert_neq(system("ls -d /sys/fs/cgroup/*/bpf-profiler-restricted-* >/dev/null 2>&1"), 0,
		      "restricted cgroup left behind");
	json_decref(events);
	unlink(out);
}

Test(enforce, medium_at_the_gate_confines_the_constructor_before_it_runs)
{
	char out[128], port_env[64], marker[160], marker_env[200], got[64];
	int port, lfd = listen_local(&port);
	/* --enforce gates by default; the thresholds make the load medium */
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--enforce", "--medium", "0.01",
			 "--high", "0.99", "--", FIXTURE_DIR "/loader", FIXTURE_DIR "/libconnect.so",
			 NULL };
	char *env[] = { port_env, marker_env, NULL };
	json_t *events, *gate, *v;

	snprintf(port_env, sizeof(port_env), "BPFPROF_CALLBACK_PORT=%d", port);
	snprintf(marker, sizeof(marker), "/tmp/bpfprof-gate-medium-%d", (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	tmp_output(out, sizeof(out), "enforce-gate-medium");
	unlink(marker);
	cr_assert_eq(run(argv, env), 0, "a medium load runs (confined)");
	close(lfd);
	read_marker(marker, got, sizeof(got));
	cr_assert_str_eq(got, "errno 1", "the constructor's connect was not refused with EPERM: %s",
			 got);
	events = read_events(out);
	gate = find_event(events, "gate", "libconnect.so");
	cr_assert_not_null(gate, "--enforce did not gate");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "resume");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "reason")), "medium");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "mitigation")), "hook+confine");
	cr_assert_null(json_object_get(gate, "would"), "enforcing: nothing is hypothetical");
	/* what the gate judged on is said: medium between the two thresholds */
	cr_assert(json_is_number(json_object_get(gate, "risk")));
	cr_assert_geq(json_number_value(json_object_get(gate, "risk")), 0.01);
	cr_assert_lt(json_number_value(json_object_get(gate, "risk")), 0.99);
	cr_assert(json_is_object(json_object_get(gate, "components")));
	cr_assert_geq(count_events(events, "denial", NULL, NULL), 1, "the denial was not reported");
	v = find_event(events, "verdict", "libconnect.so");
	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "action")), "hook+confine");
	json_decref(events);
	unlink(out);
	unlink(marker);
}

/* The dropper's environment: $BPFPROF_MARKER (its constructor ran) in the
 * fixtures, and where it drops the library (so the test can remove it
 * when the dropper is killed before it does). */
static void dropper_env(const char *tag, char *marker, size_t mlen, char *marker_env,
			size_t elen, char *drop_env, size_t dlen)
{
	snprintf(marker, mlen, "%s/%s-marker-%d", FIXTURE_DIR, tag, (int)getpid());
	snprintf(marker_env, elen, "BPFPROF_MARKER=%s", marker);
	snprintf(drop_env, dlen, "BPFPROF_DROP_PATH=/tmp/bpfprof-dropper-%s-%d.so", tag,
		 (int)getpid());
	unlink(marker);
}

Test(enforce, monitoring_says_what_enforcement_would_do_and_lets_the_dropper_run)
{
	char out[128], marker[160], marker_env[200], drop_env[200], cmd[512];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--gate", "--",
			 FIXTURE_DIR "/dropper", FIXTURE_DIR "/libevil.so", NULL };
	char *env[] = { marker_env, drop_env, NULL };
	json_t *events, *gate, *v;

	tmp_output(out, sizeof(out), "monitor-would");
	dropper_env("would", marker, sizeof(marker), marker_env, sizeof(marker_env), drop_env,
		    sizeof(drop_env));
	cr_assert_eq(run(argv, env), 0, "monitoring: the dropper runs to its end");
	cr_assert_eq(access(marker, F_OK), 0, "the constructor did not run");
	events = read_events(out);
	gate = find_event(events, "gate", "bpfprof-dropper");
	cr_assert_not_null(gate);
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "resume");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "would")), "quarantine");
	v = find_event(events, "verdict", "bpfprof-dropper");
	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "level")), "high");
	cr_assert_str_eq(json_string_value(json_object_get(v, "action")), "allow");
	cr_assert_str_eq(json_string_value(json_object_get(v, "would")), "quarantine");
	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/trace-event.schema.json %s",
		 TOOLS_DIR, BPFPROF_SRCDIR, out);
	cr_assert_eq(system(cmd), 0, "gate and verdict lines do not match the schema");
	json_decref(events);
	unlink(out);
	unlink(marker);
	unlink(strchr(drop_env, '=') + 1);
}

Test(enforce, high_risk_dropper_never_runs_its_constructor_and_alerts)
{
	char out[128], marker[160], marker_env[200], alerts[160], cmd[512], url[64], outbox[160];
	char drop_env[200];
	struct endpoint ep = { 0 };
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--gate", "--enforce",
			 "--alert-log", alerts, "--webhook", url, "--outbox", outbox, "--",
			 FIXTURE_DIR "/dropper", FIXTURE_DIR "/libevil.so", NULL };
	char *env[] = { marker_env, drop_env, NULL };
	json_t *events, *v, *gate;

	tmp_output(out, sizeof(out), "enforce-high");
	/* killed before it removes what it dropped: the test does */
	dropper_env("high", marker, sizeof(marker), marker_env, sizeof(marker_env), drop_env,
		    sizeof(drop_env));
	snprintf(alerts, sizeof(alerts), "/tmp/bpfprof-test-alerts-%d.jsonl", (int)getpid());
	snprintf(outbox, sizeof(outbox), "/tmp/bpfprof-test-outbox-%d.sqlite", (int)getpid());
	endpoint_start(&ep, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/alerts", ep.port);
	unlink(alerts);
	cr_assert_eq(run(argv, env), 77, "quarantine is told apart by exit status 77");
	cr_assert_geq(atomic_load(&ep.requests), 1, "the webhook received nothing");
	cr_assert(strstr(ep.last_body, "\"quarantine\""), "webhook body: %s", ep.last_body);
	endpoint_stop(&ep);
	cr_assert_neq(access(marker, F_OK), 0, "the constructor ran: marker file exists");
	events = read_events(out);
	gate = find_event(events, "gate", "bpfprof-dropper");
	cr_assert_not_null(gate);
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "kill");
	v = find_event(events, "verdict", "bpfprof-dropper");
	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "action")), "quarantine");
	snprintf(cmd, sizeof(cmd), "python3 %s/validate_jsonl.py %s/schemas/alert.schema.json %s",
		 TOOLS_DIR, BPFPROF_SRCDIR, alerts);
	cr_assert_eq(system(cmd), 0, "no valid alert in the alert log");
	json_decref(events);
	unlink(out);
	unlink(alerts);
	unlink(strchr(drop_env, '=') + 1);
	sqlite_files_remove(outbox);
}

Test(enforce, a_quarantined_object_is_stopped_under_another_name)
{
	char out[128], copy[160], marker[160], marker_env[200], cmd[512];
	char *argv[] = { BPFPROF_BIN, "trace", "--json", "-o", out, "--quarantine",
			 FIXTURE_DIR "/libevil.so", "--", FIXTURE_DIR "/loader", copy, NULL };
	char *env[] = { marker_env, NULL };
	json_t *events, *gate;

	tmp_output(out, sizeof(out), "enforce-copy");
	/* same bytes, another file (another inode): only the hash can tell */
	snprintf(copy, sizeof(copy), "%s/libevil-copy-%d.so", FIXTURE_DIR, (int)getpid());
	snprintf(cmd, sizeof(cmd), "cp %s/libevil.so %s", FIXTURE_DIR, copy);
	cr_assert_eq(system(cmd), 0);
	snprintf(marker, sizeof(marker), "%s/copy-marker-%d", FIXTURE_DIR, (int)getpid());
	snprintf(marker_env, sizeof(marker_env), "BPFPROF_MARKER=%s", marker);
	unlink(marker);
	cr_assert_eq(run(argv, env), 77);
	cr_assert_neq(access(marker, F_OK), 0, "the copy's constructor ran");
	events = read_events(out);
	gate = find_event(events, "gate", "libevil-copy");
	cr_assert_not_null(gate, "the copy was not stopped at the gate");
	cr_assert_str_eq(json_string_value(json_object_get(gate, "action")), "kill");
	json_decref(events);
	unlink(copy);
	unlink(out);
}
