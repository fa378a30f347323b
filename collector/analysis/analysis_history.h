// AnalysisHistory: the little the analyzer remembers between ticks, so that detectors can see
// trends (lag growing, the fleet height not moving, nodes restarting) while staying pure
// functions of (view, history, config). Only the Analyzer updates it, after the detectors ran.
// What only one detector reads is that detector's own state (DetectorState in detector.h:
// the flapping links' transitions, the fork detector's block sightings), not kept here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/fleet_model.h"
#include "collector/analysis/lag_window.h"
#include "collector/analysis/network_sides.h"
#include "collector/analysis/peer_graph.h"

namespace guts::collector {

// Read by UpdateNodes for every node each tick, so kept to three cache lines.
struct alignas(64) NodeHistory {
  bool known = false;  // the node has reported at least once
  uint32_t peers_baseline = 0;
  uint32_t node_restarts = 0;
  uint64_t height = 0;
  absl::Time height_changed = absl::InfinitePast();
  absl::Time peers_baseline_at = absl::InfinitePast();
  uint64_t corruption_lines = 0;
  absl::Time corruption_grew = absl::InfinitePast();
  // Until when a change of the node's links is the node itself coming and going, not a flap:
  // the flap window after it was down or restarted, a short settle after it was silent for
  // about as long as its peers take to drop it.
  absl::Time unsettled_until = absl::InfinitePast();
  // The restart evidence last seen: /health uptime (while reachable), the agent's count of node
  // process changes (node_restarts above), and when the agent's stream last connected or
  // dropped.
  uint64_t uptime_seconds = 0;
  absl::Time connection_changed = absl::InfinitePast();
  LagWindow lag;  // within lag_window, oldest first
};

struct AnalysisHistory {
  bool started = false;
  int64_t tick = 0;
  absl::Time first_tick;
  uint64_t progress_height = 0;
  absl::Time progress_at;
  uint64_t view_at_progress = 0;
  // Last tick the peer graph had more than one component (a full split, not a bridge).
  absl::Time last_split_at = absl::InfinitePast();
  // Node id -> stable number, so link keys survive nodes joining and leaving.
  absl::flat_hash_map<std::string, uint32_t> numbers;
  std::vector<std::string> names;  // number -> node id
  // The last tick's numbers in view order: a node at the same place as before needs no lookup.
  std::vector<uint32_t> last_numbers;
  // The last view's FleetView::identity_generation (0: not known): a view of the same one holds
  // the same nodes in the same order, and takes last_numbers as they are.
  uint64_t last_identity_generation = 0;
  // By stable number; Node() is the lookup.
  std::vector<NodeHistory> nodes;
  // What the fleet model keeps between ticks (arrival windows, the address book).
  ModelMemory model_memory;
  // The names made for the last sides seen (a split's, or the topology's components): reused
  // while the sides stand. Written by the analyzer's topology step, read by the partition detector.
  NamedSides named_sides;

  // The history of the node with stable number `number`, or nullptr before its first report.
  const NodeHistory* Node(uint32_t number) const {
    return number < nodes.size() && nodes[number].known ? &nodes[number] : nullptr;
  }
};

// Per-tick stable number of every node in `view` (view order), assigning new ones as needed.
std::vector<uint32_t> NumberNodes(const FleetView& view, AnalysisHistory& history);

// Folds this tick into `history` (the model's node numbers come from NumberNodes()).
void UpdateHistory(const FleetModel& model, const PeerGraph& graph, const AnalysisConfig& config,
                   AnalysisHistory& history);

}  // namespace guts::collector
