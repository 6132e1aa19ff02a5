/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_stage.so: the generic second stage. Loaded by the droppers, the
 * LD_PRELOAD, renamed-libc, inode-reuse and libc-slot scenarios. Its
 * constructor is issue 12's payload: writes "ran", connects to the sink on
 * 127.0.0.1 and sends a beacon, runs code from anonymous memory made
 * executable, writes "done". ATT&CK: whatever loaded it (see the loader). */
#include "scn.h"

__attribute__((constructor)) static void stage_init(void)
{
	scn_mark("ran");
	scn_payload_basic();
}

int scn_stage_entry(void)
{
	return 42;
}
