// Runbook: the operators' runbook that applies to an incident kind, with its first steps. Each
// kind declares its runbook (IncidentKindSpec::runbook); the runbooks several detectors' kinds
// share are defined here.
//
// Example:
//   *incident.mutable_runbook() = RunbookFor("NODE_DOWN");  // "validator-down", 3 steps
#pragma once

#include <string_view>

#include "collector/analysis/incident_kind.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

// The runbook of the kind named `kind_name`; "none" without steps for a name no detector
// declares.
guts::diag::v1::Runbook RunbookFor(std::string_view kind_name);

// Shared by the partition, one-way and flapping detectors' kinds.
extern const RunbookSpec kNetworkPartitionRunbook;
// FLEET_PEER_LOSS and LOW_PEERS.
extern const RunbookSpec kLowPeerCountRunbook;
// NODE_DOWN and QUORUM_AT_RISK.
extern const RunbookSpec kValidatorDownRunbook;
// CONSENSUS_STUCK and FORK.
extern const RunbookSpec kConsensusStalledRunbook;

}  // namespace guts::collector
