#!/usr/bin/env bash
# Comparison 3: our incidents against the operators' alert rules (bench/compare/rules.yml)
# evaluated by Prometheus, on the same faults of the same simulated network.
#
# Each lane is one 7-node guts-sim network (equal weights: quorum 5 of 7) watched at the same
# time by 7 guts-agents + a guts-collector (tick 1 s, stall threshold 120 s: the runbook's
# "no finalized block for > 2 min") and by Prometheus scraping every node's /metrics once a
# second and evaluating rules.yml once a second. After a settle period (so that the rules
# with `for: 1m` have fired on the healthy network: that is the noise, recorded and
# excluded), the lane runs the scenarios one after the other, each through guts-sim ctl:
#   partition_4_3    partition v1,v2,v3,v4|v5,v6,v7   (no side holds the quorum: halted)
#   node_down        kill v4   (the node's process dies; its agent keeps running)
#   one_way_link     drop v3 v5   (v3's messages to v5 are lost, v5's reach v3)
#   consensus_stuck  halt   (the application stops finalizing; every link stays up)
# and polls both sides once a second from the injection: ours = an incident kind that was
# not open before (gutsctl -o json fleet status), rules = an alert firing whose name was not
# firing before (Prometheus /api/v1/alerts). A scenario ends when both answered or after its
# timeout (longer than every rule's range + `for:`), then the fault is healed and the lane
# waits for both sides to clear. LANES lanes run at once (each is one repeat), on distinct
# loopback ranges. Output: one JSON line per scenario and lane on stdout.
# Env: LANES (3), SETTLE (75), TIMEOUT (130), STALL_TIMEOUT (190), SCENARIOS (all four).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lanes="${LANES:-3}"
settle="${SETTLE:-75}"
timeout_s="${TIMEOUT:-130}"
stall_timeout="${STALL_TIMEOUT:-190}"
scenarios="${SCENARIOS:-node_down one_way_link consensus_stuck partition_4_3}"

inject() {
  case "$1" in
    partition_4_3) sim_ctl partition "v1,v2,v3,v4|v5,v6,v7" ;;
    node_down) sim_ctl kill v4 ;;
    one_way_link) sim_ctl drop v3 v5 ;;
    consensus_stuck) sim_ctl halt ;;
  esac
}
heal() {
  case "$1" in
    partition_4_3) sim_ctl heal ;;
    node_down) sim_ctl restart v4 ;;
    one_way_link) sim_ctl undrop v3 v5 ;;
    consensus_stuck) sim_ctl unhalt ;;
  esac
}

our_kinds() {  # open incident kinds, one a line
  "$bin/gutsctl" --collector "$collector_grpc" --insecure -o json fleet status 2>/dev/null |
    jq -r '.open_incidents[]?.kind' | sort -u || true
}
rule_alerts() {  # firing alert names, one a line
  curl -sf "http://$prom_addr/api/v1/alerts" |
    jq -r '.data.alerts[] | select(.state == "firing") | .labels.alertname' | sort -u || true
}

lane() {
  local k="$1" dir="$work/lane-$k"
  work="$dir"  # this lane's logs apart from the others'
  prom_addr="127.77.2.$((k + 1)):9090"
  start_sim "$dir/sim" "127.80.$((k * 16)).0" "127.77.1.$((k + 1))" 7
  start_collector "$dir/collector" "127.77.1.$((k + 1))"
  local i
  for i in 1 2 3 4 5 6 7; do start_agent "$dir/agent-v$i" "v$i"; done
  mkdir -p "$dir/prometheus"
  {
    echo "global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}"
    echo "rule_files: ['$root/bench/compare/rules.yml']"
    echo "scrape_configs:"
    echo "  - job_name: guts-node"
    echo "    static_configs:"
    echo "      - targets:"
    jq -r '.nodes[].api | "        - \(.)"' "$sim_ready"
  } >"$dir/prometheus/prometheus.yml"
  start "prometheus-lane-$k" prometheus --config.file="$dir/prometheus/prometheus.yml" \
    --storage.tsdb.path="$dir/prometheus/tsdb" --web.listen-address="$prom_addr" \
    --log.level=warn
  wait_http "http://$prom_addr/-/ready" 60
  sleep "$settle"

  local scenario
  for scenario in $scenarios; do
    local base_ours base_rules limit=$timeout_s
    [[ "$scenario" == consensus_stuck ]] && limit=$stall_timeout
    base_ours="$(our_kinds | paste -sd, -)"
    base_rules="$(rule_alerts | paste -sd, -)"
    local t0 now el ours_s="" ours_kind="" rules_s="" rules_alert="" k2
    t0=$(date +%s.%N)
    inject "$scenario"
    while :; do
      now=$(date +%s.%N); el=$(calc "$now - $t0")
      if [[ -z "$ours_s" ]]; then
        for k2 in $(our_kinds); do
          if [[ ",$base_ours," != *",$k2,"* ]]; then ours_s=$el; ours_kind=$k2; break; fi
        done
      fi
      if [[ -z "$rules_s" ]]; then
        for k2 in $(rule_alerts); do
          if [[ ",$base_rules," != *",$k2,"* ]]; then rules_s=$el; rules_alert=$k2; break; fi
        done
      fi
      if [[ -n "$ours_s" && -n "$rules_s" ]] || (( $(calc "$el >= $limit") )); then break; fi
      sleep 1
    done
    local all_ours all_rules
    all_ours="$(our_kinds | paste -sd, -)"; all_rules="$(rule_alerts | paste -sd, -)"
    heal "$scenario"
    # Back to the baseline on both sides before the next fault.
    local cleared=0
    for i in $(seq 150); do
      if [[ "$(our_kinds | paste -sd, -)" == "$base_ours" && \
            "$(rule_alerts | paste -sd, -)" == "$base_rules" ]]; then cleared=1; break; fi
      sleep 1
    done
    emit bench=detection lane="$k" scenario="$scenario" timeout_s="$limit" \
      ours_detected_s="${ours_s:-null}" ours_kind="${ours_kind:-none}" \
      rules_detected_s="${rules_s:-null}" rules_alert="${rules_alert:-none}" \
      ours_open_at_end="$all_ours" rules_firing_at_end="$all_rules" \
      ours_before="$base_ours" rules_before="$base_rules" cleared_after="$cleared" \
      | sed 's/"null"/null/g'
  done
}

promtool test rules "$root/bench/compare/rules_test.yml" >&2 || die "rules_test.yml failed"
pids=()
for k in $(seq 0 $((lanes - 1))); do
  ( trap cleanup EXIT; lane "$k" >"$work/lane-$k.jsonl" ) &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
cat "$work"/lane-*.jsonl
exit $rc
