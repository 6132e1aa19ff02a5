#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Benchmarks; results are recorded in docs/performance.md. One section per
# module: run all, or name sections (e.g. scripts/bench.sh bd).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(bd)

bench_bd() {
	echo "== behavioral database: random 5-grams over 300 tokens, one core"
	for n in 10000 100000 1000000; do
		build/tests/bench_bd "$n" --store
	done
	# 10 M: index only (filling SQLite with 10 M rows takes minutes)
	build/tests/bench_bd 10000000
}

for s in "${sections[@]}"; do
	case "$s" in
	bd) bench_bd ;;
	*) echo "bench.sh: unknown section '$s'" >&2; exit 2 ;;
	esac
done
