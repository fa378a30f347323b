// A node's history as GetNodeHistory returns it: points over a time range of the agent's
// snapshot time, oldest first, at most one per step (the last in each), at most `limit`.
//
// Example:
//   NodeHistoryRequest req;  req.set_node_id("v3");  req.set_step_ms(60000);
//   absl::StatusOr<std::vector<HistoryPoint>> points =
//       LoadNodeHistory(store, req, latest.config().peer_heard_within);
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/store/store.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

// Points returned when the request sets no limit, and the most any request gets.
inline constexpr uint32_t kDefaultHistoryLimit = 10000;
inline constexpr uint32_t kMaxHistoryLimit = 100000;

// The compact figures of one snapshot (and the snapshot itself when `full`); its peers heard
// within `peer_heard_within` (collector/fleet/peers_heard.h).
guts::diag::v1::HistoryPoint ToHistoryPoint(const guts::diag::v1::Snapshot& s, bool full,
                                            absl::Duration peer_heard_within);

// Reads a node's history page by page, so a query holds at most one page (and one snapshot)
// in memory whatever range it asks for; dropping the reader frees everything.
//
// Example:
//   absl::StatusOr<NodeHistoryReader> r = NodeHistoryReader::Start(&store, request, heard);
//   for (;;) { auto page = r->NextPage(1 << 20); if (!page.ok() || page->empty()) break; ... }
//
// Not thread-safe (one caller at a time); `store` must outlive the reader.
class NodeHistoryReader {
 public:
  // INVALID_ARGUMENT for a bad node id, a negative step or from > to. Points count the peers
  // heard within `peer_heard_within`.
  static absl::StatusOr<NodeHistoryReader> Start(const Store* store,
                                                 const guts::diag::v1::NodeHistoryRequest& request,
                                                 absl::Duration peer_heard_within);

  // The next points, about `max_bytes` of them (at least one while any remain); empty once
  // every point was returned. Store errors as they come.
  absl::StatusOr<std::vector<guts::diag::v1::HistoryPoint>> NextPage(size_t max_bytes);

 private:
  NodeHistoryReader() = default;

  const Store* store_ = nullptr;
  guts::diag::v1::NodeHistoryRequest request_;
  absl::Duration peer_heard_within_;
  absl::Time to_;
  uint32_t limit_ = 0;
  uint32_t returned_ = 0;
  bool done_ = false;
  // Where the next page starts: after the snapshot (time, seq) visited last.
  absl::Time resume_from_ = absl::InfinitePast();
  int64_t resume_ms_ = -1;
  uint64_t resume_seq_ = 0;
  // With a step: the last snapshot of the current bucket, not yet returned.
  bool pending_ = false;
  int64_t pending_bucket_ = 0;
  guts::diag::v1::Snapshot last_;
  // Loss accounting between points: seqs skipped and snapshots the spool dropped. Seqs
  // skipped before downsampled_before_ms_ were dropped by the downsampling, not lost.
  int64_t downsampled_before_ms_ = 0;
  uint64_t previous_seq_ = 0;
  uint64_t missing_since_point_ = 0;
  uint64_t dropped_since_point_ = 0;
};

// Every page at once (tests and small ranges). Same errors as NodeHistoryReader.
// An unknown node yields no points (the caller decides whether that is NOT_FOUND).
absl::StatusOr<std::vector<guts::diag::v1::HistoryPoint>> LoadNodeHistory(
    const Store& store, const guts::diag::v1::NodeHistoryRequest& request,
    absl::Duration peer_heard_within);

}  // namespace guts::collector
