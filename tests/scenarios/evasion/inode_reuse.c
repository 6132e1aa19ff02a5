/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_inode_reuse HARMLESS EVIL: installs HARMLESS as a plugin
 * (SCENARIO_WORK_DIR/libplugin-PID.so), dlopens and dlcloses it, then
 * rewrites the same file in place (same device and inode: O_TRUNC and
 * write, no rename) with EVIL's bytes and dlopens it again. A verdict cache
 * keyed by device+inode alone allows the second load unjudged.
 * ATT&CK: T1574 Hijack Execution Flow (a trusted plugin file replaced).
 * Proof: EVIL (libscn_stage.so) writes NAME.ran and NAME.done. Exit 4 when
 * the inode changed (the scenario would prove nothing). */
#include <dlfcn.h>
#include <sys/stat.h>

#include "scn.h"

int main(int argc, char **argv)
{
	const char *work = getenv("SCENARIO_WORK_DIR") ? getenv("SCENARIO_WORK_DIR") : "/tmp";
	struct stat before, after;
	char path[512];
	void *h;

	if (argc != 3) {
		fprintf(stderr, "usage: scn_ev_inode_reuse HARMLESS EVIL\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/libplugin-%d.so", work, (int)getpid());
	if (scn_copy_file(argv[1], path, 0755) || stat(path, &before))
		return 1;
	h = dlopen(path, RTLD_NOW);
	fprintf(stderr, "inode_reuse: first load %s\n", h ? "ok" : dlerror());
	if (!h || dlclose(h))
		return 1;
	if (scn_copy_file(argv[2], path, 0755) || stat(path, &after))
		return 1;
	if (before.st_dev != after.st_dev || before.st_ino != after.st_ino)
		return 4;
	h = dlopen(path, RTLD_NOW);
	fprintf(stderr, "inode_reuse: second load %s\n", h ? "ok" : dlerror());
	unlink(path);
	return h ? 0 : 3;
}
