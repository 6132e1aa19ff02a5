/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A minimal io_uring on raw syscalls (no liburing): one operation at a time,
 * submitted and waited for, so a payload reads like straight-line code while
 * its socket, connect, open, read, send and write never enter the syscall
 * tracepoints. */
#ifndef SCN_URING_H
#define SCN_URING_H

#include <linux/io_uring.h>
#include <stddef.h>
#include <stdint.h>

struct scn_uring {
	int fd;
	void *sq, *cq;
	size_t sq_len, cq_len, sqes_len;
	struct io_uring_sqe *sqes;
	uint32_t *sq_head, *sq_tail, *sq_mask, *sq_array;
	uint32_t *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

int scn_uring_open(struct scn_uring *r);
void scn_uring_close(struct scn_uring *r);

/* Runs one prepared operation and returns its result (cqe->res). */
int scn_uring_run(struct scn_uring *r, const struct io_uring_sqe *sqe);

int scn_uring_socket(struct scn_uring *r, int domain, int type);
int scn_uring_connect(struct scn_uring *r, int fd, const void *addr, unsigned len);
int scn_uring_send(struct scn_uring *r, int fd, const void *buf, unsigned len);
int scn_uring_recv(struct scn_uring *r, int fd, void *buf, unsigned len);
int scn_uring_openat(struct scn_uring *r, const char *path, int flags, int mode);
int scn_uring_read(struct scn_uring *r, int fd, void *buf, unsigned len);
int scn_uring_write(struct scn_uring *r, int fd, const void *buf, unsigned len);
int scn_uring_shutdown(struct scn_uring *r, int fd, int how);
int scn_uring_closefd(struct scn_uring *r, int fd);

#endif
