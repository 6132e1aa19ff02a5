/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* workload N [KIND]: N iterations of one kind of work the agent's programs
 * see; prints nanoseconds per iteration. scripts/bench.sh measures each with
 * and without the agent, so every load source has its own price:
 *   mixed      open("/dev/null") + close + mmap(4 KiB anonymous) + mprotect
 *              + munmap (the pipeline section's loop)
 *   mmap_exec  an executable mapping of a file already judged (this program)
 *   anon_exec  a page of code that calls no kernel (a JIT's) written into
 *              anonymous memory and made executable (mprotect RW -> RX)
 *   anon_raw   the same with a system call instruction in the page: the
 *              agent's gate stops the process at each (shellcode's price)
 *   fork       fork, the child exits, waitpid (window inheritance, exit)
 *   io_uring   one NOP submitted and reaped through io_uring_enter */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "uring.h"

static int fd_self = -1;
static struct scn_uring ring;

static void mixed(void)
{
	int fd = open("/dev/null", O_RDONLY);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	close(fd);
	mprotect(p, 4096, PROT_READ);
	munmap(p, 4096);
}

static void mmap_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd_self, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
}

/* A written page, so the kernel reads it (an untouched page is not
 * present and costs nothing to look at): a JIT's code, with no system
 * call instruction, is scanned to its end; a stager's starts with one.
 * Each page is new code (`mov eax, N` first, N's bytes kept in 0x40-0x7f
 * so they never form a system call instruction): nothing is judged from
 * a cache of the bytes seen before. */
static void anon_page(bool raw)
{
	static uint32_t n;
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (p == MAP_FAILED)
		return;
	memset(p, 0x90, 4096);	/* nop */
	p[0] = 0xb8;		/* mov eax, imm32 */
	for (int i = 0; i < 4; i++)
		p[1 + i] = 0x40 | ((n >> (6 * i)) & 0x3f);
	n++;
	if (raw)
		memcpy(p + 5, "\x0f\x05\xc3", 3);	/* syscall; ret */
	else
		p[4095] = 0xc3;	/* ret */
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	munmap(p, 4096);
}

static void anon_exec(void)
{
	anon_page(false);
}

static void anon_raw(void)
{
	anon_page(true);
}

static void fork_one(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void uring_nop(void)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_NOP };

	scn_uring_run(&ring, &sqe);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } kinds[] = {
		{ "mixed", mixed }, { "mmap_exec", mmap_exec }, { "anon_exec", anon_exec },
		{ "anon_raw", anon_raw }, { "fork", fork_one }, { "io_uring", uring_nop },
	};
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *kind = argc > 2 ? argv[2] : "mixed";
	void (*fn)(void) = NULL;
	struct timespec a, b;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].name))
			fn = kinds[i].fn;
	if (!fn || n <= 0) {
		fprintf(stderr, "usage: workload N [mixed|mmap_exec|anon_exec|anon_raw|fork|io_uring]\n");
		return 2;
	}
	fd_self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fn == uring_nop && scn_uring_open(&ring)) {
		perror("workload: io_uring_setup");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		fn();
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
