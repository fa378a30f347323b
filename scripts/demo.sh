#!/usr/bin/env bash
# The README's demo command: builds in Release, starts a simulated Guts network of 7
# validators, one guts-agent per node and one guts-collector (mTLS with a freshly minted dev
# CA, RocksDB under build/demo/), waits until every node has reported, prints the fleet status,
# then splits the network 4|3, shows the P1 incident and the partition, heals, and shows it
# resolved. Everything it started is stopped when it ends or on Ctrl-C.
# --two-collectors: a second guts-collector replica; the agents stream to both, gutsctl asks
# both, and the first replica is killed mid-split: the other keeps the picture.
set -euo pipefail
two_collectors=0
for arg in "$@"; do
  case "$arg" in
    --two-collectors) two_collectors=1 ;;
    *) echo "usage: scripts/demo.sh [--two-collectors]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nodes=7
run="$root/build/demo"
# GUTS_DEMO_BUILD_DIR: an existing build tree to use (e.g. build/dev) instead of build/release.
build="${GUTS_DEMO_BUILD_DIR:-$root/build/release}"
bin="$build/bin"

"$root/scripts/install-deps.sh"
if [[ -z "${GUTS_DEMO_BUILD_DIR:-}" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGUTS_BUILD_TESTS=OFF -DGUTS_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target guts-sim guts-agent guts-collector gutsctl

rm -rf "$run"
mkdir -p "$run/logs"
pids=()
stop_all() {
  trap - EXIT INT TERM
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'echo "demo: interrupted, stopping everything" >&2; exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

"$root/scripts/mint-dev-certs.sh" "$run/certs" $(seq -f 'v%g' 1 "$nodes")
certs="$run/certs"
collectors=127.0.0.1:7400  # the agents' and gutsctl's --collector (see --two-collectors)
ctl() {
  "$bin/gutsctl" --collector "$collectors" --tls-cert "$certs/operator.crt" \
    --tls-key "$certs/operator.key" --tls-ca "$certs/ca.crt" "$@"
}

step "starting guts-sim: $nodes validators on 127.0.0.11-127.0.0.$((10 + nodes))"
"$bin/guts-sim" run --mode simplex --nodes "$nodes" --base-ip 127.0.0.10 --control-addr 127.0.0.1:7070 \
  --state-dir "$run/sim" --ready-file "$run/sim.ready" >"$run/logs/sim.log" 2>&1 &
pids+=($!)

# --- Alertmanager (issue 18): the collector pages through a local Alertmanager --------------
# Self-contained: the collector reads its Alertmanager settings from the environment.
am_url=http://127.0.0.1:9093
step "starting Alertmanager on $am_url (the collector pushes every open incident to it)"
mkdir -p "$run/alertmanager"
cat >"$run/alertmanager/alertmanager.yml" <<'AMCONF'
route:
  receiver: on-call
  group_by: [network, alertname]
  group_wait: 5s
  group_interval: 10s
receivers:
  - name: on-call
AMCONF
prometheus-alertmanager --config.file="$run/alertmanager/alertmanager.yml" \
  --storage.path="$run/alertmanager" --web.listen-address=127.0.0.1:9093 \
  --cluster.listen-address= >"$run/logs/alertmanager.log" 2>&1 &
pids+=($!)
export GUTS_COLLECTOR_ALERTMANAGER_URL=$am_url GUTS_COLLECTOR_ALERT_RESEND_INTERVAL=5s \
  GUTS_COLLECTOR_NETWORK_NAME=demo
# Replicas: a resolution waits two resends, and is not sent while the other replica still
# fires the alert (docs/architecture.md, "Collector replicas").
((two_collectors)) && export GUTS_COLLECTOR_ALERT_REPLICA_SETTLE=10s
am_alerts() {  # the pages as Alertmanager holds them
  amtool --alertmanager.url="$am_url" alert query -o extended || true
}
# --- end of the Alertmanager block ---------------------------------------------------------------

step "starting guts-collector on 127.0.0.1:7400 (gRPC, mTLS) and 127.0.0.1:7401 (HTTP)"
"$bin/guts-collector" --grpc-addr 127.0.0.1:7400 --http-addr 127.0.0.1:7401 \
  --data-dir "$run/collector" --ready-file "$run/collector.ready" --replica-name collector-1 \
  --tls-cert "$certs/collector.crt" --tls-key "$certs/collector.key" --tls-ca "$certs/ca.crt" \
  >"$run/logs/collector.log" 2>&1 &
pids+=($!)

wait_for_file() {
  local file="$1" what="$2"
  for _ in $(seq 1 300); do
    [[ -s "$file" ]] && return 0
    sleep 0.1
  done
  echo "demo: $what did not start; see $run/logs/" >&2
  exit 1
}
wait_for_file "$run/sim.ready" "guts-sim"
wait_for_file "$run/collector.ready" "guts-collector"

# --- two collector replicas (--two-collectors) -------------------------------------------------
# Self-contained: a second, independent replica on 127.0.0.1:7410 (its own store), the agents
# and gutsctl given both, and a hook that kills the first replica mid-split.
replica0_pid="${pids[-1]}"
kill_replica_mid_split() { :; }
if ((two_collectors)); then
  step "starting a second guts-collector replica on 127.0.0.1:7410 (its own store)"
  "$bin/guts-collector" --grpc-addr 127.0.0.1:7410 --http-addr 127.0.0.1:7411 \
    --data-dir "$run/collector-2" --ready-file "$run/collector-2.ready" --replica-name collector-2 \
    --tls-cert "$certs/collector.crt" --tls-key "$certs/collector.key" --tls-ca "$certs/ca.crt" \
    >"$run/logs/collector-2.log" 2>&1 &
  pids+=($!)
  wait_for_file "$run/collector-2.ready" "the second guts-collector"
  collectors=127.0.0.1:7400,127.0.0.1:7410
  kill_replica_mid_split() {
    step "gutsctl --all-collectors fleet status (both replicas see the split)"
    ctl --all-collectors fleet status || true
    step "killing the first collector replica (127.0.0.1:7400) mid-split"
    kill -KILL "$replica0_pid"
    wait "$replica0_pid" 2>/dev/null || true
    sleep 2
    step "gutsctl fleet status (answered by the surviving replica: the picture is kept)"
    ctl fleet status || true
    # Alertmanager keeps the last sender's annotations: once the survivor has re-sent, the one
    # page names it. The dead replica's copy would expire at its endsAt (4 resends) anyway.
    step "the same single page in Alertmanager, now re-sent by the surviving replica"
    for _ in $(seq 1 30); do
      amtool --alertmanager.url="$am_url" alert query alertname=PARTITION_NO_QUORUM \
        -o extended 2>/dev/null | grep -q 'collector_replica="collector-2"' && break
      sleep 1
    done
    curl -fsS "$am_url/api/v2/alerts" | jq -r '.[] | "\(.labels.alertname) \(.status.state),'\
' last sent by \(.annotations.collector_replica), ends \(.endsAt) unless re-sent"' || true
  }
fi
# --- end of the two-replica block ----------------------------------------------------------------

step "starting $nodes guts-agents"
for i in $(seq 1 "$nodes"); do
  ip="127.0.0.$((10 + i))"
  "$bin/guts-agent" --collector "$collectors" --node-id "v$i" \
    --node-api "http://$ip:8080" --node-p2p-addr "$ip:9000" \
    --node-data-dir "$run/sim/v$i/data" --node-log-file "$run/sim/v$i/node.log" \
    --node-config "$run/sim/v$i/config.yaml" \
    --state-dir "$run/agent-v$i" --http-addr "127.0.0.1:0" \
    --tls-cert "$certs/agent-v$i.crt" --tls-key "$certs/agent-v$i.key" \
    --tls-ca "$certs/ca.crt" >"$run/logs/agent-v$i.log" 2>&1 &
  pids+=($!)
done

# Polls `gutsctl -o json fleet status` until the jq filter holds, up to $2 seconds.
wait_until() {
  local filter="$1" seconds="$2" what="$3"
  for _ in $(seq 1 $((seconds * 2))); do
    # gutsctl exits 3 while a P1 is open: that is data here, not a failure.
    local status
    status="$(ctl -o json fleet status 2>/dev/null)" || true
    if jq -e "$filter" >/dev/null 2>&1 <<<"$status"; then
      return 0
    fi
    sleep 0.5
  done
  echo "demo: timed out waiting for $what; see $run/logs/" >&2
  exit 1
}

wait_until "[.nodes[] | select((.height // 0 | tonumber) > 0)] | length == $nodes" 60 \
  "every node to report"
step "gutsctl fleet status"
ctl fleet status || true

step "fault: splitting the network 4|3 (v1..v4 | v5..v7): no side holds the quorum (5 of 7)"
"$bin/guts-sim" ctl --control 127.0.0.1:7070 partition "v1,v2,v3,v4|v5,v6,v7"
wait_until '[.open_incidents[]? | select(.kind == "PARTITION_NO_QUORUM")] | length > 0' 60 \
  "the partition incident"
# Simplex: the quorum comes from the participants in the nodes' config.yaml, one vote each.
split_status="$(ctl -o json fleet status 2>/dev/null)" || true
grep -q "quorum 5 of 7 votes" <<<"$split_status" ||
  { echo "demo: the partition incident does not say 'quorum 5 of 7 votes'" >&2; exit 1; }
step "gutsctl fleet status"
ctl fleet status || true
step "gutsctl net partitions"
ctl net partitions || true
kill_replica_mid_split
# Alertmanager block: the same incident as the on-call's pager sees it.
step "the page in Alertmanager (amtool alert query)"
for _ in $(seq 1 30); do
  amtool --alertmanager.url="$am_url" alert query alertname=PARTITION_NO_QUORUM 2>/dev/null \
    | grep -q PARTITION_NO_QUORUM && break
  sleep 1
done
am_alerts

step "healing the network"
"$bin/guts-sim" ctl --control 127.0.0.1:7070 heal
wait_until '[.open_incidents[]? | select(.kind == "PARTITION_NO_QUORUM")] | length == 0' 90 \
  "the partition incident to resolve"
step "gutsctl incidents --all (the partition, resolved)"
ctl incidents --all || true
# Alertmanager block: the collector sent the resolution; Alertmanager holds no page any more.
step "Alertmanager after the heal (amtool alert query: nothing firing)"
for _ in $(seq 1 30); do
  amtool --alertmanager.url="$am_url" alert query alertname=PARTITION_NO_QUORUM 2>/dev/null \
    | grep -q PARTITION_NO_QUORUM || break
  sleep 1
done
am_alerts
step "gutsctl fleet status"
ctl fleet status || true
echo
echo "demo: done; stopping the fleet (logs in $run/logs/)"
