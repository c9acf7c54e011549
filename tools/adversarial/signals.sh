#!/usr/bin/env bash
# Signals at random moments (issue #24): N SIGINT and N SIGTERM into `run --checkpoint` (each
# interrupted run resumed, itself interrupted at random, until it finishes) and into
# `trace --out`. Checks: exit status 130/143 (or 0 when the run finished first), no temporary
# file left, every output absent, the old one or the new one whole, and every resumed chain's
# final weights byte-identical to an uninterrupted run's.
#
# usage: tools/adversarial/signals.sh BINARY CORPUS [N=20]   (works in a fresh temporary dir)
set -u
BIN=$(realpath "$1"); CORPUS=$(realpath "$2"); N=${3:-20}
LESSONS=$(cd "$(dirname "$0")/../../lessons" && pwd)
WORK=$(mktemp -d /tmp/unrolled-signals.XXXXXX)
cd "$WORK" || exit 1
export UNROLLED_LESSONS=$LESSONS UNROLLED_THREADS=1
head -c 60000 "$CORPUS" > corpus.txt
RUN=(run char3 --corpus corpus.txt --epochs-scale 3 --no-plot)
TRACE=(trace char-loop --corpus corpus.txt --level full --batch 512)
fail=0; report() { echo "FAIL: $*"; fail=$((fail + 1)); }
temporaries() { find . -name '*.tmp-*' | grep -q . ; }

# Wall-clock seconds of a command, to spread the signals over a whole run.
seconds() { local t0=$(date +%s.%N); "$@" > /dev/null || return 1; awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
RUN_TIME=$(seconds "$BIN" "${RUN[@]}" --save reference.safetensors) || { echo "reference run failed"; exit 1; }
TRACE_TIME=$(seconds "$BIN" "${TRACE[@]}" --out reference.jsonl) || { echo "reference trace failed"; exit 1; }
ref_trace=$(sha256sum < reference.jsonl)
echo "uninterrupted: run $RUN_TIME s, trace $TRACE_TIME s ($(stat -c %s reference.jsonl) bytes)"

# Sleep a random time in [0.05, $1) seconds.
nap() { sleep "$(awk -v r=$RANDOM -v top="$1" 'BEGIN { printf "%.3f", 0.05 + (top - 0.05) * r / 32768 }')"; }

chains=0; kills=0; finished_first=0
for signal in INT TERM; do
  expected=$([ $signal = INT ] && echo 130 || echo 143)
  for i in $(seq 1 "$N"); do
    rm -rf ck out.safetensors
    args=("${RUN[@]}" --checkpoint ck --save out.safetensors)
    for attempt in $(seq 1 50); do
      "$BIN" "${args[@]}" > /dev/null 2> err.txt & pid=$!
      nap "$RUN_TIME"; kill -s $signal $pid 2>/dev/null; wait $pid; status=$?
      kills=$((kills + 1))
      if [ $status -eq 0 ]; then break; fi
      [ $status -eq $expected ] || report "run: SIG$signal gave status $status: $(cat err.txt)"
      temporaries && report "run: temporary left after SIG$signal: $(find . -name '*.tmp-*')"
      if [ -e ck/char3.checkpoint.safetensors ]; then args=("${RUN[@]}" --checkpoint ck --resume ck --save out.safetensors); fi
    done
    [ $attempt -eq 1 ] && finished_first=$((finished_first + 1))
    if cmp -s out.safetensors reference.safetensors; then chains=$((chains + 1)); else report "run chain $signal/$i: final weights differ from the uninterrupted run"; fi
  done
done
echo "run --checkpoint: $((2 * N)) chains, $kills signals sent, $chains chains bit-identical to the uninterrupted run ($finished_first finished before the first signal)"

traces=0; trace_done=0
for signal in INT TERM; do
  expected=$([ $signal = INT ] && echo 130 || echo 143)
  for i in $(seq 1 "$N"); do
    [ $((i % 2)) -eq 0 ] && cp reference.jsonl t.jsonl || rm -f t.jsonl
    "$BIN" "${TRACE[@]}" --out t.jsonl > /dev/null 2> err.txt & pid=$!
    nap "$TRACE_TIME"; kill -s $signal $pid 2>/dev/null; wait $pid; status=$?
    if [ $status -eq 0 ]; then trace_done=$((trace_done + 1)); elif [ $status -ne $expected ]; then report "trace: SIG$signal gave status $status: $(cat err.txt)"; fi
    temporaries && report "trace: temporary left after SIG$signal: $(find . -name '*.tmp-*')"
    if [ -e t.jsonl ] && [ "$(sha256sum < t.jsonl)" != "$ref_trace" ]; then report "trace: t.jsonl is neither the old nor a whole new trace"; fi
    traces=$((traces + 1))
  done
done
echo "trace --out: $traces signals, $trace_done traces finished first; every t.jsonl absent or whole"
echo "failures: $fail"
rm -rf "$WORK"
[ $fail -eq 0 ]
