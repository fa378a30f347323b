#include "collector/fleet/fleet_state.h"

#include <utility>

#include "collector/fleet/peer_address.h"
#include "collector/fleet/snapshot_figures.h"

namespace guts::collector {

using guts::diag::v1::Hello;
using guts::diag::v1::Snapshot;

FleetState::FleetState(size_t window) : window_(window) {}

absl::Status FleetState::Restore(const Store& store, absl::Time now) {
  absl::StatusOr<std::vector<LatestNode>> latest = store.LatestAll();
  if (!latest.ok()) return latest.status();
  // Samples are rebuilt from history at the agent's clock; their receive time is unknown, so
  // the take time stands in (the liveness window starts over after a restart anyway).
  absl::Duration reach = absl::Seconds(static_cast<int64_t>(window_) * 2);
  absl::MutexLock lock(&mu_);
  for (LatestNode& n : *latest) {
    NodeObservation& node = nodes_[n.node_id];
    node.node_id = n.node_id;
    if (n.hello) node.hello = *std::move(n.hello);
    node.first_seen = n.first_seen;
    node.connected = false;
    node.connection_changed = now;
    if (!n.snapshot) continue;
    node.has_latest = true;
    node.latest = *std::move(n.snapshot);
    node.latest_peers = CompactPeersOf(node.latest);
    node.latest_figures = SnapshotFiguresOf(node.latest);
    node.last_received = n.received;
    absl::Status s = store.History(
        n.node_id, now - reach, absl::InfiniteFuture(), [&](const Snapshot& snapshot) {
          AddSample(node, snapshot, absl::FromUnixMillis(snapshot.taken_unix_ms()));
          return true;
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void FleetState::Connected(const Hello& hello, absl::Time now) {
  absl::MutexLock lock(&mu_);
  NodeObservation& node = nodes_[hello.node_id()];
  node.node_id = hello.node_id();
  node.hello = hello;
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

void FleetState::AddSample(NodeObservation& node, const Snapshot& s, absl::Time received) {
  SnapshotSample sample;
  sample.received = received;
  sample.taken = absl::FromUnixMillis(s.taken_unix_ms());
  sample.seq = s.seq();
  sample.height = s.consensus().finalized_height();
  sample.view = s.consensus().view();
  sample.block_id = s.consensus().last_block_id();
  node.samples.push_back(std::move(sample));
  if (node.samples.size() > window_) {
    node.samples.erase(node.samples.begin(),
                       node.samples.begin() + static_cast<long>(node.samples.size() - window_));
  }
}

void FleetState::Stored(std::vector<SnapshotRecord> records) {
  std::map<std::string, SnapshotRecord*> newest;
  for (SnapshotRecord& r : records) {
    SnapshotRecord*& n = newest[r.snapshot.node_id()];
    if (n == nullptr || r.snapshot.seq() > n->snapshot.seq()) n = &r;
  }
  absl::MutexLock lock(&mu_);
  for (const SnapshotRecord& r : records) {
    const Snapshot& s = r.snapshot;
    NodeObservation& node = nodes_[s.node_id()];
    node.node_id = s.node_id();
    if (node.first_seen == absl::InfinitePast()) node.first_seen = r.first_seen;
    AddSample(node, s, r.received);
  }
  for (const auto& [id, r] : newest) {
    NodeObservation& node = nodes_[id];
    if (!node.has_latest || r->snapshot.seq() > node.latest.seq()) {
      node.has_latest = true;
      // A swap: the replaced snapshot is freed with `records`, after the lock.
      node.latest.Swap(&r->snapshot);
      node.latest_peers = CompactPeersOf(node.latest);
      node.latest_figures = SnapshotFiguresOf(node.latest);
      node.last_received = r->received;
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
  view.nodes.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) {
    if (with_samples) {
      view.nodes.push_back(node);
      continue;
    }
    NodeObservation copy;
    copy.node_id = node.node_id;
    copy.hello = node.hello;
    copy.has_latest = node.has_latest;
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
