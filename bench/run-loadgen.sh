#!/usr/bin/env bash
# Runs guts-loadgen against a fresh Release guts-collector in three settings and prints one
# JSON line per run:
#   throughput  AGENTS (default 1000) streams offering RATE (default 30000) snapshots/s
#   streams     STREAMS (default 10000) streams offering STREAM_RATE (default 10000, 1/s each)
#   nodict      the throughput mix at 10000/s with the zstd dictionary off, for comparison
# Usage: bench/run-loadgen.sh [throughput|streams|nodict|all]   (env: DURATION, WARMUP, ...)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/collector-release}"
which="${1:-all}"
duration="${DURATION:-20}"
warmup="${WARMUP:-5}"

if [[ ! -x "$build/bin/guts-collector" || ! -x "$build/bin/guts-loadgen" || -n "${REBUILD:-}" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGUTS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" --target guts-collector guts-loadgen -j2 >/dev/null
fi

work="$(mktemp -d /tmp/guts-loadgen.XXXXXX)"
collector_pid=""
cleanup() {
  if [[ -n "$collector_pid" ]]; then kill "$collector_pid" 2>/dev/null || true; wait "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# run NAME LOADGEN_ARGS... [-- COLLECTOR_ARGS...]
run() {
  local name="$1"; shift
  local lg_args=() col_args=()
  while (($#)); do
    if [[ "$1" == "--" ]]; then shift; col_args=("$@"); break; fi
    lg_args+=("$1"); shift
  done
  local dir="$work/$name"
  mkdir -p "$dir"
  "$build/bin/guts-collector" --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 \
    --data-dir "$dir/db" --insecure --ready-file "$dir/ready" --log-level warn \
    ${col_args[@]+"${col_args[@]}"} >"$dir/collector.log" 2>&1 &
  collector_pid=$!
  for _ in $(seq 100); do [[ -s "$dir/ready" ]] && break; sleep 0.1; done
  local grpc http
  grpc="$(sed -E 's/.*"grpc":"([^"]+)".*/\1/' "$dir/ready")"
  http="$(sed -E 's/.*"http":"([^"]+)".*/\1/' "$dir/ready")"
  local out
  out="$("$build/bin/guts-loadgen" --collector "$grpc" --collector-http "$http" \
    --collector-pid "$collector_pid" --duration "$duration" --warmup "$warmup" --compact \
    "${lg_args[@]}")"
  kill "$collector_pid"; wait "$collector_pid" || true
  collector_pid=""
  local du
  du="$(du -sb "$dir/db" | cut -f1)"
  echo "{\"run\":\"$name\",\"store_dir_bytes\":$du,${out#\{}"
}

case "$which" in
  throughput|all) run throughput --agents "${AGENTS:-1000}" --rate "${RATE:-30000}" ;;&
  streams|all) run streams --agents "${STREAMS:-10000}" --rate "${STREAM_RATE:-10000}" --channels 32 ;;&
  nodict|all)
    run dict --agents 1000 --rate 10000
    run nodict --agents 1000 --rate 10000 -- --zstd-dict-bytes 0 ;;
  throughput|streams) ;;
  *) echo "usage: $0 [throughput|streams|nodict|all]" >&2; exit 2 ;;
esac
