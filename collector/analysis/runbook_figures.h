// The runbook thresholds a node's figures are compared with (GUTS_NODE.md): disk free space,
// memory against the cgroup limit, the API's 5xx ratio and p99. One definition for the runbook
// thresholds detector, which reports them, and the model build, which marks the nodes whose
// figures are near none of them (NodeFacts::runbook_clear), so the detector skips their figures.
//
// Example:
//   if (DiskNearFull(figures)) ...  // free < 20 %
#pragma once

#include <cstdint>

#include "collector/fleet/fleet_view.h"

namespace guts::collector {

// The data dir's free share (no disk figures: no threshold).
inline bool DiskNearFull(const SnapshotFigures& s) {
  if (s.disk_total_bytes == 0) return false;
  return static_cast<double>(s.disk_available_bytes) / s.disk_total_bytes < 0.20;
}

// The node's memory (its RSS, else the cgroup's) above 90 % of the cgroup limit.
inline uint64_t MemoryUsed(const SnapshotFigures& s) {
  return s.node_rss_bytes > 0 ? s.node_rss_bytes : s.cgroup_memory_current_bytes;
}
inline bool MemoryNearLimit(const SnapshotFigures& s) {
  const uint64_t limit = s.cgroup_memory_max_bytes;
  return limit != 0 && MemoryUsed(s) * 10 > limit * 9;
}

// More than 1 % of API answers 5xx, or a p99 above a second.
inline bool ApiErrorsOver(const SnapshotFigures& s) {
  return s.http_5xx_ratio > 0.01 || s.http_p99_seconds > 1.0;
}

}  // namespace guts::collector
