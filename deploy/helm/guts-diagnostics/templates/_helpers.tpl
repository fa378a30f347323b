{{/* Names. */}}
{{- define "gd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gd.collectorName" -}}
{{- printf "%s-collector" (include "gd.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gd.agentName" -}}
{{- printf "%s-agent" (include "gd.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gd.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The collector's gRPC address as agents and gutsctl dial it (matches the server cert). */}}
{{- define "gd.collectorAddr" -}}
{{- printf "%s.%s.svc:%d" (include "gd.collectorName" .) .Release.Namespace (int .Values.collector.grpcPort) -}}
{{- end -}}

{{/*
Every collector replica's gRPC address, comma-separated, for the agents' --collector: the
Service with one replica, else each Pod's stable name under the headless Service.
*/}}
{{- define "gd.collectorAddrs" -}}
{{- $n := int .Values.collector.replicas -}}
{{- if le $n 1 -}}
{{- include "gd.collectorAddr" . -}}
{{- else -}}
{{- $name := include "gd.collectorName" . -}}
{{- $addrs := list -}}
{{- range $i := until $n -}}
{{- $addrs = append $addrs (printf "%s-%d.%s-headless.%s.svc:%d" $name $i $name $.Release.Namespace (int $.Values.collector.grpcPort)) -}}
{{- end -}}
{{- join "," $addrs -}}
{{- end -}}
{{- end -}}

{{/* Labels. Call with (dict "ctx" $ "component" "collector"). */}}
{{- define "gd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gd.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "gd.labels" -}}
{{ include "gd.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: guts-diag
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
An image reference: [registry/]repository followed by @digest when a digest is set (the tag is
then ignored), else :tag (default the chart's appVersion). The image's own registry wins over
images.registry.
*/}}
{{- define "gd.image" -}}
{{- $registry := default .ctx.Values.images.registry .image.registry -}}
{{- $repo := .image.repository -}}
{{- if $registry -}}{{- $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo -}}{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .ctx.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
metadata.annotations of an object: commonAnnotations merged with the object's own ("extra"
wins). Renders nothing when both are empty, so objects call it inside a `with` and indent
its text by 2. Call with (dict "ctx" $ "extra" .Values.x.annotations).
*/}}
{{- define "gd.annotations" -}}
{{- $all := merge (deepCopy (default (dict) .extra)) (deepCopy (default (dict) .ctx.Values.commonAnnotations)) -}}
{{- with $all -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
A duration ("1s", "1m30s", "250ms", "7d") in milliseconds, as the binaries read it (absl
durations; the collector also takes whole days). Helm cannot parse durations itself; the
schema's pattern already refused anything else.
*/}}
{{- define "gd.durationMs" -}}
{{- $ms := 0.0 -}}
{{- $units := dict "ns" 0.000001 "us" 0.001 "ms" 1.0 "s" 1000.0 "m" 60000.0 "h" 3600000.0 "d" 86400000.0 -}}
{{- range regexFindAll `[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h|d)` . -1 -}}
{{- $unit := regexFind "(ns|us|ms|s|m|h|d)$" . -}}
{{- $number := trimSuffix $unit . -}}
{{- $ms = addf $ms (mulf (float64 $number) (get $units $unit)) -}}
{{- end -}}
{{- $ms -}}
{{- end -}}

{{/* A byte size as the agent reads it (64MiB, 512KiB, 1GB, 1000000) in bytes. */}}
{{- define "gd.byteSize" -}}
{{- $units := dict "KiB" 1024 "MiB" 1048576 "GiB" 1073741824 "KB" 1000 "MB" 1000000 "GB" 1000000000 "B" 1 "" 1 -}}
{{- $unit := regexFind "[A-Za-z]+$" . -}}
{{- mul (int64 (trimSuffix $unit .)) (get $units $unit) -}}
{{- end -}}

{{/*
Ranges the binaries enforce and a JSON schema cannot express on a duration or size string:
fail the render with the binary's own rule instead of a crash-looping Pod.
*/}}
{{- define "gd.checkRanges" -}}
{{- $a := .Values.agent -}}
{{- $interval := include "gd.durationMs" $a.interval | float64 -}}
{{- if or (lt $interval 10.0) (gt $interval 3600000.0) -}}
{{- fail (printf "agent.interval %q: guts-agent takes 10ms to 1h" $a.interval) -}}
{{- end -}}
{{- $reconnect := include "gd.durationMs" $a.reconnectMaxDelay | float64 -}}
{{- if or (lt $reconnect 1000.0) (gt $reconnect 600000.0) -}}
{{- fail (printf "agent.reconnectMaxDelay %q: guts-agent takes 1s to 10m" $a.reconnectMaxDelay) -}}
{{- end -}}
{{- if lt (include "gd.byteSize" $a.spoolMaxBytes | int64) 65536 -}}
{{- fail (printf "agent.spoolMaxBytes %q: guts-agent needs at least 64KiB" $a.spoolMaxBytes) -}}
{{- end -}}
{{- $memtables := include "gd.byteSize" .Values.collector.storeMemtableBytes | int64 -}}
{{- if or (lt $memtables 4194304) (gt $memtables 17179869184) -}}
{{- fail (printf "collector.storeMemtableBytes %q: guts-collector takes 4MiB to 16GiB" .Values.collector.storeMemtableBytes) -}}
{{- end -}}
{{- if le (include "gd.durationMs" .Values.collector.tick | float64) 0.0 -}}
{{- fail (printf "collector.tick %q: guts-collector needs a tick above 0" .Values.collector.tick) -}}
{{- end -}}
{{- if lt (include "gd.durationMs" .Values.collector.alerting.resendInterval | float64) 1000.0 -}}
{{- fail (printf "collector.alerting.resendInterval %q: guts-collector needs at least 1s" .Values.collector.alerting.resendInterval) -}}
{{- end -}}
{{- $p := .Values.collector.persistence -}}
{{- if and $p.enabled $p.existingClaim (gt (int .Values.collector.replicas) 1) -}}
{{- fail "collector.persistence.existingClaim holds one replica's store: it needs collector.replicas=1 (each replica owns its own RocksDB)" -}}
{{- end -}}
{{- end -}}

{{/*
TLS mode, checked once: "mtls" or "insecure". Contradictory settings fail the render with a
message that says what to set.
*/}}
{{- define "gd.tlsMode" -}}
{{- $t := .Values.tls -}}
{{- if and $t.enabled $t.insecure -}}
{{- fail "tls.enabled=true and tls.insecure=true contradict each other: keep mTLS (tls.insecure=false) or opt out explicitly with tls.enabled=false,tls.insecure=true" -}}
{{- else if and (not $t.enabled) (not $t.insecure) -}}
{{- fail "tls.enabled=false needs tls.insecure=true as well: plain text is a development-only opt-in that must be explicit" -}}
{{- else if $t.enabled -}}
{{- if and $t.existingSecret $t.certManager.enabled -}}
{{- fail "tls.existingSecret and tls.certManager.enabled are both set: choose one source for the collector's certificate" -}}
{{- else if and (not $t.existingSecret) (not $t.certManager.enabled) -}}
{{- fail "tls.enabled=true needs a certificate source: set tls.existingSecret or tls.certManager.enabled=true" -}}
{{- else if and $t.existingSecret .Values.tests.enabled (not $t.existingClientSecret) -}}
{{- fail "tls.existingSecret is set but tls.existingClientSecret is empty: the helm test Pod needs a viewer client certificate (or set tests.enabled=false)" -}}
{{- end -}}
mtls
{{- else -}}
insecure
{{- end -}}
{{- end -}}

{{/* True when the chart makes its own CA with cert-manager. */}}
{{- define "gd.ownCA" -}}
{{- if and .Values.tls.enabled .Values.tls.certManager.enabled (not .Values.tls.certManager.issuerRef.name) -}}true{{- end -}}
{{- end -}}

{{/* The issuer that signs leaf certificates: the chart's CA Issuer or the configured one. */}}
{{- define "gd.issuerRef" -}}
{{- if include "gd.ownCA" . -}}
name: {{ include "gd.fullname" . }}-ca
kind: Issuer
group: cert-manager.io
{{- else -}}
{{ toYaml .Values.tls.certManager.issuerRef }}
{{- end -}}
{{- end -}}

{{- define "gd.collectorTlsSecret" -}}
{{- default (printf "%s-tls" (include "gd.collectorName" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{- define "gd.clientTlsSecret" -}}
{{- default (printf "%s-gutsctl-viewer-tls" (include "gd.fullname" .)) .Values.tls.existingClientSecret -}}
{{- end -}}

{{/* Command-line TLS flags shared by all binaries, for files mounted at /etc/guts-diag/tls. */}}
{{- define "gd.tlsArgs" -}}
{{- if eq (include "gd.tlsMode" .) "mtls" }}
- --tls-cert=/etc/guts-diag/tls/tls.crt
- --tls-key=/etc/guts-diag/tls/tls.key
- --tls-ca=/etc/guts-diag/tls/ca.crt
{{- else }}
- --insecure
{{- end }}
{{- end -}}

{{/*
The agent container for the guts-node chart's sidecars[]. It shares the node Pod's network
namespace: the node's API is on 127.0.0.1 and its P2P sockets are visible to sock_diag.
*/}}
{{- define "gd.agentSidecarContainer" -}}
{{- $s := .Values.agent.sidecar -}}
name: guts-agent
image: {{ include "gd.image" (dict "ctx" . "image" .Values.images.agent) }}
imagePullPolicy: {{ .Values.images.agent.pullPolicy }}
args:
  - --collector={{ include "gd.collectorAddrs" . }}
  - --node-id=$(POD_NAME)
  - --node-api=http://127.0.0.1:{{ $s.nodeApiPort }}
  - --node-p2p-addr=$(POD_IP):{{ $s.nodeP2pPort }}
  - --node-data-dir=/data
  {{- if $s.nodeConfigVolume }}
  - --node-config={{ $s.nodeConfigPath }}
  {{- else }}
  - --node-config=none
  {{- end }}
  {{- if $s.podLogs.enabled }}
  - --node-log-file=/var/log/guts-node-pod/{{ $s.podLogs.nodeContainerName }}/0.log
  {{- end }}
  - --state-dir=/var/lib/guts-agent
  - --http-addr=0.0.0.0:{{ .Values.agent.httpPort }}
  - --interval={{ .Values.agent.interval }}
  - --role={{ .Values.agent.role }}
  - --spool-max-bytes={{ .Values.agent.spoolMaxBytes }}
  - --reconnect-max-delay={{ .Values.agent.reconnectMaxDelay }}
  - --log-level={{ .Values.agent.logLevel }}
  {{- range $k, $v := .Values.agent.labels }}
  - --label={{ $k }}={{ $v }}
  {{- end }}
  {{- include "gd.tlsArgs" . | trim | nindent 2 }}
  {{- with .Values.agent.extraArgs }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
env:
  - name: POD_NAME
    valueFrom: {fieldRef: {fieldPath: metadata.name}}
  - name: POD_NAMESPACE
    valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
  - name: POD_UID
    valueFrom: {fieldRef: {fieldPath: metadata.uid}}
  - name: POD_IP
    valueFrom: {fieldRef: {fieldPath: status.podIP}}
  {{- with .Values.agent.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
ports:
  - name: agent-http
    containerPort: {{ .Values.agent.httpPort }}
    protocol: TCP
livenessProbe:
  httpGet: {path: /healthz, port: agent-http}
  periodSeconds: 10
resources:
  {{- toYaml .Values.agent.resources | nindent 2 }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
  runAsUser: {{ .Values.podSecurityContext.runAsUser }}
  runAsGroup: {{ include "gd.agentSidecarGroup" . }}
volumeMounts:
  - name: {{ $s.nodeDataVolume }}
    mountPath: /data
    readOnly: true
  {{- if $s.nodeConfigVolume }}
  - name: {{ $s.nodeConfigVolume }}
    mountPath: {{ dir $s.nodeConfigPath }}
    readOnly: true
  {{- end }}
  - name: guts-agent-state
    mountPath: /var/lib/guts-agent
  - name: guts-agent-tmp
    mountPath: /tmp
  {{- if $s.podLogs.enabled }}
  # This Pod's own log directory only (/var/log/pods/<namespace>_<pod>_<uid>), not every
  # Pod's on the host.
  - name: guts-agent-pod-logs
    mountPath: /var/log/guts-node-pod
    subPathExpr: $(POD_NAMESPACE)_$(POD_NAME)_$(POD_UID)
    readOnly: true
  {{- end }}
  {{- if eq (include "gd.tlsMode" .) "mtls" }}
  - name: guts-agent-tls
    mountPath: /etc/guts-diag/tls
    readOnly: true
  {{- end }}
  {{- with .Values.agent.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/*
Primary group of the sidecar agent. The kubelet writes Pod log files root:root 0640, so with
podLogs the agent reads them through group 0 while its uid stays non-root.
*/}}
{{- define "gd.agentSidecarGroup" -}}
{{- if .Values.agent.sidecar.podLogs.enabled -}}
{{- .Values.agent.sidecar.podLogs.readGroupId -}}
{{- else -}}
{{- .Values.podSecurityContext.runAsGroup -}}
{{- end -}}
{{- end -}}

{{/* Volumes that go with the sidecar container, for the guts-node chart's extraVolumes. */}}
{{- define "gd.agentSidecarVolumes" -}}
- name: guts-agent-state
  emptyDir:
    sizeLimit: {{ .Values.agent.stateSizeLimit }}
- name: guts-agent-tmp
  emptyDir:
    sizeLimit: 16Mi
{{- if .Values.agent.sidecar.podLogs.enabled }}
- name: guts-agent-pod-logs
  hostPath:
    path: /var/log/pods
    type: Directory
{{- end }}
{{- if eq (include "gd.tlsMode" .) "mtls" }}
{{- $ref := .Values.agent.sidecar.tls.issuerRef }}
{{- if not $ref.name }}
{{- if not .Values.tls.certManager.enabled }}
{{- fail "agent.mode=sidecar with mTLS and tls.existingSecret needs agent.sidecar.tls.issuerRef.name: each guts-node Pod gets its own certificate (CN = Pod name) from the cert-manager csi-driver, signed by that issuer" }}
{{- end }}
{{- $ref = include "gd.issuerRef" . | fromYaml }}
{{- end }}
- name: guts-agent-tls
  csi:
    driver: csi.cert-manager.io
    readOnly: true
    volumeAttributes:
      csi.cert-manager.io/issuer-name: {{ $ref.name }}
      csi.cert-manager.io/issuer-kind: {{ $ref.kind }}
      csi.cert-manager.io/issuer-group: {{ $ref.group }}
      csi.cert-manager.io/common-name: ${POD_NAME}
      csi.cert-manager.io/organizationalunits: agent
      csi.cert-manager.io/key-usages: client auth,digital signature,key encipherment
      csi.cert-manager.io/duration: {{ .Values.tls.certManager.duration }}
      csi.cert-manager.io/fs-group: {{ include "gd.agentSidecarGroup" . | quote }}
{{- end }}
{{- with .Values.agent.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}
