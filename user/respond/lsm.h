/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The BPF LSM backend (bpf/lsm.bpf.c): quarantine a file (no executable
 * mapping, no exec: the process gets EPERM and lives on) and restrict a
 * process's network, with a report per denial. Only where probe_bpf_lsm()
 * says BPF LSM is usable; elsewhere lsm_open fails with -EOPNOTSUPP and the
 * caller falls back to cgroup BPF and signals. Nothing is pinned: closing
 * (or dying) lifts every quarantine and restriction. */
#ifndef BPFPROF_LSM_H
#define BPFPROF_LSM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include "bpfprof_lsm.h"
#include "respond/sandbox.h"

struct lsm_opts {
	enum sandbox_net net;   /* what a restricted process keeps: nothing, or loopback */
	/* called for each denial the kernel reports (may be NULL) */
	void (*on_denial)(void *ctx, const struct bp_lsm_event *e);
	void *ctx;
};

struct lsm;

/* -EOPNOTSUPP (with probe's reason in err) where BPF LSM is not usable. */
int lsm_open(const struct lsm_opts *opts, struct lsm **out, char *err, size_t errlen);
void lsm_close(struct lsm *lsm);
/* dev in the kernel's encoding (kernel/kdev.h), as in bp_file_key and
 * window.file_dev. */
int lsm_quarantine_file(struct lsm *lsm, uint64_t dev, uint64_t ino);
/* Quarantines the file path names now (stat, following links). */
int lsm_quarantine_path(struct lsm *lsm, const char *path);
/* Lifts a quarantine; -ENOENT if the file was not quarantined. */
int lsm_release_file(struct lsm *lsm, uint64_t dev, uint64_t ino);
/* The whole process and the children it forks from now on lose connect. */
int lsm_restrict_pid(struct lsm *lsm, pid_t pid);
/* Whether pid is in the restricted set now (restricted or born of one). */
bool lsm_restricts(const struct lsm *lsm, pid_t pid);
/* Hands pending denial records to on_denial; returns how many. */
int lsm_poll(struct lsm *lsm);
/* Denials the kernel could not report (ring buffer full). */
uint64_t lsm_lost_reports(const struct lsm *lsm);
/* "mmap_exec", "mprotect_exec", "exec", "connect". */
const char *lsm_denial_name(uint32_t kind);

#endif
