// FORK: two different block ids finalized at one height, each reported within the fork window.
// Names both groups (the nodes that reported each id) and the height.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// Two chains that each finalize are the cause; the cut between their groups is how it
// happened, not a second incident.
constexpr std::string_view kForkAbsorbs[] = {
    "PARTITION_NO_QUORUM", "PARTITION",        "PARTIAL_PARTITION", "CONSENSUS_STUCK",
    "NODE_LAGGING",        "NODE_NOT_SYNCING", "LOW_PEERS",         "FLEET_PEER_LOSS"};
constexpr IncidentKindSpec kFork{.name = "FORK",
                                 .wire_kind = v1::FORK,
                                 .severity = v1::P1,
                                 .runbook = &kConsensusStalledRunbook,
                                 .absorbs = kForkAbsorbs,
                                 .fold_rank = 10,
                                 .kept_under_maintenance = true,
                                 // Two finalized ids at one height are no transient; and a
                                 // fork between cut groups must open no later than the
                                 // partition it absorbs (one tick, partition_detector.cc).
                                 .enter_ticks = 1,
                                 .first_command = "fleet status"};
constexpr const IncidentKindSpec* kKinds[] = {&kFork};
// Two block ids at one height, each seen within this window.
constexpr DetectorWindow kForkWindow{.name = "fork_window", .default_value = absl::Seconds(10)};
constexpr const DetectorWindow* kOwnWindows[] = {&kForkWindow};

struct BlockSighting {
  std::string block_id;
  absl::Time last_seen;
  absl::flat_hash_set<uint32_t> nodes;  // stable node numbers
};

// The block ids reported at each height within the fork window.
class BlockSightings final : public DetectorState {
 public:
  const absl::flat_hash_map<uint64_t, std::vector<BlockSighting>>& by_height() const {
    return blocks_;
  }

  void Update(const DetectorInput& in) override {
    const FleetModel& model = in.model;
    for (const NodeFacts& f : model.nodes) {
      if (!f.reporting || f.block_id.empty() || f.block_height == 0) continue;
      std::vector<BlockSighting>& seen = blocks_[f.block_height];
      auto it = std::find_if(seen.begin(), seen.end(),
                             [&](const BlockSighting& s) { return s.block_id == f.block_id; });
      if (it == seen.end()) {
        seen.push_back({std::string(f.block_id), model.now, {}});
        it = seen.end() - 1;
        it->nodes.reserve(model.nodes.size());
      }
      it->last_seen = model.now;
      it->nodes.insert(f.number);
    }
    const absl::Duration window = WindowOf(in.config, kForkWindow);
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      std::vector<BlockSighting>& seen = it->second;
      seen.erase(
          std::remove_if(seen.begin(), seen.end(),
                         [&](const BlockSighting& s) { return model.now - s.last_seen > window; }),
          seen.end());
      if (seen.empty()) {
        blocks_.erase(it++);
      } else {
        ++it;
      }
    }
  }

 private:
  absl::flat_hash_map<uint64_t, std::vector<BlockSighting>> blocks_;  // height -> ids seen
};

void DetectForks(const DetectorInput& in, std::vector<Verdict>& out) {
  const AnalysisHistory& h = in.history;
  const absl::Duration window = WindowOf(in.config, kForkWindow);
  uint64_t fork_height = 0;
  const std::vector<BlockSighting>* at = nullptr;
  for (const auto& [height, seen] : StateOf<BlockSightings>(in).by_height()) {
    int fresh = 0;
    for (const BlockSighting& s : seen) fresh += in.model.now - s.last_seen <= window;
    if (fresh >= 2 && (at == nullptr || height < fork_height)) {
      fork_height = height;
      at = &seen;
    }
  }
  if (at == nullptr) return;
  Verdict v = MakeVerdict(kFork);
  v.height = fork_height;
  std::vector<std::string> all;
  std::vector<std::string> ids;
  for (const BlockSighting& s : *at) {
    v1::NodeGroup* group = &v.groups.emplace_back();
    std::vector<std::string> names;
    for (uint32_t number : s.nodes) names.push_back(h.names[number]);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      group->add_nodes(name);
      all.push_back(name);
      int node = in.model.Find(name);
      if (node >= 0) group->set_weight(group->weight() + in.model.nodes[node].weight);
    }
    group->set_height(fork_height);
    v.evidence[absl::StrCat("block ", s.block_id)] = GroupText(*group);
    ids.push_back(s.block_id);
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  v.nodes = std::move(all);
  v.summary = absl::StrCat("fork at height ", fork_height, ": ", ids.size(),
                           " different block ids finalized");
  v.evidence["height"] = absl::StrCat(fork_height);
  out.push_back(std::move(v));
}

}  // namespace

extern const Detector kForkDetector;
const Detector kForkDetector{.name = "fork",
                             .run = DetectForks,
                             .kinds = kKinds,
                             .own_windows = kOwnWindows,
                             .make_state = MakeState<BlockSightings>};

}  // namespace guts::collector
