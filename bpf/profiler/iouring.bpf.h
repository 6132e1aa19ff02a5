/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* io_uring: operations submitted to a ring never pass the syscall
 * tracepoints, so each becomes the token of the call it stands for from
 * io_uring_submit_req (the request is prepared by then). The per-opcode
 * data sits at the start of struct io_kiocb; its structs are private to
 * io_uring's .c files (not in BTF), so their first fields are read by offset —
 * stable since 5.x: io_connect {file; addr}, io_open {file; dfd;
 * file_slot; filename; how}, io_socket {file; domain; type}. A read that
 * fails leaves the token without its argument class. */
#ifndef BPFPROF_PROFILER_IOURING_H
#define BPFPROF_PROFILER_IOURING_H

static __always_inline __u64 req_word(const void *req, __u32 off)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (const char *)req + off);
	return v;
}

SEC("tracepoint/io_uring/io_uring_submit_req")
int tp_io_uring_submit(struct trace_event_raw_io_uring_submit_req *ctx)
{
	const void *req = ctx->req;
	struct task_state *st;
	struct bp_call_rec *rec;
	__u16 call;

	switch (ctx->opcode) {
	case IORING_OP_CONNECT: call = BP_CALL_CONNECT; break;
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2: call = BP_CALL_OPENAT; break;
	case IORING_OP_SOCKET: call = BP_CALL_SOCKET; break;
	case IORING_OP_SEND:
	case IORING_OP_SEND_ZC: call = BP_CALL_SENDTO; break;
	case IORING_OP_SENDMSG:
	case IORING_OP_SENDMSG_ZC: call = BP_CALL_SENDMSG; break;
	case IORING_OP_RECV:
	case IORING_OP_RECVMSG: call = BP_CALL_RECVFROM; break;
	case IORING_OP_ACCEPT: call = BP_CALL_ACCEPT4; break;
	case IORING_OP_UNLINKAT: call = BP_CALL_UNLINKAT; break;
	case IORING_OP_RENAMEAT: call = BP_CALL_RENAMEAT2; break;
	default: return 0;
	}
	st = state_of_current(true);
	if (!st)
		return 0;
	rec = record(st, call, 0, 0);
	rec->flags |= BP_REC_IO_URING;
	switch (call) {
	case BP_CALL_CONNECT:
		sockaddr_fill(st, rec, (const void *)req_word(req, 8));
		break;
	case BP_CALL_OPENAT: {
		const struct filename *fn = (const void *)req_word(req, 16);

		rec->arg[0] = req_word(req, 24); /* how.flags */
		rec->arg[1] = req_word(req, 32); /* how.mode */
		if (bpf_probe_read_kernel_str(rec->str, sizeof(rec->str), BPF_CORE_READ(fn, name)) < 0)
			rec->str[0] = '\0';
		break;
	}
	case BP_CALL_UNLINKAT:
	case BP_CALL_RENAMEAT2: {
		/* io_unlink {file; dfd; flags; filename}, io_rename {file;
		 * old_dfd; new_dfd; oldpath; newpath}: the name that changes */
		const struct filename *fn =
			(const void *)req_word(req, call == BP_CALL_UNLINKAT ? 16 : 24);

		if (bpf_probe_read_kernel_str(rec->str, sizeof(rec->str), BPF_CORE_READ(fn, name)) < 0)
			rec->str[0] = '\0';
		break;
	}
	case BP_CALL_SOCKET: {
		__u64 w = req_word(req, 8);

		rec->arg[0] = (__u32)w;   /* domain */
		rec->arg[1] = w >> 32;    /* type */
		break;
	}
	default:
		break;
	}
	after_record(st, rec);
	return 0;
}

#endif
