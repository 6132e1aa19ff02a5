/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* `bpf-profiler trace`: follow one command or process (and its children),
 * print its calls and windows, and a verdict for every window. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/commands.h"
#include "respond/confine.h"
#include "behaviors/bd.h"
#include "lib/filehash.h"
#include "respond/gate.h"
#include "lib/log.h"
#include "respond/mitigate.h"
#include "pipeline/pipeline.h"
#include "kernel/probe.h"
#include "score/scorer.h"
#include "cli/trace_output.h"
#include "kernel/tracer.h"
#include "lib/util.h"
#include "pipeline/window.h"

struct trace_ctx {
	struct pipeline *pipeline;
	struct trace_output out;
	unsigned long nwindows, nuncertain;
	pid_t child;                 /* the command we started, 0 with -p */
	bool child_quarantined;      /* we killed it: exit EXIT_QUARANTINED */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: bpf-profiler trace [OPTIONS] -- CMD [ARGS...]\n"
"       bpf-profiler trace [OPTIONS] -p PID\n\n"
"Traces a command (or a running process) and its children: the calls around\n"
"every dlopen and code loading outside dlopen, grouped into windows\n"
"(lookback, load, follow), with a verdict per window.\n\n"
"Options:\n"
"  -p, --pid PID         attach to a running process (and its future children)\n"
"  -j, --json            one JSON object per line (schemas/trace-event.schema.json);\n"
"                        the command's stdout goes to stderr unless -o is given\n"
"  -o, --output FILE     write events to FILE, not stdout (the command keeps stdout)\n"
"  -k, --lookback K      calls kept before dlopen (1..%d, default 16)\n"
"  -m, --follow M        calls watched after dlopen returns (0..1048576, default 32)\n"
"  -t, --follow-ms T     ... or this many milliseconds (0..3600000, default 200)\n"
"      --windows-only    do not print calls outside windows\n"
"      --gate            stop a process when code not judged before becomes\n"
"                        executable in it (a file's first executable mapping, by\n"
"                        dlopen or not; anonymous code that makes system calls\n"
"                        itself; an injection) before any of it runs, and judge\n"
"                        it there; with --enforce (which gates by default)\n"
"                        high risk is killed, medium is hooked and confined before\n"
"                        it resumes; without, it resumes and the verdict says what\n"
"                        enforcement would have done (\"would\")\n"
"      --no-gate         with --enforce: judge when dlopen returns, not before\n"
"                        the object's code runs\n"
"      --gate-timeout-ms N  longest stop before the fail policy applies\n"
"                        (1..600000, default 2000)\n"
"      --fail-closed     kill, rather than resume, a process whose gate times out\n"
"      --quarantine FILE never let FILE run: a load of it, or of the same bytes\n"
"                        under another name, is killed at the gate (also without\n"
"                        --enforce)\n"
"  -e, --enforce         apply the mitigation ladder, at the gate (implied; see\n"
"                        --no-gate) and when the window closes: medium risk hooks\n"
"                        the process's dangerous calls and confines it to a\n"
"                        restricted cgroup, high risk kills it and never lets the\n"
"                        file load again. Without it nothing is enforced (but\n"
"                        --quarantine) and each verdict carries \"would\"\n"
"      --bd PATH         behavioral database: SQLite (db add/learn/import) or a\n"
"                        .bdsnap snapshot (default: the curated one built in)\n"
"      --medium R        risk from which a window is medium (0..1, default 0.4)\n"
"      --high R          risk from which a window is high (0..1, default 0.7)\n"
"      --net none|loopback  network left to confined processes (default none)\n"
"      --block FUNCS     hooked calls (comma-separated, e.g. connect,execve) that\n"
"                        kill the process instead of running\n"
"      --alert-log FILE  append an alert (schemas/alert.schema.json) per high verdict\n"
"      --quarantine-dir DIR  move high-risk objects there (with a .json note)\n"
"      --confine-writes DIR  Landlock: the command may write only below DIR\n"
"                        (repeatable; applies to everything it runs)\n"
"      --deny-syscalls CLASSES  seccomp: these fail with EPERM in the command;\n"
"                        classes: ptrace, exec, net, modules, bpf (comma-separated)\n"
"      --webhook URL     POST each alert there (retried with backoff)\n"
"      --outbox FILE     where undelivered alerts wait (default\n"
"                        /var/lib/bpf-profiler/outbox.sqlite)\n"
"      --ringbuf-kb N    ring buffer size in KiB (a power of two, 4..1048576,\n"
"                        default 4096)\n"
"      --wakeup-batch N  wake userspace every N events (1..1048576, default 64)\n"
"  -v, --verbose         more diagnostics on stderr\n"
"  -h, --help            this help\n\n"
"Tracing ends when the command exits; when code it loaded started processes\n"
"that outlive it, once those exit too or its watch horizon (30 s) has passed.\n"
"Exit status: the traced command's own (128+N if killed by signal N), 77 if it\n"
"was killed by quarantine (also --fail-closed past the gate timeout); with -p, 0.\n"
"Errors: 2 usage, 3 privileges, 4 kernel feature missing, 5 no such process,\n"
"126 command not executable, 127 command not found (docs/cli.md).\n"
"Ctrl-C detaches cleanly: the ring buffer is drained and a summary printed.\n",
		BP_LOOKBACK_MAX);
}

static void on_decision(void *ctx, const struct decision *d)
{
	struct trace_ctx *c = ctx;
	const struct window *w = d->window;

	c->nwindows++;
	c->nuncertain += w->uncertain;
	if (d->mitigation.action == MITIGATE_QUARANTINE)
		c->child_quarantined |= w->pid == (uint32_t)c->child;
	trace_output_window(&c->out, w);
	trace_output_verdict(&c->out, d);
}

static void on_gate(void *ctx, const struct pipeline_gate_report *g)
{
	struct trace_ctx *c = ctx;

	if (g->action == GATE_KILL)
		c->child_quarantined |= g->hdr->pid == (uint32_t)c->child;
	trace_output_gate(&c->out, g);
}

static void on_event(void *ctx, const void *data, size_t size, const struct window *w)
{
	struct trace_ctx *c = ctx;
	const struct bp_event_hdr *h = data;

	(void)size;
	switch (h->type) {
	case BP_EV_CALL: {
		/* the window the call went to: its own, or its code's object's */
		const struct window *to = w && w->given_to ? w->given_to : w;

		trace_output_call(&c->out, data, to && to->last_call ? to->last_call->arg : NULL,
				  w ? w->given_to : NULL);
		break;
	}
	case BP_EV_WINDOW_OPEN:
		trace_output_window_open(&c->out, data);
		break;
	case BP_EV_DLOPEN_RET:
		trace_output_dlopen(&c->out, h, w ? w->path : "",
				    ((const struct bp_ev_dlopen_ret *)data)->handle != 0);
		break;
	default:
		break;
	}
}

static void on_hook(void *ctx, const struct hook_event *e, const char *func)
{
	trace_output_hook(&((struct trace_ctx *)ctx)->out, e, func);
}

static void on_denial(void *ctx, const struct sandbox_event *e)
{
	trace_output_denial(&((struct trace_ctx *)ctx)->out, e);
}

/* Whether a process the command started outlives it. trace is the
 * command's subreaper, so such processes are trace's children once the
 * command is gone (the gate's watchdog aside); those that exited are
 * reaped here. */
static bool descendants_alive(pid_t watchdog)
{
	char path[64], buf[4096], *p, *end;
	bool alive = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (p = buf;; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid != watchdog && waitpid((pid_t)pid, NULL, WNOHANG) == 0)
			alive = true;
	}
	return alive;
}

/* One round: the ring buffer's records into the pipeline, then the
 * pipeline's and the tracer's clocks. Negative errno when reading fails. */
static int poll_round(struct tracer *tracer, struct pipeline *p, struct bp_stats *stats)
{
	int ret = tracer_poll(tracer, 100, pipeline_on_record, p);

	if (ret < 0 && ret != -EINTR)
		return ret;
	tracer_stats(tracer, stats);
	pipeline_tick(p, stats);
	tracer_tick(tracer);
	return 0;
}

/* Forks the command stopped on a pipe, so it is traced before it runs.
 * The exec error, if any, comes back through a close-on-exec pipe. With
 * stdout_to_stderr the command's stdout is our stderr: JSON lines on our
 * stdout stay JSON lines whatever the command prints. */
static pid_t spawn_stopped(char **argv, const struct confine_opts *co, bool stdout_to_stderr,
			   int *go_fd, int *err_fd)
{
	int go[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(EXIT_FAIL);
		if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(EXIT_FAIL);
		signal(SIGINT, SIG_DFL);
		if (confine_wanted(co)) {
			char why[256];

			if (confine_apply(co, why, sizeof(why))) {
				fprintf(stderr, "bpf-profiler trace: cannot confine %s: %s\n", argv[0], why);
				_exit(EXIT_FAIL);
			}
		}
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(EXIT_FAIL);
		_exit(e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}
	close(go[0]);
	close(err[1]);
	*go_fd = go[1];
	*err_fd = err[0];
	return pid;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A pidfd turns readable when the process exits, zombie or not; kill(pid, 0)
 * would still succeed on a zombie whose parent has not reaped it. */
static bool process_exited(int pidfd, pid_t pid)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return kill(pid, 0) && errno == ESRCH;
	return poll(&p, 1, 0) > 0;
}

/* --quarantine: the kernel kills a load of the file at the gate (device and
 * inode), and the scorer knows its bytes under any other name (SHA-256). */
static int quarantine_files(const struct verdict_cache *cache, struct scorer *scorer,
			    const char *const *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t digest[FILEHASH_LEN];
		char hex[FILEHASH_HEX_LEN];
		struct bp_file_marker marker;
		struct bp_file_key key;
		struct stat st;

		if (stat(files[i], &st)) {
			fprintf(stderr, "bpf-profiler trace: --quarantine %s: %s\n", files[i],
				strerror(errno));
			return -errno;
		}
		verdict_cache_key(&st, &key, &marker);
		verdict_cache_set(cache, &key, &marker, BP_VERDICT_DENY);
		if (!filehash_sha256_path(files[i], digest)) {
			filehash_hex(digest, hex);
			scorer_quarantine_hash(scorer, hex);
		}
	}
	return 0;
}

int cmd_trace_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "lookback", required_argument, NULL, 'k' },
		{ "follow", required_argument, NULL, 'm' },
		{ "follow-ms", required_argument, NULL, 't' },
		{ "windows-only", no_argument, NULL, 'W' },
		{ "gate", no_argument, NULL, 'G' },
		{ "no-gate", no_argument, NULL, 'n' },
		{ "gate-timeout-ms", required_argument, NULL, 'T' },
		{ "fail-closed", no_argument, NULL, 'F' },
		{ "quarantine", required_argument, NULL, 'Q' },
		{ "enforce", no_argument, NULL, 'e' },
		{ "bd", required_argument, NULL, 'b' },
		{ "medium", required_argument, NULL, 'M' },
		{ "high", required_argument, NULL, 'H' },
		{ "net", required_argument, NULL, 'N' },
		{ "block", required_argument, NULL, 'K' },
		{ "alert-log", required_argument, NULL, 'A' },
		{ "quarantine-dir", required_argument, NULL, 'D' },
		{ "webhook", required_argument, NULL, 'U' },
		{ "confine-writes", required_argument, NULL, 'L' },
		{ "deny-syscalls", required_argument, NULL, 'S' },
		{ "outbox", required_argument, NULL, 'O' },
		{ "ringbuf-kb", required_argument, NULL, 'R' },
		{ "wakeup-batch", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct tracer_opts topts = TRACER_OPTS_DEFAULT;
	struct trace_ctx c = { 0 };
	struct bp_stats stats = { 0 };
	struct tracer *tracer = NULL;
	struct scorer *scorer = NULL;
	struct gate *gate = NULL;
	struct mitigate *mitigate = NULL;
	struct tokens *tokens = NULL;
	struct bdindex *bd = NULL;
	unsigned long v, attach_pid = 0;
	char err[256] = "";
	int opt, ret, status = 0, go_fd = -1, err_fd = -1, exit_code = EXIT_OK, pidfd = -1;
	const char *output_path = NULL, *bd_path = NULL, *quarantine[16];
	size_t nquarantine = 0;
	unsigned int gate_timeout_ms = 2000;
	enum gate_fail gate_fail = GATE_FAIL_OPEN;
	struct verdict_policy policy;
	struct mitigate_opts mopts = { .on_hook = on_hook, .on_denial = on_denial };
	bool enforce = false, net_set = false, no_gate = false;
	struct confine_opts confine = { 0 };
	pid_t child = 0;
	bool child_done = false;

	topts.emit_traced_calls = true;
	verdict_policy_default(&policy);
	while ((opt = getopt_long(argc, argv, "+p:jo:k:m:t:evh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_uint(optarg, 4194304, &attach_pid) || !attach_pid)
				goto bad_value;
			break;
		case 'j': c.out.json = true; break;
		case 'o': output_path = optarg; break;
		case 'k':
			if (parse_uint(optarg, BP_LOOKBACK_MAX, &v) || !v)
				goto bad_value;
			topts.lookback_k = v;
			break;
		case 'm':
			if (parse_uint(optarg, 1u << 20, &v))
				goto bad_value;
			topts.follow_m = v;
			break;
		case 't':
			if (parse_uint(optarg, 3600 * 1000, &v))
				goto bad_value;
			topts.follow_ms = v;
			break;
		case 'W': topts.emit_traced_calls = false; break;
		case 'G': topts.gate = true; break;
		case 'n': no_gate = true; break;
		case 'T':
			if (parse_uint(optarg, 600000, &v) || !v)
				goto bad_value;
			gate_timeout_ms = v;
			break;
		case 'F': gate_fail = GATE_FAIL_CLOSED; break;
		case 'e': enforce = true; break;
		case 'b': bd_path = optarg; break;
		case 'M':
		case 'H': {
			char *end;
			double r = strtod(optarg, &end);

			if (end == optarg || *end || !(r >= 0 && r <= 1))
				goto bad_value;
			if (opt == 'M')
				policy.medium = r;
			else
				policy.high = r;
			break;
		}
		case 'N':
			net_set = true;
			if (!strcmp(optarg, "none"))
				mopts.net = SANDBOX_NET_NONE;
			else if (!strcmp(optarg, "loopback"))
				mopts.net = SANDBOX_NET_LOOPBACK;
			else
				goto bad_value;
			break;
		case 'K': mopts.block = optarg; break;
		case 'A': mopts.alert_log = optarg; break;
		case 'D': mopts.quarantine_dir = optarg; break;
		case 'U': mopts.webhook_url = optarg; break;
		case 'L':
			if (confine.nwrite_dirs == CONFINE_MAX_DIRS) {
				fprintf(stderr, "bpf-profiler trace: at most %d --confine-writes\n",
					CONFINE_MAX_DIRS);
				return EXIT_USAGE;
			}
			confine.write_dirs[confine.nwrite_dirs++] = optarg;
			confine.writes = true;
			break;
		case 'S': confine.deny = optarg; break;
		case 'O': mopts.outbox = optarg; break;
		case 'Q':
			if (nquarantine == ARRAY_SIZE(quarantine)) {
				fprintf(stderr, "bpf-profiler trace: at most %zu --quarantine files\n",
					ARRAY_SIZE(quarantine));
				return EXIT_USAGE;
			}
			quarantine[nquarantine++] = optarg;
			topts.gate = true;
			break;
		case 'R':
			if (parse_uint(optarg, 1u << 20, &v) || v < 4 || (v & (v - 1)))
				goto bad_value;
			topts.ringbuf_bytes = v * 1024;
			break;
		case 'B':
			if (parse_uint(optarg, 1u << 20, &v) || !v)
				goto bad_value;
			topts.wakeup_batch = v;
			break;
		case 'v': log_set_level(log_get_level() + 1); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!enforce && (mopts.alert_log || mopts.webhook_url || mopts.block || mopts.quarantine_dir ||
			 mopts.outbox || net_set)) {
		fprintf(stderr, "bpf-profiler trace: --net, --block, --alert-log, --webhook, --outbox "
			"and --quarantine-dir act on verdicts: add --enforce\n");
		return EXIT_USAGE;
	}
	if (no_gate && (topts.gate || !enforce)) {
		fprintf(stderr, "bpf-profiler trace: --no-gate turns off the gate --enforce implies; "
			"it cannot go with --gate or --quarantine, nor without --enforce\n");
		return EXIT_USAGE;
	}
	if (enforce && !no_gate)
		topts.gate = true;
	if (confine_wanted(&confine) && attach_pid) {
		fprintf(stderr, "bpf-profiler trace: --confine-writes and --deny-syscalls apply to a "
			"command trace starts, not to -p\n");
		return EXIT_USAGE;
	}
	if (confine_check(&confine, err, sizeof(err))) {
		fprintf(stderr, "bpf-profiler trace: %s\n", err);
		return EXIT_USAGE;
	}
	if (policy.medium > policy.high) {
		fprintf(stderr, "bpf-profiler trace: --medium must not exceed --high\n");
		return EXIT_USAGE;
	}
	if (!!attach_pid == (optind < argc)) {
		fprintf(stderr, "bpf-profiler trace: give either -p PID or -- CMD ARGS...\n");
		return EXIT_USAGE;
	}
	if (attach_pid)
		pidfd = syscall(SYS_pidfd_open, (pid_t)attach_pid, 0);
	ret = probe_require_tracing(err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler trace: %s\n", err);
		return ret == -EPERM ? EXIT_PRIVILEGE : EXIT_KERNEL;
	}
	if (attach_pid && kill((pid_t)attach_pid, 0) && errno == ESRCH) {
		fprintf(stderr, "bpf-profiler trace: no process with PID %lu\n", attach_pid);
		return EXIT_NO_PROCESS;
	}

	c.out.out = output_path ? fopen(output_path, "we") : stdout;
	if (!c.out.out) {
		fprintf(stderr, "bpf-profiler trace: %s: %s\n", output_path, strerror(errno));
		return EXIT_FAIL;
	}
	c.out.color = !c.out.json && log_color_wanted(fileno(c.out.out));
	topts.filter_traced = true;
	ret = tokens_load_default(&tokens);
	if (!ret)
		ret = bd_index_load(bd_path, tokens, &bd, err, sizeof(err));
	if (!ret)
		ret = scorer_new(&policy, tokens, bd, &scorer, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler trace: %s\n", err[0] ? err : strerror(-ret));
		exit_code = EXIT_FAIL;
		goto out;
	}
	/* the watchdog is forked before any BPF fd exists, so it holds none */
	if (topts.gate && (ret = gate_new(gate_fail, gate_timeout_ms, &gate))) {
		fprintf(stderr, "bpf-profiler trace: cannot start the gate watchdog: %s\n",
			strerror(-ret));
		exit_code = EXIT_FAIL;
		goto out;
	}
	if (!attach_pid) {
		/* what the command leaves running becomes ours when it exits:
		 * descendants_alive() sees it */
		if (prctl(PR_SET_CHILD_SUBREAPER, 1))
			log_warn("cannot become the command's subreaper: %s", strerror(errno));
		child = spawn_stopped(argv + optind, &confine, c.out.json && c.out.out == stdout,
				      &go_fd, &err_fd);
		if (child < 0) {
			fprintf(stderr, "bpf-profiler trace: cannot start %s: %s\n", argv[optind],
				strerror(-child));
			exit_code = EXIT_FAIL;
			goto out;
		}
	}
	ret = tracer_open(&topts, &tracer, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler trace: %s\n", err);
		exit_code = ret == -EPERM ? EXIT_PRIVILEGE : EXIT_KERNEL;
		goto out;
	}
	if (quarantine_files(tracer_verdict_cache(tracer), scorer, quarantine, nquarantine)) {
		exit_code = EXIT_USAGE;
		goto out;
	}
	/* monitoring too: the ladder then only says what it would have done */
	if (enforce && mopts.webhook_url && !mopts.outbox) {
		mkdir("/var/lib/bpf-profiler", 0700);
		mopts.outbox = "/var/lib/bpf-profiler/outbox.sqlite";
	}
	mopts.act = enforce;
	mopts.kill_quarantined = nquarantine > 0;
	mopts.cache = tracer_verdict_cache(tracer);
	mopts.ctx = &c;
	ret = mitigate_open(&mopts, &mitigate, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-profiler trace: %s\n", err);
		exit_code = EXIT_FAIL;
		goto out;
	}
	ret = pipeline_new(&(struct pipeline_opts){
		.scorer = scorer, .gate = gate, .cache = tracer_verdict_cache(tracer),
		.mitigate = mitigate, .gate_kills_high = enforce, .follow_ms = topts.follow_ms,
		.hooks = { .on_event = on_event, .on_gate = on_gate, .on_decision = on_decision,
			   .ctx = &c } }, &c.pipeline);
	if (ret) {
		exit_code = EXIT_FAIL;
		goto out;
	}
	/* our own libc (the child's, until it execs) and the target's */
	tracer_find_loaders_of(tracer, getpid());
	if (attach_pid) {
		tracer_find_loaders_of(tracer, (pid_t)attach_pid);
		tracer_trace_pid(tracer, (pid_t)attach_pid);
		/* its existing children are followed from their next fork on */
	} else {
		tracer_trace_pid(tracer, child);
		c.child = child;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (child) {
		int e = 0;

		if (write(go_fd, "g", 1) != 1)
			log_warn("cannot release the child: %s", strerror(errno));
		close(go_fd);
		go_fd = -1;
		if (read(err_fd, &e, sizeof(e)) == sizeof(e)) {
			fprintf(stderr, "bpf-profiler trace: %s: %s\n", argv[optind], strerror(e));
			waitpid(child, &status, 0);
			child = 0;
			exit_code = e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
			goto out;
		}
	}

	ret = 0;
	while (!stop_requested && !child_done) {
		ret = poll_round(tracer, c.pipeline, &stats);
		if (ret < 0)
			break;
		if (child && waitpid(child, &status, WNOHANG) == child)
			child_done = true;
		else if (attach_pid && process_exited(pidfd, (pid_t)attach_pid))
			child_done = true;
	}
	/* processes the loaded code started may outlive the command (a
	 * detached child): judged until they exit or its watch horizon ends */
	while (ret >= 0 && child && child_done && !stop_requested && pipeline_watching(c.pipeline) &&
	       descendants_alive(gate ? gate_watchdog_pid(gate) : 0))
		ret = poll_round(tracer, c.pipeline, &stats);
	if (ret < 0) {
		fprintf(stderr, "bpf-profiler trace: reading the ring buffer: %s\n", strerror(-ret));
		exit_code = EXIT_FAIL;
	}
	while (tracer_poll(tracer, 0, pipeline_on_record, c.pipeline) > 0)
		;
	tracer_stats(tracer, &stats);
	pipeline_close_all(c.pipeline, &stats);
	if (stats.events_lost)
		fprintf(stderr, "bpf-profiler trace: ring buffer full: %llu events lost; the windows "
			"they belonged to are marked uncertain (a larger --ringbuf-kb helps)\n",
			(unsigned long long)stats.events_lost);
	trace_output_summary(&c.out, &stats, c.nwindows, c.nuncertain, tracer_loader_count(tracer));
	if (child && child_done && c.child_quarantined)
		exit_code = EXIT_QUARANTINED;
	else if (child && child_done)
		exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else if (child) /* detached on Ctrl-C: the command goes on */
		exit_code = EXIT_OK;
out:
	if (go_fd >= 0) { /* never started: do not leave it waiting */
		close(go_fd);
		waitpid(child, &status, 0);
	}
	if (err_fd >= 0)
		close(err_fd);
	if (pidfd >= 0)
		close(pidfd);
	gate_free(gate); /* resumes (or kills, fail-closed) anything still held */
	mitigate_close(mitigate); /* confined processes go back where they were */
	tracer_close(tracer);
	pipeline_free(c.pipeline);
	scorer_free(scorer);
	bdindex_free(bd);
	tokens_free(tokens);
	if (c.out.out && c.out.out != stdout)
		fclose(c.out.out);
	return exit_code;
bad_value:
	/* name the option as the user may have typed it; --help gives its range */
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == opt) {
			fprintf(stderr, "bpf-profiler trace: invalid value '%s' for --%s "
				"(see 'bpf-profiler trace --help')\n", optarg, o->name);
			return EXIT_USAGE;
		}
	fprintf(stderr, "bpf-profiler trace: invalid value '%s' for -%c\n", optarg, opt);
	return EXIT_USAGE;
}
