// FleetState: the collector's in-memory picture of every node — latest Hello and snapshot,
// connection flag, and a bounded window of recent samples — from which FleetViews are copied.
//
// The ingest path updates it only after a snapshot is durably stored, so the picture never
// shows data a crash could lose. At start-up Restore() rebuilds it from the store.
//
// Example:
//   FleetState fleet;
//   fleet.Restore(store, absl::Now());
//   fleet.Connected(hello, absl::Now());
//   fleet.Stored(records);
//   FleetView view = fleet.View(absl::Now());
//
// Thread-safe: every method may be called concurrently (one internal mutex).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/fleet/fleet_view.h"
#include "collector/store/store.h"

namespace guts::collector {

class FleetState {
 public:
  // `window` bounds the samples kept per node (about two minutes at 1 Hz by default).
  explicit FleetState(size_t window = 120);

  // Loads every node's Hello and latest snapshot, and the samples of the last `window`
  // snapshots taken within the window's reach before `now`. Nodes come back disconnected.
  absl::Status Restore(const Store& store, absl::Time now);

  // The node's agent opened a stream with `hello`.
  void Connected(const guts::diag::v1::Hello& hello, absl::Time now);
  // The node's agent stream closed.
  void Disconnected(const std::string& node_id, absl::Time now);
  // Snapshots just written to the store. Each node's newest moves into the picture (no copy:
  // at fleet scale the copies dominated the writer thread).
  void Stored(std::vector<SnapshotRecord> records);

  // When the node was first seen, or `otherwise` for a node not seen before.
  absl::Time FirstSeen(const std::string& node_id, absl::Time otherwise) const;

  // A copy of everything, sorted by node id; `collector` is left default for the caller.
  // Without samples the copy is much cheaper (queries that do not need them).
  FleetView View(absl::Time now, bool with_samples = true) const;
  // One node, or nullopt when it was never seen.
  std::optional<NodeObservation> Node(const std::string& node_id) const;

 private:
  void AddSample(NodeObservation& node, const guts::diag::v1::Snapshot& s, absl::Time received)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t window_;
  mutable absl::Mutex mu_;
  std::map<std::string, NodeObservation> nodes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace guts::collector
