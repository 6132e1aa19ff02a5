/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* gate_load LIB...: dlopens and dlcloses each LIB in turn and prints the
 * latency of each dlopen in microseconds, one per line — under `trace
 * --gate`, what a process waits for a verdict (scripts/bench.sh gate).
 * The same LIB repeated is a judged library loaded again; distinct copies
 * are new objects. */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct timespec a, b;
		void *h;

		clock_gettime(CLOCK_MONOTONIC, &a);
		h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!h) {
			fprintf(stderr, "gate_load: %s\n", dlerror());
			return 1;
		}
		dlclose(h);
		printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3);
	}
	return 0;
}
