/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_victim: the process the injection scenarios attack, started by the
 * runner outside the trace. It behaves like a long-running service with a
 * JIT: one private RWX page it calls into every tick, and a sleep. It
 * never writes marker files itself; injected code does. Exits after
 * SECONDS (default 60) so a failed run leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	long ticks = (argc > 1 ? atol(argv[1]) : 60) * 5;
	unsigned char *jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (jit == MAP_FAILED) {
		perror("scn_victim: mmap");
		return 1;
	}
#if defined(__x86_64__)
	jit[0] = 0xc3; /* ret */
#elif defined(__aarch64__)
	memcpy(jit, "\xc0\x03\x5f\xd6", 4);
#endif
	printf("ready\n");
	fflush(stdout);
	while (ticks--) {
		((void (*)(void))jit)();
		nanosleep(&tick, NULL);
	}
	return 0;
}
