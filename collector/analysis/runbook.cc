#include "collector/analysis/runbook.h"

#include <string>
#include <vector>

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

v1::Runbook Make(const char* name, std::vector<std::string> steps) {
  v1::Runbook r;
  r.set_name(name);
  for (std::string& s : steps) r.add_steps(std::move(s));
  return r;
}

}  // namespace

v1::Runbook RunbookFor(v1::IncidentKind kind) {
  switch (kind) {
    case v1::PARTITION:
    case v1::PARTITION_NO_QUORUM:
    case v1::PARTIAL_PARTITION:
    case v1::ONE_WAY_LINK:
    case v1::NODE_ONE_WAY_ISOLATION:
    case v1::NODE_ISOLATED:
    case v1::FLAPPING_LINK:
      return Make("network-partition",
                  {"gutsctl net partitions: confirm the groups and which side holds the quorum",
                   "check firewalls, security groups and routes between the groups on TCP 9000",
                   "from a node of each side: nc -vz <peer ip> 9000",
                   "do not restart nodes on the minority side; heal the network first"});
    case v1::FLEET_PEER_LOSS:
    case v1::LOW_PEERS:
      return Make("low-peer-count",
                  {"gutsctl net matrix: which peers each node stopped hearing",
                   "check recent network or firewall changes common to the affected nodes",
                   "check the validators list (addr) the nodes dial"});
    case v1::NODE_DOWN:
    case v1::QUORUM_AT_RISK:
      return Make("validator-down",
                  {"systemctl status guts-node / kubectl get pod on the node",
                   "journalctl -u guts-node -n 200: last lines before it stopped",
                   "restart the node; while it is down one more loss may halt the chain"});
    case v1::COLLECTOR_UNREACHABLE:
      return Make("collector-connectivity",
                  {"the nodes run (their peers hear them): check the agent's route and TLS to "
                   "the collector",
                   "the agents spool snapshots and replay them after reconnect"});
    case v1::CONSENSUS_STUCK:
    case v1::FORK:
      return Make("consensus-stalled",
                  {"gutsctl fleet status: heights and views of every validator",
                   "views climbing: leaders fail to propose; check the leaders' logs",
                   "view steady: the application halted; check 'Consensus engine error' lines",
                   "collect bundles from all validators: gutsctl diag collect --all"});
    case v1::NODE_LAGGING:
    case v1::NODE_NOT_SYNCING:
      return Make("node-not-syncing", {"gutsctl node history <node>: height and peers over time",
                                       "check the node's CPU, disk and peer count",
                                       "collect a bundle: gutsctl diag collect --node <node>"});
    case v1::VALIDATOR_SET_DRIFT:
      return Make("validator-set-drift",
                  {"compare p2p.allowed_peers and p2p.bootstrappers in each named node's "
                   "config.yaml with the agreed validator set",
                   "add the missing keys on the nodes that lack them and restart those nodes",
                   "gutsctl net matrix: the pair connects again once both lists agree"});
    case v1::CONSENSUS_ENGINE_FAILED:
      return Make("consensus-engine-failed",
                  {"journalctl -u guts-node: the lines before 'Consensus engine task failed'",
                   "the API and /health stay up, but the node no longer votes: restart it",
                   "collect a bundle first: gutsctl diag collect --node <node>"});
    case v1::VALIDATOR_UNREACHABLE:
      return Make("validator-unreachable",
                  {"no agent runs beside this validator: ask its operator (organisation in the "
                   "validators file) whether it runs",
                   "from an observed node: nc -vz <its P2P address> to tell refused from "
                   "timed out",
                   "gutsctl fleet status: which observed nodes still hear it"});
    case v1::DISK_FULL:
      return Make("disk-full", {"df -h on the data dir", "free space or grow the volume",
                                "the node stops writing blocks when the disk is full"});
    case v1::CONFIG_FALLBACK:
      return Make("config-fallback",
                  {"the node runs on defaults: API on loopback, default peers",
                   "check the config path and permissions (config.yaml in the working dir)",
                   "fix and restart the node"});
    case v1::HIGH_MEMORY:
      return Make("high-memory", {"check RSS growth over time: gutsctl node history <node>",
                                  "raise the limit or restart before the OOM killer does"});
    case v1::API_ERRORS:
      return Make("api-errors", {"check the node's log for 'API error' lines",
                                 "compare the 5xx ratio and p99 with the node's load"});
    case v1::DATA_CORRUPTION:
      return Make("data-corruption", {"stop the node before it serves more damaged data",
                                      "collect a bundle: gutsctl diag collect --node <node>",
                                      "restore the data dir from a backup or resync from peers"});
    case v1::CLOCK_SKEW:
      return Make("clock-skew", {"timedatectl / chronyc tracking on the node's host",
                                 "fix NTP; the analysis does not trust agent clocks"});
    case v1::COLLECTOR_DEGRADED:
      return Make("collector-degraded",
                  {"check the collector's CPU, disk and /metrics ingest lag",
                   "node silence is not judged until the collector catches up"});
    default:
      return Make("none", {});
  }
}

}  // namespace guts::collector
