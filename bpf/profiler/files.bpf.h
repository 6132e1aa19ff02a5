/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Files behind the calls: which file an fd or a mapping is, whether its
 * content is still the content that was judged, and the gate. The verdict
 * cache is keyed by device and inode and holds the change time, size and
 * change counter seen when the file was judged: a file rewritten in place
 * (same inode) is a new object, and an open for writing drops its entry. */
#ifndef BPFPROF_PROFILER_FILES_H
#define BPFPROF_PROFILER_FILES_H

/* ctime's home moved twice: i_ctime (< 6.6), __i_ctime (6.6 - 6.10),
 * i_ctime_sec/i_ctime_nsec (6.11+) */
struct inode___ctime_split {
	time64_t i_ctime_sec;
	u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

struct inode___ctime_private {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___ctime_plain {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

/* 6.13+ multigrain timestamps keep a "queried" flag in ctime's nsec. */
#define CTIME_NSEC_MASK	0x3fffffff

static __always_inline void file_marker(struct inode *inode, struct bp_file_marker *m)
{
	if (bpf_core_field_exists(struct inode___ctime_split, i_ctime_sec)) {
		struct inode___ctime_split *i = (void *)inode;

		m->ctime_sec = BPF_CORE_READ(i, i_ctime_sec);
		m->ctime_nsec = BPF_CORE_READ(i, i_ctime_nsec) & CTIME_NSEC_MASK;
	} else if (bpf_core_field_exists(struct inode___ctime_private, __i_ctime)) {
		struct inode___ctime_private *i = (void *)inode;

		m->ctime_sec = BPF_CORE_READ(i, __i_ctime.tv_sec);
		m->ctime_nsec = BPF_CORE_READ(i, __i_ctime.tv_nsec);
	} else {
		struct inode___ctime_plain *i = (void *)inode;

		m->ctime_sec = BPF_CORE_READ(i, i_ctime.tv_sec);
		m->ctime_nsec = BPF_CORE_READ(i, i_ctime.tv_nsec);
	}
	m->pad = 0;
	m->size = BPF_CORE_READ(inode, i_size);
	/* bit 0 only says someone asked for the counter: not a change */
	m->i_version = (__u64)BPF_CORE_READ(inode, i_version.counter) >> 1;
}

static __always_inline void file_key(struct inode *inode, struct bp_file_key *key)
{
	key->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->ino = BPF_CORE_READ(inode, i_ino);
}

static __always_inline bool marker_holds(const struct bp_file_marker *judged,
					 const struct bp_file_marker *now)
{
	return judged->ctime_sec == now->ctime_sec && judged->ctime_nsec == now->ctime_nsec &&
	       judged->size == now->size &&
	       (!judged->i_version || judged->i_version == now->i_version);
}

/* The cached verdict for the file as it is now (0: none). An entry whose
 * marker no longer holds was judged for other bytes: dropped. */
static __always_inline __u32 cached_verdict(const struct bp_file_key *key,
					    const struct bp_file_marker *now)
{
	struct bp_verdict *v = bpf_map_lookup_elem(&verdict_cache, key);

	if (!v)
		return 0;
	if (marker_holds(&v->marker, now))
		return v->verdict;
	bpf_map_delete_elem(&verdict_cache, key);
	return 0;
}

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/* Fills dev/ino and memfd/deleted flags of a file into a record. */
static __always_inline void describe_file(struct bp_call_rec *rec, struct file *f)
{
	struct dentry *d;
	char name[7] = {};

	if (!f)
		return;
	rec->flags |= BP_REC_FILE;
	rec->arg[2] = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	rec->arg[3] = BPF_CORE_READ(f, f_inode, i_ino);
	d = BPF_CORE_READ(f, f_path.dentry);
	if (!BPF_CORE_READ(d, d_hash.pprev))
		rec->flags |= BP_REC_FILE_DELETED;
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	    name[4] == 'd' && name[5] == ':')
		rec->flags |= BP_REC_FILE_MEMFD;
}

static __always_inline void describe_fd(struct bp_call_rec *rec, int fd)
{
	describe_file(rec, fd_file(fd));
}

/* Stop the current process and tell userspace: the process holds when
 * the call returns, before any code it just made executable can run.
 * key, marker: the file as it was mapped; NULL for anonymous code. */
static __always_inline void gate_stop(struct task_state *st, const struct bp_file_key *key,
				      const struct bp_file_marker *marker, __u32 file_flags,
				      int fd, __u32 action)
{
	struct bp_stats *s = cpu_stats();
	struct bp_ev_gate *e = reserve(sizeof(*e), st);

	if (!e) {
		/* never stop a process userspace will not hear of: the window is
		 * already uncertain (a lost event), so its verdict escalates */
		if (action == BP_GATE_KILLED)
			bpf_send_signal(SIGKILL);
		return;
	}
	bpf_send_signal(action == BP_GATE_KILLED ? SIGKILL : SIGSTOP);
	if (s && action == BP_GATE_STOPPED)
		s->gate_stops++;
	fill_hdr(&e->hdr, BP_EV_GATE, st);
	e->fd = fd;
	e->action = action;
	e->file_flags = file_flags;
	e->pad = 0;
	if (key && marker) {
		e->file = *key;
		e->marker = *marker;
	} else {
		__builtin_memset(&e->file, 0, sizeof(e->file));
		__builtin_memset(&e->marker, 0, sizeof(e->marker));
	}
	submit(e, true);
}

/* The gate: the first executable mapping of code without a cached
 * verdict is the last moment before it can run (inside dlopen the
 * constructors run after all mappings and relocations; outside it the
 * code runs once the call returns). The process is stopped when the call
 * returns; userspace judges the file's exact bytes through /proc/PID/fd/N
 * or the mapping and resumes or kills it. key, now, cached: the file as
 * mapped and what the verdict cache said of it (nothing, or DENY: killed
 * outright); NULL key: no file. fd < 0: no fd (a file mapping made
 * executable, an exec'd binary). */
static __always_inline void gate(struct task_state *st, const struct bp_file_key *key,
				 const struct bp_file_marker *now, __u32 cached, __u32 file_flags,
				 int fd)
{
	struct bp_stats *s = cpu_stats();

	if (!gate_enabled || !key)
		return;
	if (s && cached)
		s->gate_cache_hits++;
	gate_stop(st, key, now, file_flags, fd,
		  cached == BP_VERDICT_DENY ? BP_GATE_KILLED : BP_GATE_STOPPED);
}

#endif
