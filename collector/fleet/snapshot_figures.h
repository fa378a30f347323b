// SnapshotFiguresOf: the figures of a snapshot the analysis reads on every tick, taken out of
// its sub-messages once, when the fleet state stores the snapshot. At 10 000 nodes the tick was
// bound by visiting six separately allocated messages per node; the figures are one struct
// kept with the snapshot (NodeObservation::latest_figures).
//
// The analysis reads the same values either way: from the figures when they were made from the
// latest snapshot itself (FiguresCurrent), else from SnapshotFiguresOf(latest) made during the
// tick.
//
// Example:
//   node.latest = std::make_shared<const Snapshot>(std::move(snapshot));
//   node.latest_figures = SnapshotFiguresOf(node.latest);  // at ingest, with latest_peers
//
// Thread-safe: a pure function.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/fleet/fleet_view.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

// The participant keys a node's snapshot reports (its config's), lowercase, sorted, unique;
// empty when none.
std::vector<std::string> ParticipantKeys(const guts::diag::v1::Snapshot& snapshot);

// An order-free hash of a participant set: FNV-1a over `sorted_keys` (sorted, unique), each
// ended by a separator. SnapshotFigures::participants_hash is this of ParticipantKeys(snapshot).
uint64_t ParticipantsHash(const std::vector<std::string>& sorted_keys);

// `snapshot`'s figures; always valid. `source` is left null: such figures are never current
// for a node (FiguresCurrent); the analysis makes its own from the node's snapshot.
SnapshotFigures SnapshotFiguresOf(const guts::diag::v1::Snapshot& snapshot);
// The same, with `source` = `snapshot` (not null): what the fleet state stores beside it.
SnapshotFigures SnapshotFiguresOf(std::shared_ptr<const guts::diag::v1::Snapshot> snapshot);

// Whether `obs.latest_figures` describe `obs.latest`: made from that very snapshot object, not
// an older one (SnapshotFigures::source). Reads the two pointers only, never the snapshot.
bool FiguresCurrent(const NodeObservation& obs);

}  // namespace guts::collector
