#include "collector/analysis/analysis_history.h"

#include <algorithm>
#include <iterator>

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

std::vector<uint32_t> NumberNodes(const FleetView& view, AnalysisHistory& history) {
  // The fleet state's nodes and their order as the last tick saw them: no id is read (comparing
  // every node's id with its last name fetched two cold strings a node).
  if (view.identity_generation != 0 &&
      view.identity_generation == history.last_identity_generation &&
      history.last_numbers.size() == view.nodes.size()) {
    return history.last_numbers;
  }
  std::vector<uint32_t> numbers(view.nodes.size());
  const std::vector<uint32_t>& last = history.last_numbers;
  // Each id heads an observation far from the last (the tick's first pass over the view): a
  // demand miss per node unless asked for ahead. Short ids live in that line.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    if (i + kAhead < view.nodes.size()) __builtin_prefetch(&view.nodes[i + kAhead].node_id);
    const std::string& id = view.nodes[i].node_id;
    if (i < last.size() && history.names[last[i]] == id) {
      numbers[i] = last[i];
      continue;
    }
    auto [it, inserted] = history.numbers.emplace(id, history.names.size());
    if (inserted) history.names.push_back(id);
    numbers[i] = it->second;
  }
  history.last_numbers = numbers;
  history.last_identity_generation = view.identity_generation;
  return numbers;
}

namespace {

void UpdateProgress(const FleetModel& model, AnalysisHistory& h) {
  if (!h.started) {
    h.started = true;
    h.first_tick = model.now;
    h.progress_at = model.now;
    h.progress_height = model.max_height;
    h.view_at_progress = model.max_view;
    return;
  }
  if (model.max_height > h.progress_height) {
    h.progress_height = model.max_height;
    h.progress_at = model.now;
    h.view_at_progress = model.max_view;
  }
}

void UpdateSplit(const FleetModel& model, const PeerGraph& graph, AnalysisHistory& h) {
  if (graph.components.size() > 1) h.last_split_at = model.now;
}

// Marks the node unsettled while it is down or long silent and for a while after, or after
// evidence that it restarted even though no snapshot caught it down (uptime went back, the agent
// saw a new node process, the agent reconnected).
void NoteLiveness(const NodeFacts& f, const FleetModel& model, const AnalysisConfig& config,
                  NodeHistory& nh) {
  // The figures and the observation's connection, as the model build copied them into the
  // facts (their own lines are cold by now).
  bool restarted = f.process_down ||
                   (nh.known && f.api_reachable && f.uptime_seconds < nh.uptime_seconds) ||
                   (nh.known && f.node_restarts > nh.node_restarts) ||
                   (f.connected && nh.connection_changed != absl::InfinitePast() &&
                    f.connection_changed != nh.connection_changed);
  if (f.api_reachable) nh.uptime_seconds = f.uptime_seconds;
  nh.node_restarts = f.node_restarts;
  nh.connection_changed = f.connection_changed;
  if (restarted) {
    nh.unsettled_until = std::max(nh.unsettled_until, model.now + config.flap_window);
  } else if (f.silent && f.silence >= (f.heard_by == 0 ? config.peer_heard_within - f.interval
                                                       : 2 * config.peer_heard_within)) {
    // After a long silence the node's list and its peers' can disagree for a while: a peer's
    // session ages past peer_heard_within, and their snapshots arrive an interval or two apart.
    // A shorter silence is an agent running late (a stalled process, a busy host): its peers
    // still hear the node, and a link changing around it is a real change. While its peers
    // hear it the node is only late, for twice the window (agents 2-3 intervals late under
    // load are not a node coming back).
    nh.unsettled_until =
        std::max(nh.unsettled_until, model.now + config.peer_heard_within + 2 * f.interval);
  }
}

void UpdateNodes(const FleetModel& model, const AnalysisConfig& config, AnalysisHistory& h) {
  // Each node's history is cold by now: ask for that of a node a few places ahead. The facts
  // (all that is read of the node itself) come in order, which the hardware fetches ahead.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const NodeFacts& f = model.nodes[i];
    if (i + kAhead < model.nodes.size() && model.nodes[i + kAhead].has_snapshot) {
      const NodeFacts& ahead = model.nodes[i + kAhead];
      if (ahead.number < h.nodes.size()) {
        const char* nh = reinterpret_cast<const char*>(&h.nodes[ahead.number]);
        for (size_t at = 0; at < sizeof(NodeHistory); at += 64) __builtin_prefetch(nh + at);
      }
    }
    // The lag ring's slot written below, reached from the history asked for above (a miss
    // otherwise).
    if (i + kAhead / 2 < model.nodes.size() && model.nodes[i + kAhead / 2].has_snapshot &&
        model.nodes[i + kAhead / 2].number < h.nodes.size()) {
      const void* slot = h.nodes[model.nodes[i + kAhead / 2].number].lag.NextSlot();
      if (slot != nullptr) __builtin_prefetch(slot, 1);
    }
    if (!f.has_snapshot) continue;
    if (h.nodes.size() <= f.number) h.nodes.resize(h.names.size());
    NodeHistory& nh = h.nodes[f.number];
    NoteLiveness(f, model, config, nh);
    if (!f.reporting) continue;
    nh.known = true;
    // A snapshot without a height (its API read failed) says nothing about the node's height
    // or its lag: read as 0 it was a lag of the whole chain (most likely S01's soak's one-tick
    // NODE_LAGGING of v7, "lag 535 blocks" about 535 s into the run).
    if (f.height_known) {
      if (f.height != nh.height || nh.height_changed == absl::InfinitePast()) {
        nh.height = f.height;
        nh.height_changed = model.now;
      }
      // A gap in the samples (the node was down or silent) starts the trend afresh, so a node
      // coming back far behind is judged by how its lag moves from then on.
      uint64_t lag = model.quorum_height > f.height ? model.quorum_height - f.height : 0;
      nh.lag.Add(model.now, lag, config.lag_window, 3 * f.interval);
    }
    if (f.has_peer_data) {
      uint32_t heard = static_cast<uint32_t>(f.hears.size());
      if (heard >= nh.peers_baseline ||
          model.now - nh.peers_baseline_at > config.peer_baseline_window) {
        nh.peers_baseline = heard;
        nh.peers_baseline_at = model.now;
      }
    }
    uint64_t corruption = f.corruption_lines;
    if (corruption > nh.corruption_lines) nh.corruption_grew = model.now;
    nh.corruption_lines = corruption;
  }
}

}  // namespace

void UpdateHistory(const FleetModel& model, const PeerGraph& graph, const AnalysisConfig& config,
                   AnalysisHistory& history) {
  ++history.tick;
  UpdateProgress(model, history);
  UpdateSplit(model, graph, history);
  UpdateNodes(model, config, history);
}

}  // namespace guts::collector
