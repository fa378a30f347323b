// A node's history as GetNodeHistory returns it: points over a time range of the agent's
// snapshot time, oldest first, at most one per step (the last in each), at most `limit`.
//
// Example:
//   NodeHistoryRequest req;  req.set_node_id("v3");  req.set_step_ms(60000);
//   absl::StatusOr<std::vector<HistoryPoint>> points = LoadNodeHistory(store, req);
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "collector/store/store.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

// Points returned when the request sets no limit, and the most any request gets.
inline constexpr uint32_t kDefaultHistoryLimit = 10000;
inline constexpr uint32_t kMaxHistoryLimit = 100000;

// The compact figures of one snapshot (and the snapshot itself when `full`).
guts::diag::v1::HistoryPoint ToHistoryPoint(const guts::diag::v1::Snapshot& s, bool full);

// INVALID_ARGUMENT for a bad node id, a negative step or from > to; store errors otherwise.
// An unknown node yields no points (the caller decides whether that is NOT_FOUND).
absl::StatusOr<std::vector<guts::diag::v1::HistoryPoint>> LoadNodeHistory(
    const Store& store, const guts::diag::v1::NodeHistoryRequest& request);

}  // namespace guts::collector
