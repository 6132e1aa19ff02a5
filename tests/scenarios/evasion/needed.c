/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_ev_needed.so: a library a program names in DT_NEEDED (scn_ev_needed
 * links it with RPATH $ORIGIN), so ld.so maps it and runs its constructor
 * before main, with no dlopen anywhere. Its constructor is issue 12's
 * payload. ATT&CK: T1574.006 Dynamic Linker Hijacking (a planted
 * dependency).
 * Proof: NAME.ran first; NAME.done after it connected to 127.0.0.1 and ran
 * code from memory it made executable. */
#include "scn.h"

__attribute__((constructor)) static void needed_init(void)
{
	scn_mark("ran");
	scn_payload_basic();
}

int scn_needed_version(void)
{
	return 3;
}
