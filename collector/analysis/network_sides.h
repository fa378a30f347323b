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
#include "collector/analysis/verdict.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

struct NetworkSide {
  std::vector<int> nodes;       // into model.nodes
  std::vector<int> unobserved;  // into model.unobserved
  uint64_t weight = 0;
  bool unheard = false;
  size_t size() const { return nodes.size() + unobserved.size(); }
};

// How many sides, heaviest first, a split's evidence and summary describe one by one (its
// groups still name every side). A fleet-wide cut leaves every node on a side of its own: at
// 10 000 nodes a line per side made each copy of the incident 2 MB heavier and its evidence
// 10 000 lines long, where the reader needs the largest sides and how many there are.
inline constexpr size_t kSidesDescribed = 8;

// Whether side `c` of `sides` is described: one of the first kSidesDescribed, or the unheard
// side wherever it falls (what it is needs saying).
inline bool SideDescribed(const std::vector<NetworkSide>& sides, size_t c) {
  return c < kSidesDescribed || sides[c].unheard;
}

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

// The sides' members as a MembersKey (first_named 0): the model's index epoch, each side's
// members by index and its agentless validators by name. Equal keys (of a model with an epoch)
// name the same members, side by side, in the same order.
MembersKey SidesKey(const FleetModel& model, const std::vector<NetworkSide>& sides);

// The names made for a tick's sides, kept from one tick to the next (AnalysisHistory::
// named_sides): while the sides stand (the same key, the same weights), a split of 10 000 nodes
// copies its names from here instead of making them again every tick (SideMemberNames and
// SideGroup read every member's id, scattered over the model). Only the analyzer writes it, after
// the detectors ran (Analyzer::Tick's BuildTopology); the partition detector reads it.
struct NamedSides {
  MembersKey key;  // index_epoch 0: nothing kept
  std::vector<uint64_t> weights;
  // SideGroup of each side, and its GroupText (empty for a side not described: past the first
  // kSidesDescribed and not the unheard side). Each tick's height and has_quorum are set again
  // (RefreshSideGroup); the names and the weight are the key's.
  std::vector<guts::diag::v1::NodeGroup> groups;
  std::vector<std::string> group_texts;
  // The split verdict's `nodes` (SideMemberNames of sides[first_named...]), their indices and
  // sides, and their FewNamesText (verdict_parts.h); first_named -1: none kept.
  int first_named = -1;
  std::vector<std::string> nodes;
  std::vector<int> node_indices;
  std::vector<int> node_groups;
  std::string nodes_text;

  // Whether the groups kept are those of `sides`, whose key is `key`.
  bool Holds(const MembersKey& key, const std::vector<NetworkSide>& sides) const;
  // Keeps `groups` (SideGroup of each of `sides`, whose key is `key`), forgetting the rest.
  void KeepGroups(MembersKey key, const std::vector<NetworkSide>& sides,
                  std::vector<guts::diag::v1::NodeGroup> groups);
};

// A kept SideGroup of `side` brought to this tick: its height and whether it holds the quorum.
void RefreshSideGroup(const FleetModel& model, const NetworkSide& side,
                      guts::diag::v1::NodeGroup& group);

}  // namespace guts::collector
