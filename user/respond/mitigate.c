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
#include "respond/alert.h"
#include "lib/log.h"
#include "respond/lsm.h"
#include "respond/mitigate.h"
#include "lib/util.h"
#include "respond/webhook.h"

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

/* Exported functions the static analysis flagged: worth a hook each. */
static size_t flagged_exports(json_t *details, const char **out, size_t max)
{
	json_t *f, *findings = json_object_get(details, "findings");
	size_t i, n = 0;

	json_array_foreach(findings, i, f) {
		json_t *where = json_object_get(f, "where");
		const char *kind = json_string_value(json_object_get(where, "entry_kind"));
		const char *name = json_string_value(json_object_get(where, "entry"));
		bool seen = false;

		if (!kind || strcmp(kind, "export") || !name || n == max)
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= !strcmp(out[k], name);
		if (!seen)
			out[n++] = name;
	}
	return n;
}

/* Keeps the first failure: it is usually the cause of the later ones. */
static void first_failure(char *err, size_t len, const char *what, const char *why)
{
	if (!err[0])
		snprintf(err, len, "%s: %s", what, why);
}

static bool is_gone(int ret)
{
	return ret == -ENOENT || ret == -ESRCH;
}

static void medium(struct mitigate *m, const struct window *w, json_t *details,
		   struct mitigation *out)
{
	char err[256] = "", why[200];
	const char *funcs[32];
	size_t nfuncs = flagged_exports(details, funcs, 32);
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
		ret = sandbox_confine(m->sandbox, w->pid);
		confined = ret == 0;
		gone |= is_gone(ret);
		if (ret && !is_gone(ret))
			first_failure(err, sizeof(err), "sandbox", strerror(-ret));
	}
	out->action = hooked && confined ? "hook+confine" : hooked ? "hook" : confined ? "confine" : "allow";
	out->backend = hooked && confined ? "uprobe+cgroup_bpf" : hooked ? "uprobe" :
		       confined ? "cgroup_bpf" : "none";
	out->failed = err[0] != '\0';
	snprintf(out->detail, sizeof(out->detail), "%s", err[0] ? err : gone ? process_gone : "");
}

/* Moves the object aside with a note of what it was; the loader's mapping
 * (if any) keeps working, later loads find nothing. */
static void move_aside(struct mitigate *m, const struct window *w, json_t *details,
		       struct mitigation *out)
{
	const char *sha = json_string_value(json_object_get(details, "sha256"));
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
	if (!note || json_dump_file(note, meta, JSON_COMPACT))
		log_warn("cannot write %s", meta);
	json_decref(note);
}

static void alert(struct mitigate *m, const struct window *w, const struct verdict *v,
		  json_t *details, struct mitigation *out)
{
	json_t *a;

	if (!m->opts.alert_log && !m->webhook)
		return;
	a = alert_build(w, v, details, out->action, out->backend);
	if (!a)
		return;
	if (m->opts.alert_log && alert_log_append(m->opts.alert_log, a) == 0)
		out->alerted = true;
	if (m->webhook && webhook_enqueue(m->webhook, a) == 0)
		out->alerted = true;
	json_decref(a);
}

static void high(struct mitigate *m, const struct window *w, const struct verdict *v,
		 json_t *details, struct mitigation *out)
{
	struct bp_file_key key = { .dev = w->file_dev, .ino = w->file_ino };

	out->action = "quarantine";
	out->backend = "signal";
	/* the gate already killed it before its code ran; else stop it now */
	if (w->gate_action != BP_GATE_KILLED && kill(w->pid, SIGKILL) && errno != ESRCH) {
		snprintf(out->detail, sizeof(out->detail), "kill %u: %s", w->pid, strerror(errno));
		out->failed = true;
	}
	if (key.ino && m->opts.tracer)
		tracer_cache_verdict(m->opts.tracer, &key, BP_VERDICT_DENY);
	/* BPF LSM: no process maps or execs the file again, and survives trying */
	if (key.ino && m->lsm && !lsm_quarantine_file(m->lsm, key.dev, key.ino))
		out->backend = "signal+bpf_lsm";
	move_aside(m, w, details, out);
	alert(m, w, v, details, out);
}

void mitigate_apply(struct mitigate *m, const struct window *w, const struct verdict *v,
		    json_t *details, struct mitigation *out)
{
	memset(out, 0, sizeof(*out));
	out->action = "allow";
	out->backend = "none";
	/* the gate's kill stands whatever a later look concludes */
	if (w->gate_action == BP_GATE_KILLED || (m->opts.act && v->level == VERDICT_HIGH)) {
		high(m, w, v, details, out);
	} else if (m->opts.act && v->level == VERDICT_MEDIUM) {
		medium(m, w, details, out);
	} else if (v->level == VERDICT_HIGH) { /* monitoring: tell, do not touch */
		out->action = "alert";
		alert(m, w, v, details, out);
		if (!out->alerted)
			out->action = "allow";
	}
	if (out->failed)
		log_warn("mitigation for pid %u (%s): %s", w->pid, w->path, out->detail);
}
