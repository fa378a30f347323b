#!/usr/bin/env bash
# Comparison 1: guts-collector against Prometheus (Debian package), the same simulated fleet.
#
# Prometheus side: guts-sim runs NODES nodes (light mode: each dials PEERS ring neighbours,
# and every simulated duration x SIM_TIME_SCALE, so heartbeats and view timeouts are rare:
# /metrics is all Prometheus reads, and a quiet simulator leaves the 2 cores to the measured);
# Prometheus, started by hand on 127.77.0.20 with its own --storage.tsdb.path under build/,
# scrapes every node's /metrics once a second and evaluates bench/compare/rules.yml once a
# second (what an operator runs today).
# Our side: NODES simulated agents (bench/loadgen: one stream each, realistic 1.5 KB
# snapshots with 20 peers) each send one snapshot a second to a fresh guts-collector, whose
# analysis ticks once a second. Each side runs its own way: Prometheus spreads its scrapes over
# the interval; guts-agents take their snapshots on the whole seconds of the Unix clock, so the
# generator's agents send together at each second (--aligned; ALIGNED=0 spreads them evenly,
# as the runs before 6 Dec 2026 did). Both sides watch a healthy network: the generator's
# agents announce their own P2P addresses and report links to each other (--consistent-fleet;
# CONSISTENT_FLEET=0 gives the runs before 6 Dec 2026, whose agents' peers matched no agent,
# so the analysis judged every node cut off and rebuilt 1 000 LOW_PEERS verdicts each tick
# while Prometheus's rules watched healthy sim nodes). The sim keeps running, so both sides
# share the same background load.
#
# Per repeat (each a fresh process and store): WARMUP s, then a WINDOW s window:
#   cpu_s = utime + stime delta of the measured process (/proc/<pid>/stat);
#   node_samples = node scrapes that succeeded (sum_over_time(up[WINDOW])) / snapshots acked;
#   vmrss / vmhwm at the end of the window (/proc/<pid>/status).
# Disk, once (it depends on the data, not on the machine's speed):
#   ours: after the window, a full manual compaction (POST /admin/compact), then the SST
#     bytes of the snapshots column family / snapshots stored x 86 400 snapshots a day;
#   Prometheus: run with 2-minute blocks (--storage.tsdb.min-block-duration=2m: with a 1 s
#     scrape a chunk then holds 120 samples, as in production's 2 h blocks) until the first
#     full 2-minute block is written; chunks bytes / samples in the block x samples a node
#     writes a day, plus the block's index bytes per series x series per node x 12 (one
#     index per 2 h block; later compactions into longer blocks only shrink that part).
#
# Env: NODES (1000), PEERS (4), SIM_TIME_SCALE (20), REPEATS (3), WARMUP (20), WINDOW (60), ALIGNED (1), CONSISTENT_FLEET (1),
# BLOCK_DURATION (2m),
# FULL_BLOCK (1: wait for a full block; 0: use the first, possibly partial, block; the block's
# span is in the output: shorter blocks mean fewer samples per chunk, more bytes per sample).
# Output: one JSON line per measurement on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nodes="${NODES:-1000}"
peers="${PEERS:-4}"
time_scale="${SIM_TIME_SCALE:-20}"
repeats="${REPEATS:-3}"
warmup="${WARMUP:-20}"
window="${WINDOW:-60}"
full_block="${FULL_BLOCK:-1}"
loadgen_flags=()
[[ "${ALIGNED:-1}" == 1 ]] && loadgen_flags=(--aligned)
[[ "${CONSISTENT_FLEET:-1}" == 1 ]] && loadgen_flags+=(--consistent-fleet)
block="${BLOCK_DURATION:-2m}"
case "$block" in
  *m) block_ms=$((${block%m} * 60000)) ;;
  *s) block_ms=$((${block%s} * 1000)) ;;
  *) die "BLOCK_DURATION must be Ns or Nm" ;;
esac
prom_addr=127.77.0.20:9090

start_sim "$work/fleet" 127.78.0.0 127.77.0.10 "$nodes" --peers-per-node "$peers" \
  --time-scale "$time_scale"
echo "fleet of $nodes sim nodes up ($(pgrep -c -P "$sim_pid" || true) helper processes)" >&2

prometheus_repeat() {
  local r="$1" last="$2" dir="$work/prometheus-$1"
  mkdir -p "$dir"
  {
    echo "global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}"
    echo "rule_files: ['$root/bench/compare/rules.yml']"
    echo "scrape_configs:"
    echo "  - job_name: guts-node"
    echo "    static_configs:"
    echo "      - targets:"
    jq -r '.nodes[].api | "        - \(.)"' "$sim_ready"
  } >"$dir/prometheus.yml"
  start "prometheus-$r" prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/tsdb" --web.listen-address="$prom_addr" \
    --storage.tsdb.min-block-duration="$block" --storage.tsdb.max-block-duration="$block" \
    --storage.tsdb.retention.time=1d --log.level=warn
  local p=$pid
  wait_http "http://$prom_addr/-/ready" 60
  sleep "$warmup"
  local c0 s0 t0 c1 s1 t1
  c0=$(cpu_s "$p"); s0=$(metric "http://$prom_addr/metrics" prometheus_tsdb_head_samples_appended_total)
  t0=$(date +%s.%N)
  sleep "$window"
  c1=$(cpu_s "$p"); s1=$(metric "http://$prom_addr/metrics" prometheus_tsdb_head_samples_appended_total)
  t1=$(date +%s.%N)
  local rss hwm scrapes attempts
  rss=$(status_kib "$p" VmRSS); hwm=$(status_kib "$p" VmHWM)
  scrapes=$(promql "$prom_addr" "sum(sum_over_time(up{job=\"guts-node\"}[${window}s]))" "$t1")
  attempts=$(promql "$prom_addr" "sum(count_over_time(up{job=\"guts-node\"}[${window}s]))" "$t1")
  local cpu samples
  cpu=$(calc "$c1 - $c0"); samples=$(calc "$s1 - $s0")
  emit bench=collector_vs_prometheus side=prometheus repeat="$r" nodes="$nodes" \
    window_s="$(calc "$t1 - $t0")" cpu_s="$cpu" node_samples="$scrapes" scrape_attempts="$attempts" \
    samples="$samples" samples_per_node_sample="$(calc "$samples / $scrapes")" \
    cpu_s_per_1000_node_samples="$(calc "$cpu * 1000 / $scrapes")" \
    cpu_cores="$(calc "$cpu / ($t1 - $t0)")" \
    vmrss_mib="$(calc "$rss / 1024")" vmhwm_mib="$(calc "$hwm / 1024")"
  if [[ "$last" == 1 ]]; then prometheus_disk "$dir" "$p"; fi
  stop "$p"
}

# The first full block (full_block=1) or any block (0), then its figures. A full block spans
# the block duration less a few ms: after the first, a block starts just past the previous
# one's end (Prometheus 2.42 wrote [min+1, min+120000] for 2-minute blocks here, and
# [min+2, min+120000] on 6 Dec 2026, which the old 1 ms tolerance waited 10 minutes for and
# then failed). Within a second of the duration counts as full; the first block, cut at the
# start of the run, is usually much shorter.
prometheus_disk() {
  local dir="$1" p="$2" meta="" i m
  for i in $(seq 600); do
    for m in "$dir"/tsdb/*/meta.json; do
      [[ -f "$m" ]] || continue
      if [[ "$full_block" == 0 ]] || jq -e --argjson ms "$block_ms" '.maxTime - .minTime >= $ms - 1000' "$m" >/dev/null; then
        meta="$m"; break 2
      fi
    done
    sleep 1
  done
  [[ -n "$meta" ]] || die "Prometheus wrote no block in 10 minutes"
  local block samples series chunks index span
  block="$(dirname "$meta")"
  samples=$(jq .stats.numSamples "$meta"); series=$(jq .stats.numSeries "$meta")
  span=$(jq '(.maxTime - .minTime) / 1000' "$meta")
  chunks=$(du -sb "$block/chunks" | cut -f1); index=$(stat -c %s "$block/index")
  local per_node_series per_day
  per_node_series=$(calc "$series / $nodes")
  # Samples a node writes a day at 1 s: its series x 86 400.
  per_day=$(calc "$chunks / $samples * $per_node_series * 86400 + $index / $series * $per_node_series * 12")
  emit bench=collector_vs_prometheus side=prometheus measure=disk nodes="$nodes" \
    block_span_s="$span" block_samples="$samples" block_series="$series" chunk_bytes="$chunks" \
    index_bytes="$index" chunk_bytes_per_sample="$(calc "$chunks / $samples")" \
    series_per_node="$per_node_series" \
    chunk_bytes_per_node_day="$(calc "$chunks / $samples * $per_node_series * 86400")" \
    bytes_per_node_day="$per_day" \
    wal_bytes="$(du -sB1 "$dir/tsdb/wal" | cut -f1)" \
    tsdb_dir_bytes="$(du -sB1 "$dir/tsdb" | cut -f1)"
}

collector_repeat() {
  local r="$1" last="$2" dir="$work/collector-$1"
  start_collector "$dir" 127.77.0.30
  local p=$collector_pid
  local out
  out="$("$bin/guts-loadgen" --collector "$collector_grpc" --collector-http "$collector_http" \
    --collector-pid "$p" --agents "$nodes" --rate "$nodes" --duration "$window" \
    --warmup "$warmup" --channels 16 ${loadgen_flags[@]+"${loadgen_flags[@]}"})"
  local rss hwm incidents
  rss=$(status_kib "$p" VmRSS); hwm=$(status_kib "$p" VmHWM)
  # What the analysis made of the fleet: 0 for the healthy network both sides should watch.
  incidents=$(metric "http://$collector_http/metrics" guts_open_incidents)
  echo "$out" | jq -c --arg r "$r" --argjson nodes "$nodes" --argjson rss "$rss" \
    --argjson hwm "$hwm" --argjson window "$window" --argjson incidents "${incidents:-null}" '{
      bench: "collector_vs_prometheus", side: "collector", repeat: ($r | tonumber),
      nodes: $nodes, window_s: $window,
      node_samples: (.acked_per_s * $window), acked_per_s, ack_p99_ms,
      snapshot_bytes, streams_ended_early, aligned, consistent_fleet, open_incidents: $incidents,
      cpu_s: (.collector_cpu_us_per_snapshot * .acked_per_s * $window / 1e6),
      cpu_s_per_1000_node_samples: (.collector_cpu_us_per_snapshot / 1000),
      cpu_cores: .collector_cpu_cores,
      vmrss_mib: ($rss / 1024), vmhwm_mib: ($hwm / 1024)}'
  if [[ "$last" == 1 ]]; then
    curl -sf -X POST -d "" "http://$collector_http/admin/compact" >/dev/null || die "compaction failed"
    local sst stored
    sst=$(metric "http://$collector_http/metrics" guts_collector_store_snapshots_sst_bytes)
    stored=$(metric "http://$collector_http/metrics" guts_collector_snapshots_stored_total)
    emit bench=collector_vs_prometheus side=collector measure=disk nodes="$nodes" \
      snapshots_stored="$stored" snapshots_sst_bytes="$sst" \
      bytes_per_snapshot="$(calc "$sst / $stored")" \
      bytes_per_node_day="$(calc "$sst / $stored * 86400")" \
      store_dir_bytes="$(du -sB1 "$dir/db" | cut -f1)"
  fi
  stop "$p"
}

# Alternate the two sides so a drift in the machine's speed touches both alike.
for r in $(seq "$repeats"); do
  last=0; [[ "$r" == "$repeats" ]] && last=1
  collector_repeat "$r" "$last"
  prometheus_repeat "$r" "$last"
done
