#!/usr/bin/env bash
# Prometheus's TSDB given the same information a snapshot carries: bench/loadgen's realistic
# snapshots (the makers, seeds and clock of bench/store/store_bench), every figure as a gauge
# series (bench/store/snapshot_openmetrics.cc says how), written into TSDB blocks by
# `promtool tsdb create-blocks-from openmetrics` (the same chunk encoding a scraping
# Prometheus writes: delta-of-delta timestamps, XOR floats, 120 samples a chunk at 1 s).
#
# Output (one JSON line): series and samples per node, the block's chunk and index bytes, and
#   chunk_bytes_per_sample;
#   bytes_per_node_second = (chunk bytes + index bytes x 2, one index per 2 h block, as
#     collector_vs_prometheus.sh counts it) / node-seconds; bytes_per_node_day = x 86 400.
#   The data spans 1 h of a 2 h block, so the index is counted twice per 2 h: Prometheus's
#   index per node-day is at most this (longer blocks after compaction share one index).
#
# Env: NODES (5), SECONDS_RUN (3600), BIN (build/dev/bin).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${BIN:-$root/build/dev/bin}"
nodes="${NODES:-5}"
seconds="${SECONDS_RUN:-3600}"
start=1800000000  # a multiple of 2 h: every sample falls in one block
work="$(mktemp -d /tmp/guts-prom-same.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$bin/snapshot_openmetrics" "$nodes" "$seconds" "$start" >"$work/in.om" 2>"$work/counts.json"
promtool tsdb create-blocks-from openmetrics -q "$work/in.om" "$work/tsdb" >&2
block="$(find "$work/tsdb" -mindepth 1 -maxdepth 1 -type d | head -1)"
chunks=$(du -sb "$block/chunks" | cut -f1)
index=$(stat -c %s "$block/index")
series=$(jq .series "$work/counts.json")
samples=$(jq .samples "$work/counts.json")
jq -nc --argjson nodes "$nodes" --argjson seconds "$seconds" --argjson series "$series" \
  --argjson samples "$samples" --argjson chunks "$chunks" --argjson index "$index" \
  --arg promtool "$(promtool --version 2>&1 | head -1)" '{
    what: "prometheus_same_figures", promtool: $promtool, nodes: $nodes, seconds: $seconds,
    series_per_node: ($series / $nodes), samples_per_node_second: ($samples / $nodes / $seconds),
    chunk_bytes: $chunks, index_bytes: $index,
    chunk_bytes_per_sample: ($chunks / $samples),
    bytes_per_node_second: (($chunks + 2 * $index) / $nodes / $seconds),
    bytes_per_node_day: (($chunks + 2 * $index) / $nodes / $seconds * 86400)}'
