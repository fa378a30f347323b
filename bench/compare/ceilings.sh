#!/usr/bin/env bash
# Comparison 4: ceilings.
#   ingest   bench/loadgen (AGENTS streams, open-loop pacing, realistic 1.5 KB snapshots)
#            against a fresh guts-collector per step, offered RATES snapshots/s in turn
#            (DURATION s measured after WARMUP s); a step passes while the ack p99 (time from
#            a snapshot's scheduled send to its cumulative ack, i.e. after the WAL write)
#            stays <= 100 ms and >= 95 % of the offered rate is acked. The ceiling of a
#            repeat is the highest passing rate; the loadgen runs on the same 2 cores.
#   floor    the ingest steps against bench/ingest's guts-grpc-floor in place of the collector:
#            AgentService.Connect that only parses each message and acks it at once (no
#            checks, store, fleet state or analysis), so its ceiling is what gRPC and the
#            generator leave on these 2 cores for any collector.
#   fleet    nodes per collector at one snapshot a second: FLEETS simulated agents in turn, each
#            sending once a second on the Unix-second grid as real agents do (guts-loadgen
#            --aligned: every agent's snapshot due at the same instant, a burst each second),
#            against a fresh guts-collector per step. The tick that follows a round runs half a
#            tick (500 ms) after it, so a fleet fits while the round's ack p99, timed from the
#            round's instant, stays <= 500 ms and >= 95 % is acked; "with headroom" is p99 <=
#            250 ms. Each repeat stops at the first fleet that does not fit. The generator
#            shares the 2 cores (each connection's thread starts its agents' writes one after
#            another): its own send delay (send_delay_p99_ms) is part of the ack p99, so the
#            figure is a floor for a collector whose agents run on their own hosts.
#   streams  the collector's memory holding STREAMS agent streams at once (guts-loadgen, one
#            stream per agent over 32 connections, STREAMS_RATE snapshots/s in all, so
#            every stream sends now and then): its max RSS sampled each second by the
#            generator and its VmHWM at the end; target < 512 MiB at 10 000.
#   tick     bench/analysis (Google Benchmark, one Analyzer::Tick at 100, 1000, 10 000
#            nodes with 20 peer sessions each), REPEATS repetitions, medians.
#   bundle   `gutsctl diag collect --node v1` against a guts-sim node whose log was grown to
#            BUNDLE_LOG_MB MB (lines like the node's own, timestamps inside the --since window),
#            through a fresh guts-collector and guts-agent per repeat: wall time of gutsctl
#            (request to verified .tar.gz), peak RSS of the agent (VmHWM), the collector
#            (VmHWM) and gutsctl (/usr/bin/time %M), bundle size.
# Env: REPEATS (3), RATES ("2500 5000 7500 10000 15000 20000 25000 30000 35000 40000"), AGENTS (1000),
#      FLEETS ("1000 2000 3000 4000 5000 6000 8000 10000"), DURATION (10), WARMUP (3),
#      BUNDLE_LOG_MB (200), STREAMS (10000), STREAMS_RATE (2000), STREAMS_DURATION (110: the
#      memory levels off only after the first compactions, which a 30 s window barely reaches),
#      ONLY (ingest floor fleet streams tick bundle), FLOOR_PARSE (full: the floor parses each
#      message, as any collector must to check it; none: it only counts them, gRPC alone).
# Output: JSON lines on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repeats="${REPEATS:-3}"
rates="${RATES:-2500 5000 7500 10000 15000 20000 25000 30000 35000 40000}"
agents="${AGENTS:-1000}"
duration="${DURATION:-10}"
warmup="${WARMUP:-3}"
log_mb="${BUNDLE_LOG_MB:-200}"
fleets="${FLEETS:-1000 2000 3000 4000 5000 6000 8000 10000}"
streams_n="${STREAMS:-10000}"
streams_rate="${STREAMS_RATE:-2000}"
streams_duration="${STREAMS_DURATION:-110}"
only="${ONLY:-ingest floor fleet streams tick bundle}"
floor_parse="${FLOOR_PARSE:-full}"

# steps MEASURE START [TAGS]: RATES in turn, each against a fresh server that START DIR IP
# starts (setting $collector_pid and $collector_grpc), until a step fails; one MEASURE_step line
# per step and one MEASURE_ceiling line per repeat, each with the JSON object TAGS added.
steps() {
  local measure="$1" start_server="$2" tags="${3:-}" r rate out pass ceiling http
  [[ -n "$tags" ]] || tags='{}'
  for r in $(seq "$repeats"); do
    ceiling=0
    for rate in $rates; do
      collector_http=""
      "$start_server" "$work/$measure-$r-$rate" 127.77.0.34
      http=()
      [[ -n "$collector_http" ]] && http=(--collector-http "$collector_http")
      out="$("$bin/guts-loadgen" --collector "$collector_grpc" "${http[@]}" \
        --collector-pid "$collector_pid" --agents "$agents" --rate "$rate" \
        --duration "$duration" --warmup "$warmup" --channels 16 --variants 8)"
      stop "$collector_pid"
      pass=$(echo "$out" | jq --argjson rate "$rate" \
        '(.ack_p99_ms <= 100 and .acked_per_s >= 0.95 * $rate) | if . then 1 else 0 end')
      echo "$out" | jq -c --argjson r "$r" --argjson pass "$pass" --arg m "${measure}_step" \
        --argjson tags "$tags" '{bench: "ceilings", measure: $m, repeat: $r, pass: $pass} + $tags + .'
      rm -rf "$work/$measure-$r-$rate"
      [[ "$pass" == 1 ]] || break
      ceiling=$rate
    done
    emit bench=ceilings measure="${measure}_ceiling" repeat="$r" agents="$agents" \
      snapshots_per_s="$ceiling" first_failing_rate="${rate}" |
      jq -c --argjson tags "$tags" '. + $tags'
  done
}

# Up to 30 snapshots/s per simulated agent: above the per-agent default limit of 20.
ingest_collector() { start_collector "$1" "$2" --max-snapshots-per-second-per-agent 0; }
ingest() { steps ingest ingest_collector; }

# The same steps against guts-grpc-floor, which only parses and acks: gRPC's own ceiling with
# this generator on this machine, whatever a collector does after the read.
floor_server() {
  mkdir -p "$1"
  start "floor-$(basename "$1")" "$bin/guts-grpc-floor" --listen "$2:0" --ready-file "$1/ready" \
    --parse "$floor_parse"
  collector_pid=$pid
  wait_file "$1/ready" 60
  collector_grpc="$(jq -r .grpc "$1/ready")"
}
floor() { steps floor floor_server "{\"parse\": \"$floor_parse\"}"; }

fleet() {
  local r n out fits roomy largest roomiest prev too_big
  for r in $(seq "$repeats"); do
    largest=0; roomiest=0; prev=0; too_big=none
    for n in $fleets; do
      start_collector "$work/fleet-$r-$n" 127.77.0.36
      # One connection per 100 agents (real agents have one each; loopback connections are
      # cheap to share, and 10 000 of them would cost the generator more than the collector).
      out="$("$bin/guts-loadgen" --collector "$collector_grpc" --collector-http "$collector_http" \
        --collector-pid "$collector_pid" --agents "$n" --rate "$n" --aligned \
        --duration "$duration" --warmup "$warmup" --channels "$(((n + 99) / 100))" --variants 8)"
      stop "$collector_pid"
      fits=$(echo "$out" | jq --argjson n "$n" \
        '(.ack_p99_ms <= 500 and .acked_per_s >= 0.95 * $n) | if . then 1 else 0 end')
      roomy=$(echo "$out" | jq '(.ack_p99_ms <= 250) | if . then 1 else 0 end')
      echo "$out" | jq -c --argjson r "$r" --argjson fits "$fits" --argjson roomy "$roomy" \
        '{bench: "ceilings", measure: "fleet_step", repeat: $r, fits: $fits, with_headroom: $roomy} + .'
      rm -rf "$work/fleet-$r-$n"
      if [[ "$fits" != 1 ]]; then too_big=$n; break; fi
      largest=$n
      # Headroom: every fleet up to this one had p99 <= 250 ms.
      [[ "$roomy" == 1 && "$roomiest" == "$prev" ]] && roomiest=$n
      prev=$n
    done
    emit bench=ceilings measure=fleet_1hz repeat="$r" nodes_fit="$largest" \
      nodes_with_headroom="$roomiest" first_not_fitting="$too_big"
  done
}

streams() {
  local r out hwm
  for r in $(seq "$repeats"); do
    start_collector "$work/streams-$r" 127.77.0.37 --max-snapshots-per-second-per-agent 0
    out="$("$bin/guts-loadgen" --collector "$collector_grpc" --collector-http "$collector_http" \
      --collector-pid "$collector_pid" --agents "$streams_n" --rate "$streams_rate" \
      --duration "$streams_duration" --warmup 10 --channels 32 --variants 8)"
    hwm="$(calc "$(status_kib "$collector_pid" VmHWM) / 1024")"
    stop "$collector_pid"
    echo "$out" | jq -c --argjson r "$r" --argjson hwm "$hwm" \
      '{bench: "ceilings", measure: "streams", repeat: $r, collector_vmhwm_mib: $hwm} + .'
    rm -rf "$work/streams-$r"
  done
}

tick() {
  # Google Benchmark reports medians only from 2 repetitions on; 3 at least.
  "$bin/analysis_tick_bench" --benchmark_repetitions="$((repeats < 3 ? 3 : repeats))" \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null |
    jq -c '.benchmarks[] | select(.aggregate_name == "median") |
      {bench: "ceilings", measure: "analysis_tick", fleet: (.name | split("/")[0]), nodes: (.name | capture("/(?<n>[0-9]+)") | .n | tonumber),
       repetitions: .repetitions, wall_ms_median: .real_time, cpu_ms_median: .cpu_time}'
}

bundle() {
  start_sim "$work/bundle-sim" 127.81.0.0 127.77.0.12 3
  local log
  log="$(jq -r '.nodes[0].log' "$sim_ready")"
  # Lines shaped like the node's own (GUTS_NODE.md), stamped over the last half hour.
  local now lines
  now=$(date -u +%s)
  lines=$((log_mb * 1024 * 1024 / 300))
  awk -v n="$lines" -v now="$now" 'BEGIN {
    for (i = 0; i < n; i++) {
      t = now - 1800 + int(i * 1800 / n)
      printf "{\"fields\":{\"message\":\"processed finalized block\",\"height\":%d,\"block_id\":\"%064d\"},\"filename\":\"crates/guts-node/src/consensus.rs\",\"level\":\"INFO\",\"line_number\":412,\"span\":{\"name\":\"consensus\"},\"target\":\"guts_node::consensus\",\"timestamp\":\"%s.%06dZ\"}\n", i, i, strftime("%Y-%m-%dT%H:%M:%S", t, 1), i % 1000000
    }
  }' >>"$log"
  local size r
  size=$(stat -c %s "$log")
  for r in $(seq "$repeats"); do
    local dir="$work/bundle-$r"
    start_collector "$dir/collector" 127.77.0.35
    rm -rf "$dir/agent"
    start_agent "$dir/agent" v1
    local a=$agent_pid i
    for i in $(seq 300); do
      "$bin/gutsctl" --collector "$collector_grpc" --insecure -o json fleet status 2>/dev/null |
        jq -e '.nodes[]? | select(.node_id == "v1")' >/dev/null && break
      sleep 0.2
    done
    sleep 3
    local hwm0 t0 t1
    hwm0=$(status_kib "$a" VmHWM)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$dir/gutsctl.time" "$bin/gutsctl" --collector "$collector_grpc" \
      --insecure diag collect --node v1 --since 1h --timeout 10m --output "$dir/v1.tar.gz" \
      >"$dir/gutsctl.out" 2>&1 || die "diag collect failed: $(tail -3 "$dir/gutsctl.out")"
    t1=$(date +%s.%N)
    emit bench=ceilings measure=bundle repeat="$r" log_bytes="$size" \
      seconds="$(calc "$t1 - $t0")" bundle_bytes="$(stat -c %s "$dir/v1.tar.gz")" \
      agent_vmhwm_before_mib="$(calc "$hwm0 / 1024")" \
      agent_vmhwm_mib="$(calc "$(status_kib "$a" VmHWM) / 1024")" \
      collector_vmhwm_mib="$(calc "$(status_kib "$collector_pid" VmHWM) / 1024")" \
      gutsctl_maxrss_mib="$(calc "$(tail -1 "$dir/gutsctl.time") / 1024")"
    stop "$a"; stop "$collector_pid"
    rm -f "$dir/v1.tar.gz"
  done
}

for part in $only; do "$part"; done
