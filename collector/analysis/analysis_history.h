// AnalysisHistory: the little the analyzer remembers between ticks, so that detectors can see
// trends (lag growing, links flapping, the fleet height not moving) while staying pure
// functions of (view, history, config). Only the Analyzer updates it, after the detectors ran.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/fleet_model.h"
#include "collector/analysis/peer_graph.h"

namespace guts::collector {

struct NodeHistory {
  bool known = false;                               // the node has reported at least once
  std::deque<std::pair<absl::Time, uint64_t>> lag;  // within lag_window, oldest first
  uint64_t height = 0;
  absl::Time height_changed = absl::InfinitePast();
  uint32_t peers_baseline = 0;
  absl::Time peers_baseline_at = absl::InfinitePast();
  uint64_t corruption_lines = 0;
  absl::Time corruption_grew = absl::InfinitePast();
  // Until when a change of the node's links is the node itself coming and going, not a flap:
  // the flap window after it was down or restarted, a short settle after it was silent for
  // about as long as its peers take to drop it.
  absl::Time unsettled_until = absl::InfinitePast();
  // The restart evidence last seen: /health uptime (while reachable), the agent's count of node
  // process changes, and when the agent's stream last connected or dropped.
  uint64_t uptime_seconds = 0;
  uint32_t node_restarts = 0;
  absl::Time connection_changed = absl::InfinitePast();
};

// Only links that changed state within the flap window are kept; a steady link costs nothing.
// Transitions while an endpoint is unsettled (NodeHistory::unsettled_until) are not kept: a
// link flaps when it goes up and down while both its nodes stay up.
struct LinkHistory {
  bool up = false;
  int64_t changed_tick = -1;           // last tick a transition was recorded (one per tick)
  std::deque<absl::Time> transitions;  // within flap_window
};

struct BlockSighting {
  std::string block_id;
  absl::Time last_seen;
  absl::flat_hash_set<uint32_t> nodes;  // stable node numbers
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
  // By stable number; Node() is the lookup.
  std::vector<NodeHistory> nodes;
  // What the fleet model keeps between ticks (arrival windows, the address book).
  ModelMemory model_memory;
  absl::flat_hash_map<uint64_t, LinkHistory> links;  // key: lower number << 32 | higher
  // Per stable node number: the numbers it heard at its last report (sorted). Links change
  // state when these change, so a tick compares lists instead of visiting every link.
  std::vector<std::vector<uint32_t>> heard;
  std::vector<char> heard_known;
  absl::flat_hash_map<uint64_t, std::vector<BlockSighting>> blocks;  // height -> ids seen

  // The history of the node with stable number `number`, or nullptr before its first report.
  const NodeHistory* Node(uint32_t number) const {
    return number < nodes.size() && nodes[number].known ? &nodes[number] : nullptr;
  }

  static uint64_t LinkKey(uint32_t a, uint32_t b) {
    if (a > b) std::swap(a, b);
    return (uint64_t{a} << 32) | b;
  }
};

// Per-tick stable number of every node in `view` (view order), assigning new ones as needed.
std::vector<uint32_t> NumberNodes(const FleetView& view, AnalysisHistory& history);

// Folds this tick into `history`. `numbers` comes from NumberNodes() for the same model.
void UpdateHistory(const FleetModel& model, const PeerGraph& graph,
                   const std::vector<uint32_t>& numbers, const AnalysisConfig& config,
                   AnalysisHistory& history);

}  // namespace guts::collector
