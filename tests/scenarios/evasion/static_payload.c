/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_static: a statically linked program (no ld.so, no libc.so, no
 * dlopen: nothing for a libc uprobe to see) that runs issue 12's payload.
 * ATT&CK: T1204.002 User Execution: Malicious File (a static implant; no
 * technique names static linking as such).
 * Proof: NAME.ran first; NAME.done after it connected to 127.0.0.1 and ran
 * code from memory it made executable. */
#include "scn.h"

int main(void)
{
	scn_mark("ran");
	return scn_payload_basic() ? 1 : 0;
}
