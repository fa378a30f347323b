// DetectorHarness: runs one detector alone over a SyntheticFleet, tick by tick, as the analyzer
// would (model, peer graph, quorum margin, history, the detector's own state) but without the other
// detectors, folding or hysteresis: a detector test sees exactly the verdicts its detector emits.
//
// Example:
//   SyntheticFleet fleet(7);
//   DetectorHarness harness("liveness");
//   harness.Run(fleet, 20);
//   fleet.Kill("v4");
//   std::vector<Verdict> verdicts = harness.Run(fleet, 10);  // the last tick's
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "collector/analysis/analysis_history.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/peer_graph.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {

class DetectorHarness {
 public:
  // REQUIRES: a detector named `name` is registered (a test failure otherwise).
  explicit DetectorHarness(std::string_view name, AnalysisConfig config = TestConfig());

  // Steps `fleet` and runs the detector `ticks` times; returns the last tick's verdicts, valid
  // until the next Run (Verdict::unheard_peers views the last tick's node ids).
  std::vector<Verdict> Run(SyntheticFleet& fleet, int ticks);

  const Detector& detector() const { return *detector_; }

  // Off (the default), each tick's model is built with the history's memory and the peer graph
  // kept between ticks, as the analyzer does, so what the detector keeps between ticks may
  // redo only what changed. On, both are built from scratch every tick (no model follows the
  // one before), so a test can compare the two paths.
  void SetFromScratch(bool on) { from_scratch_ = on; }

  // The last tick's view (empty before the first Run).
  const FleetView& last_view() const { return view_; }

 private:
  const Detector* detector_ = nullptr;
  AnalysisConfig config_;
  AnalysisHistory history_;
  std::unique_ptr<DetectorState> state_;  // the detector's own memory, when it keeps one
  PeerGraphMemory graph_memory_;
  bool from_scratch_ = false;
  // The last tick's view: the returned verdicts may view its node ids.
  FleetView view_;
};

// The verdicts of the kind named `kind` among `verdicts`.
std::vector<Verdict> OfKind(const std::vector<Verdict>& verdicts, std::string_view kind);

}  // namespace guts::collector::testing
