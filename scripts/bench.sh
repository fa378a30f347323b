#!/usr/bin/env bash
# The README's benchmark command: this product side by side with what operators use today
# (Prometheus + node_exporter + PromQL rules), each comparison in one run on this machine,
# then the medians and the ratios. See docs/benchmarks.md for what each figure means.
#
# Usage: scripts/bench.sh [--quick] [--only LIST]
#   --quick      a shorter run (smaller fleet, one repeat, short windows): a smoke of the
#                harness, not figures to publish
#   --only LIST  comma-separated subset of: collector,agent,detection,ceilings,storage
# Results: build/bench/results/<UTC time>/{results.jsonl,summary.md,machine.txt,logs/}.
# Needs the Debian packages of scripts/apt-packages.txt (prometheus, prometheus-node-exporter,
# jq, curl, time, python3); builds the Release binaries into build/bench.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
only="collector,agent,detection,ceilings,storage"
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: scripts/bench.sh [--quick] [--only collector,agent,detection,ceilings,storage]" >&2; exit 2 ;;
  esac
  shift
done

for tool in prometheus promtool prometheus-node-exporter jq curl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null ||
    { echo "bench: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done

build="${BUILD_DIR:-$root/build/bench}"
export BUILD_DIR="$build"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGUTS_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j2 --target guts-sim guts-agent guts-collector gutsctl guts-loadgen guts-grpc-floor \
  analysis_tick_bench store_bench snapshot_openmetrics >/dev/null

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$build/results/$stamp"
mkdir -p "$out/logs"
results="$out/results.jsonl"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')   mode: $([[ $quick == 1 ]] && echo quick || echo full)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo ' (with local changes)')"
  echo "kernel: $(uname -sr)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|CPU max MHz|L3 cache|Hypervisor)' | sed 's/  */ /g'
  echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  for p in prometheus prometheus-node-exporter libgrpc++1.51 librocksdb7.8 g++-12; do
    echo "$p: $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo 'not installed')"
  done
} >"$out/machine.txt"
cat "$out/machine.txt"

# The machine's load while the comparisons run (1-minute load average every 10 s): the figures
# are only as clean as this.
( while :; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1 /proc/loadavg)"; sleep 10; done ) \
  >"$out/logs/loadavg.txt" &
loadavg_pid=$!
trap 'kill "$loadavg_pid" 2>/dev/null || true' EXIT

run() {  # run NAME SCRIPT [ENV=VALUE...]
  local name="$1" script="$2"; shift 2
  echo "== $name ($(date -u +%H:%M:%S))" >&2
  if env "$@" BENCH_WORK="$build/compare-work/$stamp-$name" "$root/bench/compare/$script" \
      >>"$results" 2>"$out/logs/$name.err"; then
    :
  else
    echo "bench: $name failed (see $out/logs/$name.err):" >&2
    tail -5 "$out/logs/$name.err" >&2
  fi
}

want() { [[ ",$only," == *",$1,"* ]]; }
if [[ $quick == 1 ]]; then
  if want collector; then
    run collector collector_vs_prometheus.sh NODES=200 REPEATS=1 WARMUP=5 WINDOW=20 \
      BLOCK_DURATION=30s FULL_BLOCK=0
  fi
  if want agent; then run agent agent_vs_node_exporter.sh REPEATS=1 WARMUP=5 WINDOW=30; fi
  if want detection; then
    run detection detection.sh LANES=1 SETTLE=65 TIMEOUT=70 SCENARIOS="node_down partition_4_3"
  fi
  if want ceilings; then
    run ceilings ceilings.sh REPEATS=1 RATES="10000 30000 40000" DURATION=5 WARMUP=2 BUNDLE_LOG_MB=50 \
      STREAMS=2000 STREAMS_DURATION=5
  fi
  if want storage; then run storage storage_vs_prometheus.sh; fi
else
  if want collector; then run collector collector_vs_prometheus.sh; fi
  if want agent; then run agent agent_vs_node_exporter.sh; fi
  if want detection; then run detection detection.sh; fi
  if want ceilings; then run ceilings ceilings.sh; fi
  if want storage; then run storage storage_vs_prometheus.sh; fi
fi

kill "$loadavg_pid" 2>/dev/null || true
echo "load average (1 min) during the run: $(awk '{ print $2 }' "$out/logs/loadavg.txt" | sort -g |
  awk '{ v[NR] = $1 } END { printf "min %s, median %s, max %s", v[1], v[int((NR + 1) / 2)], v[NR] }')" |
  tee -a "$out/machine.txt"
python3 "$root/bench/compare/summarize.py" "$results" | tee "$out/summary.md"
"$root/bench/compare/plot_ingest.sh" "$out" >&2 || echo "bench: the ingest plot failed" >&2
echo "results: $out" >&2
