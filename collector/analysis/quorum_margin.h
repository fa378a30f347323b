// QuorumMargin: how much validator weight the chain can still lose before it halts. Validators
// that are down, isolated from their peers, on another side than the heaviest group of a split,
// or unheard by every peer count as lost: their votes do not reach the others. A validator silent
// to the collector alone (its peers still hear it) still votes and counts as up. A validator
// without an agent counts as up while an observed node hears it, as lost when none does. The quorum
// weight is the model's (FleetModel::quorum_weight), whichever rule made it.
//
// Example:
//   QuorumMargin m = ComputeQuorumMargin(model, graph);
//   if (m.one_loss_halts) ... "losing v4 (300) halts the chain"
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/analysis/fleet_model.h"
#include "collector/analysis/peer_graph.h"

namespace guts::collector {

struct QuorumMargin {
  uint64_t up_weight = 0;
  uint64_t total_weight = 0;
  uint64_t quorum_weight = 0;
  // up_weight - quorum_weight; negative when the up validators cannot finalize.
  int64_t margin = 0;
  // The heaviest validator still counted as up (first by name among equals), and its weight.
  std::string heaviest;
  uint64_t heaviest_weight = 0;
  // The chain finalizes now, and losing `heaviest` would halt it.
  bool one_loss_halts = false;
  // Validators counted as lost, by name.
  std::vector<std::string> lost;
};

QuorumMargin ComputeQuorumMargin(const FleetModel& model, const PeerGraph& graph);

// "up 600 of 600, quorum 400, margin 200: losing v4 (300) halts the chain".
std::string QuorumMarginText(const QuorumMargin& m);

}  // namespace guts::collector
