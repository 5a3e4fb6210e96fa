#!/usr/bin/env bash
# The project's one test command: unit and integration tests, the crash harness (its summary
# shown), the fuzz targets for a bounded time, then the interop suite with real clients.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --locked
cargo test --workspace --locked -- --skip sigkill_at_random_moments
cargo test --locked --test crash -- --nocapture
bash tests/fuzz.sh
bash tests/interop/run.sh
