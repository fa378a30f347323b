// PeerGraph: the mutual-hearing graph of reporting nodes. Components are the groups that can
// talk; cut vertices are bridges whose loss splits a group; one-sided edges are one-way links.
// Built in O(nodes + edges) (iterative Tarjan), so a 10 000-node fleet fits in a tick.
#pragma once

#include <vector>

#include "collector/analysis/fleet_model.h"

namespace guts::collector {

struct PeerGraph {
  // Mutual adjacency among reporting nodes with peer data (indices into model.nodes).
  std::vector<std::vector<int>> mutual;
  // Component id per node; -1 for nodes outside the graph (silent, no peer data).
  std::vector<int> component_of;
  // Members of each component, sorted by weight (descending), then first node id.
  std::vector<std::vector<int>> components;
  std::vector<uint64_t> component_weight;
  // Cut vertices, and mutual edges whose removal splits their component.
  std::vector<int> cut_vertices;
  std::vector<std::pair<int, int>> bridge_edges;
  // (from, to): `to` does not hear `from` while `from` hears `to`, proven: `from` received from
  // `to` at least model.one_way_margin after `to` last received from `from`, and `to`'s report
  // is current. Traffic went one way while the other was lost, at the same time; two snapshots
  // taken at different moments of one two-way change (a cut one end has not reported yet, a
  // late or replayed report) are neither a mutual edge nor a one-way link.
  std::vector<std::pair<int, int>> one_way;
  // The same shape, not proven: the two ends' snapshots were taken at different moments of one
  // change (a link cut both ways that one end has not reported yet, a node that died after its
  // last snapshot, a link healing). Not a link of the graph, not yet a one-way link: a split
  // that such a pair crosses waits for the next snapshots.
  std::vector<std::pair<int, int>> pending_one_way;
};

PeerGraph BuildPeerGraph(const FleetModel& model);

// The peer graph kept between ticks: a tick redoes the mutual edges and one-sided links only of
// the nodes whose `hears` changed (FleetModel::hears_changed) and of their peers, and the
// components, cut vertices and bridges only when a mutual edge or a weight changed. Whether a
// one-sided link is proven one-way reads its ages, so that is judged every tick (there are few).
// Most nodes hear the same peers from one tick to the next; asking every edge's far end
// whether it hears back (a cold list per edge) was a fifth of a 10 000-node tick.
// Owned by the analyzer; not thread-safe.
class PeerGraphMemory {
 public:
  // Equal to BuildPeerGraph(model). From scratch unless `model` is the successor of the model
  // of the last Build (FleetModel::build) with its `hears` tracked against it, and no node
  // entered or left the graph (a node's silence, recovery or peer source failing change the
  // links of every node that hears it). Valid until the next Build.
  const PeerGraph& Build(const FleetModel& model);
  // Whether the last Build redid only the changed nodes (for tests).
  bool last_incremental() const { return last_incremental_; }

 private:
  void Remember(const FleetModel& model);

  PeerGraph graph_;
  uint64_t build_ = 0;            // FleetModel::build of graph_'s model; 0: none
  std::vector<char> in_graph_;    // by index, in graph_'s model
  std::vector<uint64_t> weight_;  // by index
  // (u, v) with u hearing v, both in the graph, v not hearing u: sorted, the union of the
  // graph's one_way and pending_one_way.
  std::vector<std::pair<int, int>> one_sided_;
  std::vector<char> affected_;  // scratch, by index
  bool last_incremental_ = false;
};

// The groups `cut` separates its component into (each sorted), found by a search that skips it.
std::vector<std::vector<int>> GroupsAround(const PeerGraph& graph, int cut);

}  // namespace guts::collector
