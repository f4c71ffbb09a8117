#!/usr/bin/env bash
# Whole-process timings and peak memory for the issue "Speed" targets,
# medians of RUNS runs (default 3), on a quiet machine:
#   benches/measure.sh            # all targets
#   RUNS=5 benches/measure.sh mm8 # one of: bf mm8 closed flat
# Builds the release binary and the bare loop first. Prints one line per
# run and a median per target; nothing is timed inside the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
what=${1:-all}
cargo build --release --quiet
cargo bench --bench bare_mmc --no-run --quiet 2>/dev/null
bare=$(ls -t target/release/deps/bare_mmc-* | grep -v '\.d$' | head -1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir "$out/times" "$out/reports"

# time_it LABEL CMD...: appends "seconds kib" to $out/times/LABEL. The
# wall time is read to the millisecond (GNU time's %e has 10 ms steps, a
# fifth of a 10⁵-customer run); time only gives the peak memory.
time_it() {
  local label=$1; shift
  local t0 t1
  # Bash's own clock: a `date` before and after would add its two
  # processes, about 2 ms, to every figure.
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$out/t" "$@" > /dev/null
  t1=$EPOCHREALTIME
  echo "$(awk "BEGIN {printf \"%.3f\", $t1 - $t0}") $(tail -1 "$out/t")" >> "$out/times/$label"
  echo "$label: $(tail -1 "$out/times/$label") (s, KiB peak)"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
report() {
  local label=$1
  echo "== $label: median $(cut -d' ' -f1 "$out/times/$label" | median) s, peak $(( $(cut -d' ' -f2 "$out/times/$label" | median) / 1024 )) MiB"
}

if [[ $what == all || $what == bf ]]; then
  for _ in $(seq "$runs"); do
    time_it bf target/release/ecsim run scenarios/black_friday.toml --quiet --out "$out/reports/bf"
  done
  report bf
fi
if [[ $what == all || $what == mm8 ]]; then
  for n in 1000000 5000000; do
    ms=$(( n * 1000 / 720 ))
    for _ in $(seq "$runs"); do
      time_it "ecsim_mm8_$n" target/release/ecsim run benches/mm8.toml --quiet --out "$out/reports/mm8" --set "scenario.duration=\"${ms}ms\""
      time_it "bare_mm8_$n" "$bare" 8 0.9 "$n"
    done
    report "ecsim_mm8_$n"
    report "bare_mm8_$n"
    e=$(cut -d' ' -f1 "$out/times/ecsim_mm8_$n" | median)
    b=$(cut -d' ' -f1 "$out/times/bare_mm8_$n" | median)
    echo "== ratio ecsim/bare at $n customers: $(echo "scale=2; $e / $b" | bc)"
  done
fi
if [[ $what == all || $what == closed ]]; then
  for _ in $(seq "$runs"); do
    time_it closed target/release/ecsim run benches/closed_1m.toml --quiet --out "$out/reports/closed"
  done
  report closed
fi
if [[ $what == all || $what == flat ]]; then
  # Also the run's own rate, from run.json (setup, run and invariants:
  # no process start, report or exit), and the fixed cost of a process:
  # `validate` alone, and a run of 10 ms (about 14,000 events).
  for _ in $(seq "$runs"); do
    time_it validate target/release/ecsim validate benches/mm8.toml
    time_it run_10ms target/release/ecsim run benches/mm8.toml --quiet --out "$out/reports/flat" --set 'scenario.duration="10ms"'
  done
  # The three sizes take turns, so that a drift in the machine's speed
  # does not fall on one of them.
  for _ in $(seq "$runs"); do
    for n in 100000 1000000 10000000; do
      ms=$(( n * 1000 / 720 ))
      time_it "flat_$n" target/release/ecsim run benches/mm8.toml --quiet --out "$out/reports/flat_$n" --set "scenario.duration=\"${ms}ms\""
      grep -o '"events_per_s": [0-9.]*' "$out/reports/flat_$n/run.json" | grep -o '[0-9.]*$' >> "$out/times/inside_$n"
    done
  done
  for n in 100000 1000000 10000000; do
    s=$(cut -d' ' -f1 "$out/times/flat_$n" | median)
    ev=$(grep -o '"events": [0-9]*' "$out/reports/flat_$n/run.json" | grep -o '[0-9]*$')
    echo "$ev / $s" | bc -l > "$out/times/rate_$n"
    echo "== $n customers: median $s s for $ev events: $(echo "scale=2; $ev / $s / 1000000" | bc)M events/s (whole process), $(median < "$out/times/inside_$n" | awk '{printf "%.2f", $1 / 1e6}')M in run.json"
  done
  echo "== 10⁵ against 10⁷: $(echo "scale=2; $(cat "$out/times/rate_100000") / $(cat "$out/times/rate_10000000")" | bc) whole process, $(echo "scale=2; $(median < "$out/times/inside_100000") / $(median < "$out/times/inside_10000000")" | bc) in run.json (flat: 0.80 or more)"
  echo "== fixed cost: validate $(cut -d' ' -f1 "$out/times/validate" | median) s, a 10 ms run $(cut -d' ' -f1 "$out/times/run_10ms" | median) s"
fi
