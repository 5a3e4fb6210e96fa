#!/usr/bin/env bash
# The project's one test command: unit, model-based and integration tests (the integration suite on
# both metadata backends), the crash harness (its summary shown), the fuzz targets for a bounded
# time, the interop suite with real clients, then the browser test in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --locked
cargo test --workspace --locked -- --skip sigkill_at_random_moments
# The integration suite again with the in-memory metadata backend (tests of restarts keep sled).
FIRN_METADATA_BACKEND=memory cargo test --locked --test api
cargo test --locked --test crash -- --nocapture
bash tests/fuzz.sh
bash tests/interop/run.sh
bash tests/browser/run.sh
