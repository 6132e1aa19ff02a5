#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Benchmarks (not tests): `scripts/bench.sh [SECTION...]`, all sections by
# default. Each reports ratios measured within one run, because these
# machines are noisy. Results go to docs/performance.md by hand.
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
bench_pipeline() {
  [ "$(id -u)" -eq 0 ] || { echo "pipeline: needs root" >&2; return 1; }
  local wl=$BUILD/tests/bench/bench_workload load=$BUILD/tests/bench/bench_pipeline_load
  local n=${PIPELINE_ITERS:-1000000} nb=${BPFTRACE_ITERS:-100000}
  local base=() filt=() all=() traced=() bt=() btbase=() lost=0 tmp
  tmp=$(mktemp -d)
  cat >"$tmp/bt.bt" <<'BT'
tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_close,
tracepoint:syscalls:sys_enter_mmap,tracepoint:syscalls:sys_enter_mprotect,
tracepoint:syscalls:sys_enter_munmap /comm == "bench_workload"/ { printf("%s %d\n", probe, pid); }
BT
  with_loader() { # mode
    "$load" "$1" >"$tmp/ready" 2>"$tmp/load.err" & local lp=$!
    for _ in $(seq 100); do grep -q ready "$tmp/ready" 2>/dev/null && break; sleep 0.1; done
    "$wl" "$n"; kill "$lp"; wait "$lp" || true
  }
  for r in $(seq "$ROUNDS"); do
    echo "pipeline: round $r/$ROUNDS" >&2
    base+=("$("$wl" "$n")")
    filt+=("$(with_loader filtered)")
    all+=("$(with_loader all)")
    traced+=("$("$BUILD/bpf-profiler" trace --json -o "$tmp/trace.jsonl" -- "$wl" "$n")")
    lost=$((lost + $(grep '"type":"summary"' "$tmp/trace.jsonl" | sed 's/.*"lost":\([0-9]*\).*/\1/')))
    btbase+=("$("$wl" "$nb")")
    bpftrace "$tmp/bt.bt" >/dev/null 2>"$tmp/bt.err" & local bp=$!
    sleep 3 # bpftrace compiles and attaches
    bt+=("$("$wl" "$nb")")
    kill -INT "$bp"; wait "$bp" || true
  done
  local b f a t bb bx
  b=$(printf '%s\n' "${base[@]}" | median); f=$(printf '%s\n' "${filt[@]}" | median)
  a=$(printf '%s\n' "${all[@]}" | median); t=$(printf '%s\n' "${traced[@]}" | median)
  bb=$(printf '%s\n' "${btbase[@]}" | median); bx=$(printf '%s\n' "${bt[@]}" | median)
  echo "pipeline: ns/iteration (median of $ROUNDS), ratio to no tracing in the same run"
  printf '  %-52s %8.1f  1.00x\n' "no tracing" "$b"
  printf '  %-52s %8.1f  %.2fx\n' "(a) programs loaded, process untracked (trace filter)" "$f" "$(echo "$f/$b" | bc -l)"
  printf '  %-52s %8.1f  %.2fx\n' "(a') programs loaded, every process recorded (agent)" "$a" "$(echo "$a/$b" | bc -l)"
  printf '  %-52s %8.1f  %.2fx  lost events: %d\n' "(b) traced by bpf-profiler trace, every event sent" "$t" "$(echo "$t/$b" | bc -l)" "$lost"
  printf '  %-52s %8.1f  %.2fx  (baseline %.1f at %d iterations)\n' "(c) bpftrace, printf per event" "$bx" "$(echo "$bx/$bb" | bc -l)" "$bb" "$nb"
  rm -rf "$tmp"
}

# --- api: decision store and HTTP API latency with many stored decisions ----
bench_api() {
  # absolute latencies (µs percentiles), no root needed; BENCH_DECISIONS
  # decisions are stored first (default 100000)
  echo "api: decision store and API, $((${BENCH_DECISIONS:-100000})) stored decisions"
  "$BUILD/tests/bench/bench_api" "${BENCH_DECISIONS:-100000}"
}

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(pipeline api)
build
for s in "${sections[@]}"; do
  case "$s" in
    pipeline) bench_pipeline ;;
    api) bench_api ;;
    *) echo "bench.sh: unknown section '$s' (known: pipeline api)" >&2; exit 2 ;;
  esac
done
