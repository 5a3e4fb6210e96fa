#!/usr/bin/env bash
# Interop suite: drives a fresh firn with real clients and checks results by content (MD5).
# Installs its Python clients into a virtualenv under target/ (nothing system-wide).
# Prints PASS/FAIL per scenario and a final "N passed, N failed" line; exits non-zero on failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
firn="$root/target/debug/firn"
venv="$root/target/interop-venv"
work=$(mktemp -d)
pass=0
fail=0
server_pid=""

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$venv/bin/aws" ] || ! "$venv/bin/python" -c "import boto3" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet awscli boto3
fi
[ -x "$firn" ] || (cd "$root" && cargo build --quiet)

export AWS_ACCESS_KEY_ID=INTEROPACCESSKEY0000
export AWS_SECRET_ACCESS_KEY=interop-secret-key-0123456789abcdefghijk
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
FIRN_LISTEN=127.0.0.1:0 FIRN_DATA_DIR="$work/data" FIRN_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID \
  FIRN_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY RUST_LOG=warn "$firn" serve >"$work/out.log" 2>"$work/err.log" &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/out.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out.log")
[ -n "$endpoint" ] || { echo "firn did not start"; cat "$work/err.log"; exit 1; }

aws() { "$venv/bin/aws" --endpoint-url "$endpoint" "$@"; }
md5() { md5sum "$1" | cut -d' ' -f1; }

scenario() {
  local name=$1
  shift
  if out=$("$@" 2>&1); then
    echo "PASS $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    echo "$out" | tail -20 | sed 's/^/    /'
    fail=$((fail + 1))
  fi
}

mkdir -p "$work/tree/a/b" "$work/dl"
head -c 1024 /dev/urandom >"$work/small.bin"
for i in 1 2 3 4 5; do head -c $((i * 3000)) /dev/urandom >"$work/tree/a/b/f$i"; done
head -c 1000 /dev/urandom >"$work/tree/top"

cli_mb() { aws s3 mb s3://interop && aws s3 ls | grep -q interop; }
cli_cp_small() {
  aws s3 cp "$work/small.bin" s3://interop/small.bin &&
    aws s3 cp s3://interop/small.bin "$work/dl/small.bin" &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/small.bin")" ]
}
cli_ls() { aws s3 ls s3://interop/ | grep -q small.bin; }
cli_sync_twice() {
  aws s3 sync "$work/tree" s3://interop/tree &&
    [ -z "$(aws s3 sync "$work/tree" s3://interop/tree)" ] &&
    aws s3 sync s3://interop/tree "$work/dl/tree" &&
    diff -r "$work/tree" "$work/dl/tree"
}
cli_presign_curl() {
  url=$(aws s3 presign s3://interop/small.bin --expires-in 300) &&
    curl -sf "$url" -o "$work/dl/presigned.bin" &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/presigned.bin")" ]
}
cli_s3api_tagging() {
  aws s3api put-object-tagging --bucket interop --key small.bin --tagging 'TagSet=[{Key=k,Value=v}]' &&
    aws s3api get-object-tagging --bucket interop --key small.bin | grep -q '"v"'
}
cli_rm_recursive() {
  aws s3 rm --recursive s3://interop/tree && [ -z "$(aws s3 ls s3://interop/tree/)" ]
}
boto3_basics() {
  "$venv/bin/python" - "$endpoint" "$work" <<'PY'
import hashlib, sys, boto3, urllib.request
endpoint, work = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket="boto")
s3.upload_file(f"{work}/small.bin", "boto", "x/small.bin")
s3.download_file("boto", "x/small.bin", f"{work}/dl/boto.bin")
assert open(f"{work}/dl/boto.bin", "rb").read() == open(f"{work}/small.bin", "rb").read()
for i in range(1200):
    s3.put_object(Bucket="boto", Key=f"many/{i:05}", Body=b"")
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="boto", Prefix="many/") for o in p.get("Contents", [])]
assert len(keys) == 1200 and keys == sorted(keys), len(keys)
keys = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket="boto", Prefix="many/") for o in p.get("Contents", [])]
assert len(keys) == 1200
url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto", "Key": "x/small.bin"}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == open(f"{work}/small.bin", "rb").read()
etag = s3.head_object(Bucket="boto", Key="x/small.bin")["ETag"]
try:
    s3.get_object(Bucket="boto", Key="x/small.bin", IfNoneMatch=etag)
    raise SystemExit("expected 304")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "304", e.response
PY
}

scenario "aws-cli-v1 mb" cli_mb
scenario "aws-cli-v1 cp small" cli_cp_small
scenario "aws-cli-v1 ls" cli_ls
scenario "aws-cli-v1 sync twice" cli_sync_twice
scenario "aws-cli-v1 presign + curl" cli_presign_curl
scenario "aws-cli-v1 s3api tagging" cli_s3api_tagging
scenario "aws-cli-v1 rm --recursive" cli_rm_recursive
scenario "boto3 upload/download/paginate/presign/conditional" boto3_basics

echo "clients: $("$venv/bin/aws" --version 2>&1), boto3 $("$venv/bin/python" -c 'import boto3; print(boto3.__version__)')"
echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
