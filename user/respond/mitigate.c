/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The ladder. Backends are created on first use (a run that never sees a
 * medium verdict never makes a cgroup). A backend that fails degrades the
 * action and says so in the mitigation's detail; it never aborts the run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <jansson.h>
#include "respond/alert.h"
#include "lib/log.h"
#include "respond/lsm.h"
#include "pipeline/objfile.h"
#include "respond/mitigate.h"
#include "lib/util.h"
#include "respond/webhook.h"
#include "lib/jsonout.h"
#include "score/pkgindex.h"

static const char process_gone[] = "the process exited before it could be confined";

struct mitigate {
	struct mitigate_opts opts;
	struct sandbox *sandbox;
	struct hooks *hooks;
	struct webhook *webhook;
	struct lsm *lsm;             /* where BPF LSM is usable: files denied for good */
	bool sandbox_failed, hooks_failed;
};

int mitigate_open(const struct mitigate_opts *opts, struct mitigate **out, char *err, size_t errlen)
{
	struct mitigate *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return -ENOMEM;
	m->opts = *opts;
	if (opts->act) {
		char why[256];
		struct lsm_opts lo = { .net = opts->net };

		/* the strongest backend where the kernel has it (probe), else signals */
		if (lsm_open(&lo, &m->lsm, why, sizeof(why)))
			log_info("quarantine without BPF LSM: %s", why);
	}
	if (opts->webhook_url) {
		ret = webhook_open(opts->webhook_url, opts->outbox, &m->webhook, err, errlen);
		if (ret) {
			free(m);
			return ret;
		}
	}
	*out = m;
	return 0;
}

void mitigate_close(struct mitigate *m)
{
	if (!m)
		return;
	mitigate_poll(m);
	webhook_close(m->webhook, 3000); /* the rest waits in the outbox */
	lsm_close(m->lsm);
	hooks_close(m->hooks);
	sandbox_close(m->sandbox);
	free(m);
}

void mitigate_poll(struct mitigate *m)
{
	if (m->hooks)
		hooks_poll(m->hooks);
	if (m->sandbox)
		sandbox_poll(m->sandbox);
	if (m->lsm)
		lsm_poll(m->lsm);
}

/* Keeps the first failure: it is usually the cause of the later ones. */
static void first_failure(char *err, size_t len, const char *what, const char *why)
{
	if (!err[0])
		snprintf(err, len, "%s: %s", what, why);
}

/* Processes a window's code started that a verdict also acts on. */
#define WATCHED_PIDS_MAX 64

static bool is_gone(int ret)
{
	return ret == -ENOENT || ret == -ESRCH;
}

static void medium(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		   struct mitigation *out)
{
	char err[256] = "", why[200];
	const char *funcs[32];
	size_t nfuncs = scorer_result_flagged_exports(r, funcs, 32);
	bool hooked = false, confined = false, gone = false;
	int ret;

	if (!m->hooks && !m->hooks_failed) {
		struct hooks_opts ho = { .block = m->opts.block, .on_call = m->opts.on_hook,
					 .ctx = m->opts.ctx };

		m->hooks_failed = hooks_open(&ho, &m->hooks, why, sizeof(why)) != 0;
		if (m->hooks_failed)
			first_failure(err, sizeof(err), "hooks", why);
	}
	if (m->hooks) {
		ret = hooks_watch(m->hooks, w->pid, w->file_path[0] ? w->file_path : NULL, funcs, nfuncs);
		hooked = ret > 0 || hooks_watching(m->hooks, w->pid);
		gone |= is_gone(ret);
		if (ret < 0 && !is_gone(ret))
			first_failure(err, sizeof(err), "hooks", strerror(-ret));
	}
	if (!m->sandbox && !m->sandbox_failed) {
		struct sandbox_opts so = { .net = m->opts.net, .on_denial = m->opts.on_denial,
					   .ctx = m->opts.ctx };

		m->sandbox_failed = sandbox_open(&so, &m->sandbox, why, sizeof(why)) != 0;
		if (m->sandbox_failed)
			first_failure(err, sizeof(err), "sandbox", why);
	}
	if (m->sandbox) {
		uint32_t pids[WATCHED_PIDS_MAX];
		size_t n = window_watched_pids(w, pids, WATCHED_PIDS_MAX);

		ret = sandbox_confine(m->sandbox, w->pid);
		confined = ret == 0;
		gone |= is_gone(ret);
		if (ret && !is_gone(ret))
			first_failure(err, sizeof(err), "sandbox", strerror(-ret));
		/* the processes its code started were forked before the move */
		for (size_t i = 0; i < n; i++)
			if ((ret = sandbox_confine(m->sandbox, (pid_t)pids[i])) && !is_gone(ret))
				first_failure(err, sizeof(err), "sandbox", strerror(-ret));
	}
	out->action = hooked && confined ? MITIGATE_HOOK_CONFINE : hooked ? MITIGATE_HOOK :
		      confined ? MITIGATE_CONFINE : MITIGATE_ALLOW;
	out->backends = (hooked ? MITIGATE_BY_UPROBE : 0) | (confined ? MITIGATE_BY_CGROUP_BPF : 0);
	out->failed = err[0] != '\0';
	snprintf(out->detail, sizeof(out->detail), "%s", err[0] ? err : gone ? process_gone : "");
}

/* Moves the object aside with a note of what it was; the loader's mapping
 * (if any) keeps working, later loads find nothing. */
static void move_aside(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		       struct mitigation *out)
{
	const char *sha = r->sha256_hex[0] ? r->sha256_hex : NULL;
	const char *src = w->file_path[0] == '/' ? w->file_path : w->path[0] == '/' ? w->path : NULL;
	char dst[512], meta[520];
	json_t *note;

	if (!m->opts.quarantine_dir || !src)
		return;
	mkdir(m->opts.quarantine_dir, 0700);
	snprintf(dst, sizeof(dst), "%s/%s", m->opts.quarantine_dir, sha ? sha : "unknown");
	if (rename(src, dst)) {
		snprintf(out->detail, sizeof(out->detail), "cannot move %.100s to %.100s: %s", src, dst,
			 strerror(errno));
		out->failed = true;
		return;
	}
	chmod(dst, 0400);
	snprintf(meta, sizeof(meta), "%s.json", dst);
	note = json_pack("{s:s, s:I, s:s, s:s*}", "original_path", src, "pid", (json_int_t)w->pid,
			 "comm", w->comm, "sha256", sha);
	if (!note || json_dump_file(note, meta, JSONOUT_FLAGS))
		log_warn("cannot write %s", meta);
	json_decref(note);
}

static void alert(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		  struct mitigation *out)
{
	json_t *a;

	if (!m->opts.alert_log && !m->webhook)
		return;
	a = alert_build(w, r, out);
	if (!a)
		return;
	if (m->opts.alert_log && alert_log_append(m->opts.alert_log, a) == 0)
		out->alerted = true;
	if (m->webhook && webhook_enqueue(m->webhook, a) == 0)
		out->alerted = true;
	json_decref(a);
}

bool mitigate_keeps_file(const struct window *w, const struct scorer_result *r, char *pkg,
			 size_t len)
{
	const char *path = w->file_path[0] == '/' ? w->file_path : w->path, *name;

	if (w->file_fd < 0)
		return false;
	name = strrchr(path, '/');
	name = name ? name + 1 : path;
	for (size_t i = 0; i < r->source.n_reasons; i++) {
		const struct reputation_reason *why = &r->source.reasons[i];

		if (strcmp(why->code, "package_owned") ||
		    pkgindex_ships(why->detail, name, w->file_fd) != 1)
			continue;
		snprintf(pkg, len, "%s", why->detail);
		return true;
	}
	return false;
}

static void high(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		 struct mitigation *out)
{
	struct bp_file_key key = { .dev = w->file_dev, .ino = w->file_ino };
	struct bp_file_marker marker;
	uint32_t pids[WATCHED_PIDS_MAX];
	size_t n = window_watched_pids(w, pids, WATCHED_PIDS_MAX);

	out->action = MITIGATE_QUARANTINE;
	out->backends = MITIGATE_BY_SIGNAL;
	/* the gate already killed it before its code ran; else stop it now */
	if (w->gate_action != BP_GATE_KILLED && kill(w->pid, SIGKILL) && errno != ESRCH) {
		snprintf(out->detail, sizeof(out->detail), "kill %u: %s", w->pid, strerror(errno));
		out->failed = true;
	}
	/* and what its code started: a forked shell outlives its parent */
	for (size_t i = 0; i < n; i++)
		if (kill((pid_t)pids[i], SIGKILL) && errno != ESRCH && !out->failed) {
			snprintf(out->detail, sizeof(out->detail), "kill %u: %s", pids[i],
				 strerror(errno));
			out->failed = true;
		}
	if (mitigate_keeps_file(w, r, out->file_kept, sizeof(out->file_kept))) {
		alert(m, w, r, out);
		return;
	}
	/* no later load of these bytes runs (a rewrite makes them new bytes) */
	if (!objfile_cache_key(w, &key, &marker))
		verdict_cache_set(m->opts.cache, &key, &marker, BP_VERDICT_DENY);
	key = (struct bp_file_key){ .dev = w->file_dev, .ino = w->file_ino };
	/* BPF LSM: no process maps or execs the file again, and survives trying */
	if (key.ino && m->lsm && !lsm_quarantine_file(m->lsm, key.dev, key.ino))
		out->backends |= MITIGATE_BY_BPF_LSM;
	move_aside(m, w, r, out);
	alert(m, w, r, out);
}

/* Monitoring: tell (high alerts where a sink is configured), never touch,
 * and say what enforcement would have done. */
static void monitor(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		    struct mitigation *out, bool may_alert)
{
	out->monitored = true;
	out->would_action = mitigate_ladder(r->verdict.level);
	if (r->verdict.level != VERDICT_HIGH || !may_alert)
		return;
	out->action = MITIGATE_ALERT;
	alert(m, w, r, out);
	if (!out->alerted)
		out->action = MITIGATE_ALLOW;
}

/* A process an earlier verdict (the gate's, most often) hooked and
 * confined stays so whatever a later, lower one says: the decision must
 * not claim it runs free. */
static void standing(struct mitigate *m, const struct window *w, struct mitigation *out)
{
	bool hooked = m->hooks && hooks_watching(m->hooks, w->pid);
	bool confined = m->sandbox && sandbox_confines(m->sandbox, w->pid);

	if (!hooked && !confined)
		return;
	out->action = hooked && confined ? MITIGATE_HOOK_CONFINE : hooked ? MITIGATE_HOOK :
		      MITIGATE_CONFINE;
	out->backends = (hooked ? MITIGATE_BY_UPROBE : 0) | (confined ? MITIGATE_BY_CGROUP_BPF : 0);
}

void mitigate_apply(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		    struct mitigation *out)
{
	enum verdict_level level = r->verdict.level;

	memset(out, 0, sizeof(*out));
	/* the gate's kill stands whatever a later look concludes */
	if (w->gate_action == BP_GATE_KILLED || (m->opts.act && level == VERDICT_HIGH))
		high(m, w, r, out);
	else if (m->opts.act && level == VERDICT_MEDIUM)
		medium(m, w, r, out);
	else if (m->opts.act)
		standing(m, w, out);
	else
		monitor(m, w, r, out, true);
	if (out->failed)
		log_warn("mitigation for pid %u (%s): %s", w->pid, w->path, out->detail);
}

enum gate_decision mitigate_gate(struct mitigate *m, const struct window *w,
				 const struct scorer_result *r, struct mitigation *out)
{
	enum verdict_level level = r->verdict.level;

	memset(out, 0, sizeof(*out));
	if (!m->opts.act && !(m->opts.kill_quarantined && r->quarantined_hash)) {
		/* the window's verdict alerts when it closes: once is enough */
		monitor(m, w, r, out, false);
		return GATE_RESUME;
	}
	if (level == VERDICT_HIGH) {
		/* the rest of high (cache, BPF LSM, moving aside, the alert)
		 * happens when the window closes: mitigate_apply */
		out->action = MITIGATE_QUARANTINE;
		out->backends = MITIGATE_BY_SIGNAL;
		mitigate_keeps_file(w, r, out->file_kept, sizeof(out->file_kept));
		return GATE_KILL;
	}
	if (level == VERDICT_MEDIUM)
		medium(m, w, r, out);
	if (out->failed)
		log_warn("mitigation at the gate for pid %u (%s): %s", w->pid, w->path, out->detail);
	return GATE_RESUME;
}

enum mitigate_action mitigate_ladder(enum verdict_level level)
{
	return level == VERDICT_HIGH ? MITIGATE_QUARANTINE :
	       level == VERDICT_MEDIUM ? MITIGATE_HOOK_CONFINE : MITIGATE_ALLOW;
}

const char *mitigate_action_name(enum mitigate_action a)
{
	static const char *const names[] = {
		[MITIGATE_ALLOW] = "allow", [MITIGATE_HOOK] = "hook", [MITIGATE_CONFINE] = "confine",
		[MITIGATE_HOOK_CONFINE] = "hook+confine", [MITIGATE_QUARANTINE] = "quarantine",
		[MITIGATE_ALERT] = "alert",
	};

	return (unsigned int)a < ARRAY_SIZE(names) ? names[a] : "?";
}

const char *mitigate_backend_name(unsigned int backends)
{
	/* every combination, so the name is a static string like the rest */
	static const char *const names[16] = {
		"none", "uprobe", "cgroup_bpf", "uprobe+cgroup_bpf",
		"signal", "uprobe+signal", "cgroup_bpf+signal", "uprobe+cgroup_bpf+signal",
		"bpf_lsm", "uprobe+bpf_lsm", "cgroup_bpf+bpf_lsm", "uprobe+cgroup_bpf+bpf_lsm",
		"signal+bpf_lsm", "uprobe+signal+bpf_lsm", "cgroup_bpf+signal+bpf_lsm",
		"uprobe+cgroup_bpf+signal+bpf_lsm",
	};

	return names[backends & 15];
}
