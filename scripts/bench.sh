#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Benchmarks (not tests): `scripts/bench.sh [SECTION...]`, all sections by
# default. Each reports ratios measured within one run, because these
# machines are noisy. Results go to docs/performance.md by hand.
# Knobs (environment): ROUNDS (3), the pipeline's PIPELINE_ITERS (600000),
# BPFTRACE_ITERS (100000), ALT_PAIRS (40) and ALT_ITERS (30000) for the
# attached/detached pairs; the gate's GATE_NEW (200 new objects) and
# GATE_REAL (the system libraries copied as new objects); BUILD (build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}

build() {
  bash scripts/deps.sh
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" >/dev/null
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# --- pipeline: cost of the kernel programs on a syscall-heavy loop -----------
# (a) and (a'): the programs loaded once and attached and detached between
# short runs, in ABBA pairs a second apart (bench_pipeline_load alternate):
# this host's speed drifts within minutes, and loading the programs anew
# for each run measured the drift. (b) and (c) start a tool, so each runs
# between two untraced runs and is divided by their mean.
bench_pipeline() {
  [ "$(id -u)" -eq 0 ] || { echo "pipeline: needs root" >&2; return 1; }
  local wl=$BUILD/tests/bench/bench_workload load=$BUILD/tests/bench/bench_pipeline_load
  local n=${PIPELINE_ITERS:-600000} nb=${BPFTRACE_ITERS:-100000}
  local pairs=${ALT_PAIRS:-40} na=${ALT_ITERS:-30000}
  local base=() traced=() bt=() btbase=() lost=0 tmp af aa
  tmp=$(mktemp -d)
  cat >"$tmp/bt.bt" <<'BT'
tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_close,
tracepoint:syscalls:sys_enter_mmap,tracepoint:syscalls:sys_enter_mprotect,
tracepoint:syscalls:sys_enter_munmap /comm == "bench_workload"/ { printf("%s %d\n", probe, pid); }
BT
  echo "pipeline: (a) $pairs pairs, programs detached/attached, this process untracked" >&2
  af=$("$load" alternate filtered "$pairs" "$wl" "$na" | tail -1)
  echo "pipeline: (a') $pairs pairs, every process recorded" >&2
  aa=$("$load" alternate all "$pairs" "$wl" "$na" | tail -1)
  local rt=() b0 b1 v
  ratio() { echo "$1 / (($2 + $3) / 2)" | bc -l; }
  for r in $(seq "$ROUNDS"); do
    echo "pipeline: round $r/$ROUNDS" >&2
    b0=$("$wl" "$n"); base+=("$b0")
    v=$("$BUILD/bpf-profiler" trace --json -o "$tmp/trace.jsonl" -- "$wl" "$n"); traced+=("$v")
    b1=$("$wl" "$n"); base+=("$b1"); rt+=("$(ratio "$v" "$b0" "$b1")")
    lost=$((lost + $(grep '"type":"summary"' "$tmp/trace.jsonl" | sed 's/.*"lost":\([0-9]*\).*/\1/')))
    btbase+=("$("$wl" "$nb")")
    bpftrace "$tmp/bt.bt" >/dev/null 2>"$tmp/bt.err" & local bp=$!
    sleep 3 # bpftrace compiles and attaches
    bt+=("$("$wl" "$nb")")
    kill -INT "$bp"; wait "$bp" || true
  done
  local b t bb bx
  b=$(printf '%s\n' "${base[@]}" | median); t=$(printf '%s\n' "${traced[@]}" | median)
  bb=$(printf '%s\n' "${btbase[@]}" | median); bx=$(printf '%s\n' "${bt[@]}" | median)
  echo "pipeline: (a), (a'): median of the pairs' ratios [q1, q3]; (b): median over $ROUNDS rounds of the run to the mean of the untraced runs either side; ns/iteration medians"
  printf '  %-52s %8.1f  1.00x  (untraced runs: %s)\n' "no tracing" "$b" "$(printf '%s\n' "${base[@]}" | sort -n | sed -n '1p;$p' | paste -sd- | sed 's/\.[0-9]*//g')"
  printf '  %-52s %8s  %s\n' "(a) programs loaded, process untracked (trace filter)" "" "$(echo "$af" | awk '{printf "%.2fx [%.2f, %.2f] over %d pairs", $2, $4, $6, $8}')"
  printf '  %-52s %8s  %s\n' "(a') programs loaded, every process recorded (agent)" "" "$(echo "$aa" | awk '{printf "%.2fx [%.2f, %.2f] over %d pairs", $2, $4, $6, $8}')"
  printf '  %-52s %8.1f  %.2fx  lost events: %d\n' "(b) traced by bpf-profiler trace, every event sent" "$t" "$(printf '%s\n' "${rt[@]}" | median)" "$lost"
  printf '  %-52s %8.1f  %.2fx  (baseline %.1f at %d iterations)\n' "(c) bpftrace, printf per event" "$bx" "$(echo "$bx/$bb" | bc -l)" "$bb" "$nb"
  rm -rf "$tmp"
}

# --- sources: the price of each load source, with and without the agent -------
# The real agent (gate on, monitoring) runs while tests/bench/workload does one
# kind of work at a time: a judged file mapped executable, anonymous memory
# made executable (each one a load the agent judges; with a system call
# instruction in it, a gate stop each), fork (window
# inheritance), io_uring submissions, and the pipeline's mixed loop.
bench_sources() {
  [ "$(id -u)" -eq 0 ] || { echo "sources: needs root" >&2; return 1; }
  local wl=$BUILD/tests/bench/bench_workload tmp kind ap
  local -A iters=([mixed]=500000 [mmap_exec]=200000 [anon_exec]=20000 [anon_raw]=2000 [fork]=3000 [io_uring]=300000)
  local -A base=() agent=() traced=()
  tmp=$(mktemp -d)
  printf '[policy]\nenforce = monitor\ngate = on\n[store]\nbd_path = %s/bd.sqlite\ndecision_log = %s/decisions.jsonl\n' \
    "$tmp" "$tmp" >"$tmp/agent.conf"
  for r in $(seq "$ROUNDS"); do
    echo "sources: round $r/$ROUNDS" >&2
    for kind in "${!iters[@]}"; do base[$kind]+="$("$wl" "${iters[$kind]}" "$kind") "; done
    for kind in "${!iters[@]}"; do
      traced[$kind]+="$("$BUILD/bpf-profiler" trace --json -o "$tmp/t.jsonl" -- "$wl" "${iters[$kind]}" "$kind") "
    done
    "$BUILD/bpf-profiler" agent --config "$tmp/agent.conf" --store "$tmp/agent.db" \
      --listen-unix "$tmp/api.sock" 2>"$tmp/agent.log" & ap=$!
    for _ in $(seq 200); do [ -S "$tmp/api.sock" ] && break; sleep 0.1; done
    kill -0 "$ap" 2>/dev/null || { echo "sources: the agent did not start:" >&2; cat "$tmp/agent.log" >&2; return 1; }
    sleep 1
    for kind in "${!iters[@]}"; do agent[$kind]+="$("$wl" "${iters[$kind]}" "$kind") "; done
    kill "$ap"; wait "$ap" || true
  done
  echo "sources: ns/iteration (median of $ROUNDS), ratio to no agent in the same run"
  printf '  %-10s %9s %9s %6s %9s %6s\n' kind "no agent" agent ratio traced ratio
  for kind in mixed mmap_exec anon_exec anon_raw fork io_uring; do
    local b a t
    b=$(tr ' ' '\n' <<<"${base[$kind]}" | grep . | median)
    a=$(tr ' ' '\n' <<<"${agent[$kind]}" | grep . | median)
    t=$(tr ' ' '\n' <<<"${traced[$kind]}" | grep . | median)
    printf '  %-10s %9.1f %9.1f %5.2fx %9.1f %5.2fx\n' "$kind" "$b" "$a" "$(echo "$a/$b" | bc -l)" \
      "$t" "$(echo "$t/$b" | bc -l)"
  done
  echo "  agent decisions stored: $("$BUILD/bpf-profiler" report --json --store "$tmp/agent.db" 2>/dev/null | wc -l)"
  rm -rf "$tmp"
}

# --- gate: what a gated process waits for a verdict ----------------------------
# A new object (N distinct copies of a small library) is stopped, judged and
# resumed; a judged one loaded again (1000 times) passes on a cache lookup.
bench_gate() {
  [ "$(id -u)" -eq 0 ] || { echo "gate: needs root" >&2; return 1; }
  local gl=$BUILD/tests/bench/bench_gate_load lib=$BUILD/tests/fixtures/libbenign.so
  local n=${GATE_NEW:-200} tmp copies=() same=() sum
  tmp=$(mktemp -d)
  for i in $(seq "$n"); do # distinct bytes: a new object each (same code)
    cp "$lib" "$tmp/new-$i.so"; printf '%08d' "$i" >>"$tmp/new-$i.so"; copies+=("$tmp/new-$i.so")
  done
  for i in $(seq 1000); do same+=("$lib"); done
  pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; print a[i]}'; }
  "$gl" "${copies[@]}" >"$tmp/base.txt"
  "$BUILD/bpf-profiler" trace --gate --json -o "$tmp/new.jsonl" -- "$gl" "${copies[@]}" >"$tmp/new.txt"
  "$BUILD/bpf-profiler" trace --gate --json -o "$tmp/same.jsonl" -- "$gl" "${same[@]}" >"$tmp/same.txt"
  sum=$(grep '"type":"summary"' "$tmp/same.jsonl")
  echo "gate: dlopen latency in microseconds (p50 / p90 / p99), $n new objects, 1000 loads of one"
  printf '  %-46s %8s %8s %8s\n' "" p50 p90 p99
  printf '  %-46s %8s %8s %8s\n' "new objects, no tracing" "$(pct 50 <"$tmp/base.txt")" \
    "$(pct 90 <"$tmp/base.txt")" "$(pct 99 <"$tmp/base.txt")"
  printf '  %-46s %8s %8s %8s\n' "new objects, trace --gate (stop, judge, resume)" \
    "$(pct 50 <"$tmp/new.txt")" "$(pct 90 <"$tmp/new.txt")" "$(pct 99 <"$tmp/new.txt")"
  printf '  %-46s %8s %8s %8s\n' "one judged object, trace --gate" "$(pct 50 <"$tmp/same.txt")" \
    "$(pct 90 <"$tmp/same.txt")" "$(pct 99 <"$tmp/same.txt")"
  echo "  first gated load: $(head -1 "$tmp/new.txt") us"
  echo "  judged object, 1000 loads: gate stops $(echo "$sum" | sed 's/.*"gate_stops":\([0-9]*\).*/\1/'), cache hits $(echo "$sum" | sed 's/.*"gate_cache_hits":\([0-9]*\).*/\1/'), $(awk '{s+=$1} END {printf "%.0f", NR/(s/1e6)}' "$tmp/same.txt") loads/s"
  bench_gate_real "$gl" "$tmp"
  rm -rf "$tmp"
}

# Real libraries as new objects: a copy of each (distinct bytes) loaded
# right after the system's own, so that its dependencies are judged
# already and the copy's row is its own stop, analysis and resume.
bench_gate_real() {
  local gl=$1 tmp=$2 dir args=() names=() l f
  dir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  for l in ${GATE_REAL:-libz.so.1 libsqlite3.so.0 libstdc++.so.6 libcrypto.so.3}; do
    f=$(readlink -f "$dir/$l") || continue
    [ -f "$f" ] || continue
    cp "$f" "$tmp/real-$l" && printf 'bench%08d' "$RANDOM" >>"$tmp/real-$l"
    args+=("$f" "$tmp/real-$l") names+=("$l")
  done
  [ ${#names[@]} -gt 0 ] || return 0
  "$gl" "${args[@]}" >"$tmp/real-base.txt"
  "$BUILD/bpf-profiler" trace --gate --json -o "$tmp/real.jsonl" -- "$gl" "${args[@]}" >"$tmp/real-gate.txt"
  echo "gate: copies of real libraries as new objects, dlopen microseconds"
  printf '  %-18s %10s %12s %14s\n' library "size (KiB)" "no tracing" "trace --gate"
  for i in "${!names[@]}"; do # the copy is every second line
    printf '  %-18s %10s %12s %14s\n' "${names[$i]}" "$(($(stat -c %s "$tmp/real-${names[$i]}") / 1024))" \
      "$(sed -n "$((2 * i + 2))p" "$tmp/real-base.txt")" "$(sed -n "$((2 * i + 2))p" "$tmp/real-gate.txt")"
  done
}

# --- dcam: static analysis of every shared object in the system library dir
bench_dcam() {
  local dir=${DCAM_DIR:-/usr/lib/x86_64-linux-gnu} target=${DCAM_TARGET_MBS:-200}
  local list out t0 t1 rc files bytes errors mode
  list=$(mktemp) out=$(mktemp)
  find "$dir" -name '*.so*' -type f -print0 >"$list"
  files=$(tr -cd '\0' <"$list" | wc -c)
  bytes=$(xargs -0 stat -c %s <"$list" | awk '{s += $1} END {print s}')
  xargs -0 cat <"$list" >/dev/null # warm page cache
  for mode in dcam full; do
    local flags=(--json)
    [ "$mode" = dcam ] && flags+=(--no-reputation)
    t0=$(date +%s.%N)
    rc=0
    xargs -0 "$BUILD/bpf-profiler" analyze "${flags[@]}" <"$list" >"$out" 2>/dev/null || rc=$?
    t1=$(date +%s.%N)
    # xargs: 123 = an invocation exited 1-125 (files it could not analyse);
    # anything else non-zero is a crash or a kill
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 123 ]; then
      echo "dcam: analyze crashed or was killed (xargs status $rc)" >&2
      rm -f "$list" "$out"
      return 1
    fi
    errors=$(grep -c '"error"' "$out" || true)
    awk -v f="$files" -v b="$bytes" -v t0="$t0" -v t1="$t1" -v e="$errors" -v m="$mode" \
      'BEGIN { s = t1 - t0; printf "dcam[%s]: %d files (%d unreadable), %.1f MB in %.2f s: %.0f files/s, %.0f MB/s\n", m, f, e, b / 1e6, s, f / s, b / 1e6 / s }'
    if [ "$mode" = dcam ] && ! awk -v b="$bytes" -v t0="$t0" -v t1="$t1" -v target="$target" \
        'BEGIN { exit !(b / 1e6 / (t1 - t0) >= target) }'; then
      echo "dcam: below the $target MB/s target" >&2
      rm -f "$list" "$out"
      return 1
    fi
  done
  # per object: time percentiles, peak RSS, what the analysis found
  "$BUILD/tests/bench/bench_dcam" <"$list" | grep '^dcam:'
  rm -f "$list" "$out"
  # peak RSS of analyze on files that claim the unreasonable (no limit on
  # what a file claims; the target is 64 MiB whatever it is)
  local tmp
  tmp=$(mktemp -d)
  python3 tests/tools/mkhostile.py "$BUILD/tests/fixtures/dcam/libdcam_net_ctor.so" "$tmp"
  for f in shdr4m big500 hugeload hugeload300; do
    python3 - "$BUILD/bpf-profiler" "$tmp/$f.so" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run([sys.argv[1], "analyze", "--no-reputation", "--json", sys.argv[2]],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("dcam: %-14s peak RSS %4d MB, %.2f s" % (sys.argv[2].split("/")[-1], kib // 1024,
                                               time.monotonic() - t))
PY
  done
  rm -rf "$tmp"
}

# --- api: decision store and HTTP API latency with many stored decisions ----
bench_api() {
  # absolute latencies (µs percentiles), no root needed; BENCH_DECISIONS
  # decisions are stored first (default 100000)
  echo "api: decision store and API, $((${BENCH_DECISIONS:-100000})) stored decisions"
  "$BUILD/tests/bench/bench_api" "${BENCH_DECISIONS:-100000}"
  "$BUILD/tests/bench/bench_submit" "${BENCH_SUBMISSIONS:-100000}" 100
  "$BUILD/tests/bench/bench_submit" 20000 1
}

# --- bd: behavioral database index, lookups and snapshot import ------------
bench_bd() {
  # absolute numbers (the targets are absolute), no root needed: synthetic
  # databases of random 5-grams over 300 tokens, one core
  echo "bd: fuzzy n-gram index, bytes per entry, snapshot import"
  # 10 M also fills, exports and imports SQLite: about 2.5 minutes, 3 GB
  # of temporary files in $TMPDIR (default /tmp)
  for n in 10000 100000 1000000 10000000; do
    "$BUILD/tests/bench/bench_bd" "$n" --store
  done
}

# --- fleet: the fleet module on one nats-server ------------------------------
bench_fleet() {
  # absolute numbers (the targets are absolute), no root needed. Twice, each
  # on a fresh nats-server (JetStream, loopback, a temporary store): one
  # publisher and FLEET_CLIENTS client processes of bench_fleet (the agent's
  # fleet module without the kernel part). First FLEET_ENTRIES submissions
  # as fast as the publisher goes, FLEET_QUARANTINES quarantines and a late
  # client catching up alone; then FLEET_PACED_ENTRIES at FLEET_RATE
  # entries/s (a rate the machine sustains: the latency without a backlog).
  # The servers and the stores go away however this ends.
  local clients=${FLEET_CLIENTS:-50}
  fleet_run --clients "$clients" --entries "${FLEET_ENTRIES:-100000}" \
    --quarantines "${FLEET_QUARANTINES:-100}"
  fleet_run --clients "$clients" --entries "${FLEET_PACED_ENTRIES:-3000}" \
    --rate "${FLEET_RATE:-100}" --batch 10 --quarantines 0 --no-catch-up
}

fleet_run() { # bench_fleet options
  local port mport
  FLEET_NATS_PID= FLEET_BENCH_PID=
  FLEET_TMP=$(mktemp -d /tmp/bench-fleet-XXXXXX)
  trap fleet_cleanup EXIT
  trap 'exit 130' INT TERM
  read -r port mport < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
  mkdir "$FLEET_TMP/clients"
  # --pdeathsig: not even a kill -9 of this script leaves a server behind
  setpriv --pdeathsig KILL nats-server -js -a 127.0.0.1 -p "$port" -m "$mport" \
    -sd "$FLEET_TMP/js" >"$FLEET_TMP/nats.log" 2>&1 &
  FLEET_NATS_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "fleet: nats-server $(nats-server --version | sed 's/.*v//') on 127.0.0.1:$port," \
    "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
  # in the background, so that a signal to this script is handled at once
  setpriv --pdeathsig KILL "$BUILD/tests/bench/bench_fleet" "nats://127.0.0.1:$port" \
    "$FLEET_TMP/clients" --server-pid "$FLEET_NATS_PID" --monitor "http://127.0.0.1:$mport" "$@" &
  FLEET_BENCH_PID=$!
  wait "$FLEET_BENCH_PID"
  FLEET_BENCH_PID=
  echo "fleet: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  fleet_cleanup
  trap - EXIT INT TERM
}

fleet_cleanup() {
  local p
  for p in "${FLEET_BENCH_PID:-}" "${FLEET_NATS_PID:-}"; do
    [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  FLEET_BENCH_PID= FLEET_NATS_PID=
  [ -z "${FLEET_TMP:-}" ] || rm -rf "$FLEET_TMP"
  FLEET_TMP=
}

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(pipeline sources gate dcam api bd fleet)
build
for s in "${sections[@]}"; do
  case "$s" in
    pipeline) bench_pipeline ;;
    dcam) bench_dcam ;;
    api) bench_api ;;
    bd) bench_bd ;;
    sources) bench_sources ;;
    gate) bench_gate ;;
    fleet) bench_fleet ;;
    *) echo "bench.sh: unknown section '$s' (known: pipeline sources gate dcam api bd fleet)" >&2; exit 2 ;;
  esac
done
