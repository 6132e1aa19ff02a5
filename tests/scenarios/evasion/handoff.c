/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_ev_ctor_{thread,fork}.so: a constructor that does nothing itself
 * but hand issue 12's payload to a new thread (SCN_HANDOFF_THREAD) or a
 * forked child, so its calls land outside the loading thread's window.
 * ATT&CK: T1129 Shared Modules (execution from a constructor), with the
 * work moved to T1106 Native API threads/processes.
 * Proof: NAME.ran from the constructor; NAME.done from the thread or child
 * after it connected to 127.0.0.1 and ran code from memory it made
 * executable. */

#include "scn.h"

#if defined(SCN_HANDOFF_THREAD)
static void *work(void *arg)
{
	(void)arg;
	scn_payload_basic();
	return NULL;
}
#endif

__attribute__((constructor)) static void handoff_init(void)
{
	scn_mark("ran");
#if defined(SCN_HANDOFF_THREAD)
	scn_detached(work, NULL);
#else
	if (fork() == 0)
		_exit(scn_payload_basic() ? 1 : 0);
#endif
}
