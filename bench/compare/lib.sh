# Shared by the bench/compare/*.sh comparisons (sourced, not run). Every figure here comes
# from the kernel's own accounting of a process (/proc/<pid>/stat and /proc/<pid>/status) or
# from the measured program's own /metrics, never from wall-clock guesses.
#
# Addresses: everything listens on 127.77.0.0/16 (services) and 127.78-81.0.0/16 (simulated
# nodes), which the project's tests do not use, so a benchmark can run beside a test suite.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build/bench}"
bin="${BIN_DIR:-$build/bin}"
# One directory per run of scripts/bench.sh (or per comparison run alone), under build/.
work="${BENCH_WORK:-$build/compare-work/$(date -u +%Y%m%dT%H%M%SZ)-$$}"
mkdir -p "$work"

started_pids=()

# start NAME CMD...: runs CMD in the background (stdout+stderr to $work/NAME.log) and sets
# $pid to its pid. Every process started this way is ended by cleanup.
start() {
  local name="$1"; shift
  "$@" >"$work/$name.log" 2>&1 &
  pid=$!
  started_pids+=("$pid")
}

# stop PID: SIGTERM, then SIGKILL after 10 s; waits for it.
stop() {
  local p="$1" i
  kill "$p" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

cleanup() {
  local p
  for p in "${started_pids[@]}"; do stop "$p"; done
  started_pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench: $*" >&2; exit 1; }

# cpu_s PID: the process's user + system CPU seconds so far (all its threads).
cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
    "/proc/$1/stat"
}

# status_kib PID FIELD: a /proc/<pid>/status figure in KiB (VmRSS, VmHWM).
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# wait_file PATH SECONDS: until PATH exists and is not empty.
wait_file() {
  local i
  for i in $(seq $(($2 * 10))); do [[ -s "$1" ]] && return 0; sleep 0.1; done
  die "timed out waiting for $1"
}

# wait_http URL SECONDS: until URL answers 200.
wait_http() {
  local i
  for i in $(seq $(($2 * 10))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  die "timed out waiting for $1"
}

# metric TEXT_URL NAME: the sum of every series NAME (any labels) in Prometheus text, or empty.
metric() {
  curl -sf "$1" | awk -v n="$2" '
    $1 == n || index($1, n "{") == 1 { sum += $NF; found = 1 }
    END { if (found) printf "%.17g\n", sum }'
}

# promql ADDR QUERY [TIME]: the first value of an instant query, or empty.
promql() {
  local args=(--data-urlencode "query=$2")
  [[ -n "${3:-}" ]] && args+=(--data-urlencode "time=$3")
  curl -sf "http://$1/api/v1/query" "${args[@]}" | jq -r '.data.result[0].value[1] // empty'
}

# A collector on a fresh store: sets $collector_pid, $collector_grpc, $collector_http.
# start_collector DIR IP [extra flags...]
start_collector() {
  local dir="$1" ip="$2"; shift 2
  mkdir -p "$dir"
  start "collector-$(basename "$dir")" "$bin/guts-collector" --grpc-addr "$ip:0" \
    --http-addr "$ip:0" --data-dir "$dir/db" --insecure --ready-file "$dir/ready" \
    --log-level warn "$@"
  collector_pid=$pid
  wait_file "$dir/ready" 60
  collector_grpc="$(jq -r .grpc "$dir/ready")"
  collector_http="$(jq -r .http "$dir/ready")"
}

# A guts-sim network: sets $sim_pid, $sim_control, $sim_ready (its ready file).
# start_sim DIR BASE_IP CONTROL_IP NODES [extra flags...]
start_sim() {
  local dir="$1" base="$2" ctl_ip="$3" nodes="$4"; shift 4
  mkdir -p "$dir"
  start "sim-$(basename "$dir")" "$bin/guts-sim" run --mode simulation --nodes "$nodes" --base-ip "$base" \
    --control-addr "$ctl_ip:0" --state-dir "$dir/state" --ready-file "$dir/ready" "$@"
  sim_pid=$pid
  wait_file "$dir/ready" 300
  sim_ready="$dir/ready"
  sim_control="$(jq -r .control "$dir/ready")"
}

sim_ctl() { "$bin/guts-sim" ctl --control "$sim_control" "$@" >/dev/null; }

# A guts-agent for one sim node (AGENT_EXTRA_FLAGS: more flags, split on spaces).
# start_agent DIR NODE_NAME
start_agent() {
  local dir="$1" node="$2"
  mkdir -p "$dir"
  local api p2p log data
  api="$(jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .api' "$sim_ready")"
  p2p="$(jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .p2p' "$sim_ready")"
  log="$(jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .log' "$sim_ready")"
  data="$(jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .data_dir' "$sim_ready")"
  start "agent-$node-$(basename "$dir")" "${BIN_AGENT:-$bin/guts-agent}" --collector "$collector_grpc" \
    --node-id "$node" --node-api "http://$api" --node-p2p-addr "$p2p" --node-data-dir "$data" \
    --node-log-file "$log" --state-dir "$dir" --interval 1s --http-addr 127.0.0.1:0 --insecure \
    --log-level warn ${AGENT_EXTRA_FLAGS:-}
  agent_pid=$pid
}

# median of the numbers on stdin (one per line).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# emit KEY=VALUE...: one JSON line of figures on stdout (numbers stay numbers).
emit() {
  local args=() kv k v
  for kv in "$@"; do
    k="${kv%%=*}"; v="${kv#*=}"
    if [[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
      args+=(--argjson "$k" "$v")
    else
      args+=(--arg "$k" "$v")
    fi
  done
  jq -cn "${args[@]}" '$ARGS.named'
}

# calc EXPR: floating-point arithmetic (awk), 6 significant digits.
calc() { awk "BEGIN { printf \"%.6g\n\", ($1) }"; }
