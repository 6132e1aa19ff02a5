#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# The detection scorecard (docs/detection.md): installs dependencies, builds
# bpf-profiler and the scenario fixtures, then runs tests/scenarios/run.py:
# every malicious scenario under `trace --json` and `trace --gate --enforce
# --json`, the benign corpus under `trace --json`, one table and the three
# targets. A full run rewrites the table in docs/detection.md. Run as root;
# about 5-6 minutes on this host kind (2 cores). Options: --help.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
prepare=1
args=()
while [ $# -gt 0 ]; do
	a=$1
	shift
	case "$a" in
	-h | --help)
		cat <<-EOF
		Usage: scripts/scenarios.sh [--no-build] [OPTIONS]

		Installs the dependencies (scripts/deps.sh) and builds $build/ unless --no-build,
		then runs the scenario suite (tests/scenarios/run.py) with OPTIONS:

		EOF
		exec /usr/bin/python3 tests/scenarios/run.py --help
		;;
	--no-build) prepare=0 ;;
	--build-dir=*) build=${a#--build-dir=} ;;
	--build-dir) build=${1:?--build-dir needs a directory}; shift ;;
	*) args+=("$a") ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "scenarios.sh: SKIPPED: needs root (the tracer loads BPF programs)" >&2
	exit 77
fi
if [ "$prepare" = 1 ]; then
	bash scripts/deps.sh
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target bpf-profiler scenarios >/dev/null
fi
# Debian's interpreter: the runner's services and the corpus use only its stdlib
exec /usr/bin/python3 tests/scenarios/run.py --build-dir "$build" ${args[@]+"${args[@]}"}
