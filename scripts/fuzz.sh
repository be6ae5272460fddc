#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default 30) each, from its
# committed seed corpus (fuzz/corpus/<target>), libFuzzer without a sanitizer (the crate forbids
# `unsafe`, and the stable toolchain has none). Prints executions per second; a crash stops it,
# leaving the input in fuzz/artifacts/<target>/ (each finding becomes a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"
if ! command -v cargo-fuzz >/dev/null; then
  echo "[fuzz] installing cargo-fuzz (crates.io)"
  cargo install --locked --quiet cargo-fuzz
fi
cd fuzz
targets=$(cargo fuzz list)
cargo fuzz build --sanitizer none >/dev/null 2>&1 || cargo fuzz build --sanitizer none
for target in $targets; do
  work=$(mktemp -d)
  log="target/fuzz-$target.log"
  mkdir -p target
  # A scratch copy of the seeds: new inputs found stay out of the committed corpus.
  cp -r "corpus/$target/." "$work/"
  if ! cargo fuzz run --sanitizer none "$target" "$work" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    echo "[fuzz] $target FAILED; see fuzz/$log and fuzz/artifacts/$target/"
    tail -30 "$log"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  echo "[fuzz] $target: ${runs:-?} runs in ${seconds} s (${rate:-?}/s), no failure"
  rm -rf "$work"
done
