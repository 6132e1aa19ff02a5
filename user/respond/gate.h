/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The gate's userspace half: processes the kernel stopped at the first
 * executable mapping inside dlopen wait here for a decision. No process is
 * ever left stopped: a watchdog process applies the fail policy at the
 * deadline, and to every held process if this one dies (even by SIGKILL). */
#ifndef BPFPROF_GATE_H
#define BPFPROF_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpfprof_event.h"

enum gate_fail { GATE_FAIL_OPEN, GATE_FAIL_CLOSED };
enum gate_decision { GATE_RESUME, GATE_KILL };

/* What made the kernel stop the process. */
enum gate_trigger {
	GATE_AT_FILE,       /* an executable mapping of a file not judged before */
	GATE_AT_CODE,       /* anonymous code that makes system calls itself */
	GATE_AT_INJECTION,  /* another process writing into this one */
};

struct gate;

/* timeout_ms: how long a process may stay stopped before fail applies;
 * the watchdog applies it at the deadline whatever this process is doing. */
int gate_new(enum gate_fail fail, unsigned int timeout_ms, struct gate **out);
/* Applies the fail policy to every held process and stops the watchdog. */
void gate_free(struct gate *g);

/* Records a process the kernel stopped (BP_EV_GATE, action STOPPED). */
int gate_hold(struct gate *g, pid_t pid, uint64_t window_id);
/* Resumes or kills a held process: 0, or 1 when its deadline had passed
 * (the fail policy came first: fail-closed killed it, fail-open let it
 * run until now, and a kill still kills it). -ENOENT when it is not held. */
int gate_decide(struct gate *g, pid_t pid, enum gate_decision d);
enum gate_fail gate_fail_policy(const struct gate *g);
int gate_held_count(const struct gate *g);
/* "resume" or "kill". */
const char *gate_decision_name(enum gate_decision d);
const char *gate_trigger_name(enum gate_trigger t);
/* The watchdog's pid (for tests). */
pid_t gate_watchdog_pid(const struct gate *g);

#endif
