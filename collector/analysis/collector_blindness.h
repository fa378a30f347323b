// CollectorBlindness: whether silence says anything about the nodes this tick. A failure
// detector that convicts every peer at once is usually looking at itself; three cases where the
// collector, not the nodes, explains the silence:
//   - its ingest lags (snapshots received but not yet processed);
//   - its own clock stood still: an analysis tick ran a whole tick late, so the process or its
//     host was starved of CPU, and arrivals measured across that pause are the collector's
//     (the failure detector's local-pause rule, as Cassandra's FailureDetector has it);
//   - it hears none of its agents at all: its own network is cut, or every node failed at the
//     same moment, and nothing it has can tell the two apart.
// Silence verdicts (NODE_DOWN, COLLECTOR_UNREACHABLE) are then held back and the nodes shown as
// unknown; the first and last cases are also COLLECTOR_DEGRADED, since the on-call must know the
// picture is blind. A short pause is only held back: the next snapshots settle it.
//
// Example:
//   if (model.blindness.blind) { ... hold silence verdicts, say model.blindness.why ... }
#pragma once

#include <map>
#include <string>

#include "absl/time/time.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector {

struct AnalysisConfig;

struct CollectorBlindness {
  bool blind = false;
  // Whether the cause is worth an incident (ingest lag, hearing nobody), not a brief pause.
  bool degraded = false;
  std::string why;  // operator's words, e.g. "collector ingest lags 12.0 s"
  std::map<std::string, std::string> evidence;
};

// `reporting` nodes answered recently out of `with_snapshot` that ever did.
CollectorBlindness CollectorBlindnessOf(const CollectorHealth& health, absl::Time now,
                                        int reporting, int with_snapshot,
                                        const AnalysisConfig& config);

}  // namespace guts::collector
