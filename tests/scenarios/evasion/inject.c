/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_inject_{ptrace,vm_writev,procmem}: an injector program (no library
 * is loaded anywhere) that puts the payload (shellcode.S) into scn_victim
 * (SCENARIO_VICTIM_PID, started by the runner) and makes it run there:
 *   ptrace     PTRACE_ATTACH, POKETEXT/POKEDATA at the pc, SETREGS  T1055.008
 *   vm_writev  process_vm_writev over the victim's RWX JIT page     T1055
 *   procmem    pwrite to /proc/PID/mem at the pc it sleeps at       T1055.009
 * Proof: the injected code writes NAME.ran first, NAME.done after it
 * connected to 127.0.0.1 and ran code from memory it made executable, then
 * exits the victim. */
#include "inject.h"
#include "scn.h"
#include "shellcode.h"

int main(void)
{
	unsigned char sc[SCN_SC_MAX];
	char ran[256], done[256];
	struct scn_sc_opts o = { .ran = ran, .done = done, .exit_after = true,
				 .port = scn_port("SCENARIO_SINK_PORT") };
	pid_t victim = scn_victim_pid();
	size_t len;

	scn_shellcode_markers(ran, done, sizeof(ran));
	len = scn_shellcode_build(sc, &o);
	if (!victim || !len) {
		fprintf(stderr, "inject: SCENARIO_VICTIM_PID not set\n");
		return 1;
	}
	return scn_inject_run(SCN_INJECT_METHOD, victim, sc, len, scn_shellcode_code_len()) ? 1 : 0;
}
