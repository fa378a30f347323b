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
#   vmrss / vmhwm at the end of the window; rss_anon / rss_file (/proc/<pid>/status) split the
#   RSS into private memory and mapped file pages (shared libraries, the binary);
#   pss (/proc/<pid>/smaps_rollup): the RSS with every page shared with N processes counted
#   1/N (pss_anon / pss_file likewise); threads: the process's thread count.
# The curl loop and the sim are not counted on either side.
# AGENT_BEFORE=<path of another guts-agent binary> also runs that agent in the same windows
# (side "agent_before"), watching another node of the same sim; the two agents swap nodes
# (v1/v2) every repeat. That is how a change to the agent is measured against the one before,
# under the same load.
# The agent finds its node's process as it does beside a real node: the sim runs its nodes
# inside the guts-sim process, so the default AGENT_EXTRA_FLAGS is "--node-process-name
# guts-sim" (the system source then reads that process's status, stat and fd count each
# snapshot). AGENT_EXTRA_FLAGS= (empty) measures an agent whose node process is missing: it
# looks for a "guts-node" each snapshot (the comm of each new pid, all of /proc every 10 s),
# as the runs in docs/benchmarks.md before 6 Dec 2026 did. Any guts-sim on the host matches.
# Env: REPEATS (3), WARMUP (10), WINDOW (120), AGENT_BEFORE, AGENT_EXTRA_FLAGS.
# Output: JSON lines on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repeats="${REPEATS:-3}"
warmup="${WARMUP:-10}"
window="${WINDOW:-120}"
ne_addr=127.77.0.40:9100

start_sim "$work/fleet" 127.79.0.0 127.77.0.11 7
start_collector "$work/collector" 127.77.0.31

agent_before="${AGENT_BEFORE:-}"
export AGENT_EXTRA_FLAGS="${AGENT_EXTRA_FLAGS---node-process-name guts-sim}"

# rollup_kib PID FIELD: a /proc/<pid>/smaps_rollup figure in KiB (Pss, Pss_Anon, Pss_File).
rollup_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/smaps_rollup"; }

measure() {  # measure NAME PID C0 T0 C1 T1 REPEAT [KEY=VALUE...]
  local w
  w=$(calc "$6 - $4")
  emit bench=agent_vs_node_exporter side="$1" repeat="$7" window_s="$w" "${@:8}" \
    cpu_s="$(calc "$5 - $3")" cpu_s_per_hour="$(calc "($5 - $3) * 3600 / $w")" \
    cpu_pct_of_core="$(calc "($5 - $3) * 100 / $w")" \
    vmrss_mib="$(calc "$(status_kib "$2" VmRSS) / 1024")" \
    vmhwm_mib="$(calc "$(status_kib "$2" VmHWM) / 1024")" \
    rss_anon_mib="$(calc "$(status_kib "$2" RssAnon) / 1024")" \
    rss_file_mib="$(calc "$(status_kib "$2" RssFile) / 1024")" \
    pss_mib="$(calc "$(rollup_kib "$2" Pss) / 1024")" \
    pss_anon_mib="$(calc "$(rollup_kib "$2" Pss_Anon) / 1024")" \
    pss_file_mib="$(calc "$(rollup_kib "$2" Pss_File) / 1024")" \
    threads="$(awk '$1 == "Threads:" { print $2 }' "/proc/$2/status")"
}

# The agents started by start_agent_as, by side: their pids.
declare -A agent_pids
# start_agent_as SIDE BINARY NODE
start_agent_as() {
  rm -rf "$work/state-$1"
  BIN_AGENT="$2" start_agent "$work/state-$1" "$3"
  agent_pids[$1]=$agent_pid
}

for r in $(seq "$repeats"); do
  # The measured agent on v1 in odd repeats and v2 in even ones; the "before" on the other.
  if ((r % 2)); then mine=v1 other=v2; else mine=v2 other=v1; fi
  [[ -n "$agent_before" ]] || mine=v1
  start_agent_as agent "$bin/guts-agent" "$mine"
  a=${agent_pids[agent]}
  if [[ -n "$agent_before" ]]; then
    start_agent_as agent_before "$agent_before" "$other"
    b=${agent_pids[agent_before]}
  fi
  start "node-exporter-$r" prometheus-node-exporter --web.listen-address="$ne_addr"
  n=$pid
  wait_http "http://$ne_addr/metrics" 30
  start "scrape-loop-$r" bash -c "while :; do curl -s -o /dev/null http://$ne_addr/metrics; sleep 1; done"
  loop=$pid
  sleep "$warmup"
  s0=$(metric "http://$collector_http/metrics" guts_collector_snapshots_stored_total)
  ca0=$(cpu_s "$a"); cn0=$(cpu_s "$n"); [[ -z "$agent_before" ]] || cb0=$(cpu_s "$b")
  t0=$(date +%s.%N)
  sleep "$window"
  ca1=$(cpu_s "$a"); cn1=$(cpu_s "$n"); [[ -z "$agent_before" ]] || cb1=$(cpu_s "$b")
  t1=$(date +%s.%N)
  s1=$(metric "http://$collector_http/metrics" guts_collector_snapshots_stored_total)
  # The agent's snapshots that reached the store in the window: proof it was working (with
  # AGENT_BEFORE, both agents' snapshots).
  measure agent "$a" "$ca0" "$t0" "$ca1" "$t1" "$r" node="$mine" \
    snapshots_stored="$(calc "$s1 - $s0")" load1="$(cut -d' ' -f1 /proc/loadavg)" \
    extra_flags="${AGENT_EXTRA_FLAGS:-}"
  if [[ -n "$agent_before" ]]; then
    measure agent_before "$b" "$cb0" "$t0" "$cb1" "$t1" "$r" node="$other"
    stop "$b"
  fi
  measure node_exporter "$n" "$cn0" "$t0" "$cn1" "$t1" "$r"
  stop "$loop"; stop "$n"; stop "$a"
done
