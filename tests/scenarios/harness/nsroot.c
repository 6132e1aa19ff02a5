/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_nsroot SCRATCH -- CMD...: the "temporary root" of the persistence and
 * log-wipe scenarios. Runs CMD in a private mount namespace where /etc,
 * /var/log and $HOME are overlays whose upper layers live on a tmpfs
 * mounted at SCRATCH (an empty directory): whatever CMD writes there vanishes with the namespace and the
 * host's files are never touched. Refuses to run CMD (exit 1) unless every
 * overlay is in place; sets SCENARIO_SANDBOX=1 for the payloads, which check
 * the filesystem type themselves too. Afterwards lists the files CMD created
 * or changed in DIR/NAME.persisted (the runner's marker directory), then
 * exits with CMD's status (128+N when killed by signal N). */
#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

#define OVERLAYFS_MAGIC 0x794c7630

static FILE *listing;
static size_t upper_prefix;

static int list_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (listing && (type == FTW_F || type == FTW_SL) && strlen(path) > upper_prefix)
		fprintf(listing, "%s\n", path + upper_prefix);
	return 0;
}

static int overlay(const char *scratch, const char *target, int n, char *upper, size_t cap)
{
	char work[512], opts[1600];
	struct statfs sf;

	snprintf(upper, cap, "%s/%d/u", scratch, n);
	snprintf(work, sizeof(work), "%s/%d/w", scratch, n);
	snprintf(opts, sizeof(opts), "%s/%d", scratch, n);
	if ((mkdir(opts, 0700) && errno != EEXIST) || mkdir(upper, 0755) || mkdir(work, 0700))
		return -1;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", target, upper, work);
	if (mount("overlay", target, "overlay", 0, opts) || statfs(target, &sf) ||
	    sf.f_type != OVERLAYFS_MAGIC) {
		fprintf(stderr, "scn_nsroot: overlay on %s: %s\n", target, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *home = getenv("HOME") ? getenv("HOME") : "/root";
	const char *targets[] = { "/etc", "/var/log", home };
	char uppers[3][512], path[512];
	int status;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: scn_nsroot SCRATCH -- CMD [ARGS...]\n");
		return 1;
	}
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", argv[1], "tmpfs", 0, "size=16m,mode=0700")) {
		fprintf(stderr, "scn_nsroot: private mount namespace: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++)
		if (overlay(argv[1], targets[i], (int)i, uppers[i], sizeof(uppers[i])))
			return 1;
	setenv("SCENARIO_SANDBOX", "1", 1);
	setenv("HOME", home, 1);
	pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	if (!scn_marker_path("persisted", path, sizeof(path)) && (listing = fopen(path, "we"))) {
		for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
			upper_prefix = strlen(uppers[i]);
			fprintf(listing, "# %s\n", targets[i]);
			nftw(uppers[i], list_one, 16, FTW_PHYS);
		}
		fclose(listing);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
