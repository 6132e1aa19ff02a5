/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The agent under the restrictions of its systemd unit that can be made
 * without systemd as PID 1 (these machines have none): the unit's
 * CapabilityBoundingSet (read from scripts/bpf-profiler.service.in, so the
 * two cannot drift), no new privileges (setpriv) and a read-only root with
 * only its state directory writable (unshare -m, bind mounts). It must
 * start, trace a load by another process and answer /healthz. */
#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include "harness.h"
#include "tmpdir.h"

TestSuite(hardened, .init = require_root, .fini = harness_children_kill, .timeout = 120);

/* "+bpf,+perfmon,..." from the unit's CapabilityBoundingSet. */
static void unit_caps(char *out, size_t len, char **unit_text)
{
	char *text = NULL, *line, *save = NULL;
	size_t cap = 0, n = 0;
	FILE *f = fopen(BPFPROF_SRCDIR "/scripts/bpf-profiler.service.in", "r");

	cr_assert_not_null(f);
	cr_assert_gt(getdelim(&text, &cap, '\0', f), 0);
	fclose(f);
	*unit_text = strdup(text);
	out[0] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "CapabilityBoundingSet=", 22))
			continue;
		for (char *c = strtok(line + 22, " "); c; c = strtok(NULL, " ")) {
			n += snprintf(out + n, len - n, ",+");
			for (c += 4; *c; c++) /* CAP_SYS_ADMIN -> sys_admin */
				out[n++] = (char)tolower((unsigned char)*c);
			out[n] = '\0';
		}
	}
	free(text);
	cr_assert_gt(n, 0, "the unit has no CapabilityBoundingSet");
}

static long get(const char *sock, const char *path, char **body)
{
	CURL *c = curl_easy_init();
	char url[512];
	size_t len;
	FILE *f = open_memstream(body, &len);
	long code = 0;

	snprintf(url, sizeof(url), "http://agent%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	fclose(f);
	return code;
}

Test(hardened, the_agent_runs_with_the_units_capabilities_and_a_read_only_root)
{
	char dir[64], conf[128], sock[128], caps[512], cmd[2048], status[64], *unit, *body = NULL;
	char line[256];
	bool nnp = false, found = false;
	FILE *f;
	pid_t pid;

	if (system("command -v setpriv unshare >/dev/null"))
		cr_skip_test("setpriv and unshare (util-linux) are needed");
	unit_caps(caps, sizeof(caps), &unit);
	cr_assert(strstr(unit, "\nNoNewPrivileges=yes\n") && strstr(unit, "\nProtectSystem=strict\n"),
		  "the unit lost the restrictions this test reproduces");
	free(unit);
	snprintf(dir, sizeof(dir), "/tmp/bpfprof-hardened-%d", (int)getpid());
	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	f = fopen(conf, "w");
	fprintf(f, "[store]\ndb_path = %s/a.db\nbd_path = %s/bd.sqlite\ndecision_log = %s/d.jsonl\n"
		"[alerts]\nalert_log = %s/alerts.jsonl\n[api]\nlisten_unix = %s\n", dir, dir, dir,
		dir, sock);
	fclose(f);
	/* ProtectSystem=strict with the state directory writable; then the
	 * unit's bounding set and no-new-privileges */
	snprintf(cmd, sizeof(cmd), "mount --bind %s %s && mount --bind / / && "
		 "mount -o remount,bind,ro / && ! touch /etc/bpfprof-hardened-probe 2>/dev/null && "
		 "exec setpriv --no-new-privs --bounding-set -all%s --inh-caps=-all %s agent "
		 "--config %s 2>%s/agent.log", dir, dir, caps, BPFPROF_BIN, conf, dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("unshare", "unshare", "-m", "--propagation", "private", "sh", "-c", cmd, NULL);
		_exit(127);
	}
	harness_child_started(pid);
	for (int i = 0; i < 100 && get(sock, "/healthz", &body) != 200; i++) {
		free(body);
		body = NULL;
		usleep(100 * 1000);
	}
	cr_assert_not_null(body, "no answer on /healthz under the restrictions (%s/agent.log)", dir);
	cr_assert(strstr(body, "\"ok\""), "%s", body);
	free(body);
	snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
	f = fopen(status, "r");
	while (f && fgets(line, sizeof(line), f))
		nnp |= !strcmp(line, "NoNewPrivs:\t1\n");
	if (f)
		fclose(f);
	cr_assert(nnp, "the agent runs without no-new-privileges");
	{
		char *argv[] = { FIXTURE_DIR "/loader", FIXTURE_DIR "/libbenign.so", NULL };

		cr_assert_eq(run(argv, NULL), 0);
	}
	for (int i = 0; i < 100 && !found; i++) {
		body = NULL;
		if (get(sock, "/v1/decisions?object=*libbenign.so", &body) == 200)
			found = strstr(body, "libbenign.so") != NULL;
		free(body);
		if (!found)
			usleep(100 * 1000);
	}
	cr_assert(found, "the restricted agent did not judge the load");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	harness_child_reaped(pid);
	tmpdir_remove(dir);
}
