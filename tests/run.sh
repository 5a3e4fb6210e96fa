#!/usr/bin/env bash
# The project's one test command: formatting, lints and the layering (cargo fmt, clippy,
# tools/layers), then unit, model-based
# and integration tests (the integration suite on each metadata backend), the crash harness (its
# summary shown), the fuzz targets for a bounded time, the interop suite with real clients, then
# the browser tests in headless Chromium (the CORS page, then the web console).
set -euo pipefail
cd "$(dirname "$0")/.."
# Style and lints first: a minute, before the long suites.
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# No import circle and no module above its layer, in either crate (the layers are in each lib.rs).
cargo run --locked --quiet -p firn-layers -- storage-engine/src src
cargo build --workspace --locked
cargo test --workspace --locked -- --skip sigkill_at_random_moments
# The integration suite again with the in-memory metadata backend (tests of restarts keep sled),
# and with PostgreSQL (a throw-away cluster the harness starts; see testkit/src/pg.rs).
FIRN_METADATA_BACKEND=memory cargo test --locked --test api
pg=""
if [ -n "${CI:-}" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
  pg=yes
  FIRN_METADATA_BACKEND=postgres cargo test --locked --test api
else
  echo "SKIP: the integration suite and crash harness on PostgreSQL: no initdb here (apt-get install postgresql)"
fi
cargo test --locked --test crash -- --nocapture
if [ -n "$pg" ]; then
  # The crash harness on PostgreSQL too (one gateway at a time: abandoned files may go at once).
  FIRN_METADATA_BACKEND=postgres FIRN_SETTLE_SECS=0 cargo test --locked --test crash -- --nocapture
fi
bash tests/fuzz.sh
bash tests/interop/run.sh
bash tests/browser/run.sh
bash tests/console/run.sh
