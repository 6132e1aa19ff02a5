/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Three ways to put code into another process and make it run it (x86-64).
 * The victim is scn_victim: it sleeps in a loop and calls into an RWX
 * "JIT" page every tick, like any process with a JIT. Each returns 0 or a
 * negative errno. */
#ifndef SCN_INJECT_H
#define SCN_INJECT_H

#include <stddef.h>
#include <sys/types.h>

/* PTRACE_ATTACH, POKETEXT (code) and POKEDATA (data) at the stopped pc,
 * SETREGS to run it, DETACH */
int scn_inject_ptrace(pid_t pid, const unsigned char *code, size_t len, size_t code_len);

/* process_vm_writev over the victim's RWX page, which it calls next tick */
int scn_inject_vm_writev(pid_t pid, const unsigned char *code, size_t len);

/* pwrite to /proc/PID/mem at the pc where the victim sleeps (read from
 * /proc/PID/syscall): the write is forced through the read-only text */
int scn_inject_procmem(pid_t pid, const unsigned char *code, size_t len);

/* Waits up to MS for PID to exit (the injected code ends the victim), as an
 * injector that wants its result does; 0 when it exited. */
int scn_wait_exit(pid_t pid, int ms);

enum scn_inject_method { SCN_BY_PTRACE, SCN_BY_VM_WRITEV, SCN_BY_PROCMEM };

/* The method a fixture is built for (-DSCN_INJECT_PTRACE, ...). */
#if defined(SCN_INJECT_PTRACE)
#define SCN_INJECT_METHOD SCN_BY_PTRACE
#elif defined(SCN_INJECT_VM_WRITEV)
#define SCN_INJECT_METHOD SCN_BY_VM_WRITEV
#else
#define SCN_INJECT_METHOD SCN_BY_PROCMEM
#endif

/* Injects the payload (CODE_LEN bytes of instructions first) into VICTIM
 * by METHOD, waits up to 3 s for it to run there (it exits the victim),
 * and says on stderr what failed. 0 or a negative errno. */
int scn_inject_run(enum scn_inject_method method, pid_t victim, const unsigned char *code,
		   size_t len, size_t code_len);

/* SCENARIO_VICTIM_PID, or 0 */
pid_t scn_victim_pid(void);

#endif
