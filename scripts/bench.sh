#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Benchmarks, one section per module: `scripts/bench.sh SECTION...` runs the
# named sections, no argument runs them all. Each section prints its numbers
# (the ones docs/performance.md records) and fails on a crash or a missed
# target. Build first (cmake --build build); BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bpf-profiler}

now() { date +%s.%N; }

# --- dcam: static analysis of every shared object in the system library dir
bench_dcam() {
  local dir=${DCAM_DIR:-/usr/lib/x86_64-linux-gnu} target=${DCAM_TARGET_MBS:-200}
  local list out t0 t1 rc files bytes errors
  list=$(mktemp) out=$(mktemp)
  find "$dir" -name '*.so*' -type f -print0 >"$list"
  files=$(tr -cd '\0' <"$list" | wc -c)
  bytes=$(xargs -0 stat -c %s <"$list" | awk '{s += $1} END {print s}')
  xargs -0 cat <"$list" >/dev/null # warm page cache
  for mode in dcam full; do
    local flags=(--json)
    [ "$mode" = dcam ] && flags+=(--no-reputation)
    t0=$(now)
    rc=0
    xargs -0 "$BIN" analyze "${flags[@]}" <"$list" >"$out" 2>/dev/null || rc=$?
    t1=$(now)
    # xargs: 123 = some invocation exited 1-125 (files it could not analyse);
    # anything else non-zero is a crash or a kill
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 123 ]; then
      echo "dcam: analyze crashed or was killed (xargs status $rc)" >&2
      rm -f "$list" "$out"
      return 1
    fi
    errors=$(grep -c '"error"' "$out" || true)
    awk -v f="$files" -v b="$bytes" -v t0="$t0" -v t1="$t1" -v e="$errors" -v m="$mode" \
      'BEGIN { s = t1 - t0; printf "dcam[%s]: %d files (%d not analysable), %.1f MB in %.2f s: %.0f files/s, %.0f MB/s\n", m, f, e, b / 1e6, s, f / s, b / 1e6 / s }'
    if [ "$mode" = dcam ]; then
      awk -v b="$bytes" -v t0="$t0" -v t1="$t1" -v target="$target" \
        'BEGIN { if (b / 1e6 / (t1 - t0) < target) { printf "dcam: below the %d MB/s target\n", target; exit 1 } }' >&2 ||
        { rm -f "$list" "$out"; return 1; }
    fi
  done
  rm -f "$list" "$out"
}

SECTIONS=(dcam)
[ $# -eq 0 ] && set -- "${SECTIONS[@]}"
for s in "$@"; do
  case " ${SECTIONS[*]} " in
  *" $s "*) "bench_$s" ;;
  *) echo "bench.sh: unknown section '$s' (have: ${SECTIONS[*]})" >&2; exit 2 ;;
  esac
done
