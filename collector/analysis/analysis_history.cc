#include "collector/analysis/analysis_history.h"

#include <algorithm>

namespace guts::collector {

std::vector<uint32_t> NumberNodes(const FleetModel& model, AnalysisHistory& history) {
  std::vector<uint32_t> numbers(model.nodes.size());
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const std::string& id = *model.nodes[i].id;
    auto [it, inserted] = history.numbers.emplace(id, history.names.size());
    if (inserted) history.names.push_back(id);
    numbers[i] = it->second;
  }
  return numbers;
}

bool LinkUp(const FleetModel& model, int u, int v) {
  return model.Hears(u, v) || model.Hears(v, u);
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

void UpdateNodes(const FleetModel& model, const AnalysisConfig& config, AnalysisHistory& h) {
  for (const NodeFacts& f : model.nodes) {
    if (!f.reporting) continue;
    NodeHistory& nh = h.nodes[*f.id];
    if (f.height != nh.height || nh.height_changed == absl::InfinitePast()) {
      nh.height = f.height;
      nh.height_changed = model.now;
    }
    // A gap in the samples (the node was down or silent) starts the trend afresh, so a node
    // coming back far behind is judged by how its lag moves from then on.
    if (!nh.lag.empty() && model.now - nh.lag.back().first > 3 * f.interval) nh.lag.clear();
    uint64_t lag = model.quorum_height > f.height ? model.quorum_height - f.height : 0;
    nh.lag.emplace_back(model.now, lag);
    while (!nh.lag.empty() && model.now - nh.lag.front().first > config.lag_window) {
      nh.lag.pop_front();
    }
    if (f.has_peer_data) {
      uint32_t heard = static_cast<uint32_t>(f.hears.size());
      if (heard >= nh.peers_baseline ||
          model.now - nh.peers_baseline_at > config.peer_baseline_window) {
        nh.peers_baseline = heard;
        nh.peers_baseline_at = model.now;
      }
    }
    uint64_t corruption = f.observation->latest.log().corruption_lines();
    if (corruption > nh.corruption_lines) nh.corruption_grew = model.now;
    nh.corruption_lines = corruption;
  }
}

void UpdateLinks(const FleetModel& model, const std::vector<uint32_t>& numbers,
                 const AnalysisConfig& config, AnalysisHistory& h) {
  const int n = static_cast<int>(model.nodes.size());
  auto reporting = [&](int u) { return model.nodes[u].reporting && model.nodes[u].has_peer_data; };
  for (int u = 0; u < n; ++u) {
    if (!reporting(u)) continue;
    for (int v : model.nodes[u].sessions) {
      if (v < u && reporting(v) &&
          std::binary_search(model.nodes[v].sessions.begin(), model.nodes[v].sessions.end(), u)) {
        continue;  // visited from v's side already
      }
      if (!reporting(v)) continue;
      LinkHistory& link = h.links[AnalysisHistory::LinkKey(numbers[u], numbers[v])];
      link.seen_tick = h.tick;
      bool up = LinkUp(model, u, v);
      if (up != link.up) {
        link.up = up;
        link.transitions.push_back(model.now);
      }
    }
  }
  // Links that lost every session went down; links quiet for a whole window are forgotten.
  for (auto it = h.links.begin(); it != h.links.end();) {
    LinkHistory& link = it->second;
    while (!link.transitions.empty() && model.now - link.transitions.front() > config.flap_window) {
      link.transitions.pop_front();
    }
    if (link.up && link.seen_tick != h.tick) {
      uint32_t a = static_cast<uint32_t>(it->first >> 32), b = static_cast<uint32_t>(it->first);
      auto ia = model.index.find(h.names[a]);
      auto ib = model.index.find(h.names[b]);
      if (ia != model.index.end() && ib != model.index.end() && reporting(ia->second) &&
          reporting(ib->second) && !LinkUp(model, ia->second, ib->second)) {
        link.up = false;
        link.transitions.push_back(model.now);
      }
    }
    if (!link.up && link.transitions.empty()) {
      h.links.erase(it++);
    } else {
      ++it;
    }
  }
}

void UpdateBlocks(const FleetModel& model, const std::vector<uint32_t>& numbers,
                  const AnalysisConfig& config, AnalysisHistory& h) {
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const NodeFacts& f = model.nodes[i];
    if (!f.reporting || f.block_id.empty() || f.height == 0) continue;
    std::vector<BlockSighting>& seen = h.blocks[f.height];
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const BlockSighting& s) { return s.block_id == f.block_id; });
    if (it == seen.end()) {
      seen.push_back({f.block_id, model.now, {}});
      it = seen.end() - 1;
    }
    it->last_seen = model.now;
    it->nodes.insert(numbers[i]);
  }
  for (auto it = h.blocks.begin(); it != h.blocks.end();) {
    std::vector<BlockSighting>& seen = it->second;
    seen.erase(std::remove_if(seen.begin(), seen.end(),
                              [&](const BlockSighting& s) {
                                return model.now - s.last_seen > config.fork_window;
                              }),
               seen.end());
    if (seen.empty()) {
      h.blocks.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace

void UpdateHistory(const FleetModel& model, const PeerGraph&, const std::vector<uint32_t>& numbers,
                   const AnalysisConfig& config, AnalysisHistory& history) {
  ++history.tick;
  UpdateProgress(model, history);
  UpdateNodes(model, config, history);
  UpdateLinks(model, numbers, config, history);
  UpdateBlocks(model, numbers, config, history);
}

}  // namespace guts::collector
