#include "collector/analysis/validator_set.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "collector/analysis/quorum.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

std::string_view ValidatorSourceName(ValidatorSource source) {
  switch (source) {
    case ValidatorSource::kNodeApi:
      return "node API";
    case ValidatorSource::kParticipants:
      return "participants";
    case ValidatorSource::kOperatorFile:
      return "operator file";
    case ValidatorSource::kAgents:
      break;
  }
  return "agents";
}

std::string UnnamedValidator(std::string_view public_key, std::string_view addr) {
  if (!addr.empty()) return std::string(addr);
  return std::string(public_key.substr(0, 12));
}

namespace {

// Finds the node beside a validator: by name (the agent's node id), public key, P2P address.
class NodeIndex {
 public:
  NodeIndex(const FleetView& view, const std::vector<const SnapshotFigures*>& figures) {
    for (size_t i = 0; i < view.nodes.size(); ++i) {
      const NodeObservation& obs = view.nodes[i];
      const int node = static_cast<int>(i);
      by_name_.emplace(obs.node_id, node);
      if (!HelloOf(obs).p2p_addr().empty()) by_addr_.emplace(HelloOf(obs).p2p_addr(), node);
      if (figures[i] == nullptr) continue;
      if (!figures[i]->public_key.empty()) {
        by_key_.emplace(absl::AsciiStrToLower(figures[i]->public_key), node);
      }
      const std::string& listen = LatestOf(obs).config().p2p_listen_addr();
      if (!listen.empty()) by_addr_.emplace(listen, node);
    }
  }

  int Find(const ValidatorEntry& v) const {
    if (auto it = by_name_.find(v.name); !v.name.empty() && it != by_name_.end()) {
      return it->second;
    }
    if (!v.public_key.empty()) {
      auto it = by_key_.find(absl::AsciiStrToLower(v.public_key));
      if (it != by_key_.end()) return it->second;
    }
    if (auto it = by_addr_.find(v.addr); !v.addr.empty() && it != by_addr_.end()) {
      return it->second;
    }
    return -1;
  }

 private:
  absl::flat_hash_map<std::string, int> by_name_;
  absl::flat_hash_map<std::string, int> by_key_;
  absl::flat_hash_map<std::string, int> by_addr_;
};

// The participant set most nodes report (ties: the larger set, then the first node's), as the
// index of a node reporting it; -1 when no node reports participants.
int MostReportedParticipants(const std::vector<const SnapshotFigures*>& figures) {
  std::map<uint64_t, std::tuple<int, int, int>> sets;  // hash -> (nodes, size, first node)
  for (size_t i = 0; i < figures.size(); ++i) {
    const SnapshotFigures* f = figures[i];
    if (f == nullptr || f->participants == 0) continue;
    auto [it, fresh] = sets.emplace(f->participants_hash,
                                    std::make_tuple(0, f->participants, static_cast<int>(i)));
    ++std::get<0>(it->second);
  }
  int best = -1;
  std::tuple<int, int> best_rank{0, 0};
  for (const auto& [hash, set] : sets) {
    std::tuple<int, int> rank{std::get<0>(set), std::get<1>(set)};
    if (best < 0 || rank > best_rank) {
      best = std::get<2>(set);
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace

ValidatorSet ResolveValidatorSet(const FleetView& view,
                                 const std::vector<const SnapshotFigures*>& figures,
                                 const std::vector<ValidatorEntry>& operator_file) {
  ValidatorSet set;
  const v1::ValidatorSet* api = nullptr;
  uint64_t api_epoch = 0;
  for (const SnapshotFigures* f : figures) {
    if (f != nullptr && f->mode == v1::CONSENSUS_MODE_SIMPLEX) {
      set.mode = v1::CONSENSUS_MODE_SIMPLEX;
    }
  }
  for (size_t i = 0; i < figures.size(); ++i) {
    const SnapshotFigures* f = figures[i];
    if (f == nullptr || f->validators == 0) continue;
    if (api == nullptr || f->validators_epoch > api_epoch) {
      api = &LatestOf(view.nodes[i]).validators();
      api_epoch = f->validators_epoch;
    }
  }
  const int participants_node =
      set.mode == v1::CONSENSUS_MODE_SIMPLEX ? MostReportedParticipants(figures) : -1;
  if (!operator_file.empty()) {
    set.source = ValidatorSource::kOperatorFile;
    set.validators = operator_file;
  } else if (participants_node >= 0) {
    set.source = ValidatorSource::kParticipants;
    for (const v1::Participant& p :
         LatestOf(view.nodes[participants_node]).config().participants()) {
      if (p.public_key().empty()) continue;
      ValidatorEntry& v = set.validators.emplace_back();
      v.public_key = absl::AsciiStrToLower(p.public_key());
      v.addr = p.addr();
    }
  } else if (api != nullptr) {
    set.source = ValidatorSource::kNodeApi;
    set.validators.reserve(api->validators_size());
    for (const v1::Validator& val : api->validators()) {
      ValidatorEntry& v = set.validators.emplace_back();
      v.name = val.name();
      v.public_key = val.pubkey();
      v.addr = val.addr();
      v.weight = val.weight();
    }
  }
  if (set.source == ValidatorSource::kAgents) {
    for (const NodeObservation& obs : view.nodes) {
      set.total_weight += HelloOf(obs).role() != "observer" ? 1 : 0;
    }
    set.quorum_weight = QuorumWeight(set.mode, set.total_weight);
    return set;
  }
  NodeIndex index(view, figures);
  set.nodes.reserve(set.validators.size());
  for (ValidatorEntry& v : set.validators) {
    const int node = index.Find(v);
    set.nodes.push_back(node);
    if (v.name.empty()) {
      v.name = node >= 0 ? view.nodes[node].node_id : UnnamedValidator(v.public_key, v.addr);
    }
    if (set.mode == v1::CONSENSUS_MODE_SIMPLEX) v.weight = 1;
    set.total_weight += v.weight;
  }
  set.quorum_weight = set.source == ValidatorSource::kNodeApi && api->quorum_weight() > 0
                          ? api->quorum_weight()
                          : QuorumWeight(set.mode, set.total_weight);
  return set;
}

}  // namespace guts::collector
