#!/usr/bin/env bash
# Signals at random moments (issue #24): N SIGINT and N SIGTERM into `run --checkpoint` (each
# interrupted run resumed, itself interrupted at random, until it finishes) and into
# `trace --out`. Checks: exit status 130/143 (or 0 when the run finished first), no temporary
# file left, every output absent, the old one or the new one whole, and every resumed chain's
# final weights byte-identical to an uninterrupted run's.
#
# usage: tools/adversarial/signals.sh BINARY CORPUS [N=20]   (works in a fresh temporary dir;
#        ONLY_LONG=1 for the last part alone)
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
# ONLY_LONG=1 skips the checkpoint chains and traces and signals the other commands only.
[ -n "${ONLY_LONG:-}" ] && N=0
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

# Every other long command: one SIGINT and one SIGTERM each, at a random moment of a run
# measured beforehand. Checks: 130/143 (0 only if it finished first), one line saying where it
# stopped, nothing left behind, and how long the process took to stop after the signal.
for i in $(seq 70); do cat "$CORPUS"; done | head -c 40000000 > corpus40m.txt
head -c 2000000 corpus40m.txt > corpus2m.txt
"$BIN" run char3 --corpus corpus2m.txt --epochs-scale 0.001 --no-plot --save w.safetensors > /dev/null || { echo "char3 weights run failed"; exit 1; }
"$BIN" run char-rnn --corpus corpus2m.txt --epochs-scale 0.0005 --no-plot --save w-rnn.safetensors > /dev/null || { echo "char-rnn weights run failed"; exit 1; }
LONG=(
  "trace char-loop --corpus corpus.txt --level full --batch 2048 --out t2.jsonl"
  "draw char-loop --corpus corpus.txt --view graph --frames --out pictures"
  "step char-rnn --corpus corpus2m.txt --at-step 2000 --all"
  "generate char3 --weights w.safetensors --corpus corpus2m.txt -n 100000 --prompt tho"
  "book char-rnn --corpus corpus2m.txt --at-step 1500 --out book"
  "watch char3 --corpus corpus2m.txt --steps 3000 --every 10 --out pictures h1"
  "corpus info --corpus corpus40m.txt"
  "eval char-rnn --weights w-rnn.safetensors --corpus corpus2m.txt"
  "golden char-seq-rnn"
)
printf '%-90s %8s %8s %s\n' command "run (s)" "stop (s)" "status"
for command in "${LONG[@]}"; do
  read -r -a words <<< "$command"
  took=$(seconds "$BIN" "${words[@]}" < /dev/null) || { report "$command failed uninterrupted"; continue; }
  for signal in INT TERM; do
    expected=$([ $signal = INT ] && echo 130 || echo 143)
    rm -rf t2.jsonl pictures book
    "$BIN" "${words[@]}" > /dev/null 2> err.txt < /dev/null & pid=$!
    nap "$took"
    t0=$(date +%s.%N); kill -s $signal $pid 2>/dev/null; wait $pid; status=$?
    stop=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    if [ $status -ne 0 ]; then
      [ $status -eq $expected ] || report "$command: SIG$signal gave status $status: $(cat err.txt)"
      [ "$(wc -l < err.txt)" -eq 1 ] && grep -q '^error: interrupted' err.txt || report "$command: SIG$signal said: $(cat err.txt)"
    fi
    temporaries && report "$command: temporary left after SIG$signal: $(find . -name '*.tmp-*')"
    [ $status -ne 0 ] && [ -e t2.jsonl ] && report "$command: an interrupted trace left t2.jsonl"
    printf '%-90s %8s %8s %s (SIG%s) %s\n' "$command" "$took" "$stop" "$status" "$signal" "$(cut -c1-80 err.txt)"
  done
done
echo "failures: $fail"
rm -rf "$WORK"
[ $fail -eq 0 ]
