/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_inject_{ptrace,vm_writev}.so: a constructor that injects code into
 * another process (scn_victim, started by the runner, SCENARIO_VICTIM_PID):
 *   ptrace     PTRACE_ATTACH, POKETEXT/POKEDATA at its pc, SETREGS  T1055.008
 *   vm_writev  process_vm_writev over its RWX JIT page              T1055
 *              (ATT&CK has no sub-technique for process_vm_writev)
 * The injected code (shellcode.S) connects to 127.0.0.1, runs code from
 * memory it made executable, writes NAME.done and exits the victim.
 * Proof: NAME.ran from the constructor; NAME.done from inside the victim. */
#include "inject.h"
#include "scn.h"
#include "shellcode.h"

__attribute__((constructor)) static void inject_init(void)
{
	unsigned char sc[SCN_SC_MAX];
	char ran[256], done[256];
	struct scn_sc_opts o = { .ran = "", .done = done, .exit_after = true,
				 .port = scn_port("SCENARIO_SINK_PORT") };
	pid_t victim = scn_victim_pid();
	size_t len;

	scn_mark("ran");
	scn_shellcode_markers(ran, done, sizeof(done));
	len = scn_shellcode_build(sc, &o);
	if (!victim || !len)
		return;
	scn_inject_run(SCN_INJECT_METHOD, victim, sc, len, scn_shellcode_code_len());
}
