// LatestAnalysis: what readers of the analysis need from whatever runs it: the newest result
// and the settings it ran with. The collector's AnalysisLoop implements it; the fleet queries
// take it, so they depend on the analysis room and not on the collector's clock above them.
//
// Example:
//   void Show(const LatestAnalysis& analysis) {
//     std::shared_ptr<const AnalysisResult> r = analysis.Latest();  // null before the first tick
//     absl::Duration heard = analysis.config().peer_heard_within;
//   }
//
// Implementations are thread-safe: readers call from any thread.
#pragma once

#include <memory>

#include "collector/analysis/analyzer.h"

namespace guts::collector {

class LatestAnalysis {
 public:
  virtual ~LatestAnalysis() = default;

  // The newest analysis result, or null before the first tick.
  virtual std::shared_ptr<const AnalysisResult> Latest() const = 0;

  // The analysis' settings, windows scaled by the time scale: what the queries use too (the
  // peers a node heard count with config().peer_heard_within).
  virtual const AnalysisConfig& config() const = 0;
};

}  // namespace guts::collector
