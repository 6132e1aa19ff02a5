#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Runs the libFuzzer targets of tests/fuzz for SECONDS each (default 30) under
# ASan/UBSan: snapshots, entries, trace files with the scorer, decision queries,
# fleet database stream messages, ELF objects through the static analysis
# (DCAM), /proc status, cmdline and cgroup text through attribution.
# Seeds: tests/fuzz/corpus/<target>/ plus a snapshot of the curated database
# exported by the build itself. A crash or broken property fails the run; the
# input is kept in build-fuzz/crashes/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
case "$seconds" in
  -h|--help) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *[!0-9]*|'') echo "fuzz.sh: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;;
esac
build=build-fuzz
targets=(entry trace snapshot query fleet dcam attribution)

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFPROF_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz bpf-profiler >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$build/crashes/$t"
  [ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/$t/* "$work/$t/"
done
# the snapshot target takes an entry count (u16) and the uncompressed payload
"$build/bpf-profiler" db --db "$work/seed.sqlite" export "$work/seed.bdsnap" >/dev/null
{ head -c 18 "$work/seed.bdsnap" | tail -c 2; tail -c +73 "$work/seed.bdsnap" | zstd -dcq; } \
  > "$work/snapshot/curated"

status=0
for t in "${targets[@]}"; do
  printf '== fuzz_%s, %s s: ' "$t" "$seconds"
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$build/crashes/$t/" "$work/$t" >"$work/$t.log" 2>&1; then
    awk '/stat::number_of_executed_units/ { runs = $2 } /stat::new_units_added/ { n = $2 }
         END { printf "%d inputs, %d new in the corpus, no failure\n", runs, n }' "$work/$t.log"
  else
    echo "FAILED"
    grep -E "ERROR|runtime error|property broken|SUMMARY|Test unit written" "$work/$t.log" | head -20
    status=1
  fi
done
exit $status
