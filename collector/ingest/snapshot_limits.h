// What the collector accepts from an agent: bounds on Hello and Snapshot contents, checked
// before anything is queued or stored, so that a broken or hostile agent gets a clear
// INVALID_ARGUMENT instead of filling the store.
//
// Example:
//   absl::Status s = ValidateSnapshot(snapshot, "v3", absl::Now(), SnapshotLimits{});
//   if (!s.ok()) reactor->Finish(ToGrpcStatus(s));
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

struct SnapshotLimits {
  size_t max_snapshot_bytes = 256 * 1024;
  size_t max_peers = 1024;
  size_t max_probes = 1024;
  size_t max_validators = 1024;
  size_t max_source_errors = 64;
  size_t max_log_entries = 128;  // recent_errors and errors_by_kind each
  size_t max_metric_series = 1024;
  size_t max_string_bytes = 4096;  // any single string field
  size_t max_labels = 32;
  size_t max_label_bytes = 256;
  // A snapshot taken further than this from the collector's clock is refused.
  absl::Duration max_past = absl::Hours(24 * 7);
  absl::Duration max_future = absl::Hours(24);
};

// OK when `hello` names a valid node id and stays within the label bounds.
absl::Status ValidateHello(const guts::diag::v1::Hello& hello, const SnapshotLimits& limits);

// OK when `snapshot` belongs to `node_id` (or names no node), has seq >= 1, a take time within
// the clock bounds around `now`, and stays within every bound. INVALID_ARGUMENT naming the
// offending field otherwise.
absl::Status ValidateSnapshot(const guts::diag::v1::Snapshot& snapshot, const std::string& node_id,
                              absl::Time now, const SnapshotLimits& limits);

}  // namespace guts::collector
