/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_ev_padding.so: a constructor that first makes 1100 harmless,
 * traced calls (opening and closing /etc/hostname), so that a window that
 * keeps a bounded number of calls has dropped everything by the time the
 * payload runs; then issue 12's payload.
 * ATT&CK: T1562 Impair Defenses (flooding the monitor), then T1129.
 * Proof: NAME.ran first; NAME.done after it connected to 127.0.0.1 and ran
 * code from memory it made executable. */
#include "scn.h"

#define PADDING_CALLS 1100

__attribute__((constructor)) static void padding_init(void)
{
	scn_mark("ran");
	for (int i = 0; i < PADDING_CALLS; i++) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
	}
	scn_payload_basic();
}
