#!/usr/bin/env bash
# Mints a development CA and certificates for a local guts-diag fleet with openssl.
#
#   scripts/mint-dev-certs.sh DIR [NODE...]      (default nodes: v1..v7)
#
# Writes into DIR:
#   ca.crt / ca.key                    the development CA (10 days; never use in production)
#   collector.crt / collector.key      server certificate for 127.0.0.1 and localhost
#   agent-<node>.crt / .key            one per node; CN = node id, OU = agent
#   operator.crt / .key                gutsctl client, OU = operator (may collect bundles)
#   viewer.crt / .key                  gutsctl client, OU = viewer (read-only)
# The collector takes a node's id from its certificate's CN and a client's role from its OU.
set -euo pipefail
dir="${1:?usage: mint-dev-certs.sh DIR [NODE...]}"
shift
nodes=("$@")
if ((${#nodes[@]} == 0)); then nodes=(v1 v2 v3 v4 v5 v6 v7); fi
mkdir -p "$dir"
cd "$dir"
umask 077

days=10
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/O=guts-diag dev/CN=guts-diag dev CA" -keyout ca.key -out ca.crt 2>/dev/null

# mint NAME SUBJECT EXTENSIONS
mint() {
  local name="$1" subject="$2" ext="$3"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile <(printf '%s\n' "$ext") -out "$name.crt" 2>/dev/null
  rm -f "$name.csr"
}

mint collector "/O=guts-diag dev/OU=collector/CN=guts-collector" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:guts-collector
extendedKeyUsage=serverAuth,clientAuth"
for node in "${nodes[@]}"; do
  mint "agent-$node" "/O=guts-diag dev/OU=agent/CN=$node" "extendedKeyUsage=clientAuth"
done
mint operator "/O=guts-diag dev/OU=operator/CN=operator" "extendedKeyUsage=clientAuth"
mint viewer "/O=guts-diag dev/OU=viewer/CN=viewer" "extendedKeyUsage=clientAuth"
rm -f ca.srl
chmod 644 ./*.crt
echo "minted a development CA and certificates in $dir for: ${nodes[*]}" >&2
