#!/usr/bin/env bash
# The console's browser tests: Playwright for Python drives Debian's chromium (executable_path;
# no browser is downloaded) against a real `firn serve` (console_test.py). Skips, saying so, only
# where chromium is not installed; .ci/run installs it. Screenshots of every page at 1280 and
# 390 px wide go to target/console/.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "SKIP console: chromium is not installed (Debian package chromium; .ci/run installs it)"
  exit 0
fi
venv="$root/target/interop-venv"
if ! "$venv/bin/python" -c "import boto3, playwright.sync_api" 2>/dev/null; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  # Only the Python package: its bundled driver talks to the system's chromium.
  "$venv/bin/pip" install --quiet boto3 websocket-client playwright==1.65.3
fi
firn="$root/target/debug/firn"
[ -x "$firn" ] || (cd "$root" && cargo build --quiet)
work=$(mktemp -d)
access=CONSOLEROOTKEY000000 secret=console-root-secret-0123456789abcdefghij
FIRN_LISTEN=127.0.0.1:0 FIRN_CONSOLE_LISTEN=127.0.0.1:0 FIRN_DATA_DIR="$work/data" \
  FIRN_ROOT_ACCESS_KEY=$access FIRN_ROOT_SECRET_KEY=$secret \
  FIRN_ARCHIVE_TIME_SCALE=3600 FIRN_LIFECYCLE_DAY_SECS=2 FIRN_LIFECYCLE_INTERVAL_SECS=0.2 \
  RUST_LOG=warn "$firn" serve >"$work/out.log" 2>"$work/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "secret key" "$work/out.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out.log")
console=$(sed -n 's/.*console: *\(http[^ ]*\).*/\1/p' "$work/out.log")
[ -n "$endpoint" ] && [ -n "$console" ] || { echo "firn did not start"; cat "$work/err.log"; exit 1; }
echo "browser: $("$chromium" --version 2>/dev/null)"
FIRN_BIN="$firn" "$venv/bin/python" "$root/tests/console/console_test.py" "$endpoint" "$console" "$access" "$secret" \
  "$chromium" "$root/target/console" "$work"
rc=$?
if [ $rc -ne 0 ]; then
  echo "--- firn's log"
  tail -50 "$work/err.log"
fi
exit $rc
