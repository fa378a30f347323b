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

// The groups `cut` separates its component into (each sorted), found by a search that skips it.
std::vector<std::vector<int>> GroupsAround(const PeerGraph& graph, int cut);

}  // namespace guts::collector
