#include "collector/fleet/fleet_state.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "collector/fleet/peer_address.h"
#include "collector/fleet/snapshot_figures.h"

namespace guts::collector {

using guts::diag::v1::Hello;
using guts::diag::v1::Snapshot;

FleetState::FleetState(size_t window)
    : window_(window), identity_generation_(NewIdentityGeneration()) {}

NodeObservation& FleetState::NodeFor(const std::string& node_id) {
  auto [it, added] = nodes_.try_emplace(node_id);
  if (added) {
    it->second.node_id = node_id;
    identity_generation_ = NewIdentityGeneration();
  }
  return it->second;
}

void FleetState::SetHello(NodeObservation& node, Hello hello) {
  // Every Hello stored counts as a change, even one equal to the last: an agent says it once a
  // connection, and a change costs the analysis no more than one tick of comparisons.
  node.hello = std::make_shared<const Hello>(std::move(hello));
  identity_generation_ = NewIdentityGeneration();
}

absl::Status FleetState::Restore(const Store& store, absl::Time now) {
  absl::StatusOr<std::vector<LatestNode>> latest = store.LatestAll();
  if (!latest.ok()) return latest.status();
  // Samples are rebuilt from history at the agent's clock; their receive time is unknown, so
  // the take time stands in (the liveness window starts over after a restart anyway).
  absl::Duration reach = absl::Seconds(static_cast<int64_t>(window_) * 2);
  absl::MutexLock lock(&mu_);
  for (LatestNode& n : *latest) {
    NodeObservation& node = NodeFor(n.node_id);
    if (n.hello) SetHello(node, *std::move(n.hello));
    node.first_seen = n.first_seen;
    node.connected = false;
    node.connection_changed = now;
    if (!n.snapshot) continue;
    auto snapshot = std::make_shared<const Snapshot>(*std::move(n.snapshot));
    node.latest_peers = CompactPeersOf(snapshot);
    node.latest_figures = SnapshotFiguresOf(snapshot);
    node.latest = std::move(snapshot);
    node.last_received = n.received;
    std::vector<SnapshotSample> samples;
    absl::Status s = store.History(
        n.node_id, now - reach, absl::InfiniteFuture(), [&](const Snapshot& snapshot) {
          samples.push_back(SampleOf(snapshot, absl::FromUnixMillis(snapshot.taken_unix_ms())));
          return true;
        });
    if (!s.ok()) return s;
    AddSamples(node, samples.data(), samples.size());
  }
  return absl::OkStatus();
}

void FleetState::Connected(const Hello& hello, absl::Time now) {
  absl::MutexLock lock(&mu_);
  NodeObservation& node = NodeFor(hello.node_id());
  SetHello(node, hello);
  if (node.first_seen == absl::InfinitePast()) node.first_seen = now;
  node.connected = true;
  node.connection_changed = now;
}

void FleetState::Disconnected(const std::string& node_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  it->second.connected = false;
  it->second.connection_changed = now;
}

SnapshotSample FleetState::SampleOf(const Snapshot& s, absl::Time received) {
  SnapshotSample sample;
  sample.received = received;
  sample.taken = absl::FromUnixMillis(s.taken_unix_ms());
  sample.seq = s.seq();
  sample.height = s.consensus().finalized_height();
  sample.view = s.consensus().view();
  return sample;
}

void FleetState::AddSamples(NodeObservation& node, const SnapshotSample* added,
                            size_t count) const {
  if (count == 0) return;
  // A new window, never an edit: the old one may be in a view being read. A window is one
  // block of plain structs (about 7 KiB at 120): one copy per stored batch of a node, where
  // copying it into every view cost that per node and tick.
  const std::vector<SnapshotSample>& old = SamplesOf(node);
  const size_t take = std::min(count, window_);
  const size_t keep = std::min(old.size(), window_ - take);
  auto samples = std::make_shared<std::vector<SnapshotSample>>();
  samples->reserve(keep + take);
  samples->insert(samples->end(), old.end() - static_cast<long>(keep), old.end());
  samples->insert(samples->end(), added + (count - take), added + count);
  node.samples = std::move(samples);
  node.samples_tail = SamplesTailOf(node.samples);
}

void FleetState::Stored(std::vector<SnapshotRecord> records) {
  // Each node's newest record, its records' samples in order, and the first_seen of its first.
  struct Added {
    SnapshotRecord* newest = nullptr;
    std::vector<SnapshotSample> samples;
    absl::Time first_seen;
  };
  std::map<std::string, Added> by_node;
  for (SnapshotRecord& r : records) {
    Added& a = by_node[r.snapshot.node_id()];
    if (a.samples.empty()) a.first_seen = r.first_seen;
    if (a.newest == nullptr || r.snapshot.seq() > a.newest->snapshot.seq()) a.newest = &r;
    a.samples.push_back(SampleOf(r.snapshot, r.received));
  }
  // Declared before the lock, so the snapshots replaced (a hundred small frees each, unless a
  // view still holds them) are freed after it.
  std::vector<std::shared_ptr<const Snapshot>> replaced;
  replaced.reserve(by_node.size());
  absl::MutexLock lock(&mu_);
  for (auto& [id, a] : by_node) {
    NodeObservation& node = NodeFor(id);
    if (node.first_seen == absl::InfinitePast()) node.first_seen = a.first_seen;
    AddSamples(node, a.samples.data(), a.samples.size());
    SnapshotRecord& r = *a.newest;
    if (node.latest == nullptr || r.snapshot.seq() > node.latest->seq()) {
      // A move: the parsed snapshot is not copied.
      auto latest = std::make_shared<const Snapshot>(std::move(r.snapshot));
      node.latest_peers = CompactPeersOf(latest);
      node.latest_figures = SnapshotFiguresOf(latest);
      replaced.push_back(std::exchange(node.latest, std::move(latest)));
      node.last_received = r.received;
    }
  }
}

absl::Time FleetState::FirstSeen(const std::string& node_id, absl::Time otherwise) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || it->second.first_seen == absl::InfinitePast()) return otherwise;
  return it->second.first_seen;
}

FleetView FleetState::View(absl::Time now, bool with_samples) const {
  FleetView view;
  view.now = now;
  absl::MutexLock lock(&mu_);
  view.identity_generation = identity_generation_;
  view.nodes.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) {
    if (with_samples) {
      view.nodes.push_back(node);
      continue;
    }
    NodeObservation copy;
    copy.node_id = node.node_id;
    copy.hello = node.hello;
    copy.latest = node.latest;
    copy.last_received = node.last_received;
    copy.first_seen = node.first_seen;
    copy.connected = node.connected;
    copy.connection_changed = node.connection_changed;
    view.nodes.push_back(std::move(copy));
  }
  return view;
}

std::optional<NodeObservation> FleetState::Node(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

}  // namespace guts::collector
