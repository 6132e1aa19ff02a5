#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# The README's test command: installs dependencies, builds, and runs every
# test — unit tests under ASan/UBSan, then the whole suite (root integration
# tests load the real BPF programs; without root they are skipped loudly),
# the fuzz targets for 20 s each, and the BPF LSM test in a QEMU guest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFPROF_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBPFPROF_SANITIZE=ON -DBPFPROF_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"

echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure

echo "== all tests"
ctest --test-dir build --output-on-failure "$@"

# the parsers that take other hosts' and users' input, under libFuzzer
# (FUZZ_SECONDS per target; 0 skips, loudly)
echo "== fuzz targets"
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
else
  echo "SKIPPED: FUZZ_SECONDS=0"
fi

# BPF LSM cannot load on this host kind (docs/kernel.md): its backend is proven
# in a QEMU guest with Debian's 6.1 kernel (about 10 s; BPFPROF_SKIP_VM=1
# skips it loudly where QEMU cannot run)
echo "== BPF LSM backend in a QEMU guest"
bash scripts/vmtest.sh
