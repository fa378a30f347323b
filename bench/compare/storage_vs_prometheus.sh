#!/usr/bin/env bash
# Comparison 5: bytes on disk per snapshot (node-second) and per node-day, the collector's
# store against Prometheus's TSDB given the same figures (docs/benchmarks.md, "Snapshot
# store"). Bytes do not depend on the machine's load; the write and read CPU figures do.
#   ours: bench/store/store_bench (20 nodes x 3 600 s of bench/loadgen's snapshots; layouts
#     whole, delta = the default at full resolution, minute = downsampled to 1/min);
#   Prometheus: bench/store/prometheus_same_figures.sh (the same generator, every figure a
#     series, written by promtool into a TSDB block).
# Output: one JSON line per layout and one for Prometheus, "bench": "storage".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${BUILD_DIR:-$root/build/dev}/bin"
# BENCH_WORK keeps the benchmark's JSON for a look afterwards; a temporary directory goes.
if [[ -n "${BENCH_WORK:-}" ]]; then
  work="$BENCH_WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d /tmp/guts-storage-bench.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi
# The JSON goes to its own file: the store's log lines (RocksDB's warnings) go to stdout.
STORE_BENCH_DIR="$work/store" "$bin/store_bench" --benchmark_out="$work/store.json" \
  --benchmark_out_format=json >"$work/store_bench.log"
jq -c --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '
  [.benchmarks[] | . + {name: (.name | split("/")[0]), layout: (.name | split("/")[1])}] as $b
  | ($b | map(select(.name == "BM_HistoryHour")) | map({(.layout): .}) | add) as $h
  | $b[] | select(.name == "BM_StoreWrite")
  | {bench: "storage", side: "collector", layout, bytes_per_snapshot, bytes_per_node_day,
     write_cpu_us_per_snapshot: (1e6 / .items_per_second),
     history_hour_cpu_ms: $h[.layout].cpu_time, history_hour_wall_ms: $h[.layout].real_time,
     history_snapshots: $h[.layout].snapshots_read, load_after: $load}' "$work/store.json"
BIN="$bin" "$root/bench/store/prometheus_same_figures.sh" |
  jq -c '{bench: "storage", side: "prometheus_same_figures"} + .'
rm -rf "$work/store"
