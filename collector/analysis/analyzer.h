// Analyzer: turns FleetViews, one per tick, into node assessments, the peer topology and
// incidents. The detectors inside are pure functions of the view (plus the short history the
// analyzer keeps between ticks); the incident manager adds hysteresis and folds symptoms under
// their cause.
//
// Example:
//   Analyzer analyzer(AnalysisConfig{});
//   analyzer.RestoreIncidents(store.LoadOpenIncidents());
//   every tick:
//     AnalysisResult r = analyzer.Tick(fleet_state.View(absl::Now()));
//     store.PutIncidents(r.changed_incidents);
//
// Not thread-safe: call Tick() from one thread (the collector's analysis loop) and publish the
// result for readers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/fleet/fleet_view.h"
#include "guts/diag/v1/fleet.pb.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

// Every window and threshold is configurable so tests can run at a compressed time scale.
struct AnalysisConfig {
  absl::Duration tick = absl::Seconds(1);
  // Expected snapshot interval when a node did not say (Snapshot.interval_ms).
  absl::Duration default_interval = absl::Seconds(1);
  // A peer counts as heard when its session received data within this age.
  absl::Duration peer_heard_within = absl::Seconds(5);
  // No finalized block fleet-wide for this long: CONSENSUS_STUCK (operators' runbook: 2 min).
  absl::Duration stall_threshold = absl::Minutes(2);
  // Hysteresis: a verdict must hold this many ticks to open, be absent this many to clear.
  int enter_ticks = 3;
  int clear_ticks = 5;
  // A node whose agent clock differs from the collector's by more than this: CLOCK_SKEW.
  absl::Duration clock_skew_threshold = absl::Seconds(30);
};

// What the analysis concludes about one node, for fleet status.
struct NodeAssessment {
  guts::diag::v1::NodeState state = guts::diag::v1::UNKNOWN;
  std::string reason;
  uint64_t lag = 0;
  uint32_t peers_heard = 0;
  uint32_t peers_expected = 0;
};

struct AnalysisResult {
  absl::Time at;
  std::map<std::string, NodeAssessment> nodes;
  guts::diag::v1::Topology topology;
  uint64_t max_height = 0;
  uint64_t quorum_height = 0;
  // Every open incident after this tick, most severe first.
  std::vector<guts::diag::v1::Incident> open_incidents;
  // Incidents opened, updated or resolved in this tick, to persist.
  std::vector<guts::diag::v1::Incident> changed_incidents;
};

class Analyzer {
 public:
  explicit Analyzer(AnalysisConfig config);
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Reloads incidents that were open when the collector stopped, so a restart neither loses
  // nor duplicates them.
  void RestoreIncidents(const std::vector<guts::diag::v1::Incident>& open);

  // Runs one analysis tick on `view`.
  AnalysisResult Tick(const FleetView& view);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace guts::collector
