// Fleet status rows: what `gutsctl fleet status` and /metrics show for each node, from the
// fleet state and, when the analysis has run, its verdicts. Without an analysis result the
// state falls back to a simple last-seen rule (HEALTHY while snapshots arrive, DOWN after
// three missed intervals, UNKNOWN before the first snapshot).
//
// Example:
//   FleetStatus status = BuildFleetStatus(fleet.View(now, false), latest.Latest().get(), info,
//                                         latest.config().peer_heard_within);
#pragma once

#include "collector/analysis/analyzer.h"
#include "collector/fleet/fleet_view.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

// One row. `assessment` may be null (no analysis result, or the node is new to it); the
// row then counts the peers heard within `peer_heard_within` itself (collector/fleet/
// peers_heard.h), the analysis' own setting (LatestAnalysis::config()).
guts::diag::v1::NodeStatus MakeNodeStatus(const NodeObservation& node,
                                          const NodeAssessment* assessment, absl::Time now,
                                          absl::Duration peer_heard_within);

// Every node's row, open incidents, heights and weights. `analysis` may be null.
guts::diag::v1::FleetStatus BuildFleetStatus(const FleetView& view, const AnalysisResult* analysis,
                                             const guts::diag::v1::CollectorInfo& collector,
                                             absl::Duration peer_heard_within);

}  // namespace guts::collector
