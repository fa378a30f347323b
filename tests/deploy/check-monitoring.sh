#!/usr/bin/env bash
# The chart's monitoring files, checked with promtool (Debian's `prometheus` package):
#   - the PrometheusRule's groups: `promtool check rules`, then `promtool test rules`;
#   - every PromQL expression of the Grafana dashboard, wrapped in a generated recording rule
#     each, so that a typo in a panel fails here and not on the on-call's screen.
# Grafana's own variables are replaced by what Grafana would put there ($__rate_interval -> 1m).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
files=$root/deploy/helm/guts-diagnostics/files
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$files/prometheus-rules.yaml"
(cd "$root/tests/deploy" && promtool test rules prometheus-rules-test.yaml)

exprs=$(jq -r '.panels[].targets[].expr' "$files/grafana-dashboard.json")
count=$(printf '%s\n' "$exprs" | grep -c .)
[ "$count" -ge 10 ] || { echo "dashboard: only $count expressions" >&2; exit 1; }
jq -n --rawfile e <(printf '%s\n' "$exprs") '
  {groups: [{name: "dashboard", rules: [
    $e | split("\n") | map(select(length > 0)) | to_entries[]
       | {record: "guts:dashboard_expr_\(.key)",
          expr: (.value | gsub("\\$__rate_interval"; "1m") | gsub("\\$__interval"; "1m"))}]}]}' \
  > "$work/dashboard-rules.json"
# promtool reads YAML, and JSON is YAML.
promtool check rules "$work/dashboard-rules.json"
# The ConfigMap the Grafana sidecar picks up carries the label it looks for.
grep -q 'grafana_dashboard: "1"' "$root/deploy/helm/guts-diagnostics/values.yaml"
echo "monitoring: rules, rule tests and $count dashboard expressions OK"
