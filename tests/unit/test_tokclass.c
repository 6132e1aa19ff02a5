/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Path and program classes shared by the decoder and the static prediction:
 * what is a persistence location, another process's memory, a shell or a
 * downloader, and what is not. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include "behaviors/tokclass.h"

Test(tokclass, persistence_locations_are_matched_by_place_not_by_word)
{
	static const char *const yes[] = {
		"/root/.ssh/authorized_keys", "/home/u/.ssh/authorized_keys2", "authorized_keys",
		"/etc/crontab", "/etc/cron.daily/x", "/var/spool/cron/crontabs/u",
		"/etc/systemd/system/a.service", "/usr/lib/systemd/system/b.timer",
		"/home/u/.config/systemd/user/c.service", "/etc/ld.so.preload",
		"/etc/ld.so.conf.d/x.conf", "/etc/profile.d/x.sh", "/home/u/.bashrc", ".profile",
		"/home/u/.zshrc", "/etc/sudoers", "/etc/sudoers.d/x", "/etc/init.d/x",
		"/etc/rc.local", "/etc/rc3.d/S01x", "/etc/xdg/autostart/x.desktop", "/etc/passwd",
	};
	static const char *const no[] = {
		"/etc/hosts", "/tmp/cron", "/home/u/notes/.bashrc.bak", "/etc/rc", "/etc/rc9.d/x",
		"/var/log/cron.log", "/etc/systemd/journald.conf", "/home/u/authorized_keys.txt",
		"/etc/passwd-",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		cr_expect(tokclass_is_persistence(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		cr_expect_not(tokclass_is_persistence(no[i]), "%s", no[i]);
}

Test(tokclass, only_another_process_memory_is_procmem)
{
	cr_expect(tokclass_is_procmem("/proc/1/mem", 0));
	cr_expect(tokclass_is_procmem("/proc/1/mem", 2));
	cr_expect(tokclass_is_procmem("/proc/10/task/11/mem", 2));
	cr_expect_not(tokclass_is_procmem("/proc/2/mem", 2));
	cr_expect_not(tokclass_is_procmem("/proc/self/mem", 0));
	cr_expect_not(tokclass_is_procmem("/proc/thread-self/mem", 0));
	cr_expect_not(tokclass_is_procmem("/proc/1/maps", 0));
	cr_expect_not(tokclass_is_procmem("/proc/1/memx", 0));
	cr_expect_not(tokclass_is_procmem("/proc/1/task/x/mem", 0));
	/* a pid printed at run time, as the static prediction sees a format */
	cr_expect(tokclass_is_procmem("/proc/%d/mem", 0));
	cr_expect(tokclass_is_procmem("/proc/%d/task/%d/mem", 0));
	cr_expect_str_eq(tokclass_open("/proc/1/mem", O_RDWR, 0), "openat:procmem");
	cr_expect_str_eq(tokclass_open("/proc/1/mem", O_RDONLY, 0), "openat:read");
}

Test(tokclass, opens_take_their_class_from_path_and_flags)
{
	cr_expect_str_eq(tokclass_open(NULL, O_RDONLY, 0), "openat:read");
	cr_expect_str_eq(tokclass_open(NULL, O_WRONLY | O_CREAT, 0), "openat:write");
	cr_expect_str_eq(tokclass_open("/etc/shadow", O_RDONLY, 0), "openat:cred");
	cr_expect_str_eq(tokclass_open("/etc/shadow", O_WRONLY, 0), "openat:persist");
	cr_expect_str_eq(tokclass_open("/dev/shm/x", O_RDWR, 0), "openat:write_tmp");
	cr_expect_str_eq(tokclass_open("/var/log/x", O_WRONLY | O_APPEND, 0), "openat:write");
	cr_expect_str_eq(tokclass_open("/etc/cron.d/x", O_RDONLY, 0), "openat:read");
}

Test(tokclass, credential_stores_and_another_process_environment_are_credentials)
{
	static const char *const yes[] = {
		"/root/.ssh/id_ed25519", "/home/u/.aws/credentials", "/home/u/.kube/config",
		"/home/u/.config/gcloud/credentials.db",
		"/home/u/.config/gcloud/application_default_credentials.json",
		"/home/u/.azure/msal_token_cache.json", "/root/.git-credentials",
		"/root/.bash_history", ".zsh_history",
	};
	/* the last four are read by the client libraries that use them
	 * (libcurl, libpq, client-go) right before they connect */
	static const char *const no[] = {
		"/home/u/.config/gcloud/configurations/config_default", "/etc/ssl/certs/ca.pem",
		"/home/u/.gitconfig", "/home/u/.git-credentials.bak", "/home/u/.netrc",
		"/home/u/.pgpass", "/var/run/secrets/kubernetes.io/serviceaccount/token",
		"/etc/ssl/private/server.key",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		cr_expect_str_eq(tokclass_open(yes[i], O_RDONLY, 0), "openat:cred", "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		cr_expect_str_eq(tokclass_open(no[i], O_RDONLY, 0), "openat:read", "%s", no[i]);
	cr_expect_str_eq(tokclass_open("/proc/1/environ", O_RDONLY, 7), "openat:cred");
	cr_expect_str_eq(tokclass_open("/proc/1/task/1/environ", O_RDONLY, 7), "openat:cred");
	cr_expect_str_eq(tokclass_open("/proc/%d/environ", O_RDONLY, 0), "openat:cred");
	cr_expect_str_eq(tokclass_open("/proc/7/environ", O_RDONLY, 7), "openat:read");
	cr_expect_str_eq(tokclass_open("/proc/self/environ", O_RDONLY, 7), "openat:read");
	cr_expect_str_eq(tokclass_open("/proc/1/environment", O_RDONLY, 7), "openat:read");
}

/* Emptied or deleted, a record of activity is wiped; appended to or
 * updated in place (sshd's wtmp and lastlog, rsyslog), it is only written;
 * what logrotate rotated is not a record any more. */
Test(tokclass, logs_are_wiped_when_emptied_or_deleted_not_when_written)
{
	static const char *const logs[] = {
		"/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog", "/run/utmp", "/var/log/auth.log",
		"/var/log/secure", "/var/log/syslog", "/var/log/audit/audit.log",
		"/var/log/nginx/access.log", "/var/log/apache2/error.log", "/root/.bash_history",
		"/home/u/.mysql_history", ".python_history",
	};
	static const char *const not_logs[] = {
		"/var/log/auth.log.1", "/var/log/syslog.2.gz", "/var/log/myapp/error.log",
		"/var/log/dpkg.log", "/tmp/wtmp", "/home/u/.bash_history.bak", "/var/log",
	};

	for (size_t i = 0; i < sizeof(logs) / sizeof(*logs); i++) {
		cr_expect_str_eq(tokclass_open(logs[i], O_WRONLY | O_TRUNC, 0), "openat:logwipe", "%s",
				 logs[i]);
		cr_expect_str_eq(tokclass_open(logs[i], O_WRONLY | O_CREAT | O_TRUNC, 0),
				 "openat:logwipe", "%s", logs[i]);
		cr_expect_str_eq(tokclass_unlink(logs[i]), "unlinkat:log", "%s", logs[i]);
		cr_expect_neq(strcmp(tokclass_open(logs[i], O_WRONLY | O_APPEND, 0), "openat:logwipe"),
			      0, "%s", logs[i]);
		cr_expect_neq(strcmp(tokclass_open(logs[i], O_RDWR, 0), "openat:logwipe"), 0, "%s",
			      logs[i]);
	}
	for (size_t i = 0; i < sizeof(not_logs) / sizeof(*not_logs); i++) {
		cr_expect_not(tokclass_is_log(not_logs[i]), "%s", not_logs[i]);
		cr_expect_str_eq(tokclass_unlink(not_logs[i]), "unlinkat", "%s", not_logs[i]);
	}
	cr_expect_str_eq(tokclass_unlink(NULL), "unlinkat");
	/* a history is also read for the passwords typed into it */
	cr_expect_str_eq(tokclass_open("/root/.bash_history", O_RDONLY, 0), "openat:cred");
}

Test(tokclass, shells_and_downloaders_by_base_name_and_busybox_applet)
{
	cr_expect_str_eq(tokclass_exec("/bin/sh", NULL), "execve:shell");
	cr_expect_str_eq(tokclass_exec("bash", NULL), "execve:shell");
	cr_expect_str_eq(tokclass_exec("/usr/bin/curl", NULL), "execve:downloader");
	cr_expect_str_eq(tokclass_exec("/usr/bin/socat", NULL), "execve:downloader");
	cr_expect_str_eq(tokclass_exec("/bin/busybox", "wget"), "execve:downloader");
	cr_expect_str_eq(tokclass_exec("/bin/busybox", "sh"), "execve:shell");
	cr_expect_str_eq(tokclass_exec("/bin/busybox", NULL), "execve");
	cr_expect_str_eq(tokclass_exec("/usr/bin/shash", NULL), "execve");
	cr_expect_str_eq(tokclass_exec("/usr/bin/ls", "wget"), "execve");
	cr_expect_str_eq(tokclass_exec(NULL, NULL), "execve");
}
