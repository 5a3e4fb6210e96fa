#!/usr/bin/env bash
# The project's one test command: unit and integration tests, then the interop suite with real clients.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --locked
cargo test --workspace --locked
bash tests/interop/run.sh
