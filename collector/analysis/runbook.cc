#include "collector/analysis/runbook.h"

#include <string>

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kNetworkPartitionSteps[] = {
    "gutsctl net partitions: confirm the groups and which side holds the quorum",
    "check firewalls, security groups and routes between the groups on TCP 9000",
    "from a node of each side: nc -vz <peer ip> 9000",
    "do not restart nodes on the minority side; heal the network first"};
constexpr std::string_view kLowPeerCountSteps[] = {
    "gutsctl net matrix: which peers each node stopped hearing",
    "check recent network or firewall changes common to the affected nodes",
    "check the validators list (addr) the nodes dial"};
constexpr std::string_view kValidatorDownSteps[] = {
    "systemctl status guts-node / kubectl get pod on the node",
    "journalctl -u guts-node -n 200: last lines before it stopped",
    "restart the node; while it is down one more loss may halt the chain"};
constexpr std::string_view kConsensusStalledSteps[] = {
    "gutsctl fleet status: heights and views of every validator",
    "views climbing: leaders fail to propose; check the leaders' logs",
    "view steady: the application halted; check 'Consensus engine error' lines",
    "collect bundles from all validators: gutsctl diag collect --all"};

}  // namespace

const RunbookSpec kNetworkPartitionRunbook{.name = "network-partition",
                                           .steps = kNetworkPartitionSteps};
const RunbookSpec kLowPeerCountRunbook{.name = "low-peer-count", .steps = kLowPeerCountSteps};
const RunbookSpec kValidatorDownRunbook{.name = "validator-down", .steps = kValidatorDownSteps};
const RunbookSpec kConsensusStalledRunbook{.name = "consensus-stalled",
                                           .steps = kConsensusStalledSteps};

v1::Runbook RunbookFor(std::string_view kind_name) {
  v1::Runbook r;
  const IncidentKindSpec* kind = FindIncidentKind(kind_name);
  if (kind == nullptr || kind->runbook == nullptr) {
    r.set_name("none");
    return r;
  }
  r.set_name(std::string(kind->runbook->name));
  for (std::string_view step : kind->runbook->steps) r.add_steps(std::string(step));
  return r;
}

}  // namespace guts::collector
