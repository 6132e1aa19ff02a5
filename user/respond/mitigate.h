/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The mitigation ladder (docs/mitigations.md): low allows; medium hooks
 * the process's dangerous calls and moves it into the restricted cgroup;
 * high quarantines (kill, never again load the file, optionally move it
 * aside) and alerts. Each decision says which backend acted. */
#ifndef BPFPROF_MITIGATE_H
#define BPFPROF_MITIGATE_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel/verdict_cache.h"
#include "pipeline/window.h"
#include "respond/gate.h"
#include "respond/hooks.h"
#include "respond/sandbox.h"
#include "score/scorer.h"

struct mitigate_opts {
	bool act;                    /* false: monitor only, high verdicts just alert */
	bool kill_quarantined;       /* monitoring too: bytes quarantined on purpose
				      * (trace --quarantine) are killed at the gate */
	const struct verdict_cache *cache; /* the kernel's: a quarantined file is denied there */
	enum sandbox_net net;        /* medium: what network the sandbox leaves */
	const char *block;           /* medium: hooked calls that kill (see hooks.h) */
	const char *alert_log;       /* high: JSON lines appended here (NULL: none) */
	const char *webhook_url;     /* high: alerts POSTed there (NULL: none) */
	const char *outbox;          /* where undelivered webhook alerts wait */
	const char *quarantine_dir;  /* high: move the object here (NULL: leave it) */
	/* reports from the backends: hooked calls, sandbox denials */
	void (*on_hook)(void *ctx, const struct hook_event *e, const char *func);
	void (*on_denial)(void *ctx, const struct sandbox_event *e);
	void *ctx;
};

enum mitigate_action {
	MITIGATE_ALLOW,
	MITIGATE_HOOK,           /* medium, where the sandbox could not be used */
	MITIGATE_CONFINE,        /* medium, where no hook could be placed */
	MITIGATE_HOOK_CONFINE,   /* medium: both */
	MITIGATE_QUARANTINE,     /* high, or killed at the gate */
	MITIGATE_ALERT,          /* high while only monitoring */
};

/* Backends that acted, a bit each. */
enum mitigate_backend {
	MITIGATE_BY_UPROBE = 1 << 0,
	MITIGATE_BY_CGROUP_BPF = 1 << 1,
	MITIGATE_BY_SIGNAL = 1 << 2,
	MITIGATE_BY_BPF_LSM = 1 << 3,
};

struct mitigation {
	enum mitigate_action action;
	unsigned int backends;   /* enum mitigate_backend bits; 0: none */
	char detail[256];        /* why the action is less than the level asked for */
	bool failed;             /* a backend failed (not merely: the process was gone) */
	bool alerted;            /* written to the alert log or queued for the webhook */
	/* monitoring (nothing enforced): would_action is what enforcement
	 * would have done at this level */
	bool monitored;
	enum mitigate_action would_action;
	/* high on a file whose bytes its package shipped: the process is
	 * stopped, the file is left alone (mitigate_keeps_file); the package */
	char file_kept[64];
};

struct mitigate;

int mitigate_open(const struct mitigate_opts *opts, struct mitigate **out, char *err, size_t errlen);
void mitigate_close(struct mitigate *m);
/* Acts on a judged window (the result's findings name the exports to hook). */
void mitigate_apply(struct mitigate *m, const struct window *w, const struct scorer_result *r,
		    struct mitigation *out);
/* At the gate, the process stopped before any of the object's code ran:
 * high is killed there (GATE_KILL: the gate's SIGKILL does it), medium is
 * hooked and confined while stopped, so its constructors run restricted;
 * monitoring only records what enforcement would do. Returns what the gate
 * must do with the process. */
enum gate_decision mitigate_gate(struct mitigate *m, const struct window *w,
				 const struct scorer_result *r, struct mitigation *out);
/* Whether a high verdict must leave the object's file alone: bytes a
 * package shipped (dpkg's md5sums agree) are the system's own, and a high
 * verdict on them blames the code that loaded them or ran beside them (a
 * dropper's calls in the lookback, an LD_PRELOAD constructor's calls in the
 * window of the next library ld.so mapped). Quarantining such a file —
 * moving it aside, denying it in the verdict cache or the BPF LSM, sharing
 * its hash with the fleet — would stop every program on every host that
 * uses it. The process is still stopped. When kept, pkg names the package
 * (len bytes). A modified packaged file is not kept. */
bool mitigate_keeps_file(const struct window *w, const struct scorer_result *r, char *pkg,
			 size_t len);
/* What enforcement does at a level: allow, hook+confine or quarantine. */
enum mitigate_action mitigate_ladder(enum verdict_level level);
/* Collects reports of hooked calls and sandbox denials. */
void mitigate_poll(struct mitigate *m);

/* "allow", "hook", "confine", "hook+confine", "quarantine", "alert". */
const char *mitigate_action_name(enum mitigate_action a);
/* "none", "uprobe", "cgroup_bpf", "uprobe+cgroup_bpf", "signal",
 * "signal+bpf_lsm", ...: the backends joined by '+'. */
const char *mitigate_backend_name(unsigned int backends);

#endif
