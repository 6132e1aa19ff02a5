#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Benchmarks, one section per module: `scripts/bench.sh MODULE...` (or
# `all`). Builds a Release tree in build-bench/ and prints markdown tables
# that docs/performance.md quotes. Add a module as a function bench_NAME.
set -euo pipefail
cd "$(dirname "$0")/.."

build() {
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-bench -j"$(nproc)" --target "$@" >/dev/null
}

# Decision store and API: N stored decisions (BENCH_DECISIONS, default
# 100000), then query latency direct and over HTTP on the unix socket.
bench_api() {
  build bench_api
  echo "## Decision store and API"
  echo
  build-bench/tests/bench_api "${BENCH_DECISIONS:-100000}"
}

modules=("$@")
[ ${#modules[@]} -eq 0 ] && { echo "usage: scripts/bench.sh all|api ..." >&2; exit 2; }
[ "${modules[0]}" = all ] && modules=(api)
for m in "${modules[@]}"; do
  if ! declare -F "bench_$m" >/dev/null; then
    echo "bench.sh: no benchmark for module '$m'" >&2
    exit 2
  fi
  "bench_$m"
  echo
done
