/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_cred_exfil.so: a constructor that steals the password hashes.
 * Reads /etc/shadow and sends it to the runner's sink on 127.0.0.1, which
 * keeps only its length and SHA-256 (never the content).
 * ATT&CK: T1003.008 OS Credential Dumping: /etc/passwd and /etc/shadow,
 * exfiltrated over the C2 channel (T1041).
 * Proof: NAME.ran first; NAME.done once the sink acknowledged every byte. */
#include "scn.h"

__attribute__((constructor)) static void exfil_init(void)
{
	scn_mark("ran");
	scn_steal_shadow();
}
