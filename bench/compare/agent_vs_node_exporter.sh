#!/usr/bin/env bash
# Comparison 2: guts-agent against prometheus-node-exporter (Debian package), side by side in
# the same moment.
#
# A 7-node guts-sim network and a guts-collector run; one guts-agent watches node v1 at one
# snapshot a second (every source: the node's API, /metrics, log file, P2P sockets through
# sock_diag, TCP probes of the 7 validators, /proc); at the same time node_exporter (Debian's
# default collectors) on 127.77.0.40:9100 is scraped once a second by a curl loop, as
# Prometheus would. Each repeat starts both afresh, waits WARMUP s, then measures a WINDOW s
# window (at least 120 s for the published figures):
#   cpu_s_per_hour = (utime + stime delta over the window) x 3600 / window (extrapolated);
#   cpu_pct_of_core = the same as a share of one core;
#   vmrss / vmhwm at the end of the window.
# The curl loop and the sim are not counted on either side.
# Env: REPEATS (3), WARMUP (10), WINDOW (120). Output: JSON lines on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repeats="${REPEATS:-3}"
warmup="${WARMUP:-10}"
window="${WINDOW:-120}"
ne_addr=127.77.0.40:9100

start_sim "$work/fleet" 127.79.0.0 127.77.0.11 7
start_collector "$work/collector" 127.77.0.31

measure() {  # measure NAME PID C0 T0 C1 T1 REPEAT [KEY=VALUE...]
  local w
  w=$(calc "$6 - $4")
  emit bench=agent_vs_node_exporter side="$1" repeat="$7" window_s="$w" "${@:8}" \
    cpu_s="$(calc "$5 - $3")" cpu_s_per_hour="$(calc "($5 - $3) * 3600 / $w")" \
    cpu_pct_of_core="$(calc "($5 - $3) * 100 / $w")" \
    vmrss_mib="$(calc "$(status_kib "$2" VmRSS) / 1024")" \
    vmhwm_mib="$(calc "$(status_kib "$2" VmHWM) / 1024")"
}

for r in $(seq "$repeats"); do
  rm -rf "$work/agent-state"
  start_agent "$work/agent-state" v1
  a=$pid
  start "node-exporter-$r" prometheus-node-exporter --web.listen-address="$ne_addr"
  n=$pid
  wait_http "http://$ne_addr/metrics" 30
  start "scrape-loop-$r" bash -c "while :; do curl -s -o /dev/null http://$ne_addr/metrics; sleep 1; done"
  loop=$pid
  sleep "$warmup"
  s0=$(metric "http://$collector_http/metrics" guts_collector_snapshots_stored_total)
  ca0=$(cpu_s "$a"); cn0=$(cpu_s "$n"); t0=$(date +%s.%N)
  sleep "$window"
  ca1=$(cpu_s "$a"); cn1=$(cpu_s "$n"); t1=$(date +%s.%N)
  s1=$(metric "http://$collector_http/metrics" guts_collector_snapshots_stored_total)
  # The agent's snapshots that reached the store in the window: proof it was working.
  measure agent "$a" "$ca0" "$t0" "$ca1" "$t1" "$r" snapshots_stored="$(calc "$s1 - $s0")"
  measure node_exporter "$n" "$cn0" "$t0" "$cn1" "$t1" "$r"
  stop "$loop"; stop "$n"; stop "$a"
done
