#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# ADFA-LD evaluation of the behavioral database (docs/scoring.md): learn from
# normal training traces plus some attacks, score validation traces and the
# other attacks through the runtime scorer. Runs the run split (attack runs
# 1-3 train, 4-7 test), its mirror (4-7 train, 1-3 test) and leave-one-
# attack-family-out. Usage: scripts/eval-adfa.sh [DATA_DIR] [eval options]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/adfa-ld}
[ $# -gt 0 ] && shift
BIN=${BIN:-build/bpf-profiler}
[ -x "$BIN" ] || { echo "eval-adfa.sh: build first ($BIN missing)" >&2; exit 1; }
[ -d "$DATA/attack" ] || { echo "eval-adfa.sh: $DATA is not the ADFA-LD data directory" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
families=$(ls "$DATA/attack" | sed 's/_[0-9]*$//' | sort -u)

# link attack run directories into a train and a test tree
split() { # NAME TRAIN_FILTER (a command on "family run" returning 0 for train)
	mkdir -p "$TMP/$1/mtrain" "$TMP/$1/mtest"
	for d in "$DATA"/attack/*/; do
		d=${d%/}; b=$(basename "$d"); fam=${b%_*}; run=${b##*_}
		if $2 "$fam" "$run"; then ln -s "$(realpath "$d")" "$TMP/$1/mtrain/$b"
		else ln -s "$(realpath "$d")" "$TMP/$1/mtest/$b"; fi
	done
}
run() { # NAME
	printf '%-28s ' "$1"
	"$BIN" eval --syscall-table "$DATA/syscalls_i386.tsv" --normal-train "$DATA/train" \
		--malicious-train "$TMP/$1/mtrain" --normal-test "$DATA/validation" \
		--malicious-test "$TMP/$1/mtest" --json "${EVAL_OPTS[@]}" |
	python3 -c 'import json,sys; m=json.load(sys.stdin); print("AUC %.4f  detected %5.1f%% @1%%FP %5.1f%% @5%%FP %5.1f%% @10%%FP  (%d attack traces)" % (m["auc"], 100*m["detection_at_1pct_fp"], 100*m["detection_at_5pct_fp"], 100*m["detection_at_10pct_fp"], m["malicious_test"]))'
}
EVAL_OPTS=("$@")
runs_1_3() { [ "$2" -le 3 ]; }
runs_4_7() { [ "$2" -ge 4 ]; }
split runs-1-3-train runs_1_3; run runs-1-3-train
split runs-4-7-train runs_4_7; run runs-4-7-train
for f in $families; do
	eval "not_$f() { [ \"\$1\" != \"$f\" ]; }"
	split "without-$f" "not_$f"; run "without-$f"
done
