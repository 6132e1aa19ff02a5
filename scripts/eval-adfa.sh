#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# ADFA-LD evaluation of the behavioral database (docs/scoring.md): learn from
# normal traces plus some attacks, score normal traces and the other attacks
# through the runtime scorer. Attack splits: the run split (attack runs 1-3
# train, 4-7 test), its mirror, and leave-one-attack-family-out. Normal
# protocols: "train-only" learns normal behaviour from train/ alone and tests
# on all of validation/; "folds" also learns from half of validation/ (odd or
# even trace numbers) and tests on the other half, both ways round.
# Usage: scripts/eval-adfa.sh [DATA_DIR] [eval options]
#        PROTOCOLS="folds" scripts/eval-adfa.sh ...   (default: train-only folds)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/adfa-ld}
[ $# -gt 0 ] && shift
BIN=${BIN:-build/bpf-profiler}
PROTOCOLS=${PROTOCOLS:-train-only folds}
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

# validation halves by the parity of the trace number (UVD-0001.txt: odd)
mkdir -p "$TMP/val/odd" "$TMP/val/even"
for f in "$DATA"/validation/*.txt; do
	n=$(basename "$f" .txt); n=${n##*[!0-9]}; n=$((10#${n:-0}))
	if ((n % 2)); then ln -s "$(realpath "$f")" "$TMP/val/odd/"
	else ln -s "$(realpath "$f")" "$TMP/val/even/"; fi
done

metrics() { # eval options...: prints "auc d1 d5 d10 n_attack"
	"$BIN" eval --syscall-table "$DATA/syscalls_i386.tsv" --normal-train "$DATA/train" \
		--json "$@" "${EVAL_OPTS[@]}" |
	python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["auc"], m["detection_at_1pct_fp"], m["detection_at_5pct_fp"], m["detection_at_10pct_fp"], m["malicious_test"])'
}
report() { # NAME, then lines of metrics on stdin: prints their mean
	python3 -c '
import sys
name = sys.argv[1]
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
m = [sum(c) / len(rows) for c in zip(*rows)]
print("%-24s AUC %.4f  detected %5.1f%% @1%%FP %5.1f%% @5%%FP %5.1f%% @10%%FP  (%d attack traces)"
      % (name, m[0], 100 * m[1], 100 * m[2], 100 * m[3], m[4]))' "$1"
}
run() { # NAME
	local m="--malicious-train $TMP/$1/mtrain --malicious-test $TMP/$1/mtest"
	case $protocol in
	train-only) metrics $m --normal-test "$DATA/validation" | report "$1" ;;
	folds) { metrics $m --normal-train "$TMP/val/odd" --normal-test "$TMP/val/even"
		 metrics $m --normal-train "$TMP/val/even" --normal-test "$TMP/val/odd"; } | report "$1" ;;
	esac
}
EVAL_OPTS=("$@")
runs_1_3() { [ "$2" -le 3 ]; }
runs_4_7() { [ "$2" -ge 4 ]; }
split runs-1-3-train runs_1_3
split runs-4-7-train runs_4_7
for f in $families; do
	eval "not_$f() { [ \"\$1\" != \"$f\" ]; }"
	split "without-$f" "not_$f"
done
for protocol in $PROTOCOLS; do
	echo "# normal protocol: $protocol"
	for s in runs-1-3-train runs-4-7-train; do run $s; done
	for f in $families; do run "without-$f"; done
done
