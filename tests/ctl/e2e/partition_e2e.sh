#!/usr/bin/env bash
# gutsctl end to end: the real guts-sim (7 validators), 7 guts-agents and a guts-collector on
# loopback (127.88.0.0/16, plain text), a 4|3 split, and every gutsctl command an on-call would
# run against it. Usage: partition_e2e.sh BIN_DIR [OUT_DIR]
# OUT_DIR (default: a temporary dir) keeps each command's output, for the docs.
set -euo pipefail
bin="$1"
work="$(mktemp -d /tmp/gutsctl-e2e-XXXXXX)"
out="${2:-$work/out}"
mkdir -p "$out" "$work/logs"
pids=()
passed=0
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Keep the logs of a failed run for the report; a passed run leaves nothing behind.
  if [[ "$passed" == 1 ]]; then rm -rf "$work"; else rm -rf "$work/sim" "$work/collector"; fi
}
trap stop_all EXIT

fail() {
  echo "FAIL: $*" >&2
  tail -n 20 "$work"/logs/*.log >&2 || true
  exit 1
}
wait_for_file() {
  for _ in $(seq 1 300); do [[ -s "$1" ]] && return 0; sleep 0.1; done
  fail "$2 did not start"
}

"$bin/guts-sim" run --mode simulation --nodes 7 --base-ip 127.88.0.10 --control-addr 127.88.0.1:0 \
  --state-dir "$work/sim" --ready-file "$work/sim.ready" >"$work/logs/sim.log" 2>&1 &
pids+=($!)
"$bin/guts-collector" --grpc-addr 127.88.0.1:0 --http-addr 127.88.0.1:0 --insecure \
  --data-dir "$work/collector" --ready-file "$work/collector.ready" --stall-threshold 10s \
  >"$work/logs/collector.log" 2>&1 &
pids+=($!)
wait_for_file "$work/sim.ready" guts-sim
wait_for_file "$work/collector.ready" guts-collector
control="$(jq -r .control "$work/sim.ready")"
grpc="$(jq -r .grpc "$work/collector.ready")"
for i in $(seq 1 7); do
  ip="127.88.0.$((10 + i))"
  "$bin/guts-agent" --collector "$grpc" --node-id "v$i" --node-api "http://$ip:8080" \
    --node-p2p-addr "$ip:9000" --node-data-dir "$work/sim/v$i/data" \
    --node-log-file "$work/sim/v$i/node.log" --state-dir "$work/agent-v$i" \
    --http-addr 127.0.0.1:0 --insecure >"$work/logs/agent-v$i.log" 2>&1 &
  pids+=($!)
done

ctl() { NO_COLOR=1 "$bin/gutsctl" --insecure --collector "$grpc" "$@" 2>>"$work/logs/gutsctl.log"; }
wait_until() {  # jq filter on `fleet status -o json`, seconds, what
  for _ in $(seq 1 $(($2 * 2))); do
    # Exit code 3 (open P1) is expected here: only the JSON matters.
    ctl -o json fleet status >"$work/last-status.json" || true
    jq -e "$1" "$work/last-status.json" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  cat "$work/last-status.json" >&2
  fail "timed out waiting for $3"
}
# Runs a gutsctl command, keeps its output in $out/<name>.txt, checks its exit code.
check() {
  local name="$1" want="$2"
  shift 2
  local got=0
  ctl "$@" >"$out/$name.txt" || got=$?
  [[ "$got" == "$want" ]] || fail "gutsctl $* exited $got, want $want: $(cat "$out/$name.txt")"
}

wait_until '[.nodes[] | select(.height > 0)] | length == 7' 60 "every node to report"
check fleet-status-healthy 0 fleet status

"$bin/guts-sim" ctl --control "$control" partition "v1,v2,v3,v4|v5,v6,v7" >/dev/null
wait_until '[.open_incidents[] | select(.kind == "PARTITION_NO_QUORUM" and .severity == "P1")]
            | length > 0' 60 "the PARTITION_NO_QUORUM incident"
check fleet-status-split 3 fleet status
grep -q PARTITION_NO_QUORUM "$out/fleet-status-split.txt" || fail "fleet status lacks the P1"
check net-partitions 0 net partitions
grep -q "NO side holds the quorum" "$out/net-partitions.txt" || fail "net partitions: no verdict"
grep -q "v1 v2 v3 v4" "$out/net-partitions.txt" || fail "net partitions: majority side"
grep -q "v5 v6 v7" "$out/net-partitions.txt" || fail "net partitions: minority side"
check net-matrix 0 net matrix
check net-graph 0 net graph -o png --file "$out/partition.png"
[[ "$(head -c 4 "$out/partition.png" | tail -c 3)" == "PNG" ]] || fail "net graph: not a PNG"
check node-show 0 node show v5
check node-history 0 node history v5 --since 5m --width 40
check incidents 3 incidents
id="$({ ctl -o json incidents || true; } | jq -r '.incidents[] | select(.kind == "PARTITION_NO_QUORUM") | .id' | head -1)"
check incident-show 0 incident show "$id"
grep -q "v5" "$out/incident-show.txt" || fail "incident show does not name the minority"
check node-unknown 1 node show v99
grep -q "no node named v99" "$work/logs/gutsctl.log" || fail "unknown node message"

"$bin/guts-sim" ctl --control "$control" heal >/dev/null
wait_until '[.open_incidents[] | select(.kind == "PARTITION_NO_QUORUM")] | length == 0' 90 \
  "the partition to resolve"
check incidents-after-heal 0 incidents --all
passed=1
echo "gutsctl e2e: ok"
