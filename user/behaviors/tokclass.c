/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Path and program classes behind the file and exec tokens. The lists are
 * the well-known places and tools that attack techniques use (docs/
 * database.md gives the ATT&CK ids); they are matched on the path as the
 * caller wrote it, so a relative path still matches by its base name. Keep
 * them short and sure: every entry turns ordinary calls into alarming ones. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "behaviors/tokclass.h"
#include "lib/util.h"

#define N(a) (sizeof(a) / sizeof(*(a)))

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool any_prefix(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (has_prefix(s, list[i]))
			return true;
	return false;
}

static bool any_inside(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(s, list[i]))
			return true;
	return false;
}

bool tokclass_is_tmp(const char *p)
{
	static const char *const dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };

	return any_prefix(p, dirs, N(dirs));
}

/* The command histories of shells: what was typed, passwords included
 * (T1552.003), and what an intruder empties behind itself (T1070.003). */
static const char *const shell_histories[] = { ".bash_history", ".zsh_history", ".sh_history",
					       ".ash_history", ".history" };

/* Files whose reading is a step of credential theft (T1552.001, T1552.003,
 * T1552.004, T1528): password hashes, keys, shell histories, and the token
 * stores of the cloud and source-hosting clients that stealers of server
 * credentials collect. Not the stores a native client library reads by
 * itself right before it connects (libcurl and wget ~/.netrc, libpq
 * ~/.pgpass, a pod's service-account token, vault's token, a server's TLS
 * keys): a git fetch read ~/.netrc inside libcurl and connected, medium on
 * sequence alone. */
bool tokclass_is_credential(const char *p)
{
	static const char *const exact[] = { "/etc/shadow", "/etc/gshadow", "/etc/sudoers",
					     "/etc/master.passwd" };
	static const char *const inside[] = {
		"/.ssh/", "/.gnupg/", "/.aws/credentials", "/.docker/config.json", "/.kube/config",
		"/.config/gcloud/credentials.db", "/.config/gcloud/access_tokens.db",
		"/.config/gcloud/application_default_credentials.json", "/.azure/",
	};
	static const char *const names[] = { ".git-credentials" };

	return util_in_list(p, exact, N(exact)) || any_inside(p, inside, N(inside)) ||
	       util_in_list(util_base_name(p), names, N(names)) ||
	       util_in_list(util_base_name(p), shell_histories, N(shell_histories));
}

/* Records of what was done and who logged in, whose clearing hides an
 * intrusion (T1070.002, T1070.003): login records, the system and
 * authentication logs, web servers' logs (what a web shell leaves), the
 * command histories of shells and clients. The current files only:
 * logrotate deletes what it rotated (auth.log.1, syslog.2.gz) itself. */
bool tokclass_is_log(const char *p)
{
	static const char *const records[] = {
		"/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog", "/var/log/faillog",
		"/var/run/utmp", "/run/utmp", "/var/log/auth.log", "/var/log/secure",
		"/var/log/syslog", "/var/log/messages", "/var/log/kern.log", "/var/log/daemon.log",
		"/var/log/user.log", "/var/log/cron", "/var/log/cron.log", "/var/log/maillog",
		"/var/log/mail.log", "/var/log/audit/audit.log",
	};
	static const char *const web_dirs[] = { "/var/log/apache2/", "/var/log/httpd/",
						"/var/log/nginx/" };
	static const char *const web[] = { "access.log", "error.log", "access_log", "error_log" };
	static const char *const clients[] = { ".mysql_history", ".psql_history", ".python_history",
					       ".sqlite_history", ".node_repl_history",
					       ".rediscli_history" };
	const char *b = util_base_name(p);

	return util_in_list(p, records, N(records)) ||
	       (any_prefix(p, web_dirs, N(web_dirs)) && util_in_list(b, web, N(web))) ||
	       util_in_list(b, shell_histories, N(shell_histories)) ||
	       util_in_list(b, clients, N(clients));
}

/* Places whose writing makes code run again later or grants access:
 * T1098.004 (authorized_keys), T1053.003 (cron), T1543.002 (systemd),
 * T1574.006 (ld.so.preload), T1546.004 (shell rc), T1548.003 (sudoers),
 * T1037.004 (rc scripts), T1547.013 (XDG autostart), T1136.001 (accounts). */
bool tokclass_is_persistence(const char *p)
{
	static const char *const prefixes[] = {
		"/etc/cron", "/var/spool/cron/", "/etc/anacrontab",
		"/etc/systemd/system/", "/etc/systemd/user/", "/lib/systemd/system/",
		"/lib/systemd/user/", "/usr/lib/systemd/system/", "/usr/lib/systemd/user/",
		"/run/systemd/system/",
		"/etc/ld.so.preload", "/etc/ld.so.conf",
		"/etc/profile", "/etc/bash.bashrc", "/etc/bashrc", "/etc/zsh", "/etc/environment",
		"/etc/sudoers", "/etc/init.d/", "/etc/init/", "/etc/rc.local", "/etc/rc.d/",
		"/etc/xdg/autostart/", "/etc/update-motd.d/",
	};
	static const char *const inside[] = { "/.config/systemd/user/", "/.config/autostart/" };
	static const char *const accounts[] = { "/etc/passwd", "/etc/shadow", "/etc/group",
						"/etc/gshadow" };
	static const char *const names[] = {
		"authorized_keys", "authorized_keys2", ".bashrc", ".bash_profile", ".bash_login",
		".bash_logout", ".profile", ".zshrc", ".zshenv", ".zprofile", ".zlogin",
		".cshrc", ".tcshrc",
	};

	/* /etc/rc0.d/ .. /etc/rc6.d/, /etc/rcS.d/ */
	if (has_prefix(p, "/etc/rc") && p[7] && strchr("0123456S", p[7]) && !strncmp(p + 8, ".d/", 3))
		return true;
	return any_prefix(p, prefixes, N(prefixes)) || any_inside(p, inside, N(inside)) ||
	       util_in_list(p, accounts, N(accounts)) ||
	       util_in_list(util_base_name(p), names, N(names));
}

/* A pid printed at run time ("/proc/%d/mem" in the static prediction) */
#define PID_UNKNOWN ((unsigned long)-1)

/* Digits up to the next '/', as a pid; 0 when not a number. A printf
 * conversion stands for a pid not known before the call: some pid. */
static unsigned long pid_component(const char *s, const char **end)
{
	static const char *const conv[] = { "%d", "%u", "%i", "%ld", "%lu", "%s" };
	unsigned long v = 0;

	for (size_t i = 0; i < N(conv); i++)
		if (has_prefix(s, conv[i]) && s[strlen(conv[i])] == '/') {
			*end = s + strlen(conv[i]);
			return PID_UNKNOWN;
		}
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long)(*s++ - '0');
	*end = s;
	return *s == '/' ? v : 0;
}

/* /proc/<pid>/NAME or /proc/<pid>/task/<tid>/NAME of a pid other than
 * self_pid (self, thread-self and the caller's own pid are its own) */
static bool other_proc_file(const char *p, unsigned long self_pid, const char *name)
{
	const char *s;
	unsigned long pid;

	if (!has_prefix(p, "/proc/"))
		return false;
	pid = pid_component(p + 6, &s);
	if (!pid || (self_pid && pid == self_pid))
		return false;
	if (*s == '/' && !strcmp(s + 1, name))
		return true;
	if (!has_prefix(s, "/task/") || !pid_component(s + 6, &s))
		return false;
	return *s == '/' && !strcmp(s + 1, name);
}

bool tokclass_is_procmem(const char *p, unsigned long self_pid)
{
	return other_proc_file(p, self_pid, "mem");
}

/* Another process's environment: the secrets services are given in
 * variables (T1552.001 read from /proc/PID/environ) */
static bool is_other_environ(const char *p, unsigned long self_pid)
{
	return other_proc_file(p, self_pid, "environ");
}

const char *tokclass_open(const char *path, unsigned long flags, unsigned long self_pid)
{
	bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));

	if (!path || !*path)
		return write ? "openat:write" : "openat:read";
	if (write) {
		if (tokclass_is_procmem(path, self_pid))
			return "openat:procmem";
		/* logs are written all the time, appended to or updated in
		 * place (wtmp, lastlog): emptied, they are wiped */
		if ((flags & O_TRUNC) && tokclass_is_log(path))
			return "openat:logwipe";
		if (tokclass_is_persistence(path))
			return "openat:persist";
		return tokclass_is_tmp(path) ? "openat:write_tmp" : "openat:write";
	}
	return tokclass_is_credential(path) || is_other_environ(path, self_pid) ? "openat:cred"
									       : "openat:read";
}

const char *tokclass_unlink(const char *path)
{
	return path && tokclass_is_log(path) ? "unlinkat:log" : "unlinkat";
}

bool tokclass_is_shell(const char *path)
{
	static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh",
					      "pdksh", "csh", "tcsh", "fish", "ash", "rbash",
					      "yash" };

	return util_in_list(util_base_name(path), shells, N(shells));
}

bool tokclass_is_downloader(const char *path)
{
	static const char *const tools[] = { "curl", "wget", "wget2", "nc", "ncat", "netcat",
					     "nc.traditional", "nc.openbsd", "socat", "tftp",
					     "ftp", "lftp", "telnet", "aria2c", "axel",
					     "lwp-download" };

	return util_in_list(util_base_name(path), tools, N(tools));
}

const char *tokclass_exec(const char *path, const char *argv1)
{
	static const char *const multicall[] = { "busybox", "toybox" };

	if (!path)
		return "execve";
	if (argv1 && util_in_list(util_base_name(path), multicall, N(multicall)))
		path = argv1;
	if (tokclass_is_shell(path))
		return "execve:shell";
	return tokclass_is_downloader(path) ? "execve:downloader" : "execve";
}
