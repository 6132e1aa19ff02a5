#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# The README's main job: installs dependencies, builds, then traces a real
# dropper (fetch a library over TCP, write it to /tmp, chmod +x, dlopen it;
# its constructor connects out and makes memory executable) and prints the
# timeline and the verdict. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== bpf-profiler trace -- dropper libevil.so" >&2
exec build/bpf-profiler trace "$@" -- build/tests/fixtures/dropper build/tests/fixtures/libevil.so
