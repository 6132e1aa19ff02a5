/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* BPF LSM backend. Probes before loading, so a host that lists `bpf` but
 * refuses trampolines gets the probe's reason, not a bare EPERM from load.
 * The links live as long as this process holds them: nothing is pinned. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bpfprof_event.h"
#include "kernel/kdev.h"
#include "respond/lsm.h"
#include "lsm.skel.h"
#include "kernel/probe.h"

struct lsm {
	struct lsm_bpf *skel;
	struct ring_buffer *rb;
	struct lsm_opts opts;
};

static int on_ring(void *ctx, void *data, size_t size)
{
	struct lsm *lsm = ctx;

	if (size >= sizeof(struct bp_lsm_event) && lsm->opts.on_denial)
		lsm->opts.on_denial(lsm->opts.ctx, data);
	return 0;
}

int lsm_open(const struct lsm_opts *opts, struct lsm **out, char *err, size_t errlen)
{
	struct lsm *lsm;
	char why[160];
	int ret;

	if (!probe_bpf_lsm(why, sizeof(why))) {
		snprintf(err, errlen, "BPF LSM is not usable here: %s", why);
		return -EOPNOTSUPP;
	}
	lsm = calloc(1, sizeof(*lsm));
	if (!lsm)
		return -ENOMEM;
	lsm->opts = *opts;
	lsm->skel = lsm_bpf__open();
	if (!lsm->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the LSM programs: %s", strerror(-ret));
		goto fail;
	}
	lsm->skel->rodata->allow_loopback = opts->net == SANDBOX_NET_LOOPBACK;
	ret = lsm_bpf__load(lsm->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the LSM programs: %s", strerror(-ret));
		goto fail;
	}
	ret = lsm_bpf__attach(lsm->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach the LSM programs: %s", strerror(-ret));
		goto fail;
	}
	lsm->rb = ring_buffer__new(bpf_map__fd(lsm->skel->maps.denials), on_ring, lsm, NULL);
	if (!lsm->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the denial ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = lsm;
	return 0;
fail:
	lsm_close(lsm);
	return ret;
}

void lsm_close(struct lsm *lsm)
{
	if (!lsm)
		return;
	ring_buffer__free(lsm->rb);
	lsm_bpf__destroy(lsm->skel);
	free(lsm);
}

int lsm_quarantine_file(struct lsm *lsm, uint64_t dev, uint64_t ino)
{
	struct bp_file_key key = { .dev = dev, .ino = ino };
	__u32 verdict = BP_VERDICT_DENY;

	if (bpf_map__update_elem(lsm->skel->maps.quarantined, &key, sizeof(key), &verdict,
				 sizeof(verdict), BPF_ANY))
		return -errno;
	return 0;
}

int lsm_quarantine_path(struct lsm *lsm, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return lsm_quarantine_file(lsm, kdev_from_dev(st.st_dev), st.st_ino);
}

int lsm_release_file(struct lsm *lsm, uint64_t dev, uint64_t ino)
{
	struct bp_file_key key = { .dev = dev, .ino = ino };

	if (bpf_map__delete_elem(lsm->skel->maps.quarantined, &key, sizeof(key), 0))
		return -errno;
	return 0;
}

int lsm_restrict_pid(struct lsm *lsm, pid_t pid)
{
	__u32 tgid = pid, how = 1;

	if (pid <= 0)
		return -EINVAL;
	if (kill(pid, 0) && errno == ESRCH) /* else a future process of that pid */
		return -ESRCH;
	if (bpf_map__update_elem(lsm->skel->maps.restricted, &tgid, sizeof(tgid), &how,
				 sizeof(how), BPF_ANY))
		return -errno;
	return 0;
}

bool lsm_restricts(const struct lsm *lsm, pid_t pid)
{
	__u32 tgid = pid, how;

	return !bpf_map__lookup_elem(lsm->skel->maps.restricted, &tgid, sizeof(tgid), &how,
				     sizeof(how), 0);
}

int lsm_poll(struct lsm *lsm)
{
	return ring_buffer__consume(lsm->rb);
}

uint64_t lsm_lost_reports(const struct lsm *lsm)
{
	return __atomic_load_n(&lsm->skel->bss->lost_reports, __ATOMIC_RELAXED);
}

const char *lsm_denial_name(uint32_t kind)
{
	switch (kind) {
	case BP_LSM_DENY_MMAP_EXEC: return "mmap_exec";
	case BP_LSM_DENY_MPROTECT_EXEC: return "mprotect_exec";
	case BP_LSM_DENY_EXEC: return "exec";
	case BP_LSM_DENY_CONNECT: return "connect";
	}
	return "unknown";
}
