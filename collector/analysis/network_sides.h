// NetworkSides: the sides a network split leaves, for the partition detector and the topology.
// A side is a component of observed nodes with the unobserved validators its members hear, or
// (`unheard`) the unobserved validators no observed node hears: they may be together, apart or
// down, which nobody can tell without an agent. Pure functions; thread-safe.
//
// Example:
//   for (const NetworkSide& side : NetworkSides(model, graph))
//     groups.push_back(SideGroup(model, side));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/analysis/fleet_model.h"
#include "collector/analysis/peer_graph.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

struct NetworkSide {
  std::vector<int> nodes;       // into model.nodes
  std::vector<int> unobserved;  // into model.unobserved
  uint64_t weight = 0;
  bool unheard = false;
  size_t size() const { return nodes.size() + unobserved.size(); }
};

// The graph's components with the unobserved validators placed (each in the component most of
// its hearers are in), plus the unheard side; heaviest first.
std::vector<NetworkSide> NetworkSides(const FleetModel& model, const PeerGraph& graph);

// The side as a NodeGroup: its observed and unobserved members sorted, weight and quorum.
guts::diag::v1::NodeGroup SideGroup(const FleetModel& model, const NetworkSide& side);

// The members of `sides`, observed and unobserved, sorted by name. With `indices`, also each
// member's index into model.nodes (-1 when unobserved); with `side_of`, the position in `sides`
// of each member's side (both in the names' order).
std::vector<std::string> SideMemberNames(const FleetModel& model,
                                         const std::vector<const NetworkSide*>& sides,
                                         std::vector<int>* indices = nullptr,
                                         std::vector<int>* side_of = nullptr);

}  // namespace guts::collector
