#!/usr/bin/env python3
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
"""Runs the scenario suite (manifest.json) under bpf-profiler and measures it.

Each malicious scenario runs twice: under `trace --json` (monitor: what the
product judges) and under `trace --gate --enforce --json` (whether it stops
the payload before its own code runs). Each benign group runs once under
`trace --json`, and once untraced with LD_DEBUG=files to count the objects
ld.so really loaded (the corpus size does not depend on what the product
sees). Whether a payload ran is a file check: its marker files
(tests/scenarios/common/scn.h). Prints one table and the three targets,
optionally as JSON, and can rewrite docs/detection.md and check the floors
(tests/scenarios/floors). Called by scripts/scenarios.sh, which builds first.
"""
import argparse
import fcntl
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LEVELS = {"low": 0, "medium": 1, "high": 2}
DOC_BEGIN = "<!-- scenarios:results:begin (scripts/scenarios.sh rewrites this part) -->"
DOC_END = "<!-- scenarios:results:end -->"
TARGETS = {"high_pct": 90.0, "stopped_pct": 75.0, "benign_flagged": 0}
# what a dropper leaves when it is killed before it can clean up
DROPPED = ["/tmp/.X11-cache-*.so", "/dev/shm/.pulse-*.so"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requirement_missing(req):
    if req == "io_uring":
        try:
            with open("/proc/sys/kernel/io_uring_disabled", encoding="ascii") as f:
                if f.read().strip() != "0":
                    return "io_uring is disabled (kernel.io_uring_disabled)"
        except OSError:
            pass
    return None


class Services:
    """server.py in the background: the scenarios' 127.0.0.1 endpoints."""

    def __init__(self, run_dir, bin_dir):
        self.www = os.path.join(run_dir, "www")
        os.makedirs(os.path.join(self.www, "shellcode"), exist_ok=True)
        shutil.copy(os.path.join(bin_dir, "libscn_stage.so"), self.www)
        with open(os.path.join(self.www, "stage2.sh"), "w", encoding="ascii") as f:
            f.write('#!/bin/sh\n# second stage: proves it ran\n'
                    'touch "$SCENARIO_MARKER_DIR/$SCENARIO_NAME.done"\n')
        ports = os.path.join(run_dir, "ports.json")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), "--www", self.www,
             "--ports", ports, "--log", os.path.join(run_dir, "services.log")],
            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(ports):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the scenario services did not start (server.py)")
            time.sleep(0.05)
        with open(ports, encoding="ascii") as f:
            self.ports = json.load(f)

    def env(self):
        return {f"SCENARIO_{k.upper()}_PORT": str(v) for k, v in self.ports.items()}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Victim:
    """scn_victim, started outside the trace, for injection and hiding."""

    def __init__(self, bin_dir):
        self.proc = subprocess.Popen([os.path.join(bin_dir, "scn_victim"), "60"],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("scn_victim did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def bind_client(port, stop):
    """The attacker's side of a bind shell: connects (retrying) and sends
    the command that writes the scenario's "done" marker."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(10)
                s.sendall(b'touch "$SCENARIO_MARKER_DIR/$SCENARIO_NAME.done"; exit\n')
                while s.recv(4096):
                    pass
                return
        except OSError:
            stop.wait(0.1)


def read_trace(path):
    """The events of one `trace --json` run, grouped."""
    ev = {"verdicts": [], "gates": [], "windows": [], "calls": [], "summary": None,
          "bad_lines": 0}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    ev["bad_lines"] += 1
                    continue
                kind = e.get("type")
                if kind == "verdict":
                    ev["verdicts"].append(e)
                elif kind == "gate":
                    ev["gates"].append(e)
                elif kind == "window":
                    ev["windows"].append(e)
                elif kind == "call" and e.get("window"):
                    ev["calls"].append(e)
                elif kind == "summary":
                    ev["summary"] = e
    except OSError:
        pass
    return ev


def verdict_point(v, gates):
    """Where the decision was taken: the product's own field when it has
    one, else the gate (a kill there) or the window's end."""
    for key in ("point", "verdict_point"):
        if v.get(key):
            return v[key]
    for g in gates:
        if g.get("pid") == v.get("pid") and g.get("window") == v.get("window"):
            return "gate"
    return "return"


def best_verdict(verdicts):
    if not verdicts:
        return None
    return max(verdicts, key=lambda v: (LEVELS.get(v.get("level"), -1), v.get("risk", 0)))


def summarize_run(ev):
    v = best_verdict(ev["verdicts"])
    out = {"verdicts": len(ev["verdicts"]), "windows": len(ev["windows"]),
           "gates": [{"action": g.get("action"), "reason": g.get("reason"),
                      "path": g.get("path")} for g in ev["gates"]],
           "summary": ev["summary"]}
    if v:
        out.update({"level": v.get("level"), "risk": v.get("risk"),
                    "components": v.get("components", {}), "object": v.get("path", ""),
                    "point": verdict_point(v, [g for g in ev["gates"]
                                               if g.get("action") == "kill"]),
                    "action": v.get("action")})
    return out


PARTS_AFTER_LOAD = ("load", "follow", "watch")


def expectation_failures(s, mode, ev, ran):
    """Issue 12's per-case assertions, from the manifest's "expect": a
    decision names the object (a regex on the verdict's path), the payload's
    calls are in that object's windows, "stopped" cases never run under
    enforcement, and "gated" ones are stopped at that object before its code
    runs. Every scenario: a kill at the gate means the payload never
    ran."""
    failures = []
    kills = [g for g in ev["gates"] if g.get("action") == "kill"]
    want = s.get("expect")
    if mode == "enforce":
        if kills and ran:
            failures.append(f"the gate killed {kills[0].get('path')} but the payload ran")
        if want and want.get("stopped") and ran:
            failures.append("the payload ran under --gate --enforce")
        if want and want.get("gated") and not any(
                re.search(want["object"], g.get("path", "")) for g in ev["gates"]):
            failures.append(f"no gate stopped {want['object']} before its code ran")
        return failures
    if not want:
        return failures
    named = [v for v in ev["verdicts"] if re.search(want["object"], v.get("path", ""))]
    if not named:
        return [f"no decision names an object matching {want['object']!r}"]
    ids = {(v.get("pid"), v.get("window")) for v in named}
    seen = set()
    for c in ev["calls"]:
        if c.get("part") in PARTS_AFTER_LOAD and (c.get("pid"), c.get("window")) in ids:
            seen.add(c["token"])
    for w in ev["windows"]:
        if (w.get("pid"), w.get("window")) in ids:
            for part in PARTS_AFTER_LOAD:
                seen.update(w.get(part) or [])
    missing = [t for t in want.get("calls", []) if t not in seen]
    if missing:
        failures.append(f"{', '.join(missing)} not in the windows of {want['object']}")
    return failures


def enforce_outcome(run):
    kills = [g for g in run["gates"] if g["action"] == "kill"]
    if kills:
        return "kill@gate"
    if run.get("action") and run["action"] != "allow":
        return f'{run["action"]}@{run.get("point", "?")}'
    return "allow" if run.get("level") else "-"


class Runner:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.bin = os.path.join(self.build, "tests", "scenarios")
        self.bpf = os.path.join(self.build, "bpf-profiler")
        self.run_dir = os.path.join(self.build, "scenarios-run")
        with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        self.services = None

    def expand(self, s, work):
        return (s.replace("{bin}", self.bin).replace("{work}", work)
                 .replace("{src}", HERE).replace("{run}", self.run_dir))

    def selected(self):
        only = set()
        for o in self.args.only or []:
            only.update(x for x in o.split(",") if x)
        scen = self.manifest["scenarios"]
        bn = self.manifest["benign"]
        if only:
            known = {s["name"] for s in scen} | {b["group"] for b in bn} | \
                {"behaviour", "evasion", "benign"}
            unknown = only - known
            if unknown:
                raise SystemExit(f"scenarios: unknown name(s): {', '.join(sorted(unknown))} "
                                 "(see --list)")
            scen = [s for s in scen if s["name"] in only or s["suite"] in only]
            bn = [b for b in bn if b["group"] in only or "benign" in only]
        elif self.args.ci:
            scen = [s for s in scen if s.get("ci")]
        return scen, bn

    def trace(self, argv, env, out, timeout, cwd, extra=()):
        """One traced command, run in CWD (scratch: nothing a program writes
        lands in the source tree); returns (exit status or None on timeout,
        seconds)."""
        cmd = argv if self.args.untraced else [self.bpf, "trace", *extra, "--json", "-o", out,
                                               "--", *argv]
        start = time.monotonic()
        with open(out + ".log", "w", encoding="utf-8") as logf:
            p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=logf,
                                 stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)
            try:
                rc = p.wait(timeout)
            except BaseException as e:  # the runner is stopped: so is the scenario
                if isinstance(e, subprocess.TimeoutExpired):
                    rc = None
                else:
                    os.killpg(p.pid, signal.SIGKILL)
                    raise
            if rc is None:
                p.send_signal(signal.SIGINT)  # trace detaches cleanly and drains
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        try:  # whatever the scenario left behind in its process group
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        return rc, time.monotonic() - start

    def run_scenario(self, s, mode):
        base = os.path.join(self.run_dir, s["name"], mode)
        markers, work = os.path.join(base, "markers"), os.path.join(base, "work")
        os.makedirs(markers)
        os.makedirs(work)
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.update(self.services.env())
        env.update({"SCENARIO_NAME": s["name"], "SCENARIO_MARKER_DIR": markers,
                    "SCENARIO_WORK_DIR": work, "SCENARIO_BIN_DIR": self.bin,
                    "SCENARIO_BIND_PORT": str(free_port())})
        env.update(s.get("env", {}))
        for d in s.get("mkdir", []):
            os.makedirs(self.expand(d, work), exist_ok=True)
        for src, dst in s.get("copy", {}).items():
            shutil.copy(self.expand(src, work), self.expand(dst, work))
        if s.get("shellcode"):
            with open(os.path.join(self.services.www, "shellcode", s["name"] + ".bin"),
                      "wb") as f:
                subprocess.run([os.path.join(self.bin, "scn_shellcode"), "",
                                os.path.join(markers, s["name"] + ".done"),
                                str(self.services.ports["sink"])], stdout=f, check=True)
        victim = Victim(self.bin) if s.get("victim") else None
        if victim:
            env["SCENARIO_VICTIM_PID"] = str(victim.proc.pid)
        stop = threading.Event()
        driver = None
        if s.get("driver") == "bind_client":
            driver = threading.Thread(target=bind_client,
                                      args=(int(env["SCENARIO_BIND_PORT"]), stop))
            driver.start()
        before = {p for pat in DROPPED for p in glob.glob(pat)}
        argv = [self.expand(a, work) for a in s["cmd"]]
        extra = ("--gate", "--enforce") if mode == "enforce" else ()
        try:
            rc, secs = self.trace(argv, env, os.path.join(base, "trace.jsonl"),
                                  s.get("timeout", 60), work, extra)
        finally:
            stop.set()
            if driver:
                driver.join()
            if victim:
                victim.stop()
            for p in {p for pat in DROPPED for p in glob.glob(pat)} - before:
                os.unlink(p)
        ev = read_trace(os.path.join(base, "trace.jsonl"))
        run = summarize_run(ev)
        run.update({"exit": rc, "seconds": round(secs, 1),
                    "ran": os.path.exists(os.path.join(markers, s["name"] + ".ran")),
                    "done": os.path.exists(os.path.join(markers, s["name"] + ".done"))})
        run["failed_checks"] = ([] if self.args.untraced else
                                expectation_failures(s, mode, ev, run["ran"]))
        if not self.args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return run

    def count_loads(self, b, base):
        """Objects ld.so mapped for dlopen (and libc's own internal loads)
        in an untraced run of the group: the corpus's size, whatever the
        product sees. Its own scratch directory: caches a program writes
        (GStreamer's registry) must not spare the traced run its loads."""
        work = os.path.join(base, "count")
        dbg = os.path.join(work, "ld-debug")
        os.makedirs(dbg)
        env = dict(os.environ, SCENARIO_WORK_DIR=work, SCENARIO_BIN_DIR=self.bin,
                   LD_DEBUG="files", LD_DEBUG_OUTPUT=os.path.join(dbg, "ld"))
        env.pop("LD_PRELOAD", None)
        try:
            subprocess.run([self.expand(a, work) for a in b["cmd"]], env=env, cwd=work,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            log(f"benign {b['group']}: the untraced count run timed out; counted what loaded")
        n = 0
        for path in glob.glob(os.path.join(dbg, "ld.*")):
            with open(path, encoding="utf-8", errors="replace") as f:
                n += sum(1 for line in f if "dynamically loaded by" in line)
        shutil.rmtree(work, ignore_errors=True)
        return n

    def run_benign(self, b):
        base = os.path.join(self.run_dir, "benign", b["group"])
        work = os.path.join(base, "work")
        os.makedirs(work)
        loads = self.count_loads(b, base)
        env = dict(os.environ, SCENARIO_WORK_DIR=work, SCENARIO_BIN_DIR=self.bin)
        env.pop("LD_PRELOAD", None)
        out = os.path.join(base, "trace.jsonl")
        rc, secs = self.trace([self.expand(a, work) for a in b["cmd"]], env, out, 300, work)
        ev = read_trace(out)
        counts = {lvl: sum(1 for v in ev["verdicts"] if v.get("level") == lvl) for lvl in LEVELS}
        run = summarize_run(ev)
        run.update({"group": b["group"], "what": b["what"], "loads": loads, "exit": rc,
                    "seconds": round(secs, 1), "levels": counts,
                    "flagged": [{"object": v.get("path"), "level": v.get("level"),
                                 "risk": v.get("risk")} for v in ev["verdicts"]
                                if v.get("level") in ("medium", "high")]})
        if not self.args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return run

    def run(self):
        for need in (self.bpf, os.path.join(self.bin, "scn_host")):
            if not os.path.exists(need):
                raise SystemExit(f"scenarios: {need} is not built (scripts/scenarios.sh builds it)")
        scen, bn = self.selected()
        # one run per build directory: a second one would delete the first's files
        self.lock = open(self.run_dir + ".lock", "w", encoding="ascii")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SystemExit(f"scenarios: another run is using {self.run_dir}")
        shutil.rmtree(self.run_dir, ignore_errors=True)
        os.makedirs(self.run_dir)
        start = time.monotonic()
        results, benign = [], []
        self.services = Services(self.run_dir, self.bin)
        try:
            total = len(scen) * (1 if self.args.untraced else 2) + len(bn)
            step = 0
            for s in scen:
                r = {k: s[k] for k in ("name", "suite", "attack", "what")}
                missing = next((m for m in map(requirement_missing, s.get("requires", [])) if m),
                               None)
                if missing:
                    r["skipped"] = missing
                    step += 2
                    log(f"[{step}/{total}] {s['name']}: skipped, {missing}")
                    results.append(r)
                    continue
                for mode in ("monitor",) if self.args.untraced else ("monitor", "enforce"):
                    step += 1
                    r[mode] = self.run_scenario(s, mode)
                    m = r[mode]
                    log(f"[{step}/{total}] {s['name']} {mode}: {m.get('level', 'unseen')} "
                        f"{m.get('risk', 0):.2f}, {'done' if m['done'] else 'ran' if m['ran'] else 'not run'}"
                        f" ({m['seconds']} s)")
                if self.args.untraced:
                    r["enforce"] = dict(r["monitor"], ran=True, done=True)
                r["complete"] = r["monitor"]["done"]
                r["judged_high"] = r["monitor"].get("level") == "high"
                r["stopped"] = r["monitor"]["ran"] and not r["enforce"]["ran"]
                results.append(r)
            for b in bn:
                step += 1
                r = self.run_benign(b)
                log(f"[{step}/{total}] benign {b['group']}: {r['loads']} loads, "
                    f"{r['verdicts']} judged, {len(r['flagged'])} medium/high ({r['seconds']} s)")
                benign.append(r)
        finally:
            self.services.stop()
        return results, benign, time.monotonic() - start


def pct(n, d):
    return 100.0 * n / d if d else 0.0


def measure(results, benign, seconds):
    ran = [r for r in results if "skipped" not in r]
    m = {
        "malicious": len(ran),
        "skipped": [r["name"] for r in results if "skipped" in r],
        "judged_high": sum(r["judged_high"] for r in ran),
        "stopped": sum(r["stopped"] for r in ran),
        "unseen": sum(1 for r in ran if not r["monitor"].get("level")),
        "incomplete": [r["name"] for r in ran if not r["complete"]],
        "failed_checks": [f'{r["name"]} ({mode}): {f}' for r in ran
                          for mode in ("monitor", "enforce")
                          for f in r.get(mode, {}).get("failed_checks", [])],
        "benign_groups": len(benign),
        "benign_loads": sum(b["loads"] for b in benign),
        "benign_judged": sum(b["verdicts"] for b in benign),
        "benign_flagged": sum(len(b["flagged"]) for b in benign),
        "seconds": round(seconds),
    }
    for suite in ("behaviour", "evasion"):
        sub = [r for r in ran if r["suite"] == suite]
        m[suite] = {"count": len(sub), "judged_high": sum(r["judged_high"] for r in sub),
                    "stopped": sum(r["stopped"] for r in sub)}
    m["high_pct"] = round(pct(m["judged_high"], m["malicious"]), 1)
    m["stopped_pct"] = round(pct(m["stopped"], m["malicious"]), 1)
    return m


def fmt_components(c):
    def one(k):
        v = c.get(k)
        return "-" if v is None else f"{v:.2f}"
    return " / ".join(one(k) for k in ("sequence", "source", "dcam")) if c else "-"


def ran_cell(run):
    return "done" if run["done"] else "ran" if run["ran"] else "no"


def short(path, n=30):
    path = path or "-"
    base = path if path.startswith("/proc/") else os.path.basename(path) or path
    return base if len(base) <= n else base[: n - 1] + "…"


def table(results, benign):
    head = ["scenario", "ATT&CK", "level", "risk", "seq / src / dcam", "point", "object",
            "payload ran: monitor", "enforce: ran", "enforce: action"]
    rows = []
    for r in results:
        if "skipped" in r:
            rows.append([r["name"], r["attack"], "skipped", "-", "-", "-", r["skipped"],
                         "-", "-", "-"])
            continue
        m, e = r["monitor"], r["enforce"]
        rows.append([r["name"], r["attack"], m.get("level", "**unseen**"),
                     f'{m["risk"]:.2f}' if m.get("level") else "-",
                     fmt_components(m.get("components")), m.get("point", "-"),
                     short(m.get("object")), ran_cell(m),
                     ran_cell(e) + (" (**stopped**)" if r["stopped"] else ""),
                     enforce_outcome(e)])
    for b in benign:
        lv = b["levels"]
        level = ", ".join(f"{k} {lv[k]}" for k in ("high", "medium", "low") if lv[k]) or "unseen"
        rows.append([f'benign: {b["group"]}', "-", level,
                     f'{b["risk"]:.2f}' if b.get("level") else "-",
                     fmt_components(b.get("components")), b.get("point", "-"),
                     short(b.get("object")), f'{b["loads"]} loads, {b["verdicts"]} judged',
                     "-", "-"])
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(out)


def summary_lines(m):
    b, e = m["behaviour"], m["evasion"]
    lines = [
        f'- malicious judged **high** (monitor): **{m["judged_high"]}/{m["malicious"]} = '
        f'{m["high_pct"]} %** (target ≥ {TARGETS["high_pct"]:.0f} %; behaviours '
        f'{b["judged_high"]}/{b["count"]}, evasion {e["judged_high"]}/{e["count"]}; '
        f'{m["unseen"]} with no verdict at all)',
        f'- malicious **stopped before their own code ran** (`--gate --enforce`): '
        f'**{m["stopped"]}/{m["malicious"]} = {m["stopped_pct"]} %** (target ≥ '
        f'{TARGETS["stopped_pct"]:.0f} %; behaviours {b["stopped"]}/{b["count"]}, evasion '
        f'{e["stopped"]}/{e["count"]})',
        f'- benign loads judged **medium or high**: **{m["benign_flagged"]}** of '
        f'{m["benign_loads"]} loads ({m["benign_judged"]} judged by the product, '
        f'{m["benign_groups"]} groups; target 0)',
        f'- runtime: {m["seconds"]} s',
    ]
    for f in m["failed_checks"]:
        lines.append(f"- **per-scenario check failed**: {f}")
    if m["incomplete"]:
        lines.append(f'- payload did not complete even unenforced (scenario or host problem): '
                     f'{", ".join(m["incomplete"])}')
    if m["skipped"]:
        lines.append(f'- skipped: {", ".join(m["skipped"])}')
    return lines


def write_docs(text):
    path = os.path.join(ROOT, "docs", "detection.md")
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if DOC_BEGIN not in doc or DOC_END not in doc:
        raise SystemExit(f"scenarios: {path} lacks the result markers")
    head, rest = doc.split(DOC_BEGIN, 1)
    tail = rest.split(DOC_END, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + DOC_BEGIN + "\n" + text + "\n" + DOC_END + tail)
    log(f"scenarios: results written to {path}")


def read_floors(path, section):
    floors, current = {}, None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            sec = re.fullmatch(r"\[(\w+)\]", line)
            if sec:
                current = sec.group(1)
                continue
            kv = re.fullmatch(r"(\w+)\s*=\s*(\d+)", line)
            if not kv:
                raise SystemExit(f"{path}:{n}: expected 'key = integer' or '[section]'")
            if current == section:
                floors[kv.group(1)] = int(kv.group(2))
    return floors


def check_floors(m, floors):
    """The regression guard: today's measured values, raised by hand as the
    product improves (docs/detection.md)."""
    checks = [("judged_high_min", m["judged_high"], ">="), ("stopped_min", m["stopped"], ">="),
              ("benign_flagged_max", m["benign_flagged"], "<="),
              ("benign_loads_min", m["benign_loads"], ">="),
              ("incomplete_max", len(m["incomplete"]), "<=")]
    failed = []
    for f in m["failed_checks"]:
        log(f"check {f}: FAILED")
        failed.append(f.split(" ")[0])
    for key, value, op in checks:
        if key not in floors:
            continue
        ok = value >= floors[key] if op == ">=" else value <= floors[key]
        log(f"floor {key} {op} {floors[key]}: measured {value} {'ok' if ok else 'FAILED'}")
        if not ok:
            failed.append(key)
    return failed


def main():
    ap = argparse.ArgumentParser(
        prog="scripts/scenarios.sh",
        description="Run the scenario suite under bpf-profiler: malicious scenarios under "
        "`trace --json` and `trace --gate --enforce --json`, the benign corpus under "
        "`trace --json`; print one table and the three measured targets.",
        epilog="Needs root (the tracer loads BPF programs). Results and traces of the last "
        "run stay in BUILD/scenarios-run/. Exit status: 0, 1 when a floor failed (--check) "
        "or the run failed, 2 usage, 77 not root (skipped).")
    ap.add_argument("--only", action="append", metavar="NAME[,NAME...]",
                    help="run only these scenarios or benign groups (or a suite: behaviour, "
                    "evasion, benign); repeatable")
    ap.add_argument("--ci", action="store_true",
                    help="the integration test's subset: scenarios marked 'ci' in the "
                    "manifest and the whole benign corpus")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON "
                    "document instead of the table")
    ap.add_argument("--write-docs", dest="docs", action="store_true", default=None,
                    help="write the table into docs/detection.md (default: only for a full run)")
    ap.add_argument("--no-docs", dest="docs", action="store_false",
                    help="never touch docs/detection.md")
    ap.add_argument("--check", action="store_true",
                    help="compare with the floors file ([full], or [ci] with --ci); fail "
                    "below them")
    ap.add_argument("--floors", default=os.path.join(HERE, "floors"), metavar="FILE",
                    help="floors file (default tests/scenarios/floors)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"), metavar="DIR",
                    help="where bpf-profiler and the fixtures are built (default build/)")
    ap.add_argument("--keep", action="store_true", help="keep each run's scratch files")
    ap.add_argument("--list", action="store_true", help="list the scenarios and groups")
    ap.add_argument("--untraced", action="store_true",
                    help="check the suite itself: run each scenario once without the tracer "
                    "(every payload must complete; no docs, no floors)")
    args = ap.parse_args()

    runner = Runner(args)
    if args.list:
        for s in runner.manifest["scenarios"]:
            print(f'{s["name"]:22} {s["suite"]:9} {s["attack"]:10} {s["what"]}')
        for b in runner.manifest["benign"]:
            print(f'{b["group"]:22} {"benign":9} {"-":10} {b["what"]}')
        return 0
    if args.untraced and (args.check or args.docs):
        ap.error("--untraced checks the scenarios themselves: no --check, no --write-docs")
    if args.untraced:
        args.docs = False
    if args.check and args.only:
        ap.error("--check compares a full run or --ci with the floors, not --only")
    if os.geteuid() != 0:
        log("scenarios: SKIPPED: needs root (the tracer loads BPF programs)")
        return 77
    # a terminated run still stops its services, victims and process groups
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, _: sys.exit(128 + n))
    results, benign, seconds = runner.run()
    m = measure(results, benign, seconds)
    text = table(results, benign) + "\n\n" + "\n".join(summary_lines(m))
    if args.json:
        json.dump({"scenarios": results, "benign": benign, "measured": m,
                   "targets": TARGETS}, sys.stdout, indent=1)
        print()
    else:
        print(text)
    full = not args.only and not args.ci
    if args.docs or (args.docs is None and full):
        stamp = time.strftime("%Y-%m-%d")
        write_docs(f"Measured {stamp} on {os.uname().release} ({m['seconds']} s):\n\n" + text)
    if args.check:
        failed = check_floors(m, read_floors(args.floors, "ci" if args.ci else "full"))
        if failed:
            log(f"scenarios: below the floors: {', '.join(failed)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
