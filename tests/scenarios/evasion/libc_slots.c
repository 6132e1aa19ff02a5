/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_libc_slots HARMLESS EVIL: exhausts a fixed table of watched libc
 * files. Makes SCENARIO_LIBC_COPIES (default 66) copies of libc, each in
 * its own directory of SCENARIO_WORK_DIR, and starts one process per copy
 * (LD_LIBRARY_PATH picks the copy) that dlopens HARMLESS through it and
 * stays alive, holding its copy mapped. Then, after SCENARIO_DELAY_MS
 * (default 2500), one more process with one more fresh copy dlopens EVIL:
 * that 67th load must still get a decision.
 * ATT&CK: T1562.001 Impair Defenses: Disable or Modify Tools (blinding the
 * agent), then T1129 Shared Modules.
 * Proof: EVIL (libscn_stage.so) writes NAME.ran and NAME.done. Exit 4 when
 * a holder did not map its own copy (the scenario would prove nothing).
 * Modes used internally: --hold LIB (dlopen, report, wait for EOF on
 * stdin) and --load LIB. */
#include <dlfcn.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "scn.h"

#define MAX_COPIES 256

/* dlopen through the libc that LD_LIBRARY_PATH selected, which must be ours */
static int load_here(const char *lib)
{
	const char *dir = getenv("LD_LIBRARY_PATH");
	Dl_info libc;

	if (!dir || !dladdr((void *)printf, &libc) || strncmp(libc.dli_fname, dir, strlen(dir)))
		return 4;
	return dlopen(lib, RTLD_NOW) ? 0 : 3;
}

/* one byte from a holder that loaded, within 10 s */
static int holder_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, 10000) == 1 && read(fd, &c, 1) == 1 && c == 'r' ? 0 : -1;
}

static pid_t spawn(const char *self, const char *mode, const char *lib, const char *dir,
		   int in, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *const argv[] = { (char *)self, (char *)mode, (char *)lib, NULL };

		setenv("LD_LIBRARY_PATH", dir, 1);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0)
			dup2(out, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	const char *work = getenv("SCENARIO_WORK_DIR") ? getenv("SCENARIO_WORK_DIR") : "/tmp";
	int copies = getenv("SCENARIO_LIBC_COPIES") ? atoi(getenv("SCENARIO_LIBC_COPIES")) : 66;
	long ms = getenv("SCENARIO_DELAY_MS") ? atol(getenv("SCENARIO_DELAY_MS")) : 2500;
	struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
	int hold[2], ready[2], status, ret = 0, ndirs = 0;
	char dirs[MAX_COPIES + 1][512], path[600], c;
	pid_t holders[MAX_COPIES], last;
	Dl_info libc;

	if (argc == 3 && !strcmp(argv[1], "--hold")) {
		ret = load_here(argv[2]);
		if (write(1, ret ? "f" : "r", 1) == 1 && !ret)
			while (read(0, &c, 1) > 0)
				;
		return ret;
	}
	if (argc == 3 && !strcmp(argv[1], "--load"))
		return load_here(argv[2]);
	if (argc != 3 || copies < 1 || copies > MAX_COPIES || !dladdr((void *)printf, &libc)) {
		fprintf(stderr, "usage: scn_ev_libc_slots HARMLESS EVIL\n");
		return 1;
	}
	for (int i = 0; i <= copies; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/libc-%d-%03d", work, (int)getpid(), i);
		snprintf(path, sizeof(path), "%.511s/libc.so.6", dirs[i]);
		if (mkdir(dirs[i], 0755)) {
			perror(dirs[i]);
			ret = 1;
			break;
		}
		ndirs++;
		if (scn_copy_file(libc.dli_fname, path, 0755)) {
			perror(path);
			ret = 1;
			break;
		}
	}
	if (ret || pipe2(hold, O_CLOEXEC) || pipe2(ready, O_CLOEXEC)) {
		ret = 1;
		copies = 0;
		goto cleanup;
	}
	for (int i = 0; i < copies; i++) {
		holders[i] = spawn(argv[0], "--hold", argv[1], dirs[i], hold[0], ready[1]);
		if (holders[i] < 0 || holder_ready(ready[0])) {
			fprintf(stderr, "libc_slots: holder %d did not load through its copy\n", i);
			ret = 4;
			copies = i + (holders[i] > 0);
			break;
		}
	}
	if (!ret) {
		nanosleep(&delay, NULL);
		last = spawn(argv[0], "--load", argv[2], dirs[copies], -1, -1);
		if (last < 0 || waitpid(last, &status, 0) != last)
			ret = 1;
		else
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		fprintf(stderr, "libc_slots: %d copies held, load %d: %s\n", copies, copies + 1,
			ret ? "failed" : "ok");
	}
	close(hold[1]); /* the holders see EOF and exit */
	for (int i = 0; i < copies; i++)
		waitpid(holders[i], NULL, 0);
cleanup:
	for (int i = 0; i < ndirs; i++) {
		snprintf(path, sizeof(path), "%.511s/libc.so.6", dirs[i]);
		unlink(path);
		rmdir(dirs[i]);
	}
	return ret;
}
