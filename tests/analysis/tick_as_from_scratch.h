// ExpectTickAsFromScratch: checks what the analyzer makes of a view each tick (NumberNodes, then
// BuildFleetModel with the history's model memory) against a model built from scratch, for the
// tests of what the analysis keeps between ticks (fleet_model_test, and the fleet state's
// identity generations in collector_test).
//
// Example:
//   AnalysisHistory history;
//   ExpectTickAsFromScratch(fleet_state.View(now), history, "after a new Hello");
#pragma once

#include <string>

#include "collector/analysis/analysis_history.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector::testing {

// The numbers name the view's nodes, and what comes of the nodes' ids, order, P2P addresses and
// roles (sessions, hears, validator flags and weights, id order, total and quorum weight) is the
// from-scratch model's. `step` names the call in failures. Recycles the model into `history`.
void ExpectTickAsFromScratch(const FleetView& view, AnalysisHistory& history,
                             const std::string& step);

}  // namespace guts::collector::testing
