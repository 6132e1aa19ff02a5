/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The kernel/user contract: what bpf/profiler.bpf.c sends through the ring
 * buffer. Fixed-width types only, no logic; both sides include this file. */
#ifndef BPFPROF_EVENT_H
#define BPFPROF_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BP_STR_LEN 96        /* path / address bytes kept per call */
#define BP_PATH_LEN 256      /* the dlopen'ed path */
#define BP_LOOKBACK_MAX 32   /* ring slots per thread (K <= this) */
#define BP_COMM_LEN 16
#define BP_ARGS_LEN 128      /* the loader's argv, NUL-separated, as far as it fits */

/* Traced calls. The decoder turns (call, args) into a token name. */
enum bp_call {
	BP_CALL_NONE,
	BP_CALL_OPENAT, BP_CALL_UNLINKAT, BP_CALL_RENAMEAT2, BP_CALL_FCHMODAT, BP_CALL_FCHMOD,
	BP_CALL_MMAP, BP_CALL_MPROTECT, BP_CALL_MREMAP, BP_CALL_MEMFD_CREATE,
	BP_CALL_PROCESS_VM_WRITEV, BP_CALL_PTRACE,
	BP_CALL_SOCKET, BP_CALL_CONNECT, BP_CALL_BIND, BP_CALL_LISTEN, BP_CALL_ACCEPT4,
	BP_CALL_SENDTO, BP_CALL_SENDMSG, BP_CALL_RECVFROM,
	BP_CALL_DUP2, BP_CALL_DUP3, BP_CALL_PIPE2, BP_CALL_SHMGET, BP_CALL_SHMAT,
	BP_CALL_MSGSND, BP_CALL_KILL,
	BP_CALL_EXECVE, BP_CALL_EXECVEAT, BP_CALL_CLONE, BP_CALL_CLONE3, BP_CALL_EXIT_GROUP,
	BP_CALL_DLOPEN,
	BP_CALL_IO_URING_SETUP,
	BP_CALL__MAX,
};

/* bp_call_rec.flags */
#define BP_REC_FILE_MEMFD   0x1  /* mmap'ed fd is a memfd */
#define BP_REC_FILE_DELETED 0x2  /* mmap'ed fd's file is unlinked */
#define BP_REC_FILE         0x4  /* arg[2]/arg[3] carry the fd's dev/ino */
#define BP_REC_STR_TRUNC    0x8  /* str was cut to BP_STR_LEN */
#define BP_REC_SOCKET       0x10 /* dup2/dup3: the fd duplicated is a socket */
#define BP_REC_IO_URING     0x20 /* submitted through io_uring, not a system call */
#define BP_REC_CODE         0x40 /* code_* (and caller_* where found): whose code made it */

/* One traced call, as kept in the per-thread lookback ring and as sent.
 * arg[] meaning per call (decoder.c reads them):
 *   openat: flags, mode, dev, ino (BP_REC_FILE: the file an open for writing got)
 *   fchmodat/fchmod: mode, fd
 *   mmap: prot, flags | fd << 32, dev, ino
 *   mprotect (and pkey_mprotect): prot, len, dev, ino (BP_REC_FILE: a file's mapping)
 *   socket: family, type
 *   connect/bind: family, port (network order), ipv4 addr; str: unix path
 *   ptrace: request, pid       process_vm_writev/kill: pid, sig
 *   execveat: dirfd, flags     clone/clone3: flags
 *   dup2/dup3: oldfd, newfd    sendto/sendmsg/recvfrom: fd, len
 *   dlopen: flags              str: the path argument where there is one */
struct bp_call_rec {
	__u64 ts_ns;
	__u64 arg[4];
	__u16 call;
	__u16 flags;
	__u32 tid;
	char str[BP_STR_LEN];
	/* BP_REC_CODE, in the follow part of a window opened by a file's
	 * executable mapping: the file whose code made the system call (its
	 * instruction's mapping), and the first other file whose code is on
	 * the user stack above it (a libc wrapper's caller). 0: none. */
	__u64 code_ino, caller_ino;
	__u32 code_dev, caller_dev;
};

/* Whether the record's file (BP_REC_FILE) is code it maps: an executable
 * mapping, a mapping made executable, an exec'd image. An open for
 * writing names its file too, and loads nothing. */
static inline int bp_rec_maps_file(const struct bp_call_rec *r)
{
	return (r->flags & BP_REC_FILE) && (r->call == BP_CALL_MMAP ||
		r->call == BP_CALL_MPROTECT || r->call == BP_CALL_EXECVE);
}

enum bp_event_type {
	BP_EV_CALL = 1,      /* a call of a thread in a window or a traced process */
	BP_EV_WINDOW_OPEN,   /* pivot reached: dlopen entry or code loading outside it */
	BP_EV_DLOPEN_RET,    /* dlopen returned: load part ends, follow part begins */
	BP_EV_WINDOW_CLOSE,  /* follow part complete, timed out or thread exited */
	BP_EV_EXEC_RETIRED,  /* not sent: an exec'd image is a load (BP_PIVOT_EXEC_FILE) */
	BP_EV_GATE,          /* first executable mapping of a file without a cached verdict */
	BP_EV_CODE,          /* the first bytes of anonymous memory made executable */
};

/* Which part of a window a call belongs to. WATCH: a call of a thread or
 * process the loaded code created, for the watch horizon after it. */
enum bp_part { BP_PART_NONE, BP_PART_LOOKBACK, BP_PART_LOAD, BP_PART_FOLLOW, BP_PART_WATCH };

/* What opened the window. */
enum bp_pivot {
	BP_PIVOT_DLOPEN = 1,   /* dlopen/dlmopen uprobe */
	BP_PIVOT_EXEC_ANON,    /* mmap/mprotect PROT_EXEC of anonymous memory */
	BP_PIVOT_EXEC_MEMFD,   /* mmap PROT_EXEC of a memfd or deleted file */
	BP_PIVOT_EXECVEAT_FD,  /* execveat(fd, "", AT_EMPTY_PATH): fileless exec */
	BP_PIVOT_EXEC_FILE,    /* a file made executable outside dlopen: mmap/mprotect, the
				* loader's start-up mappings (LD_PRELOAD, DT_NEEDED), an exec'd binary */
	BP_PIVOT_INJECT,       /* another process wrote into this one (ptrace, /proc/PID/mem,
				* process_vm_writev): the window is the target's */
};

enum bp_close_reason {
	BP_CLOSE_FOLLOW_DONE = 1, /* M calls seen after return */
	BP_CLOSE_TIMEOUT,         /* T ms passed after return (seen at the next call) */
	BP_CLOSE_EXIT,            /* thread or process exited inside the window */
	BP_CLOSE_EXEC,            /* the process exec'ed inside the window */
	BP_CLOSE_NEXT_DLOPEN,     /* another dlopen began during the follow part */
	BP_CLOSE_NEXT_LOAD,       /* another object was made executable during the follow part */
};

struct bp_event_hdr {
	__u16 type;
	__u8 part;   /* enum bp_part, for BP_EV_CALL */
	__u8 pivot;  /* enum bp_pivot, for window events */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 lost;  /* window events: reservations that failed in this window so far */
	__u32 dropped; /* calls of this task the kernel did not send (past the watch bound) */
	__u32 pad;
	__u64 window_id; /* 0 when outside a window */
	__u64 ts_ns;
};

struct bp_ev_call {
	struct bp_event_hdr hdr;
	struct bp_call_rec rec;
};

struct bp_ev_window_open {
	struct bp_event_hdr hdr;
	__u32 nlookback;   /* valid entries in lookback[], oldest first */
	__u32 uid;         /* the loading thread's uid */
	__u64 flags;       /* dlopen flags */
	char comm[BP_COMM_LEN];
	char path[BP_PATH_LEN];
	/* who loaded it, as the kernel saw it at the load: a process that is
	 * gone by the time userspace judges still has an identity */
	__u64 cgroup_id;   /* cgroup v2 (0: unknown): container and unit */
	/* the window the loading task inherited and is watched for (its
	 * creator's loaded code); 0: none */
	__u64 watched_by;
	__u32 gid, euid, egid, ppid;
	__u32 args_len;    /* bytes of args used */
	char args[BP_ARGS_LEN];
	__u32 from_pid;    /* BP_PIVOT_INJECT: the injecting process and thread */
	__u32 from_tid;
	char from_comm[BP_COMM_LEN];
	struct bp_call_rec pivot_rec;  /* the call that opened a non-dlopen window */
	struct bp_call_rec lookback[BP_LOOKBACK_MAX];
};

struct bp_ev_dlopen_ret {
	struct bp_event_hdr hdr;
	__u64 handle;  /* 0: the load failed */
};

struct bp_ev_window_close {
	struct bp_event_hdr hdr;
	__u32 reason;  /* enum bp_close_reason */
	__u32 nload;
	__u32 nfollow;
	__u32 pad;
};

/* What the gate did with a file (the verdict cache's values). */
enum bp_gate_action {
	BP_GATE_STOPPED = 1,  /* cache miss: the process was sent SIGSTOP */
	BP_GATE_ALLOWED,      /* cache hit, allowed: not stopped */
	BP_GATE_KILLED,       /* cache hit, quarantined: SIGKILL */
};

/* Device numbers travel in the kernel's internal encoding (super_block's
 * s_dev: major << BP_KDEV_MINOR_BITS | minor), as the BPF side reads them;
 * userspace converts with user/kernel/kdev.h. */
#define BP_KDEV_MINOR_BITS 20

/* Kernel-side verdict cache, keyed by the mapped file. */
struct bp_file_key {
	__u64 dev;
	__u64 ino;
};

/* What the file's content was when judged: a cached verdict holds only
 * while the inode still shows the same change time, size and (where the
 * file system keeps one, else 0) change counter. */
struct bp_file_marker {
	__s64 ctime_sec;
	__u32 ctime_nsec;
	__u32 pad;
	__u64 size;
	__u64 i_version;
};

#define BP_VERDICT_ALLOW 1
#define BP_VERDICT_DENY 2

/* A verdict cache value. */
struct bp_verdict {
	__u32 verdict;   /* BP_VERDICT_* */
	__u32 pad;
	struct bp_file_marker marker;
};

struct bp_ev_gate {
	struct bp_event_hdr hdr;
	__s32 fd;      /* the loader's fd: /proc/PID/fd/FD is the file being mapped */
	__u32 action;  /* enum bp_gate_action */
	struct bp_file_key file;
	__u32 file_flags; /* BP_REC_FILE_* */
	__u32 pad;
	struct bp_file_marker marker; /* the file as it was mapped */
};

/* Anonymous memory made executable has no file to read later, and a
 * short-lived process takes it (and its mapped files) with it: the first
 * page is copied when mprotect makes memory executable (a stager's code
 * fits; a JIT region is judged by its start). */
#define BP_CODE_MAX 4096
struct bp_ev_code {
	struct bp_event_hdr hdr;
	__u64 addr;
	__u32 len;     /* bytes in code[] */
	__u32 pad;
	__u8 code[BP_CODE_MAX];
};

/* Per-CPU counters (the `stats` map), summed by userspace. */
struct bp_stats {
	__u64 calls_seen;      /* calls recorded in lookback rings */
	__u64 events_sent;
	__u64 events_lost;     /* failed ring buffer reservations */
	__u64 windows_opened;
	__u64 windows_closed;
	__u64 windows_lossy;   /* windows that lost at least one event */
	__u64 wakeups;
	__u64 gate_stops;
	__u64 gate_cache_hits;
	__u64 calls_dropped;   /* calls of watched tasks past the bound, not sent */
	__u64 loads_cached;    /* executable mappings of files judged before: no window */
	__u64 injections;      /* windows opened in another process by an injection */
};

#endif
