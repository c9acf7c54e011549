#!/bin/bash
# Instructions per lesson-1 iteration of a checkout's release build: callgrind on
# `unrolled-dev bench-run linear-sgd` at 15,000 and 5,000 iterations, the difference over 10,000
# (start-up and corpus set-up cancel out), address randomisation off, one BLAS thread.
#   bench/callgrind_step.sh [CHECKOUT] [off|summary|full]
# Build first: swift build -c release --product unrolled-dev (in CHECKOUT).
set -euo pipefail
checkout=$(cd "${1:-.}" && pwd); level=${2:-off}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# Symbols kept, debug info dropped: valgrind 3.19 stops on this toolchain's DWARF.
strip --strip-debug -o "$work/unrolled-dev" "$checkout/.build/release/unrolled-dev"
count() {
  (cd "$checkout" && UNROLLED_THREADS=1 setarch -R valgrind --tool=callgrind --callgrind-out-file="$work/$1.out" \
     "$work/unrolled-dev" bench-run linear-sgd --epochs "$1" --trace-level "$level" >/dev/null 2>"$work/$1.err")
  grep -o "Collected : [0-9]*" "$work/$1.err" | awk '{print $3}'
}
low=$(count 0.5); high=$(count 1.5)
echo "$checkout $level: $(( (high - low) / 10000 )) instructions per iteration"
