/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_ev_iouring.so: issue 12's payload with its socket, connect, send,
 * open and write done as io_uring operations: it connects to the sink on
 * 127.0.0.1 and sends a beacon, makes memory executable (mprotect has no
 * io_uring form) and writes the "done" marker through the ring.
 * ATT&CK: T1095 Non-Application Layer Protocol over a channel syscall
 * tracepoints do not see.
 * Proof: NAME.ran first; NAME.done, written through io_uring, once the sink
 * acknowledged the beacon and memory ran. */
#include "scn.h"
#include "uring.h"

__attribute__((constructor)) static void iouring_init(void)
{
	static const char beacon[] = "beacon\n";
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(scn_port("SCENARIO_SINK_PORT")),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char reply[64], done[512];
	struct scn_uring r;
	int sock, got = 0, fd;

	scn_mark("ran");
	if (scn_uring_open(&r))
		return;
	sock = scn_uring_socket(&r, AF_INET, SOCK_STREAM);
	if (sock >= 0 && !scn_uring_connect(&r, sock, &a, sizeof(a)) &&
	    scn_uring_send(&r, sock, beacon, sizeof(beacon) - 1) == sizeof(beacon) - 1 &&
	    !scn_uring_shutdown(&r, sock, SHUT_WR))
		got = scn_uring_recv(&r, sock, reply, sizeof(reply) - 1);
	if (sock >= 0)
		scn_uring_closefd(&r, sock);
	if (got > 3 && !strncmp(reply, "OK ", 3) && !scn_exec_memory() &&
	    !scn_marker_path("done", done, sizeof(done))) {
		fd = scn_uring_openat(&r, done, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			scn_uring_write(&r, fd, "done", 4);
			scn_uring_closefd(&r, fd);
		}
	}
	scn_uring_close(&r);
}
