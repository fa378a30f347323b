// Validates the objects that `helm template` rendered for guts-diagnostics, offline.
//
// Usage: node validate.mjs --mode sidecar|daemonset|none --tls mtls|insecure --pvc yes|no FILE
//
// 1. Every object is checked against its Kubernetes schema with the matching kubernetes-models
//    class (cert-manager and prometheus-operator kinds with their CRD packages). An object of
//    a kind with no model is an error: nothing is skipped silently.
// 2. The agent (the sidecar container the chart renders for the guts-node chart, or the
//    DaemonSet) mounts everything read-only except its own state and /tmp emptyDirs, and never
//    the node's key.
// 3. Every container runs non-root, read-only root filesystem, no privilege escalation, all
//    capabilities dropped, seccomp RuntimeDefault; TLS flags match the expected mode; the
//    collector has its probes, PVC and Services; the labels are the standard ones.
//
// kubernetes-models checks types, required fields and formats but not unknown field names (the
// API server would drop or refuse those): the field lists of @kubernetes/client-node's models
// catch them for the built-in kinds. CRD kinds (Certificate, Issuer, ServiceMonitor) get the
// schema check only.
// Prints one line per finding and exits 1 when there is any.
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const args = process.argv.slice(2);
function flag(name) {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) usage(`missing ${name}`);
  return args[i + 1];
}
function usage(why) {
  console.error(`validate.mjs: ${why}\nusage: node validate.mjs --mode sidecar|daemonset|none --tls mtls|insecure --pvc yes|no FILE`);
  process.exit(2);
}
const mode = flag("--mode");
const tlsMode = flag("--tls");
const pvc = flag("--pvc");
const file = args[args.length - 1];
if (!["sidecar", "daemonset", "none"].includes(mode)) usage(`bad --mode ${mode}`);
if (!["mtls", "insecure"].includes(tlsMode)) usage(`bad --tls ${tlsMode}`);
if (!["yes", "no"].includes(pvc)) usage(`bad --pvc ${pvc}`);

const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

// apiVersion -> module prefix holding one class per kind.
const modelRoots = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

async function modelFor(apiVersion, kind) {
  const root = modelRoots[apiVersion];
  if (!root) return null;
  try {
    const mod = await import(`${root}/${kind}`);
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

async function validateObject(where, obj) {
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!Model) {
    problem(where, `no schema for ${obj.apiVersion} ${obj.kind} (add its model package)`);
    return;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    problem(where, `schema: ${e.message}`);
  }
}

// Reports fields that the Kubernetes API type does not have (a typo such as `readOnlyy` would
// otherwise pass silently). `type` is a client-node type name: V1Pod, Array<V1Volume>, ...
function unknownFields(where, value, type, path) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(where, v, array[1], `${path}[${i}]`));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(value)) unknownFields(where, v, map[1], `${path}.${k}`);
    return;
  }
  const model = k8s[type];
  if (!model?.attributeTypeMap || typeof value !== "object") return;
  const fields = Object.fromEntries(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!(k in fields)) {
      problem(where, `unknown field ${path ? `${path}.` : ""}${k} (not in ${type})`);
    } else {
      unknownFields(where, v, fields[k], path ? `${path}.${k}` : k);
    }
  }
}
const builtinGroups = new Set(["v1", "apps/v1", "policy/v1", "networking.k8s.io/v1"]);
function checkFieldNames(where, obj) {
  if (!builtinGroups.has(obj.apiVersion)) return;
  const type = `V1${obj.kind}`;
  if (!k8s[type]?.attributeTypeMap) {
    problem(where, `no field list for ${obj.apiVersion} ${obj.kind}`);
    return;
  }
  unknownFields(where, obj, type, "");
}

// --- parse ------------------------------------------------------------------------------------
const docs = parseAllDocuments(readFileSync(file, "utf8"));
const objects = [];
for (const doc of docs) {
  if (doc.errors.length) {
    problem(file, `YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    continue;
  }
  const obj = doc.toJS();
  if (obj === null || obj === undefined) continue;
  objects.push(obj);
}
const name = (o) => `${o.kind}/${o.metadata?.name}`;
const byKind = (kind) => objects.filter((o) => o.kind === kind);

// --- 1. schemas and labels ----------------------------------------------------------------------
const standardLabels = [
  "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
  "app.kubernetes.io/component", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of",
  "helm.sh/chart",
];
for (const obj of objects) {
  await validateObject(name(obj), obj);
  checkFieldNames(name(obj), obj);
  const labels = obj.metadata?.labels ?? {};
  for (const l of standardLabels) if (!labels[l]) problem(name(obj), `label ${l} missing`);
}

// --- 3. container hardening and TLS flags ---------------------------------------------------------
function podSpecOf(obj) {
  if (obj.kind === "Pod") return obj.spec;
  return obj.spec?.template?.spec;
}

function checkContainer(where, c, pod) {
  const sc = c.securityContext ?? {};
  const psc = pod.securityContext ?? {};
  if (sc.allowPrivilegeEscalation !== false) problem(where, "allowPrivilegeEscalation is not false");
  if (sc.readOnlyRootFilesystem !== true) problem(where, "readOnlyRootFilesystem is not true");
  if (sc.privileged) problem(where, "privileged");
  if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(where, "capabilities do not drop ALL");
  if ((sc.capabilities?.add ?? []).length) problem(where, `adds capabilities ${sc.capabilities.add}`);
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) problem(where, "runAsNonRoot is not true");
  const uid = sc.runAsUser ?? psc.runAsUser;
  if (!(uid > 0)) problem(where, `runAsUser ${uid} is not a non-root uid`);
  const seccomp = (sc.seccompProfile ?? psc.seccompProfile)?.type;
  if (seccomp !== "RuntimeDefault") problem(where, `seccomp ${seccomp}, want RuntimeDefault`);

  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const has = (prefix) => argv.some((a) => a === prefix || a.startsWith(`${prefix}=`));
  if (tlsMode === "mtls") {
    for (const f of ["--tls-cert", "--tls-key", "--tls-ca"]) if (!has(f)) problem(where, `${f} missing with mTLS on`);
    if (has("--insecure")) problem(where, "--insecure with mTLS on");
  } else if (!has("--insecure")) {
    problem(where, "--insecure missing in plain-text mode");
  }
}

// The agent reads the node's world and writes only into its own emptyDir state and /tmp.
function checkAgentMounts(where, c, volumes, nodeDataPath) {
  const volumeByName = Object.fromEntries(volumes.map((v) => [v.name, v]));
  let nodeDataReadOnly = false;
  for (const m of c.volumeMounts ?? []) {
    const v = volumeByName[m.name];
    if (!v) {
      problem(where, `mount ${m.mountPath} names unknown volume ${m.name}`);
      continue;
    }
    if (m.mountPath === nodeDataPath && m.readOnly === true) nodeDataReadOnly = true;
    if (v.hostPath && /^\/etc\/guts(\/|$)/.test(v.hostPath.path)) problem(where, `mounts ${v.hostPath.path}: the node's key lives there`);
    // The kubelet's log directory holds every Pod's logs: a sidecar may see its own Pod's only.
    if (v.hostPath && /^\/var\/log\/pods\/?$/.test(v.hostPath.path) && !/^\$\(POD_NAMESPACE\)_\$\(POD_NAME\)_\$\(POD_UID\)$/.test(m.subPathExpr ?? "")) {
      problem(where, `mount ${m.mountPath} shows every Pod's logs on the host (no subPathExpr of its own Pod)`);
    }
    const writable = m.readOnly !== true;
    if (writable) {
      const ownScratch = v.emptyDir && ["/var/lib/guts-agent", "/tmp"].includes(m.mountPath);
      if (!ownScratch) problem(where, `mount ${m.mountPath} (volume ${m.name}) is writable`);
    }
  }
  if (!nodeDataReadOnly) problem(where, `node data dir ${nodeDataPath} is not mounted read-only`);
  const argv = c.args ?? [];
  const arg = (f) => argv.find((a) => a.startsWith(`${f}=`))?.slice(f.length + 1);
  if (arg("--node-data-dir") !== nodeDataPath) problem(where, `--node-data-dir is ${arg("--node-data-dir")}, want ${nodeDataPath}`);
  if (arg("--state-dir") !== "/var/lib/guts-agent") problem(where, "--state-dir is not its emptyDir");
  return { arg };
}

const workloads = objects.filter((o) => ["Pod", "StatefulSet", "DaemonSet"].includes(o.kind));
for (const w of workloads) {
  const pod = podSpecOf(w);
  if (pod.automountServiceAccountToken !== false) problem(name(w), "mounts a service account token");
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    checkContainer(`${name(w)} container ${c.name}`, c, pod);
  }
}

// --- collector ----------------------------------------------------------------------------------
const collector = byKind("StatefulSet").find((s) => s.metadata.labels["app.kubernetes.io/component"] === "collector");
if (!collector) {
  problem(file, "no collector StatefulSet");
} else {
  const c = collector.spec.template.spec.containers[0];
  const where = `${name(collector)} container ${c.name}`;
  if (c.livenessProbe?.httpGet?.path !== "/healthz" || c.livenessProbe.httpGet.port !== "http") problem(where, "liveness probe is not GET /healthz on http");
  if (c.readinessProbe?.httpGet?.path !== "/readyz" || c.readinessProbe.httpGet.port !== "http") problem(where, "readiness probe is not GET /readyz on http");
  if (!c.resources?.requests || !c.resources?.limits) problem(where, "resources need requests and limits");
  if (!(c.args ?? []).includes("--data-dir=/var/lib/guts-collector")) problem(where, "--data-dir missing");
  const dataMount = (c.volumeMounts ?? []).find((m) => m.mountPath === "/var/lib/guts-collector");
  const claim = (collector.spec.volumeClaimTemplates ?? []).find((t) => t.metadata.name === dataMount?.name) ??
    collector.spec.template.spec.volumes.find((v) => v.name === dataMount?.name && v.persistentVolumeClaim?.claimName);
  if (pvc === "yes" && !claim) problem(where, "the RocksDB dir is not on a PersistentVolumeClaim");
  if (pvc === "no" && claim) problem(where, "a PersistentVolumeClaim although persistence is off");
  const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
  if (ports.grpc !== 7400 || ports.http !== 7401) problem(where, `ports ${JSON.stringify(ports)}, want grpc 7400 http 7401`);
}
const service = byKind("Service").find((s) => s.spec.type !== undefined && s.spec.clusterIP !== "None");
const servicePorts = Object.fromEntries((service?.spec.ports ?? []).map((p) => [p.name, p.port]));
if (servicePorts.grpc !== 7400 || servicePorts.http !== 7401) problem("Service", `ports ${JSON.stringify(servicePorts)}, want grpc 7400 http 7401`);
if (!byKind("PodDisruptionBudget").length) problem(file, "no PodDisruptionBudget");
if (!byKind("ServiceAccount").length) problem(file, "no ServiceAccount");
const testPod = byKind("Pod").find((p) => p.metadata.annotations?.["helm.sh/hook"] === "test");
if (!testPod || !testPod.spec.containers[0].args.some((a) => a.includes("fleet status"))) problem(file, "no helm test Pod running gutsctl fleet status");

// Clients reach the collector's gRPC port only.
const policy = byKind("NetworkPolicy").find((p) => p.metadata.labels["app.kubernetes.io/component"] === "collector");
if (!policy) {
  problem(file, "no NetworkPolicy for the collector");
} else {
  for (const rule of policy.spec.ingress ?? []) {
    const portNames = (rule.ports ?? []).map((p) => p.port);
    if (!portNames.length) problem(name(policy), "an ingress rule opens every port");
    if (portNames.includes("http") && portNames.includes("grpc")) problem(name(policy), "one rule opens both gRPC and HTTP");
  }
}

// TLS objects.
if (tlsMode === "mtls" && collector) {
  const tlsVolume = collector.spec.template.spec.volumes.find((v) => v.name === "tls");
  if (!tlsVolume?.secret?.secretName) problem(name(collector), "mTLS on but no certificate Secret mounted");
}
if (tlsMode === "insecure" && byKind("Certificate").length) problem(file, "certificates rendered in plain-text mode");

// --- 2. the agent -------------------------------------------------------------------------------
if (mode === "sidecar") {
  const cm = byKind("ConfigMap").find((c) => c.data?.["guts-node-values.yaml"]);
  if (!cm) {
    problem(file, "sidecar mode but no ConfigMap with guts-node-values.yaml");
  } else {
    const snippet = parseYaml(cm.data["guts-node-values.yaml"]);
    // Assemble the guts-node Pod the way its chart would (node container + data PVC + our parts)
    // and validate it as a Pod, so names, types and references are all checked.
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "guts-node-0", labels: { "app.kubernetes.io/name": "guts-node" } },
      spec: {
        containers: [
          {
            name: "guts-node",
            image: "guts-node:latest",
            ports: [{ name: "api", containerPort: 8080 }, { name: "p2p", containerPort: 9000 }],
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          },
          ...snippet.sidecars,
        ],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-guts-node-0" } }, ...snippet.extraVolumes],
      },
    };
    await validateObject("guts-node Pod with the sidecar", pod);
    checkFieldNames("guts-node Pod with the sidecar", pod);
    const agent = snippet.sidecars.find((c) => c.name === "guts-agent");
    const where = "sidecar guts-agent";
    checkContainer(where, agent, pod.spec);
    const { arg } = checkAgentMounts(where, agent, pod.spec.volumes, "/data");
    if (arg("--node-api") !== "http://127.0.0.1:8080") problem(where, "--node-api is not the Pod's localhost API");
    if (arg("--node-id") !== "$(POD_NAME)") problem(where, "--node-id does not come from the Pod name");
    if (!/^\$\(POD_IP\):9000$/.test(arg("--node-p2p-addr") ?? "")) problem(where, "--node-p2p-addr does not come from the Pod IP");
    const env = Object.fromEntries((agent.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    if (env.POD_NAME !== "metadata.name" || env.POD_IP !== "status.podIP") problem(where, "POD_NAME/POD_IP not from the downward API");
    if (tlsMode === "mtls") {
      const tlsVol = snippet.extraVolumes.find((v) => v.csi?.driver === "csi.cert-manager.io");
      if (tlsVol?.csi.volumeAttributes["csi.cert-manager.io/common-name"] !== "${POD_NAME}") problem(where, "per-Pod certificate CN is not the Pod name");
    }
  }
  if (byKind("DaemonSet").length) problem(file, "DaemonSet rendered in sidecar mode");
} else if (mode === "daemonset") {
  const ds = byKind("DaemonSet")[0];
  if (!ds) {
    problem(file, "daemonset mode but no DaemonSet");
  } else {
    const pod = ds.spec.template.spec;
    const agent = pod.containers[0];
    const where = `${name(ds)} container ${agent.name}`;
    const { arg } = checkAgentMounts(where, agent, pod.volumes, "/var/lib/guts");
    if (arg("--journal-unit") !== "guts-node") problem(where, "--journal-unit is not guts-node");
    const journals = agent.volumeMounts.filter((m) => /^\/(var|run)\/log\/journal$/.test(m.mountPath));
    if (!journals.length) problem(where, "no journal directory mounted");
    for (const m of journals) if (m.readOnly !== true) problem(where, `${m.mountPath} not mounted read-only`);
    if (pod.hostNetwork !== true) problem(where, "hostNetwork is off: the host node's sockets are invisible");
    if (pod.hostPID !== true) problem(where, "hostPID is off: the host node's process is invisible");
  }
  if (byKind("ConfigMap").some((c) => c.data?.["guts-node-values.yaml"])) problem(file, "sidecar snippet rendered in daemonset mode");
}

if (mode === "none" && (byKind("DaemonSet").length || byKind("ConfigMap").some((c) => c.data?.["guts-node-values.yaml"]))) {
  problem(file, "agent rendered although agent.mode is none");
}

const kinds = {};
for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
const summary = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(`${file}: ${problems.length} problem(s) in ${objects.length} objects`);
  process.exit(1);
}
console.log(`${file}: ${objects.length} objects valid (${summary})`);
