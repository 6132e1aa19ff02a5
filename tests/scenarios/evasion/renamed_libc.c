/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_renamed_libc LIB: loads LIB through a fresh, renamed copy of libc
 * (SCENARIO_WORK_DIR/libsys-PID.so.6), mapped with dlmopen into a new link
 * namespace after SCENARIO_DELAY_MS (default 2500: after any timed rescan
 * for libcs), then calls that copy's own dlopen. A probe placed on libc
 * files by name never sees the load. ATT&CK: T1129 Shared Modules, with
 * T1036 Masquerading of the loader.
 * Proof: LIB (libscn_stage.so) writes NAME.ran and NAME.done. */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

#include "scn.h"

int main(int argc, char **argv)
{
	const char *work = getenv("SCENARIO_WORK_DIR") ? getenv("SCENARIO_WORK_DIR") : "/tmp";
	const char *delay = getenv("SCENARIO_DELAY_MS");
	long ms = delay ? atol(delay) : 2500;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	void *(*copy_dlopen)(const char *, int);
	char path[512];
	Dl_info libc;
	void *h, *lib;

	if (argc != 2 || !dladdr((void *)printf, &libc) || !libc.dli_fname) {
		fprintf(stderr, "usage: scn_ev_renamed_libc LIB\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/libsys-%d.so.6", work, (int)getpid());
	if (scn_copy_file(libc.dli_fname, path, 0755))
		return 1;
	nanosleep(&ts, NULL);
	h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW);
	copy_dlopen = h ? (void *(*)(const char *, int))dlsym(h, "dlopen") : NULL;
	lib = copy_dlopen ? copy_dlopen(argv[1], RTLD_NOW) : NULL;
	fprintf(stderr, "renamed libc %s: %s\n", path, lib ? "loaded" : "failed");
	unlink(path);
	return lib ? 0 : 3;
}
