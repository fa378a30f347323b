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
#include "collector/analysis/peer_graph.h"

namespace guts::collector {

// A node's lag samples within lag_window, oldest first, as a std::deque appended each tick and
// popped from the front would hold them, in one contiguous ring that UpdateNodes touches at one
// place a tick: the slot it writes. The deque's front and back lived in separately allocated
// blocks, a miss each per node and tick (most of UpdateNodes at 10 000 nodes). Samples that
// fell out of the window are dropped lazily: they stay in the ring until their slot is needed
// (the ring is full and the oldest sample is out of the new window) or until Trend() skips them.
// The ring grows when a full one holds only samples still inside the window, so no window
// length (lag_window over the tick) is capped.
class LagWindow {
 public:
  // What the lag trend reads: how many samples are in the window, the oldest (when, its lag)
  // and the largest lag. Empty: samples == 0, the rest zero.
  struct Trend {
    size_t samples = 0;
    absl::Time oldest_at;
    uint64_t oldest = 0;
    uint64_t largest = 0;
  };

  // Appends `lag` at `now`, after dropping every sample when the newest is more than `gap`
  // older than `now` (a gap in the samples starts the trend afresh), then drops the samples
  // more than `window` older than `now`, from the oldest on, as the deque's pop_front loop did.
  void Add(absl::Time now, uint64_t lag, absl::Duration window, absl::Duration gap);
  Trend Summary() const;
  // Where the next Add writes (to prefetch; in a full ring, its oldest sample's slot, which it
  // reads first), or nullptr before the ring has one.
  const void* NextSlot() const {
    return slots_.empty() ? nullptr : &slots_[(start_ + count_) % slots_.size()];
  }

 private:
  struct Sample {
    absl::Time at;
    uint64_t lag = 0;
  };
  // Index of the ring's k-th sample, oldest first.
  size_t At(size_t k) const { return (start_ + k) % slots_.size(); }
  // Drops the samples the last Add's window left out, so the ring holds the window exactly.
  void Settle();
  // Appends at the ring's end, growing it when full.
  void Push(absl::Time now, uint64_t lag);

  std::vector<Sample> slots_;  // the ring; its size is the capacity
  uint32_t start_ = 0;         // the oldest sample kept
  uint32_t count_ = 0;         // samples kept, those out of the window included
  // The last Add's time (the newest sample's) and window: a kept sample more than window_ older
  // than last_, with only such samples before it, is out of the window.
  absl::Time last_ = absl::InfinitePast();
  absl::Duration window_ = absl::ZeroDuration();
};

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
