#!/usr/bin/env bash
# Draws docs/dashboard.png: the Grafana dashboard's panels (deploy/helm/guts-diagnostics/files/
# grafana-dashboard.json), each of its PromQL queries evaluated by a real Prometheus that scraped
# a real run, plotted with gnuplot. No Grafana here, so the picture is the same queries drawn
# by gnuplot, not Grafana's rendering.
#
# The run: guts-sim with 7 Simplex validators, agents on v1..v6 only (v7 stays unobserved),
# one guts-collector paging a local Alertmanager, Prometheus (Debian `prometheus`) scraping its /metrics every 2 s with the
# chart's recording rules. Timeline: calm, a 4|3 split (no quorum anywhere), the heal, calm.
#
# Usage: scripts/dashboard-picture.sh [BIN_DIR] [OUT_PNG]
#   BIN_DIR: built guts-sim, guts-agent, guts-collector (default build/dev/bin)
# Uses loopback 127.0.2.0/24 and takes /tmp/guts-e2e.lock while the fleet runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/build/dev/bin}"
out="${2:-$root/docs/dashboard.png}"
calm="${GUTS_PICTURE_CALM_SECONDS:-60}"
split="${GUTS_PICTURE_SPLIT_SECONDS:-60}"
dashboard="$root/deploy/helm/guts-diagnostics/files/grafana-dashboard.json"
rules="$root/deploy/helm/guts-diagnostics/files/prometheus-rules.yaml"
for tool in prometheus prometheus-alertmanager gnuplot jq curl; do
  command -v "$tool" >/dev/null || { echo "dashboard-picture: $tool is missing (scripts/apt-packages.txt)" >&2; exit 1; }
done
run="$(mktemp -d)"
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$run"
}
trap stop_all EXIT
ip=127.0.2.1
exec 8>/tmp/guts-e2e.lock
flock 8

"$bin/guts-sim" run --mode simplex --nodes 7 --base-ip 127.0.2.10 --control-addr "$ip:7070" \
  --state-dir "$run/sim" --ready-file "$run/sim.ready" >"$run/sim.log" 2>&1 &
pids+=($!)
# The collector pages a real Alertmanager, so the "Alert pushes" panel has data too.
printf 'route: {receiver: on-call, group_by: [alertname]}\nreceivers: [{name: on-call}]\n' \
  >"$run/alertmanager.yml"
prometheus-alertmanager --config.file="$run/alertmanager.yml" --storage.path="$run/am" \
  --web.listen-address="$ip:9093" --cluster.listen-address= >"$run/alertmanager.log" 2>&1 &
pids+=($!)
"$bin/guts-collector" --grpc-addr "$ip:7400" --http-addr "$ip:7401" --data-dir "$run/collector" \
  --ready-file "$run/collector.ready" --insecure --alertmanager-url "http://$ip:9093" \
  --alert-resend-interval 5s --network-name picture >"$run/collector.log" 2>&1 &
pids+=($!)
for f in sim.ready collector.ready; do
  for _ in $(seq 1 300); do [[ -s "$run/$f" ]] && break; sleep 0.1; done
  [[ -s "$run/$f" ]] || { echo "dashboard-picture: $f missing; logs in $run" >&2; cat "$run"/*.log >&2; exit 1; }
done
for i in 1 2 3 4 5 6; do
  node_ip="127.0.2.$((10 + i))"
  "$bin/guts-agent" --collector "$ip:7400" --node-id "v$i" --node-api "http://$node_ip:8080" \
    --node-p2p-addr "$node_ip:9000" --node-data-dir "$run/sim/v$i/data" \
    --node-log-file "$run/sim/v$i/node.log" --node-config "$run/sim/v$i/config.yaml" \
    --state-dir "$run/agent-v$i" --http-addr 127.0.0.1:0 --insecure >"$run/agent-v$i.log" 2>&1 &
  pids+=($!)
done
cp "$rules" "$run/rules.yaml"
cat >"$run/prometheus.yml" <<PROM
global: {scrape_interval: 2s, evaluation_interval: 2s}
rule_files: [rules.yaml]
scrape_configs:
  - job_name: guts-collector
    static_configs: [{targets: ["$ip:7401"]}]
PROM
prometheus --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/tsdb" \
  --web.listen-address="$ip:9090" >"$run/prometheus.log" 2>&1 &
pids+=($!)

start=$(date +%s)
echo "dashboard-picture: calm for ${calm}s"
sleep "$calm"
split_at=$(date +%s)
echo "dashboard-picture: 4|3 split for ${split}s"
"$bin/guts-sim" ctl --control "$ip:7070" partition "v1,v2,v3,v4|v5,v6,v7" >/dev/null
sleep "$split"
heal_at=$(date +%s)
echo "dashboard-picture: healed; calm for ${calm}s"
"$bin/guts-sim" ctl --control "$ip:7070" heal >/dev/null
sleep "$calm"
end=$(date +%s)

# Every panel's queries over the run, one data file per series: time (s since start), value.
panels=$(jq '.panels | length' "$dashboard")
plot="$run/plot.gp"
{
  echo "set terminal pngcairo size 1600,1500 font 'DejaVu Sans,9'"
  echo "set output '$out'"
  echo "set multiplot layout 3,3 title \"guts-diag: fleet, the dashboard's queries over a real run (red: 4|3 split at $((split_at - start)) s; green: heal at $((heal_at - start)) s)\""
  echo "set termoption noenhanced"  # label values hold underscores
  echo "set key bottom left opaque font ',8' maxrows 4"
  echo "set offsets 0, 0, graph 0.1, graph 0.1"  # a line on a panel's edge stays visible
  echo "set grid"
  echo "set xlabel 'seconds'"
} >"$plot"
for p in $(seq 0 $((panels - 1))); do
  title=$(jq -r ".panels[$p].title" "$dashboard")
  series=()
  targets=$(jq ".panels[$p].targets | length" "$dashboard")
  for t in $(seq 0 $((targets - 1))); do
    expr=$(jq -r ".panels[$p].targets[$t].expr" "$dashboard" | sed 's/\$__rate_interval/10s/g')
    legend=$(jq -r ".panels[$p].targets[$t].legendFormat" "$dashboard")
    curl -sf "http://$ip:9090/api/v1/query_range" --data-urlencode "query=$expr" \
      --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=2" \
      >"$run/q.json" || { echo "dashboard-picture: query failed: $expr" >&2; exit 1; }
    n=$(jq '.data.result | length' "$run/q.json")
    for r in $(seq 0 $((n - 1))); do
      file="$run/p$p-t$t-r$r.dat"
      jq -r --argjson s "$start" ".data.result[$r].values[] | \"\(.[0] - \$s) \(.[1])\"" "$run/q.json" >"$file"
      # legendFormat with its {{label}} filled from the series' labels.
      name=$(jq -r --arg f "$legend" ".data.result[$r].metric as \$m | \$f | gsub(\"\\\\{\\\\{(?<l>[a-z_]+)\\\\}\\\\}\"; \$m[.l] // \"\")" "$run/q.json")
      series+=("'$file' using 1:2 with lines lw 2 title '${name//\'/}'")
    done
  done
  {
    echo "set title '${title//\'/}'"
    echo "set arrow 1 from $((split_at - start)), graph 0 to $((split_at - start)), graph 1 nohead dt 2 lc rgb 'red'"
    echo "set arrow 2 from $((heal_at - start)), graph 0 to $((heal_at - start)), graph 1 nohead dt 2 lc rgb 'dark-green'"
    if ((${#series[@]})); then
      (IFS=,; echo "plot ${series[*]}")
    else
      echo "set label 1 'no data' at graph 0.45, graph 0.5; plot [0:$((end - start))][0:1] -1 notitle; unset label 1"
    fi
  } >>"$plot"
done
echo "unset multiplot" >>"$plot"
gnuplot "$plot"
echo "dashboard-picture: wrote $out ($panels panels, run of $((end - start)) s, split at $((split_at - start)) s, heal at $((heal_at - start)) s)"
