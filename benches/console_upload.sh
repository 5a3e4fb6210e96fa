#!/usr/bin/env bash
# The console's upload speed beside the aws CLI's: one file (1 GiB unless FIRN_BENCH_UPLOAD_MIB
# says otherwise) uploaded through the console by Debian's chromium (Playwright, as the console
# tests drive it), then with `aws s3 cp`, into the same release build on this machine. Prints both
# and their ratio (the goal: the console at least half the CLI's speed). Needs the venv the console
# tests make (bash tests/console/run.sh once).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mib=${FIRN_BENCH_UPLOAD_MIB:-1024}
venv="$root/target/interop-venv"
chromium=$(command -v chromium || command -v chromium-browser)
aws=$(command -v /usr/bin/aws || echo "$venv/bin/aws")
(cd "$root" && cargo build --release --quiet)
work=$(mktemp -d)
access=UPLOADBENCHKEY000000 secret=upload-bench-secret-0123456789abcdefghij
FIRN_LISTEN=127.0.0.1:0 FIRN_CONSOLE_LISTEN=127.0.0.1:0 FIRN_DATA_DIR="$work/data" \
  FIRN_ROOT_ACCESS_KEY=$access FIRN_ROOT_SECRET_KEY=$secret RUST_LOG=warn \
  "$root/target/release/firn" serve >"$work/out.log" 2>"$work/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "secret key" "$work/out.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out.log")
console=$(sed -n 's/.*console: *\(http[^ ]*\).*/\1/p' "$work/out.log")
head -c $((mib << 20)) /dev/urandom >"$work/big.bin"
export AWS_ACCESS_KEY_ID=$access AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
"$aws" --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null
console_s=$("$venv/bin/python" - "$console" "$access" "$secret" "$chromium" "$work/big.bin" <<'PY'
import sys, time
from playwright.sync_api import sync_playwright
console, access, secret, chromium, path = sys.argv[1:6]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page()
    page.goto(f"{console}/signin")
    page.get_by_label("Access key").fill(access)
    page.get_by_label("Secret key").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console}/buckets")
    page.goto(f"{console}/browse/bench")
    started = time.monotonic()
    page.set_input_files("#pick-files", path)
    page.wait_for_selector("#upload-list li.done, #upload-list li.failed", timeout=1_800_000)
    took = time.monotonic() - started
    assert page.locator("#upload-list li.done").count() == 1, page.locator("#upload-list").inner_text()
    print(f"{took:.2f}")
    browser.close()
PY
)
started=$(date +%s.%N)
"$aws" --endpoint-url "$endpoint" s3 cp "$work/big.bin" s3://bench/cli.bin >/dev/null
ended=$(date +%s.%N)
python3 - "$mib" "$console_s" "$started" "$ended" <<'PY'
import sys
mib, console_s = float(sys.argv[1]), float(sys.argv[2])
cli_s = float(sys.argv[4]) - float(sys.argv[3])
print(f"upload of {mib:.0f} MiB: console {console_s:.1f} s ({mib / console_s:.0f} MiB/s), "
      f"aws s3 cp {cli_s:.1f} s ({mib / cli_s:.0f} MiB/s); console/CLI speed {cli_s / console_s:.2f}")
PY
