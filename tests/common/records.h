/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Hand-made kernel records (include/bpfprof_event.h) for the tests of the
 * stages that consume them: the decoder, the window assembler, the pipeline. */
#ifndef BPFPROF_TEST_RECORDS_H
#define BPFPROF_TEST_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "bpfprof_event.h"

static inline struct bp_call_rec rec(unsigned call, unsigned long a0, unsigned long a1, const char *str)
{
	struct bp_call_rec r = { .call = call, .arg = { a0, a1 } };

	if (str)
		snprintf(r.str, sizeof(r.str), "%s", str);
	return r;
}

static inline struct bp_ev_window_open open_ev(uint64_t id, unsigned nlookback)
{
	struct bp_ev_window_open e = { .hdr = { .type = BP_EV_WINDOW_OPEN, .pid = 10, .tid = 11,
		.window_id = id, .pivot = BP_PIVOT_DLOPEN, .ts_ns = 1000 }, .nlookback = nlookback };

	snprintf(e.path, sizeof(e.path), "/tmp/x.so");
	for (unsigned i = 0; i < nlookback; i++)
		e.lookback[i] = rec(BP_CALL_SOCKET, AF_INET, SOCK_STREAM, NULL);
	return e;
}

static inline struct bp_ev_call call_ev(uint64_t id, unsigned part, struct bp_call_rec r)
{
	return (struct bp_ev_call){ .hdr = { .type = BP_EV_CALL, .pid = 10, .tid = 11,
		.window_id = id, .part = part }, .rec = r };
}

static inline struct bp_ev_dlopen_ret ret_ev(uint64_t id, uint64_t handle, uint64_t ts)
{
	return (struct bp_ev_dlopen_ret){ .hdr = { .type = BP_EV_DLOPEN_RET, .window_id = id,
		.ts_ns = ts }, .handle = handle };
}

static inline struct bp_ev_window_close close_ev(uint64_t id, unsigned reason, unsigned nload,
					  unsigned nfollow, unsigned lost)
{
	return (struct bp_ev_window_close){ .hdr = { .type = BP_EV_WINDOW_CLOSE, .window_id = id,
		.lost = lost }, .reason = reason, .nload = nload, .nfollow = nfollow };
}

#define FEED(ws, ev, lost) do { __typeof__(ev) e_ = (ev); \
	cr_assert_eq(window_set_on_record(ws, &e_, sizeof(e_), lost), 0); } while (0)

#endif
