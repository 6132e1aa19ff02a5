/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_harmless.so: a plugin that does nothing at load time. The
 * inode-reuse scenario loads it first (so the gate caches it as allowed),
 * the libc-slot scenario dlopens it through each libc copy. */
int scn_harmless_answer(void)
{
	return 42;
}
