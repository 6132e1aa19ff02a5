/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_pkey_mprotect: code made executable with pkey_mprotect instead of
 * mprotect (default key -1: works on CPUs without protection keys). The
 * payload (shellcode.S) is copied into anonymous memory, turned executable
 * with pkey_mprotect and called.
 * ATT&CK: T1620 Reflective Code Loading.
 * Proof: the code writes NAME.ran first, NAME.done after it connected to
 * 127.0.0.1 and ran code from memory it made executable. */
#include "scn.h"
#include "shellcode.h"

int main(void)
{
	unsigned char sc[SCN_SC_MAX];
	char ran[256], done[256];
	struct scn_sc_opts o = { .ran = ran, .done = done, .port = scn_port("SCENARIO_SINK_PORT") };
	size_t len;
	void *code;

	scn_shellcode_markers(ran, done, sizeof(ran));
	len = scn_shellcode_build(sc, &o);
	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!len || code == MAP_FAILED)
		return 1;
	memcpy(code, sc, len);
	if (pkey_mprotect(code, 4096, PROT_READ | PROT_EXEC, -1)) {
		perror("pkey_mprotect");
		return 1;
	}
	((void (*)(void))code)();
	return 0;
}
