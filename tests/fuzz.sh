#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FIRN_FUZZ_SECS each, default 20) from the seed corpus in
# fuzz/corpus. Needs cargo-fuzz; on a stable toolchain RUSTC_BOOTSTRAP=1 lets it use the sanitizer flags.
# The corpus grows in a scratch copy, so the repository keeps only its seeds.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
if ! command -v cargo-fuzz >/dev/null; then
  echo "SKIP fuzzing: cargo-fuzz is not installed (cargo install cargo-fuzz; .ci/run does)"
  exit 0
fi
secs=${FIRN_FUZZ_SECS:-20}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
pass=0
fail=0
for target in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do
  cp -r "corpus/$target" "$scratch/$target"
  if RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$scratch/$target" -- -max_total_time="$secs" >"$scratch/$target.log" 2>&1; then
    echo "PASS fuzz $target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$scratch/$target.log")"
    pass=$((pass + 1))
  else
    echo "FAIL fuzz $target"
    grep -E -A15 "panicked|ERROR" "$scratch/$target.log" | head -40 | sed 's/^/    /'
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
