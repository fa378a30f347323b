#!/usr/bin/env bash
# Where the agent's RSS and PSS go, by mapping: a 7-node guts-sim and a guts-collector run, one
# guts-agent watches v1 at one snapshot a second (as in agent_vs_node_exporter.sh), and after
# WARMUP s (30) its /proc/<pid>/smaps is summed per mapped file ([heap], [stack], anonymous
# maps, which hold the thread stacks and malloc's extra arenas, count as one row each), largest
# RSS first: KiB of Rss, Pss, Private (clean + dirty) and Anonymous (copy-on-write pages of a
# file's data/relro count here). With binaries as arguments, each runs at the same time,
# watching v1, v2, ... (up to 7), and gets its own table: builds compared in the same moment.
# Usage: agent_memory_map.sh [guts-agent binary...] (default: the bench build's).
# Env: WARMUP, AGENT_EXTRA_FLAGS, ROWS (rows per table, default all). Output: tables on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_sim "$work/fleet" 127.79.0.0 127.77.0.11 7
start_collector "$work/collector" 127.77.0.31
binaries=("$@")
[[ ${#binaries[@]} -gt 0 ]] || binaries=("$bin/guts-agent")
pids=()
for i in "${!binaries[@]}"; do
  BIN_AGENT="${binaries[$i]}" start_agent "$work/state-agent-$i" "v$((i + 1))"
  pids+=("$agent_pid")
done
sleep "${WARMUP:-30}"
for i in "${!binaries[@]}"; do
a=${pids[$i]}
echo "## ${binaries[$i]}"
echo "# agent pid $a, $(grep -c . "/proc/$a/maps") mappings, threads $(awk '$1 == "Threads:" { print $2 }' "/proc/$a/status"), load $(cut -d' ' -f1 /proc/loadavg)"
grep -E '^(VmRSS|RssAnon|RssFile|RssShmem):' "/proc/$a/status" | tr -s ' \t' ' ' | paste -sd' '
grep -E '^(Pss|Pss_Anon|Pss_File):' "/proc/$a/smaps_rollup" | tr -s ' \t' ' ' | paste -sd' '
awk '
  /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; sub(/.*\//, "", name); next }
  $1 == "Rss:" { rss[name] += $2 }
  $1 == "Pss:" { pss[name] += $2 }
  $1 == "Private_Clean:" || $1 == "Private_Dirty:" { priv[name] += $2 }
  $1 == "Anonymous:" { anon[name] += $2 }
  END {
    for (n in rss) if (rss[n] > 0) printf "%8d %8d %8d %8d  %s\n", rss[n], pss[n], priv[n], anon[n], n
  }' "/proc/$a/smaps" | sort -rn | head -n "${ROWS:-1000}" |
  { echo "  rss_kib  pss_kib priv_kib anon_kib  mapping"; cat; }
done
