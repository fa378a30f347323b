#include "collector/analysis/fleet_model.h"

#include <algorithm>
#include <cmath>

#include "collector/analysis/liveness.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

std::string_view HostOf(std::string_view addr) {
  if (!addr.empty() && addr.front() == '[') {
    size_t close = addr.find(']');
    return close == std::string_view::npos ? addr : addr.substr(1, close - 1);
  }
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos || addr.find(':') != colon) return addr;
  return addr.substr(0, colon);
}

bool FleetModel::Hears(int u, int v) const {
  const std::vector<int>& h = nodes[u].hears;
  return std::binary_search(h.begin(), h.end(), v);
}

namespace {

// Maps P2P addresses to node indices: exact "ip:port" for outbound sessions (the peer's listening
// port), ip alone for inbound ones (ephemeral remote port). An ip shared by several nodes is
// ambiguous (-2) and resolves only through the exact address.
struct PeerIdentity {
  absl::flat_hash_map<std::string, int> by_addr;
  absl::flat_hash_map<std::string, int> by_host;

  void Add(std::string_view addr, int node) {
    if (addr.empty()) return;
    by_addr.emplace(std::string(addr), node);
    auto [it, inserted] = by_host.emplace(std::string(HostOf(addr)), node);
    if (!inserted && it->second != node) it->second = -2;
  }

  int Resolve(const v1::PeerView& peer) const {
    const std::string& remote = peer.remote_addr();
    if (peer.direction() != v1::PEER_DIRECTION_INBOUND) {
      auto it = by_addr.find(remote);
      if (it != by_addr.end()) return it->second;
    }
    std::string_view host = HostOf(remote);
    auto it = by_host.find(absl::string_view(host.data(), host.size()));
    return it == by_host.end() || it->second < 0 ? -1 : it->second;
  }
};

bool PeerSourceFailed(const v1::Snapshot& s) {
  for (const v1::SourceError& e : s.source_errors()) {
    if (e.source() == "p2p_sockets") return true;
  }
  return false;
}

void SortUnique(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

FleetModel BuildFleetModel(const FleetView& view, const AnalysisConfig& config) {
  FleetModel model;
  model.now = view.now;
  const int n = static_cast<int>(view.nodes.size());
  model.nodes.resize(n);
  model.index.reserve(n);
  PeerIdentity identity;
  for (int i = 0; i < n; ++i) {
    const NodeObservation& obs = view.nodes[i];
    NodeFacts& f = model.nodes[i];
    f.observation = &obs;
    f.id = &obs.node_id;
    model.index.emplace(obs.node_id, i);
    identity.Add(obs.hello.p2p_addr(), i);
  }

  // The validator list of the newest epoch any node reports gives weights and the quorum.
  const v1::ValidatorSet* validators = nullptr;
  for (const NodeObservation& obs : view.nodes) {
    if (!obs.has_latest || obs.latest.validators().validators_size() == 0) continue;
    if (validators == nullptr || obs.latest.validators().epoch() > validators->epoch()) {
      validators = &obs.latest.validators();
    }
  }
  if (validators != nullptr) {
    for (const v1::Validator& val : validators->validators()) {
      auto it = model.index.find(val.name());
      int node = it != model.index.end() ? it->second : -1;
      if (node < 0 && !val.addr().empty()) {
        auto a = identity.by_addr.find(val.addr());
        if (a != identity.by_addr.end()) node = a->second;
      }
      if (node < 0) {
        // A validator without an agent still counts towards the total weight.
        model.total_weight += val.weight();
        continue;
      }
      identity.Add(val.addr(), node);
      model.nodes[node].validator = true;
      model.nodes[node].weight = val.weight();
      model.total_weight += val.weight();
    }
  } else {
    for (NodeFacts& f : model.nodes) {
      f.validator = f.observation->hello.role() != "observer";
      f.weight = f.validator ? 1 : 0;
      model.total_weight += f.weight;
    }
  }
  model.quorum_weight = validators != nullptr && validators->quorum_weight() > 0
                            ? validators->quorum_weight()
                            : (2 * model.total_weight + 2) / 3;

  std::vector<std::pair<int, uint32_t>> ages;  // reused across nodes
  for (int i = 0; i < n; ++i) {
    NodeFacts& f = model.nodes[i];
    const NodeObservation& obs = *f.observation;
    f.has_snapshot = obs.has_latest;
    if (!obs.has_latest) continue;
    f.interval = obs.latest.interval_ms() > 0 ? absl::Milliseconds(obs.latest.interval_ms())
                                              : config.default_interval;
    f.silence = view.now - obs.last_received;
    f.phi = ArrivalPhi(obs.samples, obs.last_received, view.now, f.interval);
    f.silent = f.phi >= config.phi_threshold;
    f.reporting = !f.silent;
    f.height = obs.latest.consensus().finalized_height();
    f.view = obs.latest.consensus().view();
    f.block_id = obs.latest.consensus().last_block_id();
    f.block_height = f.height;
    if (f.block_id.empty() && !obs.latest.log().finalized_block_id().empty()) {
      f.block_id = obs.latest.log().finalized_block_id();
      f.block_height = obs.latest.log().finalized_height();
    }
    f.has_peer_data = !PeerSourceFailed(obs.latest);
    ages.clear();
    for (const v1::PeerView& peer : obs.latest.peers()) {
      int other = identity.Resolve(peer);
      if (other < 0 || other == i) continue;
      ages.emplace_back(other, peer.last_data_recv_age_ms());
      if (absl::Milliseconds(peer.last_data_recv_age_ms()) <= config.peer_heard_within) {
        f.hears.push_back(other);
      }
    }
    std::sort(ages.begin(), ages.end());
    f.sessions.reserve(ages.size());
    f.session_age_ms.reserve(ages.size());
    for (const auto& [other, age] : ages) {
      if (!f.sessions.empty() && f.sessions.back() == other) continue;  // sorted: first is min
      f.sessions.push_back(other);
      f.session_age_ms.push_back(age);
    }
    SortUnique(f.hears);
    for (const v1::ProbeResult& probe : obs.latest.probes()) {
      if (!probe.reachable()) continue;
      auto it = identity.by_addr.find(probe.addr());
      if (it != identity.by_addr.end() && it->second >= 0) f.reachable.push_back(it->second);
    }
    SortUnique(f.reachable);
    f.process_down = f.reporting && !obs.latest.health().reachable() && f.hears.empty();
    if (f.reporting) {
      ++model.reporting;
      model.max_height = std::max(model.max_height, f.height);
      model.max_view = std::max(model.max_view, f.view);
    }
  }
  for (const NodeFacts& f : model.nodes) {
    if (!f.reporting || !f.has_peer_data) continue;
    for (int v : f.hears) ++model.nodes[v].heard_by;
  }

  // Quorum height: walk reporting validators from the highest height down until their weight
  // reaches the quorum.
  std::vector<std::pair<uint64_t, uint64_t>> by_height;
  for (const NodeFacts& f : model.nodes) {
    if (f.reporting && f.weight > 0) by_height.emplace_back(f.height, f.weight);
  }
  std::sort(by_height.begin(), by_height.end(), std::greater<>());
  uint64_t weight = 0;
  for (const auto& [height, w] : by_height) {
    weight += w;
    if (weight >= model.quorum_weight) {
      model.quorum_height = height;
      break;
    }
  }
  return model;
}

}  // namespace guts::collector
