#!/usr/bin/env bash
# The browser test: Firn serves a page from a website bucket, and headless Chromium (Debian's
# chromium package) runs its JavaScript against Firn's API on another origin (cors_page.py). Skips,
# saying so, only where chromium is not installed; .ci/run installs it. Screenshots go to
# target/browser/.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "SKIP browser: chromium is not installed (Debian package chromium; .ci/run installs it)"
  exit 0
fi
venv="$root/target/interop-venv"
if ! "$venv/bin/python" -c "import boto3, websocket" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet boto3 websocket-client
fi
firn="$root/target/debug/firn"
[ -x "$firn" ] || (cd "$root" && cargo build --quiet)
work=$(mktemp -d)
access=BROWSERACCESSKEY0000 secret=browser-secret-key-0123456789abcdefghijk
FIRN_LISTEN=127.0.0.1:0 FIRN_CONSOLE_LISTEN=127.0.0.1:0 FIRN_DATA_DIR="$work/data" FIRN_ROOT_ACCESS_KEY=$access FIRN_ROOT_SECRET_KEY=$secret \
  RUST_LOG=warn "$firn" serve >"$work/out.log" 2>"$work/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/out.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out.log")
[ -n "$endpoint" ] || { echo "firn did not start"; cat "$work/err.log"; exit 1; }
echo "browser: $("$chromium" --version 2>/dev/null)"
"$venv/bin/python" "$root/tests/browser/cors_page.py" "$endpoint" "$access" "$secret" "$chromium" "$root/target/browser"
