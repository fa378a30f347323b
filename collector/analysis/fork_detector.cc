// FORK: two different block ids finalized at one height, each reported within the fork window.
// Names both groups (the nodes on each chain; see ChainsFrom) and the height.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  // Stable node numbers, sorted and distinct up to `sorted`; a tick appends its reporters and
  // BlockSightings::Update folds them in.
  std::vector<uint32_t> nodes;
  size_t sorted = 0;
};

// The block ids reported at each height within the fork window.
class BlockSightings final : public DetectorState {
 public:
  const absl::flat_hash_map<uint64_t, std::vector<BlockSighting>>& by_height() const {
    return blocks_;
  }

  void Update(const DetectorInput& in) override {
    const FleetModel& model = in.model;
    // Most nodes report the block the node before them in the view reported: the last
    // sighting is checked first, and only a node at another height looks its height up. (A
    // hash set of 10 000 numbers made afresh for each new height, and a lookup and an insert
    // per node, were most of this step.)
    uint64_t last_height = 0;
    std::vector<BlockSighting>* seen = nullptr;
    size_t at = 0;
    constexpr size_t kAhead = 8;  // each node's block id lives in its figures, cold by now
    const size_t n = model.nodes.size();
    for (size_t u = 0; u < n; ++u) {
      if (u + kAhead < n) __builtin_prefetch(model.nodes[u + kAhead].block_id.data());
      const NodeFacts& f = model.nodes[u];
      if (!f.reporting || f.block_id.empty() || f.block_height == 0) continue;
      if (seen == nullptr || f.block_height != last_height || (*seen)[at].block_id != f.block_id) {
        if (seen == nullptr || f.block_height != last_height) {
          seen = &blocks_[f.block_height];
          last_height = f.block_height;
        }
        auto it = std::find_if(seen->begin(), seen->end(),
                               [&](const BlockSighting& s) { return s.block_id == f.block_id; });
        if (it == seen->end()) {
          it = seen->insert(seen->end(), BlockSighting{std::string(f.block_id), model.now, {}, 0});
          it->nodes = TakeSpare();
          it->nodes.reserve(n);
        }
        at = static_cast<size_t>(it - seen->begin());
      }
      BlockSighting& s = (*seen)[at];
      s.last_seen = model.now;
      s.nodes.push_back(f.number);
    }
    for (auto& [height, sightings] : blocks_) {
      for (BlockSighting& s : sightings) Fold(s);
    }
    const absl::Duration window = WindowOf(in.config, kForkWindow);
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      std::vector<BlockSighting>& sightings = it->second;
      auto expired = [&](const BlockSighting& s) { return model.now - s.last_seen > window; };
      for (BlockSighting& s : sightings) {
        if (expired(s)) Keep(std::move(s.nodes));
      }
      sightings.erase(std::remove_if(sightings.begin(), sightings.end(), expired), sightings.end());
      if (sightings.empty()) {
        blocks_.erase(it++);
      } else {
        ++it;
      }
    }
  }

 private:
  // This tick's reporters (the tail after `sorted`) into the sighting's sorted, distinct list.
  // They come in view order, which is number order in a fleet numbered as it stands; a
  // sighting seen again (the chain slower than the ticks) is mostly the same nodes again.
  static void Fold(BlockSighting& s) {
    std::vector<uint32_t>& v = s.nodes;
    if (s.sorted == v.size()) return;
    const auto tail = v.begin() + static_cast<std::ptrdiff_t>(s.sorted);
    if (!std::is_sorted(tail, v.end())) std::sort(tail, v.end());
    if (s.sorted > 0 && *tail <= v[s.sorted - 1]) {
      if (static_cast<size_t>(v.end() - tail) == s.sorted && std::equal(tail, v.end(), v.begin())) {
        v.resize(s.sorted);
      } else {
        std::inplace_merge(v.begin(), tail, v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
      }
    }
    s.sorted = v.size();
  }

  // Expired sightings' lists are kept for the next heights (one list of the fleet's size per
  // new height each tick; allocated afresh, their pages were faulted in again).
  std::vector<uint32_t> TakeSpare() {
    if (spare_.empty()) return {};
    std::vector<uint32_t> v = std::move(spare_.back());
    spare_.pop_back();
    v.clear();
    return v;
  }
  void Keep(std::vector<uint32_t> v) {
    if (spare_.size() < kMaxSpare) spare_.push_back(std::move(v));
  }
  static constexpr size_t kMaxSpare = 4;

  absl::flat_hash_map<uint64_t, std::vector<BlockSighting>> blocks_;  // height -> ids seen
  std::vector<std::vector<uint32_t>> spare_;
};

// The nodes on each chain of the fork at `fork_height`: the nodes that reported each of its
// block ids there, and the nodes that reported no block at that height but, at a later one,
// the same block as nodes of exactly one chain. An agent samples its node's height once a
// snapshot, so a node whose chain moved on fast may never be seen at the fork's height; a
// block reported by both chains' nodes (the fork healed) places nobody.
std::vector<std::vector<uint32_t>> ChainsFrom(
    const absl::flat_hash_map<uint64_t, std::vector<BlockSighting>>& by_height,
    uint64_t fork_height, const std::vector<BlockSighting>& at_fork) {
  absl::flat_hash_map<uint32_t, size_t> chain_of;
  std::vector<std::vector<uint32_t>> chains(at_fork.size());
  for (size_t c = 0; c < at_fork.size(); ++c) {
    chains[c] = at_fork[c].nodes;
    for (uint32_t number : at_fork[c].nodes) chain_of.emplace(number, c);
  }
  std::vector<uint64_t> later;
  for (const auto& [height, seen] : by_height) {
    if (height > fork_height) later.push_back(height);
  }
  std::sort(later.begin(), later.end());
  for (uint64_t height : later) {
    for (const BlockSighting& s : by_height.at(height)) {
      constexpr size_t kNone = SIZE_MAX, kSeveral = SIZE_MAX - 1;
      size_t chain = kNone;
      for (uint32_t number : s.nodes) {
        auto it = chain_of.find(number);
        if (it == chain_of.end() || it->second == chain) continue;
        chain = chain == kNone ? it->second : kSeveral;
      }
      if (chain == kNone || chain == kSeveral) continue;
      for (uint32_t number : s.nodes) {
        if (chain_of.emplace(number, chain).second) chains[chain].push_back(number);
      }
    }
  }
  return chains;
}

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
  const std::vector<std::vector<uint32_t>> chains =
      ChainsFrom(StateOf<BlockSightings>(in).by_height(), fork_height, *at);
  Verdict v = MakeVerdict(kFork);
  v.height = fork_height;
  std::vector<std::string> all;
  std::vector<std::string> ids;
  for (size_t c = 0; c < at->size(); ++c) {
    const BlockSighting& s = (*at)[c];
    v1::NodeGroup* group = &v.groups.emplace_back();
    std::vector<std::string> names;
    for (uint32_t number : chains[c]) names.push_back(h.names[number]);
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
