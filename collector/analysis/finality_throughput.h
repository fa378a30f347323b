// FinalityThroughput: the fleet's finalized blocks per second now, against its own rate before
// a fault began. A partial partition whose bridge still lets a block through every few seconds
// never trips "no block for 15 s", yet the chain is as good as halted for its users: the
// severity rises to P1 when, for the whole hold period, the rate stays below `collapse_ratio`
// of the rate over the baseline window that ended when the fault began.
//
// Example:
//   throughput.Record(model.now, model.max_height);        // every tick
//   if (throughput.Collapsed(now, fault_present, config))  // raise to P1
//
// Not thread-safe; owned by the Analyzer.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/verdict.h"

namespace guts::collector {

class FinalityThroughput {
 public:
  // One sample per tick: the highest finalized height. Samples older than the baseline window
  // plus the hold period are dropped.
  void Record(absl::Time now, uint64_t height, const AnalysisConfig& config);

  // Whether a fault present since its first call (present = true) has made the throughput
  // collapse. The baseline is fixed when the fault begins and forgotten when it ends; without
  // enough samples before the fault (at least half the baseline window) or with a baseline of
  // zero (the chain was already stalled) nothing can collapse.
  bool Collapsed(absl::Time now, bool present, const AnalysisConfig& config);

  // The baseline and current rate (blocks per second) of the fault in progress, for evidence.
  std::optional<double> baseline() const { return baseline_; }
  double current() const { return current_; }

 private:
  // Height at or before `t`; nullopt when no sample is that old.
  std::optional<uint64_t> HeightAt(absl::Time t) const;

  std::deque<std::pair<absl::Time, uint64_t>> samples_;
  std::optional<absl::Time> fault_since_;
  std::optional<double> baseline_;
  double current_ = 0;
};

// Raises the verdict in `verdicts` whose kind declares p1_on_throughput_collapse (a
// PARTIAL_PARTITION) to P1 when `throughput` says finality collapsed while it held, with the
// rates as evidence. Call once per tick after Record().
void RaiseOnThroughputCollapse(absl::Time now, const AnalysisConfig& config,
                               FinalityThroughput& throughput, std::vector<Verdict>& verdicts);

}  // namespace guts::collector
