/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Process injection the way public tools do it (linux-inject, mandibule,
 * the /proc/PID/mem trick of dlinject): no cooperation from the victim
 * beyond being an ordinary sleeping process with a JIT page. */
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pid_t scn_victim_pid(void)
{
	const char *v = getenv("SCENARIO_VICTIM_PID");

	return v ? (pid_t)atoi(v) : 0;
}

int scn_wait_exit(pid_t pid, int ms)
{
	int fd = syscall(SYS_pidfd_open, pid, 0), ret;
	struct pollfd p;

	if (fd < 0)
		return errno == ESRCH ? 0 : -errno;
	p.fd = fd;
	p.events = POLLIN;
	ret = poll(&p, 1, ms) == 1 ? 0 : -ETIMEDOUT;
	close(fd);
	return ret;
}

int scn_inject_ptrace(pid_t pid, const unsigned char *code, size_t len, size_t code_len)
{
	struct user_regs_struct regs;
	unsigned long addr;
	int status, err = 0;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		return -errno;
	if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
		err = -ECHILD;
		goto detach;
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs)) {
		err = -errno;
		goto detach;
	}
	addr = regs.rip;
	for (size_t off = 0; off < len; off += sizeof(long)) {
		long word = 0;

		if (len - off < sizeof(long)) {
			errno = 0;
			word = ptrace(PTRACE_PEEKTEXT, pid, (void *)(addr + off), NULL);
			if (errno) {
				err = -errno;
				goto detach;
			}
		}
		memcpy(&word, code + off, len - off < sizeof(long) ? len - off : sizeof(long));
		if (ptrace(off < code_len ? PTRACE_POKETEXT : PTRACE_POKEDATA, pid,
			   (void *)(addr + off), (void *)word)) {
			err = -errno;
			goto detach;
		}
	}
	/* skip the two nops; no syscall restart, which would rewind the pc */
	regs.rip = addr + 2;
	regs.orig_rax = -1;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs))
		err = -errno;
detach:
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return err;
}

/* the first private anonymous mapping that is writable and executable */
static int find_rwx(pid_t pid, unsigned long *addr, unsigned long *size)
{
	char path[64], line[512];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		char perms[8];
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %n", &lo, &hi, perms, &ino, &n) < 4)
			continue;
		if (!strcmp(perms, "rwxp") && !ino && (!line[n] || line[n] == '\n')) {
			*addr = lo;
			*size = hi - lo;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int scn_inject_vm_writev(pid_t pid, const unsigned char *code, size_t len)
{
	unsigned long addr, size;
	struct iovec local = { (void *)code, len }, remote;
	int err = find_rwx(pid, &addr, &size);

	if (err)
		return err;
	if (size < len)
		return -ENOSPC;
	remote.iov_base = (void *)addr;
	remote.iov_len = len;
	return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -errno;
}

/* the pc of a victim blocked in a syscall: the last field of /proc/PID/syscall */
static int sleeping_pc(pid_t pid, unsigned long *pc)
{
	char path[64], buf[512], *last;
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int tries = 0; tries < 300; tries++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			last = strrchr(buf, ' ');
			if (buf[0] >= '0' && buf[0] <= '9' && last) {
				*pc = strtoul(last + 1, NULL, 16);
				return *pc ? 0 : -EINVAL;
			}
		}
		nanosleep(&ms10, NULL); /* "running": try again */
	}
	return -EBUSY;
}

int scn_inject_procmem(pid_t pid, const unsigned char *code, size_t len)
{
	char path[64];
	unsigned long pc = 0;
	int fd, err = sleeping_pc(pid, &pc);

	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = pwrite(fd, code, len, (off_t)pc) == (ssize_t)len ? 0 : -errno;
	close(fd);
	return err;
}

int scn_inject_run(enum scn_inject_method method, pid_t victim, const unsigned char *code,
		   size_t len, size_t code_len)
{
	int err;

	switch (method) {
	case SCN_BY_PTRACE:
		err = scn_inject_ptrace(victim, code, len, code_len);
		break;
	case SCN_BY_VM_WRITEV:
		err = scn_inject_vm_writev(victim, code, len);
		break;
	default:
		err = scn_inject_procmem(victim, code, len);
		break;
	}
	if (!err)
		err = scn_wait_exit(victim, 3000);
	if (err)
		fprintf(stderr, "inject: %s\n", strerror(-err));
	return err;
}
