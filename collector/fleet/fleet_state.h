// FleetState: the collector's in-memory picture of every node — latest Hello and snapshot,
// connection flag, and a bounded window of recent samples — from which FleetViews are made.
// Snapshots and sample windows are immutable once stored here and shared with the views: a
// newer one replaces the pointer, so a view copies pointers, not snapshots.
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
#include <cstdint>
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
  // at fleet scale the copies dominated the writer thread) and replaces the shared pointer.
  void Stored(std::vector<SnapshotRecord> records);

  // When the node was first seen, or `otherwise` for a node not seen before.
  absl::Time FirstSeen(const std::string& node_id, absl::Time otherwise) const;

  // Everything, sorted by node id; `collector` is left default for the caller. The latest
  // snapshots and sample windows are shared, not copied. Without samples (queries that do not
  // need them) the view also leaves out latest_peers and latest_figures. Its
  // identity_generation stays while no node joins, leaves or says a new Hello.
  FleetView View(absl::Time now, bool with_samples = true) const;
  // One node, or nullopt when it was never seen.
  std::optional<NodeObservation> Node(const std::string& node_id) const;

 private:
  // The node, added (with its id) when not known yet. With SetHello the only way a node joins
  // or its id or Hello changes: both take a new identity generation, so views can never carry
  // one that a change of the fleet's nodes or Hellos left behind.
  NodeObservation& NodeFor(const std::string& node_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetHello(NodeObservation& node, guts::diag::v1::Hello hello)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  static SnapshotSample SampleOf(const guts::diag::v1::Snapshot& s, absl::Time received);
  // Appends `count` samples to the node's window as a new window (bounded by `window_`).
  void AddSamples(NodeObservation& node, const SnapshotSample* added, size_t count) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t window_;
  mutable absl::Mutex mu_;
  // Node ids and Hellos are written by NodeFor and SetHello only (see there).
  std::map<std::string, NodeObservation> nodes_ ABSL_GUARDED_BY(mu_);
  // FleetView::identity_generation of the nodes_ as they are.
  uint64_t identity_generation_ ABSL_GUARDED_BY(mu_);
};

}  // namespace guts::collector
