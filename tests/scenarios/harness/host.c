/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_host LIB...: the application a malicious library gets loaded into.
 * dlopens each LIB, does what an application does next (reads a file),
 * then stays alive SCENARIO_LINGER_MS (default 300) so that threads,
 * children and delayed work of the library get to run before it exits.
 * Exit: 0 all loaded, 3 a dlopen failed. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *linger = getenv("SCENARIO_LINGER_MS");
	long ms = linger ? atol(linger) : 300;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	char buf[256];
	int failed = 0, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: scn_host LIB...\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		void *h = dlopen(argv[i], RTLD_NOW);

		fprintf(stderr, "scn_host: %s %s\n", argv[i], h ? "loaded" : dlerror());
		failed |= !h;
	}
	fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			perror("scn_host: /etc/hostname");
		close(fd);
	}
	while (nanosleep(&ts, &ts))
		;
	return failed ? 3 : 0;
}
