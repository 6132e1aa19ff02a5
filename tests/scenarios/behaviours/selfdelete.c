/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_selfdelete.so: a constructor that removes its own file from disk
 * once it is mapped (found with dladdr), then beacons to 127.0.0.1 and runs
 * code from memory it made executable: nothing is left to scan afterwards.
 * The runner loads a copy, never the built file.
 * ATT&CK: T1070.004 Indicator Removal: File Deletion.
 * Proof: NAME.ran first; NAME.done after the unlink and the payload. */
#include <dlfcn.h>

#include "scn.h"

__attribute__((constructor)) static void selfdelete_init(void)
{
	Dl_info self;

	scn_mark("ran");
	if (!dladdr((void *)selfdelete_init, &self) || !self.dli_fname || unlink(self.dli_fname))
		return;
	scn_payload_basic();
}
