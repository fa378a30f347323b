#!/usr/bin/env bash
# A finer paired measure of two guts-agent binaries than agent_vs_node_exporter.sh: both run at
# the same time on v1 and v2 of one 7-node guts-sim (swapping nodes every repeat), and each
# one's CPU over the window is the sum of its threads' run time in
# /proc/<pid>/task/*/schedstat (nanoseconds, exact; utime+stime are 10 ms ticks, ~12 ticks a
# minute at 0.2 % of a core). The agents' threads live as long as the agent, so the sum over
# the threads at both ends of the window is the process's CPU in it. utime+stime are given
# beside it.
# Usage: agent_paired_schedstat.sh AFTER_BINARY BEFORE_BINARY [REPEATS (4)] [WINDOW (120)]
# Env: BUILD_DIR (guts-sim and guts-collector from its bin/). Addresses 127.81.44.0/24 (sim),
# 127.81.45.0/24 (control, collector). Output: JSON lines on stdout, one per agent per repeat.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
after="$1" before="$2" repeats="${3:-4}" window="${4:-120}"
start_sim "$work/fleet" 127.81.44.0 127.81.45.11 7
start_collector "$work/collector" 127.81.45.31
export AGENT_EXTRA_FLAGS="--node-process-name guts-sim"
run_ns() {  # run_ns PID: the sum of its threads' run time (ns)
  local s=0 r t
  for t in /proc/"$1"/task/*/schedstat; do read -r r _ <"$t"; s=$((s + r)); done
  echo "$s"
}
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
for r in $(seq "$repeats"); do
  if ((r % 2)); then na=v1 nb=v2; else na=v2 nb=v1; fi
  BIN_AGENT=$after start_agent "$work/a$r" "$na"; a=$agent_pid
  BIN_AGENT=$before start_agent "$work/b$r" "$nb"; b=$agent_pid
  sleep 10
  a0=$(run_ns "$a"); b0=$(run_ns "$b"); ta0=$(ticks "$a"); tb0=$(ticks "$b"); t0=$(date +%s.%N)
  sleep "$window"
  a1=$(run_ns "$a"); b1=$(run_ns "$b"); ta1=$(ticks "$a"); tb1=$(ticks "$b"); t1=$(date +%s.%N)
  w=$(calc "$t1 - $t0"); l=$(cut -d' ' -f1 /proc/loadavg)
  emit side=after repeat="$r" node="$na" window_s="$w" load1="$l" \
    cpu_pct_schedstat="$(calc "($a1 - $a0) / 1e7 / $w")" \
    cpu_pct_ticks="$(calc "($ta1 - $ta0) * 100 / $hz / $w")" threads="$(ls "/proc/$a/task" | wc -l)"
  emit side=before repeat="$r" node="$nb" window_s="$w" load1="$l" \
    cpu_pct_schedstat="$(calc "($b1 - $b0) / 1e7 / $w")" \
    cpu_pct_ticks="$(calc "($tb1 - $tb0) * 100 / $hz / $w")" threads="$(ls "/proc/$b/task" | wc -l)"
  stop "$a"; stop "$b"
done
