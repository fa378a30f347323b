#include "collector/analysis/collector_blindness.h"

#include "absl/strings/str_cat.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/verdict_parts.h"

namespace guts::collector {

CollectorBlindness CollectorBlindnessOf(const CollectorHealth& health, absl::Time now,
                                        int reporting, int with_snapshot,
                                        const AnalysisConfig& config) {
  CollectorBlindness b;
  if (health.overloaded) {
    b.blind = b.degraded = true;
    b.why = absl::StrCat("collector ingest lags ", SecondsText(health.ingest_lag));
    b.evidence["ingest_lag"] = SecondsText(health.ingest_lag);
    return b;
  }
  // One node alone gives nothing to compare with: its silence is judged as before.
  if (with_snapshot >= 2 && reporting == 0) {
    b.blind = b.degraded = true;
    b.why = absl::StrCat("collector hears none of its ", with_snapshot,
                         " agents: its own network or host, or every node at once; it cannot "
                         "tell which");
    b.evidence["agents silent"] = absl::StrCat(with_snapshot, " of ", with_snapshot);
    return b;
  }
  // Alive agents' snapshots land within an interval or two of the collector waking up.
  const absl::Duration settle = 3 * config.default_interval;
  if (health.pause > absl::ZeroDuration() && now - health.pause_ended < settle) {
    b.blind = true;
    b.why = absl::StrCat("collector stood still for ", SecondsText(health.pause),
                         " (starved of CPU); silence judged again once snapshots settle");
    b.evidence["pause"] = SecondsText(health.pause);
  }
  return b;
}

}  // namespace guts::collector
