/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Raw io_uring, as io_uring-based rootkits and "syscall-less" malware use it
 * (ARMO's curing, 2025): the ring is set up once, then every operation is a
 * memory write and one io_uring_enter. Synchronous on purpose. */
#include "uring.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int scn_uring_open(struct scn_uring *r)
{
	struct io_uring_params p = { 0 };

	memset(r, 0, sizeof(*r));
	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED) {
		int err = -errno;

		scn_uring_close(r);
		return err;
	}
	r->sq_head = (uint32_t *)((char *)r->sq + p.sq_off.head);
	r->sq_tail = (uint32_t *)((char *)r->sq + p.sq_off.tail);
	r->sq_mask = (uint32_t *)((char *)r->sq + p.sq_off.ring_mask);
	r->sq_array = (uint32_t *)((char *)r->sq + p.sq_off.array);
	r->cq_head = (uint32_t *)((char *)r->cq + p.cq_off.head);
	r->cq_tail = (uint32_t *)((char *)r->cq + p.cq_off.tail);
	r->cq_mask = (uint32_t *)((char *)r->cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq + p.cq_off.cqes);
	return 0;
}

void scn_uring_close(struct scn_uring *r)
{
	if (r->sq && r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	if (r->cq && r->cq != MAP_FAILED)
		munmap(r->cq, r->cq_len);
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int scn_uring_run(struct scn_uring *r, const struct io_uring_sqe *sqe)
{
	uint32_t tail = __atomic_load_n(r->sq_tail, __ATOMIC_RELAXED), head, idx;
	int res;

	idx = tail & *r->sq_mask;
	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = __atomic_load_n(r->cq_head, __ATOMIC_RELAXED);
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static struct io_uring_sqe sqe_of(int op, int fd, const void *addr, unsigned len, uint64_t off)
{
	struct io_uring_sqe s;

	memset(&s, 0, sizeof(s));
	s.opcode = op;
	s.fd = fd;
	s.addr = (uint64_t)(uintptr_t)addr;
	s.len = len;
	s.off = off;
	return s;
}

int scn_uring_socket(struct scn_uring *r, int domain, int type)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_SOCKET, domain, NULL, 0, type);

	return scn_uring_run(r, &s);
}

int scn_uring_connect(struct scn_uring *r, int fd, const void *addr, unsigned len)
{
	/* the address length travels in off */
	struct io_uring_sqe s = sqe_of(IORING_OP_CONNECT, fd, addr, 0, len);

	return scn_uring_run(r, &s);
}

int scn_uring_send(struct scn_uring *r, int fd, const void *buf, unsigned len)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_SEND, fd, buf, len, 0);

	s.msg_flags = MSG_NOSIGNAL;
	return scn_uring_run(r, &s);
}

int scn_uring_recv(struct scn_uring *r, int fd, void *buf, unsigned len)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_RECV, fd, buf, len, 0);

	return scn_uring_run(r, &s);
}

int scn_uring_openat(struct scn_uring *r, const char *path, int flags, int mode)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_OPENAT, AT_FDCWD, path, mode, 0);

	s.open_flags = flags;
	return scn_uring_run(r, &s);
}

int scn_uring_read(struct scn_uring *r, int fd, void *buf, unsigned len)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_READ, fd, buf, len, 0);

	return scn_uring_run(r, &s);
}

int scn_uring_write(struct scn_uring *r, int fd, const void *buf, unsigned len)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_WRITE, fd, buf, len, 0);

	return scn_uring_run(r, &s);
}

int scn_uring_shutdown(struct scn_uring *r, int fd, int how)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_SHUTDOWN, fd, NULL, how, 0);

	return scn_uring_run(r, &s);
}

int scn_uring_closefd(struct scn_uring *r, int fd)
{
	struct io_uring_sqe s = sqe_of(IORING_OP_CLOSE, fd, NULL, 0, 0);

	return scn_uring_run(r, &s);
}
